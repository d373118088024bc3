"""Independent verification of the risk of a kernel (``lingauss.risk``, ``Chain.risk``,
``lingauss.excess_risk.chain_risk``; docs/model.md §7, §8).

The references are written here and in ``tests/references/chain_reference.py`` from the definitions, and
share no code with ``lingauss.excess_risk`` or ``lingauss._kernels``.

Test groups
-----------
Closed form vs dense
    Every generation's mean is an explicit linear map of the labels, ``vec M_g = A_g vec Y``
    (the teacher's Gibbs posterior, the soft labels ``Ỹ = αY + (1−α)Ŷ``, each student's ridge
    fit over its trained coordinates ``W = U Z Bᵀ``, built as dense ``kd``-dim quadratic
    forms), and its kernel covariance over ``vec W`` is dense too. The risk expected over
    ``Y = W⋆X + νE`` is then ``‖A vec(W⋆X) − vec W⋆‖²_{Σ⊗I}`` (bias²) plus
    ``ν² tr(Aᵀ(Σ⊗I)A)`` (variance), plus ``tr((Σ⊗I) Cov vec W)`` for a posterior draw; it is
    compared with the library at ``kind="fixed"`` (``Σ = XXᵀ/n``) and ``kind="population"``
    (an explicit ``Σ``, or the ``diag(s_i/n)`` of a ``SpectralDesign``), both estimators,
    bases ``pca`` / ``first`` / arrays, widths, ranks (full, ``oracle``, arrays), soft labels
    ``mean`` / ``sampled`` / ``sampled+noise``, ``α`` inside and outside ``[0, 1]`` and every
    complement variance rule (``optimal``: the forward parameter-space minimiser, written in
    closed form in the reference).
MODEL.md's posterior term
    ``k tr(CΣ)`` and ``(k/n) tr(XᵀCX)`` of docs/model.md §7 assume one row covariance ``C``
    for all ``k`` rows (the teacher; a full-rank student). The library sums ``tr(C_jΣ)`` over
    the rows ``j`` of its common output basis (``lingauss.excess_risk._posterior``): the same
    number when the rows share ``C``, and ``tr((Σ⊗I_k) Cov vec W)`` in general, which is what
    a posterior draw costs (at rank ``r < k`` the rows outside ``Q`` have covariance ``τ²I``;
    with sampled soft labels ``C`` includes the spread of the mean over ``Ŷ``). So MODEL.md
    and the code agree; the tests check MODEL.md's literal formula where it applies, and the
    general form (our dense ``Cov vec W``) everywhere.
Routes
    ``route="spectral"`` (per-mode filters from the generated code) against
    ``route="structured"`` (sums over the chain's paths) wherever the spectral route applies,
    and a hand-written per-mode sum ``Σ_i w_i((1 − f_i)²‖θ_i‖² + k f_i² ν²/s_i)`` with the
    filter recursion typed from docs/model.md §7–8.
Simulation
    Labels are sampled, the teacher and each generation are fitted by solving their ridge
    problems on them, soft labels and posterior draws are drawn explicitly, and the fits are
    scored on fresh labels at the same inputs or on fresh inputs ``x ~ N(0, Σ)``; the mean
    excess loss (the irreducible ``kν²`` removed) must be within 4 standard errors of the
    closed form, and the standard error small enough for the check to bite (fixed seeds).
Errors
    Exact ``LingaussError`` messages for bad calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest
from tests.references.chain_reference import dense_chain, dense_risk, excess_loss, orthonormal, simulate_chain
from hypothesis import given, note
from hypothesis import strategies as st

from lingauss import Chain, LingaussError, Sample, SpectralDesign, Student, Teacher, risk
from lingauss.chains.risk import chain_risk, spectral_eligible
from lingauss.chains.weights import one_step_xi

RTOL = 1e-9
ATOL = 1e-12
KINDS = ("fixed", "population")
ESTIMATORS = ("mean", "gibbs")
ALPHAS = (0.0, 0.3, 1.0, -0.5, 1.7)
SOFT = ("mean", "sampled", "sampled+noise")
COMPLEMENTS = ("prior", 0.7, "optimal")


# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Case:
    """A teacher, its students (generations 1..G) and a design, with the dense stand-ins of
    the design: inputs ``X`` (d, n) (for a spectral design ``diag(√s) Vᵀ``, ``V`` (n, d)
    orthonormal, so that ``XXᵀ = diag(s)`` over ``n`` examples), ``W⋆``, ``ν`` and the
    population covariance ``Σ`` (explicit for a sample, ``diag(s/n)`` for a spectral design)."""

    teacher: Teacher
    students: tuple
    design: object
    X: np.ndarray
    W_star: np.ndarray
    noise: float
    sigma: np.ndarray

    @property
    def n(self) -> int:
        return self.X.shape[1]

    @property
    def spectral(self) -> bool:
        return isinstance(self.design, SpectralDesign)

    def weight(self, kind):
        """The risk's input second moment: ``XXᵀ/n`` (fixed design) or ``Σ``."""
        return self.X @ self.X.T / self.n if kind == "fixed" else self.sigma

    def covariance(self, kind):
        """The ``covariance`` argument the library takes for this kind."""
        return self.sigma if kind == "population" and not self.spectral else None


