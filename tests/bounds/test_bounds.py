"""Generalisation-gap bounds beside the exact gaps (derivations/bounds.md).

Routes held equal here:
* the exact gaps (Efron, closed form or Monte Carlo) == direct simulation with fresh labels
  (4σ, fixed seeds), for every soft-label mode, the oracle rule and the optimal rule;
* the student mean of lingauss.bounds == the divergence engine's (the covariance part of
  K_n(S) does not depend on the labels);
* the sympy checks of every algebraic step (the block in derivations/bounds.md).

Properties: every bound holds on random instances (hypothesis); the exact-CGF bounds are never
looser than the sub-Gaussian ones they refine (U2 <= U1; the joint CGF never above its valid
sub-gamma relaxation) and U1 <= U3; ρ₀ separates where the sharpness bound wins.
"""

import math
import pathlib
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingauss import LingaussError, Sample, Student, Teacher, divergence
from lingauss.bounds import (BoundViolationWarning, GapCGF, bounds_table, central_lower_bound,
                             dv_bound, exact_cgf_bound, exact_gaps, gap_cgf, largest_eta,
                             sharpness_bound, simulate_gaps, tightness_radius)

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEACHER = Teacher(2.0, 1.3)
SAMPLE = Sample.synthetic(6, 3, 10, noise=0.5, seed=4)
Z = 4.0


def within(a, b, se, z=Z):
    return abs(a - b) <= z * se


# --------------------------------------------------------------------------------------------
# 1. The algebra (derivations/bounds.md §8)
# --------------------------------------------------------------------------------------------

