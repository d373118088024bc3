"""The command-line interface: ``lingauss divergence | expected | derive | demo``.

Usage::

    lingauss divergence SPEC [--json] [--space S] [--direction D]
    lingauss expected SPEC [--json] [--monte-carlo N] [--seed SEED] [--space S] [--direction D]
    lingauss derive [--latex | --pretty] [--space S] [--soft-labels L] [--direction D]
                    [--flavour F]
    lingauss check [SPEC] [--quick | --full] [--json]          # exit 1 when a check fails
    lingauss check-formula EXPR --term TERM [--space S] [--soft-labels L] [--direction D]
                           [--regime R] [--flavour F] [--json]   # exit 1 when not equal
    lingauss design SPEC [--budget X | --fraction F] [--optimize beta,ridge,alpha,tau2] [--json]
    lingauss bounds SPEC [--json] [--table md|latex|csv] [--plot FILE]   # exit 1 if violated
    lingauss plot SPEC --kind KIND -o FILE
    lingauss table SPEC --kind {closed-form,sweep,asymptotic} [--format {md,latex,csv}]
    lingauss demo [--print-spec] [-o DIR]
    python -m lingauss ...                      # the same

Bad input (a :class:`~lingauss.LingaussError` or an unreadable file) prints one line
``lingauss: error: <message>`` on stderr and exits with status 2; nothing is written to stdout
(each command writes into a buffer that is flushed only on success).  Usage errors exit with
status 2 as well (argparse).

The demo is a sequence of steps (:data:`DEMO_STEPS`) sharing a :class:`DemoContext`; a new
step (a plot, a table written to ``-o DIR``) is one more function in that tuple.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO

import numpy as np

from . import __version__
from ._validation import LingaussError, check_int, check_option
from .divergence import TERMS, Decomposition, divergence
from .model import DIRECTIONS, SOFT_LABELS, SPACES
from .numeric import expected_divergence
from .spec import Spec, default_spec, default_spec_text, load_spec

PROG = "lingauss"


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------

def resolved_width_rank(spec: Spec) -> tuple[int, int]:
    """The width ``m`` and rank ``r`` the divergence uses (defaults ``d`` and ``min(k, m)``).

    >>> resolved_width_rank(default_spec())
    (16, 8)
    """
    return spec.student.resolve(spec.sample.d, spec.sample.k)


def problem_line(spec: Spec, *, rank: str | None = None) -> str:
    """One line naming the problem: sizes, width, rank, space and direction.

    ``rank`` replaces the spec's (resolved) rank in the line, e.g. ``"1..8"`` for a sweep.

    >>> print(problem_line(default_spec()))
    <default spec>: d=32 k=8 n=64 width=16 rank=8 space=parameter direction=forward
    """
    s = spec.sample
    m, r = resolved_width_rank(spec)
    r = r if rank is None else rank
    source = "<default spec>" if spec.path is None else str(spec.path)
    return (f"{source}: d={s.d} k={s.k} n={s.n} width={m} rank={r} "
            f"space={spec.space} direction={spec.direction}")


def format_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A plain aligned text table: text left-aligned, numbers right-aligned (``.6g``).

    >>> print(format_table(("term", "value"), [("total", 1.5), ("bias", 0.25)]))
    term   value
    -----  -----
    total    1.5
    bias    0.25
    """
    def cell(value):
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        return "" if value is None else f"{value:.6g}"

    cells = [[cell(v) for v in row] for row in rows]
    numeric = [not all(isinstance(row[j], str) for row in rows) for j in range(len(header))]
    widths = [max([len(header[j])] + [len(row[j]) for row in cells]) for j in range(len(header))]

    def line(values):
        parts = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])]
                     + [line(row) for row in cells])


def decomposition_table(dec: Decomposition) -> str:
    """The terms of a decomposition, one per row (a std. error column when present)."""
    values = dec.as_dict()
    names = [name for name in TERMS if name in values]
    if dec.stderr:
        rows = [(name, values[name], dec.stderr.get(name)) for name in names]
        return format_table(("term", "value", "std. error"), rows)
    return format_table(("term", "value"), [(name, values[name]) for name in names])


