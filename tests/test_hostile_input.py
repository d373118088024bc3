"""Hostile and extreme input: no silent inf/NaN, no raw errors, no hangs, nothing half-written.

Regression and fuzz suite for the issue of that name. Every case the black-box campaign found
is a test named after what it guards, through the Python API and, where the issue names the
command line, through ``python -m lingauss`` in a subprocess (this checkout first on
``PYTHONPATH``, as ``tests/test_cli.py`` does). What is asserted is what the issue requires,
not what the code happens to do:

1. *Finite or refuse.* Every public result is finite; where finite inputs give a result that
   overflows, one :class:`lingauss.LingaussError` names the input and the representable range
   (``|x| <= 1.798e+308``); at the command line, exit status 2.
2. *Strict real inputs.* Complex, object, datetime, boolean and ragged arrays (also in
   ``.npz``/``.npy`` files), and Python ints outside the float range, are refused with the
   argument's name; ``noise = 0`` in prediction space is refused.
3. *Resources.* Sizes that cannot fit are refused before anything is allocated, naming the
   sizes, the estimate and the memory available; ``--max-memory``/``LINGAUSS_MAX_MEMORY``
   override the limit.
4. *Bounded work.* ``check_formula`` refuses enormous powers and towers up front and stays
   within one time limit; ``--points``/``--monte-carlo`` have stated limits; Ctrl-C exits 130
   with nothing written.
5. *All or nothing on disk.* A command that fails leaves its target exactly as it was.
6. *A seeded fuzzer* over valid but extreme configurations of :func:`lingauss.divergence`,
   :func:`lingauss.expected_divergence` and :func:`lingauss.sweep`: each call returns a result
   whose terms are finite and ``>= 0`` (to 1e-9 of the total), whose sums are exact
   (``total == bias + variance + rank_bottleneck``, ``rank_bottleneck == bottleneck_mean +
   bottleneck_covariance``) and, symmetric with a fixed complement variance, equal to forward
   + reverse (1e-9 relative) — or it raises :class:`lingauss.LingaussError`. Any other
   exception, a warning (turned into an error), a non-finite value or a broken invariant is a
   failure.

Command-line exit statuses: 2 bad input (exactly one stderr line ``lingauss: error: ...``, no
traceback, nothing on stdout, nothing written), 3 internal error (one line; the traceback only
with ``LINGAUSS_DEBUG=1``), 130 interrupted.

Profiles (the repository's convention, ``LINGAUSS_HYPOTHESIS_PROFILE``, see ``conftest.py``):

* ``ci`` (default): a few hundred fuzz configurations; the whole file in under a minute;
* ``full``: at least 20 000 fuzz configurations (20 000 divergence, 4 000 expected, 2 000
  sweep cases)::

      LINGAUSS_HYPOTHESIS_PROFILE=full python -m pytest tests/test_hostile_input.py -q

Every fuzz configuration is a function of one integer seed (``LINGAUSS_FUZZ_SEED`` shifts
them all), printed with each failure as a one-line reproduction, e.g.
``DivergenceCase.draw(17).run()`` (``cd tests && python -c "from test_hostile_input
import *; DivergenceCase.draw(17).run()"``). The counts (configurations,
results, refusals, failures by kind and place) are printed after the module's tests, and
written as JSON to the file named by ``LINGAUSS_FUZZ_REPORT`` when it is set. A warning turned
into an error is reported with what the call does when warnings are left as warnings.

The command-line cases run once per session, two processes at a time. Each costs about 1.5 s
of start-up, so CI runs the core ones (the commands the issue names — check-formula powers and
towers, ``--points``, ``expected --monte-carlo``, ``demo -o`` — plus one of each other kind:
an overflow, a complex ``.npz``, a huge size, ``--max-memory``, ``LINGAUSS_MAX_MEMORY``,
nested TOML, exit 3, ``LINGAUSS_DEBUG``, Ctrl-C); the full profile runs every variant, and a
CI run reports the others as skipped (their Python API tests run in CI).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap
import time
import traceback
import tracemalloc
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pytest
from _signals import default_sigint

from lingauss import (LingaussError, Sample, SpectralDesign, Student, Teacher, check_formula,
                      divergence, expected_divergence, load_spec, sweep)
from lingauss.io.spec import loads_spec

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROFILE = os.environ.get("LINGAUSS_HYPOTHESIS_PROFILE", "ci")
FULL = PROFILE == "full"
#: Shifts every fuzz seed (the default reproduces the CI run; the full run is a superset).
BASE_SEED = int(os.environ.get("LINGAUSS_FUZZ_SEED", "0"))

SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")
SOFT = ("mean", "sampled", "sampled+noise")
#: The representable range as a message may state it: 1.798e+308, 1.8e308, 1.7976931348623157e+308.
# the float range, the int64 range, or the precision double arithmetic can resolve
RANGE = re.compile(r"1\.79\d*e\+?308|1\.8e\+?308|\|x\| <= 9223372036854775807|1/eps ≈ 4\.5e15")
#: A size in bytes as a message may state it: 2.91 KiB, 1.46 TiB, 512 B, 8G.
BYTES = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*(?:[KMGTPE]i?B|[KMGTPE]\b|bytes\b|B\b)")
BIG = 10 ** 400                     # a Python int beyond the float range (~1.8e308)


# =============================================================================================
# Helpers
# =============================================================================================

def _orthonormal(rng, rows, cols):
    """A random ``rows × cols`` matrix with orthonormal columns (Haar, via QR)."""
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _sample(d=4, k=3, n=6, *, seed=0, noise=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, n))
    W = rng.standard_normal((k, d))
    Y = W @ X + noise * rng.standard_normal((k, n))
    return X, Y, W


def _strict(call):
    """``call()`` with every warning turned into an error (a warning is never an answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def decomposition_problems(dec, *, rtol=1e-9) -> list[str]:
    """What is wrong with a returned decomposition (empty when it satisfies the issue).

    Every term finite and ``>= 0`` up to ``rtol`` of the total's scale (the convexity slack:
    of the convexity bound's); ``total == bias + variance + rank_bottleneck`` and
    ``rank_bottleneck == bottleneck_mean + bottleneck_covariance`` to rounding (1e-12 of the
    summands' magnitudes); ``convexity_bound == total + convexity_slack`` likewise.
    """
    values = dec.as_dict()
    out = []
    bad = {name: v for name, v in values.items() if not math.isfinite(v)}
    if bad:
        return [f"non-finite terms {bad}"]
    scale = abs(values["total"])
    for name, v in values.items():
        if name.startswith("stderr_"):
            if v < 0:
                out.append(f"{name} == {v!r} < 0")
            continue
        ref = abs(values.get("convexity_bound", 0.0)) if name == "convexity_slack" else scale
        if v < -rtol * ref:
            out.append(f"{name} == {v!r} < 0 (total {values['total']!r})")

    def exact(whole, parts):
        got = values[whole]
        want = sum(values[p] for p in parts)
        tol = 1e-12 * sum(abs(values[p]) for p in parts)
        if not abs(got - want) <= tol:
            out.append(f"{whole} == {got!r} but {' + '.join(parts)} == {want!r}")

    exact("total", ("bias", "variance", "rank_bottleneck"))
    exact("rank_bottleneck", ("bottleneck_mean", "bottleneck_covariance"))
    if "convexity_bound" in values:
        exact("convexity_bound", ("total", "convexity_slack"))
    return out


def symmetric_problems(sym: dict, fwd: dict, rev: dict, *, rtol=1e-9) -> list[str]:
    """``symmetric == forward + reverse`` term by term (``rtol`` of the total's scale; the
    rank floor, the same in every direction, to ``rtol`` of itself)."""
    out = []
    if not (sym.keys() == fwd.keys() == rev.keys()):
        return [f"different terms: {sorted(sym)} / {sorted(fwd)} / {sorted(rev)}"]
    scale = max(abs(sym["total"]), abs(fwd["total"]) + abs(rev["total"]))
    for name in sym:
        if name.startswith("stderr_"):
            continue
        if name == "rank_floor":
            ok = (abs(sym[name] - fwd[name]) <= rtol * abs(sym[name])
                  and abs(sym[name] - rev[name]) <= rtol * abs(sym[name]))
            want = fwd[name]
        else:
            ref = scale if name not in ("convexity_bound", "convexity_slack") else max(
                abs(sym["convexity_bound"]), abs(fwd["convexity_bound"]) +
                abs(rev["convexity_bound"]))
            want = fwd[name] + rev[name]
            ok = abs(sym[name] - want) <= rtol * ref
        if not ok:
            out.append(f"symmetric {name} == {sym[name]!r}, forward + reverse == {want!r}")
    return out


def assert_finite_or_refused(call, *, name: str, size: str | None = None):
    """``call()`` returns a decomposition satisfying the invariants, or raises one
    :class:`LingaussError` naming the input (regex ``name``; with ``size``, also the culprit's
    magnitude, where a bare name would not single it out) and the representable range."""
    try:
        dec = _strict(call)
    except LingaussError as exc:
        assert_names_input(exc, name=name, size=size)
        return None
    assert not decomposition_problems(dec), decomposition_problems(dec)
    return dec


def assert_names_input(exc, *, name: str, size: str | None = None):
    msg = str(exc)
    assert "\n" not in msg.strip(), f"not one line: {msg!r}"
    assert re.search(name, msg), f"the message does not name the input /{name}/: {msg}"
    assert RANGE.search(msg), f"the message does not state the representable range: {msg}"
    if size is not None:
        assert re.search(size, msg), (f"the message does not single out the culprit (its size "
                                      f"/{size}/): {msg}")


def assert_refused(call, *patterns):
    """``call()`` raises exactly a :class:`LingaussError` whose message (one line) matches
    every regex in ``patterns``; any other exception or warning fails."""
    try:
        result = _strict(call)
    except LingaussError as exc:
        msg = str(exc)
        assert "\n" not in msg.strip(), f"not one line: {msg!r}"
        for pattern in patterns:
            assert re.search(pattern, msg), f"/{pattern}/ not in the message: {msg}"
        return msg
    pytest.fail(f"accepted, must be refused with a LingaussError: returned {result!r:.300}")


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


def _spec(extra="", data="d = 4\nk = 3\nn = 6", teacher="beta = 4.0\nridge = 1.0",
          student="beta = 2.0\nridge = 0.5\nrank = 2"):
    return f"[data]\n{data}\n\n[teacher]\n{teacher}\n\n[student]\n{student}\n{extra}"


def _write_sample(folder, name="sample.npz", **changes):
    X, Y, W = _sample()
    arrays = dict(X=X, Y=Y, W_star=W, noise=np.array(0.5))
    arrays.update(changes)
    np.savez(folder / name, **{k: v for k, v in arrays.items() if v is not None})
    return name


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


# =============================================================================================
# 3. Resource guard: estimate before allocating
# =============================================================================================

def _refused_without_allocating(call, *patterns, limit_mb=64):
    """Refused (one LingaussError naming the sizes, the estimate and the memory available)
    with under ``limit_mb`` MB allocated on the way (tracemalloc sees numpy's buffers)."""
    tracemalloc.start()
    try:
        msg = assert_refused(call, *patterns)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit_mb * 2 ** 20, f"allocated {peak / 2 ** 20:.0f} MB before refusing"
    assert len(BYTES.findall(msg)) >= 2, f"estimate and available memory not stated: {msg}"
    return msg


@pytest.mark.parametrize("sizes", [dict(d=10 ** 9, k=8, n=64), dict(d=32, k=8, n=10 ** 9),
                                   dict(d=32, k=10 ** 8, n=64)],
                         ids=["d=1e9", "n=1e9", "k=1e8"])
def test_huge_sample_sizes_are_refused_before_allocating(sizes):
    """Issue: ``d = 10**9``, ``n = 10**9`` or ``k = 10**8`` raised ``MemoryError`` after
    trying to allocate terabytes. Refused up front, naming the sizes and the estimate."""
    big = next(v for v in sizes.values() if v >= 10 ** 8)
    _refused_without_allocating(lambda: Sample.synthetic(**sizes), str(big))


def test_huge_sizes_in_a_spec_are_refused_before_allocating():
    """The same through a spec file's ``[data]`` (the command line's route)."""
    _refused_without_allocating(lambda: loads_spec(_spec(data="d = 1000000000\nk = 3\nn = 6")),
                                "1000000000")


def test_huge_power_law_design_is_refused_before_allocating():
    _refused_without_allocating(lambda: SpectralDesign.power_law(10 ** 9, 8, 64), "1000000000")


def test_huge_sweep_grid_is_refused_before_allocating():
    """Issue: a sweep grid too large for memory raised ``MemoryError``. Refused up front,
    naming the grid size and the estimate."""
    design = SpectralDesign.power_law(d=8, k=3, n=10)
    grid = np.linspace(1.0, 2.0, 10 ** 4)
    _refused_without_allocating(
        lambda: sweep(Teacher(4.0, 1.0), Student(2.0, 0.5, rank_rule="oracle"), design,
                      beta=grid, ridge=grid, alpha=np.linspace(0, 1, 10 ** 3)),
        r"10{11}|1e\+?11", limit_mb=256)


@pytest.mark.parametrize("entry", ["divergence", "expected Monte Carlo", "sweep",
                                   "Sample.synthetic"])
def test_max_memory_environment_variable_refuses_a_normal_problem(monkeypatch, entry):
    """``LINGAUSS_MAX_MEMORY`` overrides the limit: 1K refuses a normal problem, with the
    estimate and the limit in the message."""
    X, Y, W = _sample()
    sample = Sample(X, Y, W_star=W, noise=0.5)
    design = SpectralDesign.power_law(d=8, k=3, n=10)
    teacher, student = Teacher(4.0, 1.0), Student(2.0, 0.5, rank=2)
    calls = {
        "divergence": lambda: divergence(teacher, student, sample),
        "expected Monte Carlo": lambda: expected_divergence(teacher, student, sample,
                                                            monte_carlo=10, seed=0),
        "sweep": lambda: sweep(teacher, student.replace(rank_rule="oracle"), design,
                               ridge=np.linspace(1, 2, 50)),
        "Sample.synthetic": lambda: Sample.synthetic(8, 3, 10),
    }
    monkeypatch.setenv("LINGAUSS_MAX_MEMORY", "1K")
    msg = assert_refused(calls[entry], r"LINGAUSS_MAX_MEMORY|max-memory")
    assert len(BYTES.findall(msg)) >= 2, msg
    assert re.search(r"\b1(\.0+)?\s*(KiB|K|KB)\b|\b1024\b", msg), msg
    monkeypatch.setenv("LINGAUSS_MAX_MEMORY", "lots")
    assert_refused(calls[entry], r"LINGAUSS_MAX_MEMORY")


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{a = " * 3000 + "1" + "}" * 3000,
    "[data]\nd = 4\nk = 3\nn = 6\n[divergence]\nspace = " + "[" * 100000 + "]" * 100000,
], ids=["arrays", "inline tables", "inside a section"])
def test_deeply_nested_toml_is_refused(text):
    """Issue: deeply nested TOML raised ``RecursionError``. One LingaussError."""
    assert_refused(lambda: loads_spec(text), r"nested|deep|TOML")


