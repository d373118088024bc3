"""Hostile input, 4. Bounded work (the sections of tests/hostile/__init__.py)."""

from __future__ import annotations

import time

import pytest

from lingauss import LingaussError, Sample, Student, Teacher, check_formula, expected_divergence
from tests.hostile.helpers import _strict, assert_refused

# =============================================================================================
# 4. Bounded work
# =============================================================================================

@pytest.mark.parametrize("formula", [
    "s**(10**100)",
    "s**99999999999",
    "9**9**9**9",
    "10**10**10",
    "2**2**2**2**2**2",
    "s**s**s**s**s**s**s**s**s",
    "exp(exp(exp(exp(s*1000))))",
])
def test_check_formula_refuses_enormous_powers_and_towers_up_front(formula):
    """Issue: ``check-formula`` with an enormous integer power or a power tower hung.
    Refused with one LingaussError, quickly (bounded work), never a raw error."""
    start = time.monotonic()
    assert_refused(lambda: check_formula(formula, term="variance", timeout=20))
    assert time.monotonic() - start < 10.0


def test_check_formula_stays_within_one_time_limit():
    """One time limit covers parsing, evaluation and the proof: a formula that sympy cannot
    decide quickly finishes (with a verdict or a LingaussError) close to the limit."""
    start = time.monotonic()
    try:
        _strict(lambda: check_formula("(s + beta_T + lambda_T + nu)**999*(s + 1)**998",
                                      term="variance", timeout=1.0))
    except LingaussError:
        pass
    assert time.monotonic() - start < 1.0 + 3.0


@pytest.mark.parametrize("call, name", [
    (lambda: check_formula("s", term="variance", points=10 ** 9), r"\bpoints\b"),
    (lambda: expected_divergence(Teacher(1.0, 1.0), Student(1.0, 1.0, rank=1),
                                 Sample.synthetic(4, 2, 6), monte_carlo=10 ** 9, seed=0),
     r"\bmonte_carlo\b"),
], ids=["points", "monte_carlo"])
def test_point_and_draw_counts_have_stated_limits(call, name):
    """Issue: ``--points 1000000000`` and ``--monte-carlo 1000000000`` hung. A stated upper
    limit refuses them at once."""
    start = time.monotonic()
    assert_refused(call, name, r"\d")
    assert time.monotonic() - start < 10.0
