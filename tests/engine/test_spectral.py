"""The fast numeric layer (issue 3): spectral route, expectations, sweeps, errors.

Routes held equal here:
* the conditional per-mode forms given a sample == the exact engine with the ``pca`` basis;
* the closed-form expectation == the Monte Carlo mean of the exact engine (4σ, fixed seed);
* a sweep == a loop over single configurations;
* the generated code == a lambdified fresh derivation (in test_symbolic.py).
"""

import itertools
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import lingauss
from lingauss import (LingaussError, Sample, SpectralDesign, Student, Teacher, divergence,
                      expected_divergence, sweep)
from lingauss.engine.spectral import mode_terms, spectral_route
from lingauss.model.results import TERMS

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEACHER = Teacher(2.0, 1.3)


def close(a: dict, b: dict, rtol=1e-9, atol=1e-12):
    assert a.keys() == b.keys()
    for name in a:
        assert abs(a[name] - b[name]) <= atol + rtol * abs(b[name]), (name, a[name], b[name])


# --------------------------------------------------------------------------------------------
# Spectral route given a sample == exact engine (pca basis)
# --------------------------------------------------------------------------------------------

SAMPLES = {"n>d": Sample.synthetic(8, 3, 20, noise=0.4, seed=1),
           "n<d": Sample.synthetic(8, 3, 6, noise=0.4, seed=2)}


@pytest.mark.parametrize("which", sorted(SAMPLES))
@pytest.mark.parametrize("space", ["parameter", "prediction"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
@pytest.mark.parametrize("soft", ["mean", "sampled", "sampled+noise"])
@pytest.mark.parametrize("cv", ["prior", "optimal", 0.3])
@pytest.mark.parametrize("rule,width", [("optimal", 3), ("oracle", 8), ("optimal", 8)])
def test_spectral_route_given_sample_equals_engine(which, space, direction, soft, cv, rule,
                                                   width):
    student = Student(1.5, 0.5, alpha=0.3, width=width, rank=2, rank_rule=rule,
                      complement_variance=cv, soft_labels=soft,
                      soft_label_noise=0.2 if soft == "sampled+noise" else 0.0)
    sample = SAMPLES[which]
    got = spectral_route(TEACHER, student, sample, space=space, direction=direction).as_dict()
    want = divergence(TEACHER, student, sample, space=space, direction=direction).as_dict()
    close(got, want)


def test_spectral_route_with_a_user_projector():
    sample = SAMPLES["n>d"]
    Q = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 2)))[0]
    student = Student(1.5, 0.5, width=5, rank_rule=Q)
    close(spectral_route(TEACHER, student, sample).as_dict(),
          divergence(TEACHER, student, sample).as_dict())


# --------------------------------------------------------------------------------------------
# Closed-form expectation == Monte Carlo mean of the exact engine
# --------------------------------------------------------------------------------------------

MC_CASES = [
    # (design, space, direction, soft_labels, complement_variance)
    # "optimal" τ² has a closed-form expectation in the forward direction only: elsewhere it
    # minimises each sample's own divergence, which depends on the labels (issue 10).
    ("sample", "parameter", "forward", "mean", "prior"),
    ("sample", "prediction", "reverse", "sampled", 1.3),
    ("sample", "prediction", "forward", "sampled", "optimal"),
    ("sample", "parameter", "symmetric", "sampled+noise", 0.7),
    ("spectral", "parameter", "reverse", "mean", "prior"),
    ("spectral", "parameter", "forward", "mean", "optimal"),
    ("spectral", "prediction", "forward", "sampled+noise", "prior"),
    ("spectral", "prediction", "symmetric", "sampled", 0.4),
]