def test_spec_path_with_nul_byte_is_refused():
    """Issue: a path with a NUL byte raised a raw ``ValueError``."""
    assert_refused(lambda: load_spec("spec\x00.toml"), r"NUL")


@pytest.mark.parametrize("where", ["data file", "basis", "rank_rule"])
def test_paths_with_nul_byte_inside_a_spec_are_refused(tmp_path, where):
    data, student = "d = 4\nk = 3\nn = 6", "beta = 2.0\nridge = 0.5\nrank = 2"
    if where == "data file":
        data = 'file = "sam\\u0000ple.npz"'
    else:
        student += f'\n{where} = "m\\u0000.npy"'
    (tmp_path / "spec.toml").write_text(_spec(data=data, student=student))
    assert_refused(lambda: load_spec(tmp_path / "spec.toml"), r"NUL")


@pytest.mark.parametrize("argv", [["demo", "-o", "out\x00dir"],
                                  ["plot", "SPEC", "--kind", "terms-vs-rank", "-o", "a\x00.png"],
                                  ["bounds", "SPEC", "--plot", "a\x00.png"],
                                  ["divergence", "spec\x00.toml"]],
                         ids=["demo -o", "plot -o", "bounds --plot", "divergence SPEC"])
def test_command_line_paths_with_nul_byte_exit_2(tmp_path, capsys, monkeypatch, argv):
    """A NUL byte cannot travel through a real argv, so these call ``lingauss.cli.main`` in
    process: exit 2, one error line, nothing on stdout, nothing written."""
    from lingauss.cli import main

    (tmp_path / "spec.toml").write_text(_spec(data='file = "sample.npz"'))
    _write_sample(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    status = main([a.replace("SPEC", "spec.toml") for a in argv])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("lingauss: error: "), err
    assert snapshot(tmp_path) == before


# =============================================================================================
# 4. Bounded work
# =============================================================================================

@pytest.mark.parametrize("formula", [
    "s**(10**100)",
    "s**99999999999",
    "9**9**9**9",
    "10**10**10",
    "2**2**2**2**2**2",
    "s**s**s**s**s**s**s**s**s",
    "exp(exp(exp(exp(s*1000))))",
])
def test_check_formula_refuses_enormous_powers_and_towers_up_front(formula):
    """Issue: ``check-formula`` with an enormous integer power or a power tower hung.
    Refused with one LingaussError, quickly (bounded work), never a raw error."""
    start = time.monotonic()
    assert_refused(lambda: check_formula(formula, term="variance", timeout=20))
    assert time.monotonic() - start < 10.0


def test_check_formula_stays_within_one_time_limit():
    """One time limit covers parsing, evaluation and the proof: a formula that sympy cannot
    decide quickly finishes (with a verdict or a LingaussError) close to the limit."""
    start = time.monotonic()
    try:
        _strict(lambda: check_formula("(s + beta_T + lambda_T + nu)**999*(s + 1)**998",
                                      term="variance", timeout=1.0))
    except LingaussError:
        pass
    assert time.monotonic() - start < 1.0 + 3.0


@pytest.mark.parametrize("call, name", [
    (lambda: check_formula("s", term="variance", points=10 ** 9), r"\bpoints\b"),
    (lambda: expected_divergence(Teacher(1.0, 1.0), Student(1.0, 1.0, rank=1),
                                 Sample.synthetic(4, 2, 6), monte_carlo=10 ** 9, seed=0),
     r"\bmonte_carlo\b"),
], ids=["points", "monte_carlo"])
def test_point_and_draw_counts_have_stated_limits(call, name):
    """Issue: ``--points 1000000000`` and ``--monte-carlo 1000000000`` hung. A stated upper
    limit refuses them at once."""
    start = time.monotonic()
    assert_refused(call, name, r"\d")
    assert time.monotonic() - start < 10.0


# =============================================================================================
# 5. The command line: exit statuses, one line, nothing written
# =============================================================================================

def snapshot(folder: pathlib.Path) -> dict:
    """Every entry under ``folder``: ``{relative path: file bytes, or "<dir>"}``."""
    out = {}
    for path in sorted(pathlib.Path(folder).rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = "<dir>" if path.is_dir() else path.read_bytes()
    return out


def _env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("LINGAUSS_DEBUG", "LINGAUSS_MAX_MEMORY"):
        env.pop(name, None)
    env.update(extra or {})
    return env


@dataclass
class CliCase:
    """One command line: ``args`` after ``python -m lingauss`` (or a full ``argv``), files
    made in a fresh folder (the working directory) by ``setup``, extra environment, and the
    regexes the one error line must match."""

    args: tuple = ()
    setup: object = None
    env: dict = field(default_factory=dict)
    message: tuple = ()
    argv: tuple | None = None
    full_only: bool = False     # CI runs the core cases (each process costs ~1.5 s of CPU)


@dataclass
class CliRun:
    proc: subprocess.CompletedProcess
    before: dict
    after: dict
    seconds: float


BASE_SPEC = _spec(data="d = 6\nk = 3\nn = 10", student="beta = 2.0\nridge = 0.5\nwidth = 4\n"
                                                       "rank = 2")


def _files(spec=BASE_SPEC, **npz):
    """A setup writing ``spec.toml`` and, with ``npz`` changes, ``sample.npz`` (spec reads it)."""
    def setup(folder):
        text = spec
        if npz:
            name = _write_sample(folder, **npz)
            text = text.replace("d = 6\nk = 3\nn = 10", f'file = "{name}"').replace(
                "width = 4", "width = 3")
        (folder / "spec.toml").write_text(text, encoding="utf-8")
    return setup


def _npy(name, matrix, key):
    def setup(folder):
        _files(**{"X": _sample()[0]})(folder)
        np.save(folder / name, matrix)
        text = (folder / "spec.toml").read_text().replace("width = 3\n", f'{key} = "{name}"\n')
        if key == "rank_rule":
            text = text.replace("rank = 2\n", "")
        (folder / "spec.toml").write_text(text)
    return setup


def _text(text):
    def setup(folder):
        (folder / "spec.toml").write_text(text, encoding="utf-8")
    return setup


def _spec_of_case(folder, seed):
    """Files and a spec for the fuzz configuration ``DivergenceCase.draw(seed)`` (random basis
    and rank-rule matrices as ``.npy`` files)."""
    case = DivergenceCase.draw(seed)
    sample, student = case.sample(), case.student()
    np.savez(folder / "sample.npz", X=sample.X, Y=sample.Y, W_star=sample.W_star,
             noise=np.array(sample.noise))
    lines = [f"beta = {student.beta!r}", f"ridge = {student.ridge!r}",
             f"alpha = {student.alpha!r}", f'soft_labels = "{student.soft_labels}"',
             f"soft_label_noise = {student.soft_label_noise!r}"]
    for key in ("basis", "rank_rule"):
        value = getattr(student, key)
        if isinstance(value, np.ndarray):
            np.save(folder / f"{key}.npy", value)
            lines.append(f'{key} = "{key}.npy"')
        else:
            lines.append(f'{key} = "{value}"')
    if not isinstance(student.basis, np.ndarray):
        lines.append(f"width = {student.width}")
    if not isinstance(student.rank_rule, np.ndarray):
        lines.append(f"rank = {student.rank}")
    cv = student.complement_variance
    lines.append(f'complement_variance = "{cv}"' if isinstance(cv, str) else
                 f"complement_variance = {cv!r}")
    (folder / "spec.toml").write_text(
        f'[data]\nfile = "sample.npz"\n\n[teacher]\nbeta = {case.teacher_beta!r}\n'
        f'ridge = {case.teacher_ridge!r}\n\n[student]\n' + "\n".join(lines) +
        f'\n\n[divergence]\nspace = "{case.space}"\ndirection = "{case.direction}"\n',
        encoding="utf-8")


def _demo_blocked(name):
    def setup(folder):
        out = folder / "report"
        out.mkdir()
        (out / name).mkdir()
        (out / name / "keep.txt").write_text("mine")
        (out / "notes.txt").write_text("my notes")
        (out / "closed-form.md").write_text("an older report")
    return setup


_X6, _Y6, _W6 = _sample()
_INJECT = textwrap.dedent("""\
    import sys
    import lingauss.cli.commands.divergence as commands

    def broken(args, ctx):
        ctx.write("half of the output\\n")
        raise RuntimeError("injected internal fault")

    commands.divergence_command = broken
    from lingauss.cli import main
    sys.exit(main(sys.argv[1:]))
""")
_DIGITS400 = "1" + "0" * 400

CLI_CASES = {
    # finite or refuse
    "Y ~1e300 in the sample": CliCase(("divergence", "spec.toml"), _files(Y=_Y6 * 1e300),
                                      message=(r"(?<![\w.])Y\b", RANGE.pattern)),
    "X ~1e160 in the sample": CliCase(("divergence", "spec.toml"), _files(X=_X6 * 1e160),
                                      message=(r"(?<![\w.])X\b", RANGE.pattern)),
    "teacher beta 1e308": CliCase(("divergence", "spec.toml"),
                                  _files(BASE_SPEC.replace("beta = 4.0", "beta = 1e308")),
                                  message=(r"beta", RANGE.pattern)),
    "student beta 1e308": CliCase(("divergence", "spec.toml"),
                                  _files(BASE_SPEC.replace("beta = 2.0", "beta = 1e308")),
                                  message=(r"beta", RANGE.pattern), full_only=True),
    # strict real inputs
    "complex X in .npz": CliCase(("divergence", "spec.toml"), _files(X=_X6 + 1j),
                                 message=(r"(?<![\w.])X\b", "complex")),
    "complex Y in .npz": CliCase(("divergence", "spec.toml"), _files(Y=_Y6 + 1j),
                                 message=(r"(?<![\w.])Y\b", "complex"), full_only=True),
    "complex W_star in .npz": CliCase(("expected", "spec.toml", "--monte-carlo", "4"),
                                      _files(W_star=_W6 + 0j),
                                      message=(r"W_star", "complex"), full_only=True),
    "complex basis in .npy": CliCase(("divergence", "spec.toml"),
                                     _npy("basis.npy", np.eye(4)[:, :3] + 0j, "basis"),
                                     message=(r"\bbasis\b", "complex"), full_only=True),
    "complex rank_rule in .npy": CliCase(("divergence", "spec.toml"),
                                         _npy("q.npy", np.eye(3)[:, :2] + 0j, "rank_rule"),
                                         message=(r"\brank_rule\b", "complex"), full_only=True),
    "datetime X in .npz": CliCase(("divergence", "spec.toml"),
                                  _files(X=np.arange(24).reshape(4, 6).astype("datetime64[s]")),
                                  message=(r"(?<![\w.])X\b", "datetime"), full_only=True),
    "beta = 10**400 in [teacher]": CliCase(
        ("divergence", "spec.toml"), _files(BASE_SPEC.replace("beta = 4.0",
                                                              f"beta = {_DIGITS400}")),
        message=(r"\[teacher\]", r"\bbeta\b"), full_only=True),
    "beta = 10**400 in [student]": CliCase(
        ("divergence", "spec.toml"), _files(BASE_SPEC.replace("beta = 2.0",
                                                              f"beta = {_DIGITS400}")),
        message=(r"\[student\]", r"\bbeta\b"), full_only=True),
    "d = 10**400 in [data]": CliCase(
        ("divergence", "spec.toml"), _files(BASE_SPEC.replace("d = 6", f"d = {_DIGITS400}")),
        message=(r"\[data\]", r"(?<![\w.])d\b"), full_only=True),
    "noise = 0 in prediction space": CliCase(
        ("divergence", "spec.toml", "--space", "prediction"),
        _files(BASE_SPEC.replace("n = 10", "n = 10\nnoise = 0.0")),
        message=(r"\bnoise\b",), full_only=True),
    # resources
    "d = 10**9": CliCase(("divergence", "spec.toml"),
                         _files(BASE_SPEC.replace("d = 6", "d = 1000000000")),
                         message=("1000000000", BYTES.pattern)),
    "n = 10**9": CliCase(("divergence", "spec.toml"),
                         _files(BASE_SPEC.replace("d = 6\nk = 3\nn = 10",
                                                  "d = 32\nk = 8\nn = 1000000000")),
                         message=("1000000000", BYTES.pattern), full_only=True),
    "k = 10**8": CliCase(("divergence", "spec.toml"),
                         _files(BASE_SPEC.replace("d = 6\nk = 3\nn = 10",
                                                  "d = 32\nk = 100000000\nn = 64")),
                         message=("100000000", BYTES.pattern), full_only=True),
    "--max-memory 1K": CliCase(("divergence", "spec.toml", "--max-memory", "1K"),
                               _files(X=_X6),
                               message=(BYTES.pattern, r"\b1(\.0+)?\s*(KiB|K|KB)\b",
                                        r"max-memory|LINGAUSS_MAX_MEMORY")),
    "LINGAUSS_MAX_MEMORY=1K": CliCase(("divergence", "spec.toml"), _files(X=_X6),
                                      env={"LINGAUSS_MAX_MEMORY": "1K"},
                                      message=(BYTES.pattern, r"\b1(\.0+)?\s*(KiB|K|KB)\b")),
    "deeply nested TOML": CliCase(("divergence", "spec.toml"),
                                  _text(BASE_SPEC + "\n[divergence]\nspace = " + "[" * 20000
                                        + "]" * 20000 + "\n"),
                                  message=(r"nested|deep",)),
    "NUL byte in the data path": CliCase(
        ("divergence", "spec.toml"),
        _text(BASE_SPEC.replace("d = 6\nk = 3\nn = 10", 'file = "sam\\u0000ple.npz"')),
        message=("NUL",), full_only=True),
    "NUL byte in the basis path": CliCase(
        ("divergence", "spec.toml"),
        _text(BASE_SPEC.replace("width = 4", 'basis = "b\\u0000.npy"')), message=("NUL",),
        full_only=True),
    # bounded work
    "check-formula enormous power": CliCase(
        ("check-formula", "s**(10**100)", "--term", "variance"), message=(r"power|exponent",)),
    "check-formula numeric power tower": CliCase(
        ("check-formula", "9**9**9**9", "--term", "variance"), message=(r"power|exponent",),
        full_only=True),
    "check-formula symbolic power tower": CliCase(
        ("check-formula", "s**s**s**s**s**s**s**s**s", "--term", "variance")),
    "check-formula exponential tower": CliCase(
        ("check-formula", "exp(exp(exp(exp(s*1000))))", "--term", "variance"), full_only=True),
    "check-formula --points 1000000000": CliCase(
        ("check-formula", "s", "--term", "variance", "--points", "1000000000"),
        message=(r"points", r"\d")),
    "expected --monte-carlo 1000000000": CliCase(
        ("expected", "spec.toml", "--monte-carlo", "1000000000"), _files(),
        message=(r"monte-carlo", r"\d")),
    "bounds --monte-carlo 1000000000": CliCase(
        ("bounds", "spec.toml", "--monte-carlo", "1000000000"), _files(),
        message=(r"monte-carlo|monte_carlo", r"\d"), full_only=True),
    # all or nothing on disk
    "demo -o DIR with DIR/heatmap.png a folder": CliCase(
        ("demo", "-o", "report"), _demo_blocked("heatmap.png"), message=(r"heatmap\.png",)),
    "demo -o DIR with DIR/sweep.csv a folder": CliCase(
        ("demo", "-o", "report"), _demo_blocked("sweep.csv"), message=(r"sweep\.csv",),
        full_only=True),
    "plot -o into a missing folder": CliCase(
        ("plot", "spec.toml", "--kind", "terms-vs-rank", "-o", "missing/terms.png"), _files(),
        full_only=True),
    "plot -o onto a folder": CliCase(
        ("plot", "spec.toml", "--kind", "terms-vs-rank", "-o", "taken.png"),
        lambda folder: (_files()(folder), (folder / "taken.png").mkdir()), full_only=True),
    # internal errors
    "an overflowing covariance (fuzz seed 772)": CliCase(
        ("divergence", "spec.toml"), lambda folder: _spec_of_case(folder, 772),
        message=(RANGE.pattern, r"beta|ridge|(?<![\w.])[XY]\b")),
    "injected internal error": CliCase(argv=("-c", _INJECT, "divergence", "spec.toml"),
                                       setup=_files()),
    "injected internal error, LINGAUSS_DEBUG=1": CliCase(
        argv=("-c", _INJECT, "divergence", "spec.toml"), setup=_files(),
        env={"LINGAUSS_DEBUG": "1"}),
}


def _run_case(folder: pathlib.Path, case: CliCase) -> CliRun:
    folder.mkdir()
    if case.setup is not None:
        case.setup(folder)
    before = snapshot(folder)
    argv = [sys.executable, *(case.argv or ("-m", "lingauss", *case.args))]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=folder, env=_env(case.env), capture_output=True,
                          text=True, timeout=300)
    return CliRun(proc, before, snapshot(folder), time.monotonic() - start)


def _cases_wanted(session) -> set:
    """The :data:`CLI_CASES` that the selected tests of this module read."""
    by_test = {"test_internal_error_exits_3_with_one_line": "injected internal error",
               "test_lingauss_debug_shows_the_traceback":
                   "injected internal error, LINGAUSS_DEBUG=1"}
    wanted = set()
    for item in session.items:
        if getattr(item, "module", None) is None or item.module.__name__ != __name__:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.originalname == "test_command_line_refuses_with_one_line_and_writes_nothing":
            wanted.add(params["name"])
        elif item.originalname == "test_command_line_refusals_are_quick":
            wanted.update(REFUSALS)
        elif item.originalname in by_test:
            wanted.add(by_test[item.originalname])
    return {name for name in wanted if FULL or not CLI_CASES[name].full_only}


@pytest.fixture(scope="module")
def cli(request, tmp_path_factory):
    """The :data:`CLI_CASES` the selected tests need (the core ones in CI, every one in the
    full profile), each run once, two at a time: ``{name: CliRun}``."""
    base = tmp_path_factory.mktemp("cli")
    wanted = _cases_wanted(request.session)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run_case, base / f"case{i}", case)
                   for i, (name, case) in enumerate(CLI_CASES.items()) if name in wanted}
        return {name: future.result() for name, future in futures.items()}


