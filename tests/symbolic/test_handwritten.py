"""Independent, hand-derived checks of the symbolic engine (``lingauss.symbolic``).

Every closed form below was derived by hand from docs/model.md §§2-5, per eigen-mode
(eigenvalue ``s``) and per output row ``j`` (sufficient statistic ``z``); nothing
is taken from the engine except its public symbols and ``derive``.

Hand derivation (parameter space, one coordinate w = q_jᵀ W u_i)
---------------------------------------------------------------
* teacher:      energy β_T/2 (s w² − 2 w z) + λ_T/2 w²  ⇒  N(β_T z / a, 1/a),
                a = β_T s + λ_T.
* student | ẑ:  N(β_S z̃ / b, 1/b),  z̃ = α z + (1−α) ẑ,  b = β_S s + λ_S.
  Marginalising ẑ (E ẑ = s·teacher mean in all three modes):
      mean  = g z,  g = β_S (α + (1−α) β_T s / a) / b,
      var   = 1/b + V,  V = (β_S (1−α) / b)² Var ẑ,
      Var ẑ = 0 (mean), s²/a (sampled), s²/a + ν_T² s (sampled+noise).
* complement:   N(0, τ²).
* prediction:   N(μ, c) ↦ N(√s μ, s c + ν²).

Scalar KL(N(m1,v1) ‖ N(m2,v2)) = ½ v(v1/v2) + (m1−m2)²/(2 v2).  Every mean part is
(coefficient)·z², so summing rows gives coefficient·Σz², where Σz² is zQ2 / zP2
(conditional) or, with E z² = s² t² + ν² s, s² thetaQ2 + ν² s r  etc. (expected).

Convexity slack, with c = conditional variance, V = variance of the conditional
mean (both in the chosen space), c_T teacher variance, Δ = mean difference:
* forward: ½ log(1 + V/c)                                     (mutual information)
* reverse: E_M KL(T ‖ N(M,c)) − KL(T ‖ N(μ_S, c+V))
         = ½ v(c_T/c) + (Δ²+V)/(2c) − ½ v(c_T/(c+V)) − Δ²/(2(c+V))
         = ½ [c_T V / (c (c+V)) − log(1 + V/c)] + V/(2c) + Δ² V / (2 c (c+V))
  which is ≥ 0 since V/c ≥ log(1+V/c).
"""

from __future__ import annotations

import functools
import itertools
import random

import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

from lingauss import symbolic as S

SPACES = ("parameter", "prediction")
SOFTS = ("mean", "sampled", "sampled+noise")
DIRECTIONS = ("forward", "reverse")
FLAVOURS = ("expected", "conditional")
REGIMES = ("kept", "dropped")
BASE_TERMS = ("variance", "bias", "bottleneck_mean", "bottleneck_covariance",
              "rank_bottleneck", "total")
COMBOS = list(itertools.product(SPACES, SOFTS, DIRECTIONS, FLAVOURS))

half = sp.Rational(1, 2)
s, bT, lT, bS, lS = S.s, S.beta_T, S.lambda_T, S.beta_S, S.lambda_S
al, nu, nuT, tau2, k, r = S.alpha, S.nu, S.nu_T, S.tau2, S.k, S.r
tQ, tP, zQ, zP = S.thetaQ2, S.thetaP2, S.zQ2, S.zP2


# --------------------------------------------------------------------------
# hand-written building blocks
# --------------------------------------------------------------------------
def vfun(x):
    """v(x) = x − 1 − log x, written with logs."""
    return x - 1 - sp.log(x)


def a_():
    return bT * s + lT


def b_():
    return bS * s + lS


def teacher_param():
    """(mean coefficient per unit z, variance) of the teacher coordinate."""
    return bT / a_(), 1 / a_()


def soft_label_var(soft):
    if soft == "mean":
        return sp.Integer(0)
    if soft == "sampled":
        return s**2 / a_()
    return s**2 / a_() + nuT**2 * s


