"""BLAS threads around the engine (lingauss._threads): who gets how many, and restoring."""

from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import lingauss
from lingauss._core import threads as T


def counts():
    mine, others = T.pools()
    return [lib.get_num_threads() for lib in mine], [lib.get_num_threads() for lib in others]


@pytest.fixture
def two_threads(monkeypatch):
    """Every BLAS pool at two threads (a known start), no override in the environment."""
    monkeypatch.delenv(T.ENV, raising=False)
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_pools_finds_numpys_blas():
    mine, others = T.pools()
    assert mine or others, "no BLAS pool found"
    home = os.path.realpath(os.path.dirname(np.__file__))
    if len(mine) + len(others) > 1:
        assert all(os.path.realpath(lib.filepath).startswith(home) for lib in mine)
        assert not any(os.path.realpath(lib.filepath).startswith(home) for lib in others)


def test_small_problems_run_every_pool_on_one_thread(two_threads):
    before = counts()
    with T.blas_threads(T.SMALL - 1):
        mine, others = counts()
        assert set(mine + others) == {1}
    assert counts() == before


def test_large_problems_keep_numpys_threads_and_limit_the_others(two_threads):
    mine, others = T.pools()
    before = counts()
    with T.blas_threads(4 * T.SMALL):
        now_mine, now_others = counts()
        if mine:
            assert now_mine == before[0]                       # numpy's pool untouched
            assert set(now_others) <= {1}
        else:
            half = max(1, (os.cpu_count() or 2) // 2)
            assert set(now_others) == {half}
    assert counts() == before


def test_nested_blocks_restore_in_order(two_threads):
    before = counts()
    with T.blas_threads(4 * T.SMALL):
        inner_before = counts()
        with T.blas_threads(8):
            assert set(sum(counts(), [])) == {1}
        assert counts() == inner_before
    assert counts() == before


def test_restored_after_an_error(two_threads):
    before = counts()
    with pytest.raises(RuntimeError):
        with T.blas_threads(8):
            raise RuntimeError("inside")
    assert counts() == before


@pytest.mark.parametrize("setting, want", [("default", None), ("3", 3), (" Default ", None)])
def test_environment_overrides(monkeypatch, setting, want):
    monkeypatch.setenv(T.ENV, setting)
    for size in (8, 4 * T.SMALL):
        for numpy_pool in (True, False):
            assert T.threads_for(size, numpy_pool=numpy_pool) == want


def test_environment_nonsense_falls_back_to_the_rule(monkeypatch):
    monkeypatch.setenv(T.ENV, "many")
    assert T.threads_for(8) == 1
    assert T.threads_for(4 * T.SMALL) is None
    assert T.threads_for(4 * T.SMALL, numpy_pool=False) == 1
    assert T.threads_for(4 * T.SMALL, told_apart=False) == max(1, (os.cpu_count() or 2) // 2)


def test_the_engine_leaves_the_threads_as_it_found_them(two_threads):
    before = counts()
    sample = lingauss.Sample.synthetic(6, 2, 12, noise=0.5, seed=0)
    lingauss.divergence(lingauss.Teacher(4.0, 1.0), lingauss.Student(3.0, 2.0, rank=1), sample)
    assert counts() == before
