"""Independent verification of ``lingauss.divergence`` against a naive dense route.

The reference (``lingauss/_dense.py``, used by ``lingauss check`` too) builds every kernel as one full Gaussian over
``vec W`` (``kd`` coordinates) or over the training predictions (``kn`` coordinates) and
splits the KL with explicit Schur complements; it shares no code with the engine.

Tolerances: every comparison is ``|engine − ref| <= RTOL·|ref| + ATOL·scale`` with
``RTOL = 1e-9``, ``ATOL = 1e-12`` and ``scale = max(1, |total|) · dim`` (``dim`` = ``kd``
or ``kn``).  The absolute part is needed because single terms may be analytically zero
(e.g. the bottleneck when 𝒞 is empty) or tiny compared with the total: the dense
reference computes them as differences of ``O(dim · total)`` quantities (``tr − D +
log det``), so their rounding error is absolute, ``~ eps · dim · scale``.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

import lingauss
from lingauss.verify.dense import REFERENCE_TERMS as TERMS
from lingauss.verify.dense import build, reference

RTOL = 1e-9
ATOL = 1e-12

SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")
SOFT = ("mean", "sampled", "sampled+noise")
BASES = ("pca", "first", "random")
RANK_RULES = ("optimal", "oracle", "random")
COMPLEMENTS = ("prior", "optimal", 0.7)
ALPHAS = (0.0, 0.4, 1.0)
WIDTHS = ("lt", "eq")
RANKS = ("lt", "eq")


# --------------------------------------------------------------------------------------
# Instances
# --------------------------------------------------------------------------------------
def random_orthonormal(rng, rows, cols):
    Q, R = np.linalg.qr(rng.standard_normal((rows, cols)))
    return Q * np.sign(np.diag(R))


def make_instance(seed, soft, basis, rank_rule, complement, alpha, width, rank):
    """A random small instance (teacher, student, sample) realising the combination."""
    rng = np.random.default_rng(seed)
    need_rank_lt = rank == "lt"
    d = int(rng.integers(3, 7))
    k = int(rng.integers(2 if need_rank_lt else 1, 5))
    # alternate n < d and n >= d
    n = int(rng.integers(2, d)) if seed % 2 == 0 else int(rng.integers(d, 10))
    if width == "eq":
        m = d
    else:
        m = int(rng.integers(2 if need_rank_lt else 1, d))
    rmax = min(k, m)
    r = rmax if rank == "eq" else int(rng.integers(1, rmax))
    sample = lingauss.Sample.synthetic(d, k, n, noise=float(rng.uniform(0.3, 1.0)),
                                       spectrum_exponent=float(rng.uniform(0, 1.5)),
                                       seed=int(rng.integers(0, 2**31)))
    teacher = lingauss.Teacher(float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.3, 2.0)))
    kw = dict(alpha=alpha, complement_variance=complement, soft_labels=soft)
    if soft == "sampled+noise":
        kw["soft_label_noise"] = float(rng.uniform(0.2, 1.0))
    if basis == "random":
        kw["basis"] = random_orthonormal(rng, d, m)
    else:
        kw["basis"] = basis
        kw["width"] = m
    if rank_rule == "random":
        kw["rank_rule"] = random_orthonormal(rng, k, r)
    else:
        kw["rank_rule"] = rank_rule
        kw["rank"] = r
    student = lingauss.Student(float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.3, 2.0)),
                               **kw)
    return teacher, student, sample


def combo_seed(*combo):
    return zlib.crc32(repr(combo).encode())


def assert_close(actual, desired, scale, what):
    tol = RTOL * abs(desired) + ATOL * scale
    assert abs(actual - desired) <= tol, (
        f"{what}: engine {actual!r} vs dense reference {desired!r} "
        f"(|diff| {abs(actual - desired):.3e} > tol {tol:.3e})")


def compare(dec, ref, what=""):
    scale = max(1.0, abs(ref["total"])) * ref["dim"]
    for term in TERMS + ("rank_floor",):
        assert_close(getattr(dec, term), ref[term], scale, f"{what} {term}")
    if ref["convexity_bound"] is None:
        assert dec.convexity_bound is None and dec.convexity_slack is None, what
    else:
        bscale = max(1.0, abs(ref["convexity_bound"])) * ref["dim"]
        assert_close(dec.convexity_bound, ref["convexity_bound"], bscale, f"{what} bound")
        assert_close(dec.convexity_slack, ref["convexity_slack"], bscale, f"{what} slack")


def check_invariants(dec, ref, what=""):
    """Each term >= 0 (to rounding) and bias + variance + rank_bottleneck == total."""
    scale = max(1.0, abs(dec.total)) * ref["dim"]
    for term in TERMS:
        assert getattr(dec, term) >= -ATOL * scale, f"{what} {term} = {getattr(dec, term)!r} < 0"
    assert dec.rank_floor >= -ATOL * scale, what
    assert_close(dec.bias + dec.variance + dec.rank_bottleneck, dec.total, scale,
                 f"{what} bias+variance+rank_bottleneck vs total")
    assert_close(dec.bottleneck_mean + dec.bottleneck_covariance, dec.rank_bottleneck, scale,
                 f"{what} bottleneck_mean+bottleneck_covariance vs rank_bottleneck")
    if dec.convexity_bound is not None:
        assert_close(dec.convexity_slack, dec.convexity_bound - dec.total, scale,
                     f"{what} slack vs bound − total")
        assert dec.convexity_slack >= -ATOL * scale, f"{what} negative slack"


# --------------------------------------------------------------------------------------
# 1. The full cartesian product (5832 combinations)
# --------------------------------------------------------------------------------------
PRODUCT = list(itertools.product(SPACES, DIRECTIONS, SOFT, BASES, RANK_RULES, COMPLEMENTS,
                                 ALPHAS, WIDTHS, RANKS))


def _id(combo):
    sp, dr, so, ba, rr, cv, al, wi, ra = combo
    return f"{sp[:4]}-{dr[:3]}-{so}-{ba}-{rr}-cv{cv}-a{al}-w{wi}-r{ra}"


@pytest.mark.parametrize("combo", PRODUCT, ids=[_id(c) for c in PRODUCT])
def test_engine_matches_dense_reference(combo):
    space, direction, soft, basis, rank_rule, complement, alpha, width, rank = combo
    # the instance does not depend on space/direction: the same problem is seen 6 ways
    seed = combo_seed(soft, basis, rank_rule, complement, alpha, width, rank)
    T, S, D = make_instance(seed, soft, basis, rank_rule, complement, alpha, width, rank)
    dec = lingauss.divergence(T, S, D, space=space, direction=direction)
    ref = reference(T, S, D, space=space, direction=direction)
    what = f"[{_id(combo)} seed={seed} d={D.d} k={D.k} n={D.n} m={S.width} r={S.rank}]"
    compare(dec, ref, what)
    check_invariants(dec, ref, what)
    # the reference must satisfy the same exact identities (self-check of the route)
    rscale = max(1.0, abs(ref["total"])) * ref["dim"]
    assert_close(ref["bias"] + ref["variance"] + ref["rank_bottleneck"], ref["total"], rscale,
                 f"{what} reference chain rule")
    if ref["convexity_bound"] is not None and direction == "forward":
        # forward slack = I(Ŷ; W_S) = ½ log det Σ_marginal − ½ log det Σ_conditional
        assert_close(dec.convexity_slack, ref["mutual_information"], rscale,
                     f"{what} forward slack vs mutual information")


# --------------------------------------------------------------------------------------
# 1b. Few examples (n <= d/4): the inputs are decomposed by the thin SVD of X first
# --------------------------------------------------------------------------------------
FEW = list(itertools.product(SPACES, DIRECTIONS, SOFT, BASES, ("optimal", "random"),
                             ((8, 1), (12, 3), (16, 4))))


@pytest.mark.parametrize("combo", FEW, ids=[f"{c[0][:4]}-{c[1][:3]}-{c[2]}-{c[3]}-{c[4]}-"
                                            f"d{c[5][0]}n{c[5][1]}" for c in FEW])
def test_engine_matches_dense_reference_with_few_examples(combo):
    from lingauss.engine import eigen as _eigen

    space, direction, soft, basis, rank_rule, (d, n) = combo
    assert _eigen.THIN * n <= d                            # the thin-SVD route is the one run
    seed = combo_seed("few", *combo)
    T, S, D = make_instance(seed, soft, basis, rank_rule, "prior", 0.4, "lt", "lt")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, n)) * np.geomspace(1.0, 0.1, d)[:, None]
    W = rng.standard_normal((D.k, d))
    D = lingauss.Sample(X, W @ X + 0.5 * rng.standard_normal((D.k, n)), W_star=W, noise=0.5)
    m = max(S.rank or 1, min(d - 1, 3))
    S = S.replace(basis=random_orthonormal(rng, d, m), width=None) if basis == "random" \
        else S.replace(width=m)
    dec = lingauss.divergence(T, S, D, space=space, direction=direction)
    ref = reference(T, S, D, space=space, direction=direction)
    what = f"[few examples {combo} seed={seed}]"
    compare(dec, ref, what)
    check_invariants(dec, ref, what)
    eig = _eigen.eigen(D.X)
    assert eig.rho == n and np.allclose(eig.U.T @ eig.U, np.eye(d), atol=1e-12)
    np.testing.assert_allclose(eig.s[:n], np.linalg.svd(X, compute_uv=False) ** 2, rtol=1e-12)


# --------------------------------------------------------------------------------------
# 2. Structural properties
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("basis", BASES)
@pytest.mark.parametrize("soft", SOFT)
@pytest.mark.parametrize("seed", range(4))
def test_zero_when_student_equals_teacher(space, basis, soft, seed):
    """β_S = β_T, λ_S = λ_T, α = 1, full width and rank ⇒ K = 0 (every term, every direction)."""
    rng = np.random.default_rng(1000 + seed)
    d, k = int(rng.integers(3, 7)), int(rng.integers(1, 5))
    n = int(rng.integers(2, 10))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=seed)
    T = lingauss.Teacher(float(rng.uniform(0.5, 3)), float(rng.uniform(0.3, 2)))
    b = random_orthonormal(rng, d, d) if basis == "random" else basis
    S = lingauss.Student(T.beta, T.ridge, alpha=1.0, basis=b, soft_labels=soft,
                         soft_label_noise=0.3 if soft == "sampled+noise" else 0.0)
    for direction in DIRECTIONS:
        dec = lingauss.divergence(T, S, D, space=space, direction=direction)
        ref = reference(T, S, D, space=space, direction=direction)
        scale = ref["dim"]
        for term in TERMS:
            assert abs(getattr(dec, term)) <= ATOL * scale, (direction, term, getattr(dec, term))
            assert abs(ref[term]) <= ATOL * scale, (direction, term, ref[term])
        if dec.convexity_bound is not None:   # α = 1: the soft labels are ignored entirely
            assert abs(dec.convexity_bound) <= ATOL * scale
            assert abs(dec.convexity_slack) <= ATOL * scale


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("seed", range(12))
def test_no_bottleneck_at_full_width_and_rank(space, direction, seed):
    """Π = I and Q = I (this needs k <= d: r <= min(k, m)) ⇒ 𝒞 is empty in parameter space
    and, in prediction space, only null(X) columns remain, where both kernels are N(0, ν²)."""
    rng = np.random.default_rng(2000 + seed)
    d, n = int(rng.integers(3, 7)), int(rng.integers(2, 10))
    k = int(rng.integers(1, d + 1))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.7, seed=seed)
    T = lingauss.Teacher(float(rng.uniform(0.5, 3)), float(rng.uniform(0.3, 2)))
    S = lingauss.Student(float(rng.uniform(0.5, 3)), float(rng.uniform(0.3, 2)),
                         alpha=float(rng.uniform()), basis=BASES[seed % 2],
                         soft_labels=SOFT[seed % 3], complement_variance=0.7,
                         soft_label_noise=0.4 if seed % 3 == 2 else 0.0)
    dec = lingauss.divergence(T, S, D, space=space, direction=direction)
    ref = reference(T, S, D, space=space, direction=direction)
    scale = max(1.0, ref["total"]) * ref["dim"]
    for term in ("rank_bottleneck", "bottleneck_mean", "bottleneck_covariance", "rank_floor"):
        assert abs(getattr(dec, term)) <= ATOL * scale, (term, getattr(dec, term))
        assert abs(ref[term]) <= ATOL * scale, (term, ref[term])
    assert dec.total > 0


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("basis", BASES)
@pytest.mark.parametrize("seed", range(6))
def test_rank_floor_non_increasing_in_rank(space, basis, seed):
    rng = np.random.default_rng(3000 + seed)
    d, k, n = int(rng.integers(4, 7)), int(rng.integers(2, 5)), int(rng.integers(2, 10))
    m = int(rng.integers(2, d + 1))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=seed)
    T = lingauss.Teacher(2.0, 0.5)
    b = random_orthonormal(rng, d, m) if basis == "random" else basis
    floors = []
    for r in range(1, min(k, m) + 1):
        S = lingauss.Student(1.5, 0.8, width=m, rank=r, basis=b)
        dec = lingauss.divergence(T, S, D, space=space)
        ref = reference(T, S, D, space=space)
        assert_close(dec.rank_floor, ref["rank_floor"], ref["dim"], f"rank {r}")
        for direction in ("reverse", "symmetric"):   # the floor ignores the direction
            other = lingauss.divergence(T, S, D, space=space, direction=direction)
            assert_close(other.rank_floor, dec.rank_floor, ref["dim"], f"{direction} r={r}")
        floors.append(dec.rank_floor)
    assert all(a >= b - ATOL * 10 for a, b in zip(floors, floors[1:])), floors


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("rank_rule", RANK_RULES)
@pytest.mark.parametrize("soft", SOFT)
@pytest.mark.parametrize("seed", range(3))
def test_output_rotation_invariance(space, rank_rule, soft, seed):
    """Rotating Y and W⋆ by an orthogonal O (and a user U to OU) changes nothing."""
    rng = np.random.default_rng(4000 + seed)
    d, k, n = int(rng.integers(3, 7)), int(rng.integers(2, 5)), int(rng.integers(2, 10))
    m = int(rng.integers(2, d + 1))
    r = int(rng.integers(1, min(k, m) + 1))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.6, seed=seed)
    O = random_orthonormal(rng, k, k)
    D2 = lingauss.Sample(D.X, O @ D.Y, W_star=O @ D.W_star, noise=D.noise)
    T = lingauss.Teacher(1.7, 0.6)
    kw = dict(alpha=0.3, width=m, complement_variance="optimal", soft_labels=soft,
              soft_label_noise=0.5 if soft == "sampled+noise" else 0.0)
    if rank_rule == "random":
        U = random_orthonormal(rng, k, r)
        S, S2 = (lingauss.Student(1.2, 0.9, rank_rule=U, **kw),
                 lingauss.Student(1.2, 0.9, rank_rule=O @ U, **kw))
    else:
        S = S2 = lingauss.Student(1.2, 0.9, rank=r, rank_rule=rank_rule, **kw)
    for direction in DIRECTIONS:
        a = lingauss.divergence(T, S, D, space=space, direction=direction)
        b = lingauss.divergence(T, S2, D2, space=space, direction=direction)
        ref = reference(T, S, D, space=space, direction=direction)
        compare(a, ref, f"{direction} original")
        compare(b, ref, f"{direction} rotated")


# --------------------------------------------------------------------------------------
# 3. Self-checks of the dense reference against docs/model.md §5 (pca, fixed Q, mean labels)
# --------------------------------------------------------------------------------------
def _expected_over_label_noise(fn, Y_clean, nu):
    """E_E fn(Y_clean + νE) for fn quadratic in Y: fn(Y₀) + ν²/2 tr(Hess), exactly."""
    f0 = fn(Y_clean)
    lap = 0.0
    for idx in np.ndindex(*Y_clean.shape):
        e = np.zeros_like(Y_clean)
        e[idx] = 1.0
        lap += fn(Y_clean + e) + fn(Y_clean - e) - 2 * f0
    return f0 + 0.5 * nu ** 2 * lap


@pytest.mark.parametrize("seed", range(6))
def test_reference_matches_spectral_closed_forms(seed):
    rng = np.random.default_rng(5000 + seed)
    d, k = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    n = int(rng.integers(2, 10))
    m = int(rng.integers(1, d + 1))
    r = int(rng.integers(1, min(k, m) + 1))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.6, seed=seed)
    bT, lT, bS, lS, alpha, tau2 = 2.0, 0.7, 1.3, 0.5, float(rng.uniform()), 0.8
    T = lingauss.Teacher(bT, lT)
    U = random_orthonormal(rng, k, r)
    S = lingauss.Student(bS, lS, alpha=alpha, width=m, rank_rule=U, complement_variance=tau2)
    Q = U @ U.T
    s, V = np.linalg.eigh(D.X @ D.X.T)
    s, V = np.clip(s[::-1], 0, None), V[:, ::-1]
    a, b = bT * s + lT, bS * s + lS
    h, g = bT / a, bS * (alpha + (1 - alpha) * bT * s / a) / b
    v = lambda x: x - 1 - np.log(x)  # noqa: E731
    theta = D.W_star @ V
    nu = D.noise
    kept = np.arange(d) < m
    # parameter space, forward
    variance = np.sum(np.where(kept, r / 2 * v(a / b), 0.0))
    bias = np.sum(np.where(kept, 0.5 * a * (h - g) ** 2 * (
        s ** 2 * np.sum((Q @ theta) ** 2, axis=0) + nu ** 2 * s * r), 0.0))
    resid = np.sum(((np.eye(k) - Q) @ theta) ** 2, axis=0)
    bn_kept = (k - r) / 2 * v(a * tau2) + 0.5 * a * h ** 2 * (s ** 2 * resid + nu ** 2 * s * (k - r))
    bn_drop = k / 2 * v(a * tau2) + 0.5 * a * h ** 2 * (
        s ** 2 * np.sum(theta ** 2, axis=0) + nu ** 2 * s * k)
    bottleneck = np.sum(np.where(kept, bn_kept, bn_drop))
    bn_cov = np.sum(np.where(kept, (k - r) / 2, k / 2) * v(a * tau2))

    def term(name, space="parameter"):
        return lambda Y: reference(T, S, lingauss.Sample(D.X, Y, W_star=D.W_star, noise=nu),
                                   space=space)[name]
    Y0 = D.W_star @ D.X
    ref = reference(T, S, D)
    np.testing.assert_allclose(ref["variance"], variance, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ref["bottleneck_covariance"], bn_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_expected_over_label_noise(term("bias"), Y0, nu), bias,
                               rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(_expected_over_label_noise(term("rank_bottleneck"), Y0, nu),
                               bottleneck, rtol=1e-8, atol=1e-10)
    # prediction space: a variance c ↦ ν² + s c on the modes with s > 0
    pos = s > 1e-10 * s[0]
    cS, cT, cC = nu ** 2 + s / b, nu ** 2 + s / a, nu ** 2 + s * tau2
    variance_p = np.sum(np.where(kept & pos, r / 2 * v(cS / cT), 0.0))
    bn_cov_p = np.sum(np.where(pos, np.where(kept, (k - r) / 2, k / 2) * v(cC / cT), 0.0))
    ref_p = reference(T, S, D, space="prediction")
    np.testing.assert_allclose(ref_p["variance"], variance_p, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ref_p["bottleneck_covariance"], bn_cov_p, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("seed", range(4))
def test_reference_convexity_identity_by_monte_carlo_free_check(space, seed):
    """The closed-form E_Ŷ KL used by the reference equals a quadrature over Ŷ's draws.

    The conditional student mean is affine in a standard normal vector z (dimension
    rank(Cov μ)); the KL is quadratic in z, so E_z KL = KL(z=0) + ½ Σ_i [KL(e_i) + KL(−e_i)
    − 2 KL(0)] exactly.
    """
    from lingauss.verify.dense import _in_space, kl_gauss
    rng = np.random.default_rng(6000 + seed)
    d, k, n = int(rng.integers(3, 6)), int(rng.integers(1, 4)), int(rng.integers(2, 8))
    D = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=seed)
    T = lingauss.Teacher(1.5, 0.8)
    S = lingauss.Student(1.1, 0.6, alpha=0.3, width=max(1, d - 1), soft_labels="sampled+noise",
                         soft_label_noise=0.4)
    prob = build(T, S, D)
    mT, ST, mS, SS, SSc, Cmu, _ = _in_space(prob, space, D.noise)
    w, V = np.linalg.eigh(Cmu)
    keep = w > 1e-12 * w.max()
    Lz = V[:, keep] * np.sqrt(w[keep])              # μ(z) = mS + Lz z, z ~ N(0, I)
    for direction in ("forward", "reverse"):
        f = ((lambda z: kl_gauss(mS + Lz @ z, SSc, mT, ST)) if direction == "forward"
             else (lambda z: kl_gauss(mT, ST, mS + Lz @ z, SSc)))
        z0 = np.zeros(Lz.shape[1])
        f0 = f(z0)
        expect = f0 + 0.5 * sum(f(z0 + e) + f(z0 - e) - 2 * f0 for e in np.eye(len(z0)))
        ref = reference(T, S, D, space=space, direction=direction)
        np.testing.assert_allclose(ref["convexity_bound"], expect, rtol=1e-9)
