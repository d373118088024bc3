"""Numerical robustness at the extremes.

(a) ``vfun`` (the stable ``v(x) = x − 1 − log x``) against mpmath at 50 digits: relative error
    <= 1e-12 for many ``x`` in ``[1 − 1e-8, 1 + 1e-8]`` (``v(1) == 0`` exactly) and for ``x``
    log-spaced from 1e-300 to 1e300.
(b) Extreme spectra and ridges — eigenvalues of ``XXᵀ`` from 1e-12 to 1e12, ridges from 1e-10
    to 1e10, ``n < d``, ``k = 1``, ``r = k``, ``m = d``: the exact engine
    (:func:`lingauss.divergence`), the closed form (:func:`lingauss.expected_divergence`,
    oracle rank rule, pca basis) and :func:`lingauss.sweep` return no NaN, no inf and no
    negative term. With ``m = d`` the width basis spans ``R^d``, so the dense route
    (``basis="first"`` / a user basis) describes the very same kernels and must be as robust.
(c) Nearly identical kernels — teacher ``(β, λ)``, student ``(β(1+ε), λ)`` (and
    ``(β, λ(1+ε))``), ``α = 1``, mean soft labels, full size, ``ε = 1e-7``: ``K`` is tiny
    (``~ε²``) and must still be ``>= 0`` and accurate to 1e-6 of its own size, against an
    independent per-mode formula (docs/model.md §5) evaluated in mpmath at 50 digits on the same
    sample's eigenvalues.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

from lingauss import (Sample, SpectralDesign, Student, Teacher, divergence, expected_divergence,
                      sweep)
from lingauss.engine.linalg import vfun

DPS = 50
SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")
SOFT = ("mean", "sampled", "sampled+noise")


# ---------------------------------------------------------------------------------------------
# (a) vfun against mpmath
# ---------------------------------------------------------------------------------------------

def _v_exact(xs) -> np.ndarray:
    """``x − 1 − log x`` at 50 digits (``mpmath.mpf(float)`` is exact), rounded to float."""
    with mpmath.workdps(DPS):
        return np.array([float(mpmath.mpf(x) - 1 - mpmath.log(mpmath.mpf(x)))
                         for x in np.asarray(xs, dtype=float)])


def _check_v(xs, rtol=1e-12):
    xs = np.asarray(xs, dtype=float)
    got = np.asarray(vfun(xs), dtype=float)
    want = _v_exact(xs)
    assert np.all(np.isfinite(got)), f"non-finite vfun at x = {xs[~np.isfinite(got)][:5]!r}"
    at_one = xs == 1.0
    assert np.all(got[at_one] == 0.0)
    rel = np.abs(got[~at_one] - want[~at_one]) / want[~at_one]
    worst = int(np.argmax(rel))
    x = xs[~at_one][worst]
    assert rel[worst] <= rtol, (
        f"vfun({x!r}) = {got[~at_one][worst]!r}, exact {want[~at_one][worst]!r}: relative "
        f"error {rel[worst]:.3g} > {rtol:g}; {int(np.sum(rel > rtol))} of {rel.size} points "
        f"fail")


def _ulps_from_one(count):
    up, down = [1.0], [1.0]
    for _ in range(count):
        up.append(np.nextafter(up[-1], 2.0))
        down.append(np.nextafter(down[-1], 0.0))
    return np.array(up[1:] + down[1:])


def test_vfun_near_one_against_mpmath():
    """x in [1 − 1e-8, 1 + 1e-8]: a uniform grid, log-spaced offsets down to one ulp, the
    first 64 floats on either side of 1, and 1 itself (v(1) == 0 exactly)."""
    offsets = np.geomspace(1e-16, 1e-8, 400)
    xs = np.concatenate([np.linspace(1 - 1e-8, 1 + 1e-8, 4001), 1 + offsets, 1 - offsets,
                         _ulps_from_one(64), [1.0]])
    assert xs.min() >= 1 - 1e-8 and xs.max() <= 1 + 1e-8
    _check_v(xs)
    assert float(vfun(1.0)) == 0.0 and np.ndim(vfun(1.0)) == 0


def test_vfun_over_the_whole_range_against_mpmath():
    """x log-spaced from 1e-300 to 1e300 (and the switch between the series and the direct
    formula, |x − 1| = 0.1): finite and correct to 1e-12 relative."""
    switch = np.concatenate([1 + np.linspace(-0.12, 0.12, 241),
                             [np.nextafter(0.9, 0), 0.9, np.nextafter(0.9, 1),
                              np.nextafter(1.1, 1), 1.1, np.nextafter(1.1, 2)]])
    xs = np.concatenate([np.geomspace(1e-300, 1e300, 6001), switch])
    _check_v(xs)


# ---------------------------------------------------------------------------------------------
# (b) Extreme spectra and ridges: no NaN, no inf, no negative term
# ---------------------------------------------------------------------------------------------

EIGS = np.geomspace(1e12, 1e-12, 5)             # eigenvalues of XXᵀ (n = 5 < d = 8)
RIDGES = (1e-10, 1e-5, 1.0, 1e5, 1e10)
D_EXT, N_EXT, NOISE = 8, 5, 0.5


def _extreme_sample(kind: str) -> Sample:
    """``XXᵀ`` with eigenvalues ``EIGS`` and three zeros; ``kind``: axis-aligned ``X`` (exact
    SVD) or rotated on both sides by random orthogonal matrices."""
    rng = np.random.default_rng(20240601)
    X = np.zeros((D_EXT, N_EXT))
    X[np.arange(N_EXT), np.arange(N_EXT)] = np.sqrt(EIGS)
    if kind == "rotated":
        Qd = np.linalg.qr(rng.standard_normal((D_EXT, D_EXT)))[0]
        Qn = np.linalg.qr(rng.standard_normal((N_EXT, N_EXT)))[0]
        X = Qd @ X @ Qn.T
    W_star = rng.standard_normal((1, D_EXT))
    Y = W_star @ X + NOISE * rng.standard_normal((1, N_EXT))
    return Sample(X, Y, W_star=W_star, noise=NOISE)


def _bad_terms(dec) -> dict:
    return {name: value for name, value in dec.as_dict().items()
            if not np.isfinite(value) or value < 0}


def _students(ridge, *, basis="pca", rank_rule="optimal", alphas=(0.0, 0.5, 1.0)):
    for beta, alpha, soft in itertools.product((1.0, 3.0), alphas, SOFT):
        yield Student(beta, ridge, alpha=alpha, rank=1, basis=basis, rank_rule=rank_rule,
                      soft_labels=soft, soft_label_noise=0.3 if soft == "sampled+noise" else 0.0)


def _run_grid(compute, teacher, students):
    """Every (student, space, direction): a list of failures (bad terms or exceptions)."""
    failures = []
    for student, space, direction in itertools.product(students, SPACES, DIRECTIONS):
        where = (f"beta_S={student.beta:g}, alpha={student.alpha:g}, "
                 f"soft={student.soft_labels!r}, space={space!r}, direction={direction!r}")
        try:
            dec = compute(teacher, student, space, direction)
        except Exception as exc:     # noqa: BLE001 — a crash is a robustness failure too
            failures.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        bad = _bad_terms(dec)
        if bad:
            failures.append(f"{where}: {bad}")
    return failures


@pytest.mark.parametrize("student_ridge", RIDGES)
@pytest.mark.parametrize("teacher_ridge", RIDGES)
@pytest.mark.parametrize("kind", ["axis-aligned", "rotated"])
def test_engine_extreme_spectrum_and_ridges(kind, teacher_ridge, student_ridge):
    """divergence (pca basis, k = 1, r = k, m = d, n < d): finite, >= 0 terms."""
    sample = _extreme_sample(kind)
    failures = _run_grid(lambda t, s, sp, dr: divergence(t, s, sample, space=sp, direction=dr),
                         Teacher(1.0, teacher_ridge), _students(student_ridge))
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("student_ridge", RIDGES)
@pytest.mark.parametrize("teacher_ridge", RIDGES)
@pytest.mark.parametrize("kind, basis", [("rotated", "first"), ("axis-aligned", "random")])
def test_engine_dense_route_extreme_spectrum_and_ridges(kind, basis, teacher_ridge,
                                                        student_ridge):
    """The dense route with m = d (basis "first" on a rotated X, or a random orthonormal
    d × d basis): the same kernels as the pca route, so equally finite and >= 0."""
    sample = _extreme_sample(kind)
    B = (np.linalg.qr(np.random.default_rng(7).standard_normal((D_EXT, D_EXT)))[0]
         if basis == "random" else basis)
    failures = _run_grid(lambda t, s, sp, dr: divergence(t, s, sample, space=sp, direction=dr),
                         Teacher(1.0, teacher_ridge),
                         _students(student_ridge, basis=B, alphas=(0.0, 1.0)))
    # A dense (non-pca) route cannot factor a matrix whose condition number exceeds 1/eps
    # (eigenvalues 1e12..1e-12 with a ridge of 1e-10 give 1e22): the engine must then say so
    # in one clear message (regression: it used to raise scipy's LinAlgError), never return
    # a wrong number. Any other failure (NaN, inf, a negative term, another error) fails.
    clear = "too ill-conditioned for double precision"
    # IllConditioned is the LingaussError subclass for exactly this case
    unclear = [f for f in failures if not (("raised LingaussError" in f
                                            or "raised IllConditioned" in f) and clear in f)]
    assert not unclear, "\n".join(unclear[:20])


def _extreme_design() -> SpectralDesign:
    """Eigenvalues 1e12 .. 1e-12 and two exact zeros (as when n < d), k = 1."""
    eig = np.concatenate([np.geomspace(1e12, 1e-12, 7), [0.0, 0.0]])
    theta = np.random.default_rng(5).standard_normal((1, eig.size))
    return SpectralDesign(eig, theta, noise=NOISE, k=1)


@pytest.mark.parametrize("student_ridge", RIDGES)
@pytest.mark.parametrize("teacher_ridge", RIDGES)
@pytest.mark.parametrize("kind", ["spectral", "axis-aligned", "rotated"])
def test_expected_divergence_extreme_spectrum_and_ridges(kind, teacher_ridge, student_ridge):
    """expected_divergence (oracle rank rule, pca basis, k = 1, r = k, m = d) on a
    SpectralDesign or on the extreme samples: finite, >= 0 terms."""
    design = _extreme_design() if kind == "spectral" else _extreme_sample(kind)
    failures = _run_grid(
        lambda t, s, sp, dr: expected_divergence(t, s, design, space=sp, direction=dr),
        Teacher(1.0, teacher_ridge), _students(student_ridge, rank_rule="oracle"))
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("soft", SOFT)
@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_sweep_extreme_spectrum_and_ridges(soft, space, direction):
    """sweep over every (teacher ridge, student ridge, α) at once: finite, >= 0 terms."""
    student = Student(1.0, 1.0, rank=1, rank_rule="oracle", soft_labels=soft,
                      soft_label_noise=0.3 if soft == "sampled+noise" else 0.0)
    res = sweep(Teacher(1.0, 1.0), student, _extreme_design(), space=space,
                direction=direction, teacher_ridge=list(RIDGES), ridge=list(RIDGES),
                alpha=[0.0, 0.5, 1.0])
    for name, values in res.terms.items():
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            where = {axis: grid[j] for (axis, grid), j in zip(res.axes.items(), i)}
            pytest.fail(f"{name}: {int(bad.sum())} bad values, e.g. {values[i]!r} at {where}")


# ---------------------------------------------------------------------------------------------
# (c) Nearly identical kernels against an mpmath reference
# ---------------------------------------------------------------------------------------------

EPS = 1e-7
NEAR_RTOL = 1e-6
NEAR_SAMPLES = {"n>d": (5, 2, 8), "n<d": (6, 1, 3), "n=d": (4, 3, 4)}
NEAR_HYPER = [(1.0, 1.0), (3.0, 0.3), (100.0, 0.01), (0.01, 100.0)]


def _near_sample(shape) -> Sample:
    d, k, n = shape
    return Sample.synthetic(d, k, n, noise=NOISE, seed=d)


def _modes(sample: Sample):
    """``s_i`` (d,, zeros beyond rank X), ``‖z_i‖²`` and ``‖θ_i‖²`` from numpy's SVD of X."""
    d = sample.d
    U, sv, _ = np.linalg.svd(sample.X)
    s = np.zeros(d)
    s[:sv.size] = sv ** 2
    s[s < np.finfo(float).eps * max(sample.X.shape) * s[0]] = 0.0
    z2 = np.sum((sample.Y @ sample.X.T @ U) ** 2, axis=0)
    theta2 = np.sum((sample.W_star @ U) ** 2, axis=0)
    return s, z2, theta2