def make_design(rng, d, k, n, spectral, null_mode=False):
    """A sample ``Y = W⋆X + νE`` (with a random population ``Σ``), or a spectral design
    ``s_i = n σ_i`` with vectors ``θ_i`` (``null_mode``: its last eigenvalue is 0; ``n`` is
    raised to ``d`` so that inputs ``X`` (d, n) with ``XXᵀ = diag(s)`` exist)."""
    noise = float(rng.uniform(0.2, 1.0))
    if spectral:
        n = max(n, d)
        s = np.sort(n * rng.uniform(0.2, 3.0, d))[::-1]
        if null_mode:
            s[-1] = 0.0
        design = SpectralDesign(s, rng.standard_normal((k, d)), noise=noise, k=k, n=n)
        X = np.sqrt(design.eigenvalues)[:, None] * orthonormal(rng, n, d).T
        return design, X, np.array(design.signal), noise, np.diag(design.eigenvalues / n)
    X = rng.standard_normal((d, n)) * rng.uniform(0.5, 2.0, d)[:, None]
    W_star = rng.standard_normal((k, d))
    Y = W_star @ X + noise * rng.standard_normal((k, n))
    L = rng.standard_normal((d, d))
    L[:, -1] *= rng.integers(0, 2)                  # Σ singular (PSD, rank d − 1) or not
    return Sample(X, Y, W_star=W_star, noise=noise), X, W_star, noise, L @ L.T / d


def make_student(rng, *, d, k, n, spectral, basis, width, rank, soft, alpha, complement,
                 oracle):
    """A student from options. Below full rank the projector is ``oracle`` or a user matrix
    spanned by columns of ``oracle`` (the left singular vectors of ``W⋆``), so that every
    projector of a chain commutes with the others (rows independent in one basis)."""
    if basis == "pca" and width < d and not spectral:
        width = min(width, n)       # top-m eigenvectors of XXᵀ defined (no tie among zeros)
    kw = dict(alpha=alpha, soft_labels=soft, complement_variance=complement)
    if soft == "sampled+noise":
        kw["soft_label_noise"] = float(rng.uniform(0.1, 0.8))
    if basis == "array":
        kw["basis"] = orthonormal(rng, d, width)
    else:
        kw.update(basis=basis, width=width)
    r = min(rank, k, width)
    if r == k:
        kw["rank_rule"] = "optimal" if rng.integers(0, 2) else "oracle"   # both give Q = I
    elif rng.integers(0, 2):
        cols = rng.choice(k, size=r, replace=False)
        kw["rank_rule"] = oracle[:, cols] @ orthonormal(rng, r, r)
    else:
        kw.update(rank_rule="oracle", rank=r)
    return Student(float(rng.uniform(0.3, 3.0)), float(rng.uniform(0.3, 3.0)), **kw)


