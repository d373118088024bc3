"""Risk and distillation chains, one eigen-mode at a time (docs/model.md §7–8).

Derived from the model's definitions, not typed:

* :func:`generation_step` — the mean of a generation trained on ``α Y + (1 − α) Ŷ`` with
  ``Ŷ`` the previous generation's mean predictions, by completing the square in its Gibbs
  energy: the filter recursion ``f_g = h_g (α_g + (1 − α_g) f_{g−1})`` comes out;
* :func:`chain_filter` — that recursion unrolled over ``G`` generations;
* :func:`risk_pieces` — the excess risk of a filter on one mode and one output row, the
  expectation over the label noise taken by moment rules: ``bias = w (1 − f)² t²`` and
  ``variance = w f² ν²/s`` (``w = s/n`` fixed design, the population variance otherwise);
* :func:`one_step_weight` — the one-step optimal imitation weight ``ξ*`` of a ridge teacher
  (arXiv:2602.17565): the risk is quadratic in ``ξ``; its coefficients per mode, and the
  identity behind ``ξ* = −λ R'(λ) / (2D)`` (proved in :func:`one_step_identity`).
"""

from __future__ import annotations

import functools

import sympy as sp

from lingauss.symbolic.core import gibbs_moments, nu, s, scalar_kl

_w = sp.Symbol("w", real=True)            # a coordinate of one generation
_z = sp.Symbol("z", real=True)            # the mode's label statistic z = q_jᵀ Y Xᵀ u_i
_t = sp.Symbol("t", real=True)            # q_jᵀ θ_i, the truth on this mode and row

f_prev = sp.Symbol("f_prev", real=True)   # the previous generation's filter on this mode
f = sp.Symbol("f", real=True)             # a filter value
beta_g = sp.Symbol("beta_g", positive=True)
lambda_g = sp.Symbol("lambda_g", positive=True)
alpha_g = sp.Symbol("alpha_g", real=True)
weight = sp.Symbol("weight", nonnegative=True)       # s/n (fixed design) or σ (population)
theta2 = sp.Symbol("theta2", nonnegative=True)       # t² = (q_jᵀθ_i)²
xi = sp.Symbol("xi", real=True)                      # imitation weight ξ = 1 − α
lam = sp.Symbol("lambda", positive=True)             # the shared ridge (one-step weight)


def _energy(beta, ridge, target):
    """Gibbs energy of one coordinate: ``β/2 (−2 w target + s w²) + λ/2 w²``."""
    return beta / 2 * (-2 * _w * target + s * _w ** 2) + ridge / 2 * _w ** 2


@functools.lru_cache(maxsize=None)
def generation_step() -> sp.Expr:
    """The filter of a generation from its predecessor's, ``f_g(f_prev)`` (docs/model.md §8).

    The predecessor's mean on the mode is ``f_prev z / s``; its soft labels carry the
    statistic ``s · f_prev z / s``; the generation's target statistic is
    ``α z + (1 − α) f_prev z`` and its mean (completing the square) ``β z̃ / (β s + λ)``.
    The filter is the mean over the least-squares coefficient ``z / s``.

    >>> sp.simplify(generation_step() - beta_g * s / (beta_g * s + lambda_g)
    ...             * (alpha_g + (1 - alpha_g) * f_prev))
    0
    """
    soft = s * (f_prev * _z / s)                                  # q Ŷ_{g−1} Xᵀu_i
    target = alpha_g * _z + (1 - alpha_g) * soft
    mean = gibbs_moments(_energy(beta_g, lambda_g, target), _w).mean
    return sp.factor(sp.simplify(mean / (_z / s)))


@functools.lru_cache(maxsize=None)
def teacher_filter() -> sp.Expr:
    """The teacher's filter: a generation on the labels alone (``α = 1``, no predecessor).

    >>> teacher_filter()
    beta_g*s/(beta_g*s + lambda_g)
    """
    return sp.factor(generation_step().subs(alpha_g, 1))


