"""``lingauss derive``: each term's per-mode closed form, derived by sympy (and with ``--risk`` /
``--chain G`` the forms of the risk and of a chain's filter)."""

from __future__ import annotations

from lingauss._core import latex
from lingauss._core.validation import LingaussError, check_int
from lingauss.cli.emit import Output
from lingauss.model.options import Direction, Flavour, SoftLabels, Space
from lingauss.report.formats import Format


def derive_command(args, ctx) -> Output:
    if args.preamble:
        if args.standalone:
            raise LingaussError("Ambiguous arguments: --preamble and --standalone (the "
                                "preamble is what a --standalone document starts with).")
        return Output(document=latex.PREAMBLE)
    if args.standalone and not args.latex:
        raise LingaussError("--standalone == True without --latex, must come with --latex "
                            "(it makes a complete LaTeX document).")
    if args.latex:
        args.fmt = Format.LATEX
    if args.risk or args.chain is not None:
        return _derive_chain(args)
    from lingauss import symbolic  # sympy is imported only by this command

    space = Space.parse(args.space, "--space")
    soft = SoftLabels.parse(args.soft_labels, "--soft-labels")
    direction = Direction.parse(args.direction, "--direction")
    flavour = Flavour.parse(args.flavour, "--flavour")
    if args.latex:
        from lingauss.symbolic.layout import derive_latex

        return Output(document=latex.check_ascii(derive_latex(space, soft, direction, flavour)))
    forms = symbolic.derive(space, soft, direction, flavour)
    if args.pretty:
        import sympy

        def show(expr):
            return "\n" + sympy.pretty(expr, use_unicode=True)
    else:
        show = str
    lines = [f"# per-mode terms: space={space} soft_labels={soft} direction={direction} "
             f"flavour={flavour}",
             "# K = Σ_{i<=m} kept_i + Σ_{i>m} dropped_i  (modes i of XXᵀ, m = width)"]
    used = set().union(*(e.free_symbols for f in forms.values() for e in f.values()))
    for name, doc in symbolic.SYMBOL_DOCS.items():
        if getattr(symbolic, name) in used:
            lines.append(f"#   {name}: {doc}")
    for regime, terms in forms.items():
        for name, expr in terms.items():
            lines.append(f"{name}[{regime}] = {show(expr)}")
    return Output(document="".join(line + "\n" for line in lines))


def _derive_chain(args) -> Output:
    """``--risk`` / ``--chain G``: the per-mode risk of a filter, the generation step and the
    one-step weight's coefficients, or the filter of generation ``G`` unrolled — derived by
    ``lingauss.symbolic.chains``."""
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
        return Output(document=body)
    lines = [header]
    for name, expr in forms.items():
        shown = "\n" + sympy.pretty(expr, use_unicode=True) if args.pretty else str(expr)
        lines.append(f"{name} = {shown}")
    return Output(document="".join(line + "\n" for line in lines))
