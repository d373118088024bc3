"""The model's definitions, one eigen-mode at a time: symbols, ``v``, kernel moments by
completing the square, Gaussian moment rules, the push-forward to predictions, and the scalar
Gaussian KL derived from the two log-densities (steps 1–4 of :mod:`lingauss.symbolic`)."""


from __future__ import annotations

import functools
from typing import NamedTuple

import sympy as sp
from sympy.stats import E as expectation
from sympy.stats import Normal, density

from lingauss.model.options import Direction, Flavour, Regime, SoftLabels

# --------------------------------------------------------------------------------------------
# Symbols (their Python names are the names users type in formulas; LaTeX names for display)
# --------------------------------------------------------------------------------------------

s = sp.Symbol("s", nonnegative=True)                 # eigenvalue s_i of XXᵀ
beta_T = sp.Symbol("beta_T", positive=True)          # teacher inverse temperature
lambda_T = sp.Symbol("lambda_T", positive=True)      # teacher ridge
beta_S = sp.Symbol("beta_S", positive=True)          # student inverse temperature
lambda_S = sp.Symbol("lambda_S", positive=True)      # student ridge
alpha = sp.Symbol("alpha", real=True)               # hard-label weight (any real: ξ = 1 − α)
nu = sp.Symbol("nu", nonnegative=True)               # label noise ν
nu_T = sp.Symbol("nu_T", nonnegative=True)           # soft-label noise ν_T
tau2 = sp.Symbol("tau2", positive=True)              # complement variance τ²
k = sp.Symbol("k", positive=True, integer=True)      # outputs
r = sp.Symbol("r", positive=True, integer=True)      # rank
thetaQ2 = sp.Symbol("thetaQ2", nonnegative=True)     # ‖Q θ_i‖²
thetaP2 = sp.Symbol("thetaP2", nonnegative=True)     # ‖(I − Q) θ_i‖²
zQ2 = sp.Symbol("zQ2", nonnegative=True)             # ‖Q z_i‖²
zP2 = sp.Symbol("zP2", nonnegative=True)             # ‖(I − Q) z_i‖²

LATEX_NAMES = {
    s: "s_i", beta_T: r"\beta_T", lambda_T: r"\lambda_T", beta_S: r"\beta_S",
    lambda_S: r"\lambda_S", alpha: r"\alpha", nu: r"\nu", nu_T: r"\nu_T", tau2: r"\tau^2",
    k: "k", r: "r", thetaQ2: r"\lVert Q\theta_i\rVert^2", thetaP2: r"\lVert Q_\perp\theta_i\rVert^2",
    zQ2: r"\lVert Q z_i\rVert^2", zP2: r"\lVert Q_\perp z_i\rVert^2",
}

SYMBOL_DOCS = {
    "s": "eigenvalue s_i of XXᵀ (mode i)",
    "beta_T": "teacher inverse temperature β_T", "lambda_T": "teacher ridge λ_T",
    "beta_S": "student inverse temperature β_S", "lambda_S": "student ridge λ_S",
    "alpha": "hard-label weight α", "nu": "label noise ν", "nu_T": "soft-label noise ν_T",
    "tau2": "complement variance τ²", "k": "number of outputs", "r": "student rank",
    "thetaQ2": "‖Qθ_i‖², signal energy of mode i inside the student's output range",
    "thetaP2": "‖(I−Q)θ_i‖², signal energy of mode i outside it",
    "zQ2": "‖Q z_i‖², z_i = Y Xᵀ u_i (conditional forms)", "zP2": "‖(I−Q) z_i‖²",
}

HYPER = (beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2)
#: Argument order of every numeric per-mode function (documented; see :func:`to_numeric`).
ARGS = {
    "expected": (s, *HYPER, k, r, thetaQ2, thetaP2),
    "conditional": (s, *HYPER, k, r, zQ2, zP2),
}

#: The one-way directions derived (``"symmetric"`` is their sum).
ONE_WAY = Direction.SYMMETRIC.parts
FLAVOURS = Flavour.values()
REGIMES = Regime.values()
PIECES = ("variance", "bias", "bottleneck_mean", "bottleneck_covariance")
#: Per-mode terms :func:`lingauss.symbolic.derive` returns (its pieces, then their sums).
MODE_TERMS = PIECES + ("rank_bottleneck", "total")