def _reference(s, zz, k, teacher, student, nu, space, direction, *, expected):
    """``K`` at 50 digits from the per-mode forms (docs/model.md §5; α = 1, mean soft labels,
    r = k, m = d, so no bottleneck):

    ``a = β_T s + λ_T``, ``b = β_S s + λ_S``, ``h = β_T/a``, ``g = β_S/b``, ``Z = ‖z_i‖²``
    (given the sample) or ``s²‖θ_i‖² + ν² s k`` (expected over the label noise);
    parameter space: forward ``(k/2) v(a/b) + ½ a (h − g)² Z``, reverse
    ``(k/2) v(b/a) + ½ b (h − g)² Z``; prediction space (modes with ``s > 0``): variances
    ``c_S = ν² + s/b``, ``c_T = ν² + s/a``, mean gap ``√s (h − g)``: forward
    ``(k/2) v(c_S/c_T) + ½ s (h − g)² Z / c_T``, reverse with S and T exchanged.
    """
    with mpmath.workdps(DPS):
        mpf = mpmath.mpf
        v = lambda x: x - 1 - mpmath.log(x)  # noqa: E731
        bT, lT, bS, lS = (mpf(teacher.beta), mpf(teacher.ridge), mpf(student.beta),
                          mpf(student.ridge))
        nu2 = mpf(nu) ** 2
        total = mpf(0)
        for si, zi in zip(s, zz):
            si, zi = mpf(float(si)), mpf(float(zi))
            if expected:
                zi = si ** 2 * zi + nu2 * si * k
            a, b = bT * si + lT, bS * si + lS
            gap2 = (bT / a - bS / b) ** 2
            if space == "parameter":
                fwd = k * v(a / b) / 2 + a * gap2 * zi / 2
                rev = k * v(b / a) / 2 + b * gap2 * zi / 2
            else:
                if si == 0:
                    continue
                cS, cT = nu2 + si / b, nu2 + si / a
                fwd = k * v(cS / cT) / 2 + si * gap2 * zi / (2 * cT)
                rev = k * v(cT / cS) / 2 + si * gap2 * zi / (2 * cS)
            total += {"forward": fwd, "reverse": rev, "symmetric": fwd + rev}[direction]
        return total


