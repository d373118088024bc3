"""The commands: each parses its options, calls the library and prints (no domain logic).

A command takes the parsed arguments and a :class:`lingauss.cli.app.Context`, writes text
to ``ctx`` and registers files with ``ctx.files``; it returns 1 for a finding (or None).
Bad input raises :class:`lingauss.LingaussError`.
"""

from __future__ import annotations

import json
import sys
import warnings

from lingauss._core.validation import LingaussError, check_int, check_option
from lingauss.averages.labels import expected_divergence
from lingauss.cli.options import latex_out, output_format, plot_options, problem_line, spec_of
from lingauss.cli.parser import PROG
from lingauss.engine.divergence import divergence
from lingauss.io.spec import default_spec, default_spec_text, load_spec
from lingauss.model.options import DIRECTIONS, SOFT_LABELS, SPACES
from lingauss.model.results import TERMS, Decomposition
from lingauss.report.captions import problem_caption
from lingauss.report.render import render

# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

def decomposition_rows(dec: Decomposition) -> tuple:
    """``(header, rows)``: one row per term, with a std. error column when present."""
    values = dec.as_dict()
    names = [name for name in TERMS if name in values]
    if dec.stderr:
        return ("term", "value", "stderr"), [(n, values[n], dec.stderr.get(n)) for n in names]
    return ("term", "value"), [(n, values[n]) for n in names]


def print_table(ctx, fmt, header, rows, *, head: str | None = None,
                caption: str | None = None, label: str = "tab:lingauss", args=None) -> None:
    """A table in ``fmt``; ``head`` (the problem line) is printed above text tables only;
    ``caption`` and ``label`` are LaTeX's (a complete document with ``--standalone``)."""
    if head is not None and fmt == "text":
        ctx.write(head + "\n")
    text = render(header, rows, fmt, caption=caption, label=label).rstrip("\n") + "\n"
    ctx.write(latex_out(text, args) if fmt == "latex" else text)


# --------------------------------------------------------------------------------------------
# divergence, expected, derive
# --------------------------------------------------------------------------------------------

def divergence_command(args, ctx) -> None:
    fmt = output_format(args)
    spec = spec_of(args)
    dec = divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                     direction=spec.direction)
    if fmt == "json":
        ctx.write(json.dumps(dec.as_dict()) + "\n")
        return
    print_table(ctx, fmt, *decomposition_rows(dec), head=problem_line(spec), args=args,
           caption=r"The distillation divergence $K$ and its terms (nats): "
                   + problem_caption(spec) + ".", label="tab:lingauss-divergence")


def expected_command(args, ctx) -> None:
    fmt = output_format(args)
    spec = spec_of(args)
    try:
        dec = expected_divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                                  direction=spec.direction, monte_carlo=args.monte_carlo,
                                  seed=args.seed)
    except LingaussError as exc:   # speak in options, not keyword arguments
        text = str(exc).replace("monte_carlo=N", "--monte-carlo N")
        raise LingaussError(text.replace("monte_carlo", "--monte-carlo")) from None
    if fmt == "json":
        ctx.write(json.dumps(dec.as_dict()) + "\n")
        return
    how = (f"Monte Carlo over {args.monte_carlo} label draws (seed {args.seed})"
           if args.monte_carlo else "closed form")
    head = problem_line(spec) + f"\nexpected over the label noise: {how}"
    how_tex = (f"Monte Carlo over {args.monte_carlo} label draws (seed {args.seed}), with "
               f"standard errors" if args.monte_carlo else "closed form")
    print_table(ctx, fmt, *decomposition_rows(dec), head=head, args=args,
           caption=r"The distillation divergence $K$ and its terms (nats) expected over the "
                   rf"label noise ({how_tex}): " + problem_caption(spec) + ".",
           label="tab:lingauss-expected")