def test_sympy_checks_in_the_derivation():
    text = (ROOT / "derivations" / "bounds.md").read_text(encoding="utf-8")
    section = text.split("## 8. Sympy checks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert code.count("assert") >= 30
    exec(compile(code, "derivations/bounds.md §8", "exec"), {})


# --------------------------------------------------------------------------------------------
# 2. Exact gaps against direct simulation (fresh labels at the same inputs)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("soft", ["mean", "sampled", "sampled+noise"])
def test_exact_gaps_match_simulation_oracle(soft):
    student = Student(1.5, 0.7, alpha=0.3, width=4, rank=2, rank_rule="oracle",
                      soft_labels=soft, soft_label_noise=0.4 if soft == "sampled+noise" else 0)
    exact = exact_gaps(TEACHER, student, SAMPLE)
    sim = simulate_gaps(TEACHER, student, SAMPLE, monte_carlo=6000, seed=11)
    for name in ("teacher", "student", "difference"):
        assert within(getattr(exact, name), getattr(sim, name), sim.stderr[name]), name
    assert exact.difference < 0 < exact.student < exact.teacher      # not a vacuous check


@pytest.mark.parametrize("soft", ["mean", "sampled"])
def test_exact_gaps_match_simulation_optimal_rule(soft):
    student = Student(1.5, 0.7, alpha=0.3, width=5, rank=2, basis="first", soft_labels=soft)
    exact = exact_gaps(TEACHER, student, SAMPLE, monte_carlo=3000, seed=5)
    sim = simulate_gaps(TEACHER, student, SAMPLE, monte_carlo=6000, seed=12)
    for name in ("teacher", "student", "difference"):
        se = math.hypot(exact.stderr[name], sim.stderr[name])
        assert within(getattr(exact, name), getattr(sim, name), se), name


def test_closed_form_gap_equals_its_monte_carlo():
    student = Student(0.8, 2.0, alpha=0.6, width=3, rank=1, rank_rule="oracle")
    closed = exact_gaps(TEACHER, student, SAMPLE)
    mc = exact_gaps(TEACHER, student, SAMPLE, monte_carlo=4000, seed=3)
    assert mc.teacher == closed.teacher
    assert within(mc.difference, closed.difference, mc.stderr["difference"])


def test_gap_of_a_student_that_is_the_teacher_is_the_teachers():
    same = Student(TEACHER.beta, TEACHER.ridge, alpha=1.0, rank_rule="oracle")
    gaps = exact_gaps(TEACHER, same, SAMPLE)
    assert abs(gaps.difference) <= 1e-12 * gaps.teacher
    table = bounds_table(TEACHER, same, SAMPLE, monte_carlo=5)
    assert table.kl == 0 and table.radius < 1e-12
    for row in table.rows:
        assert not row.violated
    assert table["subgaussian"].bound == 0 and table["sharpness"].bound < 1e-10


def test_student_mean_agrees_with_the_divergence_engine():
    """For a fixed projector the covariance part of K_n(S) does not depend on the labels, so
    K_n(S) − ½ Σ_j δ_j A_T δ_jᵀ is one number across draws — only if our M_S is the engine's."""
    for basis, soft in (("pca", "sampled"), ("first", "mean")):
        student = Student(1.5, 0.7, alpha=0.3, width=4, rank=2, basis=basis,
                          rank_rule="oracle", soft_labels=soft)
        table = bounds_table(TEACHER, student, SAMPLE, monte_carlo=8, seed=1)
        cov_part = table.draws["kl"] - table.draws["mean_part"]
        assert np.ptp(cov_part) <= 1e-10 * np.max(table.draws["kl"])
        assert np.min(cov_part) >= -1e-10


# --------------------------------------------------------------------------------------------
# 3. Every bound holds on random instances
# --------------------------------------------------------------------------------------------

@st.composite
def instances(draw):
    d = draw(st.integers(2, 6))
    k = draw(st.integers(1, 3))
    n = draw(st.integers(2, 9))
    width = draw(st.integers(1, d))
    rank = draw(st.integers(1, min(k, width)))
    pos = st.floats(0.2, 4.0)
    soft = draw(st.sampled_from(["mean", "sampled", "sampled+noise"]))
    student = Student(
        draw(pos), draw(pos), alpha=draw(st.floats(0.0, 1.0)), width=width, rank=rank,
        basis=draw(st.sampled_from(["pca", "first"])),
        rank_rule=draw(st.sampled_from(["oracle", "optimal"])),
        complement_variance=draw(st.sampled_from(["prior", "optimal", 0.5])),
        soft_labels=soft, soft_label_noise=0.3 if soft == "sampled+noise" else 0.0)
    sample = Sample.synthetic(d, k, n, noise=draw(st.floats(0.1, 2.0)),
                              seed=draw(st.integers(0, 10_000)))
    return Teacher(draw(pos), draw(pos)), student, sample


@given(instances(), st.floats(0.1, 1.0))
def test_every_bound_holds_on_random_instances(instance, c):
    teacher, student, sample = instance
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundViolationWarning)
        table = bounds_table(teacher, student, sample, monte_carlo=24, seed=0, c=c)
    assert not any(row.violated for row in table.rows), str(table)
    per = table.draws
    scale = 1e-9 * (1 + np.max(per["kl"]))
    # per sample, deterministic theorems: ½‖δ‖²_{A_T} <= K_n(S); |Δ_S| <= √(2σ_S² K_n(S))
    assert np.all(per["mean_part"] <= per["kl"] + scale)
    assert np.all(np.abs(per["difference"])
                  <= np.sqrt(2 * per["sigma2"] * per["kl"]) + 1e-9 * (1 + table.gaps.teacher))
    # η* = c n β_T, computed by the root finder from the averaged CGF
    assert math.isclose(table.eta, c * sample.n * teacher.beta, rel_tol=1e-9)
    # the table's flag is the definition of ρ₀
    assert table.sharpness_tighter == (table["sharpness"].bound < table["subgaussian"].bound)


# --------------------------------------------------------------------------------------------
# 4. The exact-CGF bounds against the sub-Gaussian ones
# --------------------------------------------------------------------------------------------

