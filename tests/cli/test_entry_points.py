"""Issue 10: one problem set-up, checks at every entry point, one consistent API.

A regression test per bug the issue lists (each names it), the ``"optimal"`` complement
variance against an independent search, the deprecated names, the CLI's exit codes through a
subprocess (0 / 1 / 2 / 3 / 130), (the house rules are in tests/test_house.py).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lingauss
from lingauss import LingaussError, Sample, Student, Teacher, divergence, sweep
from lingauss.engine.divergence import kernel_set_up

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lingauss"
TEACHER = Teacher(2.0, 1.0)
SAMPLE = Sample.synthetic(6, 3, 9, noise=0.4, seed=3)


def run(*args, env=None, code=None):
    """``python -m lingauss *args`` (or ``python -c code``) from this checkout."""
    full = dict(os.environ)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full.get("PYTHONPATH")]))
    full.pop("LINGAUSS_DEBUG", None)
    full.update(env or {})
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "lingauss",
                                                            *map(str, args)]
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=120)


SPEC = """\
[data]
d = 5
k = 2
n = 8
noise = 0.5

[teacher]
beta = 2.0
ridge = 1.0

[student]
beta = 2.0
ridge = 2.0
rank_rule = "oracle"
"""


# --------------------------------------------------------------------------------------------
# Bugs named in the issue
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("design, student, message", [
    (Sample(SAMPLE.X, SAMPLE.Y, W_star=SAMPLE.W_star, noise=0.4),
     Student(1.0, 1.0, rank_rule=np.eye(4)[:, :2]),
     "rank_rule has shape (4, 2), must have k == 3 along axis 0."),
])
def test_sweep_validates_a_sample_design_regression(design, student, message):
    """Issue 10: ``lingauss.sweep`` never validated a Sample design — a Sample without W_star
    gave a raw matmul error, without noise ``NoneType ** int``, a rank_rule matrix with the
    wrong k a raw matmul error."""
    with pytest.raises(LingaussError) as info:
        sweep(TEACHER, student, design)
    assert str(info.value) == message


def test_sweep_of_a_sample_without_truth_or_noise_regression():
    oracle = Student(1.0, 1.0, rank_rule="oracle")
    with pytest.raises(LingaussError, match="^a sweep needs the true weights: design.W_star "
                                            "is None.$"):
        sweep(TEACHER, oracle, Sample(SAMPLE.X, SAMPLE.Y, noise=0.4))
    with pytest.raises(LingaussError, match="^a sweep needs the label noise: design.noise is "
                                            "None.$"):
        sweep(TEACHER, oracle, Sample(SAMPLE.X, SAMPLE.Y, W_star=SAMPLE.W_star))


def test_bounds_on_an_ill_conditioned_spec_is_one_error_line_regression(tmp_path):
    """Issue 10: bounds called scipy's Cholesky directly; an ill-conditioned spec gave a
    LinAlgError traceback. Now every factorization goes through the safe Cholesky: exit 2."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 2)) * 1e9                   # rank 2, enormous, tiny ridge
    W = rng.standard_normal((1, 6))
    np.savez(tmp_path / "s.npz", X=X, Y=W @ X, W_star=W, noise=np.array(0.5))
    spec = tmp_path / "s.toml"
    spec.write_text('[data]\nfile = "s.npz"\n[teacher]\nbeta = 1.0\nridge = 1e-300\n'
                    '[student]\nbeta = 1.0\nridge = 1.0\nrank_rule = "oracle"\n'
                    'basis = "first"\nwidth = 3\n', encoding="utf-8")
    proc = run("bounds", spec, "--monte-carlo", "2")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("lingauss: error: ") and "ill-conditioned" in proc.stderr


def test_lingauss_error_shows_as_lingauss_dot_lingausserror():
    assert LingaussError.__module__ == "lingauss"
    assert repr(LingaussError).endswith("'lingauss.LingaussError'>")


# --------------------------------------------------------------------------------------------
# "optimal" τ² minimises the divergence asked for
# --------------------------------------------------------------------------------------------

