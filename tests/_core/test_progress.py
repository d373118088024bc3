"""Progress on long work (issue 12): a bar on stderr when stderr is a terminal, nothing when
it is not, nor with ``--quiet`` or ``LINGAUSS_QUIET=1``; Ctrl-C exits 130 and writes nothing.

The terminal is a real pseudo-terminal (``pty``) given to a ``python -m lingauss``
subprocess as its stderr; what the bar draws is read back from the terminal's other end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from tests.helpers.signals import default_sigint

from lingauss._core import progress as _progress

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals need POSIX")

SPEC = """
[data]
d = 12
k = 6
n = 30
noise = 0.5
seed = 0

[teacher]
beta = 2.0
ridge = 1.0

[student]
beta = 2.0
ridge = 3.0
width = 8
"""
#: A sweep of 6 ranks × 5 widths × 4 ridges = 120 configurations (over MIN_TOTAL).
SWEEP = ["sweep", "spec.toml", "--rank", "1:6", "--width", "6,7,8,10,12", "--ridge",
         "0.5,1,2,4", "--format", "csv"]


def env(**extra):
    out = {k: v for k, v in os.environ.items() if k != "LINGAUSS_QUIET"}
    out.update(extra)
    return out


def run_on_terminal(args, tmp_path, **extra_env):
    """Run ``python -m lingauss *args`` with a pseudo-terminal as stderr; returns
    (exit status, stdout, what the terminal received)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # a terminal of 24 rows and 100 columns (a new pty has 0 × 0, where tqdm draws nothing)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        proc = subprocess.Popen([sys.executable, "-m", "lingauss", *args], cwd=tmp_path,
                                env=env(**extra_env), stdout=subprocess.PIPE, stderr=slave,
                                text=True)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:                   # the other end closed: the process ended
                break
            if not data:
                break
            chunks.append(data)
        out = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        os.close(master)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def spec_dir(tmp_path):
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def test_a_long_sweep_shows_a_bar_on_a_terminal(spec_dir):
    status, out, terminal = run_on_terminal(SWEEP, spec_dir)
    assert status == 0, terminal
    assert "sweep: configurations" in terminal and "/120" in terminal
    assert out.splitlines()[0].startswith("rank,width,ridge,total")


@pytest.mark.parametrize("how", ["--quiet", "LINGAUSS_QUIET"])
def test_no_bar_when_quiet(spec_dir, how):
    args = SWEEP + (["--quiet"] if how == "--quiet" else [])
    extra = {"LINGAUSS_QUIET": "1"} if how == "LINGAUSS_QUIET" else {}
    status, out, terminal = run_on_terminal(args, spec_dir, **extra)
    assert status == 0 and terminal == "" and out


def test_no_bar_when_stderr_is_not_a_terminal(spec_dir):
    proc = subprocess.run([sys.executable, "-m", "lingauss", *SWEEP], cwd=spec_dir, env=env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""


def test_every_long_loop_goes_through_progress(monkeypatch):
    """Monte Carlo expectations, check --full, bounds with Monte Carlo, sweeps through the
    exact engine and recommend's search each name their bar (recorded, not drawn)."""
    import lingauss
    from lingauss import bounds
    from lingauss.averages import labels as expectation
    from lingauss.explore import design
    from lingauss.io.spec import loads_spec
    from lingauss.verify import routes as check

    seen = []

    def record(iterable, *, desc, total=None, min_total=_progress.MIN_TOTAL):
        seen.append(desc)
        return iterable

    for module in (expectation, check, design, bounds.table, bounds.report):
        monkeypatch.setattr(module, "progress", record)
    spec = loads_spec(SPEC)
    lingauss.expected_divergence(spec.teacher, spec.student, spec.sample, monte_carlo=8,
                                 seed=0)
    small = lingauss.Sample.synthetic(4, 2, 6, noise=0.5, seed=0)
    check.verify(spec.replace(sample=small, student=spec.student.replace(width=3)),
                 level="full")
    bounds.bounds_over_ranks(spec.teacher, spec.student.replace(width=3), lingauss.Sample.
                             synthetic(4, 2, 8, noise=0.5, seed=0), monte_carlo=3)
    design.explore(spec, rank=[1, 2], width=[4])
    design.recommend(spec, width=[2, 4])
    assert {"Monte Carlo draws (blocks)", "check: cases", "bounds: configurations",
            "bounds: label draws", "sweep: configurations", "design: candidates"} <= set(seen)


def test_ctrl_c_during_a_sweep_to_a_file_exits_130_and_writes_nothing(spec_dir):
    """SIGINT while ``lingauss sweep ... -o grid.csv`` runs (thousands of configurations):
    exit 130, one line on stderr, no grid.csv and no temporary file left."""
    args = ["sweep", "spec.toml", "--rank", "1:6", "--width", "6:12", "--ridge",
            ",".join(str(0.1 * j) for j in range(1, 201)), "--format", "csv", "-o", "grid.csv"]
    before = sorted(p.name for p in spec_dir.iterdir())
    delay = 3.0
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "lingauss", *args], cwd=spec_dir,
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, preexec_fn=default_sigint)
        time.sleep(delay)
        assert proc.poll() is None, "finished before the interrupt: not a long computation"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        if "Traceback" in err and "app.py" not in err:
            delay *= 2                        # interrupted while Python was still importing
            continue
        break
    assert proc.returncode == 130, err
    assert out == "" and err == "lingauss: interrupted; nothing was written\n"
    assert sorted(p.name for p in spec_dir.iterdir()) == before