def student_param(soft):
    """(mean coefficient g, conditional variance 1/b, variance V of the conditional mean)."""
    g = bS * (al + (1 - al) * bT * s / a_()) / b_()
    V = (bS * (1 - al) / b_())**2 * soft_label_var(soft)
    return g, 1 / b_(), V


def to_space(mean_coef, var, space):
    if space == "parameter":
        return mean_coef, var
    return sp.sqrt(s) * mean_coef, s * var + nu**2


def var_to_space(V, space):
    """A variance of the *mean* (no extra noise added) pushed to the space."""
    return V if space == "parameter" else s * V


def kl_parts(m1, v1, m2, v2):
    """(covariance part, mean coefficient multiplying z²) of KL(N(m1 z, v1) ‖ N(m2 z, v2))."""
    return half * vfun(v1 / v2), (m1 - m2)**2 / (2 * v2)


def sums(flavour):
    """Σ z² over trained rows, complement rows (kept), all rows (dropped)."""
    if flavour == "conditional":
        return zQ, zP, zQ + zP
    return (s**2 * tQ + nu**2 * s * r,
            s**2 * tP + nu**2 * s * (k - r),
            s**2 * (tQ + tP) + nu**2 * s * k)


def hand_forms(space, soft, direction, flavour):
    mT, cT = to_space(*teacher_param(), space)
    g, c_cond, V = student_param(soft)
    mS, cS = to_space(g, c_cond + V, space)      # marginal student
    mC, cC = to_space(sp.Integer(0), tau2, space)  # complement
    # conditional student (one draw of ẑ): variance 1/b pushed; V pushed
    c_c = to_space(sp.Integer(0), c_cond, space)[1]
    Vs = var_to_space(V, space)

    if direction == "forward":
        tr_cov, tr_mean = kl_parts(mS, cS, mT, cT)
        cp_cov, cp_mean = kl_parts(mC, cC, mT, cT)
    else:
        tr_cov, tr_mean = kl_parts(mT, cT, mS, cS)
        cp_cov, cp_mean = kl_parts(mT, cT, mC, cC)

    sQ, sP, sAll = sums(flavour)
    kept = {
        "variance": r * tr_cov,
        "bias": tr_mean * sQ,
        "bottleneck_covariance": (k - r) * cp_cov,
        "bottleneck_mean": cp_mean * sP,
    }
    dropped = {
        "variance": sp.Integer(0),
        "bias": sp.Integer(0),
        "bottleneck_covariance": k * cp_cov,
        "bottleneck_mean": cp_mean * sAll,
    }
    for d in (kept, dropped):
        d["rank_bottleneck"] = d["bottleneck_covariance"] + d["bottleneck_mean"]
        d["total"] = d["variance"] + d["bias"] + d["rank_bottleneck"]
    if soft != "mean":
        if direction == "forward":
            slack = r * half * sp.log(1 + Vs / c_c)
        else:
            delta2 = (mT - mS)**2     # per unit z²
            const = (half * (cT * Vs / (c_c * (c_c + Vs)) - sp.log(1 + Vs / c_c))
                     + Vs / (2 * c_c))
            slack = r * const + delta2 * Vs / (2 * c_c * (c_c + Vs)) * sQ
        kept["convexity_slack"] = slack
        dropped["convexity_slack"] = sp.Integer(0)
    return {"kept": kept, "dropped": dropped}


# --------------------------------------------------------------------------
# engine access (cached) and comparison helpers
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def engine(space, soft, direction, flavour):
    return S.derive(space, soft, direction, flavour)


def to_logs(expr):
    expr = sp.sympify(expr)
    expr = expr.replace(S.v, lambda x: x - 1 - sp.log(x))
    expr = expr.replace(log1p, lambda x: sp.log(1 + x))
    return expr


