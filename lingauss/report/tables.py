"""Tables for papers: closed forms with their values, sweeps, asymptotics (md, LaTeX, CSV).

* :func:`closed_form_table` — each term's per-mode formula (LaTeX written by the symbolic
  engine) for the spec's options, and its value at the spec (the exact divergence);
* :func:`sweep_table` — every term across ranks or widths (:func:`lingauss.design.explore`);
* :func:`asymptotic_table` — the leading-order behaviour of each per-mode term (expected over
  the label noise, kept mode) as ``n → ∞`` (``s = nσ``), ``λ_S → 0``, ``ν → 0``, and for a
  power-law mode ``s = n i^{−a}``, ``‖θ_i‖² = i^{−b}`` as ``n → ∞`` — computed by sympy
  (leading terms of series), not typed.

LaTeX output is a ``booktabs`` table with a caption and a label (:mod:`lingauss.latex_tables`;
closed forms as :mod:`lingauss.symbolic.present` writes them); CSV has a header row;
Markdown is a pipe table. Sympy is imported only by the closed-form and asymptotic tables.
"""

from __future__ import annotations

import numpy as np

from lingauss._core import latex
from lingauss._core.timeout import with_timeout
from lingauss._core.validation import check_option
from lingauss.engine.divergence import divergence
from lingauss.explore.design import explore
from lingauss.explore.sweep import Sweep
from lingauss.model.options import Flavour, Regime
from lingauss.model.results import TERMS
from lingauss.report import latex_tables
from lingauss.report.captions import problem_caption
from lingauss.report.chain_tables import risk_table
from lingauss.report.formats import Format
from lingauss.report.render import render, table_format

KINDS = ("closed-form", "sweep", "asymptotic", "risk")
#: Limits of the asymptotic table, in column order.
LIMITS = ("n → ∞", "λ_S → 0", "ν → 0", "power law, n → ∞")


def _fmt(x) -> str:
    return "" if x is None else f"{x:.6g}"


def _closed_form_latex(spec, forms, dec) -> str:
    """The closed-form table in LaTeX: one row per term and regime, forms that fit."""
    from lingauss.symbolic.layout import TERM_LATEX, definitions_latex, form_cell

    room = 0.9 * (latex.ems(latex.TEXT_WIDTH_PT) - 10.5 - 3.5 - 3.6)
    rows, shown, names = [], [], {}
    sums = {"total": ("bias", "variance", "rank_bottleneck"),
            "rank_bottleneck": ("bottleneck_mean", "bottleneck_covariance")}
    for name in (n for n in TERMS if n in dec):
        if name in sums:
            tex = " + ".join(TERM_LATEX[p] for p in sums[name])
            rows.append((name, tex, dec[name]))
        elif name in forms[Regime.KEPT]:
            for regime, tag in ((Regime.KEPT, r"i \le m\colon\ "),
                                (Regime.DROPPED, r"i > m\colon\ ")):
                tex, form, extra = form_cell(forms[regime][name], room, prefix=tag)
                shown.append(form)
                names.update(extra)
                rows.append((name if regime is Regime.KEPT else None, tex,
                             dec[name] if regime is Regime.KEPT else None))
        else:
            rows.append((name, "", dec[name]))
    defs = definitions_latex(*shown, names=names)
    caption = (r"Per-mode closed forms of the terms of $K = \sum_i K_i$ given the sample "
               r"($z_i = Y X^\top u_i$; kept modes $i \le m$, dropped modes $i > m$) and their "
               rf"values at the spec ({problem_caption(spec)}). $\vfun(x) = x - 1 - \log x$"
               + (f"; {defs}." if defs else "."))
    return latex_tables.table(("term", "per-mode form", "value at the spec"), rows,
                              caption=caption, label="tab:lingauss-closed-form",
                              math_columns=(1,))


def closed_form_table(spec, fmt: str = "md") -> str:
    """Each term's per-mode closed form (kept and dropped modes) and its value at the spec.

    In LaTeX the forms are the display forms of :mod:`lingauss.symbolic.present` (shorter,
    in ``a_i, b_i, h_i, g_i``, defined in the caption), one row per term and regime.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> text = closed_form_table(default_spec(), "csv")
    >>> text.splitlines()[0]
    'term,kept modes (i <= m),dropped modes (i > m),value at the spec'
    """
    from lingauss import symbolic

    fmt = table_format(fmt)
    student = spec.student
    forms = symbolic.derive(spec.space, student.soft_labels, spec.direction, "conditional")
    dec = divergence(spec.teacher, student, spec.sample, space=spec.space,
                     direction=spec.direction).as_dict()
    if fmt is Format.LATEX:
        return _closed_form_latex(spec, forms, dec)
    rows = []
    for name in TERMS:
        if name not in dec:
            continue
        if name in forms[Regime.KEPT]:
            kept = symbolic.latex(forms[Regime.KEPT][name])
            dropped = symbolic.latex(forms[Regime.DROPPED][name])
        else:
            kept = dropped = ""
        rows.append((name, kept, dropped, _fmt(dec[name])))
    return render(("term", "kept modes (i <= m)", "dropped modes (i > m)", "value at the spec"),
                  rows, fmt, math_columns=(1, 2))


