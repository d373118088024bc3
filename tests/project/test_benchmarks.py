"""The benchmarks still run (tiny sizes; no timing is asserted: speed is measured by running
them, see benchmarks/): each prints its targets' lines and agrees with its own references."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def benchmarks_importable(monkeypatch):
    """As when a benchmark runs as a script: its folder is on the path (bench_scale imports
    bench_divergence's timer)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))


def bench(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_scale_runs_both_thread_settings_and_a_baseline(capsys):
    code = bench("bench_scale").main(["--d", "24", "48", "--mc-d", "24", "--draws", "4",
                                      "--few-d", "32", "--repeats", "1", "--baseline", str(ROOT)])
    out = capsys.readouterr().out
    assert code == 0
    for threads in ("default", "one"):
        assert f"[{threads} BLAS threads]" in out
    assert len(re.findall(r"d=\s*48\s+general .* pca .* peak memory", out)) == 2
    assert out.count("scaling exponent") == 2
    assert out.count("expected_divergence(monte_carlo=4)") == 2
    assert out.count(f"the same with {ROOT}") == 2
    assert out.count("d=32 n=4: pca divergence") == 2
    assert out.count("d=24, prediction space") == 2


def test_bench_divergence_agrees_with_the_dense_kl(capsys):
    code = bench("bench_divergence").main(["--d", "12", "--k", "3", "--n", "20", "--width",
                                           "5", "--rank", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0, out                      # exit 0 only when the two agree to 1e-8
    agreement = [float(x) for x in re.findall(r"relative agreement\s*:\s*(\S+)", out)]
    assert len(agreement) == 2 and max(agreement) <= 1e-8


@pytest.mark.parametrize("name, argv", [
    ("bench_random_design", ["--modes", "8", "--d", "20", "--repeats", "1", "--draws", "4"]),
])
def test_other_benchmarks_run(name, argv, capsys):
    assert bench(name).main(argv) == 0
    assert capsys.readouterr().out.strip()