def _rand_rat(rng, lo, hi):
    # exact rational in [lo, hi] with a 1e-6 grid
    return sp.Rational(lo) + (sp.Rational(hi) - sp.Rational(lo)) * sp.Rational(
        rng.randint(0, 10**6), 10**6)


def random_points(n=6, seed=20260513):
    rng = random.Random(seed)
    pts = []
    for _ in range(n):
        kk = rng.randint(1, 6)
        rr = rng.randint(1, kk)
        pts.append({
            s: _rand_rat(rng, "0.05", 20), bT: _rand_rat(rng, "0.1", 5),
            lT: _rand_rat(rng, "0.05", 3), bS: _rand_rat(rng, "0.1", 5),
            lS: _rand_rat(rng, "0.05", 3), al: _rand_rat(rng, 0, 1),
            nu: _rand_rat(rng, "0.1", 2), nuT: _rand_rat(rng, "0.1", 2),
            tau2: _rand_rat(rng, "0.05", 4), k: sp.Integer(kk), r: sp.Integer(rr),
            tQ: _rand_rat(rng, 0, 5), tP: _rand_rat(rng, 0, 5),
            zQ: _rand_rat(rng, 0, 50), zP: _rand_rat(rng, 0, 50),
        })
    return pts


POINTS = random_points()
DIGITS = 40
RTOL = sp.Float("1e-20", DIGITS)


def num(expr, pt):
    val = sp.N(to_logs(expr).xreplace(pt), DIGITS)
    assert val.is_real or val.is_Number, (expr, val)
    return val


def assert_close(e_val, h_val, ctx):
    scale = max(abs(h_val), abs(e_val))
    if scale == 0:
        return
    assert abs(e_val - h_val) <= RTOL * scale + sp.Float("1e-30", DIGITS), (
        f"{ctx}: engine={e_val} hand={h_val}")


# --------------------------------------------------------------------------
# 1. numeric agreement at random points — the decisive check
# --------------------------------------------------------------------------
@pytest.mark.parametrize("space,soft,direction,flavour", COMBOS,
                         ids=["-".join(c) for c in COMBOS])
def test_engine_matches_hand_numerically(space, soft, direction, flavour):
    eng = engine(space, soft, direction, flavour)
    hand = hand_forms(space, soft, direction, flavour)
    expected_terms = set(BASE_TERMS) | ({"convexity_slack"} if soft != "mean" else set())
    for regime in REGIMES:
        assert set(eng[regime]) == expected_terms, (regime, set(eng[regime]))
        for term in sorted(expected_terms):
            e_expr, h_expr = eng[regime][term], hand[regime][term]
            for i, pt in enumerate(POINTS):
                assert_close(num(e_expr, pt), num(h_expr, pt),
                             f"{space}/{soft}/{direction}/{flavour}/{regime}/{term} point {i}")


# --------------------------------------------------------------------------
# 2. symbolic agreement (simplify after rewriting v into logs)
# --------------------------------------------------------------------------
def _canonical_zero(diff):
    """Decide diff == 0 for sums of rational functions and logs of rational functions.

    Every log argument is factored and expanded into logs of irreducible factors
    (all our factors are positive on the domain); those logs are replaced by
    independent symbols L_i, so diff is linear in them, and the coefficient of
    every L_i and the log-free remainder must cancel to 0 as rational functions.
    """
    diff = to_logs(diff)
    diff = diff.replace(sp.log, lambda x: sp.log(sp.factor(sp.together(x))))
    diff = sp.expand_log(diff, force=True)
    logs = sorted(diff.atoms(sp.log), key=sp.default_sort_key)
    Ls = sp.symbols(f"L0:{len(logs)}")
    diff = diff.xreplace(dict(zip(logs, Ls)))
    parts = [diff.diff(L) for L in Ls] + [diff.xreplace({L: 0 for L in Ls})]
    for part in parts:
        if part.free_symbols & set(Ls):      # not linear in the logs
            return False
        if sp.cancel(sp.together(part)) != 0:
            return False
    return True


