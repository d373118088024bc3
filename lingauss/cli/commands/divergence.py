"""``lingauss divergence`` and ``lingauss expected``: ``K`` and its terms, exact or expected over
the label noise."""

from __future__ import annotations

from lingauss.averages.labels import expected_divergence
from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, problem_line, spec_of
from lingauss.engine.divergence import divergence
from lingauss.model.results import TERMS, Decomposition
from lingauss.report.captions import problem_caption


def decomposition_table(dec: Decomposition, *, caption: str, label: str) -> Table:
    """One row per term, with a std. error column when there are standard errors."""
    values = dec.as_dict()
    names = [name for name in TERMS if name in values]
    if dec.stderr:
        return Table(("term", "value", "stderr"),
                     [(n, values[n], dec.stderr.get(n)) for n in names], caption, label)
    return Table(("term", "value"), [(n, values[n]) for n in names], caption, label)


def divergence_command(args, ctx) -> Output:
    output_format(args)
    spec = spec_of(args)
    dec = divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                     direction=spec.direction)
    return Output(decomposition_table(
        dec, caption=r"The distillation divergence $K$ and its terms (nats): "
                     + problem_caption(spec) + ".", label="tab:lingauss-divergence"),
        json=dec.as_dict(), head=problem_line(spec))


def expected_command(args, ctx) -> Output:
    output_format(args)
    spec = spec_of(args)
    dec = expected_divergence(spec.teacher, spec.student, spec.sample, space=spec.space,
                              direction=spec.direction, monte_carlo=args.monte_carlo,
                              seed=args.seed)
    how = (f"Monte Carlo over {args.monte_carlo} label draws (seed {args.seed})"
           if args.monte_carlo else "closed form")
    how_tex = (f"Monte Carlo over {args.monte_carlo} label draws (seed {args.seed}), with "
               f"standard errors" if args.monte_carlo else "closed form")
    return Output(decomposition_table(
        dec, caption=r"The distillation divergence $K$ and its terms (nats) expected over the "
                     rf"label noise ({how_tex}): " + problem_caption(spec) + ".",
        label="tab:lingauss-expected"),
        json=dec.as_dict(), head=problem_line(spec) + f"\nexpected over the label noise: {how}")
