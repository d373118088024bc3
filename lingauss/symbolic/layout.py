r"""Typesetting derived forms: the display printer (``\vfun``, the model's names) and rows
that fit a page (a sum broken one term per row, a long product broken inside its brackets).
"""

from __future__ import annotations

import sympy as sp

from lingauss._core.latex import math_width
from lingauss.model.options import Flavour, Regime
from lingauss.symbolic.divergence import derive
from lingauss.symbolic.present import DEFINITIONS, abbreviations_used, display_form
from lingauss.symbolic.typeset import LINE_EMS, display_latex


def _terms_latex(expr: sp.Expr) -> list:
    """The terms of a sum as LaTeX, each with its sign: ``[("+", "…"), ("-", "…")]``."""
    out = []
    for term in (expr.as_ordered_terms() if isinstance(expr, sp.Add) else [expr]):
        sign = "+"
        if term.could_extract_minus_sign():
            sign, term = "-", -term
        out.append((sign, display_latex(term)))
    return out


def _split_bracket(term: sp.Expr) -> list | None:
    r"""A product ``c · (x + y + …)`` (or a fraction ``(x + y + …)/d``) as the pieces
    ``\frac{c}{d} \Bigl[ x``, ``+ y``, …, ``\Bigr]`` to break over rows; None when ``term``
    has no sum to break."""
    num, den = sp.fraction(sp.factor_terms(term))
    factors = sp.Mul.make_args(num)
    sums = [f for f in factors if isinstance(f, sp.Add)]
    if not sums:
        return None
    inner = max(sums, key=lambda f: math_width(display_latex(f)))
    outer = sp.Mul(*[f for f in factors if f is not inner]) / den
    head = "" if outer == 1 else display_latex(outer) + r" \Bigl["
    pieces = _terms_latex(inner)
    first = pieces[0][1] if pieces[0][0] == "+" else "-" + pieces[0][1]
    rows = [(head + " " + first).strip()] + [f"{sg} {tx}" for sg, tx in pieces[1:]]
    if head:
        rows[-1] += r" \Bigr]"
    return rows


def break_rows(expr: sp.Expr, *, first: float = LINE_EMS, rest: float = LINE_EMS) -> list:
    r"""``expr`` as rows of LaTeX that each fit: ``first`` ems on the first row, ``rest`` on
    the others (which start with their sign). A sum breaks between its terms; a term too
    wide on its own breaks inside its largest bracketed sum.

    >>> from lingauss.symbolic import s, tau2
    >>> break_rows(s + tau2)
    ['s_i + \\tau^2']
    >>> len(break_rows(sum(sp.Symbol(f"x{j}") ** 2 for j in range(40)), first=20, rest=20))
    6
    """
    pieces = []
    terms = expr.as_ordered_terms() if isinstance(expr, sp.Add) else [expr]
    for term, (sign, tex) in zip(terms, _terms_latex(expr)):
        if math_width(tex) > rest:
            split = _split_bracket(-term if sign == "-" else term)
            if split is not None:
                pieces.append((sign, split[0]))
                pieces += [("", piece) for piece in split[1:]]
                continue
        pieces.append((sign, tex))
    rows: list = []
    for sign, tex in pieces:
        joined = f"{sign} {tex}".strip() if sign else tex
        if not rows:
            rows.append(("-" + tex) if sign == "-" else tex)
            continue
        budget = first if len(rows) == 1 else rest
        if math_width(rows[-1] + " " + joined) <= budget:
            rows[-1] += " " + joined
        else:
            rows.append(joined)
    return rows or ["0"]


# --------------------------------------------------------------------------------------------
# lingauss derive --latex
# --------------------------------------------------------------------------------------------

#: LaTeX names of the per-mode terms.
TERM_LATEX = {name: r"\mathrm{%s}_i" % name.replace("_", r"\_") for name in (
    "variance", "bias", "bottleneck_mean", "bottleneck_covariance", "rank_bottleneck",
    "convexity_slack")}
TERM_LATEX["total"] = "K_i"
REGIME_LATEX = {Regime.KEPT: r"\text{kept modes } (i \le m)",
                Regime.DROPPED: r"\text{dropped modes } (i > m)"}
#: What each symbol is, in LaTeX (for the symbols a form uses).
GLOSSARY = (
    (("s",), r"$s_i$ is the $i$-th eigenvalue of $XX^\top$"),
    (("beta_T", "lambda_T"), r"$\beta_T$ and $\lambda_T$ are the teacher's inverse "
                             r"temperature and ridge"),
    (("beta_S", "lambda_S"), r"$\beta_S$ and $\lambda_S$ the student's"),
    (("alpha",), r"$\alpha$ is the hard-label weight"),
    (("nu",), r"$\nu$ the label noise"),
    (("nu_T",), r"$\nu_T$ the soft-label noise"),
    (("tau2",), r"$\tau^2$ the complement variance"),
    (("k", "r"), r"$k$ the number of outputs and $r$ the student's rank"),
    (("thetaQ2", "thetaP2"), r"$\lVert Q\theta_i\rVert^2$ and $\lVert Q_\perp\theta_i\rVert^2$ "
                             r"the signal energy of mode $i$ inside and outside the range "
                             r"of the student's output projector $Q$"),
    (("zQ2", "zP2"), r"$\lVert Q z_i\rVert^2$ and $\lVert Q_\perp z_i\rVert^2$ the same for "
                     r"the statistic $z_i = Y X^\top u_i$ of the sample"),
)