@pytest.mark.parametrize("space,soft,direction,flavour", COMBOS,
                         ids=["-".join(c) for c in COMBOS])
def test_engine_matches_hand_symbolically(space, soft, direction, flavour):
    eng = engine(space, soft, direction, flavour)
    hand = hand_forms(space, soft, direction, flavour)
    for regime in REGIMES:
        for term, h_expr in hand[regime].items():
            diff = to_logs(eng[regime][term]) - h_expr
            ok = _canonical_zero(diff)
            if not ok:  # slower fallback
                ok = sp.simplify(sp.expand_log(diff, force=True)) == 0
            assert ok, f"{space}/{soft}/{direction}/{flavour}/{regime}/{term}: {diff}"


# --------------------------------------------------------------------------
# 3. docs/model.md §5 forms, verbatim
# --------------------------------------------------------------------------
def _section5():
    a_i = bT * s + lT
    b_i = bS * s + lS
    h_i = bT / a_i
    g_i = bS * (al + (1 - al) * bT * s / a_i) / b_i
    return a_i, b_i, h_i, g_i


def test_section5_parameter_mean_forward_expected():
    a_i, b_i, h_i, g_i = _section5()
    v = vfun
    kept = {
        "variance": (r / 2) * v(a_i / b_i),
        "bias": half * a_i * (h_i - g_i)**2 * (s**2 * tQ + nu**2 * s * r),
        "rank_bottleneck": ((k - r) / 2) * v(a_i * tau2)
        + half * a_i * h_i**2 * (s**2 * tP + nu**2 * s * (k - r)),
    }
    dropped = {
        "rank_bottleneck": (k / 2) * v(a_i * tau2)
        + half * a_i * h_i**2 * (s**2 * (tQ + tP) + nu**2 * s * k),
        "variance": sp.Integer(0),
        "bias": sp.Integer(0),
    }
    eng = engine("parameter", "mean", "forward", "expected")
    for regime, forms in (("kept", kept), ("dropped", dropped)):
        for term, h_expr in forms.items():
            diff = to_logs(eng[regime][term]) - h_expr
            assert _canonical_zero(diff), (regime, term)
            for pt in POINTS:
                assert_close(num(eng[regime][term], pt), num(h_expr, pt), (regime, term))


def test_section5_prediction_rule():
    """Prediction space: mean × √s, variance c ↦ ν² + s c, applied to the §5 pieces."""
    a_i, b_i, h_i, g_i = _section5()
    v = vfun
    cT, cS, cC = nu**2 + s / a_i, nu**2 + s / b_i, nu**2 + s * tau2
    # z-coefficients of means: teacher h, student g, complement 0; pushed: × √s
    kept = {
        "variance": (r / 2) * v(cS / cT),
        "bias": (sp.sqrt(s) * (g_i - h_i))**2 / (2 * cT) * (s**2 * tQ + nu**2 * s * r),
        "bottleneck_covariance": ((k - r) / 2) * v(cC / cT),
        "bottleneck_mean": (sp.sqrt(s) * h_i)**2 / (2 * cT) * (s**2 * tP + nu**2 * s * (k - r)),
    }
    dropped = {
        "bottleneck_covariance": (k / 2) * v(cC / cT),
        "bottleneck_mean": (sp.sqrt(s) * h_i)**2 / (2 * cT) * (s**2 * (tQ + tP) + nu**2 * s * k),
    }
    eng = engine("prediction", "mean", "forward", "expected")
    for regime, forms in (("kept", kept), ("dropped", dropped)):
        for term, h_expr in forms.items():
            assert _canonical_zero(to_logs(eng[regime][term]) - h_expr), (regime, term)
            for pt in POINTS:
                assert_close(num(eng[regime][term], pt), num(h_expr, pt), (regime, term))


