"""Issue 13: random inputs ``X ~ N(0, Σ)`` and the deterministic equivalents of the
proportional regime (``lingauss.random_design``, ``lingauss.proportional``,
``lingauss.symbolic.proportional``; derivations/random_design.md).

The references here are written from the definitions and share no code with the library:

Model and Monte Carlo plumbing
    ``RandomDesign`` validation (exact messages), ``draw`` against its documented recipe,
    ``power_law`` against ``SpectralDesign.power_law``; ``risk``/``Chain.risk``/
    ``expected_divergence`` over a random design equal, draw by draw (same generator), dense
    references: ridge fits by linear solves and docs/model.md §5's per-mode forms by ``eigh``.
Known results
    Marchenko–Pastur's Stieltjes transform, the isotropic ridge risk in the form of Dobriban &
    Wager (2018) / Hastie et al. (2022), the Bayes-optimal ridge ``λ_T/β_T = dν²/‖w⋆‖²``, and
    (second-hand, labelled) the same-ridge self-distillation equivalents of arXiv:2602.17565.
Convergence
    Isotropic ``Σ``: the Wishart spectrum drawn from the Dumitriu–Edelman bidiagonal model
    (its first two moments checked), risk and divergence per draw written from the per-mode
    definitions (rotation invariance makes them exact for any ``W⋆`` of the given norm); the
    error ``|MC − DE|`` at ``d = 50..400`` (``γ`` fixed) has log-log slope ≈ −1 (1/d, not
    1/√d). Anisotropic ``Σ``: dense draws, an unbiased trace-form reference.
Numerics
    κ's two routes, divided differences at equal/close ridges against the plain partial
    fractions, batch == loop, validation messages.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.linalg import eigvalsh_tridiagonal
from scipy.optimize import minimize_scalar

import lingauss
import lingauss.symbolic
from lingauss import Chain, LingaussError, SpectralDesign, Student, Teacher
from lingauss.averages.deterministic import deterministic_divergence, deterministic_risk
from lingauss.averages.equivalents import (divergence_equivalent, kappa, log_det_equivalent,
                                           risk_equivalent)
from lingauss.averages.inputs import expected_over_inputs
from lingauss.model.random_design import RandomDesign
from lingauss.symbolic import equivalents as symbolic

v = lambda t: t - 1 - np.log(t)  # noqa: E731


# --------------------------------------------------------------------------------------------
# References written from the definitions
# --------------------------------------------------------------------------------------------

def wishart_eigenvalues(d, n, rng):
    """Eigenvalues of ``ZZᵀ`` (Z: d × n standard normal) from the bidiagonal model of
    Dumitriu & Edelman (2002, β = 1): ``B`` lower bidiagonal with ``χ_{q−i}`` on the diagonal
    and ``χ_{p−1−i}`` below, ``p = min(d, n)``, ``q = max(d, n)``; zeros fill to ``d``."""
    p, q = min(d, n), max(d, n)
    a = np.sqrt(rng.chisquare(q - np.arange(p)))
    b = np.sqrt(rng.chisquare(p - 1 - np.arange(p - 1)))
    diag = a ** 2 + np.concatenate([[0.0], b ** 2])
    return np.concatenate([eigvalsh_tridiagonal(diag, a[:-1] * b), np.zeros(d - p)])


def isotropic_draw(x, d, n, lam0, lam1, alpha, r2, nu, k, r, rP, bT, bS, tau):
    """Per draw of the eigenvalues ``x`` of ``Σ̂`` (Σ = I): the teacher's and the student's
    risk (docs/model.md §7–8: filters ``f₀ = x/(x + λ̄₀)``, ``f = f₁(α + (1 − α)f₀)``) and the
    per-mode divergence of docs/model.md §5 (``s = n x``), the signal spread evenly over the
    modes (``E‖θ_i‖² = r2/d``), divergence terms per unit of ``k d``."""
    f0 = x / (x + lam0)
    f = x / (x + lam1) * (alpha + (1 - alpha) * f0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g0 = np.where(x > 0, f0 ** 2 / x, 0.0)
        g = np.where(x > 0, f ** 2 / x, 0.0)
    out = {"teacher_bias": r2 / d * np.sum((1 - f0) ** 2),
           "teacher_variance": k * nu ** 2 / n * np.sum(g0),
           "student_bias": r2 / d * np.sum((1 - f) ** 2),
           "student_variance": k * nu ** 2 / n * np.sum(g)}
    s = n * x
    lT, lS = bT * n * lam0, bS * n * lam1
    a, b = bT * s + lT, bS * s + lS
    h, gS = bT / a, bS * (alpha + (1 - alpha) * bT * s / a) / b
    out["K_variance"] = np.sum(r / 2 * v(a / b)) / (k * d)
    out["K_bias"] = np.sum(0.5 * a * (h - gS) ** 2 * (s ** 2 * r2 / d + nu ** 2 * s * r)) / (k * d)
    out["K_bottleneck"] = np.sum((k - r) / 2 * v(a * tau) + 0.5 * a * h ** 2 * (
        s ** 2 * rP / d + nu ** 2 * s * (k - r))) / (k * d)
    out["logdet"] = np.mean(np.log(x + lam0))
    return out


def ridge_operator(X, mu):
    """``(XXᵀ + μI)⁻¹`` by a Cholesky solve."""
    d = X.shape[0]
    c = np.linalg.cholesky(X @ X.T + mu * np.eye(d))
    inv_c = np.linalg.solve(c, np.eye(d))
    return inv_c.T @ inv_c


def student_maps(X, teacher, student):
    """``(G, H)`` with the student's mean ``M = Y G`` and the teacher's ``M_T = Y H`` (full
    width and rank): ``M_T = YXᵀ(XXᵀ + λ_T/β_T)⁻¹``, ``M = (αY + (1 − α)M_T X)Xᵀ(XXᵀ +
    λ_S/β_S)⁻¹`` (docs/model.md §2–3)."""
    H = X.T @ ridge_operator(X, teacher.ridge / teacher.beta)                 # (n, d)
    RS = ridge_operator(X, student.ridge / student.beta)
    G = student.alpha * X.T @ RS + (1 - student.alpha) * H @ X @ X.T @ RS
    return G, H


def population_risk(X, W, Sigma, nu, G):
    """``E_Y ‖W⋆XG − W⋆ + ν E G‖²_Σ`` for a mean ``YG``: bias and variance."""
    gap = W @ X @ G - W
    return (float(np.sum((gap @ Sigma) * gap)),
            W.shape[0] * nu ** 2 * float(np.trace(G.T @ G @ Sigma)))


# --------------------------------------------------------------------------------------------
# RandomDesign
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(covariance=[1.0, -2.0]), "covariance has a non-positive entry (-2 at index 1), must "
     "be > 0 (the eigenvalues of a positive-definite Σ)."),
    (dict(covariance=[[1.0, 0.5], [0.0, 1.0]]), "covariance is not symmetric (max |Σ − Σᵀ| == "
     "0.5), must be a symmetric positive-definite Σ (d, d)."),
    (dict(covariance=[[1.0, 2.0], [2.0, 1.0]]), "covariance has a non-positive eigenvalue (-1), "
     "must be positive definite."),
    (dict(covariance=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), "covariance has shape (2, 3), must "
     "have d == 2 along axis 1."),
    (dict(covariance=np.ones((2, 2, 2))), "covariance has shape (2, 2, 2), must be (d,) "
     "eigenvalues or a (d, d) matrix."),
    (dict(W_star=np.ones((2, 3))), "W_star has shape (2, 3), must have d == 2 along axis 1."),
    (dict(n=0), "n == 0, must be >= 1."),
    (dict(noise=-1.0), "noise == -1, must be >= 0."),
])
def test_random_design_validation(kwargs, message):
    args = dict(covariance=[1.0, 2.0], n=4, W_star=np.ones((2, 2)), noise=0.5) | kwargs
    with pytest.raises(LingaussError) as info:
        RandomDesign(**args)
    assert str(info.value) == message


def test_draw_follows_its_recipe():
    """Documented: Z then E from the generator, X = Σ^{1/2}Z (Cholesky), Y = W⋆X + νE."""
    Sigma = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    W = np.arange(6.0).reshape(2, 3)
    design = RandomDesign(Sigma, n=5, W_star=W, noise=0.3)
    sample = design.draw(np.random.default_rng(7))
    rng = np.random.default_rng(7)
    Z, E = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    X = np.linalg.cholesky(Sigma) @ Z
    np.testing.assert_allclose(sample.X, X, rtol=1e-13)
    np.testing.assert_allclose(sample.Y, W @ X + 0.3 * E, rtol=1e-13)
    assert not sample.X.flags.writeable
    w, V = np.linalg.eigh(Sigma)
    np.testing.assert_allclose(design.eigenvalues, w[::-1], rtol=1e-13)
    np.testing.assert_allclose(design.signal_energy, np.sum((W @ V) ** 2, 0)[::-1], rtol=1e-12)


def test_draws_have_covariance_sigma():
    Sigma = np.array([[2.0, 0.6], [0.6, 1.0]])
    design = RandomDesign(Sigma, n=40, W_star=np.zeros((1, 2)), noise=0.0)
    mean, se = expected_over_inputs(lambda s, rng: {"c01": (s.X @ s.X.T)[0, 1] / 40,
                                                    "c00": (s.X @ s.X.T)[0, 0] / 40},
                                    design, draws=400, seed=1)
    assert abs(mean["c01"] - 0.6) < 4 * se["c01"] and abs(mean["c00"] - 2.0) < 4 * se["c00"]


def test_power_law_is_the_spectral_power_law_at_n_sigma():
    rd = RandomDesign.power_law(d=12, k=3, n=50, spectrum_exponent=1.3, signal_exponent=2.0)
    sd = SpectralDesign.power_law(d=12, k=3, n=50, spectrum_exponent=1.3,
                                  signal_exponent=2.0)
    np.testing.assert_allclose(50 * rd.eigenvalues, sd.eigenvalues, rtol=1e-14)
    np.testing.assert_allclose(rd.W_star, sd.signal, rtol=1e-14)
    assert rd.noise == sd.noise and rd.gamma == 12 / 50


# --------------------------------------------------------------------------------------------
# Monte Carlo over the inputs, draw by draw against dense references
# --------------------------------------------------------------------------------------------

TEACHER = Teacher(2.0, 8.0)
DESIGN = RandomDesign(np.array([[1.5, 0.4, 0.0, 0.1], [0.4, 1.0, 0.2, 0.0],
                                [0.0, 0.2, 0.7, 0.1], [0.1, 0.0, 0.1, 0.4]]),
                      n=6, W_star=np.array([[1.0, -0.5, 0.3, 0.0], [0.2, 0.4, -0.6, 0.9]]),
                      noise=0.4)


@pytest.mark.parametrize("student", [None, Student(1.0, 3.0, alpha=0.3),
                                     Student(2.0, 8.0, alpha=-0.5)])
def test_risk_over_inputs_matches_dense_reference(student):
    got = lingauss.risk(TEACHER, student, DESIGN, kind="population", monte_carlo=25, seed=3)
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(25):
        X = DESIGN.draw(rng).X
        G, H = student_maps(X, TEACHER, student or Student(2.0, 8.0, alpha=1.0))
        rows.append(population_risk(X, DESIGN.W_star, DESIGN.matrix, 0.4,
                                    H if student is None else G))
    rows = np.array(rows)
    np.testing.assert_allclose([got.bias, got.variance], rows.mean(0), rtol=1e-9)
    se = np.std(rows.sum(1), ddof=1) / 5
    assert got.stderr["total"] == pytest.approx(se, rel=1e-9)


def test_chain_risk_over_inputs_is_risk_and_gibbs_adds_the_posterior():
    student = Student(1.0, 3.0, alpha=0.3)
    one = Chain(TEACHER, [student]).risk(DESIGN, kind="population", estimator="gibbs",
                                         monte_carlo=10, seed=0)
    rng = np.random.default_rng(0)
    post = []
    for _ in range(10):
        X = DESIGN.draw(rng).X
        # tr(A_S⁻¹Σ) per row: the student's row covariance (full width and rank, mean labels)
        post.append(2 * np.trace(ridge_operator(X, student.ridge / student.beta)
                                 @ DESIGN.matrix) / student.beta)
    assert one.posterior == pytest.approx(np.mean(post), rel=1e-9)
    mean = lingauss.risk(TEACHER, student, DESIGN, kind="population", monte_carlo=10, seed=0)
    assert one.total == pytest.approx(mean.total + np.mean(post), rel=1e-9)


def test_label_dependent_projector_takes_two_label_draws():
    """``rank_rule="optimal"`` below full rank: per input draw two label draws, total = the
    mean of their realised errors (the projector from docs/model.md §3, by hand)."""
    student = Student(1.0, 3.0, alpha=0.3, rank=1)
    got = lingauss.risk(TEACHER, student, DESIGN, kind="population", monte_carlo=6, seed=5)
    rng = np.random.default_rng(5)
    errors = []
    for _ in range(6):
        sample = DESIGN.draw(rng)
        X, W = sample.X, DESIGN.W_star
        for _ in range(2):
            Y = W @ X + 0.4 * rng.standard_normal((2, 6))
            MT = Y @ X.T @ ridge_operator(X, TEACHER.ridge / TEACHER.beta)
            A = student.beta * X @ X.T + student.ridge * np.eye(4)
            Mhat = student.beta * (0.3 * Y + 0.7 * MT @ X) @ X.T @ np.linalg.inv(A)
            w, V = np.linalg.eigh(A)
            U = np.linalg.svd(Mhat @ V @ np.diag(np.sqrt(w)) @ V.T)[0][:, :1]
            gap = U @ U.T @ Mhat - W
            errors.append(np.sum((gap @ DESIGN.matrix) * gap))
    assert got.total == pytest.approx(np.mean(errors), rel=1e-9)


def test_expected_divergence_over_inputs_matches_per_mode_reference():
    """Closed form over the labels per draw: docs/model.md §5 written by hand on ``eigh``."""
    student = Student(1.5, 5.0, alpha=0.2, rank=1, rank_rule="oracle")
    got = lingauss.expected_divergence(TEACHER, student, DESIGN, monte_carlo=8, seed=2)
    rng = np.random.default_rng(2)
    q = np.linalg.svd(DESIGN.W_star)[0][:, :1]
    totals = []
    for _ in range(8):
        X = DESIGN.draw(rng).X
        s, U = np.linalg.eigh(X @ X.T)
        theta = DESIGN.W_star @ U
        tQ, tP = np.sum((q.T @ theta) ** 2, 0), np.sum(theta ** 2, 0) - np.sum((q.T @ theta) ** 2, 0)
        a, b = 2.0 * s + 8.0, 1.5 * s + 5.0
        h, g = 2.0 / a, 1.5 * (0.2 + 0.8 * 2.0 * s / a) / b
        k, r, nu, tau = 2, 1, 0.4, 1 / 5.0
        per_mode = (r / 2 * v(a / b) + 0.5 * a * (h - g) ** 2 * (s ** 2 * tQ + nu ** 2 * s * r)
                    + (k - r) / 2 * v(a * tau) + 0.5 * a * h ** 2 * (s ** 2 * tP
                                                                   + nu ** 2 * s * (k - r)))
        totals.append(np.sum(per_mode))
    assert got.total == pytest.approx(np.mean(totals), rel=1e-9)
    assert got.stderr["total"] == pytest.approx(np.std(totals, ddof=1) / np.sqrt(8), rel=1e-9)


def test_random_design_errors():
    with pytest.raises(LingaussError) as info:
        lingauss.risk(TEACHER, None, DESIGN, kind="population")
    assert str(info.value) == (
        "a RandomDesign averages the risk over random inputs X ~ N(0, Σ) by Monte Carlo: pass "
        "monte_carlo=N (input draws), or use lingauss.random_design.deterministic_risk for "
        "the proportional-regime deterministic equivalent.")
    with pytest.raises(LingaussError, match="^a RandomDesign averages the divergence"):
        lingauss.expected_divergence(TEACHER, Student(1.0, 1.0), DESIGN)
    with pytest.raises(LingaussError, match="^Ambiguous arguments: a RandomDesign carries"):
        lingauss.risk(TEACHER, None, DESIGN, covariance=np.eye(4), monte_carlo=2)
    with pytest.raises(LingaussError) as info:
        deterministic_risk(TEACHER, Student(1.0, 1.0, width=2), DESIGN)
    assert str(info.value) == (
        "the risk has no deterministic equivalent here: width == 2 < d == 4: a narrower "
        "student keeps the top sample eigenvectors, whose equivalent needs the limiting "
        "spectral density and the eigenvector overlaps (not derived, "
        "derivations/random_design.md §6); use Monte Carlo over the inputs (monte_carlo=N) "
        "instead.")
    with pytest.raises(LingaussError, match="rank_rule == 'optimal' below full rank"):
        deterministic_divergence(TEACHER, Student(1.0, 1.0, rank=1), DESIGN)


# --------------------------------------------------------------------------------------------
# Known results
# --------------------------------------------------------------------------------------------

def test_kappa_routes_agree_and_solve_the_fixed_point():
    g, lam = np.meshgrid(np.geomspace(0.05, 20, 30), np.geomspace(1e-6, 1e3, 25))
    np.testing.assert_allclose(kappa(g, lam, [2.0]), kappa(g, lam, [2.0] * 3,
                                                           method="newton"), rtol=1e-12)
    sigma = np.geomspace(0.01, 3.0, 40)
    k = kappa(g, lam, sigma)
    resid = k - lam - g * k * np.mean(sigma / (sigma + k[..., None]), axis=-1)
    assert np.max(np.abs(resid) / k) < 1e-13 and np.all(k > lam)


def test_stieltjes_transform_is_marchenko_pastur():
    """``(1/d)tr(Σ̂ + λ)⁻¹ ≍ (κ/λ)·mean 1/(σ + κ)``; for Σ = I the MP transform
    ``m(−λ) = (√((1 − γ + λ)² + 4γλ) − (1 − γ + λ))/(2γλ)``."""
    for g in (0.3, 1.0, 2.5):
        lam = np.geomspace(1e-3, 10, 9)
        k = kappa(g, lam, [1.0])
        mp = (np.sqrt((1 - g + lam) ** 2 + 4 * g * lam) - (1 - g + lam)) / (2 * g * lam)
        np.testing.assert_allclose(k / lam / (1 + k), mp, rtol=1e-11)
        # the log-det equivalent's derivative is that trace (central differences)
        h = 1e-5 * lam
        dL = (log_det_equivalent(g, lam + h, [1.0]) - log_det_equivalent(g, lam - h, [1.0])) / (2 * h)
        np.testing.assert_allclose(dL, mp, rtol=1e-7)


def test_isotropic_ridge_risk_is_dobriban_wager_hastie():
    """``R(λ) = r²λ²m'(−λ) + σ²γ(m(−λ) − λm'(−λ))`` (Σ = I; Dobriban & Wager 2018, Hastie,
    Montanari, Rosset & Tibshirani 2022), ``m`` the MP Stieltjes transform, differentiated
    here with sympy."""
    z, g = sp.symbols("z gamma")
    m = ((1 - g - z) - sp.sqrt((1 - g - z) ** 2 - 4 * g * z)) / (2 * g * z)
    m_, dm_ = (sp.lambdify((z, g), e, "numpy") for e in (m, sp.diff(m, z)))
    for gamma in (0.4, 1.7):
        lam = np.geomspace(0.01, 5, 12)
        mm, dm = m_(-lam + 0j, gamma).real, dm_(-lam + 0j, gamma).real
        ref = 1.3 * lam ** 2 * dm + 0.49 * gamma * (mm - lam * dm)
        got = risk_equivalent(gamma, lam, eigenvalues=[1.0], signal=[1.3], noise=0.7)
        np.testing.assert_allclose(got["total"], ref, rtol=1e-9)


def test_bayes_optimal_ridge():
    """The isotropic teacher's equivalent risk is minimised at ``λ̄ = γν²/‖w⋆‖²`` per output,
    i.e. ``λ_T/β_T = dν²/‖w⋆‖²`` (sympy, then numbers, then Monte Carlo at d = 200)."""
    assert sp.simplify(symbolic.bayes_ridge() - symbolic.gam * symbolic.nu ** 2
                       / symbolic.r2) == 0
    d, n, nu, w2, beta = 200, 100, 0.8, 3.0, 2.5
    W = np.full((1, d), np.sqrt(w2 / d))
    design = RandomDesign(np.ones(d), n=n, W_star=W, noise=nu)
    best = minimize_scalar(lambda t: deterministic_risk(Teacher(beta, np.exp(t)), None,
                                                        design).total,
                           bounds=(-5, 10), method="bounded", options={"xatol": 1e-10})
    assert np.exp(best.x) / beta == pytest.approx(d * nu ** 2 / w2, rel=1e-5)
    rng = np.random.default_rng(11)
    star = d * nu ** 2 / w2 / n                                    # normalised
    risks = {c: [] for c in (1 / 4, 1.0, 4.0)}
    for _ in range(60):
        x = wishart_eigenvalues(d, n, rng) / n
        for c in risks:
            ref = isotropic_draw(x, d, n, c * star, c * star, 1.0, w2, nu, 1, 1, 0.0, 1, 1, 1)
            risks[c].append(ref["teacher_bias"] + ref["teacher_variance"])
    mean = {c: np.mean(r) for c, r in risks.items()}
    se = {c: np.std(np.array(risks[c]) - risks[1.0], ddof=1) / np.sqrt(60) for c in risks}
    assert mean[1.0] + 4 * se[0.25] < mean[0.25] and mean[1.0] + 4 * se[4.0] < mean[4.0]


def test_same_ridge_student_is_dang_patil_rinaldo_theorem_3_1():
    """Second-hand (the formulas of arXiv:2602.17565 Thm 3.1 as transcribed in
    /work/notes/dang_patil_rinaldo.md, not read in the paper): with one ridge, the student's
    risk is ``R − 2ξ(R − C) + ξ²(R + R_pd − 2C)`` (``ξ = 1 − α``, ``σ²`` removed)."""
    gamma, lam, s2 = 0.5, 0.37, 0.6
    i = np.arange(1, 201)
    sigma = 1.0 / (1 - 0.5 * np.cos(np.pi * i / 201)) ** 2 * 0.25   # an AR(1)-like spectrum
    theta2 = np.exp(-i / 30.0)
    k = float(kappa(gamma, lam, sigma))
    t = {j: gamma * np.mean(sigma ** 2 / (sigma + k) ** j) for j in (2, 3, 4)}
    q = {j: np.sum(theta2 * sigma / (sigma + k) ** j) for j in (2, 3, 4)}
    b = 1 / (1 - t[2])
    u2, u3, u4 = t[2] * b, t[3] * b ** 3, t[4] * b ** 4 + 2 * t[3] ** 2 * b ** 5
    E = k - b * lam + b ** 2 * k * lam * t[3]
    a2 = b * E ** 2 + b ** 4 * k ** 2 * lam ** 2 * t[4] + b ** 5 * k ** 2 * lam ** 2 * t[3] ** 2
    a3, a4 = 2 * b ** 2 * k * lam * E, b ** 3 * k ** 2 * lam ** 2
    R = k ** 2 * b * q[2] + s2 * u2
    C = 2 * k ** 2 * b * q[2] - (k * b * E * q[2] + k ** 2 * b ** 2 * lam * q[3]) + s2 * (u2 - lam * u3)
    Rpd = (4 * k ** 2 * b * q[2] - 2 * (2 * k * b * E * q[2] + 2 * k ** 2 * b ** 2 * lam * q[3])
           + (a2 * q[2] + a3 * q[3] + a4 * q[4]) + s2 * (u2 - 2 * lam * u3 + lam ** 2 * u4))
    for xi in (-1.3, 0.0, 0.4, 1.0, 2.5):
        ref = R - 2 * xi * (R - C) + xi ** 2 * (R + Rpd - 2 * C)
        got = risk_equivalent(gamma, lam, eigenvalues=sigma, signal=theta2, noise=np.sqrt(s2),
                              alpha=1 - xi)
        assert float(got["total"]) == pytest.approx(ref, rel=1e-10)


# --------------------------------------------------------------------------------------------
# The symbolic derivations against hand-written forms
# --------------------------------------------------------------------------------------------

def test_symbolic_derivations():
    S = symbolic
    pf = S.partial_fractions()
    assert sp.simplify(pf["c0"] - (1 - S.alpha) * S.lam0 / (S.lam0 - S.lam1)) == 0
    terms = S.normalised_terms()
    hand = (S.beta_T * S.x * (S.lam1 - S.alpha * S.lam0) ** 2
            * (S.n * lingauss.symbolic.thetaQ2 * S.x + S.nu ** 2 * lingauss.symbolic.r)
            / (2 * (S.x + S.lam0) * (S.x + S.lam1) ** 2))
    assert sp.simplify(terms["bias"] - hand) == 0
    assert S.confluent_identities()
    assert all(S.fixed_point_identities(3).values())
    kap = S.isotropic_kappa().subs({S.sig: 1, S.lam: 0.3, S.gam: 2.0})
    assert float(kap) == pytest.approx(float(kappa(2.0, 0.3, [1.0])), rel=1e-13)


# --------------------------------------------------------------------------------------------
# Convergence: Monte Carlo approaches the equivalents like 1/d
# --------------------------------------------------------------------------------------------

SIZES = (50, 100, 200, 400)
CASE = dict(gamma=0.5, lam0=0.3, lam1=0.8, alpha=0.3, r2=1.0, nu=0.7, k=3, r=2, rP=0.5,
            bT=2.0, bS=1.0)


def equivalents(c):
    teacher = risk_equivalent(c["gamma"], c["lam0"], eigenvalues=[1.0], signal=[c["r2"]],
                              noise=c["nu"], outputs=c["k"])
    student = risk_equivalent(c["gamma"], c["lam0"], eigenvalues=[1.0], signal=[c["r2"]],
                              noise=c["nu"], outputs=c["k"], student_ridge=c["lam1"],
                              alpha=c["alpha"])
    K = divergence_equivalent(c["gamma"], c["lam0"], c["lam1"], eigenvalues=[1.0],
                              signal=[c["r2"]], signal_outside=[c["rP"]], noise=c["nu"],
                              beta=c["bT"], student_beta=c["bS"], alpha=c["alpha"],
                              outputs=c["k"], rank=c["r"])
    return {"teacher_bias": teacher["bias"], "teacher_variance": teacher["variance"],
            "student_bias": student["bias"], "student_variance": student["variance"],
            "K_variance": K["variance"], "K_bias": K["bias"], "K_bottleneck": K["rank_bottleneck"],
            "logdet": log_det_equivalent(c["gamma"], c["lam0"], [1.0])}


@pytest.fixture(scope="module")
def convergence():
    """Errors of 400 draws per ``d`` (fixed seeds); a few seconds."""
    c, de = CASE, equivalents(CASE)
    rng = np.random.default_rng(2026)
    out = {}
    for d in SIZES:
        n = int(round(d / c["gamma"]))
        tau = 1 / (c["bS"] * n * c["lam1"])                                  # prior 1/λ_S
        rows = [isotropic_draw(wishart_eigenvalues(d, n, rng) / n, d, n, c["lam0"], c["lam1"],
                               c["alpha"], c["r2"], c["nu"], c["k"], c["r"], c["rP"], c["bT"],
                               c["bS"], tau) for _ in range(400)]
        out[d] = {name: (np.mean([row[name] for row in rows]) - float(de[name]),
                         np.std([row[name] for row in rows], ddof=1) / 20) for name in de}
    return out


def test_wishart_sampler_moments():
    rng = np.random.default_rng(0)
    for d, n in ((7, 4), (5, 9)):
        x = np.array([wishart_eigenvalues(d, n, rng) for _ in range(4000)])
        assert abs(np.mean(x.sum(1)) - d * n) < 4 * np.std(x.sum(1)) / np.sqrt(4000)
        m2 = (x ** 2).sum(1)                                      # E tr(ZZᵀ)² = dn(d + n + 1)
        assert abs(np.mean(m2) - d * n * (d + n + 1)) < 4 * np.std(m2) / np.sqrt(4000)


@pytest.mark.parametrize("name", ["teacher_bias", "teacher_variance", "student_bias",
                                  "student_variance", "K_bias"])
def test_error_shrinks_like_one_over_d(convergence, name):
    errors = np.array([abs(convergence[d][name][0]) for d in SIZES])
    ses = np.array([convergence[d][name][1] for d in SIZES])
    assert np.all(errors > 3 * ses), (errors, ses)              # the bias is resolved
    slope = np.polyfit(np.log(SIZES), np.log(errors), 1)[0]
    assert -1.35 < slope < -0.65, slope                          # 1/d, not 1/√d (−0.5)


@pytest.mark.parametrize("name", ["K_variance", "K_bottleneck", "logdet"])
def test_error_is_within_noise_plus_one_over_d(convergence, name):
    """Terms whose O(1/d) error is below the Monte Carlo noise: within 4σ + c/d."""
    for d in SIZES:
        err, se = convergence[d][name]
        assert abs(err) < 4 * se + 0.5 / d, (d, err, se)


def test_anisotropic_equivalent_against_dense_draws():
    """Σ with two levels and a signal on both: the trace-form reference (unbiased for a
    diagonal Σ, since E_X of the bias operator is diagonal) at d = 60 and 240."""
    errors = []
    for d in (60, 240):
        n = 2 * d
        sigma = np.where(np.arange(d) < d // 4, 3.0, 0.5)
        theta2 = np.where(np.arange(d) % 2 == 0, 2.0, 0.5) / d
        design = RandomDesign(sigma, n=n, W_star=np.sqrt(theta2)[None, :], noise=0.6)
        teacher, student = Teacher(1.0, 0.4 * n), Student(1.0, 0.9 * n, alpha=0.25)
        de = deterministic_risk(teacher, student, design)
        rng = np.random.default_rng(d)
        totals = []
        for _ in range(12 if d == 240 else 40):
            X = design.draw(rng).X
            G, _ = student_maps(X, teacher, student)
            B = np.eye(d) - G.T @ X.T                                   # bias operator (d, d)
            bias = np.sum(theta2 * np.einsum("ji,j,ji->i", B, sigma, B))
            totals.append(bias + 0.36 * np.sum(np.sum(G ** 2, 0) * sigma))
        err, se = np.mean(totals) - de.total, np.std(totals, ddof=1) / np.sqrt(len(totals))
        assert abs(err) < 4 * se + 1.0 / d, (d, err, se, de.total)
        errors.append(abs(err) / de.total)
    assert errors[1] < 0.01


def test_library_monte_carlo_approaches_the_equivalent():
    design = RandomDesign.power_law(d=100, k=2, n=200, spectrum_exponent=0.5)
    teacher, student = Teacher(2.0, 40.0), Student(1.0, 50.0, alpha=0.4, rank_rule="oracle")
    mc = lingauss.risk(teacher, student, design, kind="population", monte_carlo=20, seed=0)
    de = deterministic_risk(teacher, student, design)
    assert abs(mc.total - de.total) < 4 * mc.stderr["total"] + 0.01 * de.total
    kmc = lingauss.expected_divergence(teacher, student, design, monte_carlo=20, seed=0)
    kde = deterministic_divergence(teacher, student, design)
    assert abs(kmc.total - kde.total) < 4 * kmc.stderr["total"] + 0.01 * kde.total


# --------------------------------------------------------------------------------------------
# Numerics of the equivalents
# --------------------------------------------------------------------------------------------

def test_divided_differences_equal_plain_partial_fractions():
    """Distinct ridges: ``Σ_ab c_a c_b B(κ_a, κ_b)`` written out; close and equal ridges:
    continuous (no cancellation)."""
    sigma, theta2, gamma = np.array([0.3, 1.0, 2.5]), np.array([0.5, 0.2, 0.3]), 1.4
    lam0, lam1, alpha = 0.2, 0.9, -0.4
    k = {0: float(kappa(gamma, lam0, sigma)), 1: float(kappa(gamma, lam1, sigma))}
    c0 = (1 - alpha) * lam0 / (lam0 - lam1)
    c = {0: c0, 1: 1 - c0}
    bias = var = 0.0
    for a in (0, 1):
        for b in (0, 1):
            tau = gamma * np.mean(sigma ** 2 / ((sigma + k[a]) * (sigma + k[b])))
            q = np.sum(theta2 * sigma / ((sigma + k[a]) * (sigma + k[b])))
            bias += c[a] * c[b] * k[a] * k[b] * q / (1 - tau)
            var += c[a] * c[b] * tau / (1 - tau)
    got = risk_equivalent(gamma, lam0, eigenvalues=sigma, signal=theta2, noise=0.5, outputs=2,
                          student_ridge=lam1, alpha=alpha)
    assert float(got["bias"]) == pytest.approx(bias, rel=1e-12)
    assert float(got["variance"]) == pytest.approx(2 * 0.25 * var, rel=1e-12)
    near = [float(risk_equivalent(gamma, lam0, eigenvalues=sigma, signal=theta2, noise=0.5,
                                  student_ridge=lam0 * (1 + e), alpha=alpha)["total"])
            for e in (0.0, 1e-12, 1e-8, 1e-6)]
    np.testing.assert_allclose(near, near[0], rtol=3e-6)
    assert abs(near[1] - near[0]) < 1e-12 * near[0]


def test_batch_equals_loop_and_student_equal_teacher_gives_zero():
    gammas, ridges = np.array([0.3, 1.0, 3.0]), np.array([0.01, 0.5, 4.0])
    sigma, theta2 = np.geomspace(0.1, 2, 7), np.linspace(0.1, 1, 7)
    batch = risk_equivalent(gammas[:, None], ridges[None, :], eigenvalues=sigma, signal=theta2,
                            noise=0.3, student_ridge=2 * ridges[None, :], alpha=0.5)
    K = divergence_equivalent(gammas[:, None], ridges[None, :], 2 * ridges[None, :],
                              eigenvalues=sigma, signal=theta2, noise=0.3, beta=1.0,
                              student_beta=1.5, alpha=0.5, outputs=2, rank=1,
                              signal_outside=theta2 / 2)
    for i, g in enumerate(gammas):
        for j, lam in enumerate(ridges):
            one = risk_equivalent(g, lam, eigenvalues=sigma, signal=theta2, noise=0.3,
                                  student_ridge=2 * lam, alpha=0.5)
            assert float(one["total"]) == pytest.approx(batch["total"][i, j], rel=1e-13)
            k1 = divergence_equivalent(g, lam, 2 * lam, eigenvalues=sigma, signal=theta2,
                                       noise=0.3, beta=1.0, student_beta=1.5, alpha=0.5,
                                       outputs=2, rank=1, signal_outside=theta2 / 2)
            assert float(k1["total"]) == pytest.approx(K["total"][i, j], rel=1e-13)
    np.testing.assert_allclose(K["total"], K["bias"] + K["variance"] + K["rank_bottleneck"],
                               rtol=1e-13)
    same = divergence_equivalent(gammas, 0.4, 0.4, eigenvalues=sigma, signal=theta2,
                                 noise=0.3, beta=2.0, student_beta=2.0, alpha=1.0)
    assert np.max(np.abs(same["total"])) < 1e-14


@pytest.mark.parametrize("call, message", [
    (lambda: kappa(0.0, 1.0, [1.0]), "gamma == 0, must be finite and > 0."),
    (lambda: kappa([0.5, 1.0], [1.0, -1.0], [1.0]), "ridge[1] == -1, must be finite and > 0."),
    (lambda: kappa(0.5, 1.0, [1.0, 2.0], method="closed-form"),
     "method == 'closed-form' needs one distinct eigenvalue (isotropic Σ); use "
     "method='newton' or 'auto'."),
    (lambda: risk_equivalent(0.5, 1.0, eigenvalues=[1.0, 2.0], signal=[1.0], noise=0.1),
     "signal has shape (1,), must have len(eigenvalues) == 2 along axis 0."),
    (lambda: risk_equivalent(0.5, 1.0, eigenvalues=[1.0], signal=[-1.0], noise=0.1),
     "signal[0] == -1, must be finite and >= 0."),
])
def test_equivalent_validation(call, message):
    with pytest.raises(LingaussError) as info:
        call()
    assert str(info.value) == message


def test_readme_proportional_regime_numbers():
    """The numbers in the README's "Proportional regime" example are the library's."""
    import pathlib
    import re

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    code = readme.split("## Proportional regime", 1)[1].split("```python", 1)[1]
    code = code.split("```", 1)[0]
    shown = [float(x) for x in re.findall(r"# (?:K = )?(\d+\.\d+)", code)]
    lines = [ln.split("#")[0].rstrip() for ln in code.splitlines()]
    env = {"lingauss": lingauss, "np": np}
    values = []
    for ln in lines:
        if ln.startswith(("lingauss.risk", "deterministic_risk", "deterministic_divergence")):
            values.append(eval(ln, env).total)
        elif ln:
            exec(ln, env)
    assert len(shown) == 3 and len(values) == 3
    for got, want in zip(values, shown):
        assert float(f"{got:.{len(str(want).split('.')[1])}f}") == want
    assert env["risk_equivalent"] is risk_equivalent