def grid_table(res, fmt: str = "md", *, caption: str, label: str, fixed=()) -> str:
    """A :class:`lingauss.explore.sweep.Sweep` as a table: one row per grid point (those that exist),
    the axis values then every term; ``fixed`` names axes of length 1 left out of the
    columns. Text and Markdown show 6 significant digits, CSV full precision, JSON numbers.
    The one rendering of every sweep table (``lingauss table --kind sweep``,
    ``lingauss sweep``).

    >>> import numpy as np
    >>> from lingauss.explore.sweep import Sweep
    >>> res = Sweep(axes={"rank": np.array([1, 2]), "width": np.array([4])},
    ...             terms={"total": np.array([[2.5], [1.0 / 3]])})
    >>> print(grid_table(res, "csv", caption="", label="", fixed=("width",)))
    rank,total
    1,2.5
    2,0.3333333333333333
    <BLANKLINE>
    """
    header, rows = grid_rows(res, fixed)
    return render(header, rows, fmt, caption=caption, label=label)


def grid_rows(res, fixed=()) -> tuple:
    """``(header, rows)`` of :func:`grid_table`: the grid points that exist, without the
    ``fixed`` axes."""
    header, rows = res.rows()
    keep = [j for j, name in enumerate(header) if name not in fixed]
    return tuple(header[j] for j in keep), [tuple(row[j] for j in keep) for row in rows]


def sweep_table(spec, fmt: str = "md", *, axis: str = "rank", values=None) -> str:
    """Every term of the exact divergence across ranks (at the spec's width) or widths (at
    rank ``min(k, width)`` unless the spec fixes the rank).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> print(sweep_table(default_spec(), "csv", values=[1, 2]).splitlines()[0])
    rank,total,bias,variance,rank_bottleneck,bottleneck_mean,bottleneck_covariance,rank_floor
    """
    fmt = table_format(fmt)
    check_option(axis, "axis", ("rank", "width"))
    d, k = spec.sample.d, spec.sample.k
    m, _ = spec.student.resolve(d, k)
    if axis == "rank":
        res = explore(spec, rank=values, width=[m])
        fixed = ("width",)
    else:      # one rank per width: a sweep along the width axis, assembled point by point
        widths = np.asarray(values if values is not None else range(1, d + 1), dtype=int)
        parts = []
        for w in widths:
            r = spec.student.rank if spec.student.rank is not None else min(k, int(w))
            parts.append(explore(spec, rank=[min(r, int(w))], width=[int(w)]))
        res = Sweep(axes={"width": widths}, terms={
            name: np.array([p[name][0, 0] for p in parts]) for name in parts[0].terms})
        fixed = ()
    first, last = res.axes[axis][0], res.axes[axis][-1]
    what = "rank (at the spec's width)" if axis == "rank" else "width"
    caption = (rf"Every term of the exact divergence $K$ (nats) across the student's {what}: "
               + problem_caption(spec, rank=rf"{first}, \ldots, {last}"
                                 if axis == "rank" else "varied") + ".")
    return grid_table(res, fmt, caption=caption, label=f"tab:lingauss-sweep-{axis}",
                      fixed=fixed)


def _back(expr, eps, n):
    return None if expr is None else expr.subs(eps, 1 / n)