def _random_case(seed):
    rng = np.random.default_rng(seed)
    d, k = int(rng.integers(2, 6)), int(rng.integers(1, 4))
    n = int(rng.integers(1, 8))
    sample = Sample.synthetic(d, k, n, noise=float(rng.uniform(0.2, 1.0)), seed=seed)
    m = int(rng.integers(1, d + 1))
    r = int(rng.integers(1, min(k, m) + 1))
    basis = "pca" if seed % 2 else np.linalg.qr(rng.standard_normal((d, d)))[0][:, :m]
    student = Student(float(rng.uniform(0.5, 3)), float(rng.uniform(0.3, 3)),
                      alpha=float(rng.uniform(0, 1)), width=None if seed % 2 == 0 else m,
                      rank=r, basis=basis, complement_variance="optimal",
                      soft_labels=("mean", "sampled")[seed % 3 == 0])
    return Teacher(float(rng.uniform(0.5, 3)), float(rng.uniform(0.3, 3))), student, sample


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("space", ["parameter", "prediction"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
def test_optimal_tau2_minimises_the_divergence_asked_for(seed, space, direction):
    """Issue 10: ``complement_variance="optimal"`` was the forward parameter-space minimiser
    for every space and direction. Now it minimises the divergence asked for: no value on a
    dense log grid, nor a bounded search around the best grid point, does better, and it is
    never worse than ``"prior"``."""
    from scipy import optimize

    teacher, student, sample = _random_case(seed)
    got = divergence(teacher, student, sample, space=space, direction=direction).total

    def K(log_t):
        return divergence(teacher, student.replace(complement_variance=float(np.exp(log_t))),
                          sample, space=space, direction=direction).total

    grid = np.linspace(np.log(1e-6), np.log(1e6), 121)
    values = [K(x) for x in grid]
    best = int(np.argmin(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    res = optimize.minimize_scalar(K, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-10})
    prior = divergence(teacher, student.replace(complement_variance="prior"), sample,
                       space=space, direction=direction).total
    scale = max(1.0, abs(got))
    assert got <= min(values) + 1e-9 * scale
    assert got <= res.fun + 1e-9 * scale
    assert got <= prior + 1e-9 * scale


def test_optimal_tau2_fixes_the_case_in_the_issue():
    """The issue's example: reverse K was 42.1 at the forward τ² and 10.0 at the true
    minimiser. The value used now is the reverse minimiser, well below the forward one's."""
    teacher, student, sample = _random_case(5)
    _, t_fwd = kernel_set_up(teacher, student, sample, direction="forward")
    _, t_rev = kernel_set_up(teacher, student, sample, direction="reverse")
    at = lambda t: divergence(teacher, student.replace(complement_variance=t), sample,  # noqa
                              direction="reverse").total
    assert t_rev != pytest.approx(t_fwd)
    assert divergence(teacher, student, sample, direction="reverse").total == \
        pytest.approx(at(t_rev), rel=1e-12)
    assert at(t_rev) < at(t_fwd)


# --------------------------------------------------------------------------------------------
# One vocabulary: old names keep working, with a DeprecationWarning
# --------------------------------------------------------------------------------------------

def test_deprecated_names_still_work_and_warn():
    from lingauss.bounds import simulate_gaps
    from lingauss.explore.design import explore, recommend
    from lingauss.explore.tuning import tune
    from lingauss.io.spec import default_spec

    spec = default_spec()
    with pytest.warns(DeprecationWarning, match=r"explore\(ranks=...\) is renamed rank="), \
            pytest.warns(DeprecationWarning, match=r"explore\(widths=...\) is renamed width="):
        old = explore(spec, ranks=[1, 2], widths=[4])
    new = explore(spec, rank=[1, 2], width=[4])
    np.testing.assert_array_equal(old["total"], new["total"])
    with pytest.warns(DeprecationWarning, match=r"recommend\(widths=...\)"):
        recommend(spec, widths=[8, 16])
    with pytest.warns(DeprecationWarning, match=r"tune\(ranks=...\)"):
        tune(spec, ranks=[1], optimize_over=("tau2",))
    student = Student(1.0, 1.0, rank_rule="oracle")
    with pytest.warns(DeprecationWarning, match=r"simulate_gaps\(draws=...\)"):
        a = simulate_gaps(TEACHER, student, SAMPLE, draws=20, seed=1)
    b = simulate_gaps(TEACHER, student, SAMPLE, monte_carlo=20, seed=1)
    assert a == b
    with pytest.raises(LingaussError, match="Ambiguous arguments"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            explore(spec, rank=[1], ranks=[1])


def test_bounds_honours_the_divergence_section(tmp_path):
    """Issue 10: ``lingauss bounds`` ignored the spec's [divergence] section."""
    from lingauss.averages.labels import expected_divergence
    from lingauss.bounds import bounds_table

    spec = tmp_path / "s.toml"
    spec.write_text(SPEC + '[divergence]\ndirection = "reverse"\n', encoding="utf-8")
    proc = run("bounds", spec, "--json", "--monte-carlo", "10", "--quiet")
    assert proc.returncode == 0, proc.stderr
    import json
    rows = json.loads(proc.stdout)
    assert {row["bound"] for row in rows} == {"subgaussian", "exact_cgf"}
    loaded = lingauss.load_spec(spec)
    student = loaded.student.replace(rank=1)
    table = bounds_table(loaded.teacher, student, loaded.sample, monte_carlo=10,
                         direction="reverse")
    assert table.kl == pytest.approx(expected_divergence(
        loaded.teacher, student, loaded.sample, direction="reverse").total, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Exit codes, through a subprocess
# --------------------------------------------------------------------------------------------

def test_exit_0_success_and_2_bad_input(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC, encoding="utf-8")
    assert run("divergence", spec).returncode == 0
    bad = run("divergence", spec, "--space", "weights")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == ("lingauss: error: Unknown value for --space: 'weights'. Possible "
                          "values: ('parameter', 'prediction').\n")


def test_exit_1_is_a_finding(tmp_path):
    proc = run("check-formula", "r/2*v((beta_T*s + lambda_T)/(beta_S*s))", "--term",
               "variance")
    assert proc.returncode == 1 and proc.stdout.startswith("not equal:")


INJECT = """
import sys
import lingauss.cli.commands.divergence as C
def boom(args, ctx):
    raise RuntimeError("injected fault")
C.divergence_command = boom
from lingauss.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_exit_3_is_an_internal_error_with_one_line(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC, encoding="utf-8")
    proc = run("divergence", str(spec), code=INJECT)
    assert proc.returncode == 3 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("lingauss: internal error: RuntimeError: injected fault (at ")
    assert "please report it" in lines[0] and "LINGAUSS_DEBUG=1" in lines[0]
    debug = run("divergence", str(spec), code=INJECT, env={"LINGAUSS_DEBUG": "1"})
    assert debug.returncode == 3 and "Traceback (most recent call last)" in debug.stderr


def test_max_memory_refuses_before_working(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC, encoding="utf-8")
    proc = run("divergence", spec, "--max-memory", "1K")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "needs about" in proc.stderr and "more than the 1 KiB available" in proc.stderr
    env = run("divergence", spec, env={"LINGAUSS_MAX_MEMORY": "2K"})
    assert env.returncode == 2 and "more than the 2 KiB available" in env.stderr
    assert run("divergence", spec, "--max-memory", "lots").returncode == 2


def test_format_option_on_every_table_command(tmp_path):
    import csv
    import io
    import json

    spec = tmp_path / "s.toml"
    spec.write_text(SPEC, encoding="utf-8")
    as_json = json.loads(run("divergence", spec, "--format", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(run("divergence", spec, "--format",
                                                 "csv").stdout)))
    assert {row["term"]: float(row["value"]) for row in as_csv} == pytest.approx(as_json)
    md = run("expected", spec, "--format", "md").stdout
    assert md.startswith("| term | value |")
    latex = run("table", spec, "--kind", "sweep", "--format", "latex").stdout
    assert r"\toprule" in latex
    rows = json.loads(run("check", spec, "--format", "json").stdout)
    assert all(isinstance(row["tolerance"], float) for row in rows)
    design = json.loads(run("design", spec, "--format", "json").stdout)
    assert "recommendation" in design


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_files_follow_the_umask(tmp_path):
    """Staged writes go through mkstemp/mkdtemp (private 0600/0700): the files the CLI writes
    must get the modes of a plain open() under the user's umask, for a new folder and an
    existing one."""
    from lingauss.cli import main

    old = os.umask(0o022)
    try:
        assert main(["demo", "-o", str(tmp_path / "new")]) == 0
        (tmp_path / "old").mkdir()
        spec = pathlib.Path(lingauss.__file__).parent / "io" / "default.toml"
        assert main(["plot", str(spec), "--kind", "terms-vs-rank", "-o",
                     str(tmp_path / "old" / "t.png")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o755
    files = list((tmp_path / "new").iterdir()) + [tmp_path / "old" / "t.png"]
    assert files
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o644, path