def _ran(cli, name) -> CliRun:
    if name not in cli:
        pytest.skip("this command-line variant runs in the full profile "
                    "(LINGAUSS_HYPOTHESIS_PROFILE=full); its Python API test runs in CI")
    return cli[name]


def assert_one_error_line(run: CliRun, patterns=()):
    proc = run.proc
    detail = f"exit {proc.returncode}; stdout {proc.stdout[:300]!r}; stderr {proc.stderr[:600]!r}"
    assert proc.returncode == 2, detail
    assert proc.stdout == "", detail
    assert "Traceback" not in proc.stderr, detail
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, detail
    assert lines[0].startswith("lingauss: error: "), detail
    for pattern in patterns:
        assert re.search(pattern, lines[0]), f"/{pattern}/ not in {lines[0]!r}"
    assert run.after == run.before, "the command changed its folder"


REFUSALS = [name for name, case in CLI_CASES.items() if "internal error" not in name]


@pytest.mark.parametrize("name", REFUSALS)
def test_command_line_refuses_with_one_line_and_writes_nothing(cli, name):
    """Bad input at the command line: exit 2, exactly one stderr line
    ``lingauss: error: ...`` naming what is wrong, no traceback, nothing on stdout, and the
    working folder (every file the command might write) exactly as it was."""
    assert_one_error_line(_ran(cli, name), CLI_CASES[name].message)