# --------------------------------------------------------------------------
# 4. a 1-D case worked by hand
# --------------------------------------------------------------------------
# s = 2, β_T = 1, λ_T = 2  ⇒  a = 1·2 + 2 = 4;   β_S = 1, λ_S = 2  ⇒  b = 4.
# α = 1/2, ν = 1, ν_T = 1, τ² = 1/2, k = 2, r = 1.
# Conditional flavour: trained row z_1 = 4 (zQ2 = 16), complement row z_2 = 2 (zP2 = 4).
# Teacher row 1: mean β_T z/a = 4/4 = 1, var 1/4.  Row 2: mean 2/4 = 1/2, var 1/4.
# Student (mean soft labels): ẑ = s·1 = 2, z̃ = ½·4 + ½·2 = 3, mean 3/4, var 1/4.
#   parameter/forward: variance ½ v(1) = 0; bias (3/4 − 1)²/(2·¼) = (1/16)/(1/2) = 1/8.
#   complement row 2, forward: cov ½ v(τ² a) = ½ v(2) = ½(1 − log 2);
#                              mean (1/2)²/(2·¼) = (1/4)/(1/2) = 1/2.
#   dropped (both rows complement): cov 2·½ v(2) = 1 − log 2;
#                              mean (1² + (1/2)²)/(2·¼) = (5/4)·2 = 5/2.
# Prediction space (ν = 1): teacher row 1 N(√2, 2/4 + 1 = 3/2); student N(√2·3/4, 3/2):
#   variance 0; bias (√2/4)²/(2·3/2) = (1/8)/3 = 1/24.
#   complement N(0, 2·½ + 1 = 2) vs teacher row 2 N(√2/2, 3/2):
#   cov ½ v(2/(3/2)) = ½ v(4/3) = ½(1/3 − log(4/3)); mean (1/2)/(2·3/2) = 1/6.
# Sampled soft labels (parameter): Var ẑ = s²/a = 4/4 = 1,
#   V = (β_S(1−α)/b)²·1 = (1/8)² = 1/64; marginal var c+V = 1/4 + 1/64 = 17/64.
#   forward: variance ½ v((17/64)/(1/4)) = ½ v(17/16) = ½(1/16 − log(17/16)); bias 1/8;
#            slack ½ log(1 + (1/64)/(1/4)) = ½ log(17/16).
#   reverse: variance ½ v(16/17) = ½(log(17/16) − 1/17);
#            bias (1/16)/(2·17/64) = (1/16)(32/17) = 2/17;
#            slack: E_M KL = ½ v(1) + (1/16 + 1/64)/(2·¼) = (5/64)·2 = 5/32,
#                   KL(T‖marginal) = ½ log(17/16) − 1/34 + 2/17 = ½ log(17/16) + 3/34,
#                   slack = 5/32 − 3/34 − ½ log(17/16) = (85 − 48)/544 − ½ log(17/16)
#                         = 37/544 − ½ log(17/16)  (≈ 0.0377 > 0).
# Expected flavour (parameter/mean/forward) with thetaQ2 = 1: h = 1/4,
#   g = (1/2 + (1/2)(2/4))/4 = 3/16, h − g = 1/16, s²θ² + ν² s r = 4 + 2 = 6,
#   bias = ½·4·(1/256)·6 = 3/64.
WORKED = {s: 2, bT: 1, lT: 2, bS: 1, lS: 2, al: sp.Rational(1, 2), nu: 1, nuT: 1,
          tau2: sp.Rational(1, 2), k: 2, r: 1, zQ: 16, zP: 4, tQ: 1, tP: 0}
