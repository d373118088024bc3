"""``lingauss plot``: one figure of the spec's problem (a plot kind of
:data:`lingauss.plots.kinds.PLOT_KINDS`), written as PNG, PDF or SVG."""

from __future__ import annotations

from lingauss._core.validation import check_option
from lingauss.cli.emit import Output
from lingauss.cli.options import plot_options, spec_of
from lingauss.plots.kinds import PLOT_KINDS


def plot_command(args, ctx) -> Output:
    from lingauss import plots
    from lingauss.plots.canvas import apply_limits

    check_option(args.kind, "--kind", PLOT_KINDS)
    options = plot_options(args)                  # before any work: bad values write nothing
    plots.check_output_path(args.output)
    spec = spec_of(args)
    fig = plots.figure(spec, args.kind, style=options["style"], size=options["size"],
                       font_size=options["font_size"], title=options["title"])
    apply_limits(fig, options["xlim"], options["ylim"], names=("--xlim", "--ylim"))
    ctx.files.add(args.output, lambda path: plots.save(fig, path))
    said = [f"wrote {args.output}"]
    if not options["title"]:
        said += ["title (not drawn): " + " ".join(text.split()) for text in fig.hidden_titles]
    return Output(said=tuple(said))