def derive_command(args, ctx) -> None:
    if args.preamble:
        from lingauss._core.latex import PREAMBLE

        if args.standalone:
            raise LingaussError("Ambiguous arguments: --preamble and --standalone (the "
                                "preamble is what a --standalone document starts with).")
        ctx.write(PREAMBLE)
        return
    if args.standalone and not args.latex:
        raise LingaussError("--standalone == True without --latex, must come with --latex "
                            "(it makes a complete LaTeX document).")
    if args.risk or args.chain is not None:
        from lingauss.cli.chain_commands import derive_chain
        return derive_chain(args, ctx)
    from lingauss import symbolic  # sympy is imported only by this command

    space = check_option(args.space, "--space", SPACES)
    soft = check_option(args.soft_labels, "--soft-labels", SOFT_LABELS)
    direction = check_option(args.direction, "--direction", DIRECTIONS)
    flavour = check_option(args.flavour, "--flavour", symbolic.FLAVOURS)
    if args.latex:
        from lingauss._core.latex import check_ascii
        from lingauss.symbolic.layout import derive_latex

        ctx.write(latex_out(check_ascii(derive_latex(space, soft, direction, flavour)), args))
        return
    forms = symbolic.derive(space, soft, direction, flavour)
    if args.pretty:
        import sympy

        def show(expr):
            return "\n" + sympy.pretty(expr, use_unicode=True)
    else:
        show = str
    ctx.write(f"# per-mode terms: space={space} soft_labels={soft} direction={direction} "
              f"flavour={flavour}\n")
    ctx.write("# K = Σ_{i<=m} kept_i + Σ_{i>m} dropped_i  (modes i of XXᵀ, m = width)\n")
    used = set().union(*(e.free_symbols for f in forms.values() for e in f.values()))
    for name, doc in symbolic.SYMBOL_DOCS.items():
        if getattr(symbolic, name) in used:
            ctx.write(f"#   {name}: {doc}\n")
    for regime, terms in forms.items():
        for name, expr in terms.items():
            ctx.write(f"{name}[{regime}] = {show(expr)}\n")


# --------------------------------------------------------------------------------------------
# check, check-formula
# --------------------------------------------------------------------------------------------

def check_command(args, ctx) -> int:
    from lingauss.verify.routes import verify

    fmt = output_format(args)
    spec = default_spec() if args.spec is None else load_spec(args.spec)
    rows = verify(spec, level="full" if args.full else "quick")
    failed = [row for row in rows if row.status == "fail"]
    header = ("routes", "case", "discrepancy", "tolerance", "status", "detail")
    body = [(r.routes, r.case, r.discrepancy, r.tolerance, r.status, r.detail) for r in rows]
    if fmt == "json":
        ctx.write(render(header, body, "json") + "\n")
        return 1 if failed else 0
    print_table(ctx, fmt, header, body, head=problem_line(spec), args=args,
           caption=r"Verification: independent routes compared on the problem ("
                   + problem_caption(spec) + "), the largest discrepancy of each pair and its "
                   "tolerance.", label="tab:lingauss-check")
    if fmt == "text":
        counts = {s: sum(row.status == s for row in rows) for s in ("pass", "fail", "skipped")}
        ctx.write(f"{counts['pass']} passed, {counts['fail']} failed, "
                  f"{counts['skipped']} skipped\n")
    return 1 if failed else 0


def check_formula_command(args, ctx) -> int:
    from lingauss.verify.formula import check_formula

    result = check_formula(args.formula, term=args.term, space=args.space,
                           soft_labels=args.soft_labels, direction=args.direction,
                           regime=args.regime, flavour=args.flavour, points=args.points,
                           timeout=args.timeout)
    if args.json:
        ctx.write(json.dumps(dict(verdict=result.verdict, message=result.message,
                                  points=result.points,
                                  counterexample=result.counterexample), default=str) + "\n")
    else:
        ctx.write(result.message + "\n")
    return 1 if result.verdict == "not equal" else 0


# --------------------------------------------------------------------------------------------
# design, bounds, plot, table
# --------------------------------------------------------------------------------------------