@given(instances())
def test_exact_cgf_never_looser_than_subgaussian(instance):
    teacher, student, sample = instance
    table = bounds_table(teacher, student, sample, monte_carlo=16, seed=2)
    per = table.draws
    # U2 <= U1 on the draws themselves (Cauchy–Schwarz on the empirical measure)
    u2 = np.mean(np.sqrt(2 * per["sigma2"] * per["kl"]))
    u1 = math.sqrt(2 * np.mean(per["sigma2"]) * np.mean(per["kl"]))
    assert u2 <= u1 * (1 + 1e-12)
    # averaged law: the exact-CGF bound *is* the sub-Gaussian bound at σ̄², and below any
    # larger (valid) proxy
    avg = gap_cgf(teacher, sample)
    exact = exact_cgf_bound(table.kl, avg)
    assert math.isclose(exact.upper, dv_bound(table.kl, sigma2=avg.variance), rel_tol=1e-9)
    assert math.isclose(-exact.lower, exact.upper, rel_tol=1e-9)
    assert exact.upper <= dv_bound(table.kl, sigma2=1.5 * avg.variance)
    # conditional law, one sample: exact = √(2σ_S² K_n(S))
    cond = gap_cgf(teacher, sample, law="conditional")
    k_s = divergence(teacher, student, sample).total
    assert math.isclose(exact_cgf_bound(k_s, cond).absolute,
                        math.sqrt(2 * cond.variance * k_s), rel_tol=1e-9)
    # joint law: never above its valid sub-gamma relaxation √(2vK) + K/λ_±, never below U1
    joint = gap_cgf(teacher, sample, law="joint")
    jb = exact_cgf_bound(table.kl, joint)
    lo, up = joint.domain
    v, K = joint.variance, table.kl
    assert jb.upper <= math.sqrt(2 * v * K) + K / up + 1e-12
    assert -jb.lower <= math.sqrt(2 * v * K) + (K / -lo if math.isfinite(lo) else 0) + 1e-12
    u1_closed = dv_bound(K, sigma2=avg.variance)
    assert min(jb.upper, -jb.lower) >= u1_closed * (1 - 1e-9)
    assert table["joint_cgf"].bound >= table["subgaussian"].bound * (1 - 1e-9)
    # optimality of λ*: no λ in the domain does better
    for frac in (0.1, 0.5, 0.9, 0.999):
        lam = frac * up
        assert jb.upper <= (K + joint(lam)) / lam * (1 + 1e-9)


def test_joint_cgf_matches_simulated_moments():
    """The joint CGF's mean and variance are the gap's under the teacher's joint law."""
    sample = Sample.synthetic(4, 2, 6, noise=0.7, seed=9)
    joint = gap_cgf(TEACHER, sample, law="joint")
    rng = np.random.default_rng(0)
    X, n = sample.X, sample.n
    A = TEACHER.beta * X @ X.T + TEACHER.ridge * np.eye(4)
    L = np.linalg.cholesky(A)
    vals = []
    for _ in range(20000):
        Y = sample.W_star @ X + sample.noise * rng.standard_normal((2, n))
        M = TEACHER.beta * Y @ X.T @ np.linalg.inv(A)
        W = M + np.linalg.solve(L.T, rng.standard_normal((4, 2))).T
        test = np.sum(((sample.W_star - W) @ X) ** 2) / n + 2 * sample.noise ** 2
        vals.append(test - np.sum((Y - W @ X) ** 2) / n)
    vals = np.array(vals)
    assert within(vals.mean(), joint.mean, vals.std() / math.sqrt(len(vals)))
    assert abs(vals.var() / joint.variance - 1) < 0.05


def test_largest_eta_joint_is_a_root_and_smaller():
    avg, joint = gap_cgf(TEACHER, SAMPLE), gap_cgf(TEACHER, SAMPLE, law="joint")
    for c in (0.2, 1.0):
        eta_avg, eta_joint = largest_eta(avg, c=c), largest_eta(joint, c=c)
        assert math.isclose(eta_avg, c * SAMPLE.n * TEACHER.beta, rel_tol=1e-12)
        assert 0 < eta_joint < eta_avg
        assert math.isclose(joint(-eta_joint), eta_joint * c * joint.mean, rel_tol=1e-8)
    # the central bound never beats the lower side of U1 (it is a relaxation of the CGF)
    for K in (0.01, 1.0, 50.0):
        for c in (0.05, 0.3, 1.0):
            low = central_lower_bound(K, eta=largest_eta(avg, c=c), c=c, teacher_gap=avg.mean)
            assert low <= -dv_bound(K, sigma2=avg.variance) * (1 - 1e-12)


# --------------------------------------------------------------------------------------------
# 5. The tightness radius
# --------------------------------------------------------------------------------------------

@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3),
       st.floats(0.0, 1e3))
