"""The argument parser, built from one table of commands and their options (:data:`COMMANDS`).

Every subcommand takes ``--max-memory SIZE`` and ``--quiet``; every command that prints a
table takes ``--format`` (``--json`` is short for ``--format json``); commands that read a
spec honour its ``[divergence]`` section, and ``--space``/``--direction`` override it.

A command is a :class:`Command`: its name, help, options and the function that runs it,
named as ``"module:function"`` and imported only when the command runs — so ``lingauss
--help`` and a command that draws no figure never import matplotlib. An option that sets a
library parameter says so (``speaks_for``): an error about that parameter is then spelled
with the option (``--monte-carlo N``, not ``monte_carlo=N``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from lingauss import __version__
from lingauss.model.options import DIRECTIONS, SOFT_LABELS, SPACES
from lingauss.plots.kinds import PLOT_KINDS
from lingauss.report.formats import FORMATS, TABLE_FORMATS

PROG = "lingauss"


@dataclass(frozen=True)
class Arg:
    """One option or positional argument, as :meth:`argparse.ArgumentParser.add_argument`
    takes it; ``speaks_for`` names the library parameter it sets."""

    flags: tuple
    kwargs: dict = field(default_factory=dict)
    speaks_for: str | None = None


def arg(*flags, speaks_for=None, **kwargs) -> Arg:
    return Arg(flags, kwargs, speaks_for)


@dataclass(frozen=True)
class OneOf:
    """Options of which at most one may be given."""

    args: tuple


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, help, description, options and the function that runs it."""

    name: str
    help: str
    description: str
    run: str                                    # "module:function", imported when it runs
    args: tuple = ()
    defaults: dict = field(default_factory=dict)

    def spellings(self) -> dict:
        """``{library parameter: option}`` of the options that set a library parameter."""
        return {a.speaks_for: a.flags[-1] for a in _flat(self.args) if a.speaks_for}


def _flat(args):
    for a in args:
        if isinstance(a, OneOf):
            yield from a.args
        else:
            yield a


# --------------------------------------------------------------------------------------------
# Option groups shared by the commands
# --------------------------------------------------------------------------------------------

COMMON = (
    arg("--max-memory", metavar="SIZE", default=None,
        help="refuse work estimated to need more memory than SIZE (e.g. 8G; default: the "
             "memory available, or LINGAUSS_MAX_MEMORY)"),
    arg("--quiet", action="store_true", help="no progress bar on stderr (also LINGAUSS_QUIET=1)"),
)
SPEC = arg("spec", metavar="SPEC", help="the TOML spec file")


def standalone(what: str = "--format latex") -> tuple:
    return (arg("--standalone", action="store_true",
                help=f"with {what}: a complete LaTeX document (default: a snippet that "
                     f"compiles with the preamble `lingauss derive --preamble` prints)"),)


def table_format(default: str = "text", formats: tuple = TABLE_FORMATS) -> tuple:
    """``--format`` (and ``--json``, ``--standalone``) of a command that prints a table."""
    return (arg("--format", default=None, metavar="FMT",
                help=f"output format: {', '.join(formats)} (default {default})"),
            arg("--json", action="store_true", help="short for --format json"),
            *standalone())


def overrides() -> tuple:
    """``--space`` and ``--direction``, overriding the spec's ``[divergence]`` section."""
    return (arg("--space", metavar="S",
                help=f"override [divergence] space: one of {', '.join(SPACES)}"),
            arg("--direction", metavar="D",
                help=f"override [divergence] direction: one of {', '.join(DIRECTIONS)}"))


def draws(default=None) -> tuple:
    return (arg("--monte-carlo", type=int, metavar="N", default=default,
                speaks_for="monte_carlo",
                help="label draws for the Monte Carlo parts"
                     + ("" if default is None else f" (default {default})")),
            arg("--seed", type=int, default=None, help="seed of the draws"))


def per_mode(*, direction_default: str = "forward") -> tuple:
    """The per-mode form's options of ``derive`` and ``check-formula``."""
    return (arg("--space", default="parameter", help=f"one of {', '.join(SPACES)}"),
            arg("--soft-labels", default="mean", help=f"one of {', '.join(SOFT_LABELS)}"),
            arg("--direction", default=direction_default,
                help=f"one of {', '.join(DIRECTIONS)}"))


