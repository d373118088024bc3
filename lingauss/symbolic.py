"""The symbolic engine: per-mode closed forms derived with sympy from the model's definitions.

Nothing here is a hand-typed final formula. For one eigen-mode ``i`` of ``XXᵀ`` (eigenvalue
``s``) the engine

1. derives each kernel's posterior mean and variance by completing the square in the Gibbs
   energy of that mode (``∂E/∂w = 0`` gives the mean, ``1/∂²E/∂w²`` the variance);
2. marginalises the soft labels with Gaussian moment rules (``sympy.stats``);
3. pushes a coordinate forward to the prediction ``√s·w + ν e`` for prediction space;
4. derives the scalar Gaussian KL from the two log-densities and the moments of the first
   Gaussian, and splits it into a covariance part (rewritten as ``½ v(σ²/σ'²)``) and a mean part;
5. takes the expectation over the label noise (the statistic ``z = q_jᵀ Y Xᵀ u_i ~ N(s t, ν² s)``,
   ``t = q_jᵀθ_i``), and sums rows with their multiplicities: ``r`` trained and ``k − r``
   complement rows on kept modes ``i ≤ m``, all ``k`` rows on dropped modes.

The results are per-mode expressions for ``variance``, ``bias``, ``bottleneck_mean``,
``bottleneck_covariance``, ``rank_bottleneck`` and ``total`` (``derive``), for a fixed output
projector ``Q``, either *conditional* on the sample (symbols ``zQ2 = ‖Q z_i‖²``,
``zP2 = ‖(I−Q) z_i‖²``) or *expected* over the label noise (``thetaQ2 = ‖Qθ_i‖²``,
``thetaP2 = ‖(I−Q)θ_i‖²``). The derivation is written up in ``derivations/spectral.md``.

:func:`to_numeric` is the single bridge to numerics. The numeric fast path does not import
sympy: it uses code generated from these expressions (``lingauss/_generated.py``; regenerate
with ``python -m lingauss.symbolic``), which the tests hold equal to a fresh derivation.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.stats import E as expectation
from sympy.stats import Normal, density

from ._validation import check_option
from .model import SOFT_LABELS, SPACES

# --------------------------------------------------------------------------------------------
# Symbols (their Python names are the names users type in formulas; LaTeX names for display)
# --------------------------------------------------------------------------------------------

s = sp.Symbol("s", nonnegative=True)                 # eigenvalue s_i of XXᵀ
beta_T = sp.Symbol("beta_T", positive=True)          # teacher inverse temperature
lambda_T = sp.Symbol("lambda_T", positive=True)      # teacher ridge
beta_S = sp.Symbol("beta_S", positive=True)          # student inverse temperature
lambda_S = sp.Symbol("lambda_S", positive=True)      # student ridge
alpha = sp.Symbol("alpha", nonnegative=True)         # hard-label weight, in [0, 1]
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

#: The directions derived (``"symmetric"`` is their sum).
DIRECTIONS = ("forward", "reverse")
FLAVOURS = ("expected", "conditional")
REGIMES = ("kept", "dropped")
PIECES = ("variance", "bias", "bottleneck_mean", "bottleneck_covariance")
TERMS = PIECES + ("rank_bottleneck", "total")


class v(sp.Function):
    """``v(x) = x − 1 − log x``, the covariance part of a Gaussian KL (``2·KL(N(0,x)‖N(0,1))``).

    Kept as a named function so that derived forms read as in MODEL.md §5 and lambdify to the
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
_z = sp.Symbol("z", real=True)        # z = q_jᵀ Y Xᵀ u_i, the mode's sufficient statistic
_zt = sp.Symbol("ztilde", real=True)  # the student's target statistic q_jᵀ Ỹ Xᵀ u_i


def _mode_energy(beta, ridge, target):
    """Gibbs energy of one coordinate ``w = q_jᵀ W u_i``: ``β/2 ‖y − wx‖² + λ/2 w²`` restricted
    to the mode (``‖y_j − w_jᵀX‖² = const − 2 Σ_i w_{ji} z_{ji} + Σ_i s_i w_{ji}²``)."""
    return beta / 2 * (-2 * _w * target + s * _w ** 2) + ridge / 2 * _w ** 2


