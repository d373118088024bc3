r"""The display printer of derived forms: LaTeX with the model's names, ``\vfun`` for ``v`` and
the spectral section's abbreviations ``a_i, b_i, h_i, g_i`` (their definitions are
:mod:`lingauss.symbolic.present`'s), and the width of a line of a page.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from lingauss._core.latex import TEXT_WIDTH_PT, ems
from lingauss.symbolic.core import LATEX_NAMES

# The abbreviations (display symbols)
a_i = sp.Symbol("a_i", positive=True)
b_i = sp.Symbol("b_i", positive=True)
h_i = sp.Symbol("h_i", positive=True)
g_i = sp.Symbol("g_i", real=True)
rho_i = sp.Symbol("rho_i", positive=True)

#: LaTeX of the display symbols.
DISPLAY_NAMES = {a_i: "a_i", b_i: "b_i", h_i: "h_i", g_i: "g_i", rho_i: r"\rho_i"}


class _Printer(LatexPrinter):
    r"""LaTeX with the model's names, ``\vfun`` for ``v``, ``\log(1 + x)`` for ``log1p(x)``
    and products written as papers write them: ``\frac{a_i s_i}{2} (g_i - h_i)^2 (…)`` — the
    monomial over the denominator, the bracketed factors after it."""

    printmethod = "_lingauss_display_latex"      # not v._latex: \vfun here

    def _print_v(self, expr, exp=None):
        inner = r"\vfun\left(%s\right)" % self._print(expr.args[0])
        return inner if exp is None else r"%s^{%s}" % (inner, exp)

    def _print_log1p(self, expr, exp=None):
        inner = r"\log\left(1 + %s\right)" % self._print(expr.args[0])
        return inner if exp is None else r"\left(%s\right)^{%s}" % (inner, exp)

    def _print_Mul(self, expr):
        if expr.could_extract_minus_sign():
            return "- " + self._print(-expr)
        num, den = sp.fraction(expr, exact=True)
        simple, brackets = [], []
        for factor in sp.Mul.make_args(num):
            base = factor.as_base_exp()[0]
            (brackets if isinstance(base, (sp.Add, sp.Function)) else simple).append(factor)
        sums = [f for f in brackets if isinstance(f, sp.Add)]
        if not simple and len(sums) == 1 and den != 1:     # \frac{k - r}{2}, not \frac{1}{2} (k - r)
            simple, brackets = sums, [f for f in brackets if f is not sums[0]]
        top = self._plain(sp.Mul(*simple)) if simple else "1"
        head = top if den == 1 else r"\frac{%s}{%s}" % (top, self._plain(den))
        if den == 1 and not simple:
            head = ""
        tail = [self._factor(f) for f in sorted(brackets, key=sp.default_sort_key)]
        return " ".join(([head] if head else []) + tail)

    def _plain(self, expr):
        """A product (or sum) without a denominator, printed by sympy's rules."""
        if isinstance(expr, sp.Mul):
            parts = [self._factor(f) for f in expr.as_ordered_factors()]
            if parts and parts[0] == "-1":
                return "- " + " ".join(parts[1:])
            return " ".join(parts)
        return self._print(expr)

    def _factor(self, factor):
        if isinstance(factor, sp.Add):
            return r"\left(%s\right)" % self._print(factor)
        return self._print(factor)


_SETTINGS = {"symbol_names": {**LATEX_NAMES, **DISPLAY_NAMES}}


def display_latex(expr: sp.Expr) -> str:
    r"""LaTeX of a display form (:func:`lingauss.symbolic.present.display_form`).

    >>> from lingauss.symbolic import s, tau2, v
    >>> display_latex(v(s * tau2) / 2)
    '\\frac{1}{2} \\vfun\\left(s_i \\tau^2\\right)'
    """
    return _Printer(_SETTINGS).doprint(expr)


#: Room for a formula on a row of a displayed equation (ems), with a margin for the estimate.
LINE_EMS = ems(TEXT_WIDTH_PT) * 0.86
