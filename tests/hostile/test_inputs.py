"""Hostile input, 2. Inputs must be real floating or integer arrays; Python ints within the float range (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lingauss import (Sample, SpectralDesign, Student, Teacher, check_formula, divergence,
                      expected_divergence, load_spec, sweep)
from lingauss.io.spec import loads_spec
from tests.hostile.helpers import BIG, DIRECTIONS, _sample, _spec, _write_sample, assert_refused

# =============================================================================================
# 2. Inputs must be real floating or integer arrays; Python ints within the float range
# =============================================================================================

def _complex(a):
    return np.asarray(a, dtype=float) + 0j


_X, _Y, _W = _sample()
_DESIGN_ARGS = dict(eigenvalues=[3.0, 2.0, 1.0, 0.5], signal=np.ones((3, 4)), noise=0.5, k=3)

ARRAY_ARGUMENTS = {
    "X": lambda v: Sample(v(_X), _Y),
    "Y": lambda v: Sample(_X, v(_Y)),
    "W_star": lambda v: Sample(_X, _Y, W_star=v(_W)),
    "basis": lambda v: Student(1.0, 1.0, basis=v(np.eye(4)[:, :2])),
    "rank_rule": lambda v: Student(1.0, 1.0, rank_rule=v(np.eye(3)[:, :2])),
    "eigenvalues": lambda v: SpectralDesign(**{**_DESIGN_ARGS,
                                               "eigenvalues": v([3.0, 2.0, 1.0, 0.5])}),
    "signal": lambda v: SpectralDesign(**{**_DESIGN_ARGS, "signal": v(np.ones((3, 4)))}),
}


@pytest.mark.parametrize("argument", list(ARRAY_ARGUMENTS))
def test_complex_arrays_are_refused_with_their_name(argument):
    """Issue: complex ``X``, ``Y`` or basis were cast to real with a warning (silent data
    corruption). Refused, naming the argument and the complex dtype; no warning."""
    assert_refused(lambda: ARRAY_ARGUMENTS[argument](_complex),
                   rf"(?<![\w.]){argument}\b", r"complex")


NON_REAL = {
    "datetime": lambda a: np.asarray(np.round(np.asarray(a) * 1000), dtype="int64").astype(
        "datetime64[s]"),
    "timedelta": lambda a: np.asarray(np.round(np.asarray(a) * 1000), dtype="int64").astype(
        "timedelta64[s]"),
    "boolean": lambda a: np.asarray(a) > 0,
    "object": lambda a: np.asarray(a, dtype=float).astype(object),
    "text": lambda a: np.asarray(a, dtype=float).astype(str),
}


@pytest.mark.parametrize("kind", list(NON_REAL))
@pytest.mark.parametrize("argument", list(ARRAY_ARGUMENTS))
def test_non_real_arrays_are_refused_with_their_name(argument, kind):
    """Issue: a datetime array was accepted as ``X``. Datetime, timedelta, boolean, object
    and text arrays are refused for every array argument, naming it."""
    assert_refused(lambda: ARRAY_ARGUMENTS[argument](NON_REAL[kind]),
                   rf"(?<![\w.]){argument}\b")


RAGGED = {
    "ragged rows": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]],
    "text": ["a", "b", "c", "d"],
    "None entries": [None, 1.0, 2.0, 3.0],
    "a dict": {"a": 1.0},
    "nested ragged": [[1.0, [2.0]], [3.0, 4.0]],
    "None": None,
}


@pytest.mark.parametrize("argument", ["signal", "eigenvalues"])
@pytest.mark.parametrize("value", list(RAGGED))
def test_ragged_or_non_numeric_spectral_design_arrays_are_refused(argument, value):
    """Issue: ragged or non-numeric SpectralDesign signals raised a raw
    ``ValueError``/``TypeError``. One LingaussError naming the argument."""
    assert_refused(lambda: SpectralDesign(**{**_DESIGN_ARGS, argument: RAGGED[value]}),
                   rf"\b{argument}\b")


@pytest.mark.parametrize("argument", ["X", "Y"])
def test_ragged_sample_arrays_are_refused(argument):
    """Ragged ``X``/``Y`` (rows of different lengths): refused, naming the argument."""
    ragged = [[1.0, 2.0, 3.0], [1.0, 2.0]]
    other = [[1.0, 2.0, 3.0]]
    assert_refused(lambda: Sample(ragged, other) if argument == "X" else Sample(other, ragged),
                   rf"(?<![\w.]){argument}\b")






@pytest.mark.parametrize("argument", ["X", "Y", "W_star"])
def test_complex_arrays_in_npz_files_are_refused(tmp_path, argument):
    """Issue: complex arrays in ``.npz`` files were cast to real with a warning. Refused,
    naming the array (and the spec file)."""
    X, Y, W = _sample()
    original = dict(X=X, Y=Y, W_star=W)
    name = _write_sample(tmp_path, **{argument: original[argument] + 1j})
    (tmp_path / "spec.toml").write_text(_spec(data=f'file = "{name}"'))
    assert_refused(lambda: load_spec(tmp_path / "spec.toml"), rf"(?<![\w.]){argument}\b",
                   "complex", r"spec\.toml")


@pytest.mark.parametrize("argument", ["basis", "rank_rule"])
def test_complex_matrices_in_npy_files_are_refused(tmp_path, argument):
    """Issue: a complex basis in a ``.npy`` file was cast to real. Refused, naming it."""
    matrix = np.eye(4)[:, :2] if argument == "basis" else np.eye(3)[:, :2]
    np.save(tmp_path / "m.npy", matrix + 0j)
    student = f'beta = 2.0\nridge = 0.5\n{argument} = "m.npy"'
    (tmp_path / "spec.toml").write_text(_spec(student=student))
    assert_refused(lambda: load_spec(tmp_path / "spec.toml"), rf"\b{argument}\b", "complex")


def test_datetime_X_in_npz_file_is_refused(tmp_path):
    """Issue: a datetime array was accepted as ``X`` (here from a sample file)."""
    X, Y, W = _sample()
    name = _write_sample(tmp_path, X=np.arange(X.size).reshape(X.shape).astype(
        "datetime64[s]"))
    (tmp_path / "spec.toml").write_text(_spec(data=f'file = "{name}"'))
    assert_refused(lambda: load_spec(tmp_path / "spec.toml"), r"(?<![\w.])X\b", "datetime")


INT_ARGUMENTS = {
    "Teacher(beta)": (lambda: Teacher(BIG, 1.0), r"\bbeta\b"),
    "Teacher(ridge)": (lambda: Teacher(1.0, -BIG), r"\bridge\b"),
    "Student(beta)": (lambda: Student(BIG, 1.0), r"\bbeta\b"),
    "Student(alpha)": (lambda: Student(1.0, 1.0, alpha=BIG), r"\balpha\b"),
    "Student(complement_variance)": (lambda: Student(1.0, 1.0, complement_variance=BIG),
                                     r"\bcomplement_variance\b"),
    "Student(soft_label_noise)": (lambda: Student(1.0, 1.0, soft_labels="sampled+noise",
                                                  soft_label_noise=BIG),
                                  r"\bsoft_label_noise\b"),
    "Sample(noise)": (lambda: Sample(_X, _Y, noise=BIG), r"\bnoise\b"),
    "Sample(X entry)": (lambda: Sample([[BIG, 1.0]], [[1.0, 2.0]]), r"(?<![\w.])X\b"),
    "Sample(W_star entry)": (lambda: Sample([[1.0]], [[1.0]], W_star=[[BIG]]),
                             r"\bW_star\b"),
    "Sample.synthetic(d)": (lambda: Sample.synthetic(BIG, 2, 3), r"(?<![\w.])d\b"),
    "Sample.synthetic(n)": (lambda: Sample.synthetic(2, 2, BIG), r"(?<![\w.])n\b"),
    "Sample.synthetic(k)": (lambda: Sample.synthetic(2, BIG, 3), r"(?<![\w.])k\b"),
    "Sample.synthetic(noise)": (lambda: Sample.synthetic(2, 2, 3, noise=BIG), r"\bnoise\b"),
    "SpectralDesign(eigenvalues entry)": (
        lambda: SpectralDesign([BIG, 1.0], [1.0, 1.0], noise=0.5, k=1), r"\beigenvalues\b"),
    "SpectralDesign(signal entry)": (
        lambda: SpectralDesign([1.0, 1.0], [BIG, 1.0], noise=0.5, k=1), r"\bsignal\b"),
    "SpectralDesign(noise)": (lambda: SpectralDesign([1.0], [1.0], noise=BIG, k=1),
                              r"\bnoise\b"),
    "SpectralDesign.power_law(d)": (lambda: SpectralDesign.power_law(BIG, 2, 3),
                                    r"(?<![\w.])d\b"),
    "SpectralDesign.power_law(n)": (lambda: SpectralDesign.power_law(2, 2, BIG),
                                    r"(?<![\w.])n\b"),
    "sweep(beta grid)": (
        lambda: sweep(Teacher(1.0, 1.0), Student(1.0, 1.0, rank_rule="oracle"),
                      SpectralDesign.power_law(4, 2, 8), beta=[1.0, BIG]), r"\bbeta\b"),
    "sweep(n grid)": (
        lambda: sweep(Teacher(1.0, 1.0), Student(1.0, 1.0, rank_rule="oracle"),
                      SpectralDesign.power_law(4, 2, 8), n=[8, BIG]), r"(?<![\w.])n\b"),
    "check_formula(timeout)": (lambda: check_formula("s", term="variance", timeout=BIG),
                               r"\btimeout\b"),
}


@pytest.mark.parametrize("where", list(INT_ARGUMENTS))
def test_python_ints_beyond_the_float_range_are_refused(where):
    """Issue: Python ints too large for a float (``beta = 10**400``) raised
    ``OverflowError``. Refused with one LingaussError naming the argument — wherever a
    number enters (sizes included: they feed float estimates)."""
    call, name = INT_ARGUMENTS[where]
    assert_refused(call, name)


@pytest.mark.parametrize("argument, use", [("k", "expected_divergence"), ("k", "sweep"),
                                           ("n", "sweep")])
def test_spectral_design_sizes_beyond_the_float_range_are_refused(argument, use):
    """A SpectralDesign with ``k`` = 10**400 (used in every computation) or ``n`` = 10**400
    (used by an ``n`` grid, which rescales the eigenvalues by ``n / design.n``): refused, when
    built or when used, with a LingaussError naming it — never an ``OverflowError``."""
    def call():
        args = dict(noise=0.5, k=1, n=4)
        args[argument] = BIG
        design = SpectralDesign([1.0, 0.5], [1.0, 0.5], **args)
        student = Student(1.0, 1.0, width=1, rank=1, rank_rule="oracle")
        if use == "sweep":
            return sweep(Teacher(1.0, 1.0), student, design,
                         **({"n": [1, 2]} if argument == "n" else {"ridge": [1.0]}))
        return expected_divergence(Teacher(1.0, 1.0), student, design)
    assert_refused(call, rf"(?<![\w.]){argument}\b")


@pytest.mark.parametrize("section, key", [("teacher", "beta"), ("teacher", "ridge"),
                                          ("student", "beta"), ("student", "ridge"),
                                          ("student", "complement_variance"),
                                          ("data", "noise"), ("data", "d"), ("data", "n"),
                                          ("data", "k")])
def test_python_ints_beyond_the_float_range_in_toml_are_refused(section, key):
    """Issue: ``beta = 10**400`` in a TOML spec raised ``OverflowError``. Every numeric key:
    one LingaussError naming the section and key."""
    lines = {"data": {"d": "4", "k": "3", "n": "6"},
             "teacher": {"beta": "4.0", "ridge": "1.0"},
             "student": {"beta": "2.0", "ridge": "0.5", "rank": "2"}}
    lines[section][key] = "1" + "0" * 400
    text = "\n".join(f"[{s}]\n" + "\n".join(f"{k} = {v}" for k, v in kv.items()) + "\n"
                     for s, kv in lines.items())
    assert_refused(lambda: loads_spec(text), rf"\[{section}\]", rf"\b{key}\b")


def test_noise_zero_in_prediction_space_is_refused():
    """Issue: ``noise = 0`` in prediction space was accepted by ``divergence``, though the
    model requires ``> 0``: refused in every public entry point, naming the noise."""
    X, Y, W = _sample()
    sample = Sample(X, Y, W_star=W, noise=0.0)
    design = SpectralDesign([3.0, 2.0, 1.0], np.ones((2, 3)), noise=0.0, k=2)
    teacher, student = Teacher(4.0, 1.0), Student(2.0, 0.5, rank=2)
    oracle = student.replace(rank_rule="oracle")
    for direction in DIRECTIONS:
        assert_refused(lambda: divergence(teacher, student, sample, space="prediction",
                                          direction=direction), r"\bnoise\b", r"> ?0")
        assert_refused(lambda: expected_divergence(teacher, oracle, design, space="prediction",
                                                   direction=direction), r"\bnoise\b")
        assert_refused(lambda: expected_divergence(teacher, student, sample,
                                                   space="prediction", direction=direction,
                                                   monte_carlo=2, seed=0), r"\bnoise\b")
        assert_refused(lambda: sweep(teacher, oracle, design, space="prediction",
                                     direction=direction, ridge=[1.0]), r"\bnoise\b")