@functools.lru_cache(maxsize=None)
def teacher_moments() -> Moments:
    """Teacher coordinate: ``N(β_T z / a, 1/a)``, ``a = β_T s + λ_T`` (MODEL.md §2)."""
    return gibbs_moments(_mode_energy(beta_T, lambda_T, _z), _w)


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
    """Trained student coordinate, soft labels marginalised (MODEL.md §3).

    Given the target statistic ``z̃ = α z + (1−α) ẑ`` the student is ``N(β_S z̃/b, 1/b)``. The
    soft-label statistic ``ẑ = q_jᵀ Ŷ Xᵀ u_i`` is ``s·m_T`` (mean), ``s·w_T`` with ``w_T`` the
    teacher coordinate (sampled), plus ``ν_T √s ε`` (sampled+noise). The mean is linear in ``ẑ``,
    so the marginal is Gaussian: its mean and variance follow by moment rules, and the
    variance adds to the conditional variance ``1/b``.
    """
    cond = gibbs_moments(_mode_energy(beta_S, lambda_S, _zt), _w)
    t_mom = teacher_moments()
    variables = {}
    if soft_labels == "mean":
        zhat = s * t_mom.mean
    else:
        zhat = s * _wT
        variables[_wT] = t_mom
        if soft_labels == "sampled+noise":
            zhat = zhat + nu_T * sp.sqrt(s) * _eps
            variables[_eps] = Moments(sp.S.Zero, sp.S.One)
    mean_given = cond.mean.subs(_zt, alpha * _z + (1 - alpha) * zhat)
    marg = linear_moments(mean_given, variables)
    return Moments(marg.mean, cond.var + marg.var)


@functools.lru_cache(maxsize=None)
def student_given_soft_labels() -> Moments:
    """Trained student coordinate for one fixed draw of the soft labels: variance ``1/b``."""
    return gibbs_moments(_mode_energy(beta_S, lambda_S, _zt), _w)


def complement_moments() -> Moments:
    """Untrained coordinate: ``N(0, τ²)`` (MODEL.md §3)."""
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


# --------------------------------------------------------------------------------------------
# Step 5: expectation over the label noise, and the sums over rows
# --------------------------------------------------------------------------------------------

_t = sp.Symbol("t", real=True)   # q_jᵀ θ_i for one row


def _sum_rows(piece: sp.Expr, flavour: str, rows: sp.Expr, energy: sp.Expr) -> sp.Expr:
    """``Σ_rows`` of a per-coordinate piece ``c₀ + c₂ z²`` (checked: no linear term in ``z``).

    The constant sums to ``c₀ · rows``. Conditional: ``Σ_j c₂ z_j² = c₂ ‖·z‖²``. Expected: with
    ``z_j ~ N(s t_j, ν² s)`` the second-moment rule ``E z² = (E z)² + Var z`` is a polynomial
    ``p₂ t_j² + p₀``, and ``Σ_j t_j² = ‖·θ‖²``, so ``Σ_j E[c₂ z_j²] = c₂ (p₂ ‖·θ‖² + p₀ · rows)``.
    """
    if not piece.has(_z):
        return rows * piece
    # Taylor coefficients in z (exact for a polynomial of degree <= 2; checked below).
    c0 = piece.subs(_z, 0)
    c1 = sp.cancel(sp.diff(piece, _z).subs(_z, 0))
    c2 = sp.diff(piece, _z, 2) / 2
    if c1 != 0 or sp.cancel(sp.diff(piece, _z, 3)) != 0:
        raise AssertionError(f"piece is not c0 + c2 z²: {piece}")
    if flavour == "conditional":
        return c2 * energy + rows * c0
    mean_z, var_z = s * _t, nu ** 2 * s
    second = sp.Poly(sp.expand(mean_z ** 2 + var_z), _t)
    if second.coeff_monomial(_t) != 0:
        raise AssertionError("odd moment survived the expectation")
    return (c2 * (second.coeff_monomial(_t ** 2) * energy + second.coeff_monomial(1) * rows)
            + rows * c0)


def _expect_quadratic(expr: sp.Expr, x: sp.Symbol, m: Moments) -> sp.Expr:
    """``E[expr]`` for ``expr`` a polynomial of degree <= 2 in ``x ~ (mean, var)``."""
    poly = sp.Poly(sp.expand(expr), x)
    if poly.degree() > 2:
        raise AssertionError(f"{expr} is not quadratic in {x}")
    moments = {0: sp.S.One, 1: m.mean, 2: m.mean ** 2 + m.var}
    return sum((c * moments[deg[0]] for deg, c in poly.terms()), sp.S.Zero)


