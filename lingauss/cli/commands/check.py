"""``lingauss check`` (the route checks; exit status 1 if one fails) and ``lingauss
check-formula`` (is a formula equal to the derived one?)."""

from __future__ import annotations

from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, problem_line
from lingauss.io.spec import default_spec, load_spec
from lingauss.report.captions import problem_caption
from lingauss.report.formats import Format
from lingauss.verify.formula import check_formula
from lingauss.verify.routes import verify

HEADER = ("routes", "case", "discrepancy", "tolerance", "status", "detail")


def check_command(args, ctx) -> Output:

    output_format(args)
    spec = default_spec() if args.spec is None else load_spec(args.spec)
    rows = verify(spec, level="full" if args.full else "quick")
    failed = [row for row in rows if row.status == "fail"]
    body = [(r.routes, r.case, r.discrepancy, r.tolerance, r.status, r.detail) for r in rows]
    counts = {s: sum(row.status == s for row in rows) for s in ("pass", "fail", "skipped")}
    return Output(
        Table(HEADER, body,
              caption=r"Verification: independent routes compared on the problem ("
                      + problem_caption(spec) + "), the largest discrepancy of each pair and "
                      "its tolerance.", label="tab:lingauss-check"),
        head=problem_line(spec),
        notes=(f"{counts['pass']} passed, {counts['fail']} failed, "
               f"{counts['skipped']} skipped",),
        status=1 if failed else 0)


def check_formula_command(args, ctx) -> Output:

    result = check_formula(args.formula, term=args.term, space=args.space,
                           soft_labels=args.soft_labels, direction=args.direction,
                           regime=args.regime, flavour=args.flavour, points=args.points,
                           timeout=args.timeout)
    status = 1 if result.verdict == "not equal" else 0
    if args.json:
        args.fmt = Format.JSON
        return Output(json=dict(verdict=result.verdict, message=result.message,
                                points=result.points, counterexample=result.counterexample),
                      status=status)
    return Output(document=result.message + "\n", status=status)