# --------------------------------------------------------------------------------------------
# Commands: each writes to ``out`` and raises LingaussError on bad input
# --------------------------------------------------------------------------------------------

def _cmd_divergence(args: argparse.Namespace, out: TextIO) -> None:
    spec = _spec_with_overrides(args)
    dec = divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                     direction=spec.direction)
    if args.json:
        out.write(json.dumps(dec.as_dict()) + "\n")
        return
    out.write(problem_line(spec) + "\n")
    out.write(decomposition_table(dec) + "\n")


def _spec_with_overrides(args: argparse.Namespace) -> Spec:
    spec = load_spec(args.spec)
    changes = {}
    if args.space is not None:
        changes["space"] = check_option(args.space, "--space", SPACES)
    if args.direction is not None:
        changes["direction"] = check_option(args.direction, "--direction", DIRECTIONS)
    return spec.replace(**changes)


def _cmd_expected(args: argparse.Namespace, out: TextIO) -> None:
    spec = _spec_with_overrides(args)
    try:
        dec = expected_divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                                  direction=spec.direction, monte_carlo=args.monte_carlo,
                                  seed=args.seed)
    except LingaussError as exc:   # speak in options, not keyword arguments
        raise LingaussError(str(exc).replace("monte_carlo=N", "--monte-carlo N")
                            .replace("monte_carlo", "--monte-carlo")) from None
    if args.json:
        out.write(json.dumps(dec.as_dict()) + "\n")
        return
    how = (f"Monte Carlo over {args.monte_carlo} label draws (seed {args.seed})"
           if args.monte_carlo else "closed form")
    out.write(problem_line(spec) + "\n")
    out.write(f"expected over the label noise: {how}\n")
    out.write(decomposition_table(dec) + "\n")


def _cmd_derive(args: argparse.Namespace, out: TextIO) -> None:
    from . import symbolic    # sympy is imported only by this command

    space = check_option(args.space, "--space", SPACES)
    soft = check_option(args.soft_labels, "--soft-labels", SOFT_LABELS)
    direction = check_option(args.direction, "--direction", DIRECTIONS)
    flavour = check_option(args.flavour, "--flavour", symbolic.FLAVOURS)
    forms = symbolic.derive(space, soft, direction, flavour)
    if args.latex:
        show = symbolic.latex
    elif args.pretty:
        import sympy

        def show(expr):
            return "\n" + sympy.pretty(expr, use_unicode=True)
    else:
        show = str
    out.write(f"# per-mode terms: space={space} soft_labels={soft} direction={direction} "
              f"flavour={flavour}\n")
    out.write("# K = Σ_{i<=m} kept_i + Σ_{i>m} dropped_i  (modes i of XXᵀ, m = width)\n")
    used = set().union(*(e.free_symbols for f in forms.values() for e in f.values()))
    for name, doc in symbolic.SYMBOL_DOCS.items():
        if getattr(symbolic, name) in used:
            out.write(f"#   {name}: {doc}\n")
    for regime, terms in forms.items():
        for name, expr in terms.items():
            out.write(f"{name}[{regime}] = {show(expr)}\n")


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from .check import table, verify

    spec = default_spec() if args.spec is None else load_spec(args.spec)
    rows = verify(spec, level="full" if args.full else "quick")
    failed = [row for row in rows if row.status == "fail"]
    if args.json:
        out.write(json.dumps([row.as_dict() for row in rows]) + "\n")
    else:
        out.write(problem_line(spec) + "\n")
        out.write(format_table(("route pair", "case", "largest discrepancy", "tolerance",
                                "status", "detail"), table(rows)) + "\n")
        counts = {s: sum(row.status == s for row in rows) for s in ("pass", "fail", "skipped")}
        out.write(f"{counts['pass']} passed, {counts['fail']} failed, "
                  f"{counts['skipped']} skipped\n")
    return 1 if failed else 0