def _near_pair(beta, ridge, perturbed):
    teacher = Teacher(beta, ridge)
    if perturbed == "beta":
        return teacher, dict(beta=beta * (1 + EPS), ridge=ridge)
    return teacher, dict(beta=beta, ridge=ridge * (1 + EPS))


# The general (non-pca) route forms the two means and subtracts them: the bias of nearly
# equal kernels then carries a relative error ≈ eps·|m|/|m_S − m_T|, here ≈ 1e-16 / 1e-12
# (β = 100, λ = 0.01, ε = 1e-7: the means differ by λε/(βs) of themselves). K ≈ 1e-20 is
# still right to 3 digits, and ≥ 0. The pca route uses the cancellation-free difference
# z(αβ_Sλ_T − β_Tλ_S)/(ab) and meets NEAR_RTOL.
NEAR_RTOL_GENERAL = 1e-3


def _compare(compute, teacher, student, s, zz, k, *, expected, rtol=None):
    rtol = NEAR_RTOL if rtol is None else rtol
    failures = []
    for space, direction in itertools.product(SPACES, DIRECTIONS):
        dec = compute(space, direction)
        want = _reference(s, zz, k, teacher, student, NOISE, space, direction,
                          expected=expected)
        got = dec.total
        with mpmath.workdps(DPS):
            rel = float(abs(mpmath.mpf(got) - want) / want)
        if got < 0 or _bad_terms(dec) or not rel <= rtol:
            failures.append(f"space={space!r}, direction={direction!r}: K = {got!r}, "
                            f"exact {float(want)!r} (relative error {rel:.2e}); "
                            f"bias={dec.bias!r}, variance={dec.variance!r}")
    return failures