@pytest.mark.parametrize("design_kind,space,direction,soft,cv", MC_CASES)
def test_closed_form_equals_monte_carlo_within_4_sigma(design_kind, space, direction, soft, cv):
    design = (Sample.synthetic(8, 3, 12, noise=0.6, seed=2) if design_kind == "sample"
              else SpectralDesign.power_law(8, 3, 12, noise=0.6))
    student = Student(1.5, 0.5, alpha=0.3, width=5, rank=2, rank_rule="oracle",
                      complement_variance=cv, soft_labels=soft,
                      soft_label_noise=0.2 if soft == "sampled+noise" else 0.0)
    exact = expected_divergence(TEACHER, student, design, space=space, direction=direction)
    mc = expected_divergence(TEACHER, student, design, space=space, direction=direction,
                             monte_carlo=400, seed=0)
    a, b = exact.as_dict(), mc.as_dict()
    assert set(a) == {name for name in b if not name.startswith("stderr_")}
    for name in a:
        se = b[f"stderr_{name}"]
        if name == "rank_floor":
            # the closed form is the floor of E[ŴŴᵀ], an upper bound (Jensen)
            assert a[name] >= b[name] - 4 * se
        elif se > 1e-9 * abs(b[name]):
            assert abs(a[name] - b[name]) <= 4 * se, (name, a[name], b[name], se)
        else:           # a term that does not depend on the labels
            assert abs(a[name] - b[name]) <= 1e-9 * abs(b[name]) + 1e-12, name
    assert mc.stderr["total"] > 0


def test_monte_carlo_is_reproducible_and_works_for_any_basis():
    sample = Sample.synthetic(6, 2, 10, noise=0.5, seed=0)
    student = Student(2.0, 1.0, width=3, basis="first")        # optimal rule, first basis
    a = expected_divergence(TEACHER, student, sample, monte_carlo=20, seed=5)
    b = expected_divergence(TEACHER, student, sample, monte_carlo=20, seed=5)
    assert a.as_dict() == b.as_dict()
    assert set(a.stderr) == set(a.as_dict()) - {k for k in a.as_dict() if "stderr" in k}
    # the mean of the engine over the very same label draws
    rng = np.random.default_rng(5)
    totals = [divergence(TEACHER, student, Sample(
        sample.X, sample.W_star @ sample.X + 0.5 * rng.standard_normal((2, 10)))).total
        for _ in range(20)]
    assert a.total == pytest.approx(np.mean(totals), rel=1e-12)
    assert a.stderr["total"] == pytest.approx(np.std(totals, ddof=1) / np.sqrt(20), rel=1e-9)


def test_expected_divergence_of_identical_kernels_is_zero():
    design = SpectralDesign.power_law(10, 3, 20)
    same = Student(2.0, 1.3, alpha=1.0, rank_rule="oracle")   # the student is the teacher
    dec = expected_divergence(TEACHER, same, design)
    assert dec.total == 0.0 and dec.rank_floor == 0.0


def test_power_law_oracle_keeps_the_first_outputs():
    design = SpectralDesign.power_law(9, 3, 10, signal_exponent=1.0)
    user = Student(2.0, 1.0, width=6, rank_rule=np.eye(3)[:, :2])
    oracle = Student(2.0, 1.0, width=6, rank=2, rank_rule="oracle")
    close(expected_divergence(TEACHER, user, design).as_dict(),
          expected_divergence(TEACHER, oracle, design).as_dict(), rtol=1e-13)


def test_energy_only_signal_splits_r_over_k():
    # θ_i = e_1·c_i for every mode: the projector Q = span(e_1, e_2) keeps all of it;
    # energies only ⇒ r/k of it. Check the latter against a signal whose energy is spread
    # evenly over the three outputs and a projector of rank 1.
    s = np.array([5.0, 3.0, 1.0, 0.5])
    energy = np.array([1.0, 0.5, 0.25, 0.1])
    spread = np.sqrt(energy / 3) * np.ones((3, 1))              # (3, 4), equal per output
    q = np.eye(3)[:, :1]
    student = Student(2.0, 1.0, width=2, rank_rule=q)
    a = expected_divergence(TEACHER, student, SpectralDesign(s, energy, 0.3, 3))
    b = expected_divergence(TEACHER, student, SpectralDesign(s, spread, 0.3, 3))
    close({k: v for k, v in a.as_dict().items() if k != "rank_floor"},
          {k: v for k, v in b.as_dict().items() if k != "rank_floor"}, rtol=1e-13)


