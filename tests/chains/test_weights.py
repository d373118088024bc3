"""Optimal mixing weights of a chain (lingauss.optimal_weights, lingauss.weights.one_step_xi).

Independent routes:

* a generic optimiser (Nelder–Mead from several starts) on the chain's risk as computed by
  ``Chain.risk`` (the closed forms of lingauss.excess_risk): the linear solve must reach a
  risk no larger, and ``Chain.risk`` at the returned weights must equal the reported risk;
* the spectral features (derived filters) against the structured features (explicit
  operators) on the same pca chain;
* the greedy weight of each generation against a one-dimensional minimisation;
* ``one_step_xi`` against a hand-written form of arXiv:2602.17565's Thm 2.2,
  ``ξ* = −λR'(λ)/(2D)`` with ``R'`` by finite differences of ``lingauss.risk`` and ``D``
  written out per mode;
* the high-precision solve against double precision where both are accurate, and against the
  per-mode oracle risk where only the high-precision solve is (Pareek et al.'s chains).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import optimize

import lingauss
import lingauss.chains.weights as W
from lingauss import Chain, LingaussError, Sample, SpectralDesign, Student, Teacher, optimal_weights
from lingauss.chains.weights import one_step_xi

SAMPLE = Sample.synthetic(d=6, k=3, n=12, noise=0.7, seed=1)
BASIS = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 4)))[0]
SIGMA = np.cov(np.random.default_rng(3).standard_normal((6, 20)))

CHAINS = {
    "basis-and-oracle-rank": (Teacher(2.0, 1.0), [Student(2.0, 1.5, width=4, basis=BASIS),
                                                  Student(1.0, 0.5, rank=2,
                                                          rank_rule="oracle")]),
    "shared-ridge": (Teacher(1.0, 0.3), [Student(1.0, 0.3), Student(1.0, 0.3)]),
    "three-generations": (Teacher(1.0, 0.3), [Student(1.0, 0.8, width=5),
                                              Student(2.0, 0.3, rank=2, rank_rule="oracle"),
                                              Student(1.0, 2.0)]),
}


def chain_risk(teacher, students, alphas, design, **kw):
    students = [dataclasses.replace(s, alpha=float(a)) for s, a in zip(students, alphas)]
    return Chain(teacher, students).risk(design, **kw).total


def brute_force(teacher, students, design, *, near=None, **kw):
    """Nelder–Mead from 0, from a random start and (``near``) from a perturbation of a
    candidate optimum; a bounded budget (the risk can be flat towards |α| → ∞)."""
    rng = np.random.default_rng(5)
    G = len(students)
    starts = [np.zeros(G), rng.standard_normal(G)]
    if near is not None:
        starts.append(np.asarray(near) + 0.1 * rng.standard_normal(G))
    return min((optimize.minimize(lambda a: chain_risk(teacher, students, a, design, **kw), x0,
                                  method="Nelder-Mead",
                                  options=dict(xatol=1e-10, fatol=1e-15, maxiter=1500 * G))
                for x0 in starts), key=lambda r: r.fun)


@pytest.mark.parametrize("kind", ["fixed", "population"])
@pytest.mark.parametrize("name", sorted(CHAINS))
def test_joint_weights_minimise_the_chains_risk(name, kind):
    teacher, students = CHAINS[name]
    kw = dict(kind=kind, covariance=SIGMA if kind == "population" else None)
    w = optimal_weights(teacher, students, SAMPLE, **kw)
    # the reported risk is the chain's risk at the returned weights (another route)
    assert w.risk.total == pytest.approx(chain_risk(teacher, students, w.alpha, SAMPLE, **kw),
                                         rel=1e-9)
    assert w.risk.total == pytest.approx(w.risk.bias + w.risk.variance, rel=1e-12)
    # no generic optimiser finds a lower risk; from the optimum it finds no descent
    best = brute_force(teacher, students, SAMPLE, near=w.alpha, **kw)
    assert w.risk.total <= best.fun * (1 + 1e-9)
    assert w.teacher_risk.total == pytest.approx(
        lingauss.risk(teacher, None, SAMPLE, **kw).total, rel=1e-12)
    assert w.risk.total < w.teacher_risk.total
    assert sum(w.omega) == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(w.omega, W.mixing(w.alpha), rtol=1e-9, atol=1e-12)
    assert w.xi == pytest.approx([1 - a for a in w.alpha])
    assert [s.alpha for s in w.students] == list(w.alpha)


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_greedy_weight_minimises_each_generations_risk_given_the_earlier(name):
    teacher, students = CHAINS[name]
    w = optimal_weights(teacher, students, SAMPLE, method="greedy")
    for g in range(1, len(students) + 1):
        def risk_g(a):
            alphas = list(w.alpha[:g - 1]) + [a]
            return chain_risk(teacher, students[:g], alphas, SAMPLE)
        res = optimize.minimize_scalar(risk_g, bracket=(w.alpha[g - 1] - 1,
                                                        w.alpha[g - 1] + 1), tol=1e-12)
        assert w.alpha[g - 1] == pytest.approx(res.x, abs=1e-5)
    assert w.risk.total >= optimal_weights(teacher, students, SAMPLE).risk.total * (1 - 1e-12)


def test_spectral_and_structured_features_agree(monkeypatch):
    design = SpectralDesign.power_law(d=10, k=2, n=30, noise=0.8)
    students = [Student(1.0, 0.8, width=5), Student(2.0, 0.3, rank=1, rank_rule="oracle"),
                Student(1.0, 2.0)]
    spectral = optimal_weights(Teacher(1.0, 0.3), students, design)
    monkeypatch.setattr(W, "_spectral_features", W._structured_features)
    structured = optimal_weights(Teacher(1.0, 0.3), students, design)
    assert spectral.alpha == pytest.approx(structured.alpha, rel=1e-9)
    assert spectral.risk.total == pytest.approx(structured.risk.total, rel=1e-12)


@pytest.mark.parametrize("lam", [0.05, 0.4, 3.0, 40.0])
def test_one_step_xi_is_dang_patil_rinaldo_theorem(lam):
    design = SpectralDesign.power_law(d=12, k=1, n=24, noise=0.6, signal_exponent=1.2)
    s, theta2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n

    def R(x):
        return lingauss.risk(Teacher(1.0, x), None, design).total
    h = 1e-4 * lam
    dR = (R(lam + h) - R(lam - h)) / (2 * h)
    D = np.sum(lam ** 2 * s ** 2 * (theta2 * s + nu ** 2) / (n * (s + lam) ** 4))
    xi = one_step_xi(Teacher(1.0, lam), design)
    assert xi == pytest.approx(-lam * dR / (2 * D), rel=1e-6)
    # and the joint solve of a one-step chain
    w = optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)], design)
    assert 1 - w.alpha[0] == pytest.approx(xi, rel=1e-10)
    # R*_sd = R − λ²R'²/(4D) (Thm 2.2)
    assert w.risk.total == pytest.approx(R(lam) - lam ** 2 * dR ** 2 / (4 * D), rel=1e-6)


def test_one_step_xi_sums_over_output_rows():
    """k > 1: the per-row coefficients are summed over the rows (noise on every row)."""
    design = SpectralDesign.power_law(d=8, k=3, n=16, noise=0.5)
    xi = one_step_xi(Teacher(1.5, 2.0), design)
    w = optimal_weights(Teacher(1.5, 2.0), [Student(1.5, 2.0)], design)
    assert 1 - w.alpha[0] == pytest.approx(xi, rel=1e-10)


def _pareek_design(r, n=100, nu=1.0, tau=3.0):
    s = n * (1 + np.arange(r)[::-1] / r)
    theta = np.zeros((1, r))
    theta[0, 0] = tau
    return SpectralDesign(s, theta, noise=nu, k=1, n=n)


def _oracle_risk(design):
    """The per-mode oracle filter f* = θ²s/(θ²s + ν²): risk Σ (s/n) θ²ν²/(θ²s + ν²)."""
    s, t2, nu, n = design.eigenvalues, design.signal_energy, design.noise, design.n
    return float(np.sum(s / n * t2 * nu ** 2 / (t2 * s + nu ** 2)))


@pytest.mark.parametrize("r", [8, 16])
def test_ill_conditioned_chains_are_solved_in_high_precision(r):
    design = _pareek_design(r)
    chain = (Teacher(1.0, 100.0), [Student(1.0, 100.0)] * r)
    auto = optimal_weights(*chain, design)
    assert any("solved in" in note and "digits" in note for note in auto.notes)
    assert auto.risk.total == pytest.approx(_oracle_risk(design), rel=1e-8)
    forced = optimal_weights(*chain, design, digits=60)
    assert forced.risk.total == pytest.approx(auto.risk.total, rel=1e-10)
    # the weights it reports reproduce the risk through the chain (in double precision the
    # huge cancelling weights lose digits: loosely)
    assert max(abs(a) for a in auto.alpha) > 1e3


def test_well_conditioned_chains_stay_in_double_precision():
    design = _pareek_design(3)
    w = optimal_weights(Teacher(1.0, 100.0), [Student(1.0, 100.0)] * 2, design)
    assert not w.notes
    hp = optimal_weights(Teacher(1.0, 100.0), [Student(1.0, 100.0)] * 2, design, digits=40)
    assert hp.alpha == pytest.approx(w.alpha, rel=1e-8)
    assert hp.risk.total == pytest.approx(w.risk.total, rel=1e-12)


def test_dependent_features_are_reported_as_singular():
    """One mode and three generations: the risk depends on ω through two numbers only."""
    design = SpectralDesign(np.array([5.0]), np.array([[1.0]]), noise=0.5, k=1, n=5)
    students = [Student(1.0, 1.0)] * 3
    w = optimal_weights(Teacher(1.0, 1.0), students, design)
    assert w.singular and any("not unique" in note for note in w.notes)
    best = brute_force(Teacher(1.0, 1.0), students, design)
    assert w.risk.total <= best.fun * (1 + 1e-9)


def test_undetermined_weight_keeps_the_students_value():
    notes = []
    chain = Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0, alpha=0.25), Student(1.0, 1.0)])
    alpha = W._alphas(np.array([0.0, 0.0, 1.0]), chain, notes, 1e-14)
    assert alpha == [0.25, 1.0] and "does not matter" in notes[0]
    with pytest.raises(LingaussError, match="not reached by finite α"):
        W._alphas(np.array([1.0, -1.0, 1.0]), chain, [], 1e-14)


def test_errors_name_the_argument():
    t, s = Teacher(1.0, 1.0), Student(1.0, 1.0)
    with pytest.raises(LingaussError, match="method"):
        optimal_weights(t, [s], SAMPLE, method="best")
    with pytest.raises(LingaussError, match="kind"):
        optimal_weights(t, [s], SAMPLE, kind="test")
    with pytest.raises(LingaussError, match="covariance is set but kind == 'fixed'"):
        optimal_weights(t, [s], SAMPLE, covariance=SIGMA)
    with pytest.raises(LingaussError, match="rank_rule == 'optimal'"):
        optimal_weights(t, [Student(1.0, 1.0, rank=1)], SAMPLE)
    with pytest.raises(LingaussError, match="digits == 40 needs every mode to separate"):
        optimal_weights(t, [Student(1.0, 1.0, width=3, basis=BASIS[:, :3])], SAMPLE,
                        digits=40)
    with pytest.raises(LingaussError, match="digits"):
        optimal_weights(t, [s], SAMPLE, digits=5)
    with pytest.raises(LingaussError, match="W_star|truth"):
        optimal_weights(t, [s], Sample(SAMPLE.X, SAMPLE.Y))
    with pytest.raises(LingaussError, match="teacher"):
        one_step_xi("teacher", SAMPLE)