@pytest.mark.parametrize("basis", ["pca", "random"])
@pytest.mark.parametrize("perturbed", ["beta", "ridge"])
@pytest.mark.parametrize("beta, ridge", NEAR_HYPER)
@pytest.mark.parametrize("shape", list(NEAR_SAMPLES), ids=str)
def test_engine_nearly_identical_kernels(shape, beta, ridge, perturbed, basis):
    """divergence with student (β(1+ε), λ) or (β, λ(1+ε)), α = 1, mean soft labels, full
    width and rank: K >= 0 and within 1e-6 (pca; 1e-3 general route, see NEAR_RTOL_GENERAL)
    of the mpmath reference, in every
    space and direction. basis "random" (a random orthonormal d × d matrix, the same kernels
    since m = d) exercises the dense route."""
    sample = _near_sample(NEAR_SAMPLES[shape])
    s, z2, _ = _modes(sample)
    teacher, kw = _near_pair(beta, ridge, perturbed)
    B = ("pca" if basis == "pca" else
         np.linalg.qr(np.random.default_rng(11).standard_normal((sample.d, sample.d)))[0])
    student = Student(**kw, alpha=1.0, soft_labels="mean", basis=B)
    failures = _compare(
        lambda sp, dr: divergence(teacher, student, sample, space=sp, direction=dr),
        teacher, student, s, z2, sample.k, expected=False,
        rtol=NEAR_RTOL if basis == "pca" else NEAR_RTOL_GENERAL)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("perturbed", ["beta", "ridge"])
@pytest.mark.parametrize("beta, ridge", NEAR_HYPER)
@pytest.mark.parametrize("shape", list(NEAR_SAMPLES), ids=str)
def test_expected_divergence_nearly_identical_kernels(shape, beta, ridge, perturbed):
    """expected_divergence (oracle rank rule = identity at r = k, pca basis) of the same
    nearly identical pairs, against the expected per-mode forms at 50 digits."""
    sample = _near_sample(NEAR_SAMPLES[shape])
    s, _, theta2 = _modes(sample)
    teacher, kw = _near_pair(beta, ridge, perturbed)
    student = Student(**kw, alpha=1.0, soft_labels="mean", rank_rule="oracle")
    failures = _compare(
        lambda sp, dr: expected_divergence(teacher, student, sample, space=sp, direction=dr),
        teacher, student, s, theta2, sample.k, expected=True)
    assert not failures, "\n".join(failures)