L = sp.log
WORKED_VALUES = [
    # (space, soft, direction, flavour, regime, term, value)
    ("parameter", "mean", "forward", "conditional", "kept", "variance", 0),
    ("parameter", "mean", "forward", "conditional", "kept", "bias", sp.Rational(1, 8)),
    ("parameter", "mean", "forward", "conditional", "kept", "bottleneck_covariance",
     half * (1 - L(2))),
    ("parameter", "mean", "forward", "conditional", "kept", "bottleneck_mean", half),
    ("parameter", "mean", "forward", "conditional", "kept", "total",
     sp.Rational(1, 8) + half * (1 - L(2)) + half),
    ("parameter", "mean", "forward", "conditional", "dropped", "bottleneck_covariance",
     1 - L(2)),
    ("parameter", "mean", "forward", "conditional", "dropped", "bottleneck_mean",
     sp.Rational(5, 2)),
    ("prediction", "mean", "forward", "conditional", "kept", "variance", 0),
    ("prediction", "mean", "forward", "conditional", "kept", "bias", sp.Rational(1, 24)),
    ("prediction", "mean", "forward", "conditional", "kept", "bottleneck_covariance",
     half * (sp.Rational(1, 3) - L(sp.Rational(4, 3)))),
    ("prediction", "mean", "forward", "conditional", "kept", "bottleneck_mean",
     sp.Rational(1, 6)),
    ("parameter", "sampled", "forward", "conditional", "kept", "variance",
     half * (sp.Rational(1, 16) - L(sp.Rational(17, 16)))),
    ("parameter", "sampled", "forward", "conditional", "kept", "bias", sp.Rational(1, 8)),
    ("parameter", "sampled", "forward", "conditional", "kept", "convexity_slack",
     half * L(sp.Rational(17, 16))),
    ("parameter", "sampled", "reverse", "conditional", "kept", "variance",
     half * (L(sp.Rational(17, 16)) - sp.Rational(1, 17))),
    ("parameter", "sampled", "reverse", "conditional", "kept", "bias", sp.Rational(2, 17)),
    ("parameter", "sampled", "reverse", "conditional", "kept", "convexity_slack",
     sp.Rational(37, 544) - half * L(sp.Rational(17, 16))),
    ("parameter", "sampled", "reverse", "conditional", "dropped", "convexity_slack", 0),
    ("parameter", "mean", "forward", "expected", "kept", "bias", sp.Rational(3, 64)),
]


@pytest.mark.parametrize("space,soft,direction,flavour,regime,term,value", WORKED_VALUES)
def test_worked_1d_case(space, soft, direction, flavour, regime, term, value):
    got = num(engine(space, soft, direction, flavour)[regime][term],
              {sym: sp.sympify(v) for sym, v in WORKED.items()})
    want = sp.N(sp.sympify(value), DIGITS)
    assert abs(got - want) <= sp.Float("1e-25", DIGITS), (got, want)
    # and the hand forms agree with the hand arithmetic too
    mine = num(hand_forms(space, soft, direction, flavour)[regime][term],
               {sym: sp.sympify(v) for sym, v in WORKED.items()})
    assert abs(mine - want) <= sp.Float("1e-25", DIGITS), (mine, want)


# --------------------------------------------------------------------------
# 5. reverse convexity slack ≥ 0
# --------------------------------------------------------------------------
@pytest.mark.parametrize("space,soft,flavour",
                         list(itertools.product(SPACES, ("sampled", "sampled+noise"), FLAVOURS)))
def test_reverse_convexity_slack_nonnegative(space, soft, flavour):
    eng = engine(space, soft, "reverse", flavour)
    for pt in POINTS:
        assert num(eng["kept"]["convexity_slack"], pt) >= 0
        assert num(eng["dropped"]["convexity_slack"], pt) == 0
    # also at α = 1 (no soft labels ⇒ V = 0 ⇒ slack 0) and the forward one ≥ 0
    pt = dict(POINTS[0])
    pt[al] = sp.Integer(1)
    assert abs(num(eng["kept"]["convexity_slack"], pt)) <= sp.Float("1e-30", DIGITS)
    fwd = engine(space, soft, "forward", flavour)
    for pt in POINTS:
        assert num(fwd["kept"]["convexity_slack"], pt) >= 0
