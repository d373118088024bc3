"""The proportional regime over γ (issue 13, item 4): lingauss.gamma_sweep, its plots, the
``[data] random = true`` spec, ``lingauss sweep --gamma`` and the plot kinds ``risk-vs-gamma``
and ``gamma-width``.

Routes held equal: the equivalents vectorised over γ against the per-design equivalents
(``deterministic_risk`` / ``deterministic_divergence`` on a design moved to ``n = d/γ``); the
Monte Carlo points and grid cells against direct ``lingauss.risk`` /
``lingauss.expected_divergence`` calls; the ridgeless limits against the independent
closed forms of Hastie, Montanari, Rosset & Tibshirani (2022, Thm 1); every command-line
number against the library.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from tests.helpers.cli import cli, write_spec

import lingauss
from lingauss import LingaussError, RandomDesign, Sample, Student, Teacher
from lingauss.averages.deterministic import (deterministic_divergence, deterministic_risk,
                                             divergence_terms, risk_terms)
from lingauss.averages.labels import expected_divergence
from lingauss.chains.risk import risk
from lingauss.explore.gamma_sweep import at_sample_size, gamma_sweep, gamma_width_grid
from lingauss.io.spec import loads_spec

RANDOM_SPEC = """
[data]
random = true
d = 16
k = 3
n = 32
spectrum_exponent = 0.5
seed = 3
[teacher]
beta = 1.0
ridge = 0.64
[student]
beta = 2.0
ridge = 3.2
alpha = 0.3
rank = 2
rank_rule = "oracle"
"""


def design_and_models():
    design = RandomDesign.power_law(d=24, k=3, n=48, spectrum_exponent=0.7, noise=0.6)
    return design, Teacher(1.5, 2.0), Student(0.8, 6.0, alpha=0.4, rank=2,
                                               rank_rule="oracle", complement_variance=0.05)


# ------------------------------------------------------------------------------------------
# the vectorised equivalents against the per-design ones
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("estimator", ["mean", "gibbs"])
def test_risk_over_gamma_equals_the_design_moved_to_each_n(estimator):
    design, teacher, student = design_and_models()
    ns = [8, 24, 48, 120]
    gammas = [design.d / n for n in ns]
    for who in (None, student):
        over = risk_terms(teacher, who, design, gamma=gammas, estimator=estimator)
        assert np.allclose(over["total"], over["bias"] + over["variance"], rtol=1e-14)
        for i, n in enumerate(ns):
            t, s, moved = at_sample_size(teacher, student, design, n)
            direct = deterministic_risk(t, None if who is None else s, moved,
                                        estimator=estimator)
            for name in ("bias", "variance", "posterior", "total"):
                assert over[name][i] == pytest.approx(getattr(direct, name), rel=1e-10), \
                    (who, n, name)


def test_divergence_over_gamma_equals_the_design_moved_to_each_n():
    design, teacher, student = design_and_models()
    ns = [8, 24, 48, 120]
    over = divergence_terms(teacher, student, design, gamma=[design.d / n for n in ns])
    kd = design.k * design.d
    for i, n in enumerate(ns):
        t, s, moved = at_sample_size(teacher, student, design, n)
        direct = deterministic_divergence(t, s, moved)
        for name in ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
                     "bottleneck_covariance", "rank_floor"):
            assert over[name][i] * kd == pytest.approx(getattr(direct, name), rel=1e-10,
                                                       abs=1e-12), (n, name)
    parts = over["bias"] + over["variance"] + over["rank_bottleneck"]
    assert np.allclose(over["total"], parts, rtol=1e-13)


def test_at_sample_size_holds_the_normalised_ridges_and_n_tau2():
    design, teacher, student = design_and_models()
    t, s, moved = at_sample_size(teacher, student, design, 96)
    assert t.ridge / (t.beta * 96) == pytest.approx(teacher.ridge / (teacher.beta * 48))
    assert s.ridge / (s.beta * 96) == pytest.approx(student.ridge / (student.beta * 48))
    assert 96 * s.complement_variance == pytest.approx(48 * student.complement_variance)
    assert (moved.n, moved.gamma) == (96, 0.25)
    assert np.array_equal(moved.covariance, design.covariance)
    prior = student.replace(complement_variance="prior")
    assert at_sample_size(teacher, prior, design, 96)[1].complement_variance == "prior"


# ------------------------------------------------------------------------------------------
# independent closed forms: ridgeless isotropic regression (Hastie et al. 2022, Thm 1)
# ------------------------------------------------------------------------------------------

def test_ridgeless_isotropic_risk_is_the_known_double_descent():
    d, r2, nu = 50, 2.0, 0.7
    design = RandomDesign([1.0] * d, n=100, W_star=np.full((1, d), np.sqrt(r2 / d)),
                          noise=nu)
    teacher = Teacher(1.0, 1e-9 * 100)                        # λ̄ = λ/(βn) = 1e-9
    gammas = np.array([0.2, 0.5, 0.8, 1.25, 2.0, 5.0])
    out = risk_terms(teacher, None, design, gamma=gammas)
    below = gammas < 1
    # γ < 1: no bias, variance ν²γ/(1 − γ); γ > 1: bias r²(1 − 1/γ), variance ν²/(γ − 1)
    bias = np.where(below, 0.0, r2 * (1 - 1 / gammas))
    variance = np.where(below, nu ** 2 * gammas / (1 - gammas), nu ** 2 / (gammas - 1))
    assert np.allclose(out["bias"], bias, rtol=1e-6, atol=1e-7)
    assert np.allclose(out["variance"], variance, rtol=1e-6)


def test_the_teacher_risk_peaks_at_the_interpolation_threshold():
    design = RandomDesign([1.0] * 40, n=80, W_star=np.full((1, 40), 0.2), noise=0.5)
    sw = gamma_sweep(Teacher(1.0, 0.08), Student(1.0, 8.0, alpha=0.5), design,
                     gamma=np.geomspace(0.1, 10, 201))
    peak = sw.gamma[np.argmax(sw.teacher["total"])]
    assert 0.85 < peak < 1.2
    # a strongly regularised student has no such peak: its risk rises monotonically in γ
    assert np.all(np.diff(sw.student["total"]) > 0)


# ------------------------------------------------------------------------------------------
# Monte Carlo points and the (γ, width) grid against direct calls
# ------------------------------------------------------------------------------------------

def test_monte_carlo_points_are_the_direct_calls_and_approach_the_equivalent():
    design = RandomDesign.power_law(d=48, k=2, n=96, spectrum_exponent=0.5)
    teacher, student = Teacher(1.0, 4.8), Student(1.0, 19.2, alpha=0.3)
    sw = gamma_sweep(teacher, student, design, gamma=[0.5, 2.0], monte_carlo=60,
                     at=[0.5, 2.0], seed=5)
    assert [p["n"] for p in sw.monte_carlo] == [96, 24]
    kd = design.k * design.d
    for p in sw.monte_carlo:
        t, s, moved = at_sample_size(teacher, student, design, p["n"])
        tr = risk(t, None, moved, kind="population", monte_carlo=60, seed=5)
        sr = risk(t, s, moved, kind="population", monte_carlo=60, seed=5)
        K = expected_divergence(t, s, moved, monte_carlo=60, seed=5)
        assert (p["teacher_risk"], p["student_risk"], p["K"]) == (
            tr.total, sr.total, K.total / kd)
        assert p["K_se"] == K.stderr["total"] / kd
        # the equivalent is O(1/d) from the finite-d mean (derivations/random_design.md §7)
        g = np.array([p["gamma"]])
        for mc, se, de in ((p["teacher_risk"], p["teacher_risk_se"],
                            risk_terms(teacher, None, design, gamma=g)["total"][0]),
                           (p["student_risk"], p["student_risk_se"],
                            risk_terms(teacher, student, design, gamma=g)["total"][0]),
                           (p["K"], p["K_se"],
                            divergence_terms(teacher, student, design, gamma=g)["total"][0])):
            assert abs(mc - de) <= 4 * se + 2.0 / design.d * de, (p["gamma"], mc, de, se)
    header, rows = sw.monte_carlo_rows()
    assert len(rows) == 2 and len(header) == len(rows[0])


def test_gamma_width_grid_cells_are_the_direct_calls():
    design = RandomDesign.power_law(d=8, k=2, n=16)
    teacher, student = Teacher(1.0, 1.6), Student(1.0, 3.2, rank=2)
    grid = gamma_width_grid(teacher, student, design, [0.5, 1.0, 1.01, 2.0], [1, 4, 8],
                            monte_carlo=6, seed=2)
    assert grid.gamma.tolist() == [0.5, 1.0, 2.0]              # 1.01 → n = 8 as well
    assert grid.n.tolist() == [16, 8, 4] and grid.K.shape == (3, 3)
    for i, n in enumerate(grid.n):
        t, s, moved = at_sample_size(teacher, student, design, int(n))
        for j, m in enumerate(grid.width):
            sm = s.replace(width=int(m), rank=min(2, int(m)))
            r = risk(t, sm, moved, kind="population", monte_carlo=6, seed=2)
            K = expected_divergence(t, sm, moved, monte_carlo=6, seed=2)
            assert grid.risk[i, j] == r.total and grid.risk_se[i, j] == r.stderr["total"]
            assert grid.K[i, j] == K.total / 16
    header, rows = grid.rows()
    assert len(rows) == 9 and rows[0][:3] == (0.5, 16, 1)


@pytest.mark.parametrize("call, message", [
    (lambda: gamma_sweep(Teacher(1.0, 1.0), Student(1.0, 1.0),
                         Sample.synthetic(d=4, k=1, n=8)), "design =="),
    (lambda: gamma_sweep(Teacher(1.0, 1.0), Student(1.0, 1.0),
                         RandomDesign.power_law(d=4, k=1, n=8), gamma=[1.0, -1.0]),
     "gamma[1] == -1, must be > 0."),
    (lambda: gamma_sweep(Teacher(1.0, 1.0), Student(1.0, 1.0),
                         RandomDesign.power_law(d=4, k=1, n=8), at=[1.0]),
     "Monte Carlo points (at=...) need monte_carlo=N input draws."),
    (lambda: gamma_sweep(Teacher(1.0, 1.0), Student(1.0, 1.0, width=2),
                         RandomDesign.power_law(d=4, k=1, n=8)),
     "no deterministic equivalent here: width == 2 < d == 4"),
    (lambda: gamma_width_grid(Teacher(1.0, 1.0), Student(1.0, 1.0),
                              RandomDesign.power_law(d=4, k=1, n=8), [1.0], [5]),
     "width[0] == 5"),
])
def test_gamma_sweep_validation(call, message):
    with pytest.raises(LingaussError) as info:
        call()
    assert message in str(info.value)


def test_gamma_sweep_displays_and_exports():
    design = RandomDesign.power_law(d=10, k=2, n=20)
    sw = gamma_sweep(Teacher(1.0, 1.0), Student(1.0, 2.0), design, gamma=[0.5, 2.0])
    header, rows = sw.rows()
    assert rows[1][0] == 2.0 and rows[1][header.index("K")] == sw.divergence["total"][1]
    assert "<table>" in sw._repr_html_() and "teacher_risk" in sw._repr_html_()
    xr = pytest.importorskip("xarray", reason="the data extra (xarray) is not installed")
    ds = sw.to_xarray()
    assert isinstance(ds, xr.Dataset) and ds.sizes["gamma"] == 2
    assert float(ds["student_total"][0]) == sw.student["total"][0]


# ------------------------------------------------------------------------------------------
# plots
# ------------------------------------------------------------------------------------------

def test_gamma_plot_draws_the_curves_and_the_points():
    from lingauss.plots.gamma import gamma_plot, gamma_width_heatmap

    design = RandomDesign.power_law(d=12, k=2, n=24)
    sw = gamma_sweep(Teacher(1.0, 0.5), Student(1.0, 2.0), design, monte_carlo=4, seed=0,
                     at=[0.5, 2.0])
    fig = gamma_plot(sw)
    left, right = fig.panels
    lines = {line.get_label(): line for line in left.get_lines()}
    assert np.array_equal(lines["student"].get_ydata(), sw.student["total"])
    assert np.array_equal(lines["teacher"].get_xdata(), sw.gamma)
    assert len(left.containers) == 2 and len(right.containers) == 1     # error bars
    grid = gamma_width_grid(Teacher(1.0, 0.5), Student(1.0, 2.0), design, [0.5, 1.0],
                            [6, 12], monte_carlo=3)
    heat = gamma_width_heatmap(grid)
    assert np.array_equal(heat.panels[0].images[0].get_array(), grid.risk)
    assert np.array_equal(heat.panels[1].images[0].get_array(), grid.K)


# ------------------------------------------------------------------------------------------
# the spec and the command line
# ------------------------------------------------------------------------------------------

def test_random_spec_builds_the_design_and_draws_its_sample():
    spec = loads_spec(RANDOM_SPEC)
    want = RandomDesign.power_law(d=16, k=3, n=32, spectrum_exponent=0.5,
                                  signal_exponent=1.0, noise=0.5)
    assert np.array_equal(spec.design.covariance, want.covariance)
    assert np.array_equal(spec.design.W_star, want.W_star) and spec.design.noise == 0.5
    drawn = want.draw(np.random.default_rng(3))
    assert np.array_equal(spec.sample.X, drawn.X) and np.array_equal(spec.sample.Y, drawn.Y)
    assert "one draw of a RandomDesign" in repr(spec)
    assert loads_spec(RANDOM_SPEC.replace("random = true", "random = false")).design is None
    assert lingauss.spec.default_spec().design is None


@pytest.mark.parametrize("change, message", [
    ("random = 1", "[data] random == 1, must be true or false."),
    ("random = true\nfile = 'x.npz'", "Ambiguous arguments: [data] has file"),
    ("random = true\nseed = -1", "[data] seed == -1, must be >= 0."),
])
def test_random_spec_errors(change, message):
    text = "[data]\nd = 4\nk = 1\nn = 4\n" + change + \
        "\n[teacher]\nbeta = 1.0\nridge = 1.0\n[student]\nbeta = 1.0\nridge = 1.0\n"
    with pytest.raises(LingaussError) as info:
        loads_spec(text)
    assert message in str(info.value)


@pytest.fixture()
def random_spec(tmp_path):
    return write_spec(tmp_path, RANDOM_SPEC, "random.toml")


def test_sweep_gamma_numbers_are_the_librarys(random_spec, capsys):
    code, out, err = cli(capsys, "sweep", random_spec, "--gamma", "0.25:4:5", "--format", "csv")
    assert code == 0 and err == ""
    rows = list(csv.reader(io.StringIO(out)))
    spec = lingauss.load_spec(random_spec)
    want = gamma_sweep(spec.teacher, spec.student, spec.design, np.geomspace(0.25, 4, 5))
    header, expected = want.rows()
    assert tuple(rows[0]) == header
    got = np.array([[float(x) for x in row] for row in rows[1:]])
    assert np.allclose(got, np.array(expected), rtol=1e-12)
    code, out, _ = cli(capsys, "sweep", random_spec, "--gamma", "0.5,2", "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data) == 2


def test_sweep_gamma_netcdf(random_spec, tmp_path, capsys):
    xr = pytest.importorskip("xarray", reason="the data extra (xarray) is not installed")
    target = tmp_path / "g.nc"
    code, out, _ = cli(capsys, "sweep", random_spec, "--gamma", "0.5,1,2", "--format",
                       "netcdf", "-o", target)
    assert code == 0 and target.exists()
    with xr.open_dataset(target) as ds:
        assert ds["gamma"].values.tolist() == [0.5, 1.0, 2.0]
        assert "K_total" in ds and "teacher_total" in ds


@pytest.mark.parametrize("args, message", [
    (["--gamma", "0:1:3"], "--gamma == '0:1:3', must be"),
    (["--gamma", "1:x"], "--gamma == '1:x', must be"),
    (["--gamma", "1", "--rank", "1"], "--gamma with --rank"),
    (["--gamma", "1", "--direction", "reverse"], "direction == 'reverse'"),
])
def test_sweep_gamma_errors_exit_2_and_write_nothing(random_spec, tmp_path, capsys, args,
                                                     message):
    target = tmp_path / "out.csv"
    code, out, err = cli(capsys, "sweep", random_spec, *args, "-o", target)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert err.count("\n") == 1 and not target.exists()


def test_sweep_gamma_needs_a_random_spec(capsys, tmp_path):
    path = tmp_path / "fixed.toml"
    path.write_text(RANDOM_SPEC.replace("random = true\n", ""), encoding="utf-8")
    code, _, err = cli(capsys, "sweep", path, "--gamma", "1")
    assert code == 2 and "needs a spec with random inputs" in err


@pytest.mark.parametrize("kind", ["risk-vs-gamma", "gamma-width"])
def test_plot_kinds_of_the_proportional_regime(random_spec, tmp_path, capsys, kind):
    target = tmp_path / f"{kind}.png"
    code, out, err = cli(capsys, "plot", random_spec, "--kind", kind, "-o", target)
    assert code == 0 and target.stat().st_size > 1000, err
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(RANDOM_SPEC.replace("random = true\n", ""), encoding="utf-8")
    code, _, err = cli(capsys, "plot", fixed, "--kind", kind, "-o", tmp_path / "no.png")
    assert code == 2 and "random = true" in err and not (tmp_path / "no.png").exists()


# ------------------------------------------------------------------------------------------
# finite or refuse (issue 16's promise, for the equivalents)
# ------------------------------------------------------------------------------------------

def _unit(d=4, **kw):
    args = dict(n=8, W_star=np.ones((1, d)), noise=0.5)
    args.update(kw)
    return RandomDesign(kw.pop("covariance", [1.0] * d), **{k: v for k, v in args.items()
                                                            if k != "covariance"})


@pytest.mark.parametrize("call, culprit", [
    (lambda: deterministic_risk(Teacher(1.0, 1.0), Student(1.0, 1.0),
                                _unit(covariance=[1e300] * 4)), "covariance is of size 1e+300"),
    (lambda: deterministic_risk(Teacher(1.0, 1.0), Student(1.0, 1.0),
                                _unit(W_star=np.full((1, 4), 1e200))), "W_star is of size 1e+200"),
    (lambda: deterministic_divergence(Teacher(1e300, 1.0), Student(1.0, 1.0), _unit()),
     "teacher.beta is of size 1e+300"),
    (lambda: risk_terms(Teacher(1.0, 1.0), None, _unit(), gamma=[1e300]),
     "gamma is of size 1e+300"),
    (lambda: divergence_terms(Teacher(1.0, 1.0), Student(1.0, 2.0),
                              _unit(d=8, covariance=np.geomspace(1e150, 1e-150, 8),
                                    W_star=np.ones((1, 8)))), "covariance is of size 1e+150"),
    (lambda: lingauss.proportional.divergence_equivalent(
        1.0, 1e300, 1.0, eigenvalues=[1.0], signal=[1.0], noise=0.5, beta=1.0,
        student_beta=1.0), "ridge is of size 1e+300"),
])
def test_equivalents_are_finite_or_refuse(call, culprit):
    """Finite inputs whose equivalent leaves double precision: one error naming the input of
    extreme size (the design's and the models' numbers, not the normalised ones), never a
    silent inf or NaN."""
    with pytest.raises(LingaussError) as info:
        call()
    message = str(info.value)
    assert "overflows double precision" in message and culprit in message, message


def test_the_divergence_equivalent_is_never_negative():
    """Every term is a KL (or its limit), so >= 0: the variance term with equal β and nearly
    equal ridges is a difference of O(Δ/γ) parts (it used to round to −1e-17), and the
    complement's term holds a Jensen gap that used to round to −1e-13 at small γ and large
    ridges. Exactly 0 when the student is the teacher."""
    rng = np.random.default_rng(1)
    gamma = np.geomspace(1e-4, 1e4, 40)[:, None]
    lam0 = np.geomspace(1e-8, 1e6, 40)[None, :]
    for _ in range(12):
        p = int(rng.integers(1, 50))
        sigma, theta = rng.lognormal(0, 3, p), rng.lognormal(0, 1, p)
        b = float(rng.lognormal())
        for rel in (0.0, 1e-15, 1e-12, 1e-8, 1e-4, 1e-2):
            same = rel == 0.0
            rank = 3 if same else int(rng.integers(1, 4))
            out = lingauss.proportional.divergence_equivalent(
                gamma, lam0, lam0 * (1 + rel), eigenvalues=sigma, signal=theta, noise=0.5,
                beta=b, student_beta=b * (1 + rel * rng.random()),
                alpha=1.0 if same else rng.normal(), outputs=3,
                rank=rank, signal_outside=theta if rank < 3 else None,
                complement=None if same else rng.choice([None, 0.3]))
            for name, values in out.items():
                assert np.all(values >= 0), (name, rel, values.min())
            if same:
                assert np.all(out["total"] == 0)


def test_signal_outside_needs_a_rank_below_the_outputs():
    with pytest.raises(LingaussError) as info:
        lingauss.proportional.divergence_equivalent(
            0.5, 0.1, 0.2, eigenvalues=[1.0], signal=[1.0], signal_outside=[0.5], noise=0.5,
            beta=1.0, student_beta=1.0, outputs=2, rank=2)
    assert str(info.value) == ("signal_outside has a non-zero entry with rank == outputs == 2, "
                               "must be all 0 (a full-rank projector leaves no rows outside).")


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex (TeX Live) is not installed")
def test_sweep_gamma_latex_compiles(random_spec, tmp_path, capsys):
    import subprocess

    target = tmp_path / "g.tex"
    code, _, _ = cli(capsys, "sweep", random_spec, "--gamma", "0.1:10:4", "--format", "latex",
                     "--standalone", "-o", target)
    assert code == 0
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "g.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "g.pdf").stat().st_size > 1000