# --------------------------------------------------------------------------------------------
# Sweeps == loops
# --------------------------------------------------------------------------------------------

def loop(teacher, student, design, space, direction, grids):
    out = {}
    for idx in itertools.product(*(range(len(v)) for v in grids.values())):
        vals = {name: grids[name][i] for name, i in zip(grids, idx)}
        t = Teacher(vals.get("teacher_beta", teacher.beta),
                    vals.get("teacher_ridge", teacher.ridge))
        changes = {key: vals[key] for key in ("rank", "width", "beta", "ridge", "alpha",
                                              "soft_label_noise") if key in vals}
        if "tau2" in vals:
            changes["complement_variance"] = vals["tau2"]
        st = student.replace(**changes)
        d = design
        if "n" in vals:
            d = SpectralDesign(design.eigenvalues * vals["n"] / design.n, design.signal,
                               design.noise, design.k, n=vals["n"])
        out[idx] = expected_divergence(t, st, d, space=space, direction=direction).as_dict()
    return out


SWEEP_CASES = [
    ("parameter", "forward", "mean", "prior",
     dict(rank=[1, 2, 3], width=[4, 8, 16], ridge=[0.5, 1.0])),
    ("prediction", "forward", "sampled", "optimal",
     dict(width=[3, 16], rank=[1, 3], teacher_beta=[1.0, 3.0], n=[10, 64])),
    ("prediction", "symmetric", "sampled", "prior",
     dict(width=[3, 16], rank=[1, 3], teacher_beta=[1.0, 3.0], n=[10, 64])),
    ("parameter", "forward", "mean", "optimal",
     dict(rank=[1, 2], width=[2, 9, 16], teacher_ridge=[0.5, 2.0], ridge=[0.3, 3.0])),
    ("parameter", "reverse", "sampled+noise", 0.4,
     dict(alpha=[0.0, 0.5, 1.0], soft_label_noise=[0.1, 0.3], rank=[2], beta=[1.0, 4.0])),
    ("prediction", "forward", "mean", "prior",
     dict(tau2=[0.1, 2.0], teacher_ridge=[0.5, 2.0], width=[5, 9])),
]


@pytest.mark.parametrize("space,direction,soft,cv,grids", SWEEP_CASES)
def test_sweep_equals_loop(space, direction, soft, cv, grids):
    design = SpectralDesign.power_law(16, 4, 32, noise=0.5)
    student = Student(2.0, 0.5, width=8, rank=2, rank_rule="oracle", complement_variance=cv,
                      soft_labels=soft, soft_label_noise=0.2 if soft == "sampled+noise" else 0)
    res = sweep(TEACHER, student, design, space=space, direction=direction, **grids)
    assert list(res.axes) == list(grids)
    assert res.shape == tuple(len(v) for v in grids.values())
    for idx, want in loop(TEACHER, student, design, space, direction, grids).items():
        close({name: float(res[name][idx]) for name in want}, want, rtol=1e-12)


def test_sweep_with_the_default_rank_and_a_sample_design():
    sample = Sample.synthetic(10, 3, 15, noise=0.5, seed=4)
    student = Student(2.0, 1.0, rank_rule="oracle")            # rank = min(k, width)
    grids = dict(width=[1, 2, 6, 10], ridge=[0.3, 3.0])
    res = sweep(TEACHER, student, sample, **grids)
    for idx, want in loop(TEACHER, student, sample, "parameter", "forward", grids).items():
        close({name: float(res[name][idx]) for name in want}, want, rtol=1e-12)


def test_sweep_without_grids_is_the_single_configuration():
    design = SpectralDesign.power_law(12, 3, 20)
    student = Student(2.0, 1.0, width=6, rank=2, rank_rule="oracle")
    res = sweep(TEACHER, student, design)
    assert res.shape == ()
    close({k: float(v) for k, v in res.terms.items()},
          expected_divergence(TEACHER, student, design).as_dict(), rtol=1e-13)