def _cmd_check_formula(args: argparse.Namespace, out: TextIO) -> int:
    from .check import check_formula

    result = check_formula(args.formula, term=args.term, space=args.space,
                           soft_labels=args.soft_labels, direction=args.direction,
                           regime=args.regime, flavour=args.flavour, points=args.points)
    if args.json:
        out.write(json.dumps(dict(verdict=result.verdict, message=result.message,
                                  points=result.points,
                                  counterexample=result.counterexample), default=str) + "\n")
    else:
        out.write(result.message + "\n")
    return 1 if result.verdict == "not equal" else 0


def _cmd_design(args: argparse.Namespace, out: TextIO) -> None:
    from .design import HYPERPARAMETERS, best_hyperparameters, recommend, tune

    spec = load_spec(args.spec)
    optimize = tuple(x.strip() for x in args.optimize.split(",") if x.strip()) \
        if args.optimize else ()
    for name in optimize:
        check_option(name, "--optimize", HYPERPARAMETERS)
    rec = recommend(spec, budget=args.budget, fraction=args.fraction)
    best = rec.smallest_parameters
    opt = None
    if optimize and best is not None:
        opt = best_hyperparameters(spec, rank=best.rank, width=best.width,
                                   optimize_over=optimize)
    if args.json:
        m, _ = resolved_width_rank(spec)
        per_rank = [dict(rank=r, width=w, **o.as_dict())
                    for r, w, o in tune(spec, widths=[m], optimize_over=optimize)] \
            if optimize else []
        out.write(json.dumps(dict(recommendation=rec.as_dict(),
                                  optimum=None if opt is None else opt.as_dict(),
                                  per_rank=per_rank)) + "\n")
        return
    out.write(problem_line(spec) + "\n")
    out.write(f"budget: K <= {rec.budget:.6g} nats (full-size student: K = "
              f"{rec.full.divergence:.6g} at width {rec.full.width}, rank {rec.full.rank})\n")
    rows = []
    for label, c in (("smallest rank (full width)", rec.smallest_rank),
                     ("smallest width (rank min(k, m))", rec.smallest_width),
                     ("smallest parameter count r(m + k)", rec.smallest_parameters)):
        rows.append((label,) + (("none within budget", "", "", "") if c is None else
                                (c.rank, c.width, c.parameters, c.divergence)))
    out.write(format_table(("design", "rank", "width", "parameters", "K"), rows) + "\n")
    out.write(f"Pareto frontier: {len(rec.frontier)} of {len(rec.candidates)} sizes "
              f"(rank, width, parameters, K): " + "; ".join(
                  f"({c.rank}, {c.width}, {c.parameters}, {c.divergence:.4g})"
                  for c in rec.frontier) + "\n")
    if optimize:
        # the best options at every rank of the spec's width (and at the smallest design)
        m, _ = resolved_width_rank(spec)
        rows = []
        for r, w, o in tune(spec, widths=[m], optimize_over=optimize):
            rows.append((r, w) + tuple(o.values[n] for n in optimize)
                        + (o.start.total, o.divergence.total))
        out.write(f"best {', '.join(optimize)} per rank at width {m} ("
                  + ", ".join(f"{n}: {how}" for n, how in
                              (opt.method if opt else tune(spec, ranks=[1], widths=[m],
                                                           optimize_over=optimize)[0][2]
                               .method).items()) + "):\n")
        out.write(format_table(("rank", "width") + optimize + ("K at the spec", "K at best"),
                               rows) + "\n")
        if opt is not None:
            out.write(f"at the smallest design (rank {best.rank}, width {best.width}): "
                      + ", ".join(f"{k} = {v:.6g}" for k, v in opt.values.items())
                      + f"; K = {opt.divergence.total:.6g} (from {opt.start.total:.6g})\n")
        else:
            out.write("no design within the budget: no smallest design to tune\n")


PLOT_KINDS = ("terms-vs-rank", "terms-vs-width", "heatmap", "heatmap-ridge", "frontier",
              "sample-size", "soft-labels")


