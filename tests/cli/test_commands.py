"""The command line, run as a user runs it: ``python -m lingauss ...`` in a subprocess."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lingauss import divergence, load_spec
from lingauss.io.spec import default_spec, default_spec_text
from lingauss.model.results import TERMS

ROOT = pathlib.Path(__file__).resolve().parents[2]

SPEC = """\
[data]
d = 6
k = 3
n = 10

[teacher]
beta = 4.0
ridge = 1.0

[student]
beta = 2.0
ridge = 0.5
width = 4
rank = 2
"""


def run(*args, cwd=None):
    """``python -m lingauss *args``; the package is found from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "lingauss", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60)


def write(tmp_path, text=SPEC, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_one_error_line(proc, message=None):
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lingauss: error: ")
    if message is not None:
        assert lines[0] == f"lingauss: error: {message}"


def test_divergence_table_names_the_problem_and_every_term(tmp_path):
    path = write(tmp_path)
    proc = run("divergence", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{path}: d=6 k=3 n=10 width=4 rank=2 space=parameter direction=forward"
    assert lines[1].split() == ["term", "value"]
    spec = load_spec(path)
    expected = divergence(spec.teacher, spec.student, spec.sample).as_dict()
    rows = dict(line.split() for line in lines[3:])
    assert list(rows) == list(expected)
    for name, value in expected.items():
        assert float(rows[name]) == pytest.approx(value, rel=1e-5, abs=1e-12)


def test_divergence_json_is_as_dict(tmp_path):
    path = write(tmp_path, SPEC + 'soft_labels = "sampled"\n')
    proc = run("divergence", path, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert proc.stdout.count("\n") == 1            # exactly one JSON object, one line
    spec = load_spec(path)
    expected = divergence(spec.teacher, spec.student, spec.sample).as_dict()
    assert list(out) == list(expected)
    assert set(out) == set(TERMS)                  # sampled soft labels: every term present
    assert out == expected                         # floats survive JSON exactly


def test_flags_override_the_spec(tmp_path):
    path = write(tmp_path, SPEC + "\n[divergence]\nspace = 'parameter'\n")
    proc = run("divergence", path, "--json", "--space", "prediction", "--direction", "reverse")
    assert proc.returncode == 0, proc.stderr
    spec = load_spec(path)
    expected = divergence(spec.teacher, spec.student, spec.sample, space="prediction",
                          direction="reverse").as_dict()
    assert json.loads(proc.stdout) == expected
    assert set(expected) == set(TERMS) - {"convexity_bound", "convexity_slack"}


def test_demo_prints_one_row_per_rank():
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == ("<default spec>: d=32 k=8 n=64 width=24 rank=1..8 space=parameter "
                        "direction=forward")
    assert lines[1].split() == ["rank", "total", "bias", "variance", "rank_bottleneck",
                                "rank_floor"]
    rows = [line.split() for line in lines[3:]]
    spec = default_spec()
    assert [int(row[0]) for row in rows] == list(range(1, spec.sample.k + 1))
    for row in (rows[0], rows[-1]):
        r = int(row[0])
        dec = divergence(spec.teacher, spec.student.replace(rank=r), spec.sample)
        got = dict(zip(lines[1].split()[1:], map(float, row[1:])))
        for name, value in got.items():
            assert value == pytest.approx(getattr(dec, name), rel=1e-5, abs=1e-12)


def test_demo_print_spec_is_the_default_spec():
    proc = run("demo", "--print-spec")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == default_spec_text()


@pytest.mark.parametrize("change, message", [
    ("rnak = 2", "{path}: Unknown key in [student]: 'rnak'. Allowed keys: ('beta', 'ridge', "
                 "'alpha', 'width', 'rank', 'basis', 'rank_rule', 'complement_variance', "
                 "'soft_labels', 'soft_label_noise')."),
    ("beta = -1", "{path}: [student] beta == -1, must be > 0."),
    ("soft_labels = 'best'", "{path}: [student] Unknown value for soft_labels: 'best'. "
                             "Possible values: ('mean', 'sampled', 'sampled+noise')."),
    ("ridge 1", "{path}: invalid TOML: Expected '=' after a key in a key/value pair "
                "(at line 15, column 7)"),
    ("basis = 'B.npy'", "{path}: [student] basis == 'B.npy': cannot read {folder}/B.npy: "
                        "No such file or directory."),
])
def test_bad_spec_is_one_error_line(tmp_path, change, message):
    text = SPEC.replace("beta = 2.0\n", "") if change.startswith("beta") else SPEC
    path = write(tmp_path, text + change + "\n")
    proc = run("divergence", path, "--json")
    assert_one_error_line(proc, message.format(path=path, folder=tmp_path))


def test_missing_spec_file(tmp_path):
    proc = run("divergence", "missing.toml", cwd=tmp_path)
    assert_one_error_line(proc, "missing.toml: cannot read the spec file: "
                                "No such file or directory.")


def test_missing_data_file(tmp_path):
    path = write(tmp_path, SPEC.replace("d = 6\nk = 3\nn = 10", 'file = "s.npz"'))
    assert_one_error_line(run("divergence", path), f"{path}: [data] file == 's.npz': cannot read "
                                                   f"{tmp_path / 's.npz'}: No such file or "
                                                   f"directory.")


def test_errors_found_by_the_engine(tmp_path):
    # regression (session 1 closing note): a student that does not fit the data is reported
    # with the file and section when the spec is read
    path = write(tmp_path, SPEC.replace("rank = 2", "rank = 4"))      # k = 3 < rank
    assert_one_error_line(run("divergence", path),
                          f"{path}: [student] rank == 4, must be <= min(k, width) == 3.")
    path = write(tmp_path, SPEC.replace("width = 4", "width = 7"))    # d = 6 < width
    assert_one_error_line(run("divergence", path),
                          f"{path}: [student] width == 7, must be <= d == 6.")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", X=rng.standard_normal((6, 10)), Y=rng.standard_normal((3, 10)))
    path = write(tmp_path, SPEC.replace("d = 6\nk = 3\nn = 10", 'file = "s.npz"'))
    assert_one_error_line(run("divergence", path, "--space", "prediction"),
                          "space == 'prediction' needs the label noise: sample.noise is None.")


def test_unknown_option_string_on_the_command_line(tmp_path):
    path = write(tmp_path)
    assert_one_error_line(run("divergence", path, "--space", "weights"),
                          "Unknown value for --space: 'weights'. "
                          "Possible values: ('parameter', 'prediction').")
    assert_one_error_line(run("divergence", path, "--direction", "both"),
                          "Unknown value for --direction: 'both'. "
                          "Possible values: ('forward', 'reverse', 'symmetric').")


@pytest.mark.parametrize("args", [(), ("divergence",), ("divergence", "x.toml", "--jsn"),
                                  ("frobnicate",)])
def test_usage_errors_exit_2(args):
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    last = proc.stderr.splitlines()[-1]           # argparse: "lingauss[ divergence]: error: ..."
    assert last.startswith("lingauss") and ": error: " in last


def test_help_and_version():
    proc = run("--help")
    assert proc.returncode == 0 and "divergence" in proc.stdout and "demo" in proc.stdout
    proc = run("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, "lingauss 0.1.0")


def test_main_in_process(tmp_path, capsys):
    from lingauss.cli import main
    assert main(["divergence", str(write(tmp_path)), "--json"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)) <= set(TERMS) and captured.err == ""
    assert main(["divergence", str(tmp_path / "missing.toml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("lingauss: error: ")
    assert main([]) == 2


# --------------------------------------------------------------------------------------------
# lingauss expected / lingauss derive (issue 3)
# --------------------------------------------------------------------------------------------

ORACLE_SPEC = SPEC + 'rank_rule = "oracle"\n'


def test_expected_json_is_the_closed_form(tmp_path):
    from lingauss import expected_divergence

    path = write(tmp_path, ORACLE_SPEC)
    proc = run("expected", path, "--json")
    assert proc.returncode == 0, proc.stderr
    spec = load_spec(path)
    want = expected_divergence(spec.teacher, spec.student, spec.sample).as_dict()
    assert json.loads(proc.stdout) == pytest.approx(want, rel=1e-12)


def test_expected_monte_carlo_adds_standard_errors(tmp_path):
    path = write(tmp_path)                       # default rank rule: optimal
    proc = run("expected", path, "--json", "--monte-carlo", "30", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    names = [name for name in TERMS if name in got]
    assert set(got) == set(names) | {f"stderr_{name}" for name in names}
    table = run("expected", path, "--monte-carlo", "30", "--seed", "1")
    assert "stderr" in table.stdout and "Monte Carlo over 30 label draws" in table.stdout


def test_expected_without_monte_carlo_says_how_to_get_one(tmp_path):
    proc = run("expected", write(tmp_path))
    assert_one_error_line(
        proc, "rank_rule == 'optimal' depends on the labels, so the expected divergence has "
              "no closed form: pass --monte-carlo N to average the exact divergence over N "
              "label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.")


def test_expected_rejects_a_bad_monte_carlo(tmp_path):
    assert_one_error_line(run("expected", write(tmp_path), "--monte-carlo", "1"),
                          "--monte-carlo == 1, must be >= 2.")


def test_derive_prints_every_term_of_both_regimes():
    proc = run("derive")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    heads = [line.split(" = ")[0] for line in lines]
    assert heads == [f"{name}[{regime}]" for regime in ("kept", "dropped")
                     for name in ("variance", "bias", "bottleneck_mean",
                                  "bottleneck_covariance", "rank_bottleneck", "total")]
    # the printed forms parse back to the derived ones
    import sympy as sp

    from lingauss import symbolic as S

    names = {a.name: a for a in S.ARGS["expected"]} | {"v": S.v}
    forms = S.derive()
    for line in lines:
        head, text = line.split(" = ", 1)
        name, regime = head[:-1].split("[")
        assert sp.simplify(sp.sympify(text, locals=names) - forms[regime][name]) == 0


def test_derive_latex_and_pretty_and_options():
    latex = run("derive", "--latex", "--space", "prediction", "--soft-labels", "sampled",
                "--direction", "reverse")
    assert latex.returncode == 0 and r"\beta_T" in latex.stdout
    # issue "Paper-ready output": an align* per term, no name[regime] = pseudo-syntax
    assert r"\mathrm{convexity\_slack}_i &=" in latex.stdout
    assert "convexity_slack[kept]" not in latex.stdout
    pretty = run("derive", "--pretty", "--flavour", "conditional")
    assert pretty.returncode == 0 and "zQ2" in pretty.stdout
    both = run("derive", "--latex", "--pretty")
    assert both.returncode == 2 and both.stdout == ""


def test_derive_rejects_an_unknown_option():
    assert_one_error_line(run("derive", "--soft-labels", "hard"),
                          "Unknown value for --soft-labels: 'hard'. Possible values: "
                          "('mean', 'sampled', 'sampled+noise').")