def test_tightness_radius_separates(kl, sigma2, gradient, curvature):
    rho0 = tightness_radius(kl, sigma2=sigma2, gradient=gradient, curvature=curvature)
    sub = dv_bound(kl, sigma2=sigma2)
    at = dict(gradient=gradient, curvature=curvature)
    assert math.isclose(sharpness_bound(rho0, **at), sub, rel_tol=1e-9)
    assert sharpness_bound(rho0 * (1 - 1e-6), **at) < sub            # inside: tighter
    assert sharpness_bound(rho0 * (1 + 1e-6), **at) > sub            # outside: not
    # a flatter teacher (smaller curvature or gradient) widens the regime
    assert tightness_radius(kl, sigma2=sigma2, gradient=gradient,
                            curvature=2 * curvature + 1) < rho0
    assert tightness_radius(kl, sigma2=sigma2, gradient=gradient / 2,
                            curvature=curvature) > rho0


def test_tightness_radius_in_the_model_flattens_with_the_teacher():
    """ρ₀²/(2K) = σ̄²/γ² = Σ(s/a)/Σ s grows as the loss flattens (X → tX, t ↓), up to 1/λ_T,
    and the sharpness bound is tighter exactly inside ρ₀ — on both sides in this sweep."""
    student = Student(1.5, 0.7, alpha=0.3, width=4, rank=2, rank_rule="oracle")
    ratios, inside = [], set()
    for t in (3.0, 1.0, 0.3, 0.1):
        sample = Sample(t * SAMPLE.X, SAMPLE.W_star @ (t * SAMPLE.X)
                        + (SAMPLE.Y - SAMPLE.W_star @ SAMPLE.X), W_star=SAMPLE.W_star,
                        noise=SAMPLE.noise)
        table = bounds_table(TEACHER, student, sample, monte_carlo=4)
        ratio = table.tightness_radius ** 2 / (2 * table.kl)
        assert math.isclose(ratio, table.sigma2 / table.gradient ** 2, rel_tol=1e-9)
        assert ratio <= 1 / TEACHER.ridge
        ratios.append(ratio)
        inside.add(table.sharpness_tighter)
        assert table.sharpness_tighter == (table.radius < table.tightness_radius)
    assert ratios == sorted(ratios)
    inside_student = Student(1.5, 0.7, alpha=0.3, width=4, rank=2, rank_rule="oracle")
    outside_student = Student(0.2, 4.0, alpha=0.0, width=6, rank=3, rank_rule="oracle",
                              complement_variance=1 / 1.3)
    t_in = bounds_table(TEACHER, inside_student, SAMPLE, monte_carlo=4)
    t_out = bounds_table(Teacher(20.0, 0.05), outside_student, SAMPLE, monte_carlo=4)
    assert t_in.sharpness_tighter and not t_out.sharpness_tighter
    assert t_out["sharpness"].bound > t_out["subgaussian"].bound


# --------------------------------------------------------------------------------------------
# 6. Reporting a violated bound, and validation
# --------------------------------------------------------------------------------------------

def test_a_violated_bound_is_reported_loudly(monkeypatch):
    import lingauss.bounds.table as table_module
    monkeypatch.setattr(table_module, "dv_bound", lambda kl, *, sigma2: 0.0)
    student = Student(1.5, 0.7, width=4, rank=2, rank_rule="oracle")
    with pytest.warns(BoundViolationWarning, match="subgaussian .* is violated"):
        table = bounds_table(TEACHER, student, SAMPLE, monte_carlo=4)
    assert table["subgaussian"].violated and "VIOLATED" in str(table)
    with pytest.raises(LingaussError, match="bound violated"):
        bounds_table(TEACHER, student, SAMPLE, monte_carlo=4, on_violation="raise")


