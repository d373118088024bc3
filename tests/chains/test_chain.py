"""Independent verification of distillation chains (``lingauss.Chain``; docs/model.md §3, §4,
§8) and of their symbolic derivation (``lingauss.symbolic.chains`` and the generated
``lingauss/engine/generated_chains.py``).

Test groups
-----------
One step
    ``Chain(teacher, [student]).divergence`` equals :func:`lingauss.divergence` term by term
    (total, bias, variance, both bottleneck parts, rank floor, convexity bound and slack) over
    both spaces, the three directions, and students with every basis, rank rule, soft-label
    mode and complement variance — two implementations of the same kernels.
Between generations
    ``Chain.divergence(first=g, second=h)`` — ``(G, 0)``, ``(0, G)``, ``(g, g − 1)``,
    ``(g − 1, g)``, ``(g, h)`` two apart and ``(g, g)`` — against the dense chain route
    (``lingauss._dense_chain.chain_reference``, full Gaussians over ``vec W`` with Schur
    complements), and, for ``pca``, full-rank, mean-soft-label chains in parameter space, our
    own textbook KL between the two kernels written from the definitions: each generation is
    ``N(vec M_g, (β_g XXᵀ + λ_g I)⁻¹ ⊗ I_k)`` with ``M_g`` from the typed filter (docs/model.md
    §3 at ``Π = I``, ``Q = I``, ``Σ_Ŷ = 0``); that kernel is first checked against the one
    built from the Gibbs energy (``tests/references/chain_reference.py``).
Filters and means
    ``Chain.filters(s)`` against the typed recursion ``f_0 = β_T s/(β_T s + λ_T)``,
    ``f_g = h_g(α_g + (1 − α_g) f_{g−1})`` (0 beyond a generation's width) and, for ``α = 0``,
    ``∏ h_g``; every generation's mean at ``pca``/full rank equals ``f_g(s_i) z_i/s_i`` mode by
    mode, ``z_i = Y Xᵀ u_i`` — for the library's kernels and for our ridge fits.
Risk of a chain
    A one-step chain's risk is :func:`lingauss.risk` of the teacher and student; generation 0
    is the teacher's risk.
Symbolic
    ``lingauss/engine/generated_chains.py`` is exactly what a fresh derivation writes; every
    generated function equals the lambdified fresh expression at random points; the derived
    expressions equal our hand-written ones (``sympy.simplify(derived − typed) == 0``): the
    generation step, the teacher's filter, the unrolled chain filter, the per-mode risk
    ``bias = w(1 − f)²θ²``, ``variance = w f²ν²/s`` (``w = s/n`` fixed design, the population
    variance otherwise; docs/model.md §7), the one-step coefficients and the identity
    ``B = λ ∂R/∂λ``.
Errors
    Exact ``LingaussError`` messages for bad chains and generations.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from tests.references.chain_reference import dense_chain, kl_gauss, orthonormal, vec
from hypothesis import given
from hypothesis import strategies as st

from lingauss import (Chain, LingaussError, Sample, SpectralDesign, Student, Teacher, divergence,
                      risk)
from lingauss.engine import generated_chains as generated
from lingauss.symbolic import chains as derive
from tests.references.dense_chain import chain_reference

RTOL = 1e-9
ATOL = 1e-12
SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")
TERMS = ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
         "bottleneck_covariance")


def assert_close(actual, desired, scale, what):
    tol = RTOL * abs(desired) + ATOL * scale
    assert abs(actual - desired) <= tol, (
        f"{what}: library {actual!r} vs reference {desired!r} "
        f"(|diff| {abs(actual - desired):.3e} > tol {tol:.3e})")


def sample_of(seed, d=5, k=3, n=7):
    """A synthetic sample (``n < d`` allowed: zero eigenvalues)."""
    return Sample.synthetic(d, k, n, noise=0.6, spectrum_exponent=0.8, seed=seed)


def hand_filters(teacher, students, s):
    """docs/model.md §7–8, typed: ``f_0 = β_T s/(β_T s + λ_T)``,
    ``f_g = h_g (α_g + (1 − α_g) f_{g−1})``, ``h_g = β_g s/(β_g s + λ_g)``; 0 on the modes
    ``i ≥ m`` a generation drops."""
    f = [teacher.beta * s / (teacher.beta * s + teacher.ridge)]
    for st_ in students:
        h = st_.beta * s / (st_.beta * s + st_.ridge)
        step = h * (st_.alpha + (1 - st_.alpha) * f[-1])
        m = s.size if st_.width is None else st_.width
        f.append(np.where(np.arange(s.size) < m, step, 0.0))
    return f


def eigen_of(X):
    """``(s, U)``: eigenvalues (descending, exact zeros beyond the rank) and eigenvectors of
    ``XXᵀ``, independently of the library."""
    w, V = np.linalg.eigh(X @ X.T)
    order = np.argsort(-w, kind="stable")
    s, U = w[order], V[:, order]
    s[s < 1e-10 * s[0]] = 0.0
    return s, U


# ---------------------------------------------------------------------------------------------
# 1. A one-step chain is lingauss.divergence
# ---------------------------------------------------------------------------------------------

def one_step_students(d, k, rng):
    return {
        "pca-full-mean": Student(1.5, 0.7, alpha=0.3),
        "pca-width-oracle-sampled": Student(0.8, 1.2, alpha=-0.5, width=3, rank=2,
                                            rank_rule="oracle", soft_labels="sampled"),
        "first-optimal-rank-noise": Student(2.0, 0.5, alpha=1.7, basis="first", width=4,
                                            rank=1, soft_labels="sampled+noise",
                                            soft_label_noise=0.4,
                                            complement_variance="optimal"),
        "array-array": Student(1.1, 0.9, alpha=0.0, basis=orthonormal(rng, d, 3),
                               rank_rule=orthonormal(rng, k, 2), complement_variance=0.6),
        "array-oracle-optimal": Student(0.6, 2.0, alpha=1.0, basis=orthonormal(rng, d, 4),
                                        rank=2, rank_rule="oracle", soft_labels="sampled",
                                        complement_variance="optimal"),
    }


ONE_STEP = [(name, space, direction, n)
            for name in one_step_students(5, 3, np.random.default_rng(0))
            for space in SPACES for direction in DIRECTIONS for n in (4, 8)]


@pytest.mark.parametrize("name, space, direction, n", ONE_STEP,
                         ids=[f"{a}-{b[:4]}-{c[:3]}-n{n}" for a, b, c, n in ONE_STEP])
def test_one_step_chain_is_divergence(name, space, direction, n):
    sample = sample_of(n, n=n)
    student = one_step_students(sample.d, sample.k, np.random.default_rng(n))[name]
    teacher = Teacher(1.3, 0.8)
    chain = Chain(teacher, [student])
    got = chain.divergence(sample, space=space, direction=direction)
    assert got.total == chain.divergence(sample, first=1, second=0, space=space,
                                         direction=direction).total
    want = divergence(teacher, student, sample, space=space, direction=direction)
    scale = max(1.0, abs(want.total)) * sample.k * max(sample.d, sample.n)
    for term in TERMS + ("rank_floor",):
        assert_close(getattr(got, term), getattr(want, term), scale, term)
    for term in ("convexity_bound", "convexity_slack"):
        if getattr(want, term) is None:
            assert getattr(got, term) is None, term
        else:
            assert_close(getattr(got, term), getattr(want, term), scale, term)


# ---------------------------------------------------------------------------------------------
# 2. Between generations: the dense chain route and our own KL
# ---------------------------------------------------------------------------------------------

def chain_students(name, sample, rng):
    oracle = np.linalg.svd(sample.W_star)[0]
    d = sample.d
    return {
        "pca-full-mean": [Student(1.0, 0.5, alpha=0.3), Student(2.0, 1.5, alpha=-0.5),
                          Student(0.7, 0.9, alpha=1.7)],
        "widths-oracle-sampled": [
            Student(1.2, 0.8, alpha=0.4, width=4, rank=2, rank_rule="oracle",
                    soft_labels="sampled"),
            Student(0.9, 1.1, alpha=1.7, width=3, rank=1, rank_rule="oracle"),
            Student(1.5, 0.6, alpha=-0.5, soft_labels="sampled+noise", soft_label_noise=0.3)],
        "bases-arrays-optimal-tau": [
            Student(1.4, 0.7, alpha=0.0, basis="first", width=4,
                    rank_rule=oracle[:, [0, 2]] @ orthonormal(rng, 2, 2),
                    complement_variance="optimal"),
            Student(0.8, 1.3, alpha=-0.5, basis=orthonormal(rng, d, 3), rank=2,
                    rank_rule="oracle", complement_variance=0.6, soft_labels="sampled"),
            Student(2.2, 0.4, alpha=1.7, width=2, rank=1, rank_rule="oracle",
                    complement_variance="optimal", soft_labels="sampled")],
    }[name]


PAIRS = ((3, 0), (0, 3), (1, 0), (2, 1), (1, 2), (3, 2), (3, 1), (0, 2))
BETWEEN = [(name, space, direction)
           for name in ("pca-full-mean", "widths-oracle-sampled", "bases-arrays-optimal-tau")
           for space in SPACES for direction in DIRECTIONS]


@pytest.mark.parametrize("name, space, direction", BETWEEN,
                         ids=[f"{a}-{b[:4]}-{c[:3]}" for a, b, c in BETWEEN])
def test_between_generations_matches_dense_chain(name, space, direction):
    sample = sample_of(3, n=7 if space == "parameter" else 4)
    students = chain_students(name, sample, np.random.default_rng(1))
    teacher = Teacher(1.6, 0.6)
    chain = Chain(teacher, students)
    for first, second in PAIRS:
        got = chain.divergence(sample, first=first, second=second, space=space,
                               direction=direction)
        want = chain_reference(teacher, students, sample, first=first, second=second,
                               space=space, direction=direction)
        scale = max(1.0, abs(want["total"])) * sample.k * max(sample.d, sample.n)
        what = f"({first}, {second})"
        for term in TERMS:
            assert_close(getattr(got, term), want[term], scale, f"{what} {term}")
        if "convexity_bound" in want:
            assert_close(got.convexity_bound, want["convexity_bound"], scale,
                         f"{what} convexity_bound")
        assert got.total > 0, what
    zero = chain.divergence(sample, first=2, second=2, space=space, direction=direction)
    assert all(getattr(zero, term) == 0 for term in TERMS + ("rank_floor",))


def filter_kernels(teacher, students, X, Y):
    """``[(vec M_g, Cov vec W_g)]`` of a ``pca``, full-rank, mean-soft-label chain from
    docs/model.md §3 (``Π = I``, ``Q = I``, ``Σ_Ŷ = 0``): mean ``Σ_i f_g(s_i)(z_i/s_i)u_iᵀ``
    with the typed filter, covariance ``(β_g XXᵀ + λ_g I)⁻¹ ⊗ I_k``."""
    s, U = eigen_of(X)
    pos = s > 0
    coef = (Y @ X.T @ U)[:, pos] / s[pos]                  # least-squares coefficients z_i/s_i
    k, d = Y.shape[0], X.shape[0]
    out = []
    for f, gen in zip(hand_filters(teacher, students, s), [teacher] + list(students)):
        M = (f[pos] * coef) @ U[:, pos].T                   # (k, d)
        cov = np.kron(np.linalg.inv(gen.beta * X @ X.T + gen.ridge * np.eye(d)), np.eye(k))
        out.append((vec(M), cov))
    return out


@pytest.mark.parametrize("n", [4, 9])
def test_between_generations_matches_own_kl(n):
    """``pca``, full rank, mean soft labels, parameter space, forward: our textbook KL."""
    sample = sample_of(5, n=n)
    teacher = Teacher(1.6, 0.6)
    students = chain_students("pca-full-mean", sample, np.random.default_rng(1))
    kernels = filter_kernels(teacher, students, sample.X, sample.Y)
    # the kernel of docs/model.md §3 is the one the Gibbs energies give (our dense builder)
    gens = dense_chain(teacher, students, sample.X, sample.W_star)
    for (mean, cov), gen in zip(kernels, gens):
        np.testing.assert_allclose(mean, gen.A @ vec(sample.Y), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(cov, gen.cov, rtol=1e-10, atol=1e-12)
    chain = Chain(teacher, students)
    for first, second in PAIRS + ((2, 3), (1, 3)):
        (m1, S1), (m2, S2) = kernels[first], kernels[second]
        gap = m1 - m2
        bias = 0.5 * gap @ np.linalg.solve(S2, gap)         # ½ Δᵀ Σ'⁻¹ Δ
        variance = kl_gauss(np.zeros_like(m1), S1, np.zeros_like(m2), S2)
        total = kl_gauss(m1, S1, m2, S2)
        got = chain.divergence(sample, first=first, second=second)
        scale = max(1.0, total) * m1.size
        what = f"({first}, {second})"
        assert_close(got.total, total, scale, f"{what} total")
        assert_close(got.bias, bias, scale, f"{what} bias")
        assert_close(got.variance, variance, scale, f"{what} variance")
        assert abs(got.rank_bottleneck) <= ATOL * scale, f"{what}: no complement at full rank"


# ---------------------------------------------------------------------------------------------
# 3. Filters and means
# ---------------------------------------------------------------------------------------------

@st.composite
def filter_chains(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    d = draw(st.integers(1, 8))
    s = np.sort(np.exp(rng.uniform(-3, 3, d)))[::-1] * (rng.uniform(size=d) > 0.15)
    alphas = st.sampled_from((0.0, 0.25, 1.0, -0.5, 1.7, -3.0))
    students = [Student(float(np.exp(rng.uniform(-2, 2))), float(np.exp(rng.uniform(-2, 2))),
                        alpha=draw(alphas), width=draw(st.one_of(st.none(),
                                                                 st.integers(1, d))))
                for _ in range(draw(st.integers(1, 4)))]
    teacher = Teacher(float(np.exp(rng.uniform(-2, 2))), float(np.exp(rng.uniform(-2, 2))))
    return teacher, students, s


@given(filter_chains())
def test_filters_match_typed_recursion(problem):
    teacher, students, s = problem
    got = Chain(teacher, students).filters(s)
    want = np.array(hand_filters(teacher, students, s))
    assert got.shape == (len(students) + 1, s.size)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@given(filter_chains())
def test_filters_without_ground_truth_are_products(problem):
    """``α = 0`` at every step (full width): ``f_G = f_0 ∏_{g≥1} h_g`` (Mobahi et al.)."""
    teacher, students, s = problem
    students = [st_.replace(alpha=0.0, width=None) for st_ in students]
    got = Chain(teacher, students).filters(s)
    product = teacher.beta * s / (teacher.beta * s + teacher.ridge)
    for g, st_ in enumerate(students, start=1):
        product = product * st_.beta * s / (st_.beta * s + st_.ridge)
        np.testing.assert_allclose(got[g], product, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("n", [3, 5, 11])
def test_means_are_filters_mode_by_mode(n):
    """At ``pca``/full rank: ``M_g u_i = f_g(s_i) z_i/s_i`` for the library's kernels and for
    ridge fits built from the Gibbs energies (``tests/references/chain_reference.py``)."""
    sample = sample_of(n, d=6, k=2, n=n)
    teacher = Teacher(0.9, 1.4)
    students = [Student(1.3, 0.4, alpha=-0.5), Student(0.6, 0.8, alpha=1.7, width=4),
                Student(2.5, 1.1, alpha=0.0)]
    s, U = eigen_of(sample.X)
    z = sample.Y @ sample.X.T @ U                              # (k, d)
    coef = np.divide(z, s, out=np.zeros_like(z), where=s > 0)
    filters = hand_filters(teacher, students, s)
    kernels, _, _, _, eig = Chain(teacher, students).kernels(sample)
    gens = dense_chain(teacher, students, sample.X, sample.W_star)
    for g, f in enumerate(filters):
        want = (f * coef) @ U.T                                # Σ_i f(s_i) (z_i/s_i) u_iᵀ
        np.testing.assert_allclose(kernels[g].mean @ eig.U.T, want, rtol=1e-9, atol=1e-12)
        ridge = gens[g].A @ vec(sample.Y)
        np.testing.assert_allclose(ridge.reshape(want.shape, order="F"), want, rtol=1e-9,
                                   atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 4. Risk of a chain
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fixed", "population"])
@pytest.mark.parametrize("estimator", ["mean", "gibbs"])
@pytest.mark.parametrize("spectral", [False, True], ids=["sample", "spectral"])
def test_one_step_chain_risk_is_risk(kind, estimator, spectral):
    rng = np.random.default_rng(4)
    if spectral:
        design = SpectralDesign.power_law(d=5, k=3, n=12)
        cov = None
    else:
        design = sample_of(2)
        L = rng.standard_normal((design.d, design.d))
        cov = L @ L.T if kind == "population" else None
    teacher = Teacher(1.2, 0.5)
    student = Student(0.8, 1.4, alpha=1.7, width=3, rank=2, rank_rule="oracle",
                      soft_labels="sampled", complement_variance=0.9)
    chain = Chain(teacher, [student])
    kw = dict(kind=kind, estimator=estimator, covariance=cov)
    for got, want in ((chain.risk(design, **kw), risk(teacher, student, design, **kw)),
                      (chain.risk(design, generation=0, **kw), risk(teacher, None, design, **kw))):
        assert (got.kind, got.estimator) == (want.kind, want.estimator) == (kind, estimator)
        for term in ("total", "bias", "variance", "posterior"):
            # the teacher's risk in a chain sums its modes per row class of the chain
            assert getattr(got, term) == pytest.approx(getattr(want, term), rel=1e-12, abs=0)


# ---------------------------------------------------------------------------------------------
# 5. Symbolic: the generated code is a fresh derivation, and the derivation is the typed form
# ---------------------------------------------------------------------------------------------

def test_generated_file_is_a_fresh_derivation():
    import pathlib

    path = pathlib.Path(generated.__file__)
    assert path.read_text(encoding="utf-8") == derive.generated_source()
    assert generated.ARGS == {name: tuple(a.name for a in args)
                              for name, _, args in derive.GENERATED}


def _random_arguments(args, rng, size=50):
    values = []
    for a in args:
        if a.is_positive:
            values.append(np.exp(rng.uniform(-3, 3, size)))
        elif a.is_nonnegative:
            values.append(rng.uniform(0, 4, size))
        else:
            values.append(rng.uniform(-3, 3, size))
    return values


@pytest.mark.parametrize("name", [entry[0] for entry in derive.GENERATED])
def test_generated_functions_equal_fresh_expressions(name):
    _, build, args = next(entry for entry in derive.GENERATED if entry[0] == name)
    fresh = sp.lambdify(args, build(), modules="numpy")
    values = _random_arguments(args, np.random.default_rng(len(name)))
    np.testing.assert_allclose(getattr(generated, name)(*values), fresh(*values), rtol=1e-12)


# the symbols of the derivation (plain sympy symbols with their assumptions)
s, nu = derive.s, derive.nu
beta, lam_g, alpha, f_prev = derive.beta_g, derive.lambda_g, derive.alpha_g, derive.f_prev
f, w, theta2, xi, lam = derive.f, derive.weight, derive.theta2, derive.xi, derive.lam


def typed_h(b, l_):
    return b * s / (b * s + l_)


def is_zero(expr):
    return sp.simplify(expr) == 0


def test_generation_step_is_typed_recursion():
    assert is_zero(derive.generation_step() - typed_h(beta, lam_g) * (alpha + (1 - alpha)
                                                                      * f_prev))
    assert is_zero(derive.teacher_filter() - typed_h(beta, lam_g))
    # and the generated code evaluates the typed form
    values = _random_arguments((s, beta, lam_g, alpha, f_prev), np.random.default_rng(1))
    sv, bv, lv, av, fv = values
    np.testing.assert_allclose(generated.generation_step(*values),
                               bv * sv / (bv * sv + lv) * (av + (1 - av) * fv), rtol=1e-12)


@pytest.mark.parametrize("generations", [1, 2, 3])
def test_chain_filter_is_typed_recursion(generations):
    expr, symbols = derive.chain_filter(generations)
    b0, l0 = symbols[:2]
    typed = typed_h(b0, l0)
    product = typed
    for g in range(generations):
        bg, lg, ag = symbols[2 + 3 * g: 5 + 3 * g]
        typed = typed_h(bg, lg) * (ag + (1 - ag) * typed)
        product = product * typed_h(bg, lg)
    assert is_zero(expr - typed)
    alphas = {symbols[4 + 3 * g]: 0 for g in range(generations)}
    assert is_zero(expr.subs(alphas) - product)              # α = 0: ∏ h_g


def test_risk_pieces_are_typed():
    """docs/model.md §7: per mode and output row, ``bias = w(1 − f)²θ²``,
    ``variance = w f²ν²/s``."""
    bias, variance = derive.risk_pieces()
    assert is_zero(bias - w * (1 - f) ** 2 * theta2)
    assert is_zero(variance - w * f ** 2 * nu ** 2 / s)
    values = _random_arguments((s, f, w, theta2, nu), np.random.default_rng(2))
    sv, fv, wv, tv, nv = values
    np.testing.assert_allclose(generated.risk_bias(*values), wv * (1 - fv) ** 2 * tv,
                               rtol=1e-12)
    np.testing.assert_allclose(generated.risk_variance(*values), wv * fv ** 2 * nv ** 2 / sv,
                               rtol=1e-12)


def test_one_step_weight_is_typed():
    """A student with the teacher's β and ridge on ``(1 − ξ)Y + ξŶ``: ``f = h(1 − ξ + ξh)``, so
    ``R(ξ) = w((1 − f)²θ² + f²ν²/s) = Aξ² + Bξ + C`` with ``A = w h²(1 − h)²(θ² + ν²/s)``,
    ``B = 2w h(1 − h)((1 − h)θ² − hν²/s)``, ``C = R(0)``, and ``B = λ ∂R(0)/∂λ``."""
    h = typed_h(beta, lam)
    pieces = derive.one_step_weight()
    teacher_risk = w * ((1 - h) ** 2 * theta2 + h ** 2 * nu ** 2 / s)
    assert is_zero(pieces["filter"] - h * (1 - xi + xi * h))
    assert is_zero(pieces["A"] - w * h ** 2 * (1 - h) ** 2 * (theta2 + nu ** 2 / s))
    assert is_zero(pieces["B"] - 2 * w * h * (1 - h) * ((1 - h) * theta2 - h * nu ** 2 / s))
    assert is_zero(pieces["C"] - teacher_risk)
    assert is_zero(pieces["teacher_risk"] - teacher_risk)
    assert is_zero(pieces["B"] - lam * sp.diff(teacher_risk, lam))
    assert derive.one_step_identity() is True


# ---------------------------------------------------------------------------------------------
# 6. Errors
# ---------------------------------------------------------------------------------------------

def raises(message):
    return pytest.raises(LingaussError, match="^" + re.escape(message) + "$")


TEACHER = Teacher(1.0, 1.0)
STUDENT = Student(1.0, 1.0, rank_rule="oracle")


@pytest.mark.parametrize("students, shown", [
    ([], "[]"), ((), "()"), (None, "None"), (3, "3"), ("abc", "'abc'"),
    (TEACHER, "Teacher(beta=1.0, ridge=1.0)"), (iter([]), None)])
def test_error_students_not_a_nonempty_list(students, shown):
    shown = repr(students) if shown is None else shown
    with raises(f"students == {shown}, must be a non-empty list of lingauss.Student "
                f"(generations 1..G)."):
        Chain(TEACHER, students)


def test_error_not_a_student_or_teacher():
    with raises("students[1] (generation 2) == Teacher(beta=1.0, ridge=1.0), must be a "
                "lingauss.Student."):
        Chain(TEACHER, [STUDENT, TEACHER])
    with raises("teacher == <Student>, must be a lingauss.Teacher."):
        Chain(STUDENT, [STUDENT])
    assert Chain(TEACHER, STUDENT).generations == 1        # one Student is a chain of one


def test_error_generation_out_of_range():
    sample = sample_of(0)
    chain = Chain(TEACHER, [STUDENT, STUDENT])
    with raises("first == 3, must be <= the chain's generations == 2."):
        chain.divergence(sample, first=3)
    with raises("second == -1, must be >= 0."):
        chain.divergence(sample, first=1, second=-1)
    with raises("second == 1.5, must be an integer."):
        chain.divergence(sample, second=1.5)
    with raises("generation == 3, must be <= the chain's generations == 2."):
        chain.risk(sample, generation=3)
    with raises("Unknown value for space: 'params'. Possible values: ('parameter', "
                "'prediction')."):
        chain.divergence(sample, space="params")


def test_error_projectors_that_do_not_commute():
    sample = sample_of(0)
    rng = np.random.default_rng(0)
    chain = Chain(TEACHER, [Student(1.0, 1.0, rank=1, rank_rule="oracle"),
                            Student(1.0, 1.0, rank_rule=orthonormal(rng, sample.k, 2))])
    with raises("the output projectors of generations 1 and 2 do not commute: the exact chain "
                "route needs rows independent in one basis — use full rank, "
                "rank_rule='oracle', or user matrices that commute."):
        chain.divergence(sample)


def test_error_filters_need_pca():
    chain = Chain(TEACHER, [STUDENT, Student(1.0, 1.0, basis="first")])
    with raises("students[1] (generation 2) has basis == 'first', must be 'pca' for filters "
                "(every mode separates)."):
        chain.filters(np.array([1.0, 2.0]))
    chain = Chain(TEACHER, [Student(1.0, 1.0, basis=np.eye(3)[:, :2])])
    with raises("students[0] (generation 1) has basis == <array (3, 2)>, must be 'pca' for "
                "filters (every mode separates)."):
        chain.filters(np.array([1.0, 2.0, 3.0]))



@pytest.mark.parametrize("first, second", [(3, 0), (0, 3), (2, 1), (1, 3)])
def test_derived_per_mode_chain_divergence_sums_to_the_engines(first, second):
    """symbolic.chains.chain_mode_kl summed over modes and rows (z_ij = q_jᵀYXᵀu_i) equals
    Chain.divergence for a pca, full-rank, mean-soft-label chain (parameter, forward)."""
    import sympy as sp

    from lingauss.symbolic import chains as C
    from lingauss.symbolic.core import s as s_sym

    sample = Sample.synthetic(d=7, k=3, n=15, noise=0.6, seed=4)
    teacher = Teacher(1.5, 0.7)
    students = [Student(2.0, 0.4, alpha=0.3), Student(1.0, 1.5, alpha=-0.6),
                Student(0.8, 0.2, alpha=1.4)]
    chain = Chain(teacher, students)
    U, sv, _ = np.linalg.svd(sample.X, full_matrices=True)
    s = sv ** 2
    z = sample.Y @ sample.X.T @ U                              # (k, d)
    filters = chain.filters(s)
    params = [(teacher.beta, teacher.ridge)] + [(st.beta, st.ridge) for st in students]
    cov, mean = C.chain_mode_kl()
    z_sym = sp.Symbol("z", real=True)
    fn = sp.lambdify((s_sym, z_sym, C.f_first, C.f_second, C.beta_first, C.lambda_first,
                      C.beta_second, C.lambda_second), cov + mean,
                     modules=[{"v": lambda x: x - 1 - np.log(x)}, "numpy"])
    total = sum(fn(s, z[j], filters[first], filters[second], *params[first], *params[second])
                for j in range(sample.k)).sum()
    assert total == pytest.approx(chain.divergence(sample, first=first,
                                                   second=second).total, rel=1e-10)