def chain_filter(generations: int) -> tuple[sp.Expr, tuple]:
    """``f_G`` for a teacher and ``G`` students, and its symbols ``(β_g, λ_g, α_g)``.

    Generation 0 (the teacher) has ``β_0, λ_0``; generation ``g ≥ 1`` has ``β_g, λ_g, α_g``.

    >>> expr, symbols = chain_filter(1)
    >>> b0, l0, b1, l1, a1 = symbols
    >>> sp.simplify(expr - b1*s/(b1*s + l1) * (a1 + (1 - a1) * b0*s/(b0*s + l0)))
    0
    """
    b0, l0 = sp.symbols("beta_0 lambda_0", positive=True)
    out = teacher_filter().subs({beta_g: b0, lambda_g: l0})
    symbols = [b0, l0]
    step = generation_step()
    for g in range(1, generations + 1):
        bg, lg = sp.symbols(f"beta_{g} lambda_{g}", positive=True)
        ag = sp.Symbol(f"alpha_{g}", real=True)
        out = step.subs({beta_g: bg, lambda_g: lg, alpha_g: ag, f_prev: out})
        symbols += [bg, lg, ag]
    return out, tuple(symbols)


@functools.lru_cache(maxsize=None)
def risk_pieces() -> tuple[sp.Expr, sp.Expr]:
    """``(bias, variance)`` of a filter ``f`` on one mode and one output row, expected over
    the label noise (docs/model.md §7).

    The estimate of ``t = q_jᵀθ_i`` is ``f z / s`` with ``z ~ N(s t, ν² s)``; its squared error
    ``(f z/s − t)²`` is quadratic in ``z``, so its expectation follows from the first two
    moments: ``(1 − f)² t² + f² ν²/s``, weighted by ``w``. The bias is the part that remains
    without noise.

    >>> bias, variance = risk_pieces()
    >>> bias, variance
    (theta2*weight*(f - 1)**2, f**2*nu**2*weight/s)
    """
    error = f * _z / s - _t
    mean, var = s * _t, nu ** 2 * s
    poly = sp.Poly(sp.expand(error ** 2), _z)
    moments = {0: sp.S.One, 1: mean, 2: mean ** 2 + var}
    expected = sum((c * moments[deg[0]] for deg, c in poly.terms()), sp.S.Zero)
    expected = sp.expand(expected)
    bias = sp.factor(expected.subs(nu, 0)).subs(_t ** 2, theta2)
    variance = sp.factor(sp.expand(expected - expected.subs(nu, 0)))
    if variance.has(_t) or sp.expand(bias).has(_t):
        raise AssertionError("the noise part of the risk depends on the truth")
    return sp.factor(weight * bias), sp.factor(weight * variance)


@functools.lru_cache(maxsize=None)
def one_step_weight() -> dict:
    """The one-step imitation weight of a ridge teacher (arXiv:2602.17565), per mode.

    A student with the teacher's ``β`` and ridge ``λ`` trained on ``(1 − ξ) Y + ξ Ŷ``
    (``α = 1 − ξ``) has the filter ``f = h (1 − ξ + ξ h)``, ``h = β s/(β s + λ)``
    (:func:`generation_step`). Its risk is ``Σ_i (A_i ξ² + B_i ξ + C_i)``, so the optimum is
    ``ξ* = −ΣB / (2 ΣA)`` (``A ≥ 0``).

    Returns ``{"A": ..., "B": ..., "C": ..., "filter": f, "teacher_risk": R_i(λ)}`` in the
    symbols ``s, beta_g, lambda, weight, theta2, nu``.

    >>> pieces = one_step_weight()
    >>> sp.simplify(pieces["A"] - pieces["A"].subs(nu, 0)) != 0     # noise enters A
    True
    """
    h = teacher_filter().subs(lambda_g, lam)
    filt = sp.factor(generation_step().subs({lambda_g: lam, alpha_g: 1 - xi, f_prev: h}))
    bias, variance = risk_pieces()
    risk = sp.expand(sp.together(bias + variance).subs(f, filt))
    poly = sp.Poly(sp.numer(sp.together(risk)), xi)
    den = sp.denom(sp.together(risk))
    if poly.degree() > 2 or den.has(xi):
        raise AssertionError("the one-step risk is not quadratic in ξ")
    A, B, C = (sp.factor(poly.coeff_monomial(xi ** j) / den) for j in (2, 1, 0))
    teacher_risk = sp.factor((bias + variance).subs(f, h))
    return {"A": A, "B": B, "C": C, "filter": filt, "teacher_risk": teacher_risk}


