"""Derived forms rewritten for display only: shorter, in the names of the spectral section.

:func:`lingauss.symbolic.derive` returns the forms the numerics and the tests rely on; this
module never changes them. :func:`display_form` returns an expression that *prints* shorter,
in the model's symbols and the abbreviations of the model's spectral section

* ``a_i = β_T s_i + λ_T`` and ``b_i = β_S s_i + λ_S`` (the teacher's and the student's
  posterior precisions of mode ``i``),
* ``h_i = β_T / a_i`` (the teacher's mean is ``h_i z``),
* ``g_i = β_S (α + (1 − α) β_T s_i / a_i) / b_i`` (the student's mean with mean soft labels
  is ``g_i z``, so ``g_i − h_i`` is the mean gap),
* ``ρ_i``, the argument of the ``log(1 + ·)`` of a convexity slack (the variance of the
  student's mean over soft-label draws relative to its conditional variance),

used wherever that is shorter. Each additive term is rewritten on its own (and the sum as a
whole); of the candidate rewrites the one that prints narrowest is kept. Substituting the
definitions back (:func:`expand_definitions`) gives an expression equal to the derived one,
which ``tests/report/test_latex.py`` proves with sympy for every option combination.

Examples
--------
>>> from lingauss.symbolic import derive
>>> shown, names = display_form(derive()["kept"]["variance"])
>>> shown, names
(r*v(a_i/b_i)/2, {})
>>> expand_definitions(shown, names) == derive()["kept"]["variance"]
True
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.codegen.cfunctions import log1p

from lingauss._core.latex import math_width
from lingauss.symbolic.core import (alpha, beta_S, beta_T, k, lambda_S, lambda_T, r, s, thetaP2,
                                    thetaQ2, v, zP2, zQ2)
from lingauss.symbolic.typeset import LINE_EMS, a_i, b_i, display_latex, g_i, h_i, rho_i

# --------------------------------------------------------------------------------------------
# The abbreviations (display symbols) and their definitions
# --------------------------------------------------------------------------------------------

#: The spectral section's abbreviations, in the order they are defined (each may use the
#: ones before it).
DEFINITIONS = {
    a_i: beta_T * s + lambda_T,
    b_i: beta_S * s + lambda_S,
    h_i: beta_T / a_i,
    g_i: beta_S * (alpha + (1 - alpha) * beta_T * s / a_i) / b_i,
}

_delta = sp.Symbol("delta", real=True)       # g_i − h_i while simplifying
_rows = sp.Symbol("k_minus_r", positive=True)  # k − r (the complement rows), kept whole
# Coordinates in which the candidates are simplified (each a change of variables that the
# definitions make exact: λ_T = a − β_T s, λ_S = b − β_S s, β_T = h a).
_C1 = {lambda_T: a_i - beta_T * s, lambda_S: b_i - beta_S * s, k: _rows + r}
_C2 = {**_C1, lambda_T: a_i * (1 - h_i * s), beta_T: h_i * a_i}
#: Symbols a per-mode term is linear in (row counts and energies): collected on.
_LINEAR = (r, _rows, k, thetaQ2, thetaP2, zQ2, zP2)


def expand_definitions(expr: sp.Expr, names: dict) -> sp.Expr:
    """``expr`` with every abbreviation replaced by its definition (``names`` first).

    >>> expand_definitions(h_i * a_i, {})
    beta_T
    """
    for sym, value in names.items():
        expr = expr.subs(sym, value)
    for sym in reversed(tuple(DEFINITIONS)):
        expr = expr.subs(sym, DEFINITIONS[sym])
    return expr


# --------------------------------------------------------------------------------------------
# Candidates and their cost
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _cost(expr: sp.Expr) -> tuple:
    """Best first: no term wider than a line (a sum breaks between its terms), then the
    printed width — each fraction counting a third of an em more, as a fraction in a fraction
    is harder to read than its width says — then the operation count."""
    tex = display_latex(expr)
    widest = max(math_width(display_latex(term)) for term in sp.Add.make_args(expr))
    return (max(0.0, widest - LINE_EMS), math_width(tex) + tex.count(r"\frac") / 3,
            sp.count_ops(expr))


def _positive_lead(expr: sp.Expr) -> sp.Expr:
    """``−c·(−x − y + z)`` as ``c·(x + y − z)``: flip the sign of a sum that is mostly
    negative, and of the product it sits in, so that no form starts with a minus sign."""
    if not isinstance(expr, sp.Mul):
        return expr
    coeff, rest = expr.as_coeff_Mul()
    if coeff >= 0:
        return expr
    for factor in sp.Mul.make_args(rest):
        base, exp = factor.as_base_exp()
        if isinstance(base, sp.Add) and exp.is_integer and exp % 2 == 1:
            negative = sum(term.could_extract_minus_sign() for term in base.args)
            if 2 * negative >= len(base.args):
                return sp.Mul(-coeff, rest.xreplace({base: sp.expand(-base)}))
    return expr


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Factor and cancel, then normalise the sign (``g − h`` back in place of ``δ``)."""
    out = sp.factor(sp.cancel(expr))
    return _positive_lead(_back(out))