_M = sp.Symbol("M", real=True)  # the student's mean for one draw of the soft labels


@functools.lru_cache(maxsize=None)
def _slack_abstract(direction: str) -> sp.Expr:
    """``E_M D(N(M, c), N(m_T, v_T)) − D(N(E M, c + V), N(m_T, v_T))`` for ``M ~ (E M, V)``.

    Derived on abstract symbols (``c, V, v_T > 0``) and returned in terms of ``ρ = V/c``,
    ``c``, ``v_T`` and the mean gap ``g = m_T − E M``, with ``log(1 + ρ)`` as ``log1p(ρ)``.
    """
    c_, V_, vT_, rho = sp.symbols("c V v_T rho", positive=True)
    mT_, Em_, g_ = sp.symbols("m_T EM g", real=True)
    teacher = Moments(mT_, vT_)
    draw = Moments(_M, c_)
    marginal = Moments(Em_, c_ + V_)
    pair = (draw, teacher) if direction == "forward" else (teacher, draw)
    cov, mean = kl_pieces(*pair)
    bound = cov + _expect_quadratic(mean, _M, Moments(Em_, V_))
    pair = (marginal, teacher) if direction == "forward" else (teacher, marginal)
    kl = sum(kl_pieces(*pair), sp.S.Zero)
    slack = (bound - kl).rewrite(sp.log).subs({V_: rho * c_, Em_: mT_ - g_})
    slack = sp.expand(sp.expand_log(sp.simplify(slack), force=True))
    slack = sp.collect(sp.simplify(sp.logcombine(slack, force=True)), g_)
    return slack.replace(lambda e: isinstance(e, sp.log),
                         lambda e: log1p(sp.simplify(e.args[0] - 1)))


@functools.lru_cache(maxsize=None)
def convexity_slack_coordinate(space: str, soft_labels: str, direction: str) -> sp.Expr:
    """Per trained coordinate: ``E_Ŷ D(P_S(·|Ŷ), P_T) − D(P_S, P_T)`` (a function of ``z``).

    ``P_S(·|Ŷ)`` has the conditional variance ``c`` (``1/b``, pushed forward in prediction
    space) and a mean ``M`` that varies with the draw of ``Ŷ``, with ``Var M = V`` = marginal
    variance − ``c``; the general slack (:func:`_slack_abstract`) is evaluated at the model's
    moments.
    """
    teacher = _space(teacher_moments(), space)
    marg = _space(student_moments(soft_labels), space)
    cond = _space(student_given_soft_labels(), space)
    c_, vT_, rho = sp.symbols("c v_T rho", positive=True)
    g_ = sp.Symbol("g", real=True)
    ratio = sp.factor(sp.cancel((marg.var - cond.var) / cond.var))
    return _slack_abstract(direction).subs(
        {rho: ratio, c_: cond.var, vT_: teacher.var, g_: sp.factor(sp.cancel(teacher.mean - marg.mean))})


def _space(m: Moments, space: str) -> Moments:
    return push_to_prediction(m) if space == "prediction" else m