@st.composite
def cases(draw, generations=st.integers(1, 3), spectral=st.booleans(),
          bases=("pca", "first", "array")):
    """A random small chain (d ≤ 6, k ≤ 3, n ≤ 12) on a sample or a spectral design."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    d, k, n = draw(st.integers(2, 6)), draw(st.integers(1, 3)), draw(st.integers(2, 12))
    spec = draw(spectral)
    design, X, W_star, noise, sigma = make_design(rng, d, k, n, spec,
                                                  null_mode=draw(st.booleans()))
    oracle = np.linalg.svd(W_star)[0]
    students = tuple(
        make_student(rng, d=d, k=k, n=n, spectral=spec, basis=draw(st.sampled_from(bases)),
                     width=draw(st.integers(1, d)), rank=draw(st.integers(1, k)),
                     soft=draw(st.sampled_from(SOFT)), alpha=draw(st.sampled_from(ALPHAS)),
                     complement=draw(st.sampled_from(COMPLEMENTS)), oracle=oracle)
        for _ in range(draw(generations)))
    case = Case(Teacher(float(rng.uniform(0.3, 3.0)), float(rng.uniform(0.3, 3.0))),
                students, design, X, W_star, noise, sigma)
    note(repr(case))
    return case


def assert_close(actual, desired, scale, what):
    tol = RTOL * abs(desired) + ATOL * scale
    assert abs(actual - desired) <= tol, (
        f"{what}: library {actual!r} vs reference {desired!r} "
        f"(|diff| {abs(actual - desired):.3e} > tol {tol:.3e})")


def compare_risk(result, reference, what):
    """``(bias, variance of the mean, posterior)`` against a :class:`lingauss.excess_risk.Risk`."""
    bias, variance, posterior = reference
    scale = max(1.0, bias + variance + posterior)
    assert_close(result.bias, bias, scale, f"{what} bias")
    assert_close(result.posterior, posterior, scale, f"{what} posterior")
    assert_close(result.variance, variance + posterior, scale, f"{what} variance")
    assert_close(result.total, bias + variance + posterior, scale, f"{what} total")


def reference_risk(case, g, kind, estimator, gens=None):
    gens = gens or dense_chain(case.teacher, case.students, case.X, case.W_star)
    bias, variance, posterior = dense_risk(gens[g], case.X, case.W_star, case.noise,
                                           case.weight(kind))
    return bias, variance, posterior if estimator == "gibbs" else 0.0


# ---------------------------------------------------------------------------------------------
# 1. Closed form vs dense
# ---------------------------------------------------------------------------------------------

SINGLE = [(basis, rank, soft) for basis in ("pca", "first", "array")
          for rank in ("full", "oracle", "array") for soft in SOFT]


@pytest.mark.parametrize("basis, rank, soft", SINGLE, ids=["-".join(c) for c in SINGLE])
@pytest.mark.parametrize("spectral", [False, True], ids=["sample", "spectral"])
def test_one_student_matches_dense(basis, rank, soft, spectral):
    """``risk(teacher, student, design)`` and ``risk(teacher, None, design)``, every kind and
    estimator, against the dense reference."""
    seed = SINGLE.index((basis, rank, soft)) + 100 * spectral
    rng = np.random.default_rng(seed)
    d, k, n = 5, 3, 7 if seed % 2 else 4
    design, X, W_star, noise, sigma = make_design(rng, d, k, n, spectral,
                                                  null_mode=bool(seed % 3 == 0))
    kw = dict(soft_labels=soft, alpha=ALPHAS[seed % len(ALPHAS)],
              complement_variance=COMPLEMENTS[seed % len(COMPLEMENTS)])
    if soft == "sampled+noise":
        kw["soft_label_noise"] = 0.4
    m = d if seed % 4 == 0 else 3
    if basis == "array":
        kw["basis"] = orthonormal(rng, d, m)
    else:
        kw.update(basis=basis, width=m)
    if rank == "full":
        pass                                   # the default rule ("optimal") at r = k: Q = I
    elif rank == "oracle":
        kw.update(rank_rule="oracle", rank=2)
    else:
        kw.update(rank_rule=orthonormal(rng, k, 2))
    teacher = Teacher(1.7, 0.6)
    student = Student(0.9, 1.3, **kw)
    case = Case(teacher, (student,), design, X, W_star, noise, sigma)
    gens = dense_chain(teacher, [student], X, W_star)
    for kind in KINDS:
        for est in ESTIMATORS:
            cov = case.covariance(kind)
            what = f"[seed {seed} {kind} {est}]"
            compare_risk(risk(teacher, student, design, kind=kind, estimator=est,
                              covariance=cov),
                         reference_risk(case, 1, kind, est, gens), f"student {what}")
            compare_risk(risk(teacher, None, design, kind=kind, estimator=est,
                              covariance=cov),
                         reference_risk(case, 0, kind, est, gens), f"teacher {what}")


@given(cases())
def test_chain_matches_dense(case):
    """``Chain.risk`` of every generation, every kind and estimator, against the dense
    reference (random chains of 1–3 students with commuting projectors)."""
    chain = Chain(case.teacher, case.students)
    gens = dense_chain(case.teacher, case.students, case.X, case.W_star)
    for g in range(chain.generations + 1):
        for kind in KINDS:
            for est in ESTIMATORS:
                result = chain.risk(case.design, generation=g, kind=kind, estimator=est,
                                    covariance=case.covariance(kind))
                assert (result.kind, result.estimator) == (kind, est)
                compare_risk(result, reference_risk(case, g, kind, est, gens),
                             f"[generation {g} {kind} {est}]")


def test_default_generation_is_the_last():
    rng = np.random.default_rng(3)
    design, X, W_star, noise, sigma = make_design(rng, 4, 2, 6, False)
    students = [Student(1.0, 0.5, alpha=0.5), Student(2.0, 1.0, alpha=-0.5, width=2)]
    chain = Chain(Teacher(1.0, 1.0), students)
    assert chain.risk(design).total == chain.risk(design, generation=2).total
    case = Case(chain.teacher, tuple(students), design, X, W_star, noise, sigma)
    compare_risk(chain.risk(design), reference_risk(case, 2, "fixed", "mean"), "default")


def test_population_of_a_spectral_design_is_its_fixed_design():
    """``s_i = n σ_i``: the population weights ``σ_i`` are the fixed-design ``s_i/n``."""
    rng = np.random.default_rng(11)
    design = make_design(rng, 5, 2, 9, True)[0]
    chain = Chain(Teacher(1.3, 0.4), [Student(0.7, 1.1, alpha=1.7, width=3, rank=1,
                                              rank_rule="oracle", soft_labels="sampled")])
    for est in ESTIMATORS:
        fixed = chain.risk(design, kind="fixed", estimator=est)
        population = chain.risk(design, kind="population", estimator=est)
        assert fixed.total == pytest.approx(population.total, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 2. MODEL.md's literal posterior term, and a hand-written per-mode route
# ---------------------------------------------------------------------------------------------

def test_posterior_term_is_models_k_tr_C_sigma():
    """Teacher (row covariance ``C = A_T⁻¹`` for all ``k`` rows) and a full-rank ``pca``
    student with mean soft labels (``C = B K⁻¹ Bᵀ + τ²(I − BBᵀ)``): the gibbs excess over the
    mean estimator is ``k tr(CΣ)`` (population) and ``(k/n) tr(XᵀCX)`` (fixed design)."""
    rng = np.random.default_rng(5)
    d, k, n = 5, 3, 8
    design, X, W_star, noise, sigma = make_design(rng, d, k, n, False)
    teacher = Teacher(1.5, 0.8)
    C_T = np.linalg.inv(teacher.beta * X @ X.T + teacher.ridge * np.eye(d))
    w, V = np.linalg.eigh(X @ X.T)
    B = V[:, np.argsort(-w)[:3]]
    student = Student(0.6, 1.9, alpha=0.4, width=3, complement_variance=0.45)
    K = student.beta * B.T @ X @ X.T @ B + student.ridge * np.eye(3)
    C_S = B @ np.linalg.solve(K, B.T) + 0.45 * (np.eye(d) - B @ B.T)
    for st_, C in ((None, C_T), (student, C_S)):
        fixed = risk(teacher, st_, design, estimator="gibbs")
        pop = risk(teacher, st_, design, kind="population", estimator="gibbs",
                   covariance=sigma)
        assert fixed.posterior == pytest.approx(k / n * np.trace(X.T @ C @ X), rel=1e-10)
        assert pop.posterior == pytest.approx(k * np.trace(C @ sigma), rel=1e-10)
        mean = risk(teacher, st_, design, kind="population", covariance=sigma)
        assert pop.total == pytest.approx(mean.total + k * np.trace(C @ sigma), rel=1e-10)


def hand_filters(teacher, students, s):
    """docs/model.md §7–8, typed: ``f_0 = β_T s/(β_T s + λ_T)``,
    ``f_g = h_g (α_g + (1 − α_g) f_{g−1})`` with ``h_g = β_g s/(β_g s + λ_g)``, 0 on the modes
    a generation drops (``i ≥ m``)."""
    f = [teacher.beta * s / (teacher.beta * s + teacher.ridge)]
    for st_ in students:
        h = st_.beta * s / (st_.beta * s + st_.ridge)
        step = h * (st_.alpha + (1 - st_.alpha) * f[-1])
        m = s.size if st_.width is None else st_.width
        f.append(np.where(np.arange(s.size) < m, step, 0.0))
    return f


@pytest.mark.parametrize("spectral", [False, True], ids=["sample", "spectral"])
@pytest.mark.parametrize("route", ["auto", "spectral", "structured"])
def test_hand_written_per_mode_risk(spectral, route):
    """A ``pca``, full-rank chain: ``Σ_i w_i ((1 − f_i)² ‖θ_i‖² + k f_i² ν²/s_i)`` with the
    typed filters, ``w_i = s_i/n``, ``θ_i = W⋆u_i`` from an independent eigendecomposition."""
    rng = np.random.default_rng(21 + spectral)
    d, k = 6, 2
    design, X, W_star, noise, _ = make_design(rng, d, k, 5, spectral, null_mode=True)
    n = X.shape[1]
    teacher = Teacher(2.0, 0.5)
    students = [Student(1.0, 0.7, alpha=-0.5), Student(0.5, 0.3, alpha=1.7, width=4),
                Student(3.0, 2.0, alpha=0.0)]
    w, V = np.linalg.eigh(X @ X.T)
    order = np.argsort(-w)
    s, U = np.clip(w[order], 0, None), V[:, order]
    s[s < 1e-9 * s[0]] = 0.0
    energy = np.sum((W_star @ U) ** 2, axis=0)
    chain = Chain(teacher, students)
    for g, f in enumerate(hand_filters(teacher, students, s)):
        pos = s > 0
        bias = np.sum(s / n * (1 - f) ** 2 * energy)
        variance = k * np.sum(np.where(pos, f ** 2 * noise ** 2 / np.where(pos, s, 1), 0) * s
                              / n)
        result = chain_risk(chain, g, design, kind="fixed", estimator="mean", route=route)
        assert result.bias == pytest.approx(bias, rel=1e-10, abs=1e-14)
        assert result.variance == pytest.approx(variance, rel=1e-10, abs=1e-14)


@given(cases(bases=("pca",)))
def test_spectral_route_matches_structured(case):
    """Where every mode separates (``pca`` bases, fixed projectors, fixed design or a spectral
    design's population), the two closed forms agree term by term."""
    chain = Chain(case.teacher, case.students)
    for g in range(chain.generations + 1):
        for kind in KINDS:
            if kind == "population" and not case.spectral:
                continue                              # Σ not diagonal in the eigenbasis
            assert spectral_eligible(chain, g, case.design, kind, None)
            for est in ESTIMATORS:
                a = chain_risk(chain, g, case.design, kind=kind, estimator=est,
                               route="spectral")
                b = chain_risk(chain, g, case.design, kind=kind, estimator=est,
                               route="structured")
                compare_risk(a, (b.bias, b.variance - b.posterior, b.posterior),
                             f"[generation {g} {kind} {est}] spectral vs structured")


# ---------------------------------------------------------------------------------------------
# 3. Simulation: ridge fits on sampled labels, scored on fresh labels or fresh inputs
# ---------------------------------------------------------------------------------------------

REPLICATES = 20000
TEST_POINTS = 8


def simulated_risk(case, g, kind, estimator, seed):
    """Mean and standard error over ``REPLICATES`` label draws of the excess test loss."""
    rng = np.random.default_rng(seed)
    k, d = case.W_star.shape
    X, n = case.X, case.X.shape[1]
    Y = case.W_star @ X + case.noise * rng.standard_normal((REPLICATES, k, n))
    means, draws = simulate_chain(case.teacher, case.students[:g], X, case.W_star, Y, rng)
    W = (means if estimator == "mean" else draws)[g]
    if kind == "fixed":                                   # fresh labels at the same inputs
        X_test = X
        Y_test = case.W_star @ X + case.noise * rng.standard_normal((REPLICATES, k, n))
    else:                                                 # fresh inputs x ~ N(0, Σ)
        w, V = np.linalg.eigh(case.sigma)
        root = V * np.sqrt(np.clip(w, 0, None))
        X_test = root @ rng.standard_normal((REPLICATES, d, TEST_POINTS))
        Y_test = case.W_star @ X_test + case.noise * rng.standard_normal(
            (REPLICATES, k, TEST_POINTS))
    loss = excess_loss(W, X_test, Y_test, case.noise)
    return float(np.mean(loss)), float(np.std(loss, ddof=1) / np.sqrt(REPLICATES))


def simulation_case(kind_of_design, students, seed, d=5, k=3, n=8):
    rng = np.random.default_rng(seed)
    design, X, W_star, noise, sigma = make_design(rng, d, k, n, kind_of_design == "spectral")
    return Case(Teacher(1.4, 0.9), tuple(students), design, X, W_star, noise, sigma)


SIMULATIONS = {
    "teacher": ("sample", []),
    "one-student": ("sample", [Student(0.8, 0.6, alpha=0.4, width=3, rank=2,
                                       rank_rule="oracle", soft_labels="sampled")]),
    "three-generations": ("sample", [
        Student(1.0, 0.5, alpha=-0.5, soft_labels="sampled+noise", soft_label_noise=0.3),
        Student(0.6, 1.2, alpha=1.7, basis="first", width=4, rank=2, rank_rule="oracle",
                complement_variance=0.6),
        Student(2.0, 0.8, alpha=0.3, width=3, rank=1, rank_rule="oracle",
                soft_labels="sampled")]),
    "spectral-two-generations": ("spectral", [
        Student(0.9, 0.4, alpha=1.7, width=4, rank=2, rank_rule="oracle",
                soft_labels="sampled"),
        Student(1.5, 1.0, alpha=-0.5, soft_labels="sampled", complement_variance=2.0)]),
}


@pytest.mark.parametrize("name", list(SIMULATIONS))
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_simulation_within_4_sigma(name, kind, estimator):
    design_kind, students = SIMULATIONS[name]
    case = simulation_case(design_kind, students, seed=len(name))
    g = len(students)
    closed = (Chain(case.teacher, students).risk(case.design, kind=kind, estimator=estimator,
                                                 covariance=case.covariance(kind))
              if students else risk(case.teacher, None, case.design, kind=kind,
                                    estimator=estimator, covariance=case.covariance(kind)))
    seed = 1000 + 10 * list(SIMULATIONS).index(name) + 2 * KINDS.index(kind) + \
        ESTIMATORS.index(estimator)
    mean, se = simulated_risk(case, g, kind, estimator, seed)
    assert se < 0.03 * closed.total, f"simulation too noisy to test: se {se:.3g}"
    assert abs(mean - closed.total) <= 4 * se, (
        f"{name} {kind} {estimator}: simulated {mean:.6g} ± {se:.2g} vs closed form "
        f"{closed.total:.6g} ({(mean - closed.total) / se:+.1f}σ)")


def test_simulation_detects_a_wrong_risk():
    """The simulation has the power to see a 10 % error (so the 4σ test can fail)."""
    case = simulation_case("sample", SIMULATIONS["one-student"][1], seed=7)
    closed = risk(case.teacher, case.students[0], case.design, estimator="gibbs")
    mean, se = simulated_risk(case, 1, "fixed", "gibbs", seed=8)
    assert abs(mean - 1.1 * closed.total) > 4 * se


# ---------------------------------------------------------------------------------------------
# 4. Errors
# ---------------------------------------------------------------------------------------------

def _setup():
    sample = Sample.synthetic(4, 2, 6, noise=0.5, seed=0)
    return Teacher(1.0, 1.0), Student(1.0, 1.0, rank=1, rank_rule="oracle"), sample


def raises(message):
    return pytest.raises(LingaussError, match="^" + re.escape(message) + "$")


def test_error_missing_truth_or_noise():
    teacher, student, sample = _setup()
    with raises("the risk needs the true weights: design.W_star is None."):
        risk(teacher, student, Sample(sample.X, sample.Y, noise=0.5))
    with raises("the risk needs the label noise: design.noise is None."):
        risk(teacher, student, Sample(sample.X, sample.Y, W_star=sample.W_star))
    with raises("design.signal has shape (d,) (energies only): the risk splits θ_i by output "
                "rows; give the vectors θ_i as a (k, d) signal."):
        risk(teacher, None, SpectralDesign([2.0, 1.0], [1.0, 0.5], noise=0.1, k=1, n=2))


def test_error_kind_and_estimator():
    teacher, student, sample = _setup()
    with raises("Unknown value for kind: 'pop'. Possible values: ('fixed', 'population')."):
        risk(teacher, student, sample, kind="pop")
    with raises("Unknown value for estimator: 'draw'. Possible values: ('mean', 'gibbs')."):
        risk(teacher, student, sample, estimator="draw")
    with raises("Unknown value for kind: 'fixed '. Possible values: ('fixed', 'population')."):
        Chain(teacher, [student]).risk(sample, kind="fixed ")


def test_error_covariance_with_fixed_design():
    teacher, student, sample = _setup()
    with raises("covariance is set but kind == 'fixed': fixed-design risk uses the sample's "
                "inputs; pass kind='population'."):
        risk(teacher, student, sample, covariance=np.eye(4))


def test_error_covariance_not_psd():
    teacher, student, sample = _setup()
    with raises("covariance has a negative eigenvalue (-0.5), must be positive semi-definite "
                "(a population covariance Σ (d, d))."):
        risk(teacher, student, sample, kind="population",
             covariance=np.diag([1.0, 2.0, 1.0, -0.5]))
    with raises("covariance is not symmetric (max |Σ − Σᵀ| == 1), must be a population "
                "covariance Σ (d, d)."):
        risk(teacher, student, sample, kind="population", covariance=np.triu(np.ones((4, 4))))
    # PSD but singular is a valid covariance
    risk(teacher, student, sample, kind="population", covariance=np.diag([1.0, 0, 0, 0]))


def test_error_covariance_shape():
    teacher, student, sample = _setup()
    with raises("covariance has shape (3, 3), must have d == 4 along axis 0."):
        risk(teacher, student, sample, kind="population", covariance=np.eye(3))
    with raises("covariance has shape (4,), must have 2 dimension(s)."):
        risk(teacher, student, sample, kind="population", covariance=np.ones(4))
    with raises("covariance has shape (4, 3), must have d == 4 along axis 1."):
        risk(teacher, student, sample, kind="population", covariance=np.ones((4, 3)))


def test_error_population_needs_sigma():
    """A sample's population risk needs ``Σ``: without it the library used to return the
    fixed-design risk (``Σ = XXᵀ/n``) labelled ``population``."""
    teacher, student, sample = _setup()
    with raises("population risk of a Sample needs Σ: covariance is None; pass covariance=Σ "
                "(d, d), or kind='fixed' for fresh labels at the same inputs."):
        risk(teacher, student, sample, kind="population")
    with raises("kind == 'population' needs a SpectralDesign here (σ_i = s_i / n): the "
                "per-mode closed form takes no covariance Σ; use kind='fixed' for a Sample, "
                "or optimal_weights(..., covariance=Σ)."):
        one_step_xi(teacher, sample, kind="population")
    design = SpectralDesign([2.0, 1.0], [[1.0, 0.5]], noise=0.1, k=1)
    with raises("population risk of a SpectralDesign needs its n (σ_i = s_i / n): design.n "
                "is None."):
        risk(teacher, None, design, kind="population")
    with raises("fixed-design risk of a SpectralDesign needs its n (the weights are s_i / n): "
                "design.n is None."):
        risk(teacher, None, design)
    with raises("Ambiguous arguments: a SpectralDesign implies its population covariance "
                "diag(s_i / n); do not give covariance."):
        risk(teacher, None, SpectralDesign([2.0, 1.0], [[1.0, 0.5]], noise=0.1, k=1, n=3),
             kind="population", covariance=np.eye(2))


def test_error_optimal_rank_rule_needs_monte_carlo():
    teacher, _, sample = _setup()
    message = ("rank_rule == 'optimal' depends on the labels, so the expected risk has no "
               "closed form: pass monte_carlo=N to average over N label draws, or use "
               "rank_rule='oracle' or a fixed (k, r) matrix.")
    with raises(message):
        risk(teacher, Student(1.0, 1.0, rank=1), sample)
    chain = Chain(teacher, [Student(1.0, 1.0, rank=1), Student(1.0, 1.0, rank_rule="oracle")])
    with raises(message):
        chain.risk(sample)
    chain.risk(sample, generation=0)                  # the teacher's risk needs no draws
    result = chain.risk(sample, monte_carlo=20, seed=1)
    assert result.stderr["total"] > 0


def test_full_rank_optimal_rule_has_a_closed_form():
    """At ``r = k`` every rank rule gives ``Q = I``: no draws needed, same risk as oracle."""
    teacher, _, sample = _setup()
    optimal = risk(teacher, Student(1.0, 0.5, width=3, alpha=1.7), sample, estimator="gibbs")
    oracle = risk(teacher, Student(1.0, 0.5, width=3, alpha=1.7, rank_rule="oracle"), sample,
                  estimator="gibbs")
    assert optimal.total == pytest.approx(oracle.total, rel=1e-12)
    assert optimal.stderr is None


def test_error_generation_out_of_range():
    teacher, student, sample = _setup()
    chain = Chain(teacher, [student, student])
    with raises("generation == 3, must be <= the chain's generations == 2."):
        chain.risk(sample, generation=3)
    with raises("generation == -1, must be >= 0."):
        chain.risk(sample, generation=-1)
    with raises("generation == 1.0, must be an integer."):
        chain.risk(sample, generation=1.0)


def test_error_bad_objects_and_draws():
    teacher, student, sample = _setup()
    with raises("design == None, must be a lingauss.Sample or a lingauss.SpectralDesign."):
        risk(teacher, student, None)
    with raises("student == 'student', must be a lingauss.Student."):
        risk(teacher, "student", sample)
    with raises("teacher == 3, must be a lingauss.Teacher."):
        risk(3, None, sample)
    with raises("teacher == <Student>, must be a lingauss.Teacher."):
        risk(student, student, sample)
    with raises("seed == 3 is set but monte_carlo is None: the closed form draws nothing; "
                "pass monte_carlo=N or drop the seed."):
        risk(teacher, student, sample, seed=3)