def asymptotics(space: str = "parameter", soft_labels: str = "mean",
                direction: str = "forward", *, timeout: float = 5.0) -> dict:
    """``{term: {limit: leading-order sympy expression}}`` for the kept per-mode terms.

    Each per-mode term (expected over the label noise) is rewritten with ``v`` as
    ``x − 1 − log x``: ``n → ∞`` puts ``s = σ n`` (``σ`` the population eigenvalue) and takes
    the leading term in ``1/n``; ``λ_S → 0`` and ``ν → 0`` the leading term in that symbol; the power law puts
    ``s = n i^{−a}``, ``‖Qθ_i‖² = i^{−b}``, ``‖Q⊥θ_i‖² = 0`` and takes ``n → ∞``. An entry
    sympy does not find within ``timeout`` seconds is ``None``.

    >>> lead = asymptotics()
    >>> lead["bias"]["n → ∞"]
    thetaQ2*(alpha*beta_S*lambda_T - beta_T*lambda_S)**2/(2*beta_S**2*beta_T*n*sigma)
    >>> lead["rank_bottleneck"]["power law, n → ∞"]
    -beta_T*n*tau2*(-k + r)/(2*i**a)
    """
    import sympy as sp

    from lingauss import symbolic as S

    forms = S.derive(space, soft_labels, direction, Flavour.EXPECTED)[Regime.KEPT]
    sigma = sp.Symbol("sigma", positive=True)
    n, eps = sp.symbols("n epsilon", positive=True)
    i, a, b = sp.symbols("i a b", positive=True)
    out = {}
    for name in ("variance", "bias", "rank_bottleneck", "total") + (
            ("convexity_slack",) if "convexity_slack" in forms else ()):
        expr = forms[name].replace(S.v, lambda x: x - 1 - sp.log(x))
        lead = {}

        def leading(e, x):
            """The leading term of ``e`` as ``x → 0⁺`` (first non-zero term of its series);
            ``None`` when sympy does not find it within ``timeout`` seconds."""
            if not e.has(x):
                return e
            done, value = with_timeout(lambda: sp.factor(e.as_leading_term(x)), timeout)
            return value if done else None

        big_n = expr.subs(S.s, sigma / eps)
        lead["n → ∞"] = _back(leading(big_n, eps), eps, n)
        lead["λ_S → 0"] = leading(expr, S.lambda_S)
        lead["ν → 0"] = leading(expr, S.nu)
        power = expr.subs({S.s: n * i ** (-a), S.thetaQ2: i ** (-b), S.thetaP2: 0})
        lead["power law, n → ∞"] = _back(leading(power.subs(n, 1 / eps), eps), eps, n)
        out[name] = lead
    return out


def asymptotic_table(spec, fmt: str = "md") -> str:
    """The leading-order behaviour of each per-mode term (:func:`asymptotics`) as a table.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> default_spec().student.soft_labels
    'mean'
    >>> print(asymptotic_table(default_spec(), "csv").splitlines()[0])
    term,n → ∞,λ_S → 0,ν → 0,"power law, n → ∞"
    """
    from lingauss import symbolic

    fmt = table_format(fmt)
    lead = asymptotics(spec.space, spec.student.soft_labels, spec.direction)
    if fmt is Format.LATEX:
        return _asymptotic_latex(spec, lead)
    rows = [(name,) + tuple(r"\mbox{not found within 5 s}" if lead[name][lim] is None
                            else symbolic.latex(lead[name][lim]) for lim in LIMITS)
            for name in lead]
    return render(("term",) + LIMITS, rows, fmt, math_columns=(1, 2, 3, 4))


#: The limits of :data:`LIMITS` in LaTeX.
LIMITS_LATEX = {"n → ∞": r"n \to \infty", "λ_S → 0": r"\lambda_S \to 0", "ν → 0": r"\nu \to 0",
                "power law, n → ∞": r"\text{power law, } n \to \infty"}


def _asymptotic_latex(spec, lead) -> str:
    """The asymptotic table in LaTeX: one row per term and limit, leading terms that fit."""
    from lingauss.symbolic.layout import definitions_latex, form_cell

    room = 0.9 * (latex.ems(latex.TEXT_WIDTH_PT) - 8.0 - 9.0 - 3.6)
    rows, shown, names = [], [], {}
    for name in lead:
        for j, lim in enumerate(LIMITS):
            expr = lead[name][lim]
            if expr is None:
                tex = r"&\text{not found within 5 s}"
            else:       # a_i, b_i, ... only where s is still the eigenvalue s_i
                tex, form, extra = form_cell(expr, room, abbreviate=lim in ("λ_S → 0", "ν → 0"))
                if lim in ("λ_S → 0", "ν → 0"):
                    shown.append(form)
                    names.update(extra)
            rows.append((name if j == 0 else None, LIMITS_LATEX[lim], tex))
    defs = definitions_latex(*shown, names=names)
    caption = (r"Leading-order behaviour of each per-mode term (kept mode, expected over the "
               r"label noise), computed by sympy: $n \to \infty$ with $s_i = \sigma n$; "
               r"$\lambda_S \to 0$; $\nu \to 0$; a power law $s_i = n i^{-a}$, "
               r"$\lVert Q\theta_i\rVert^2 = i^{-b}$, $\lVert Q_\perp\theta_i\rVert^2 = 0$ as "
               rf"$n \to \infty$ ({spec.space} space, {spec.student.soft_labels} soft labels, "
               rf"{spec.direction} direction); $\vfun(x) = x - 1 - \log x$"
               + (f"; {defs}." if defs else "."))
    return latex_tables.table(("term", "limit", "leading term"), rows, caption=caption,
                              label="tab:lingauss-asymptotic", math_columns=(1, 2), long=True)


def table(spec, kind: str, fmt: str = "md") -> str:
    """Dispatch on ``kind`` (``closed-form``, ``sweep``, ``asymptotic``, ``risk``)."""
    check_option(kind, "kind", KINDS)
    return {"closed-form": closed_form_table, "sweep": sweep_table,
            "asymptotic": asymptotic_table, "risk": risk_table}[kind](spec, fmt)
