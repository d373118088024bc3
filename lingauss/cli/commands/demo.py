"""``lingauss demo``: the embedded default problem's decomposition at every rank, and with
``-o DIR`` a small report (figures and tables) written all at once."""

from __future__ import annotations

from lingauss.cli.emit import Output, Table
from lingauss.cli.options import latex_out, output_format, problem_line
from lingauss.engine.divergence import divergence
from lingauss.io.spec import default_spec, default_spec_text
from lingauss.report.captions import problem_caption
from lingauss.report.formats import Format
from lingauss.report.tables import table

#: Files of the demo report (``-o DIR``): plot kinds and tables.
DEMO_PLOTS = ("terms-vs-rank", "heatmap", "frontier")
DEMO_TABLES = (("closed-form.md", "closed-form", "md"), ("closed-form.tex", "closed-form",
                                                        "latex"),
               ("sweep.md", "sweep", "md"), ("sweep.csv", "sweep", "csv"))
COLUMNS = ("total", "bias", "variance", "rank_bottleneck", "rank_floor")


def demo_command(args, ctx) -> Output:
    if args.print_spec:
        return Output(document=default_spec_text())
    fmt = output_format(args)
    spec = default_spec()
    folder = None
    if args.output is not None:
        folder = ctx.files.into_folder(args.output)
    m, _ = spec.student.resolve(spec.sample.d, spec.sample.k)
    ranks = range(1, min(spec.sample.k, m) + 1)
    rows = []
    for r in ranks:
        dec = divergence(spec.teacher, spec.student.replace(rank=r), spec.sample,
                         space=spec.space, direction=spec.direction)
        rows.append((r,) + tuple(getattr(dec, name) for name in COLUMNS))
    table = Table(("rank",) + COLUMNS, rows,
                  caption=r"The default problem: the divergence $K$ and its terms (nats) at "
                          r"every rank: " + problem_caption(
                              spec, rank=rf"{ranks[0]}, \ldots, {ranks[-1]}") + ".",
                  label="tab:lingauss-demo")
    head = problem_line(spec, rank=f"{ranks[0]}..{ranks[-1]}")
    if folder is None:
        return Output(table, head=head)
    _report(ctx, spec, folder, args)
    notes = ()
    if fmt is Format.TEXT:
        notes = (f"report written to {folder}:",) + tuple(f"  {t}" for t in ctx.files.files)
    return Output(table, head=head, notes=notes)


def _report(ctx, spec, folder, args) -> None:
    """The report's figures and tables, staged into ``folder``."""
    from lingauss import plots

    for kind in DEMO_PLOTS:
        fig = plots.figure(spec, kind)
        ctx.files.add(folder / f"{kind}.png", lambda path, fig=fig: plots.save(fig, path))
    for name, kind, tfmt in DEMO_TABLES:
        text = table(spec, kind, tfmt).rstrip("\n") + "\n"
        if Format.parse(tfmt, "format") is Format.LATEX:
            text = latex_out(text, args)
        ctx.files.add(folder / name,
                      lambda path, text=text: path.write_text(text, encoding="utf-8"))