def test_mode_terms_symmetric_is_the_sum_of_both_directions():
    args = dict(s=np.array([0.0, 1.0, 4.0]), beta_T=2.0, lambda_T=1.0, beta_S=1.0,
                lambda_S=3.0, alpha=0.2, nu=0.5, nu_T=0.1, tau2=0.7, k=3, r=2,
                thetaQ2=np.array([1.0, 0.5, 0.2]), thetaP2=0.3)
    both = mode_terms("prediction", "sampled+noise", "symmetric", "expected", "kept", **args)
    fwd = mode_terms("prediction", "sampled+noise", "forward", "expected", "kept", **args)
    rev = mode_terms("prediction", "sampled+noise", "reverse", "expected", "kept", **args)
    for name in both:
        assert both[name].shape == (3,)
        np.testing.assert_allclose(both[name], fwd[name] + rev[name], rtol=1e-15)


# --------------------------------------------------------------------------------------------
# The fast path does not import sympy
# --------------------------------------------------------------------------------------------

def test_import_and_first_result_do_not_import_sympy():
    code = ("import sys, lingauss\n"
            "d = lingauss.SpectralDesign.power_law(64, 8, 128)\n"
            "s = lingauss.Student(2.0, 1.0, width=16, rank_rule='oracle')\n"
            "print(lingauss.expected_divergence(lingauss.Teacher(2.0, 1.0), s, d).total > 0)\n"
            "print('sympy' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.stdout.split() == ["True", "False"], out.stderr


# --------------------------------------------------------------------------------------------
# Bad input: one clear message
# --------------------------------------------------------------------------------------------

DESIGN = SpectralDesign.power_law(8, 3, 12)
ORACLE = Student(2.0, 1.0, width=4, rank=2, rank_rule="oracle")


@pytest.mark.parametrize("call,message", [
    (lambda: expected_divergence(TEACHER, Student(2.0, 1.0), DESIGN),
     "rank_rule == 'optimal' depends on the labels, so the expected divergence has no closed "
     "form: pass monte_carlo=N to average the exact divergence over N label draws, or use "
     "rank_rule='oracle' or a fixed (k, r) matrix."),
    (lambda: expected_divergence(TEACHER, ORACLE.replace(basis="first"), DESIGN),
     "basis == 'first' does not diagonalise the kernels, so the expected divergence has no "
     "closed form: pass monte_carlo=N, or use basis='pca'."),
    (lambda: expected_divergence(TEACHER, ORACLE, DESIGN, seed=3),
     "seed == 3 is set but monte_carlo is None: the closed form draws nothing; pass "
     "monte_carlo=N or drop the seed."),
    (lambda: expected_divergence(TEACHER, ORACLE, DESIGN, monte_carlo=1),
     "monte_carlo == 1, must be >= 2."),
    (lambda: expected_divergence(TEACHER, ORACLE, SpectralDesign([1.0, 2.0], [1.0, 1.0], 0.0,
                                                                 2), space="prediction"),
     "design.noise == 0, must be > 0 when space == 'prediction' (the label channel WX + νE "
     "needs noise)."),
    (lambda: expected_divergence(TEACHER, ORACLE, Sample(np.eye(8), np.ones((3, 8)))),
     "an expectation over the label noise needs the true weights: design.W_star is None."),
    (lambda: expected_divergence(TEACHER, ORACLE.replace(complement_variance="optimal"),
                                 DESIGN, direction="reverse"),
     "complement_variance == 'optimal' minimises the reverse divergence of each sample, which "
     "depends on the labels, so the expected divergence has no closed form: pass "
     "monte_carlo=N, or use direction='forward' or a fixed complement_variance."),
    (lambda: sweep(TEACHER, ORACLE.replace(complement_variance="optimal"), DESIGN,
                   direction="symmetric"),
     "complement_variance == 'optimal' minimises the symmetric divergence of each sample, "
     "which depends on the labels, so the sweep has no closed form: use direction='forward' "
     "or a fixed complement_variance."),
    (lambda: expected_divergence(TEACHER, ORACLE, "design"),
     "design == 'design', must be a lingauss.Sample or a lingauss.SpectralDesign."),
    (lambda: expected_divergence(TEACHER, ORACLE.replace(width=9), DESIGN),
     "width == 9, must be <= d == 8."),
    (lambda: expected_divergence(TEACHER, ORACLE, SpectralDesign(np.ones(8), np.ones(8), 0.5,
                                                                 3), monte_carlo=5),
     "design.signal has shape (d,) (energies only): Monte Carlo draws labels and needs the "
     "vectors θ_i, a (k, d) signal."),
    (lambda: sweep(TEACHER, ORACLE, DESIGN, ranks=[1]),
     "Unknown value for grid: 'ranks'. Possible values: ('rank', 'width', 'beta', 'ridge', "
     "'alpha', 'tau2', 'soft_label_noise', 'teacher_beta', 'teacher_ridge', 'n')."),
    (lambda: sweep(TEACHER, ORACLE, DESIGN, rank=[1, 3], width=[2, 4]),
     "rank == 3 with width == 2, must be <= min(k, width) == 2."),
    (lambda: sweep(TEACHER, ORACLE, DESIGN, ridge=[1.0, -1.0]), "ridge[1] == -1, must be > 0."),
    (lambda: sweep(TEACHER, ORACLE, DESIGN, width=[4, 9]), "width[1] == 9, must be <= d == 8."),
    (lambda: sweep(TEACHER, ORACLE, SpectralDesign(np.ones(8), np.ones(8), 0.5, 3), n=[3]),
     "an n grid needs a SpectralDesign with n (eigenvalues n·σ_i), e.g. "
     "SpectralDesign.power_law."),
    (lambda: sweep(TEACHER, ORACLE.replace(rank_rule=np.eye(3)[:, :2], rank=None), DESIGN,
                   rank=[1]),
     "a rank grid needs rank_rule='oracle': the rank_rule matrix fixes rank == 2."),
    (lambda: sweep(TEACHER, Student(2.0, 1.0), DESIGN, rank=[1]),
     "rank_rule == 'optimal' depends on the labels, so the sweep has no closed form: use "
     "rank_rule='oracle' or a fixed (k, r) matrix."),
    (lambda: SpectralDesign([1.0, 2.0], [[1.0, 2.0]], 0.5, 2),
     "signal has shape (1, 2), must have k == 2 along axis 0."),
    (lambda: SpectralDesign([1.0, 2.0], [1.0, -2.0], 0.5, 2),
     "signal has a negative entry (-2 at index 1), must be >= 0 (energies ‖θ_i‖²)."),
])
def test_bad_input_messages(call, message):
    with pytest.raises(LingaussError) as info:
        call()
    assert str(info.value) == message


def test_public_api_is_small():
    # 16 since issue 13 named lingauss.RandomDesign; the exact list: tests/engine/test_divergence.py
    assert len(lingauss.__all__) <= 16
    assert {"SpectralDesign", "expected_divergence", "sweep"} <= set(lingauss.__all__)
    assert set(TERMS) >= {"total", "bias", "variance", "rank_bottleneck"}


def test_monte_carlo_repr_shows_standard_errors():
    sample = Sample.synthetic(6, 2, 10, noise=0.5, seed=0)
    dec = expected_divergence(TEACHER, Student(2.0, 1.0, width=3), sample, monte_carlo=5,
                              seed=0)
    assert f"total={dec.total:.6g}±{dec.stderr['total']:.2g}" in repr(dec)
    assert "<th>std. error</th>" in dec._repr_html_()


def test_sweep_with_the_default_rank_and_no_width_grid_has_the_grid_shape():
    # regression (found by examples/student_ridge_from_ridge_teacher.py): an extra length-1
    # width axis when the student has the default rank and no width grid is given
    design = SpectralDesign.power_law(d=16, k=4, n=32)
    res = sweep(Teacher(2.0, 1.0), Student(2.0, 1.0, rank_rule="oracle"), design,
                ridge=[0.5, 1.0, 2.0])
    assert res.shape == (3,) and res["total"].shape == (3,)
    for i, lam in enumerate([0.5, 1.0, 2.0]):
        want = expected_divergence(Teacher(2.0, 1.0), Student(2.0, lam, rank_rule="oracle"),
                                   design).total
        assert res["total"][i] == pytest.approx(want, rel=1e-12)