class v(sp.Function):
    """``v(x) = x − 1 − log x``, the covariance part of a Gaussian KL (``2·KL(N(0,x)‖N(0,1))``).

    Kept as a named function so that derived forms read as in docs/model.md §5 and lambdify to the
    numerically stable :func:`lingauss._linalg.vfun`.

    >>> v(1)
    0
    >>> v(sp.Symbol("x")).rewrite(sp.log)
    x - log(x) - 1
    """

    @classmethod
    def eval(cls, x):
        if x == 1:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_log(self, x, **kwargs):
        return x - 1 - sp.log(x)

    def fdiff(self, argindex=1):
        return 1 - 1 / self.args[0]

    def _eval_is_nonnegative(self):
        if self.args[0].is_positive:
            return True
        return None

    def _latex(self, printer, exp=None):
        inner = r"v\left(%s\right)" % printer._print(self.args[0])
        return inner if exp is None else r"%s^{%s}" % (inner, exp)


# --------------------------------------------------------------------------------------------
# Step 1–3: per-mode kernel moments
# --------------------------------------------------------------------------------------------

class Moments(NamedTuple):
    """A coordinate's mean (a function of the statistic ``z``) and variance."""

    mean: sp.Expr
    var: sp.Expr


def gibbs_moments(energy: sp.Expr, w: sp.Symbol) -> Moments:
    """Mean and variance of ``exp(−energy(w))`` for an energy quadratic in ``w``.

    >>> w, z = sp.symbols("w z", real=True)
    >>> gibbs_moments((w - z) ** 2 / 2, w)
    Moments(mean=z, var=1)
    """
    precision = sp.diff(energy, w, 2)
    (mean,) = sp.solve(sp.Eq(sp.diff(energy, w), 0), w)
    return Moments(sp.simplify(mean), sp.simplify(1 / precision))


_w = sp.Symbol("w", real=True)
z_stat = sp.Symbol("z", real=True)        # z = q_jᵀ Y Xᵀ u_i, the mode's sufficient statistic
_zt = sp.Symbol("ztilde", real=True)  # the student's target statistic q_jᵀ Ỹ Xᵀ u_i


def _mode_energy(beta, ridge, target):
    """Gibbs energy of one coordinate ``w = q_jᵀ W u_i``: ``β/2 ‖y − wx‖² + λ/2 w²`` restricted
    to the mode (``‖y_j − w_jᵀX‖² = const − 2 Σ_i w_{ji} z_{ji} + Σ_i s_i w_{ji}²``)."""
    return beta / 2 * (-2 * _w * target + s * _w ** 2) + ridge / 2 * _w ** 2


@functools.lru_cache(maxsize=None)
def teacher_moments() -> Moments:
    """Teacher coordinate: ``N(β_T z / a, 1/a)``, ``a = β_T s + λ_T`` (docs/model.md §2)."""
    return gibbs_moments(_mode_energy(beta_T, lambda_T, z_stat), _w)


def linear_moments(expr: sp.Expr, variables: dict) -> Moments:
    """Mean and variance of ``expr``, affine in independent Gaussians (moment rules).

    ``E[c₀ + Σ cⱼ xⱼ] = c₀ + Σ cⱼ E xⱼ`` and ``Var[c₀ + Σ cⱼ xⱼ] = Σ cⱼ² Var xⱼ``; the
    affinity is checked, not assumed.

    >>> x, y = sp.symbols("x y")
    >>> linear_moments(2 * x + y + 1, {x: Moments(1, 3), y: Moments(0, 1)})
    Moments(mean=3, var=13)
    """
    names = list(variables)
    for i, a in enumerate(names):
        for b in names[i:]:
            if sp.simplify(sp.diff(expr, a, b)) != 0:
                raise AssertionError(f"{expr} is not affine in {a}, {b}")
    mean = expr.subs({x: m.mean for x, m in variables.items()})
    # each summand factored on its own: a sum of positive products, free of cancellation
    var = sum((sp.factor(sp.diff(expr, x) ** 2) * m.var for x, m in variables.items()),
              sp.S.Zero)
    return Moments(sp.simplify(mean), var)


_wT = sp.Symbol("w_T", real=True)      # a teacher coordinate drawn from its kernel
_eps = sp.Symbol("epsilon", real=True)  # a standard normal


@functools.lru_cache(maxsize=None)
def student_moments(soft_labels: str) -> Moments:
    """Trained student coordinate, soft labels marginalised (docs/model.md §3).

    Given the target statistic ``z̃ = α z + (1−α) ẑ`` the student is ``N(β_S z̃/b, 1/b)``. The
    soft-label statistic ``ẑ = q_jᵀ Ŷ Xᵀ u_i`` is ``s·m_T`` (mean), ``s·w_T`` with ``w_T`` the
    teacher coordinate (sampled), plus ``ν_T √s ε`` (sampled+noise). The mean is linear in ``ẑ``,
    so the marginal is Gaussian: its mean and variance follow by moment rules, and the
    variance adds to the conditional variance ``1/b``.
    """
    cond = gibbs_moments(_mode_energy(beta_S, lambda_S, _zt), _w)
    t_mom = teacher_moments()
    variables = {}
    soft_labels = SoftLabels.parse(soft_labels, "soft_labels")
    if not soft_labels.sampled:
        zhat = s * t_mom.mean
    else:
        zhat = s * _wT
        variables[_wT] = t_mom
        if soft_labels.noisy:
            zhat = zhat + nu_T * sp.sqrt(s) * _eps
            variables[_eps] = Moments(sp.S.Zero, sp.S.One)
    mean_given = cond.mean.subs(_zt, alpha * z_stat + (1 - alpha) * zhat)
    marg = linear_moments(mean_given, variables)
    return Moments(marg.mean, cond.var + marg.var)


