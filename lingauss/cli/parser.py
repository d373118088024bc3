"""The argument parser: one subcommand per task, the same option names everywhere.

Every subcommand takes ``--max-memory SIZE`` and ``--quiet``; every command that prints a
table takes ``--format`` (``--json`` is short for ``--format json``); commands that read a
spec honour its ``[divergence]`` section, and ``--space``/``--direction`` override it.
"""

from __future__ import annotations

import argparse

from lingauss import __version__
from lingauss.model.options import DIRECTIONS, SOFT_LABELS, SPACES
from lingauss.plots.kinds import PLOT_KINDS

PROG = "lingauss"
#: Table formats on the command line (``text`` is an aligned plain table).
FORMATS = ("text", "md", "latex", "csv", "json")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--max-memory", metavar="SIZE", default=None,
                        help="refuse work estimated to need more memory than SIZE (e.g. 8G; "
                             "default: the memory available, or LINGAUSS_MAX_MEMORY)")
    common.add_argument("--quiet", action="store_true",
                        help="no progress bar on stderr (also LINGAUSS_QUIET=1)")
    return common


def _standalone(p, what="--format latex") -> None:
    p.add_argument("--standalone", action="store_true",
                   help=f"with {what}: a complete LaTeX document (default: a snippet that "
                        f"compiles with the preamble `lingauss derive --preamble` prints)")


def _format(p, default="text", formats=FORMATS) -> None:
    p.add_argument("--format", default=None, metavar="FMT",
                   help=f"output format: {', '.join(formats)} (default {default})")
    p.add_argument("--json", action="store_true", help="short for --format json")
    _standalone(p)
    p.set_defaults(default_format=default, formats=formats)


def _overrides(p) -> None:
    """``--space`` and ``--direction``, overriding the spec's ``[divergence]`` section."""
    p.add_argument("--space", metavar="S",
                   help=f"override [divergence] space: one of {', '.join(SPACES)}")
    p.add_argument("--direction", metavar="D",
                   help=f"override [divergence] direction: one of {', '.join(DIRECTIONS)}")