@functools.lru_cache(maxsize=None)
def derive(space: str = "parameter", soft_labels: str = "mean", direction: str = "forward",
           flavour: str = "expected") -> dict:
    """Per-mode closed forms of every term, derived from the model.

    Parameters
    ----------
    space : {"parameter", "prediction"}
    soft_labels : {"mean", "sampled", "sampled+noise"}
    direction : {"forward", "reverse", "symmetric"}
        ``KL(P_S‖P_T)``, ``KL(P_T‖P_S)``, or their sum (term by term).
    flavour : {"expected", "conditional"}
        Expected over the label noise (symbols ``thetaQ2``, ``thetaP2``), or given the sample
        (symbols ``zQ2``, ``zP2``).

    Returns
    -------
    dict
        ``{regime: {term: expr}}`` with regimes ``"kept"`` (mode ``i <= m``) and ``"dropped"``
        (``i > m``), terms ``variance, bias, bottleneck_mean, bottleneck_covariance,
        rank_bottleneck, total``. The divergence is the sum over modes. Argument order for
        numerics: :data:`ARGS`.

    Examples
    --------
    >>> forms = derive("parameter", "mean", "forward", "expected")
    >>> forms["kept"]["variance"]
    r*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))/2
    >>> forms["kept"]["bias"]
    (alpha*beta_S*lambda_T - beta_T*lambda_S)**2*(nu**2*r*s + s**2*thetaQ2)/(2*(beta_S*s + lambda_S)**2*(beta_T*s + lambda_T))
    >>> forms["dropped"]["bias"]
    0
    """
    check_option(space, "space", SPACES)
    check_option(soft_labels, "soft_labels", SOFT_LABELS)
    check_option(direction, "direction", DIRECTIONS + ("symmetric",))
    check_option(flavour, "flavour", FLAVOURS)
    if direction == "symmetric":    # KL(P_S‖P_T) + KL(P_T‖P_S), term by term
        fwd, rev = (derive(space, soft_labels, dr, flavour) for dr in DIRECTIONS)
        return {regime: {name: fwd[regime][name] + rev[regime][name] for name in fwd[regime]}
                for regime in fwd}
    teacher = _space(teacher_moments(), space)
    trained = _space(student_moments(soft_labels), space)
    compl = _space(complement_moments(), space)

    def pieces(student):
        pair = (student, teacher) if direction == "forward" else (teacher, student)
        return kl_pieces(*pair)

    cov_tr, mean_tr = pieces(trained)
    cov_c, mean_c = pieces(compl)
    in_Q, out_Q = (thetaQ2, thetaP2) if flavour == "expected" else (zQ2, zP2)
    kept = dict(
        variance=_sum_rows(cov_tr, flavour, r, in_Q),
        bias=_sum_rows(mean_tr, flavour, r, in_Q),
        bottleneck_mean=_sum_rows(mean_c, flavour, k - r, out_Q),
        bottleneck_covariance=_sum_rows(cov_c, flavour, k - r, out_Q),
    )
    dropped = dict(
        variance=sp.S.Zero,
        bias=sp.S.Zero,
        bottleneck_mean=_sum_rows(mean_c, flavour, k, in_Q + out_Q),
        bottleneck_covariance=_sum_rows(cov_c, flavour, k, in_Q + out_Q),
    )
    if soft_labels != "mean":
        slack = convexity_slack_coordinate(space, soft_labels, direction)
        kept["convexity_slack"] = _sum_rows(slack, flavour, r, in_Q)
        dropped["convexity_slack"] = sp.S.Zero
    out = {}
    for regime, terms in (("kept", kept), ("dropped", dropped)):
        terms["rank_bottleneck"] = terms["bottleneck_mean"] + terms["bottleneck_covariance"]
        # K = (bias + variance) + rank_bottleneck
        terms["total"] = terms["bias"] + terms["variance"] + terms["rank_bottleneck"]
        out[regime] = terms
    return out


@functools.lru_cache(maxsize=None)
def tau2_stationarity(direction: str, soft_labels: str = "mean", regime: str = "kept"):
    """``(A, B, C)`` with ``τ⁴ ∂K_i/∂τ² = A τ⁴ + B τ² + C`` for one mode (parameter space).

    Derived from the conditional per-mode total; ``None`` when ``τ⁴ ∂K_i/∂τ²`` is not a
    polynomial of degree <= 2 in ``τ²``. Summed over the modes, the stationary points of
    ``K`` in ``τ²`` are the positive roots of ``(ΣA) x² + (ΣB) x + ΣC``.

    >>> A, B, C = tau2_stationarity("forward")
    >>> sp.simplify(A - (k - r) * (beta_T * s + lambda_T) / 2), sp.simplify(B + (k - r) / 2), C
    (0, 0, 0)
    """
    total = derive("parameter", soft_labels, direction, "conditional")[regime]["total"]
    expr = sp.cancel(sp.diff(total, tau2) * tau2 ** 2)
    num, den = sp.fraction(expr)
    if den.has(tau2):
        return None
    poly = sp.Poly(sp.expand(num), tau2)
    if poly.degree() > 2:
        return None
    return tuple(sp.factor(poly.coeff_monomial(tau2 ** j)) / den for j in (2, 1, 0))


def latex(expr: sp.Expr) -> str:
    """LaTeX with the model's names (``\\beta_T``, ``s_i``, ``\\tau^2`` …).

    >>> latex(tau2 * s)
    's_i \\\\tau^2'
    """
    return sp.latex(expr, symbol_names=LATEX_NAMES)