def design_command(args, ctx) -> None:
    from lingauss.explore.design import recommend
    from lingauss.explore.tuning import HYPERPARAMETERS, best_hyperparameters, tune

    fmt = output_format(args)
    spec = spec_of(args)
    if args.generations is not None:
        from lingauss.cli.chain_commands import plan_command
        if args.optimize or args.budget is not None or args.fraction is not None:
            raise LingaussError("--generations G answers one question (how many generations "
                                "of the student minimise the risk): it takes no --optimize, "
                                "--budget or --fraction.")
        return plan_command(ctx, spec, args.generations, "--generations", fmt, args,
                            problem_line(spec))
    optimize = tuple(x.strip() for x in args.optimize.split(",") if x.strip()) \
        if args.optimize else ()
    for name in optimize:
        check_option(name, "--optimize", HYPERPARAMETERS)
    rec = recommend(spec, budget=args.budget, fraction=args.fraction)
    best = rec.smallest_parameters
    m, _ = spec.student.resolve(spec.sample.d, spec.sample.k)
    opt = per_rank = None
    if optimize:
        per_rank = tune(spec, width=[m], optimize_over=optimize)
        if best is not None:
            opt = best_hyperparameters(spec, rank=best.rank, width=best.width,
                                       optimize_over=optimize)
    if fmt == "json":
        ctx.write(json.dumps(dict(
            recommendation=rec.as_dict(), optimum=None if opt is None else opt.as_dict(),
            per_rank=[dict(rank=r, width=w, **o.as_dict()) for r, w, o in per_rank or []]))
            + "\n")
        return
    header = ("design", "rank", "width", "parameters", "K")
    rows = []
    for label, c in (("smallest rank (full width)", rec.smallest_rank),
                     ("smallest width (rank min(k, m))", rec.smallest_width),
                     ("smallest parameter count r(m + k)", rec.smallest_parameters)):
        rows.append((label,) + ((None, None, None, None) if c is None else
                                (c.rank, c.width, c.parameters, c.divergence)))
    head = (problem_line(spec) + "\n" + rec.summary())
    print_table(ctx, fmt, header, rows, head=head, args=args,
           caption=rf"The smallest students whose divergence is within the budget "
                   rf"$K \le {rec.budget:.4g}$ nats: " + problem_caption(spec, rank="varied")
                   + ".", label="tab:lingauss-design")
    if fmt != "text":
        return
    ctx.write(f"Pareto frontier: {len(rec.frontier)} of {len(rec.candidates)} sizes "
              f"(rank, width, parameters, K): " + "; ".join(
                  f"({c.rank}, {c.width}, {c.parameters}, {c.divergence:.4g})"
                  for c in rec.frontier) + "\n")
    for line in rec.notes:
        ctx.write(f"note: {line}\n")
    if optimize:
        methods = (opt or per_rank[0][2]).method
        ctx.write(f"best {', '.join(optimize)} per rank at width {m} ("
                  + ", ".join(f"{n}: {how}" for n, how in methods.items()) + "):\n")
        rows = [(r, w) + tuple(o.values[n] for n in optimize)
                + (o.start.total, o.divergence.total) for r, w, o in per_rank]
        ctx.write(render(("rank", "width") + optimize + ("K at the spec", "K at best"),
                         rows, "text") + "\n")
        for _, _, o in per_rank:
            for line in o.notes:
                ctx.write(f"note: {line}\n")
        if opt is not None:
            ctx.write(f"at the smallest design (rank {best.rank}, width {best.width}): "
                      + ", ".join(f"{k} = {v:.6g}" for k, v in opt.values.items())
                      + f"; K = {opt.divergence.total:.6g} (from {opt.start.total:.6g})\n")
            for line in opt.notes:
                ctx.write(f"note: {line}\n")
        else:
            ctx.write("no design within the budget: no smallest design to tune\n")