def _back(expr: sp.Expr) -> sp.Expr:
    return expr.subs({_delta: g_i - h_i, _rows: k - r})


def _collected(expr: sp.Expr) -> sp.Expr:
    """``Σ_j x_j · c_j`` over the linear symbols ``x_j`` (and functions), each ``c_j`` tidied."""
    keys = [x for x in _LINEAR if expr.has(x)] + sorted(
        (f for f in expr.atoms(sp.Symbol) if f.name.startswith("_F")), key=str)
    if not keys:
        return _tidy(expr)
    parts = sp.collect(sp.expand(expr), keys, evaluate=False)
    return sp.Add(*[_tidy(coef) * _back(key) for key, coef in parts.items()], evaluate=False)


def _shorter_sums(expr: sp.Expr) -> sp.Expr:
    """Each sum inside ``expr`` in ``a_i``/``b_i`` where that prints shorter (bottom up);
    the mean gap ``α β_S λ_T − β_T λ_S`` as ``a_i b_i (g_i − h_i)``."""
    gap = alpha * beta_S * lambda_T - beta_T * lambda_S

    def visit(e):
        if e.is_Atom:
            return e
        e = e.func(*[visit(x) for x in e.args])
        if isinstance(e, sp.Add) and (e.has(lambda_T) or e.has(lambda_S)):
            if sp.expand(e - gap) == 0:
                return a_i * b_i * (g_i - h_i)
            if sp.expand(e + gap) == 0:
                return a_i * b_i * (h_i - g_i)
            other = sp.factor(sp.expand(e.subs(_C1)))
            if _cost(other) < _cost(e):
                return other
        return e

    return visit(expr)


def _gentle(expr: sp.Expr) -> sp.Expr:
    """Over one denominator without expanding the numerator's products (keeps ``(α − 1)²``)."""
    return _positive_lead(_back(sp.factor_terms(sp.together(expr))))


def _candidates(expr: sp.Expr, abbreviate: bool = True) -> list:
    if not abbreviate:
        return [expr, _tidy(expr), _gentle(expr), _collected(expr)]
    short = _shorter_sums(expr)
    out = [expr, short]
    for coords in (_C1, _C2):
        moved = short.subs(coords)
        out += [_tidy(moved), _gentle(moved), _collected(moved)]
    return out


@functools.lru_cache(maxsize=1024)
def _best(expr: sp.Expr, abbreviate: bool = True) -> sp.Expr:
    """The narrowest candidate rewrite of ``expr`` (whole, and term by term)."""
    if expr.is_Atom or not expr.free_symbols:
        return expr
    options = _candidates(expr, abbreviate)
    terms = sp.Add.make_args(expr)
    if len(terms) > 1:
        options.append(sp.Add(*[min(_candidates(t, abbreviate), key=_cost) for t in terms],
                              evaluate=False))
    return min(options, key=_cost)