# --------------------------------------------------------------------------------------------
# The one bridge between symbolic and numeric
# --------------------------------------------------------------------------------------------

def _numeric_modules():
    from ._linalg import vfun
    return [{"v": vfun}, "numpy"]


@functools.lru_cache(maxsize=None)
def to_numeric(expr: sp.Expr, args: tuple):
    """Lambdify ``expr`` with the ordered symbols ``args`` (explicit ``modules``), cached.

    The returned function takes the arguments positionally in the order of ``args`` and
    broadcasts over numpy arrays; ``v`` maps to the stable :func:`lingauss._linalg.vfun`.

    >>> f = to_numeric(v(s) / 2, (s,))
    >>> float(f(1.0)), float(f(2.0)) == (1 - float(sp.log(2))) / 2
    (0.0, True)
    """
    return sp.lambdify(args, expr, modules=_numeric_modules(), cse=True)


def pieces_of(forms: dict, regime: str) -> tuple:
    """The names of the pieces a numeric function returns, in order."""
    return tuple(name for name in PIECES + ("convexity_slack",) if name in forms[regime])


_c = sp.Symbol("c", nonnegative=True, integer=True)   # k − r, the complement rows

#: Argument order of the generated coefficient functions (the per-mode, per-hyper-parameter
#: part; the multiplicities are applied by the caller).
COEFF_ARGS = (s, *HYPER)
#: Names of the four multiplicities every per-mode term is linear in.
MULTIPLICITIES = ("r", "k_minus_r", "Q2", "P2")


def linear_coefficients(expr: sp.Expr, flavour: str) -> tuple:
    """Coefficients of ``expr = r·A + (k − r)·B + Q2·C + P2·D`` (proved, not assumed).

    ``Q2, P2`` are ``thetaQ2, thetaP2`` (expected) or ``zQ2, zP2`` (conditional). Every derived
    term is a sum over rows, hence linear in the row counts and the energies; the proof:
    each coefficient (a partial derivative) is free of the four variables and the value at
    zero is zero, so the expression equals its linear part exactly. Writing ``k = r + (k − r)``
    keeps ``(k − r)·x`` from being evaluated as the difference ``k·x − r·x``.

    >>> linear_coefficients(derive()["kept"]["variance"], "expected")
    (v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))/2, 0, 0, 0)
    """
    Q2, P2 = ARGS[flavour][-2:]
    e = expr.subs(k, r + _c)
    variables = (r, _c, Q2, P2)
    coeffs = tuple(sp.diff(e, x) for x in variables)
    if any(cf.has(x) for cf in coeffs for x in variables) or \
            sp.simplify(e.subs({x: 0 for x in variables})) != 0:
        raise AssertionError(f"not linear in (r, k − r, Q2, P2): {expr}")
    return coeffs


