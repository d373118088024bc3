"""Hostile input, 1. Finite or refuse (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lingauss import (LingaussError, Sample, SpectralDesign, Student, Teacher, check_formula,
                      divergence, expected_divergence, sweep)
from tests.hostile.helpers import (DIRECTIONS, SPACES, _sample, _strict, assert_finite_or_refused,
                                   assert_names_input)

# =============================================================================================
# 1. Finite or refuse
# =============================================================================================

@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_divergence_with_Y_near_1e300_is_refused_not_inf(space, direction):
    """Issue: ``divergence`` with ``Y`` entries ~1e300 returned ``total = inf``. The mean
    costs grow like ‖Y‖² ~ 1e600: no finite answer exists, so one LingaussError naming Y."""
    X, Y, W = _sample()
    sample = Sample(X, Y * 1e300, noise=0.5)
    student = Student(2.0, 0.5, width=3, rank=2)
    with pytest.raises(LingaussError) as info:
        _strict(lambda: divergence(Teacher(4.0, 1.0), student, sample, space=space,
                                   direction=direction))
    assert_names_input(info.value, name=r"(?<![\w.])Y\b")


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("basis", ["pca", "first"])
def test_divergence_with_X_near_1e160_is_finite_or_refused(basis, space):
    """Issue: ``X`` ~1e160 raised a raw ``LinAlgError: SVD did not converge``. ``XXᵀ`` ~1e320
    overflows: a finite, valid result or one LingaussError naming X and the range."""
    X, Y, W = _sample()
    sample = Sample(X * 1e160, Y, noise=0.5)
    assert_finite_or_refused(
        lambda: divergence(Teacher(4.0, 1.0), Student(2.0, 0.5, width=3, rank=2, basis=basis),
                           sample, space=space),
        name=r"(?<![\w.])X\b")


@pytest.mark.parametrize("who", ["teacher", "student"])
@pytest.mark.parametrize("space", SPACES)
def test_divergence_with_beta_1e308_is_finite_or_refused(who, space):
    """Issue: ``beta`` 1e308 raised ``LinAlgError: SVD did not converge`` (teacher) or
    ``OverflowError`` (student). A finite, valid result or one LingaussError naming that
    beta and the range."""
    X, Y, W = _sample()
    teacher = Teacher(1e308 if who == "teacher" else 4.0, 1.0)
    student = Student(1e308 if who == "student" else 2.0, 0.5, width=3, rank=2)
    assert_finite_or_refused(
        lambda: divergence(teacher, student, Sample(X, Y, noise=0.5), space=space),
        name=rf"{who}\W*beta|beta_{who[0].upper()}")


def _design(eig_scale=1.0, signal_scale=1.0, *, energies=False):
    rng = np.random.default_rng(7)
    eig = np.array([3.0, 2.0, 1.0, 0.5]) * eig_scale
    theta = rng.standard_normal((3, 4)) * signal_scale
    signal = np.sum(theta ** 2, axis=0) if energies else theta
    return SpectralDesign(eig, signal, noise=0.5, k=3)


def _closed_form_student(energies):
    """Oracle rank rule (needs θ_i as vectors) or a fixed projector (energies suffice)."""
    if energies:
        return Student(2.0, 0.5, width=3, rank_rule=np.eye(3)[:, :2])
    return Student(2.0, 0.5, width=3, rank=2, rank_rule="oracle")


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("energies", [False, True], ids=["vectors", "energies"])
def test_expected_divergence_with_eigenvalues_near_1e300_is_finite_or_refused(
        space, direction, energies):
    """Issue: ``expected_divergence`` on a SpectralDesign with eigenvalues ~1e300 returned
    ``nan`` terms. A finite, valid result or one LingaussError naming the eigenvalues."""
    design = _design(eig_scale=1e300, energies=energies)
    assert_finite_or_refused(
        lambda: expected_divergence(Teacher(4.0, 1.0), _closed_form_student(energies), design,
                                    space=space, direction=direction),
        name=r"eigenvalues")


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("energies", [False, True], ids=["vectors", "energies"])
def test_expected_divergence_with_signal_near_1e200_is_finite_or_refused(
        space, direction, energies):
    """Issue: a signal ~1e200 gave ``nan`` terms. With θ_i ~1e200 the energies ‖θ_i‖² ~1e400
    overflow; with energies ~1e200 the answer is representable. A finite, valid result or
    one LingaussError naming the signal."""
    # a refusal may come as soon as the design is built (its energies overflow there)
    assert_finite_or_refused(
        lambda: expected_divergence(
            Teacher(4.0, 1.0), _closed_form_student(energies),
            _design(signal_scale=1e200 if not energies else 1e100, energies=energies),
            space=space, direction=direction),
        name=r"signal")


@pytest.mark.parametrize("design", ["sample", "spectral design"])
def test_monte_carlo_standard_errors_are_finite_or_refused(design):
    """Found by the fuzzer: label noise ~5e99 gives terms ~1e198 (representable) but standard
    errors whose squared deviations (~1e396) overflow: ``stderr`` came back ``inf`` (with a
    RuntimeWarning; at the command line, JSON ``Infinity`` and exit 0). Standard errors are
    public results too: finite, or one LingaussError naming the noise and the range."""
    theta = np.array([[1.0, 0.5], [-0.5, 1.0]])
    if design == "sample":
        X = np.array([[1.0, 2.0], [3.0, -1.0]])
        source = Sample(X, theta @ X, W_star=theta, noise=5e99)
    else:
        source = SpectralDesign([3.0, 1.0], theta, noise=5e99, k=2)
    assert_finite_or_refused(
        lambda: expected_divergence(Teacher(1.0, 1.0), Student(1.0, 1.0, rank=1), source,
                                    monte_carlo=3, seed=0),
        name=r"\bnoise\b")


@pytest.mark.parametrize("grid, values, size", [
    ("beta", [1.0, 1e300], r"1(\.0+)?e\+?300"),
    ("teacher_beta", [1.0, 1e300], r"1(\.0+)?e\+?300"),
    ("ridge", [1.0, 1e-308], r"1(\.0+)?e-308"),
    ("tau2", [1.0, 1e300], r"1(\.0+)?e\+?300"),
    ("n", [10, 10 ** 300], r"1(\.0+)?e\+?300|10{300}|301 digits"),
])
def test_sweep_with_extreme_grid_values_is_finite_or_refused_naming_the_grid(grid, values,
                                                                           size):
    """Finite or refuse holds for every public result, sweeps included: a grid value that
    makes the sweep overflow is named in the refusal (by its grid name and its value — the
    student's own beta/ridge are not the culprit), with the range."""
    design = SpectralDesign.power_law(d=8, k=3, n=10)
    student = Student(2.0, 0.5, rank_rule="oracle", rank=2, width=6)
    try:
        res = _strict(lambda: sweep(Teacher(4.0, 1.0), student, design, **{grid: values}))
    except LingaussError as exc:
        assert_names_input(exc, name=rf"\b{grid}\b", size=size)
        return
    for name, arr in res.terms.items():
        assert np.all(np.isfinite(arr)), (name, arr)


@pytest.mark.parametrize("formula", [
    "s*1e400",
    "s*" + "9" * 400,
    "(s + beta_T + lambda_T + nu)**999*(s + 1)**999",
    "exp(1000*exp(s))",
])
def test_check_formula_never_calls_an_overflowing_formula_equal(formula):
    """No silent non-finite results in ``check_formula`` either: a candidate whose values
    overflow double precision (here, by hundreds of orders of magnitude away from the
    derived variance, which is O(1)) is "not equal" or refused — never "equal" or "agrees
    numerically" because inf compared equal to inf."""
    try:
        result = _strict(lambda: check_formula(formula, term="variance", timeout=1))
    except LingaussError:
        return
    assert result.verdict == "not equal", result.message
