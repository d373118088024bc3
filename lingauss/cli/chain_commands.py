"""``lingauss chain``: a distillation chain's risk and ``K`` per generation, its optimal
weights, and how many generations minimise the risk (docs/model.md §7–8)."""

from __future__ import annotations

import json

from lingauss._core.validation import LingaussError, check_int, check_option
from lingauss.cli.options import latex_out, output_format, problem_line, spec_of
from lingauss.model.options import ESTIMATORS


def _say_options(exc: LingaussError) -> LingaussError:
    text = str(exc).replace("monte_carlo=N", "--monte-carlo N")
    return LingaussError(text.replace("monte_carlo", "--monte-carlo"))


def chain_command(args, ctx) -> None:
    from lingauss.chains.chain import Chain
    from lingauss.chains.report import chain_report
    from lingauss.chains.weights import optimal_weights
    from lingauss.report.chain_tables import report_table

    fmt = output_format(args)
    spec = spec_of(args)
    estimator = check_option(args.estimator, "--estimator", ESTIMATORS)
    chain = spec.chain
    head = problem_line(spec) + f"\nchain: teacher and {chain.generations} student(s)"
    if args.up_to is not None:
        if args.optimal or estimator != "mean":
            raise LingaussError("--up-to G plans chains of the last student with optimal "
                                "weights and the mean estimator: it takes no --optimal or "
                                "--estimator.")
        return plan_command(ctx, spec, args.up_to, "--up-to", fmt, args, head)
    notes = []
    if args.optimal:
        if estimator != "mean":
            raise LingaussError("--optimal minimises the risk of the mean estimator: it takes "
                                "no --estimator gibbs.")
        w = optimal_weights(spec.teacher, chain.students, spec.sample)
        chain = Chain(spec.teacher, w.students)
        notes = [f"jointly optimal weights: alpha = {', '.join(f'{a:.6g}' for a in w.alpha)}"]
        notes += list(w.notes)
    try:
        report = chain_report(chain, spec.sample, estimator=estimator, space=spec.space,
                              direction=spec.direction, monte_carlo=args.monte_carlo,
                              seed=args.seed)
    except LingaussError as exc:
        raise _say_options(exc) from None
    if fmt == "json":
        ctx.write(json.dumps({"rows": list(report.rows), "notes": notes}) + "\n")
        return
    text = report_table(report, fmt)
    if fmt == "text":
        text = head + "\n" + text + "\n" + "".join(f"note: {n}\n" for n in notes)
    ctx.write(latex_out(text, args) if fmt == "latex" else text.rstrip("\n") + "\n")


def plan_command(ctx, spec, up_to, option: str, fmt: str, args, head: str) -> None:
    """How many generations of the spec's (last) student, with jointly optimal weights,
    minimise the risk (``lingauss chain --up-to G``, ``lingauss design --generations G``)."""
    from lingauss.chains.report import plan_generations
    from lingauss.report.chain_tables import plan_table

    up_to = check_int(up_to, option, low=1, high=64)
    plan = plan_generations(spec.teacher, spec.student, spec.sample, up_to=up_to,
                            space=spec.space, direction=spec.direction)
    if fmt == "json":
        ctx.write(json.dumps({"best": plan.best, "tolerance": plan.tolerance,
                              "rows": [dict(r, alpha=list(r["alpha"])) for r in plan.rows],
                              "notes": list(plan.notes)}) + "\n")
        return
    text = plan_table(plan, fmt)
    if fmt == "text":
        text = (head + f"\nhow many generations of the last student (up to {up_to}), with "
                f"jointly optimal weights\n" + text + "\n"
                + f"best: G = {plan.best} (the fewest within {100 * plan.tolerance:g}% of "
                  f"the lowest risk)\n" + "".join(f"note: {n}\n" for n in plan.notes))
    ctx.write(latex_out(text, args) if fmt == "latex" else text.rstrip("\n") + "\n")


def derive_chain(args, ctx) -> None:
    """``lingauss derive --risk`` / ``--chain G``: the per-mode risk of a filter, the
    generation step and the one-step weight's coefficients, or the filter of generation
    ``G`` unrolled — derived by ``lingauss.symbolic.chains``."""
    import sympy

    from lingauss.symbolic import chains as C

    if args.chain is not None:
        G = check_int(args.chain, "--chain", low=1, high=12)
        expr, symbols = C.chain_filter(G)
        cov, mean = C.chain_mode_kl()
        forms = {f"f_{G}": expr, "kl_covariance": cov, "kl_mean": mean}
        header = (f"# the filter of generation {G} of a chain (teacher: beta_0, lambda_0; "
                  f"generation g: beta_g, lambda_g, alpha_g), on a mode of eigenvalue s; and "
                  f"KL(first || second) between two generations on a mode and output row "
                  f"(pca, full rank, mean soft labels, parameter space; z = q_j' Y X' u_i; "
                  f"f_first, f_second their filters)")
    else:
        bias, variance = C.risk_pieces()
        one = C.one_step_weight()
        forms = {"h_g": C.teacher_filter(), "f_g": C.generation_step(),
                 "risk_bias": bias, "risk_variance": variance,
                 "one_step_A": one["A"], "one_step_B": one["B"]}
        header = ("# per-mode excess risk of a filter f (weight = s/n, fixed design; theta2 "
                  "the truth squared on the mode and output row), the generation step "
                  "f_g(f_prev), and the one-step weight: R(xi) = A xi^2 + B xi + C per mode, "
                  "xi* = -sum B / (2 sum A) (arXiv:2602.17565)")
    if args.latex:
        body = "".join(f"\\[ {name.replace('_', '_{', 1) + '}' if '_' in name else name} = "
                       f"{sympy.latex(expr)} \\]\n" for name, expr in forms.items())
        ctx.write(latex_out(body, args))
        return
    ctx.write(header + "\n")
    for name, expr in forms.items():
        shown = "\n" + sympy.pretty(expr, use_unicode=True) if args.pretty else str(expr)
        ctx.write(f"{name} = {shown}\n")
