"""Hostile input, 3. Resource guard: estimate before allocating (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

from lingauss import (Sample, SpectralDesign, Student, Teacher, divergence, expected_divergence,
                      load_spec, sweep)
from lingauss.io.spec import loads_spec
from tests.hostile.helpers import BYTES, _sample, _spec, _write_sample, assert_refused, snapshot

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
