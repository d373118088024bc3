"""``lingauss bounds``: the paper's bounds beside the exact gaps at every rank (exit status 1
when a bound is violated, reported on stderr)."""

from __future__ import annotations

import sys
import warnings

from lingauss._core.validation import LingaussError, check_int, check_option
from lingauss.bounds.report import LONG_HEADER, bounds_over_ranks, long_rows, wide_rows
from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, problem_line, spec_of
from lingauss.cli.parser import PROG
from lingauss.report.captions import problem_caption
from lingauss.report.formats import Format


def bounds_command(args, ctx) -> Output:

    if args.table is not None:
        warnings.warn("lingauss bounds --table is renamed --format; --table will be removed "
                      "in the next release.", DeprecationWarning, stacklevel=2)
        if args.format is not None:
            raise LingaussError("Ambiguous arguments: --table and --format.")
        args.format = check_option(args.table, "--table", args.formats)
    fmt = output_format(args)
    if args.plot is not None:
        from lingauss.plots.files import check_output_path  # matplotlib: only for a figure

        check_output_path(args.plot)
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
        _plot(ctx, args.plot, spec, results)
    if fmt is not Format.JSON and "violated" in header:      # loud in every text format
        at = header.index("violated")
        rows = [row[:at] + ("VIOLATED" if row[at] else "no",) + row[at + 1:] for row in rows]
    out = Output(
        Table(header, rows,
              caption=r"The paper's generalisation bounds beside the exact gap difference "
                      r"$\Delta = \mathrm{E}\,\mathrm{gap}_S - \mathrm{E}\,\mathrm{gap}_T$ at "
                      r"every rank, width and soft-label mode, with their slack: "
                      + problem_caption(spec, rank=r"1, \ldots, \min(k, m)") + ".",
              label="tab:lingauss-bounds" + ("-wide" if args.wide else "")),
        head=problem_line(spec, rank="1.."),
        notes=tuple(f"note: {note}" for note in (results[0][3].notes if results else ())),
        said=() if args.plot is None else (f"wrote {args.plot}",),
        status=1 if violated else 0)
    if violated:
        print(f"{PROG}: WARNING: {len(violated)} bound(s) VIOLATED — an error in a bound or "
              f"in the code: " + "; ".join(f"{name} at soft_labels={soft}, width={w}, "
                                             f"rank={r}" for soft, w, r, name in violated),
              file=sys.stderr)
    return out


def _plot(ctx, path, spec, results) -> None:
    """The bounds against the exact gap as the rank varies (``--plot FILE``)."""
    from lingauss import plots

    m, _ = spec.student.resolve(spec.sample.d, spec.sample.k)
    mine = [(r, tb) for soft, w, r, tb in results
            if soft == spec.student.soft_labels and w == m]
    names = [row.name for row in mine[0][1].rows]
    fig = plots.bounds_plot([r for r, _ in mine], [tb.gaps.difference for _, tb in mine],
                            {n: (mine[0][1][n].side, [tb[n].bound for _, tb in mine])
                             for n in names},
                            held=f"soft labels {spec.student.soft_labels}, width {m}, "
                                 f"{spec.space} space, {spec.direction}")
    ctx.files.add(path, lambda target: plots.save(fig, target))