def test_command_line_refusals_are_quick(cli):
    """No hangs: every refusal above came back well within a minute (start-up included)."""
    slow = {name: round(run.seconds, 1) for name, run in cli.items() if run.seconds > 60}
    assert not slow, slow


def test_internal_error_exits_3_with_one_line(cli):
    """An internal error (injected: the divergence command raises RuntimeError after writing
    half of its output): exit 3, one stderr line saying so, no traceback, nothing on
    stdout (the half-written output is dropped), nothing written."""
    run = _ran(cli, "injected internal error")
    proc = run.proc
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lingauss: "), lines[0]
    assert "RuntimeError" in lines[0] and "LINGAUSS_DEBUG" in lines[0], lines[0]
    assert run.after == run.before


def test_lingauss_debug_shows_the_traceback(cli):
    """``LINGAUSS_DEBUG=1``: the same exit 3, with the traceback on stderr."""
    proc = _ran(cli, "injected internal error, LINGAUSS_DEBUG=1").proc
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert "Traceback (most recent call last)" in proc.stderr
    assert "RuntimeError: injected internal fault" in proc.stderr


@pytest.mark.skipif(not FULL, reason="runs in the full profile (LINGAUSS_HYPOTHESIS_PROFILE="
                                      "full): tests/test_design.py covers the demo's files")