def _draws(p, default=None) -> None:
    p.add_argument("--monte-carlo", type=int, metavar="N", default=default,
                   help="label draws for the Monte Carlo parts"
                        + ("" if default is None else f" (default {default})"))
    p.add_argument("--seed", type=int, default=None, help="seed of the draws")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lingauss`` (every subcommand; see ``lingauss --help``)."""
    from lingauss.cli import chain_commands as CC
    from lingauss.cli import commands as C
    from lingauss.cli.data import sweep_command

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Linear-Gaussian calculator for the theory of knowledge distillation.",
        epilog="Exit status: 0 success, 1 a finding (a failed check, a violated bound, a "
               "formula not equal), 2 bad input, 3 an internal error, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_common()]

    p = sub.add_parser(
        "divergence", parents=common,
        help="the distillation divergence of a spec file and its terms",
        description="Evaluate K = bias + variance + rank_bottleneck for the problem in a "
                    "TOML spec file (see `lingauss demo --print-spec` for an example).")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    _format(p)
    _overrides(p)
    p.set_defaults(run=C.divergence_command)

    p = sub.add_parser(
        "expected", parents=common,
        help="the divergence expected over the label noise (closed form or Monte Carlo)",
        description="Average K and its terms over the label noise Y = W*X + noise*E at the "
                    "spec's inputs: a closed form for a fixed output projector (rank_rule = "
                    "'oracle' or a matrix) and basis 'pca'; Monte Carlo over label draws with "
                    "--monte-carlo N otherwise (standard errors added). The spec's sample needs "
                    "W_star and noise.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    _format(p)
    _draws(p)
    _overrides(p)
    p.set_defaults(run=C.expected_command)

    p = sub.add_parser(
        "derive", parents=common,
        help="print each term's per-mode closed form, derived by sympy",
        description="Derive (with sympy, from the model's definitions) the per-mode closed "
                    "forms of every term of K and print them. Symbols: s (eigenvalue s_i of "
                    "XXᵀ), beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, "
                    "thetaQ2 = ‖Qθ_i‖², thetaP2 = ‖(I−Q)θ_i‖² (expected), zQ2 = ‖Qz_i‖², "
                    "zP2 = ‖(I−Q)z_i‖² (conditional); v(x) = x − 1 − log x.")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true",
                     help="print LaTeX (one align* per term, forms shortened with a_i, b_i, "
                          "h_i, g_i, which it defines)")
    fmt.add_argument("--pretty", action="store_true", help="print 2-D unicode art")
    fmt.add_argument("--preamble", action="store_true",
                     help="print the LaTeX preamble every LaTeX output of lingauss compiles "
                          "with (packages and the \\vfun macro) and exit")
    _standalone(p, "--latex")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--risk", action="store_true",
                      help="the per-mode excess risk of a filter, the generation step of a "
                           "chain and the one-step weight's coefficients (docs/model.md §7-8)")
    what.add_argument("--chain", type=int, metavar="G", default=None,
                      help="the filter of generation G of a chain, unrolled")
    p.add_argument("--space", default="parameter", help=f"one of {', '.join(SPACES)}")
    p.add_argument("--soft-labels", default="mean", help=f"one of {', '.join(SOFT_LABELS)}")
    p.add_argument("--direction", default="forward", help=f"one of {', '.join(DIRECTIONS)}")
    p.add_argument("--flavour", default="expected",
                   help="expected (over the label noise) or conditional (given the sample)")
    p.set_defaults(run=C.derive_command)

    p = sub.add_parser(
        "check", parents=common,
        help="run the verification suite (route pairs) on a spec or the default",
        description="Compare independent routes on the problem: symbolic vs structured, "
                    "generated code vs structured, structured vs dense kd-dimensional, "
                    "double vs 50-digit mpmath, closed-form expectation vs Monte Carlo. "
                    "Exit status 1 when any check fails.")
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help="the TOML spec file (default: the embedded default problem)")
    level = p.add_mutually_exclusive_group()
    level.add_argument("--quick", action="store_true",
                       help="the spec's own options, 200 Monte Carlo draws (default)")
    level.add_argument("--full", action="store_true",
                       help="every space, direction and soft-label mode; 2000 draws")
    _format(p)
    p.set_defaults(run=C.check_command)

    names = "s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, thetaQ2, " \
            "thetaP2 (zQ2, zP2 with --flavour conditional)"
    p = sub.add_parser(
        "check-formula", parents=common,
        help="is a per-mode formula of yours equal to the derived one?",
        description=f"Compare a per-mode formula (sympy syntax) with the derived term "
                    f"(`lingauss derive` prints them). Names: {names}; functions: "
                    f"v, log, log1p, exp, sqrt (v(x) = x - 1 - log x). Verdict: equal "
                    f"(proved by sympy), not equal (with a counterexample; exit status 1) or "
                    f"agrees numerically at N random points (not proved).")
    p.add_argument("formula", metavar="EXPR", help="the candidate formula, e.g. "
                   "'r/2*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))'")
    p.add_argument("--term", required=True,
                   help="variance, bias, bottleneck_mean, bottleneck_covariance, "
                        "rank_bottleneck, total or convexity_slack")
    p.add_argument("--space", default="parameter", help=f"one of {', '.join(SPACES)}")
    p.add_argument("--soft-labels", default="mean", help=f"one of {', '.join(SOFT_LABELS)}")
    p.add_argument("--direction", default="forward", help=f"one of {', '.join(DIRECTIONS)}")
    p.add_argument("--regime", default="kept",
                   help="kept (mode inside the width, default) or dropped")
    p.add_argument("--flavour", default="expected", help="expected (default) or conditional")
    p.add_argument("--points", type=int, default=20,
                   help="random points compared (default 20, at most 10000)")
    p.add_argument("--timeout", type=float, default=20.0,
                   help="seconds for the whole check (evaluation and proof; default 20)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(run=C.check_formula_command)

    p = sub.add_parser(
        "demo", parents=common, help="the embedded default problem across ranks",
        description="Run the embedded default problem: its decomposition at every rank.")
    p.add_argument("--print-spec", action="store_true",
                   help="print the default spec (a valid spec file to copy) and exit")
    p.add_argument("-o", "--output", metavar="DIR", default=None,
                   help="also write a report (plots: terms vs rank, heatmap, frontier; "
                        "closed-form and sweep tables) into DIR")
    _format(p)
    p.set_defaults(standalone_files=True)
    p.set_defaults(run=C.demo_command)

    p = sub.add_parser(
        "design", parents=common,
        help="smallest student within a budget, Pareto frontier, best options",
        description="Search every rank and width of the spec's student: the smallest rank, "
                    "width and parameter count r(m + k) whose divergence is within the "
                    "budget (absolute, or K <= (1 + F)·K_best with K_best the smallest on the "
                    "grid), the size–divergence Pareto frontier, and optionally the best "
                    "student hyper-parameters there.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--budget", type=float, metavar="X", help="absolute budget on K (nats)")
    budget.add_argument("--fraction", type=float, metavar="F",
                        help="relative budget: K <= (1 + F)·K_best (default 0.1)")
    p.add_argument("--optimize", metavar="LIST", default="",
                   help="comma-separated student options to optimise at the smallest design: "
                        "beta, ridge, alpha, tau2")
    p.add_argument("--generations", type=int, metavar="G", default=None,
                   help="instead: how many generations (0..G) of the student, with jointly "
                        "optimal weights, minimise the risk, and what each costs in K "
                        "(as lingauss chain --up-to G)")
    _format(p)
    _overrides(p)
    p.set_defaults(run=C.design_command)

    p = sub.add_parser(
        "bounds", parents=common,
        help="the paper's generalisation bounds beside the exact gaps",
        description="Exact fixed-design generalisation gaps of teacher and student and the "
                    "bounds of derivations/bounds.md, with their slack, at every rank of the "
                    "spec's width and of the full width and every soft-label mode, for the "
                    "spec's divergence ([divergence] section). A violated bound is reported "
                    "on stderr and the exit status is 1.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file (needs W_star and noise)")
    _format(p, default="md")
    p.add_argument("--table", metavar="FMT", default=None,
                   help="deprecated: use --format")
    p.add_argument("--wide", action="store_true",
                   help="one row per rank and one column per bound (default: one row per "
                        "bound)")
    p.add_argument("--plot", metavar="FILE", default=None,
                   help="also plot the bounds against the exact gap as the rank varies")
    _draws(p, default=100)
    _overrides(p)
    p.set_defaults(run=C.bounds_command)

    p = sub.add_parser(
        "plot", parents=common, help="a figure of the spec's problem (png, pdf or svg)",
        description="Plot the spec's problem. Kinds: " + ", ".join(PLOT_KINDS) + ". "
                    "risk-vs-gamma (deterministic equivalents against γ = d/n, with Monte "
                    "Carlo points) and gamma-width (Monte Carlo over γ × width/d, seed 0) "
                    "need a spec with [data] random = true.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--kind", required=True, help="one of " + ", ".join(PLOT_KINDS))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file: .png (300 dpi), .pdf or .svg (TrueType fonts)")
    p.add_argument("--style", default="default", metavar="STYLE",
                   help="sizes and fonts: default, paper (one column, 8 pt) or slides")
    p.add_argument("--size", metavar="W,H", default=None,
                   help="figure size in inches, e.g. 3.4,2.5 (instead of the style's)")
    p.add_argument("--font-size", metavar="PT", default=None,
                   help="font size in points (instead of the style's)")
    p.add_argument("--xlim", metavar="LO,HI", default=None,
                   help="x-axis limits in data units (a heat map keeps the cells within)")
    p.add_argument("--ylim", metavar="LO,HI", default=None, help="y-axis limits")
    p.add_argument("--no-title", action="store_true",
                   help="draw no title (its text is printed, for the caption)")
    _overrides(p)
    p.set_defaults(run=C.plot_command)

    p = sub.add_parser(
        "chain", parents=common,
        help="a distillation chain: risk and K per generation, optimal weights, how many "
             "generations",
        description="For a spec with [[students]] tables (generation 1..G; a [student] spec is "
                    "a one-step chain): each generation's weight alpha, its excess risk "
                    "(fixed design, expected over the label noise: bias + variance) and its "
                    "divergence K to the teacher and to the previous generation, on the "
                    "spec's sample (which needs W_star and noise). --optimal uses the jointly "
                    "optimal weights; --up-to G tabulates chains of 0..G copies of the last "
                    "student with optimal weights and says how many generations minimise the "
                    "risk (docs/model.md §7-8).")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--estimator", default="mean",
                   help="mean (the kernel's mean) or gibbs (a draw from it); default mean")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--optimal", action="store_true",
                     help="replace the students' alpha by the jointly optimal weights")
    how.add_argument("--up-to", type=int, metavar="G", default=None,
                     help="how many generations (0..G) of the last student minimise the risk")
    _format(p)
    _draws(p)
    _overrides(p)
    p.set_defaults(run=CC.chain_command)

    p = sub.add_parser(
        "sweep", parents=common,
        help="every term over a grid of ranks, widths and ridges (tables or netCDF)",
        description="Evaluate the spec's divergence exactly at every (rank, width[, ridge]) of "
                    "the grid and print one row per grid point (pairs with rank > min(k, "
                    "width) do not exist and are left out). GRID: a list 1,2,4 or, for ranks "
                    "and widths, an inclusive range LO:HI[:STEP]. --format netcdf writes an "
                    "xarray Dataset (needs -o FILE and pip install 'lingauss[data]'). With "
                    "--gamma (a spec with [data] random = true) the grid is γ = d/n and each "
                    "row holds the proportional regime's deterministic equivalents: the "
                    "teacher's and the student's population risk and K/(kd).")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--rank", metavar="GRID", default=None,
                   help="student ranks (default 1..min(k, the smallest width))")
    p.add_argument("--width", metavar="GRID", default=None,
                   help="student widths (default the spec's)")
    p.add_argument("--ridge", metavar="GRID", default=None,
                   help="student ridges λ_S, e.g. 0.1,1,10 (default the spec's, no ridge axis)")
    p.add_argument("--gamma", metavar="GRID", default=None,
                   help="γ = d/n values, a list or LO:HI:COUNT log-spaced (a spec with [data] "
                        "random = true): the proportional regime's deterministic equivalents "
                        "of the risks and of K/(kd), ridges λ̄ = λ/(βn) held at the spec's n")
    _format(p, formats=FORMATS + ("netcdf",))
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write to FILE instead of stdout (required with --format netcdf)")
    _overrides(p)
    p.set_defaults(run=sweep_command)

    p = sub.add_parser(
        "table", parents=common, help="closed-form, sweep, asymptotic or risk table",
        description="closed-form: each term's per-mode formula and its value at the spec; "
                    "sweep: every term across ranks; asymptotic: leading-order behaviour of "
                    "each per-mode term (n → ∞, λ_S → 0, ν → 0, power law), by sympy; risk: "
                    "the per-mode forms of the excess risk of a chain's generation and its "
                    "value for the spec's last generation.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--kind", required=True, help="closed-form, sweep, asymptotic or risk")
    _format(p, default="md")
    _overrides(p)
    p.set_defaults(run=C.table_command)
    return parser