def plot_figure(spec: Spec, kind: str):
    """The figure of one plot kind for a spec (see ``lingauss plot --help``)."""
    from . import plots
    from .design import explore, recommend

    check_option(kind, "--kind", PLOT_KINDS)
    d, k = spec.sample.d, spec.sample.k
    m, r = resolved_width_rank(spec)
    if kind == "terms-vs-rank":
        return plots.terms_plot(explore(spec, ranks=range(1, min(k, m) + 1), widths=[m]),
                                "rank")
    if kind == "terms-vs-width":
        widths = np.unique(np.linspace(r, d, min(d - r + 1, 24)).astype(int))
        return plots.terms_plot(explore(spec, ranks=[r], widths=widths), "width")
    if kind in ("heatmap", "heatmap-ridge"):
        ranks = range(1, min(k, m) + 1)
        if kind == "heatmap":
            widths = np.unique(np.linspace(min(k, d), d, min(d - min(k, d) + 1, 12))
                               .astype(int))
            return plots.heatmap(explore(spec, ranks=range(1, min(k, d) + 1),
                                         widths=widths), "width", "rank")
        ridges = spec.student.ridge * np.geomspace(1e-2, 1e2, 9)
        return plots.heatmap(explore(spec, ranks=ranks, widths=[m], ridges=ridges),
                             "ridge", "rank")
    if kind == "frontier":
        rec = recommend(spec, widths=np.unique(np.linspace(1, d, min(d, 16)).astype(int)))
        cands = rec.candidates
        best = rec.smallest_parameters
        return plots.frontier_plot(
            [c.parameters for c in cands], [c.divergence for c in cands],
            recommended=None if best is None else cands.index(best), budget=rec.budget)
    if kind == "sample-size":
        from .model import SpectralDesign
        from .numeric import spectral
        from .sweep import sweep

        if spec.sample.W_star is None or spec.sample.noise is None:
            raise LingaussError("--kind sample-size needs a sample with W_star and noise "
                                "(a population design is built from its spectrum).")
        sp = spectral(spec.sample)
        design = SpectralDesign(sp.s / spec.sample.n, sp.theta, sp.noise, k, n=1)
        student = spec.student.replace(rank_rule="oracle", basis="pca", rank=r, width=m)
        n = spec.sample.n
        return plots.sample_size_plot(sweep(spec.teacher, student, design,
                                            space=spec.space, direction=spec.direction,
                                            n=np.unique(np.geomspace(max(1, n // 16), 64 * n,
                                                                     13).astype(int))))
    sweeps = {}
    for soft in ("mean", "sampled"):
        sub = spec.replace(student=spec.student.replace(soft_labels=soft, soft_label_noise=0.0))
        sweeps[soft] = explore(sub, ranks=range(1, min(k, m) + 1), widths=[m])
    return plots.soft_labels_plot(sweeps, "rank")


def _cmd_plot(args: argparse.Namespace, out: TextIO) -> None:
    from . import plots

    check_option(args.kind, "--kind", PLOT_KINDS)
    plots.check_output_path(args.output)          # before any work: bad paths write nothing
    spec = load_spec(args.spec)
    fig = plot_figure(spec, args.kind)
    plots.save(fig, args.output)
    out.write(f"wrote {args.output}\n")


def _cmd_table(args: argparse.Namespace, out: TextIO) -> None:
    from .tables import FORMATS, KINDS, table

    check_option(args.kind, "--kind", KINDS)
    check_option(args.format, "--format", FORMATS)
    spec = load_spec(args.spec)
    out.write(table(spec, args.kind, args.format).rstrip("\n") + "\n")


def bounds_rows(spec: Spec, *, monte_carlo: int = 100, seed: int = 0) -> list:
    """:func:`lingauss.bounds.bounds_over_ranks` for the spec (its ``[divergence]`` section)."""
    from .bounds import bounds_over_ranks

    return bounds_over_ranks(spec.teacher, spec.student, spec.sample, monte_carlo=monte_carlo,
                             seed=seed, space=spec.space, direction=spec.direction)


def _cmd_bounds(args: argparse.Namespace, out: TextIO) -> int:
    from . import plots
    from .tables import FORMATS, render

    if args.table is not None:
        check_option(args.table, "--table", FORMATS)
    if args.plot is not None:
        plots.check_output_path(args.plot)
    monte_carlo = check_int(args.monte_carlo, "--monte-carlo", low=2)
    spec = load_spec(args.spec)
    results = bounds_rows(spec, monte_carlo=monte_carlo, seed=args.seed)
    header = ("soft_labels", "width", "rank", "bound", "side", "value", "exact Δ", "slack",
              "violated")
    rows = [(soft, w, r, row.name, row.side, f"{row.bound:.6g}", f"{row.exact:.6g}",
             f"{row.slack:.6g}", "VIOLATED" if row.violated else "no")
            for soft, w, r, tb in results for row in tb.rows]
    violated = [row for row in rows if row[-1] == "VIOLATED"]
    if args.plot is not None:
        m, _ = resolved_width_rank(spec)
        mine = [(r, tb) for soft, w, r, tb in results
                if soft == spec.student.soft_labels and w == m]
        names = [row.name for row in mine[0][1].rows]
        fig = plots.bounds_plot([r for r, _ in mine], [tb.gaps.difference for _, tb in mine],
                                {n: (mine[0][1][n].side, [tb[n].bound for _, tb in mine])
                                 for n in names})
        plots.save(fig, args.plot)
    if args.json:
        out.write(json.dumps([dict(zip(header, row)) for row in rows]) + "\n")
    else:
        out.write(problem_line(spec, rank="1..") + "\n")
        out.write(render(header, rows, args.table or "md") + "\n")
        if args.plot is not None:
            out.write(f"wrote {args.plot}\n")
    if violated:
        print(f"{PROG}: WARNING: {len(violated)} bound(s) VIOLATED — an error in a bound or "
              f"in the code: " + "; ".join(f"{v[3]} at soft_labels={v[0]}, width={v[1]}, "
                                             f"rank={v[2]}" for v in violated),
              file=sys.stderr)
        return 1
    return 0


@dataclass
class DemoContext:
    """What the demo steps share: the spec, the output stream and the results so far."""

    spec: Spec
    out: TextIO
    results: dict = field(default_factory=dict)
    folder: object = None        # pathlib.Path of -o DIR, or None


def demo_rank_sweep(ctx: DemoContext) -> None:
    """The decomposition at every rank ``1..min(k, width)``; stored as ``results["ranks"]``."""
    spec = ctx.spec
    m, _ = resolved_width_rank(spec)
    ranks = range(1, min(spec.sample.k, m) + 1)
    sweep = [(r, divergence(spec.teacher, spec.student.replace(rank=r), spec.sample,
                            space=spec.space, direction=spec.direction)) for r in ranks]
    ctx.results["ranks"] = sweep
    columns = ("total", "bias", "variance", "rank_bottleneck", "rank_floor")
    rows = [(r,) + tuple(getattr(dec, name) for name in columns) for r, dec in sweep]
    ctx.out.write(problem_line(spec, rank=f"{ranks[0]}..{ranks[-1]}") + "\n")
    ctx.out.write(format_table(("rank",) + columns, rows) + "\n")




def demo_report(ctx: DemoContext) -> None:
    """With ``-o DIR``: plots and tables of the default problem, written into ``DIR``."""
    if ctx.folder is None:
        return
    from . import plots
    from .tables import closed_form_table, sweep_table

    files = {}
    for kind in ("terms-vs-rank", "heatmap", "frontier"):
        files[f"{kind}.png"] = plot_figure(ctx.spec, kind)
    texts = {"closed-form.md": closed_form_table(ctx.spec, "md"),
             "closed-form.tex": closed_form_table(ctx.spec, "latex"),
             "sweep.md": sweep_table(ctx.spec, "md"),
             "sweep.csv": sweep_table(ctx.spec, "csv")}
    ctx.folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in files.items():
        plots.save(fig, ctx.folder / name)
        written.append(ctx.folder / name)
    for name, text in texts.items():
        (ctx.folder / name).write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        written.append(ctx.folder / name)
    ctx.out.write(f"report written to {ctx.folder}:\n")
    for path in written:
        ctx.out.write(f"  {path}\n")


# The demo, in order. Each step takes the DemoContext; add steps here.
DEMO_STEPS: tuple[Callable[[DemoContext], None], ...] = (demo_rank_sweep, demo_report)


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> None:
    if args.print_spec:
        out.write(default_spec_text())
        return
    folder = None
    if args.output is not None:
        import pathlib

        folder = pathlib.Path(args.output)
        if folder.exists() and not folder.is_dir():
            raise LingaussError(f"-o {args.output}: exists and is not a folder.")
        if not folder.parent.exists():
            raise LingaussError(f"-o {args.output}: the parent folder {folder.parent} "
                                f"does not exist.")
    ctx = DemoContext(spec=default_spec(), out=out, folder=folder)
    for step in DEMO_STEPS:
        step(ctx)


# --------------------------------------------------------------------------------------------
# Parser and entry point
# --------------------------------------------------------------------------------------------

def _add_overrides(p: argparse.ArgumentParser) -> None:
    """``--space`` and ``--direction``, overriding the spec's ``[divergence]`` section."""
    p.add_argument("--space", metavar="S",
                   help=f"override [divergence] space: one of {', '.join(SPACES)}")
    p.add_argument("--direction", metavar="D",
                   help=f"override [divergence] direction: one of {', '.join(DIRECTIONS)}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands ``divergence``, ``expected``, ``derive``, ``demo``)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Linear-Gaussian calculator for the theory of knowledge distillation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "divergence", help="the distillation divergence of a spec file and its terms",
        description="Evaluate K = bias + variance + rank_bottleneck for the problem in a "
                    "TOML spec file (see `lingauss demo --print-spec` for an example).")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {term: value} instead of a table")
    _add_overrides(p)
    p.set_defaults(run=_cmd_divergence)

    p = commands.add_parser(
        "expected", help="the divergence expected over the label noise (closed form or MC)",
        description="Average K and its terms over the label noise Y = W*X + noise*E at the "
                    "spec's inputs: a closed form for a fixed output projector (rank_rule = "
                    "'oracle' or a matrix) and basis 'pca'; Monte Carlo over label draws with "
                    "--monte-carlo N otherwise (standard errors added). The spec's sample needs "
                    "W_star and noise.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object {term: value, stderr_term: ...}")
    p.add_argument("--monte-carlo", type=int, metavar="N", default=None,
                   help="average the exact divergence over N label draws")
    p.add_argument("--seed", type=int, default=None, help="seed of the label draws")
    _add_overrides(p)
    p.set_defaults(run=_cmd_expected)

    p = commands.add_parser(
        "derive", help="print each term's per-mode closed form, derived by sympy",
        description="Derive (with sympy, from the model's definitions) the per-mode closed "
                    "forms of every term of K and print them. Symbols: s (eigenvalue s_i of "
                    "XXᵀ), beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, "
                    "thetaQ2 = ‖Qθ_i‖², thetaP2 = ‖(I−Q)θ_i‖² (expected), zQ2 = ‖Qz_i‖², "
                    "zP2 = ‖(I−Q)z_i‖² (conditional); v(x) = x − 1 − log x.")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print LaTeX")
    fmt.add_argument("--pretty", action="store_true", help="print 2-D unicode art")
    p.add_argument("--space", default="parameter", help=f"one of {', '.join(SPACES)}")
    p.add_argument("--soft-labels", default="mean", help=f"one of {', '.join(SOFT_LABELS)}")
    p.add_argument("--direction", default="forward", help=f"one of {', '.join(DIRECTIONS)}")
    p.add_argument("--flavour", default="expected",
                   help="expected (over the label noise) or conditional (given the sample)")
    p.set_defaults(run=_cmd_derive)

    p = commands.add_parser(
        "check", help="run the verification suite (route pairs) on a spec or the default",
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
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    p.set_defaults(run=_cmd_check)

    from .check import FORMULA_FUNCTIONS
    names = "s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, thetaQ2, " \
            "thetaP2 (zQ2, zP2 with --flavour conditional)"
    p = commands.add_parser(
        "check-formula", help="is a per-mode formula of yours equal to the derived one?",
        description=f"Compare a per-mode formula (sympy syntax) with the derived term "
                    f"(`lingauss derive` prints them). Names: {names}; functions: "
                    f"{', '.join(FORMULA_FUNCTIONS)} (v(x) = x - 1 - log x). Verdict: equal "
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
    p.add_argument("--points", type=int, default=20, help="random points compared (20)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(run=_cmd_check_formula)

    p = commands.add_parser(
        "demo", help="the embedded default problem across ranks",
        description="Run the embedded default problem: its decomposition at every rank.")
    p.add_argument("--print-spec", action="store_true",
                   help="print the default spec (a valid spec file to copy) and exit")
    p.add_argument("-o", "--output", metavar="DIR", default=None,
                   help="also write a report (plots: terms vs rank, heatmap, frontier; "
                        "closed-form and sweep tables) into DIR")
    p.set_defaults(run=_cmd_demo)

    p = commands.add_parser(
        "design", help="smallest student within a budget, Pareto frontier, best options",
        description="Search every rank and width of the spec's student: the smallest rank, "
                    "width and parameter count r(m + k) whose divergence is within the "
                    "budget (absolute, or K <= (1 + F)·K_full), the size–divergence Pareto "
                    "frontier, and optionally the best student hyper-parameters there.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--budget", type=float, metavar="X", help="absolute budget on K (nats)")
    budget.add_argument("--fraction", type=float, metavar="F",
                        help="relative budget: K <= (1 + F)·K_full (default 0.1)")
    p.add_argument("--optimize", metavar="LIST", default="",
                   help="comma-separated student options to optimise at the smallest design: "
                        "beta, ridge, alpha, tau2")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_design)

    p = commands.add_parser(
        "bounds", help="the paper's generalisation bounds beside the exact gaps",
        description="Exact fixed-design generalisation gaps of teacher and student and the "
                    "bounds of derivations/bounds.md (sub-Gaussian and exact-CGF "
                    "Donsker–Varadhan, central-condition lower bound, sharpness), with their "
                    "slack, at every rank of the spec's width and every soft-label mode. A "
                    "violated bound is reported on stderr and the exit status is 1.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file (needs W_star and noise)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--table", metavar="FMT", default=None, help="md (default), latex or csv")
    p.add_argument("--plot", metavar="FILE", default=None,
                   help="also plot the bounds against the exact gap as the rank varies")
    p.add_argument("--monte-carlo", type=int, default=100, metavar="N",
                   help="label draws for the Monte Carlo parts (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws")
    p.set_defaults(run=_cmd_bounds)

    p = commands.add_parser(
        "plot", help="a figure of the spec's problem (png, pdf or svg)",
        description="Plot the spec's problem. Kinds: " + ", ".join(PLOT_KINDS) + ".")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--kind", required=True, help="one of " + ", ".join(PLOT_KINDS))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file: .png, .pdf or .svg")
    p.set_defaults(run=_cmd_plot)

    p = commands.add_parser(
        "table", help="closed-form, sweep or asymptotic table (md, latex, csv)",
        description="closed-form: each term's per-mode formula and its value at the spec; "
                    "sweep: every term across ranks; asymptotic: leading-order behaviour of "
                    "each per-mode term (n → ∞, λ_S → 0, ν → 0, power law), by sympy.")
    p.add_argument("spec", metavar="SPEC", help="the TOML spec file")
    p.add_argument("--kind", required=True, help="closed-form, sweep or asymptotic")
    p.add_argument("--format", default="md", help="md (default), latex or csv")
    p.set_defaults(run=_cmd_table)
    return parser


def _error_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        message = str(exc)
    return f"{PROG}: error: " + " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 on bad input).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Examples
    --------
    >>> main(["demo", "--print-spec"])        # doctest: +ELLIPSIS
    # The default lingauss problem: ...
    [data]
    ...
    0
    >>> main(["divergence", "no-such-spec.toml"])   # one line on stderr
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:           # usage error (2), --help or --version (0)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    out = io.StringIO()
    try:
        status = args.run(args, out) or 0
    except (LingaussError, OSError) as exc:
        print(_error_line(exc), file=sys.stderr)
        return 2
    sys.stdout.write(out.getvalue())
    sys.stdout.flush()
    return status