def test_demo_into_a_new_folder_writes_every_file_at_once(tmp_path):
    """The all-or-nothing writer's success path, for contrast: ``demo -o NEW`` creates the
    folder with its report and leaves no temporary file beside it."""
    proc = subprocess.run([sys.executable, "-m", "lingauss", "demo", "-o", "report"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    names = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert not [n for n in names if n.startswith(".")], names
    assert {"heatmap.png", "sweep.csv"} <= set(names), names


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process needs POSIX")
def test_ctrl_c_during_monte_carlo_exits_130_and_writes_nothing(tmp_path):
    """Ctrl-C (SIGINT) during ``expected SPEC --monte-carlo 500000`` (minutes of work): exit
    130, nothing on stdout, nothing written. The signal is sent ~2 s in; if it lands before
    ``lingauss.cli.main`` started (Python still importing: a traceback without the CLI in
    it, or no exit at all when an imported library swallowed it), the test waits longer and
    tries again — that is start-up, not the loop."""
    (tmp_path / "spec.toml").write_text(BASE_SPEC, encoding="utf-8")
    before = snapshot(tmp_path)
    delay = 2.0
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "lingauss", "expected", "spec.toml", "--monte-carlo",
             "500000", "--seed", "1"], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        time.sleep(delay)
        assert proc.poll() is None, "finished before the interrupt: not a long computation"
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # on a loaded machine the signal can land in a third-party import that swallows
            # KeyboardInterrupt (the run then goes on): start-up again; three in a row fail
            status = pathlib.Path(f"/proc/{proc.pid}/status")
            ignored = [line for line in status.read_text().splitlines()
                       if line.startswith(("SigBlk", "SigIgn", "SigCgt"))] if status.exists() else []
            proc.kill()
            out, err = proc.communicate()
            err = (f"no exit 30 s after SIGINT (child {ignored}, this process's SIGINT "
                   f"handler {signal.getsignal(signal.SIGINT)!r}); stderr: {err[-2000:]}")
            delay *= 2
            continue
        if "Traceback" in err and "app.py" not in err and "KeyboardInterrupt" in err:
            delay *= 2                      # interrupted while Python was still importing
            continue
        break
    assert proc.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert snapshot(tmp_path) == before


# =============================================================================================
# 6. The fuzzer
# =============================================================================================

FUZZ_COUNTS = ({"divergence": 20_000, "expected": 4_000, "sweep": 2_000} if FULL else
               {"divergence": 240, "expected": 80, "sweep": 40})
FUZZ_CHUNKS = 10 if FULL else 2
#: A single call slower than this is a hang (POSIX: SIGALRM interrupts it).
CALL_SECONDS = 60.0


def _log_uniform(rng, lo_exp, hi_exp):
    return float(10.0 ** rng.uniform(lo_exp, hi_exp))


def _hyper(rng):
    """β or λ: log-uniform in [1e-200, 1e200]."""
    return _log_uniform(rng, -200, 200)


def _student_options(rng, d, k, *, bases, rank_rules):
    width = int(rng.integers(1, d + 1))
    rank = int(rng.integers(1, min(k, width) + 1))
    soft = str(rng.choice(SOFT))
    sln = 0.0
    if soft == "sampled+noise" and rng.random() < 0.8:
        sln = _log_uniform(rng, -150, 150)
    cv_kind = rng.integers(3)
    cv = ("prior", "optimal")[cv_kind] if cv_kind < 2 else _log_uniform(rng, -200, 200)
    alpha = float(rng.choice([0.0, 1.0, rng.uniform()], p=[0.15, 0.15, 0.7]))
    return dict(width=width, rank=rank, basis=str(rng.choice(bases)),
                rank_rule=str(rng.choice(rank_rules)), complement_variance=cv,
                soft_labels=soft, soft_label_noise=sln, alpha=alpha)


class _Hang(Exception):
    pass


def _with_alarm(call):
    """``call()``, interrupted by :class:`_Hang` after :data:`CALL_SECONDS` (POSIX main
    thread; elsewhere unbounded)."""
    if not hasattr(signal, "SIGALRM"):
        return call()

    def handler(signum, frame):
        raise _Hang(f"no answer within {CALL_SECONDS:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    kind: str                   # "result", "refused" or "failure"
    signature: str = ""         # failures: what went wrong, where
    detail: str = ""


def _where(exc) -> str:
    """The deepest frame inside lingauss (else the deepest frame) of an exception."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f"{os.sep}lingauss{os.sep}" in f.filename]
    frame = (mine or frames or [None])[-1]
    if frame is None:
        return "?"
    name = pathlib.Path(frame.filename).name
    if name == "generated.py":                  # one group for the generated per-mode terms
        return f"{name}, the generated per-mode terms"
    return f"{name} in {frame.name}"


def _call(call):
    """``("ok", value)``, ``("refused", message)`` or ``("failure", signature, detail)``."""
    try:
        return ("ok", _with_alarm(lambda: _strict(call)))
    except LingaussError as exc:
        return ("refused", str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:                                      # noqa: BLE001
        kind = "warning turned error" if isinstance(exc, Warning) else "raw error"
        if isinstance(exc, _Hang):
            kind = "hang"
        first = str(exc).splitlines()[0][:80] if str(exc) else ""
        then = f"; with warnings not errors: {_unfiltered(call)}" if isinstance(
            exc, Warning) else ""
        return ("failure", f"{kind}: {type(exc).__name__}: {first} (at {_where(exc)}){then}",
                f"{type(exc).__name__}: {exc}"[:400])


def _unfiltered(call) -> str:
    """What ``call()`` does when warnings are only warnings (for the report of a warning)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = _with_alarm(call)
    except LingaussError:
        return "then a LingaussError"
    except BaseException as exc:                                      # noqa: BLE001
        return f"then a raw {type(exc).__name__}"
    terms = value.as_dict() if hasattr(value, "as_dict") else getattr(value, "terms", {})
    finite = all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in terms.values())
    return "a result, every value finite" if finite else "a result with non-finite values"


def _judge(calls) -> Outcome:
    """Run ``calls`` (the main call first, then the ones a cross-check needs) and judge."""
    main, *extra = calls
    status = _call(main[1])
    if status[0] == "refused":
        return Outcome("refused", detail=status[1])
    if status[0] == "failure":
        return Outcome("failure", status[1], status[2])
    return main[2](status[1], extra)


@dataclass(frozen=True)
class DivergenceCase:
    """One fuzz configuration of :func:`lingauss.divergence`; arrays are drawn from ``seed``.

    ``X = N(0,1) · 10^(x_exp + row offsets in ±x_spread/2)`` (d, n); ``W⋆`` scaled so that
    ``W⋆X ~ 10^y_exp``; ``Y = W⋆X + ν E`` with ``ν = 10^noise_exp`` (or 0);
    ``duplicate`` repeats the first column of ``X`` in the last.
    """

    seed: int
    d: int
    k: int
    n: int
    x_exp: float
    x_spread: float
    y_exp: float
    noise_exp: float | None
    duplicate: bool
    teacher_beta: float
    teacher_ridge: float
    beta: float
    ridge: float
    alpha: float
    width: int
    rank: int
    basis: str
    rank_rule: str
    complement_variance: object
    soft_labels: str
    soft_label_noise: float
    space: str
    direction: str

    @classmethod
    def draw(cls, seed: int) -> "DivergenceCase":
        rng = np.random.default_rng([seed, 1])
        d, k, n = (int(v) for v in rng.integers(1, 9, size=3))
        space = str(rng.choice(SPACES))
        noise_exp = float(rng.uniform(-8, 1)) if (space == "prediction" or rng.random() < 0.8) \
            else None
        x_spread = float(rng.choice([0.0, rng.uniform(0, 4), rng.uniform(0, 10)]))
        return cls(seed=seed, d=d, k=k, n=n, x_exp=float(rng.uniform(-150, 150)),
                   x_spread=x_spread, y_exp=float(rng.uniform(-150, 150)),
                   noise_exp=noise_exp, duplicate=bool(rng.random() < 0.1),
                   teacher_beta=_hyper(rng), teacher_ridge=_hyper(rng), beta=_hyper(rng),
                   ridge=_hyper(rng), space=space, direction=str(rng.choice(DIRECTIONS)),
                   **_student_options(rng, d, k, bases=("pca", "first", "random"),
                                      rank_rules=("optimal", "oracle", "random")))

    def arrays(self):
        rng = np.random.default_rng([self.seed, 2])
        rows = self.x_exp + rng.uniform(-self.x_spread / 2, self.x_spread / 2, (self.d, 1))
        X = rng.standard_normal((self.d, self.n)) * 10.0 ** rows
        if self.duplicate and self.n >= 2:
            X[:, -1] = X[:, 0]
        W = rng.standard_normal((self.k, self.d)) * 10.0 ** (self.y_exp - rows.T)
        noise = 0.0 if self.noise_exp is None else 10.0 ** (self.y_exp + self.noise_exp)
        Y = W @ X + noise * rng.standard_normal((self.k, self.n))
        return X, Y, W, noise

    def teacher(self):
        return Teacher(self.teacher_beta, self.teacher_ridge)

    def student(self):
        rng = np.random.default_rng([self.seed, 3])
        basis = _orthonormal(rng, self.d, self.d)[:, :self.width] \
            if self.basis == "random" else self.basis
        rank_rule = _orthonormal(rng, self.k, self.rank) if self.rank_rule == "random" \
            else self.rank_rule
        return Student(self.beta, self.ridge, alpha=self.alpha,
                       width=None if self.basis == "random" else self.width,
                       rank=None if self.rank_rule == "random" else self.rank,
                       basis=basis, rank_rule=rank_rule,
                       complement_variance=self.complement_variance,
                       soft_labels=self.soft_labels, soft_label_noise=self.soft_label_noise)

    def sample(self):
        X, Y, W, noise = self.arrays()
        return Sample(X, Y, W_star=W, noise=noise)

    def run(self, direction=None):
        """The call under test (``direction`` overrides the drawn one)."""
        return divergence(self.teacher(), self.student(), self.sample(), space=self.space,
                          direction=direction or self.direction)

    def repro(self) -> str:
        return f"DivergenceCase.draw({self.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, _judge_decomposition(self)),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])


def _fixed_tau2(case) -> bool:
    return case.complement_variance != "optimal"


def _judge_decomposition(case):
    def judge(dec, extra):
        problems = decomposition_problems(dec)
        if problems:
            return Outcome("failure", "invariant: " + problems[0].split(" == ")[0].split(" <")[0],
                           "; ".join(problems))
        if case.direction == "symmetric" and _fixed_tau2(case):
            parts = {}
            for name, call in extra:
                status = _call(call)
                if status[0] != "ok":
                    return Outcome(
                        "failure", f"symmetric returned a result but {name} was "
                        f"{'refused' if status[0] == 'refused' else 'a failure'}",
                        status[1] if status[0] == "refused" else status[2])
                parts[name] = status[1].as_dict()
            problems = symmetric_problems(dec.as_dict(), parts["forward"], parts["reverse"])
            if problems:
                return Outcome("failure", "invariant: symmetric != forward + reverse",
                               "; ".join(problems))
        return Outcome("result")
    return judge


def _spectral_draw(rng, *, closed_form: bool):
    """A SpectralDesign's parameters and a student: eigenvalues ~10^[-300, 300] (zeros past
    n), θ_i ~10^[-200, 200] (as vectors, or energies with a fixed projector)."""
    d, k, n = (int(v) for v in rng.integers(1, 9, size=3))
    space = str(rng.choice(SPACES))
    noise = _log_uniform(rng, -150, 150) if (space == "prediction" or rng.random() < 0.85) \
        else 0.0
    if closed_form:
        options = _student_options(rng, d, k, bases=("pca",), rank_rules=("oracle", "random"))
    else:
        options = _student_options(rng, d, k, bases=("pca", "first", "random"),
                                   rank_rules=("optimal", "oracle", "random"))
    energies = closed_form and options["rank_rule"] == "random" and rng.random() < 0.5
    direction = str(rng.choice(DIRECTIONS))
    if closed_form and options["complement_variance"] == "optimal":
        direction = "forward"        # the only closed form of the optimal τ² (documented)
    return dict(d=d, k=k, n=n, eig_exp=float(rng.uniform(-300, 300)),
                eig_spread=float(rng.choice([0.0, rng.uniform(0, 6)])),
                theta_exp=float(rng.uniform(-200, 200)), energies=bool(energies), noise=noise,
                teacher_beta=_hyper(rng), teacher_ridge=_hyper(rng), beta=_hyper(rng),
                ridge=_hyper(rng), space=space, direction=direction, **options)


@dataclass(frozen=True)
class SpectralCase:
    """One fuzz configuration of :func:`lingauss.expected_divergence` on a SpectralDesign
    (closed form; or, with ``monte_carlo``, the exact engine over label draws)."""

    seed: int
    d: int
    k: int
    n: int
    eig_exp: float
    eig_spread: float
    theta_exp: float
    energies: bool
    noise: float
    teacher_beta: float
    teacher_ridge: float
    beta: float
    ridge: float
    alpha: float
    width: int
    rank: int
    basis: str
    rank_rule: str
    complement_variance: object
    soft_labels: str
    soft_label_noise: float
    space: str
    direction: str
    monte_carlo: int | None = None

    @classmethod
    def draw(cls, seed: int) -> "SpectralCase":
        rng = np.random.default_rng([seed, 1])
        closed_form = rng.random() < 0.85
        params = _spectral_draw(rng, closed_form=closed_form)
        return cls(seed=seed, monte_carlo=None if closed_form else int(rng.integers(2, 4)),
                   **params)

    def design(self, n=None):
        rng = np.random.default_rng([self.seed, 2])
        eig = 10.0 ** (self.eig_exp + rng.uniform(-self.eig_spread / 2, self.eig_spread / 2,
                                                   self.d))
        eig[min(self.n, self.d):] = 0.0
        theta = rng.standard_normal((self.k, self.d))
        if self.energies:            # ‖θ_i‖² ~ 10^(2 theta_exp), kept within the float range
            signal = np.sum(theta ** 2, axis=0) * 10.0 ** float(np.clip(2 * self.theta_exp,
                                                                         -300, 300))
        else:
            signal = theta * 10.0 ** self.theta_exp
        return SpectralDesign(eig, signal, noise=self.noise, k=self.k, n=n)

    teacher = DivergenceCase.teacher

    def student(self):
        return DivergenceCase.student(self)

    def run(self, direction=None):
        return expected_divergence(self.teacher(), self.student(), self.design(),
                                   space=self.space, direction=direction or self.direction,
                                   monte_carlo=self.monte_carlo,
                                   seed=None if self.monte_carlo is None else 0)

    def repro(self) -> str:
        return f"SpectralCase.draw({self.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, _judge_decomposition(self)),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])


SWEEP_GRIDS = ("rank", "width", "beta", "ridge", "alpha", "tau2", "soft_label_noise",
               "teacher_beta", "teacher_ridge", "n")


@dataclass(frozen=True)
class SweepCase:
    """One fuzz configuration of :func:`lingauss.sweep`: a closed-form SpectralCase and one or
    two small grids of extreme values."""

    base: SpectralCase
    grids: tuple                                     # ((name, (values...)), ...)

    @classmethod
    def draw(cls, seed: int) -> "SweepCase":
        rng = np.random.default_rng([seed, 1])
        params = _spectral_draw(rng, closed_form=True)
        base = SpectralCase(seed=seed, **params)
        names = list(rng.choice(SWEEP_GRIDS, size=int(rng.integers(1, 3)), replace=False))
        grids = []
        for name in names:
            size = int(rng.integers(1, 4))
            if name == "rank":
                if base.rank_rule != "oracle":
                    continue
                top = min(base.k, base.width) if "width" not in names else 1
                values = sorted({int(v) for v in rng.integers(1, top + 1, size)})
            elif name == "width":
                low = base.rank if "rank" not in names else 1
                values = sorted({int(v) for v in rng.integers(low, base.d + 1, size)})
                if base.rank_rule == "random":
                    values = [v for v in values if v >= base.rank] or [base.width]
            elif name == "alpha":
                values = [float(v) for v in rng.uniform(0, 1, size)]
            elif name == "soft_label_noise":
                if base.soft_labels != "sampled+noise":
                    continue
                values = [_log_uniform(rng, -150, 150) for _ in range(size)]
            elif name == "n":
                values = sorted({int(10 ** rng.uniform(0, 20)) for _ in range(size)})
            elif name == "tau2":
                values = [_log_uniform(rng, -200, 200) for _ in range(size)]
            else:
                values = [_hyper(rng) for _ in range(size)]
            grids.append((str(name), tuple(values)))
        if not grids:
            grids = [("ridge", (_hyper(rng),))]
        return cls(base=base, grids=tuple(grids))

    def run(self, direction=None):
        b = self.base
        grids = {name: list(values) for name, values in self.grids}
        student = b.student()
        design = b.design(n=b.n if "n" in grids else None)
        return sweep(b.teacher(), student, design, space=b.space,
                     direction=direction or b.direction, **grids)

    def repro(self) -> str:
        return f"SweepCase.draw({self.base.seed}).run()"

    def judge(self) -> Outcome:
        return _judge([("main", self.run, self._judge_sweep),
                       ("forward", lambda: self.run("forward")),
                       ("reverse", lambda: self.run("reverse"))])

    def _judge_sweep(self, res, extra):
        terms = {name: np.asarray(v, dtype=float) for name, v in res.terms.items()}
        for name, arr in terms.items():
            if not np.all(np.isfinite(arr)):
                return Outcome("failure", "invariant: non-finite sweep term",
                               f"{name} == {arr!r}")
        scale = np.abs(terms["total"])
        for name, arr in terms.items():
            ref = np.abs(terms["convexity_bound"]) if name == "convexity_slack" else scale
            if np.any(arr < -1e-9 * ref):
                return Outcome("failure", f"invariant: negative sweep term {name}",
                               f"{name} == {arr!r}, total == {terms['total']!r}")
        for whole, parts in (("total", ("bias", "variance", "rank_bottleneck")),
                             ("rank_bottleneck", ("bottleneck_mean", "bottleneck_covariance")),
                             ("convexity_bound", ("total", "convexity_slack"))):
            if whole not in terms:
                continue
            want = sum(terms[p] for p in parts)
            tol = 1e-12 * sum(np.abs(terms[p]) for p in parts)
            if np.any(np.abs(terms[whole] - want) > tol):
                return Outcome("failure", f"invariant: sweep {whole} != sum of its parts",
                               f"{whole} == {terms[whole]!r}, parts sum to {want!r}")
        if self.base.direction == "symmetric" and _fixed_tau2(self.base):
            parts = {}
            for name, call in extra:
                status = _call(call)
                if status[0] != "ok":
                    return Outcome(
                        "failure", f"symmetric sweep returned but {name} was "
                        f"{'refused' if status[0] == 'refused' else 'a failure'}",
                        status[1] if status[0] == "refused" else status[2])
                parts[name] = {n: np.asarray(v, dtype=float) for n, v in status[1].terms.items()}
            f, r = parts["forward"], parts["reverse"]
            tscale = np.maximum(scale, np.abs(f["total"]) + np.abs(r["total"]))
            for name, arr in terms.items():
                if name == "rank_floor":
                    bad = np.abs(arr - f[name]) > 1e-9 * np.abs(arr)
                else:
                    ref = tscale if "convexity" not in name else np.maximum(
                        np.abs(terms["convexity_bound"]),
                        np.abs(f["convexity_bound"]) + np.abs(r["convexity_bound"]))
                    bad = np.abs(arr - (f[name] + r[name])) > 1e-9 * ref
                if np.any(bad):
                    return Outcome("failure", "invariant: symmetric sweep != forward + reverse",
                                   f"{name}: {arr!r} vs {f[name] + r[name]!r}")
        return Outcome("result")


FUZZ_KINDS = {"divergence": (DivergenceCase, 0), "expected": (SpectralCase, 10 ** 7),
              "sweep": (SweepCase, 2 * 10 ** 7)}
_TALLY: dict = {}


def _chunk_seeds(kind: str, chunk: int):
    total = FUZZ_COUNTS[kind]
    per = -(-total // FUZZ_CHUNKS)
    offset = FUZZ_KINDS[kind][1] + BASE_SEED * 10 ** 8
    return range(offset + chunk * per, offset + min(total, (chunk + 1) * per))


@pytest.fixture(scope="module")
def fuzz_report(request):
    """Counts per fuzz kind, printed (and written to ``LINGAUSS_FUZZ_REPORT``) at the end."""
    yield _TALLY
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"fuzz ({PROFILE} profile, seed base {BASE_SEED}):"]
    for kind, t in _TALLY.items():
        lines.append(f"  {kind}: {t['tried']} configurations, {t['results']} results, "
                     f"{t['refused']} refusals (LingaussError), {t['failures']} failures, "
                     f"{t['seconds']:.1f} s")
        for signature, count in Counter(t["signatures"]).most_common():
            lines.append(f"      {count:6d} x {signature}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and _TALLY:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
    path = os.environ.get("LINGAUSS_FUZZ_REPORT")
    if path and _TALLY:
        pathlib.Path(path).write_text(json.dumps(
            {"profile": PROFILE, "seed_base": BASE_SEED, "kinds": _TALLY}, indent=1,
            default=str), encoding="utf-8")


def _fuzz(kind: str, chunk: int, tally: dict):
    cls, _ = FUZZ_KINDS[kind]
    t = tally.setdefault(kind, dict(tried=0, results=0, refused=0, failures=0, seconds=0.0,
                                    signatures={}, examples={}, refusal_reasons={}))
    failures = []
    start = time.monotonic()
    for seed in _chunk_seeds(kind, chunk):
        case = cls.draw(seed)
        outcome = case.judge()
        t["tried"] += 1
        if outcome.kind == "result":
            t["results"] += 1
        elif outcome.kind == "refused":
            t["refused"] += 1
            reason = re.sub(r"[-+]?\d[\d.e+-]*", "#", outcome.detail)[:70]
            t["refusal_reasons"][reason] = t["refusal_reasons"].get(reason, 0) + 1
        else:
            t["failures"] += 1
            t["signatures"][outcome.signature] = t["signatures"].get(outcome.signature, 0) + 1
            examples = t["examples"].setdefault(outcome.signature, [])
            if len(examples) < 3:
                examples.append(f"{case.repro()}  # {outcome.detail[:200]}")
            failures.append((outcome, case))
    t["seconds"] += time.monotonic() - start
    if failures:
        groups = Counter(o.signature for o, _ in failures)
        report = [f"{len(failures)} of {len(_chunk_seeds(kind, chunk))} {kind} configurations "
                  f"failed (neither a valid result nor one LingaussError):"]
        for signature, count in groups.most_common():
            report.append(f"  {count} x {signature}")
            for o, case in [(o, c) for o, c in failures if o.signature == signature][:2]:
                report.append(f"      {case.repro()}   # {o.detail[:160]}")
                report.append(f"        {case!r}"[:600])
        pytest.fail("\n".join(report), pytrace=False)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_divergence_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.divergence`: d, k, n in 1..8 (n < d, n = d, n > d), X
    from 1e-150 to 1e150 (rows up to 1e10 apart), Y likewise, β and λ in [1e-200, 1e200],
    α in [0, 1], every space, direction, soft-label mode, basis (pca, first, a random
    orthonormal matrix), rank rule (optimal, oracle, a random matrix) and complement
    variance (prior, optimal, a number in [1e-200, 1e200]). Each call gives a valid result
    or one LingaussError."""
    _fuzz("divergence", chunk, fuzz_report)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_expected_divergence_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.expected_divergence` on SpectralDesigns: eigenvalues in
    1e-300..1e300 (zeros past n), θ_i in 1e-200..1e200 (vectors, or energies with a fixed
    projector), ν in 1e-150..1e150 (or 0 in parameter space), every option; 15% through Monte
    Carlo (any basis and rank rule, 2–3 draws)."""
    _fuzz("expected", chunk, fuzz_report)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_sweep_is_finite_nonnegative_exact_or_refused(chunk, fuzz_report):
    """Seeded fuzz of :func:`lingauss.sweep`: a closed-form spectral case and one or two grids
    of 1–3 extreme values (rank, width, β, λ, α, τ², soft-label noise, teacher β and λ,
    n up to 1e20); every grid point valid, or one LingaussError."""
    _fuzz("sweep", chunk, fuzz_report)


def test_command_line_monte_carlo_standard_errors_are_finite_json():
    """Found by the fuzzer: label noise ~5e99 gave terms ~1e198 and standard errors whose
    squared deviations overflowed — JSON ``Infinity`` and exit 0. The standard errors are now
    computed on scaled values: a finite result, valid JSON (no Infinity, no NaN), exit 0."""
    import json as _json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        _files(BASE_SPEC.replace("n = 10", "n = 10\nnoise = 5e99"))(folder)
        proc = subprocess.run([sys.executable, "-m", "lingauss", "expected", "spec.toml",
                               "--monte-carlo", "3", "--seed", "0", "--json"], cwd=folder,
                              env=_env({}), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr

    def refuse(constant):
        raise AssertionError(f"non-finite JSON constant {constant}")
    values = _json.loads(proc.stdout, parse_constant=refuse)
    assert all(np.isfinite(v) for v in values.values())