def equation_rows(lhs: str, expr: sp.Expr, note: str = "", end: str = r" \\") -> list:
    r"""Rows of an ``align*`` for ``lhs = expr`` (broken to fit), ``note`` after the last.

    >>> from lingauss.symbolic import r, s
    >>> equation_rows("x", r * s, note=r"\text{kept}", end=".")
    ['  x &= r s_i \\qquad \\text{kept}.']
    """
    room = LINE_EMS - math_width(lhs) - 1.5
    rows = break_rows(expr, first=room, rest=room - 1.0)
    lines = [f"  {lhs} &= {rows[0]}"] + [rf"  &\quad {row}" for row in rows[1:]]
    if note:
        tail = r" \qquad " + note
        if math_width(rows[-1] + tail) > room:
            lines.append(r"  &\qquad " + note)
        else:
            lines[-1] += tail
    return [line + r" \\" for line in lines[:-1]] + [lines[-1] + end]


def derive_latex(space: str = "parameter", soft_labels: str = "mean",
                 direction: str = "forward", flavour: str = "expected") -> str:
    r"""The per-mode closed forms of :func:`lingauss.symbolic.derive` as a LaTeX snippet.

    One ``align*`` per term (kept and dropped modes), each form as
    :func:`lingauss.symbolic.present.display_form` writes it, broken to fit the text width;
    the abbreviations and symbols it uses are defined first. Compiles with
    :data:`lingauss.latex.PREAMBLE`.

    >>> text = derive_latex()
    >>> print(text.splitlines()[0])
    \noindent Per-mode closed forms of the distillation divergence $K$ (parameter space, mean soft labels, forward direction, expected over the label noise), derived by lingauss.
    >>> r"\text{kept modes } (i \le m)" in text and text.isascii()
    True
    """
    forms = derive(space, soft_labels, direction, flavour)
    shown, names = {}, {}
    for regime, terms in forms.items():
        for name, expr in terms.items():
            if name not in ("rank_bottleneck", "total"):
                shown[regime, name], extra = display_form(expr)
                names.update(extra)
    expected = Flavour.parse(flavour, "flavour") is Flavour.EXPECTED
    how = "expected over the label noise" if expected else "given the sample"
    lines = [
        rf"\noindent Per-mode closed forms of the distillation divergence $K$ ({space} space, "
        rf"{soft_labels.replace('+', ' with ')} soft labels, {direction} direction, {how}), "
        r"derived by lingauss.",
        r"Over the eigen-modes $i$ of $XX^\top$, with $m$ the student's width,",
        r"\begin{align*}",
        r"  K &= \sum_{i \le m} K_i + \sum_{i > m} K_i, \\",
        r"  K_i &= \mathrm{bias}_i + \mathrm{variance}_i + \mathrm{rank\_bottleneck}_i, \\",
        r"  \mathrm{rank\_bottleneck}_i &= \mathrm{bottleneck\_mean}_i"
        r" + \mathrm{bottleneck\_covariance}_i,",
        r"\end{align*}",
    ]
    used = abbreviations_used(*shown.values(), *names.values())
    symbols = {x.name for e in forms[Regime.KEPT].values() for x in e.free_symbols}
    glossary = [tex for keys, tex in GLOSSARY if symbols.intersection(keys)]
    lines.append(r"where $\vfun(x) = x - 1 - \log x$; " + "; ".join(glossary) + ".")
    if used or names:
        lines += [r"The forms are written with", r"\begin{align*}"]
        defs = [(sym, DEFINITIONS[sym]) for sym in used] + list(names.items())
        for j, (sym, value) in enumerate(defs):
            lines += equation_rows(display_latex(sym), value,
                                   end=r"," + (r" \\" if j < len(defs) - 1 else ""))
        lines.append(r"\end{align*}")
    for name in (n for n in forms[Regime.KEPT] if n not in ("rank_bottleneck", "total")):
        lines += [r"\begin{align*}"]
        for j, regime in enumerate(forms):
            end = r", \\" if j == 0 else "."
            lines += equation_rows(TERM_LATEX[name], shown[regime, name],
                                   note=REGIME_LATEX[regime], end=end)
        lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


def form_cell(expr: sp.Expr, room: float, prefix: str = "", *, abbreviate: bool = True
              ) -> tuple:
    r"""``(tex, shown, names)``: ``expr`` in its display form (``abbreviate``: see
    :func:`display_form`) as the rows of an ``aligned`` (joined by ``\\``, each starting
    with ``&``) that fit ``room`` ems, ``prefix`` before the first; ``shown`` the form and
    ``names`` the term-specific abbreviations it uses.

    >>> from lingauss.symbolic import derive
    >>> print(form_cell(derive()["kept"]["variance"], 20, prefix="i \\le m: ")[0])
    i \le m: &\frac{r}{2} \vfun\left(\frac{a_i}{b_i}\right)
    """
    shown, names = display_form(expr, abbreviate=abbreviate)
    rows = break_rows(shown, first=room - math_width(prefix), rest=room - 1.0)
    tex = r" \\ ".join([f"{prefix}&{rows[0]}"] + [rf"&\quad {row}" for row in rows[1:]])
    return tex, shown, names


def definitions_latex(*exprs, names: dict | None = None) -> str:
    r"""The abbreviations ``exprs`` use, defined inline: ``$a_i = \beta_T s_i + \lambda_T$,
    …`` (empty when none).

    >>> from lingauss.symbolic.typeset import a_i
    >>> print(definitions_latex(a_i ** 2))
    $a_i = \beta_T s_i + \lambda_T$
    """
    names = names or {}
    used = abbreviations_used(*exprs, *names.values())
    pairs = [(sym, DEFINITIONS[sym]) for sym in used] + list(names.items())
    return ", ".join(f"${display_latex(sym)} = {display_latex(value)}$"
                     for sym, value in pairs)
