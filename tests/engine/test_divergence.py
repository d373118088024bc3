"""Behaviour of the engine itself: fast path vs general path, stable v, exact messages."""

import re

import mpmath
import numpy as np
import pytest

import lingauss
from lingauss import LingaussError, Sample, Student, Teacher, divergence
from lingauss.engine.linalg import vfun

TERMS = ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
         "bottleneck_covariance", "rank_floor", "convexity_bound", "convexity_slack")


def _pca_basis(sample, m):
    U = np.linalg.svd(sample.X)[0]
    return U[:, :m]


@pytest.mark.parametrize("space", ["parameter", "prediction"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
@pytest.mark.parametrize("soft", ["mean", "sampled", "sampled+noise"])
@pytest.mark.parametrize("n", [5, 14])
def test_pca_fast_path_equals_general_path(space, direction, soft, n):
    """The diagonal 'pca' route equals the dense route given the same basis as a matrix."""
    sample = Sample.synthetic(8, 4, n, noise=0.3, seed=n)
    kw = dict(beta=3.0, ridge=0.7, alpha=0.3, width=5, rank=2, soft_labels=soft,
              soft_label_noise=0.4 if soft == "sampled+noise" else 0.0,
              complement_variance="optimal")
    fast = divergence(Teacher(2.0, 1.5), Student(**kw), sample, space=space,
                      direction=direction).as_dict()
    general = divergence(Teacher(2.0, 1.5), Student(**kw, basis=_pca_basis(sample, 5)),
                         sample, space=space, direction=direction).as_dict()
    assert fast.keys() == general.keys()
    for name in fast:
        assert fast[name] == pytest.approx(general[name], rel=1e-9, abs=1e-12), name


def test_terms_sum_to_total_and_are_nonnegative():
    sample = Sample.synthetic(10, 3, 7, noise=0.2, seed=3)
    dec = divergence(Teacher(1.0, 0.5), Student(2.0, 1.0, width=4, rank=1,
                                                soft_labels="sampled"), sample)
    assert dec.total == dec.bias + dec.variance + dec.rank_bottleneck
    assert dec.rank_bottleneck == pytest.approx(dec.bottleneck_mean + dec.bottleneck_covariance,
                                                rel=1e-15)
    assert all(v >= 0 for v in dec.as_dict().values())
    assert dec.convexity_bound == dec.total + dec.convexity_slack


def test_student_equal_to_teacher_has_zero_divergence():
    sample = Sample.synthetic(6, 3, 4, noise=0.5, seed=2)        # n < d
    dec = divergence(Teacher(4.0, 1.0), Student(4.0, 1.0, alpha=1.0), sample,
                     direction="symmetric", space="prediction")
    assert dec.total == pytest.approx(0.0, abs=1e-14)


def test_optimal_complement_variance_minimises_forward_parameter_divergence():
    sample = Sample.synthetic(9, 3, 12, noise=0.4, seed=5)
    teacher = Teacher(2.0, 1.0)
    base = dict(beta=2.0, ridge=1.5, width=4, rank=2)
    best = divergence(teacher, Student(**base, complement_variance="optimal"), sample).total
    for tau2 in np.geomspace(1e-3, 1e1, 25):
        other = divergence(teacher, Student(**base, complement_variance=float(tau2)), sample)
        assert other.total >= best - 1e-12 * abs(best)


def test_decomposition_repr_dict_and_html():
    sample = Sample.synthetic(5, 2, 6, seed=1)
    dec = divergence(Teacher(1.0, 1.0), Student(1.0, 2.0, soft_labels="sampled"), sample)
    d = dec.as_dict()
    assert list(d) == [t for t in TERMS if t in d] and set(d) == set(TERMS)
    assert repr(dec).startswith("Decomposition(total=")
    html = dec._repr_html_()
    assert html.startswith("<table>") and all(f"<td>{t}</td>" in html for t in TERMS)
    assert "convexity_bound" not in divergence(Teacher(1.0, 1.0), Student(1.0, 2.0),
                                               sample).as_dict()


@pytest.mark.parametrize("eps", [1e-8, -1e-8, 3e-9, 1e-12, -7e-13, 2e-5, 0.05, -0.09, 0.3])
def test_vfun_relative_accuracy_near_one(eps):
    x = 1.0 + eps
    with mpmath.workdps(50):
        exact = mpmath.mpf(x) - 1 - mpmath.log(mpmath.mpf(x))
    assert abs(float(vfun(x)) / float(exact) - 1) <= 1e-12


@pytest.mark.parametrize("x", [1e-300, 1e-100, 1e-8, 0.5, 2.0, 1e8, 1e100, 1e300])
def test_vfun_over_the_whole_range(x):
    with mpmath.workdps(50):
        exact = mpmath.mpf(x) - 1 - mpmath.log(mpmath.mpf(x))
    assert float(vfun(x)) == pytest.approx(float(exact), rel=1e-14)


def test_vfun_is_vectorised():
    xs = np.array([[0.5, 1.0], [1.0 + 1e-9, 3.0]])
    out = vfun(xs)
    assert out.shape == (2, 2) and out[0, 1] == 0.0 and np.all(out >= 0)


# Exact messages (the rule, the argument and the value are all named).
MESSAGES = [
    (lambda: Teacher(beta=-1.0, ridge=1.0), "beta == -1, must be > 0."),
    (lambda: Teacher(beta=1.0, ridge=float("nan")), "ridge == nan, must be finite."),
    (lambda: Student(1.0, 1.0, alpha=float("inf")), "alpha == inf, must be finite."),
    (lambda: Student(1.0, 1.0, width=0), "width == 0, must be >= 1."),
    (lambda: Student(1.0, 1.0, width=3, rank=4), "rank == 4, must be <= width == 3."),
    (lambda: Student(1.0, 1.0, rank=2.5), "rank == 2.5, must be an integer."),
    (lambda: Student(1.0, 1.0, basis="random"),
     "Unknown value for basis: 'random'. Possible values: ('pca', 'first')."),
    (lambda: Student(1.0, 1.0, soft_labels="soft"),
     "Unknown value for soft_labels: 'soft'. Possible values: ('mean', 'sampled', "
     "'sampled+noise')."),
    (lambda: Student(1.0, 1.0, complement_variance=-2.0),
     "complement_variance == -2, must be > 0."),
    (lambda: Student(1.0, 1.0, soft_label_noise=0.1),
     "soft_label_noise == 0.1, must be 0 unless soft_labels == 'sampled+noise' "
     "(it is 'mean')."),
    (lambda: Student(1.0, 1.0, width=2, basis=np.eye(4)[:, :3]),
     "Ambiguous arguments: width == 2 but basis has 3 columns."),
    (lambda: Student(1.0, 1.0, rank=1, rank_rule=np.eye(3)[:, :2]),
     "Ambiguous arguments: rank == 1 but rank_rule has 2 columns."),
    (lambda: Student(1.0, 1.0, basis=2 * np.eye(3)),
     "basis is not orthonormal: max|BᵀB − I| == 3, must be <= 6.66e-13."),
    (lambda: Sample(np.ones((3, 4)), np.ones((2, 5))),
     "Y has shape (2, 5), must have n == 4 along axis 1."),
    (lambda: Sample(np.ones((3, 4)), np.ones((2, 4)), W_star=np.ones((2, 2))),
     "W_star has shape (2, 2), must have d == 3 along axis 1."),
    (lambda: Sample(np.array([[1.0, np.inf]]), np.ones((1, 2))),
     "X has a non-finite entry (inf at index (0, 1)), must be finite."),
    (lambda: Sample(np.ones((3, 4)), np.ones((2, 4)), noise=-1.0),
     "noise == -1, must be >= 0."),
]


@pytest.mark.parametrize("make, message", MESSAGES)
def test_validation_messages(make, message):
    with pytest.raises(LingaussError, match="^" + re.escape(message) + "$"):
        make()


def test_messages_at_divergence_time():
    sample = Sample(np.eye(3), np.ones((2, 3)))
    teacher = Teacher(1.0, 1.0)
    cases = [
        (dict(student=Student(1.0, 1.0, width=4)), "width == 4, must be <= d == 3."),
        (dict(student=Student(1.0, 1.0, rank=3)), "rank == 3, must be <= min(k, width) == 2."),
        (dict(student=Student(1.0, 1.0, rank_rule="oracle")),
         "rank_rule == 'oracle' needs the true weights: sample.W_star is None."),
        (dict(student=Student(1.0, 1.0, basis=np.eye(4)[:, :2])),
         "basis has shape (4, 2), must have d == 3 along axis 0."),
        (dict(student=Student(1.0, 1.0), space="weights"),
         "Unknown value for space: 'weights'. Possible values: ('parameter', 'prediction')."),
        (dict(student=Student(1.0, 1.0), direction="both"),
         "Unknown value for direction: 'both'. Possible values: ('forward', 'reverse', "
         "'symmetric')."),
        (dict(student=Student(1.0, 1.0), space="prediction"),
         "space == 'prediction' needs the label noise: sample.noise is None."),
        (dict(student="student"),
         "student == 'student', must be a lingauss.Student."),
    ]
    for kwargs, message in cases:
        student = kwargs.pop("student")
        with pytest.raises(LingaussError, match="^" + re.escape(message) + "$"):
            divergence(teacher, student, sample, **kwargs)


def test_public_api_is_small():
    # a deliberate list: a new public name is a decision, not an accident
    assert sorted(lingauss.__all__) == sorted([
        "Teacher", "Student", "Sample", "SpectralDesign", "LingaussError", "Decomposition",
        "divergence", "expected_divergence", "sweep", "check_formula", "Spec", "load_spec",
        "Chain", "risk", "optimal_weights", "RandomDesign"])
    for name in lingauss.__all__:
        assert hasattr(lingauss, name)