def fold_v(expr: sp.Expr) -> sp.Expr:
    """``c (x − 1 − log x)`` written ``c v(x)`` where that is shorter (forms that spell ``v``
    out, such as leading terms of series, read as the derivation does). The logarithms are
    split into logarithms of atoms and regrouped by their coefficient first, so that
    ``c log a − c log b`` is seen as ``c log(a/b)``.

    >>> x, y = sp.symbols("x y", positive=True)
    >>> fold_v(3 * (x / y - 1 - sp.log(x) + sp.log(y)) / 2)
    3*v(x/y)/2
    """
    if not expr.has(sp.log):
        return expr
    split = sp.expand(sp.expand_log(sp.expand(expr), force=True))
    logs = sorted(split.atoms(sp.log), key=sp.default_sort_key)
    parts = sp.collect(split, logs, evaluate=False)
    if any(key != 1 and not isinstance(key, sp.log) for key in parts):
        return expr
    rest = parts.pop(sp.S.One, sp.S.Zero)
    groups: dict = {}                     # |coefficient| -> product of the arguments
    for log, coeff in parts.items():
        sign = -1 if coeff.could_extract_minus_sign() else 1
        key = sp.factor(sign * coeff)
        groups[key] = groups.get(key, sp.S.One) * log.args[0] ** sign
    best, best_ops = expr, sp.count_ops(expr)
    for key, x in groups.items():
        others = sum((c * sp.log(y) for c, y in groups.items() if c != key), sp.S.Zero)
        for arg, sign in ((x, 1), (1 / x, -1)):
            # key·log x = sign·key·(arg − 1 − v(arg))
            folded = sp.cancel(rest + sign * key * (arg - 1))
            new = folded - sign * key * v(arg) + others
            ops = sp.count_ops(new)
            if ops < best_ops:
                best, best_ops = new, ops
    return best


# --------------------------------------------------------------------------------------------
# The display form
# --------------------------------------------------------------------------------------------

def _atomise(expr: sp.Expr, names: dict, abbreviate: bool = True) -> tuple:
    """Function calls replaced by placeholder symbols ``_F0, _F1, …`` (``{placeholder: call
    with its argument in its best form}``); a compound ``log1p`` argument is named ``ρ_i``
    (in ``names``) first."""
    args = sorted({f.args[0] for f in expr.atoms(log1p) if not f.args[0].is_Atom},
                  key=sp.count_ops)
    if args:
        names[rho_i] = args[0]
        expr = expr.subs(args[0], rho_i)
    calls = sorted(expr.atoms(v, log1p), key=sp.default_sort_key)
    holders = [sp.Symbol(f"_F{j}", positive=True) for j in range(len(calls))]
    shown = {holder: call.func(_best(call.args[0], abbreviate), evaluate=False)
             for holder, call in zip(holders, calls)}
    return expr.xreplace(dict(zip(calls, holders))), shown


@functools.lru_cache(maxsize=None)
def display_form(expr: sp.Expr, *, abbreviate: bool = True) -> tuple:
    """``(shown, names)``: ``expr`` rewritten to print narrowly, and the definitions of the
    term-specific names it uses (``{ρ_i: …}``; the abbreviations ``a_i, b_i, h_i, g_i`` are
    :data:`DEFINITIONS`).

    ``expand_definitions(shown, names)`` equals ``expr``. See the module docstring. With
    ``abbreviate=False`` the forms stay in the model's symbols (for expressions in which
    ``s`` is not the eigenvalue ``s_i``, such as leading terms as ``n → ∞``).

    Examples
    --------
    >>> from lingauss.symbolic import derive
    >>> display_form(derive()["kept"]["bias"])[0]
    a_i*s*(g_i - h_i)**2*(nu**2*r + s*thetaQ2)/2
    >>> shown, names = display_form(derive("parameter", "sampled")["kept"]["convexity_slack"])
    >>> shown, list(names)
    (r*log1p(rho_i)/2, [rho_i])
    """
    names: dict = {}
    body, calls = _atomise(fold_v(expr), names, abbreviate)
    shown = _best(body, abbreviate).xreplace(calls)
    if rho_i in names:
        names[rho_i] = _best(names[rho_i], abbreviate)
    return shown, names


def abbreviations_used(*exprs) -> tuple:
    """The abbreviations (in definition order) that the given display forms use, with the
    ones their definitions need (``g_i`` needs ``a_i`` and ``b_i``, ``h_i`` needs ``a_i``).

    >>> abbreviations_used(h_i ** 2)
    (a_i, h_i)
    """
    used = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
    for sym in reversed(tuple(DEFINITIONS)):
        if sym in used:
            used |= DEFINITIONS[sym].free_symbols
    return tuple(sym for sym in DEFINITIONS if sym in used)
