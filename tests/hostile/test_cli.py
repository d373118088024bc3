"""Hostile input, 5. The command line: exit statuses, one line, nothing written (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from tests.helpers.signals import default_sigint

from tests.hostile.helpers import BASE_SPEC, BYTES, FULL, RANGE, _env, _files, _sample, snapshot
from tests.hostile.test_fuzz import DivergenceCase

# =============================================================================================
# 5. The command line: exit statuses, one line, nothing written
# =============================================================================================





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
                                      "full): tests/explore/test_design.py covers the demo's files")
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
