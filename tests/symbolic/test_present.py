"""Display forms (lingauss.symbolic.present) are the derived forms, rewritten for print only.

Issue "Paper-ready output", item 1: the LaTeX shows shorter forms in ``a_i, b_i, h_i, g_i``
(and ``ρ_i``); here sympy proves, for every option combination, regime and term, that each
displayed form equals the derived one once the definitions are substituted back — and
``derive`` itself is unchanged (its forms are not the displayed ones).
"""

import itertools

import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

from lingauss import symbolic as S
from lingauss.model.options import SOFT_LABELS, SPACES
from lingauss.symbolic.present import (DEFINITIONS, abbreviations_used, display_form,
                                       expand_definitions, fold_v)
from lingauss.symbolic.typeset import a_i, b_i, g_i, h_i

COMBOS = list(itertools.product(SPACES, SOFT_LABELS, ("forward", "reverse", "symmetric"),
                                S.FLAVOURS))


def canonical(expr: sp.Expr) -> sp.Expr:
    """``expr`` with the argument of every ``v``/``log1p`` in canonical rational form, so
    that calls of equal arguments are the same symbol to ``cancel``."""
    calls = sorted(expr.atoms(S.v, log1p), key=sp.default_sort_key)
    return expr.xreplace({c: c.func(sp.cancel(sp.together(canonical(c.args[0]))))
                          for c in calls})


#: λ_T = a − β_T s, λ_S = b − β_S s: a change of variables (so an identity in the new
#: variables is one in the old), in which the denominators are short and cancel is fast.
PRECISIONS = {S.lambda_T: sp.Symbol("A", positive=True) - S.beta_T * S.s,
              S.lambda_S: sp.Symbol("B", positive=True) - S.beta_S * S.s}


def proved_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """``a == b`` as rational functions of the symbols and the (canonical) calls: sympy's
    ``cancel`` brings their difference to ``0`` (a proof, not a sample of points)."""
    return sp.cancel(canonical(a.subs(PRECISIONS)) - canonical(b.subs(PRECISIONS))) == 0


@pytest.mark.parametrize("space, soft, direction, flavour", COMBOS,
                         ids=["-".join(c) for c in COMBOS])
def test_display_forms_equal_the_derived_ones(space, soft, direction, flavour):
    """Each displayed piece (``total`` and ``rank_bottleneck`` are displayed as the sums of
    the pieces' names) equals the derived one. A slack's ``ρ_i`` is proved in two steps: the
    form with ``ρ_i`` a free symbol equals the derived one with its ``log(1 + ·)`` argument
    replaced by ``ρ_i`` — an identity for every ``ρ_i`` — and ``ρ_i``'s definition equals
    that argument."""
    forms = S.derive(space, soft, direction, flavour)
    for regime, terms in forms.items():
        assert terms["total"] == terms["bias"] + terms["variance"] + terms["rank_bottleneck"]
        assert terms["rank_bottleneck"] == (terms["bottleneck_mean"]
                                            + terms["bottleneck_covariance"])
        for name, expr in terms.items():
            if name in ("total", "rank_bottleneck"):
                continue
            shown, names = display_form(expr)
            where = (space, soft, direction, flavour, regime, name)
            body = expr
            if names:
                (rho, definition), = names.items()
                (arg,) = sorted({f.args[0] for f in expr.atoms(log1p)
                                 if not f.args[0].is_Atom}, key=sp.count_ops)[:1]
                assert proved_equal(expand_definitions(definition, {}), arg), where
                body = expr.subs(arg, rho)
            back = expand_definitions(shown, {})
            assert not back.free_symbols & {a_i, b_i, h_i, g_i}, where
            assert proved_equal(back, body), where


def test_display_forms_are_shorter_and_use_the_abbreviations():
    from lingauss._core.latex import math_width
    from lingauss.symbolic.typeset import display_latex

    forms = S.derive()
    bias, _ = display_form(forms["kept"]["bias"])
    assert {a_i, g_i, h_i} <= bias.free_symbols          # the mean gap is g_i − h_i
    for expr in forms["kept"].values():
        shown, _ = display_form(expr)
        assert math_width(display_latex(shown)) <= math_width(display_latex(expr)) + 1e-9
    # the abbreviations a display needs, with the ones their definitions use
    assert abbreviations_used(g_i) == (a_i, b_i, g_i)
    assert abbreviations_used(S.s) == ()


def test_definitions_are_the_spectral_sections():
    """a_i, b_i are the posterior precisions; h_i z and g_i z the teacher's and the
    (mean-soft-label) student's posterior means (MODEL.md's spectral section)."""
    z = sp.Symbol("z", real=True)
    from lingauss.symbolic.core import student_moments, teacher_moments, z_stat

    defs = {sym: expand_definitions(sym, {}) for sym in DEFINITIONS}
    assert sp.simplify(1 / teacher_moments().var - defs[a_i]) == 0
    assert sp.simplify(teacher_moments().mean.subs(z_stat, z) - defs[h_i] * z) == 0
    student = student_moments("mean")
    assert sp.simplify(student.mean.subs(z_stat, z) - defs[g_i] * z) == 0
    assert sp.simplify(1 / student.var - defs[b_i]) == 0


def test_derive_is_unchanged_by_display():
    """derive() still returns its own forms (generated code and tests depend on them)."""
    forms = S.derive()
    display_form(forms["kept"]["bias"])
    assert str(S.derive()["kept"]["bias"]) == (
        "(alpha*beta_S*lambda_T - beta_T*lambda_S)**2*(nu**2*r*s + s**2*thetaQ2)"
        "/(2*(beta_S*s + lambda_S)**2*(beta_T*s + lambda_T))")


def test_fold_v_and_asymptotic_display_forms_are_equal():
    from lingauss.report.tables import asymptotics

    x, y, c = sp.symbols("x y c", positive=True)
    assert fold_v(c * (x / y - 1 - sp.log(x) + sp.log(y))) == c * S.v(x / y)
    for name, limits in asymptotics().items():
        for limit, lead in limits.items():
            if lead is None:
                continue
            for abbreviate in ((False, True) if limit in ("λ_S → 0", "ν → 0") else (False,)):
                shown, names = display_form(lead, abbreviate=abbreviate)
                back = expand_definitions(shown, names).replace(
                    S.v, lambda u: u - 1 - sp.log(u))
                # logarithms split into logarithms of the (positive) symbols, then cancel
                diff = sp.expand_log(sp.expand(back - lead), force=True)
                assert sp.cancel(diff) == 0, (name, limit, abbreviate)