def _format_defaults(default: str = "text", formats: tuple = TABLE_FORMATS) -> dict:
    return {"default_format": default, "formats": formats}


NAMES = ("s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, thetaQ2, "
         "thetaP2 (zQ2, zP2 with --flavour conditional)")
COMMANDS_PACKAGE = "lingauss.cli.commands"

# --------------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------------

COMMANDS = (
    Command(
        "divergence", "the distillation divergence of a spec file and its terms",
        "Evaluate K = bias + variance + rank_bottleneck for the problem in a TOML spec file "
        "(see `lingauss demo --print-spec` for an example).",
        "divergence:divergence_command", (SPEC, *table_format(), *overrides()),
        _format_defaults()),
    Command(
        "expected", "the divergence expected over the label noise (closed form or Monte Carlo)",
        "Average K and its terms over the label noise Y = W*X + noise*E at the spec's inputs: "
        "a closed form for a fixed output projector (rank_rule = 'oracle' or a matrix) and "
        "basis 'pca'; Monte Carlo over label draws with --monte-carlo N otherwise (standard "
        "errors added). The spec's sample needs W_star and noise.",
        "divergence:expected_command", (SPEC, *table_format(), *draws(), *overrides()),
        _format_defaults()),
    Command(
        "derive", "print each term's per-mode closed form, derived by sympy",
        "Derive (with sympy, from the model's definitions) the per-mode closed forms of every "
        "term of K and print them. Symbols: s (eigenvalue s_i of XXᵀ), beta_T, lambda_T, "
        "beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, thetaQ2 = ‖Qθ_i‖², thetaP2 = "
        "‖(I−Q)θ_i‖² (expected), zQ2 = ‖Qz_i‖², zP2 = ‖(I−Q)z_i‖² (conditional); v(x) = x − 1 "
        "− log x.",
        "derive:derive_command", (
            OneOf((arg("--latex", action="store_true",
                       help="print LaTeX (one align* per term, forms shortened with a_i, b_i, "
                            "h_i, g_i, which it defines)"),
                   arg("--pretty", action="store_true", help="print 2-D unicode art"),
                   arg("--preamble", action="store_true",
                       help="print the LaTeX preamble every LaTeX output of lingauss compiles "
                            "with (packages and the \\vfun macro) and exit"))),
            *standalone("--latex"),
            OneOf((arg("--risk", action="store_true",
                       help="the per-mode excess risk of a filter, the generation step of a "
                            "chain and the one-step weight's coefficients (docs/model.md "
                            "§7-8)"),
                   arg("--chain", type=int, metavar="G", default=None,
                       help="the filter of generation G of a chain, unrolled"))),
            *per_mode(),
            arg("--flavour", default="expected",
                help="expected (over the label noise) or conditional (given the sample)"))),
    Command(
        "check", "run the verification suite (route pairs) on a spec or the default",
        "Compare independent routes on the problem: symbolic vs structured, generated code vs "
        "structured, structured vs dense kd-dimensional, double vs 50-digit mpmath, "
        "closed-form expectation vs Monte Carlo. Exit status 1 when any check fails.",
        "check:check_command", (
            arg("spec", metavar="SPEC", nargs="?", default=None,
                help="the TOML spec file (default: the embedded default problem)"),
            OneOf((arg("--quick", action="store_true",
                       help="the spec's own options, 200 Monte Carlo draws (default)"),
                   arg("--full", action="store_true",
                       help="every space, direction and soft-label mode; 2000 draws"))),
            *table_format()),
        _format_defaults()),
    Command(
        "check-formula", "is a per-mode formula of yours equal to the derived one?",
        f"Compare a per-mode formula (sympy syntax) with the derived term (`lingauss derive` "
        f"prints them). Names: {NAMES}; functions: v, log, log1p, exp, sqrt (v(x) = x - 1 - "
        f"log x). Verdict: equal (proved by sympy), not equal (with a counterexample; exit "
        f"status 1) or agrees numerically at N random points (not proved).",
        "check:check_formula_command", (
            arg("formula", metavar="EXPR", help="the candidate formula, e.g. "
                "'r/2*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))'"),
            arg("--term", required=True,
                help="variance, bias, bottleneck_mean, bottleneck_covariance, "
                     "rank_bottleneck, total or convexity_slack"),
            *per_mode(),
            arg("--regime", default="kept",
                help="kept (mode inside the width, default) or dropped"),
            arg("--flavour", default="expected", help="expected (default) or conditional"),
            arg("--points", type=int, default=20,
                help="random points compared (default 20, at most 10000)"),
            arg("--timeout", type=float, default=20.0,
                help="seconds for the whole check (evaluation and proof; default 20)"),
            arg("--json", action="store_true", help="print the verdict as JSON"))),
    Command(
        "demo", "the embedded default problem across ranks",
        "Run the embedded default problem: its decomposition at every rank.",
        "demo:demo_command", (
            arg("--print-spec", action="store_true",
                help="print the default spec (a valid spec file to copy) and exit"),
            arg("-o", "--output", metavar="DIR", default=None,
                help="also write a report (plots: terms vs rank, heatmap, frontier; "
                     "closed-form and sweep tables) into DIR"),
            *table_format()),
        {**_format_defaults(), "standalone_files": True}),
    Command(
        "design", "smallest student within a budget, Pareto frontier, best options",
        "Search every rank and width of the spec's student: the smallest rank, width and "
        "parameter count r(m + k) whose divergence is within the budget (absolute, or K <= "
        "(1 + F)·K_best with K_best the smallest on the grid), the size–divergence Pareto "
        "frontier, and optionally the best student hyper-parameters there.",
        "design:design_command", (
            SPEC,
            OneOf((arg("--budget", type=float, metavar="X", help="absolute budget on K (nats)"),
                   arg("--fraction", type=float, metavar="F",
                       help="relative budget: K <= (1 + F)·K_best (default 0.1)"))),
            arg("--optimize", metavar="LIST", default="",
                help="comma-separated student options to optimise at the smallest design: "
                     "beta, ridge, alpha, tau2"),
            arg("--generations", type=int, metavar="G", default=None,
                help="instead: how many generations (0..G) of the student, with jointly "
                     "optimal weights, minimise the risk, and what each costs in K (as "
                     "lingauss chain --up-to G)"),
            *table_format(), *overrides()),
        _format_defaults()),
    Command(
        "bounds", "the paper's generalisation bounds beside the exact gaps",
        "Exact fixed-design generalisation gaps of teacher and student and the bounds of "
        "derivations/bounds.md, with their slack, at every rank of the spec's width and of "
        "the full width and every soft-label mode, for the spec's divergence ([divergence] "
        "section). A violated bound is reported on stderr and the exit status is 1.",
        "bounds:bounds_command", (
            arg("spec", metavar="SPEC", help="the TOML spec file (needs W_star and noise)"),
            *table_format(default="md"),
            arg("--table", metavar="FMT", default=None, help="deprecated: use --format"),
            arg("--wide", action="store_true",
                help="one row per rank and one column per bound (default: one row per "
                     "bound)"),
            arg("--plot", metavar="FILE", default=None,
                help="also plot the bounds against the exact gap as the rank varies"),
            *draws(default=100), *overrides()),
        _format_defaults(default="md")),
    Command(
        "plot", "a figure of the spec's problem (png, pdf or svg)",
        "Plot the spec's problem. Kinds: " + ", ".join(PLOT_KINDS) + ". risk-vs-gamma "
        "(deterministic equivalents against γ = d/n, with Monte Carlo points) and gamma-width "
        "(Monte Carlo over γ × width/d, seed 0) need a spec with [data] random = true.",
        "plot:plot_command", (
            SPEC,
            arg("--kind", required=True, help="one of " + ", ".join(PLOT_KINDS)),
            arg("-o", "--output", required=True, metavar="FILE",
                help="output file: .png (300 dpi), .pdf or .svg (TrueType fonts)"),
            arg("--style", default="default", metavar="STYLE",
                help="sizes and fonts: default, paper (one column, 8 pt) or slides"),
            arg("--size", metavar="W,H", default=None,
                help="figure size in inches, e.g. 3.4,2.5 (instead of the style's)"),
            arg("--font-size", metavar="PT", default=None,
                help="font size in points (instead of the style's)"),
            arg("--xlim", metavar="LO,HI", default=None,
                help="x-axis limits in data units (a heat map keeps the cells within)"),
            arg("--ylim", metavar="LO,HI", default=None, help="y-axis limits"),
            arg("--no-title", action="store_true",
                help="draw no title (its text is printed, for the caption)"),
            *overrides())),
    Command(
        "chain", "a distillation chain: risk and K per generation, optimal weights, how many "
                 "generations",
        "For a spec with [[students]] tables (generation 1..G; a [student] spec is a one-step "
        "chain): each generation's weight alpha, its excess risk (fixed design, expected over "
        "the label noise: bias + variance) and its divergence K to the teacher and to the "
        "previous generation, on the spec's sample (which needs W_star and noise). --optimal "
        "uses the jointly optimal weights; --up-to G tabulates chains of 0..G copies of the "
        "last student with optimal weights and says how many generations minimise the risk "
        "(docs/model.md §7-8).",
        "chain:chain_command", (
            SPEC,
            arg("--estimator", default="mean",
                help="mean (the kernel's mean) or gibbs (a draw from it); default mean"),
            OneOf((arg("--optimal", action="store_true",
                       help="replace the students' alpha by the jointly optimal weights"),
                   arg("--up-to", type=int, metavar="G", default=None,
                       help="how many generations (0..G) of the last student minimise the "
                            "risk"))),
            *table_format(), *draws(), *overrides()),
        _format_defaults()),
    Command(
        "sweep", "every term over a grid of ranks, widths and ridges (tables or netCDF)",
        "Evaluate the spec's divergence exactly at every (rank, width[, ridge]) of the grid "
        "and print one row per grid point (pairs with rank > min(k, width) do not exist and "
        "are left out). GRID: a list 1,2,4 or, for ranks and widths, an inclusive range "
        "LO:HI[:STEP]. --format netcdf writes an xarray Dataset (needs -o FILE and pip "
        "install 'lingauss[data]'). With --gamma (a spec with [data] random = true) the grid "
        "is γ = d/n and each row holds the proportional regime's deterministic equivalents: "
        "the teacher's and the student's population risk and K/(kd).",
        "sweep:sweep_command", (
            SPEC,
            arg("--rank", metavar="GRID", default=None,
                help="student ranks (default 1..min(k, the smallest width))"),
            arg("--width", metavar="GRID", default=None,
                help="student widths (default the spec's)"),
            arg("--ridge", metavar="GRID", default=None,
                help="student ridges λ_S, e.g. 0.1,1,10 (default the spec's, no ridge axis)"),
            arg("--gamma", metavar="GRID", default=None,
                help="γ = d/n values, a list or LO:HI:COUNT log-spaced (a spec with [data] "
                     "random = true): the proportional regime's deterministic equivalents "
                     "of the risks and of K/(kd), ridges λ̄ = λ/(βn) held at the spec's n"),
            *table_format(formats=FORMATS),
            arg("-o", "--output", metavar="FILE", default=None,
                help="write to FILE instead of stdout (required with --format netcdf)"),
            *overrides()),
        _format_defaults(formats=FORMATS)),
    Command(
        "table", "closed-form, sweep, asymptotic or risk table",
        "closed-form: each term's per-mode formula and its value at the spec; sweep: every "
        "term across ranks; asymptotic: leading-order behaviour of each per-mode term (n → ∞, "
        "λ_S → 0, ν → 0, power law), by sympy; risk: the per-mode forms of the excess risk "
        "of a chain's generation and its value for the spec's last generation.",
        "table:table_command", (
            SPEC,
            arg("--kind", required=True, help="closed-form, sweep, asymptotic or risk"),
            *table_format(default="md"), *overrides()),
        _format_defaults(default="md")),
)

#: Command name → :class:`Command`.
BY_NAME = {command.name: command for command in COMMANDS}


def _add(target, a: Arg) -> None:
    target.add_argument(*a.flags, **a.kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lingauss`` (every subcommand; see ``lingauss --help``)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Linear-Gaussian calculator for the theory of knowledge distillation.",
        epilog="Exit status: 0 success, 1 a finding (a failed check, a violated bound, a "
               "formula not equal), 2 bad input, 3 an internal error, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    for a in COMMON:
        _add(common, a)
    for command in COMMANDS:
        p = sub.add_parser(command.name, parents=[common], help=command.help,
                           description=command.description)
        for a in command.args:
            if isinstance(a, OneOf):
                group = p.add_mutually_exclusive_group()
                for one in a.args:
                    _add(group, one)
            else:
                _add(p, a)
        p.set_defaults(run=f"{COMMANDS_PACKAGE}.{command.run}", **command.defaults)
    return parser