def generated_source() -> str:
    """Python source of ``lingauss/_generated.py``.

    One function per ``(space, soft_labels, direction, flavour, regime)``; it takes the
    arguments ``COEFF_ARGS`` (broadcasting numpy arrays) and returns, for each piece named in
    ``PIECES[key]``, the four coefficients of :func:`linear_coefficients` (a literal ``0``
    where a coefficient vanishes); common subexpressions are shared via ``sympy.cse``.
    """
    from sympy.printing.numpy import NumPyPrinter

    printer = NumPyPrinter({"user_functions": {"v": "vfun"}, "fully_qualified_modules": True})
    lines = [
        '"""Numeric per-mode terms generated by ``lingauss.symbolic`` (do not edit by hand).',
        "",
        "Regenerate with ``python -m lingauss.symbolic derivations/spectral.md``;",
        "tests/test_symbolic.py fails when this file differs from a fresh derivation.",
        "",
        "``FUNCTIONS[key](*COEFF_ARGS)``, key = (space, soft_labels, direction, flavour, regime),",
        "returns one tuple per piece named in ``PIECES[key]``: the coefficients of the",
        "multiplicities ``(r, k − r, Q2, P2)`` (``Q2, P2`` = ``thetaQ2, thetaP2`` expected, or",
        "``zQ2, zP2`` conditional); a piece is ``r·A + (k − r)·B + Q2·C + P2·D``. Coefficients",
        'come back unbroadcast (a vanishing one as the integer 0)."""',
        "",
        "import numpy",
        "",
        "from ._linalg import vfun",
        "",
        f"COEFF_ARGS = {tuple(a.name for a in COEFF_ARGS)!r}",
        f"MULTIPLICITIES = {MULTIPLICITIES!r}",
        "ARGS = {",
    ]
    for flavour, args in ARGS.items():
        lines.append(f"    {flavour!r}: {tuple(a.name for a in args)!r},")
    lines += ["}", "", "FUNCTIONS = {}", "PIECES = {}", ""]
    argnames = ", ".join(a.name for a in COEFF_ARGS)
    for space in SPACES:
        for soft in SOFT_LABELS:
            for direction in DIRECTIONS:
                for flavour in FLAVOURS:
                    forms = derive(space, soft, direction, flavour)
                    for regime in REGIMES:
                        names = pieces_of(forms, regime)
                        coeffs = [linear_coefficients(forms[regime][n], flavour) for n in names]
                        flat = [cf for group in coeffs for cf in group]
                        subs, reduced = sp.cse(flat, symbols=sp.numbered_symbols("x"))
                        fname = "_".join([space, soft.replace("+", "_"), direction, flavour,
                                          regime])
                        lines.append(f"def {fname}({argnames}):")
                        for sym, sub in subs:
                            lines.append(f"    {sym} = {printer.doprint(sub)}")
                        lines.append("    return (")
                        for g in range(len(names)):
                            group = reduced[4 * g:4 * g + 4]
                            body = ", ".join(printer.doprint(e) for e in group)
                            lines.append(f"        ({body}),")
                        lines += ["    )", ""]
                        key = (space, soft, direction, flavour, regime)
                        lines.append(f"FUNCTIONS[{key!r}] = {fname}")
                        lines.append(f"PIECES[{key!r}] = {names!r}")
                        lines += ["", ""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# The derivation document: its formula blocks are produced here
# --------------------------------------------------------------------------------------------

#: The option combinations whose forms derivations/spectral.md shows (expected flavour).
DOCUMENTED = tuple((space, soft, direction) for space in SPACES for soft in SOFT_LABELS
                   for direction in DIRECTIONS)
_BEGIN = "<!-- BEGIN GENERATED {key} -->"
_END = "<!-- END GENERATED -->"


def formula_block(space: str, soft_labels: str, direction: str,
                  flavour: str = "expected") -> str:
    """Markdown with the LaTeX of every derived term of one option combination.

    >>> print(formula_block("parameter", "mean", "forward").splitlines()[0])
    **kept modes** ($i \\le m$):
    """
    forms = derive(space, soft_labels, direction, flavour)
    lines = []
    for regime, title in (("kept", "**kept modes** ($i \\le m$):"),
                          ("dropped", "**dropped modes** ($i > m$):")):
        lines += [title, ""]
        for name, expr in forms[regime].items():
            if name in ("rank_bottleneck", "total"):
                continue        # visibly sums of the parts above (see derive)
            lines += [f"- `{name}`:", "", f"  $$ {latex(expr)} $$", ""]
    return "\n".join(lines).rstrip() + "\n"


def document_blocks(text: str) -> dict:
    """``{key: block}`` of the generated blocks found in a document's text."""
    out = {}
    for key in (" ".join(c) for c in DOCUMENTED):
        begin = _BEGIN.format(key=key)
        if begin in text:
            start = text.index(begin) + len(begin) + 1
            out[key] = text[start:text.index(_END, start)]
    return out


def update_document(path) -> None:
    """Rewrite the generated formula blocks of ``path`` (derivations/spectral.md) in place."""
    import pathlib

    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    for combo in DOCUMENTED:
        key = " ".join(combo)
        begin = _BEGIN.format(key=key)
        if begin not in text:
            raise ValueError(f"{path} has no block {begin}")
        start = text.index(begin) + len(begin) + 1
        text = text[:start] + formula_block(*combo) + text[text.index(_END, start):]
    path.write_text(text, encoding="utf-8")


def _write_generated(path=None):
    import pathlib

    path = pathlib.Path(path or pathlib.Path(__file__).with_name("_generated.py"))
    path.write_text(generated_source(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    import sys

    print(f"wrote {_write_generated()}")
    for doc in sys.argv[1:]:         # e.g. derivations/spectral.md
        update_document(doc)
        print(f"updated {doc}")
