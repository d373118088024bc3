"""``lingauss chain``: a distillation chain's risk and ``K`` per generation, its optimal
weights, and how many generations minimise the risk (docs/model.md §7–8)."""

from __future__ import annotations

from lingauss._core.validation import LingaussError, check_int
from lingauss.chains.chain import Chain
from lingauss.chains.report import chain_report, plan_generations
from lingauss.chains.weights import optimal_weights
from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, problem_line, spec_of
from lingauss.model.options import Estimator
from lingauss.report.chain_tables import plan_table_parts, report_table_parts


def chain_command(args, ctx) -> Output:

    output_format(args)
    spec = spec_of(args)
    estimator = Estimator.parse(args.estimator, "--estimator")
    chain = spec.chain
    head = problem_line(spec) + f"\nchain: teacher and {chain.generations} student(s)"
    if args.up_to is not None:
        if args.optimal or estimator is not Estimator.MEAN:
            raise LingaussError("--up-to G plans chains of the last student with optimal "
                                "weights and the mean estimator: it takes no --optimal or "
                                "--estimator.")
        return plan_output(spec, args.up_to, "--up-to", head)
    notes = []
    if args.optimal:
        if estimator is not Estimator.MEAN:
            raise LingaussError("--optimal minimises the risk of the mean estimator: it takes "
                                "no --estimator gibbs.")
        w = optimal_weights(spec.teacher, chain.students, spec.sample)
        chain = Chain(spec.teacher, w.students)
        notes = [f"jointly optimal weights: alpha = {', '.join(f'{a:.6g}' for a in w.alpha)}"]
        notes += list(w.notes)
    report = chain_report(chain, spec.sample, estimator=estimator, space=spec.space,
                          direction=spec.direction, monte_carlo=args.monte_carlo,
                          seed=args.seed)
    header, rows, caption, label = report_table_parts(report)
    return Output(Table(header, rows, caption, label),
                  json={"rows": list(report.rows), "notes": notes}, head=head,
                  notes=tuple(f"note: {n}" for n in notes))


def plan_output(spec, up_to, option: str, head: str) -> Output:
    """How many generations of the spec's (last) student, with jointly optimal weights,
    minimise the risk (``lingauss chain --up-to G``, ``lingauss design --generations G``)."""

    up_to = check_int(up_to, option, low=1, high=64)
    plan = plan_generations(spec.teacher, spec.student, spec.sample, up_to=up_to,
                            space=spec.space, direction=spec.direction)
    header, rows, caption, label = plan_table_parts(plan)
    return Output(
        Table(header, rows, caption, label),
        json={"best": plan.best, "tolerance": plan.tolerance,
              "rows": [dict(r, alpha=list(r["alpha"])) for r in plan.rows],
              "notes": list(plan.notes)},
        head=head + f"\nhow many generations of the last student (up to {up_to}), with "
                    f"jointly optimal weights",
        notes=(f"best: G = {plan.best} (the fewest within {100 * plan.tolerance:g}% of the "
               f"lowest risk)",) + tuple(f"note: {n}" for n in plan.notes))