@pytest.mark.parametrize("call, message", [
    (lambda: dv_bound(1.0, sigma2=-2.0), "sigma2 == -2, must be >= 0."),
    (lambda: central_lower_bound(1.0, eta=0.0, c=1.0, teacher_gap=1.0),
     "eta == 0, must be > 0."),
    (lambda: largest_eta(GapCGF.gaussian(1.0, mean=1.0), c=1.5), "c == 1.5, must be <= 1."),
    (lambda: exact_cgf_bound(1.0, 2.0),
     "cgf == 2.0, must be a lingauss.bounds.GapCGF (see gap_cgf)."),
    (lambda: gap_cgf(TEACHER, SAMPLE, law="marginal"),
     "Unknown value for law: 'marginal'. Possible values: ('conditional', 'averaged', "
     "'joint')."),
    (lambda: gap_cgf(TEACHER, Sample(SAMPLE.X, SAMPLE.Y, noise=0.5), law="joint"),
     "gap_cgf(law='joint') needs the true weights: sample.W_star is None."),
    (lambda: exact_gaps(TEACHER, Student(1.0, 1.0, rank_rule="oracle"),
                        Sample(SAMPLE.X, SAMPLE.Y, W_star=SAMPLE.W_star)),
     "exact_gaps needs the label noise: sample.noise is None."),
    (lambda: exact_gaps(TEACHER, Student(1.0, 1.0, rank_rule="oracle"), SAMPLE, seed=3),
     "seed == 3 is set but monte_carlo is None: the closed form draws nothing; pass "
     "monte_carlo=N or drop the seed."),
    (lambda: bounds_table(TEACHER, Student(1.0, 1.0), SAMPLE, on_violation="ignore"),
     "Unknown value for on_violation: 'ignore'. Possible values: ('warn', 'raise')."),
    (lambda: bounds_table(TEACHER, Student(1.0, 1.0), Sample(SAMPLE.X, SAMPLE.Y,
                                                             W_star=SAMPLE.W_star, noise=0.0)),
     "sample.noise == 0, must be > 0 for bounds_table (without label noise every gap is 0 "
     "and the cumulant generating function degenerates)."),
    (lambda: simulate_gaps(TEACHER, Student(1.0, 1.0), SAMPLE, monte_carlo=1),
     "monte_carlo == 1, must be >= 2."),
    (lambda: exact_gaps("teacher", Student(1.0, 1.0), SAMPLE),
     "teacher == 'teacher', must be a lingauss.Teacher."),
])
def test_validation_messages(call, message):
    with pytest.raises(LingaussError) as info:
        call()
    assert str(info.value) == message


# --------------------------------------------------------------------------------------------
# lingauss bounds (the CLI)
# --------------------------------------------------------------------------------------------

def test_bounds_cli_json_table_and_plot(tmp_path, capsys):
    import json

    from lingauss.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text("[data]\nd = 6\nk = 3\nn = 12\nnoise = 0.5\n[teacher]\nbeta = 2.0\n"
                    "ridge = 1.0\n[student]\nbeta = 2.0\nridge = 2.0\nwidth = 4\n"
                    "rank_rule = \"oracle\"\n", encoding="utf-8")
    assert main(["bounds", str(spec), "--json", "--monte-carlo", "20",
                 "--plot", str(tmp_path / "b.png")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["soft_labels"] for row in rows} == {"mean", "sampled", "sampled+noise"}
    assert {row["rank"] for row in rows} == {1, 2, 3}
    assert {row["width"] for row in rows} == {4, 6}       # the spec's width and d
    assert all(row["violated"] is False for row in rows)          # JSON booleans (issue 15)
    assert all(isinstance(row["value"], float) for row in rows)   # numbers, not strings
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.warns(DeprecationWarning, match="--table is renamed --format"):
        assert main(["bounds", str(spec), "--table", "xls"]) == 2
    assert capsys.readouterr().err.startswith("lingauss: error: Unknown value for --table")


def test_bounds_cli_reports_a_violation_loudly(tmp_path, capsys, monkeypatch):
    import dataclasses

    from lingauss.bounds import report as B
    from lingauss.cli import main

    real = B.bounds_table

    def broken(*args, **kwargs):
        table = real(*args, **kwargs)
        rows = (dataclasses.replace(table.rows[0], violated=True),) + table.rows[1:]
        return dataclasses.replace(table, rows=rows)

    monkeypatch.setattr(B, "bounds_table", broken)
    spec = tmp_path / "s.toml"
    spec.write_text("[data]\nd = 4\nk = 2\nn = 8\nnoise = 0.5\n[teacher]\nbeta = 2.0\n"
                    "ridge = 1.0\n[student]\nbeta = 2.0\nridge = 2.0\n"
                    "rank_rule = \"oracle\"\n", encoding="utf-8")
    assert main(["bounds", str(spec), "--monte-carlo", "10"]) == 1
    captured = capsys.readouterr()
    assert "VIOLATED" in captured.out and "WARNING" in captured.err
