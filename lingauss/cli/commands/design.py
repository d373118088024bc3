"""``lingauss design``: the smallest student within a budget, the Pareto frontier, the best
hyper-parameters there — or, with ``--generations G``, how many generations to distil."""

from __future__ import annotations

from lingauss._core.validation import LingaussError, check_option
from lingauss.cli.commands.chain import plan_output
from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, problem_line, spec_of
from lingauss.explore.design import recommend
from lingauss.explore.tuning import HYPERPARAMETERS, best_hyperparameters, tune
from lingauss.report.captions import problem_caption
from lingauss.report.formats import Format
from lingauss.report.render import render


def design_command(args, ctx) -> Output:

    fmt = output_format(args)
    spec = spec_of(args)
    if args.generations is not None:
        if args.optimize or args.budget is not None or args.fraction is not None:
            raise LingaussError("--generations G answers one question (how many generations "
                                "of the student minimise the risk): it takes no --optimize, "
                                "--budget or --fraction.")
        return plan_output(spec, args.generations, "--generations", problem_line(spec))
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
    payload = dict(
        recommendation=rec, optimum=opt,
        per_rank=[dict(rank=r, width=w, **o.as_dict()) for r, w, o in per_rank or []])
    rows = []
    for label, c in (("smallest rank (full width)", rec.smallest_rank),
                     ("smallest width (rank min(k, m))", rec.smallest_width),
                     ("smallest parameter count r(m + k)", rec.smallest_parameters)):
        rows.append((label,) + ((None, None, None, None) if c is None else
                                (c.rank, c.width, c.parameters, c.divergence)))
    table = Table(("design", "rank", "width", "parameters", "K"), rows,
                  caption=rf"The smallest students whose divergence is within the budget "
                          rf"$K \le {rec.budget:.4g}$ nats: "
                          + problem_caption(spec, rank="varied") + ".",
                  label="tab:lingauss-design")
    notes = [] if fmt is not Format.TEXT else _text_notes(rec, optimize, opt, per_rank, m, best)
    return Output(table, json=payload, head=problem_line(spec) + "\n" + rec.summary(),
                  notes=tuple(notes))


def _text_notes(rec, optimize, opt, per_rank, m, best) -> list:
    """What the text format adds below the table: the frontier, notes and the tuning."""
    lines = [f"Pareto frontier: {len(rec.frontier)} of {len(rec.candidates)} sizes "
             f"(rank, width, parameters, K): " + "; ".join(
                 f"({c.rank}, {c.width}, {c.parameters}, {c.divergence:.4g})"
                 for c in rec.frontier)]
    lines += [f"note: {line}" for line in rec.notes]
    if not optimize:
        return lines
    methods = (opt or per_rank[0][2]).method
    lines.append(f"best {', '.join(optimize)} per rank at width {m} ("
                 + ", ".join(f"{n}: {how}" for n, how in methods.items()) + "):")
    rows = [(r, w) + tuple(o.values[n] for n in optimize) + (o.start.total, o.divergence.total)
            for r, w, o in per_rank]
    lines.append(render(("rank", "width") + optimize + ("K at the spec", "K at best"), rows,
                        Format.TEXT))
    for _, _, o in per_rank:
        lines += [f"note: {line}" for line in o.notes]
    if opt is not None:
        lines.append(f"at the smallest design (rank {best.rank}, width {best.width}): "
                     + ", ".join(f"{k} = {v:.6g}" for k, v in opt.values.items())
                     + f"; K = {opt.divergence.total:.6g} (from {opt.start.total:.6g})")
        lines += [f"note: {line}" for line in opt.notes]
    else:
        lines.append("no design within the budget: no smallest design to tune")
    return lines
