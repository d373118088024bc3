"""What a Monte Carlo draw repeats is computed once (lingauss._memo): the same answers,
bit for bit, as computing it every draw; nothing is kept after the loop."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import lingauss
import lingauss.averages.labels as expectation
from lingauss._core import memo as _memo


def test_equal_arguments_reuse_and_any_change_recomputes():
    calls = []
    f = _memo.Recent(lambda A, t: calls.append(1) or A * t, size=2)
    A = np.arange(6.0).reshape(2, 3)
    with _memo.remembering():
        first = f(A, 2.0)
        assert f(A.copy(), 2.0) is first and len(calls) == 1
        A[0, 0] = 7.0                                  # the caller changes its own array
        assert f(A, 2.0)[0, 0] == 14.0 and len(calls) == 2
        assert f(A, 3.0)[0, 0] == 21.0 and len(calls) == 3
        f(A, 2.0)                                      # still among the last two
        assert len(calls) == 3
        with pytest.raises(ValueError):                # answers are read-only
            first[0, 0] = 1.0
    assert all(not memo._entries for memo in _memo._ALL)          # forgotten after the block
    f(A, 2.0)
    assert len(calls) == 4 and not f._entries                     # outside: not remembered


def test_arguments_of_other_shapes_types_or_none_are_different():
    f = _memo.Recent(lambda *a: object())
    with _memo.remembering():
        x = f(np.zeros(2), None, 1)
        assert f(np.zeros(2), None, 1) is x
        assert f(np.zeros((2, 1)), None, 1) is not x
        assert f(np.zeros(2, dtype=np.float32), None, 1) is not x
        assert f(np.zeros(2), np.zeros(1), 1) is not x
        assert f(np.zeros(2), None, 1.0) is not x


@pytest.mark.parametrize("space", ["parameter", "prediction"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
@pytest.mark.parametrize("variant", ["general", "sampled", "optimal-tau2", "pca", "first"])
def test_monte_carlo_is_the_same_with_and_without_memory(space, direction, variant,
                                                         monkeypatch):
    rng = np.random.default_rng(3)
    d, k, n = 12, 3, 20
    sample = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=4)
    B = np.linalg.qr(rng.standard_normal((d, 5)))[0]
    teacher = lingauss.Teacher(3.0, 1.0)
    student = {
        "general": lingauss.Student(2.0, 2.0, alpha=0.3, basis=B, rank=2),
        "sampled": lingauss.Student(2.0, 2.0, alpha=0.3, basis=B, rank=2,
                                    soft_labels="sampled"),
        "optimal-tau2": lingauss.Student(2.0, 2.0, alpha=0.3, basis=B, rank=2,
                                         complement_variance="optimal"),
        "pca": lingauss.Student(2.0, 2.0, alpha=0.3, width=5, rank=2),
        "first": lingauss.Student(2.0, 2.0, alpha=0.3, basis="first", width=5, rank=2),
    }[variant]

    def run():
        return lingauss.expected_divergence(teacher, student, sample, monte_carlo=5, seed=2,
                                            space=space, direction=direction).as_dict()

    remembered = run()
    monkeypatch.setattr(expectation, "remembering", contextlib.nullcontext)
    plain = run()
    assert remembered.keys() == plain.keys()
    for name in plain:
        assert remembered[name] == plain[name] or (np.isnan(remembered[name])
                                                   and np.isnan(plain[name])), name


def test_a_monte_carlo_loop_computes_what_depends_on_x_alone_once(monkeypatch):
    """Prediction space, general basis, 70 draws (two blocks of the progress loop): the
    width basis's completion, the frame of range(Xᵀ) and the covariances' factors (trained
    and complement rows) once each."""
    import sys

    from lingauss.engine import linalg as _linalg
    from lingauss.engine import setup as _problem

    memos = {"completion": _problem._COMPLETION,
             "frame": sys.modules["lingauss.divergence"]._PREDICTION_FRAME,
             "covariances": _linalg._COVARIANCE_PART}
    computed = {name: 0 for name in memos}
    for name, memo in memos.items():
        def counted(*args, fn=memo.fn, name=name):
            computed[name] += 1
            return fn(*args)
        monkeypatch.setattr(memo, "fn", counted)
    rng = np.random.default_rng(3)
    B = np.linalg.qr(rng.standard_normal((12, 5)))[0]
    sample = lingauss.Sample.synthetic(12, 3, 20, noise=0.5, seed=4)
    lingauss.expected_divergence(lingauss.Teacher(3.0, 1.0),
                                 lingauss.Student(2.0, 2.0, alpha=0.3, basis=B, rank=2),
                                 sample, monte_carlo=70, seed=2, space="prediction")
    assert expectation.BLOCK < 70
    assert computed == {"completion": 1, "frame": 1, "covariances": 2}


def test_the_memory_check_counts_what_a_draw_by_draw_loop_keeps(monkeypatch):
    """d = 200, n = 20, k = 3: one draw ~2 MB and a block of draws ~2 MB; draw by draw the
    reused parts add ~20 d × d arrays (6.4 MB). Under a 6 MB limit the batched parameter-space
    loop runs and the prediction-space one is refused, naming the sizes."""
    from lingauss._core.resources import ENV_MAX_MEMORY

    rng = np.random.default_rng(0)
    d, k, n = 200, 3, 20
    sample = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=1)
    B = np.linalg.qr(rng.standard_normal((d, 4)))[0]
    teacher, student = lingauss.Teacher(3.0, 1.0), lingauss.Student(2.0, 2.0, basis=B, rank=2)
    monkeypatch.setenv(ENV_MAX_MEMORY, "6M")
    lingauss.expected_divergence(teacher, student, sample, monte_carlo=2, seed=0)
    with pytest.raises(lingauss.LingaussError, match=r"Monte Carlo draw of the exact "
                                                     r"divergence with d == 200, k == 3"):
        lingauss.expected_divergence(teacher, student, sample, monte_carlo=2, seed=0,
                                     space="prediction")