@functools.lru_cache(maxsize=None)
def one_step_identity() -> bool:
    """Prove, per mode, ``B = λ ∂R/∂λ`` (``R`` the teacher's risk on the mode): summed over
    the modes, ``ξ* = −ΣB/(2ΣA) = −λ R'(λ) / (2D)`` with ``D = ΣA > 0`` — the closed form and
    the sign rule ``sign(ξ*) = −sign(R'(λ))`` of arXiv:2602.17565.

    >>> one_step_identity()
    True
    """
    pieces = one_step_weight()
    dR = sp.diff(pieces["teacher_risk"], lam)
    return sp.simplify(pieces["B"] - lam * dR) == 0


f_first = sp.Symbol("f_first", real=True)     # the filters of the two generations compared
f_second = sp.Symbol("f_second", real=True)
beta_first, lambda_first, beta_second, lambda_second = sp.symbols(
    "beta_first lambda_first beta_second lambda_second", positive=True)


@functools.lru_cache(maxsize=None)
def chain_mode_kl() -> tuple[sp.Expr, sp.Expr]:
    """``KL(P_first ‖ P_second)`` between two generations of a chain on one mode and output
    row, as ``(covariance part, mean part)`` — ``pca`` bases at full width and rank, mean
    soft labels, parameter space (docs/model.md §8).

    Each generation's coordinate is Gaussian with the mean ``f z/s`` (its filter,
    :func:`generation_step`) and the variance of its Gibbs energy, ``1/(β s + λ)`` (the
    targets move the mean only); the scalar Gaussian KL of ``lingauss.symbolic.core`` gives
    the rest.

    >>> cov, mean = chain_mode_kl()
    >>> sp.simplify(mean - (beta_second * s + lambda_second) * (f_first - f_second) ** 2
    ...             * _z ** 2 / (2 * s ** 2))
    0
    """
    cov, mean = scalar_kl()
    names = {sym.name: sym for sym in (cov + mean).free_symbols}
    var = {}
    for beta, ridge in ((beta_first, lambda_first), (beta_second, lambda_second)):
        var[beta] = gibbs_moments(_energy(beta, ridge, _z), _w).var
    subs = {names["m1"]: f_first * _z / s, names["m2"]: f_second * _z / s,
            names["v1"]: var[beta_first], names["v2"]: var[beta_second]}
    return cov.subs(subs), sp.factor(mean.subs(subs))


#: The generated functions: name, expression builder, argument symbols (documented order).
GENERATED = (
    ("generation_step", lambda: generation_step(), (s, beta_g, lambda_g, alpha_g, f_prev)),
    ("teacher_filter", lambda: teacher_filter(), (s, beta_g, lambda_g)),
    ("risk_bias", lambda: risk_pieces()[0], (s, f, weight, theta2, nu)),
    ("risk_variance", lambda: risk_pieces()[1], (s, f, weight, theta2, nu)),
    ("one_step_A", lambda: one_step_weight()["A"], (s, beta_g, lam, weight, theta2, nu)),
    ("one_step_B", lambda: one_step_weight()["B"], (s, beta_g, lam, weight, theta2, nu)),
)


def generated_source() -> str:
    """Python source of ``lingauss/engine/generated_chains.py`` (one function per entry of
    :data:`GENERATED`, broadcasting over numpy arrays)."""
    from sympy.printing.numpy import NumPyPrinter

    printer = NumPyPrinter({"fully_qualified_modules": True})
    lines = [
        '"""Per-mode filters and risk of distillation chains, generated by',
        "``lingauss.symbolic.chains`` (do not edit by hand).",
        "",
        "Regenerate with ``python -m lingauss.symbolic derivations/spectral.md``;",
        'tests/chains/test_chain.py fails when this file differs from a fresh derivation."""',
        "",
        "ARGS = {",
    ]
    for name, _, args in GENERATED:
        lines.append(f"    {name!r}: {tuple(a.name for a in args)!r},")
    lines += ["}", ""]
    for name, build, args in GENERATED:
        expr = build()
        names = ", ".join("lambda_" if a.name == "lambda" else a.name for a in args)
        body = printer.doprint(expr.subs({lam: sp.Symbol("lambda_")}))
        if "numpy." in body:
            raise AssertionError("the generated chain functions are rational: no numpy needed")
        lines += ["", f"def {name}({names}):", f"    return {body}", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_generated(path=None):
    import pathlib

    path = pathlib.Path(path or pathlib.Path(__file__).parents[1] / "engine" / "generated_chains.py")
    path.write_text(generated_source(), encoding="utf-8")
    return path