def bounds_command(args, ctx) -> int:
    from lingauss import plots
    from lingauss.bounds.report import LONG_HEADER, bounds_over_ranks, long_rows, wide_rows

    if args.table is not None:
        warnings.warn("lingauss bounds --table is renamed --format; --table will be removed "
                      "in the next release.", DeprecationWarning, stacklevel=2)
        if args.format is not None:
            raise LingaussError("Ambiguous arguments: --table and --format.")
        args.format = check_option(args.table, "--table", args.formats)
    fmt = output_format(args)
    if args.plot is not None:
        plots.check_output_path(args.plot)
    monte_carlo = check_int(args.monte_carlo, "--monte-carlo", low=2)
    spec = spec_of(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # violations are reported below, once
        results = bounds_over_ranks(spec.teacher, spec.student, spec.sample,
                                    monte_carlo=monte_carlo, seed=args.seed or 0,
                                    space=spec.space, direction=spec.direction)
    header, rows = wide_rows(results) if args.wide else (LONG_HEADER, long_rows(results))
    violated = [(soft, w, r, row.name) for soft, w, r, tb in results for row in tb.rows
                if row.violated]
    if args.plot is not None:
        m, _ = spec.student.resolve(spec.sample.d, spec.sample.k)
        mine = [(r, tb) for soft, w, r, tb in results
                if soft == spec.student.soft_labels and w == m]
        names = [row.name for row in mine[0][1].rows]
        fig = plots.bounds_plot([r for r, _ in mine], [tb.gaps.difference for _, tb in mine],
                                {n: (mine[0][1][n].side, [tb[n].bound for _, tb in mine])
                                 for n in names},
                                held=f"soft labels {spec.student.soft_labels}, width {m}, "
                                     f"{spec.space} space, {spec.direction}")
        ctx.files.add(args.plot, lambda path: plots.save(fig, path))
    if fmt == "json":
        ctx.write(render(header, rows, "json") + "\n")
    else:
        if "violated" in header:                     # loud in every text format
            at = header.index("violated")
            rows = [row[:at] + ("VIOLATED" if row[at] else "no",) + row[at + 1:]
                    for row in rows]
        print_table(ctx, fmt, header, rows, head=problem_line(spec, rank="1.."), args=args,
               caption=r"The paper's generalisation bounds beside the exact gap difference "
                       r"$\Delta = \mathrm{E}\,\mathrm{gap}_S - \mathrm{E}\,\mathrm{gap}_T$ "
                       r"at every rank, width and soft-label mode, with their slack: "
                       + problem_caption(spec, rank=r"1, \ldots, \min(k, m)") + ".",
               label="tab:lingauss-bounds" + ("-wide" if args.wide else ""))
        if fmt == "text":
            for note in results[0][3].notes if results else ():
                ctx.write(f"note: {note}\n")
        if args.plot is not None and fmt in ("text", "md"):
            ctx.write(f"wrote {args.plot}\n")
    if violated:
        print(f"{PROG}: WARNING: {len(violated)} bound(s) VIOLATED — an error in a bound or "
              f"in the code: " + "; ".join(f"{name} at soft_labels={soft}, width={w}, "
                                             f"rank={r}" for soft, w, r, name in violated),
              file=sys.stderr)
        return 1
    return 0


def plot_command(args, ctx) -> None:
    from lingauss import plots
    from lingauss.plots.canvas import apply_limits

    check_option(args.kind, "--kind", plots.PLOT_KINDS)
    options = plot_options(args)                  # before any work: bad values write nothing
    plots.check_output_path(args.output)
    spec = spec_of(args)
    fig = plots.figure(spec, args.kind, style=options["style"], size=options["size"],
                       font_size=options["font_size"], title=options["title"])
    apply_limits(fig, options["xlim"], options["ylim"], names=("--xlim", "--ylim"))
    ctx.files.add(args.output, lambda path: plots.save(fig, path))
    ctx.write(f"wrote {args.output}\n")
    if not options["title"]:
        for text in fig.hidden_titles:
            ctx.write("title (not drawn): " + " ".join(text.split()) + "\n")


def table_command(args, ctx) -> None:
    from lingauss.report.tables import KINDS, table

    check_option(args.kind, "--kind", KINDS)
    fmt = output_format(args)
    spec = spec_of(args)
    text = table(spec, args.kind, fmt).rstrip("\n") + "\n"
    ctx.write(latex_out(text, args) if fmt == "latex" else text)


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------

#: Files of the demo report (``-o DIR``): plot kinds and tables.
DEMO_PLOTS = ("terms-vs-rank", "heatmap", "frontier")
DEMO_TABLES = (("closed-form.md", "closed-form", "md"), ("closed-form.tex", "closed-form",
                                                        "latex"),
               ("sweep.md", "sweep", "md"), ("sweep.csv", "sweep", "csv"))


def demo_command(args, ctx) -> None:
    if args.print_spec:
        ctx.write(default_spec_text())
        return
    fmt = output_format(args)
    spec = default_spec()
    folder = None
    if args.output is not None:
        folder = ctx.files.into_folder(args.output)
    m, _ = spec.student.resolve(spec.sample.d, spec.sample.k)
    ranks = range(1, min(spec.sample.k, m) + 1)
    columns = ("total", "bias", "variance", "rank_bottleneck", "rank_floor")
    rows = []
    for r in ranks:
        dec = divergence(spec.teacher, spec.student.replace(rank=r), spec.sample,
                         space=spec.space, direction=spec.direction)
        rows.append((r,) + tuple(getattr(dec, name) for name in columns))
    print_table(ctx, fmt, ("rank",) + columns, rows, args=args,
           head=problem_line(spec, rank=f"{ranks[0]}..{ranks[-1]}"),
           caption=r"The default problem: the divergence $K$ and its terms (nats) at every "
                   r"rank: " + problem_caption(spec, rank=rf"{ranks[0]}, \ldots, {ranks[-1]}")
                   + ".", label="tab:lingauss-demo")
    if folder is None:
        return
    from lingauss import plots
    from lingauss.report.tables import table

    for kind in DEMO_PLOTS:
        fig = plots.figure(spec, kind)
        ctx.files.add(folder / f"{kind}.png", lambda path, fig=fig: plots.save(fig, path))
    for name, kind, tfmt in DEMO_TABLES:
        text = table(spec, kind, tfmt).rstrip("\n") + "\n"
        if tfmt == "latex":
            text = latex_out(text, args)
        ctx.files.add(folder / name,
                      lambda path, text=text: path.write_text(text, encoding="utf-8"))
    if fmt == "text":
        ctx.write(f"report written to {folder}:\n")
        for target in ctx.files.files:
            ctx.write(f"  {target}\n")