@functools.lru_cache(maxsize=None)
def student_given_soft_labels() -> Moments:
    """Trained student coordinate for one fixed draw of the soft labels: variance ``1/b``."""
    return gibbs_moments(_mode_energy(beta_S, lambda_S, _zt), _w)


def complement_moments() -> Moments:
    """Untrained coordinate: ``N(0, τ²)`` (docs/model.md §3)."""
    return Moments(sp.S.Zero, tau2)


def push_to_prediction(m: Moments) -> Moments:
    """The prediction ``y = √s w + ν e`` of a coordinate ``w ~ N(mean, var)``, ``e ~ N(0, 1)``.

    >>> push_to_prediction(Moments(sp.Symbol("m"), sp.Symbol("c", positive=True)))
    Moments(mean=m*sqrt(s), var=c*s + nu**2)
    """
    y = sp.sqrt(s) * _w + nu * _eps
    out = linear_moments(y, {_w: m, _eps: Moments(sp.S.Zero, sp.S.One)})
    return Moments(out.mean, out.var)


# --------------------------------------------------------------------------------------------
# Step 4: the scalar Gaussian KL, derived and split
# --------------------------------------------------------------------------------------------

_m1, _m2 = sp.symbols("m1 m2", real=True)
_v1, _v2 = sp.symbols("v1 v2", positive=True)


@functools.lru_cache(maxsize=None)
def scalar_kl() -> tuple[sp.Expr, sp.Expr]:
    """``KL(N(m1, v1) ‖ N(m2, v2))`` as ``(covariance part, mean part)``.

    Derived as ``E_p[log p(x) − log q(x)]``: the log-density ratio is a quadratic
    ``c0 + c1 x + c2 x²``, whose expectation needs only ``E x`` and ``E x²`` of the first
    Gaussian. The covariance part is the KL at equal means, rewritten as ``½ v(v1/v2)``.

    >>> cov, mean = scalar_kl()
    >>> cov, mean
    (v(v1/v2)/2, (m1 - m2)**2/(2*v2))
    """
    x = sp.Symbol("x", real=True)
    P = Normal("P", _m1, sp.sqrt(_v1))
    Qd = Normal("Q", _m2, sp.sqrt(_v2))
    log_ratio = sp.expand(sp.expand_log(sp.log(density(P)(x)) - sp.log(density(Qd)(x)),
                                        force=True))
    poly = sp.Poly(log_ratio, x)
    moments = {0: sp.S.One, 1: expectation(P), 2: expectation(P ** 2)}
    kl = sp.simplify(sum(c * moments[deg[0]] for deg, c in poly.terms()))
    cov = sp.simplify(kl.subs(_m1, _m2))
    ratio = sp.Symbol("rho", positive=True)
    # cov is ½(ρ − 1 − log ρ) with ρ = v1/v2; prove it, then name it ½ v(ρ)
    if sp.simplify(sp.expand_log(cov.subs(_v1, ratio * _v2), force=True)
                   - (ratio - 1 - sp.log(ratio)) / 2) != 0:
        raise AssertionError("covariance part of the Gaussian KL is not ½ v(v1/v2)")
    mean = sp.factor(sp.simplify(kl - cov))
    if sp.simplify(mean.subs(_m1, _m1 + _m2) - mean.subs({_m1: _m1 + _m2, _m2: 0})) != 0:
        raise AssertionError("mean part of the Gaussian KL is not a function of m1 − m2")
    return v(_v1 / _v2) / 2, mean


def kl_pieces(first: Moments, second: Moments) -> tuple[sp.Expr, sp.Expr]:
    """``(covariance part, mean part)`` of ``KL(first ‖ second)`` for one coordinate.

    The variances are substituted as they come (sums of positive terms, never expanded into
    differences), and the mean gap is factored: the forms stay free of cancellation.
    """
    cov, mean = scalar_kl()
    gap = sp.factor(sp.cancel(first.mean - second.mean))
    return (cov.xreplace({_v1: first.var, _v2: second.var}),
            mean.xreplace({_m1: gap, _m2: sp.S.Zero, _v2: second.var}))


