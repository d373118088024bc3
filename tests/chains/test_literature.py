"""The published results on distillation in linear/ridge models, reproduced (issue 11).

Each test names the paper and the statement; derivations/chains.md gives our reading of each
(the papers' full texts were not available to us: where a statement is reconstructed, it says
so). Every claim is tested where its assumptions hold and, where the paper says it fails,
there too. Independent routes: hand-written per-mode formulas in this file, reference
numbers computed outside lingauss (in 200-digit arithmetic, or published by the authors), and
lingauss's public API.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

import lingauss
from lingauss import Chain, Sample, SpectralDesign, Student, Teacher, optimal_weights
from lingauss.chains.weights import one_step_xi


def ridge_risk(design, lam):
    """Fixed-design excess risk of ridge (β = 1) by hand: Σ (s/n)[(1 − h)²θ² + h²ν²/s]."""
    s, t2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n
    h = s / (s + lam)
    return float(np.sum(s / n * ((1 - h) ** 2 * t2 + h ** 2 * nu ** 2 / s)))


def oracle_risk(design):
    """The per-mode oracle filter f* = θ²s/(θ²s + ν²) (the best spectral filter)."""
    s, t2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n
    return float(np.sum(s / n * t2 * nu ** 2 / (t2 * s + nu ** 2)))


def best_over_lambda(fn, lo=1e-3, hi=1e6):
    res = optimize.minimize_scalar(lambda x: fn(np.exp(x)), bounds=(np.log(lo), np.log(hi)),
                                   method="bounded", options=dict(xatol=1e-9))
    return float(res.fun), float(np.exp(res.x))


# --------------------------------------------------------------------------------------------
# Pareek, Du & Oh (NeurIPS 2024, arXiv:2407.04600): repeated self-distillation
# --------------------------------------------------------------------------------------------

def pareek_design(r, *, n=100, nu=1.0, tau=3.0, equal=False, spread=False):
    """Distinct s_i = n(1 + (r − i)/r) and W⋆ = τ u_1 (aligned with the top eigenvector);
    ``equal``: all s_i = 1.5 n (not distinct); ``spread``: |θ_i| = τ/√r (not aligned)."""
    s = np.full(r, 1.5 * n) if equal else n * (1 + np.arange(r)[::-1] / r)
    theta = np.full((1, r), tau / np.sqrt(r)) if spread else np.eye(1, r) * tau
    return SpectralDesign(s, theta, noise=nu, k=1, n=n)


def sd_risk(design, lam, steps):
    """The best risk of `steps`-step self-distillation at a shared ridge λ (0: ridge)."""
    if steps == 0:
        return lingauss.risk(Teacher(1.0, lam), None, design).total
    return optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)] * steps, design).risk.total


# Computed outside lingauss (research notes, 200-digit arithmetic): ridge*, 1-step SD*, oracle.
PAREEK_TABLE = {2: (1.9954e-2, 1.443e-2, 9.9926e-3), 4: (3.9822e-2, 2.567e-2, 9.9937e-3),
                8: (7.9309e-2, 4.875e-2, 9.9941e-3), 16: (1.5731e-1, 9.50e-2, 9.9943e-3)}


@pytest.mark.parametrize("r", sorted(PAREEK_TABLE))
def test_pareek_r_step_self_distillation_reaches_the_oracle(r):
    """Distinct singular values, W⋆ on one eigenvector: r-step SD with optimal weights reaches
    the per-mode oracle at any λ, while ridge and 1-step SD pay about r and 0.6 r times it."""
    design = pareek_design(r)
    ridge_star, one_star, oracle = PAREEK_TABLE[r]
    assert oracle_risk(design) == pytest.approx(oracle, rel=1e-4)
    for lam in (100.0, 1000.0):
        assert sd_risk(design, lam, r) == pytest.approx(oracle_risk(design), rel=1e-8)
    best_ridge = best_over_lambda(lambda lam: ridge_risk(design, lam))[0]
    best_one = best_over_lambda(lambda lam: sd_risk(design, lam, 1))[0]
    assert best_ridge == pytest.approx(ridge_star, rel=1e-3)
    assert best_one == pytest.approx(one_star, rel=2e-3)
    assert best_ridge / oracle_risk(design) >= 0.9 * r
    assert best_one / oracle_risk(design) >= 0.55 * r


def test_pareek_gain_grows_linearly_in_d():
    """The factor best 1-step / best d-step grows linearly in d = r (G = d)."""
    rs = np.array([2, 4, 8, 16, 32])
    gains = []
    for r in rs:
        design = pareek_design(r)
        gains.append(best_over_lambda(lambda lam: sd_risk(design, lam, 1))[0]
                     / sd_risk(design, 100.0, r))
    slope, intercept = np.polyfit(rs, gains, 1)
    assert 0.5 < slope < 0.7
    assert np.all(np.diff(gains) > 0)
    assert np.max(np.abs(np.polyval([slope, intercept], rs) - gains) / gains) < 0.1


@pytest.mark.parametrize("case", ["equal singular values", "W* not aligned"])
def test_pareek_gain_disappears_without_its_assumptions(case):
    """Without distinct singular values, or with W⋆ spread over the eigenbasis, repeated SD is
    no better than ridge (the paper: the assumptions are necessary)."""
    r = 8
    design = pareek_design(r, equal=case == "equal singular values",
                           spread=case == "W* not aligned")
    best_ridge = best_over_lambda(lambda lam: ridge_risk(design, lam))[0]
    for steps in (1, 2, r):
        best = best_over_lambda(lambda lam: sd_risk(design, lam, steps))[0]
        assert best == pytest.approx(best_ridge, rel=1e-6)
    if case == "equal singular values":           # far from the oracle, which no filter reaches
        assert best_ridge > 5 * oracle_risk(design)
    else:                                          # ridge is already the oracle
        assert best_ridge == pytest.approx(oracle_risk(design), rel=1e-6)


# --------------------------------------------------------------------------------------------
# Borup & Andersen (NeurIPS 2021, arXiv:2102.13088): ground-truth-weighted distillation
# --------------------------------------------------------------------------------------------

# The authors' toy example (github.com/Kennethborup/self_distillation, toy_example.ipynb):
BORUP_Y = np.array([[0.38476636465198066, 1.2333967683416893, 1.33232242218057,
                     0.69201594888895180, -0.29756145531871736, -0.24189291901377769,
                     -0.7964485769175675, -0.9616480167034174, -0.49672509509916934,
                     -0.3469066003991437, 0.5589512650600734]])
# ... and the table of its README: test loss of steps 1..6 (step 1 = the teacher), and limit
BORUP_README = {0.0: ([0.16477, 0.15076, 0.14915, 0.15561, 0.16735, 0.18251], 0.49505),
                0.35: ([0.16477, 0.15424, 0.15089, 0.14983, 0.14954, 0.14948], 0.14959)}


def borup_problem():
    """Kernel ridge with the RBF kernel exp(−80|x − x'|²) as a linear model: X = K^{1/2}
    (so XᵀX = K) and test features φ(x) = K^{−1/2} k_x (so W φ(x) is the kernel prediction)."""
    x_train, x_test = np.arange(0, 1.1, 0.1), np.arange(0, 1.01, 0.01)

    def rbf(a, b):
        return np.exp(-80.0 * (a[:, None] - b[None, :]) ** 2)
    vals, vecs = np.linalg.eigh(rbf(x_train, x_train))
    X = (vecs * np.sqrt(vals)) @ vecs.T
    phi = (vecs / np.sqrt(vals)) @ vecs.T @ rbf(x_test, x_train).T
    return Sample(X, BORUP_Y), phi, np.sin(2 * np.pi * x_test)


@pytest.mark.parametrize("alpha", sorted(BORUP_README))
def test_borup_readme_table_is_reproduced(alpha):
    sample, phi, truth = borup_problem()
    means = Chain(Teacher(1.0, 0.2), [Student(1.0, 0.2, alpha=alpha)] * 5).means(sample)
    losses = [float(np.mean((M @ phi - truth) ** 2)) for M in means]
    steps, limit = BORUP_README[alpha]
    assert np.round(losses, 5).tolist() == steps
    # the limit: one ridge fit with the amplified ridge λ/α (α = 0: the zero function)
    if alpha > 0:
        M = Chain(Teacher(1.0, 0.2 / alpha), [Student(1.0, 1.0)]).means(sample)[0]
    else:
        M = np.zeros_like(means[0])
    assert round(float(np.mean((M @ phi - truth) ** 2)), 5) == limit


@pytest.mark.parametrize("alpha", [0.35, 0.7, 1.0])
def test_borup_infinitely_many_steps_are_one_ridge_with_lambda_over_alpha(alpha):
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    lam = 30.0
    chain = Chain(Teacher(1.0, lam), [Student(1.0, lam, alpha=alpha)] * 200)
    s = design.eigenvalues
    assert chain.filters(s)[-1] == pytest.approx(s / (s + lam / alpha), abs=1e-14)
    assert chain.risk(design).total == pytest.approx(
        lingauss.risk(Teacher(1.0, lam / alpha), None, design).total, rel=1e-10)


def test_borup_per_step_optimal_weight():
    """The per-step optimal ground-truth weight (greedy, expected fixed-design risk), written
    by hand: with a = h f_{g−1}, b = h (1 − f_{g−1}) and f_g = a + α b,
    α_g* = Σ w b[(1 − a)θ² − aν²/s] / Σ w b²(θ² + ν²/s)."""
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    s, t2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n
    for lam in (1.0, 30.0):
        w = optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)] * 4, design,
                            method="greedy")
        h = s / (s + lam)
        f, expected = h, []
        for _ in range(4):
            a, b = h * f, h * (1 - f)
            alpha = (np.sum(s / n * b * ((1 - a) * t2 - a * nu ** 2 / s))
                     / np.sum(s / n * b ** 2 * (t2 + nu ** 2 / s)))
            expected.append(alpha)
            f = a + alpha * b
        assert w.alpha == pytest.approx(expected, rel=1e-9)
        # the first step is the one-step weight of arXiv:2602.17565 (same ridge)
        assert 1 - w.alpha[0] == pytest.approx(one_step_xi(Teacher(1.0, lam), design),
                                               rel=1e-9)
    # over-regularised teacher: α* > 1 (ξ < 0); under-regularised: α* < 0 (ξ > 1)
    assert optimal_weights(Teacher(1.0, 30.0), [Student(1.0, 30.0)], design).alpha[0] > 1
    assert optimal_weights(Teacher(1.0, 1.0), [Student(1.0, 1.0)], design).alpha[0] < 0


# --------------------------------------------------------------------------------------------
# Mobahi, Farajtabar & Bartlett (NeurIPS 2020, arXiv:2002.05715): progressive sparsification
# --------------------------------------------------------------------------------------------

def test_mobahi_filter_is_the_product_of_shrinkages_and_sparsifies():
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    s = design.eigenvalues
    lams = [30.0, 10.0, 50.0, 30.0, 5.0, 30.0, 30.0]
    chain = Chain(Teacher(1.0, lams[0]), [Student(1.0, lam, alpha=0.0) for lam in lams[1:]])
    filters = chain.filters(s)
    product = np.ones_like(s)
    for g, lam in enumerate(lams):
        product = product * s / (s + lam)
        assert filters[g] == pytest.approx(product, rel=1e-12)
    # the effective number of modes Σf / max f falls with every round
    effective = filters.sum(axis=1) / filters.max(axis=1)
    assert np.all(np.diff(effective) < 0)


def test_mobahi_few_rounds_help_then_hurt():
    """An under-regularised teacher: the risk falls for a few rounds, then rises towards the
    zero predictor's (U-shaped, collapse); an over-regularised teacher: it rises from the
    start. The curve from lingauss's filters and the hand-written risk, checked against
    Chain.risk at a few generations."""
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    s, t2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n
    zero = float(np.sum(s / n * t2))

    def risks(lam, G):
        chain = Chain(Teacher(1.0, lam), [Student(1.0, lam)] * G)
        f = chain.filters(s)
        curve = np.sum(s / n * ((1 - f) ** 2 * t2 + f ** 2 * nu ** 2 / s), axis=1)
        for g in (0, 1, G // 2):
            assert chain.risk(design, generation=g).total == pytest.approx(curve[g], rel=1e-10)
        return curve
    under = risks(0.3, 40)
    best = int(np.argmin(under))
    assert 0 < best < 40 and under[best] < 0.9 * under[0]
    assert np.all(np.diff(under[:best + 1]) < 0) and np.all(np.diff(under[best:]) > 0)
    # collapse: f_g = h^{g+1} → 0, so the risk tends to the zero predictor's
    h = s / (s + 0.3)
    far = np.sum(s / n * ((1 - h ** 20001) ** 2 * t2 + h ** 40002 * nu ** 2 / s))
    assert far == pytest.approx(zero, rel=1e-3) and under[-1] < far
    over = risks(200.0, 20)
    assert np.all(np.diff(over) > 0)


# --------------------------------------------------------------------------------------------
# Dang, Patil & Rinaldo (arXiv:2602.17565): optimal unconstrained one-step self-distillation
# --------------------------------------------------------------------------------------------

def test_dang_sign_rule_and_strict_improvement_on_a_lambda_grid():
    """Thm 2.2: ξ* = −λR'(λ)/(2D); sign(ξ*) = −sign(R'(λ)); R*_sd < R(λ) whenever R'(λ) ≠ 0."""
    design = SpectralDesign.power_law(d=40, k=1, n=80, noise=0.8, signal_exponent=1.2)

    def R(lam):
        return lingauss.risk(Teacher(1.0, lam), None, design).total
    lam_star = best_over_lambda(R)[1]
    checked = 0
    for lam in np.geomspace(1e-2, 1e4, 80):
        dR = (R(lam * (1 + 1e-5)) - R(lam * (1 - 1e-5))) / (2e-5 * lam)
        xi = one_step_xi(Teacher(1.0, lam), design)
        sd = optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)], design).risk.total
        if abs(np.log(lam / lam_star)) > 0.05:          # R'(λ) clearly ≠ 0
            assert np.sign(xi) == -np.sign(dR)
            assert sd < R(lam)
            checked += 1
    assert checked > 70
    # ξ* > 1 for small λ (over-fitting teacher), ξ* < 0 for large λ
    assert one_step_xi(Teacher(1.0, 1e-2), design) > 1
    assert one_step_xi(Teacher(1.0, 1e4), design) < 0


def test_dang_no_gain_at_a_stationary_ridge():
    """Where R'(λ) = 0 (the ridge-optimal λ) the optimal weight is 0 and there is no gain."""
    design = SpectralDesign.power_law(d=40, k=1, n=80, noise=0.8, signal_exponent=1.2)
    res = optimize.minimize_scalar(
        lambda x: lingauss.risk(Teacher(1.0, np.exp(x)), None, design).total,
        bounds=(-5, 10), method="bounded", options=dict(xatol=1e-12))
    lam = float(np.exp(res.x))
    assert abs(one_step_xi(Teacher(1.0, lam), design)) < 1e-4
    w = optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)], design)
    assert w.risk.total == pytest.approx(w.teacher_risk.total, rel=1e-8)
