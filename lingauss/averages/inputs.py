"""Averages over random inputs ``X ~ N(0, Σ)`` by Monte Carlo (derivations/random_design.md).

:func:`expected_over_inputs` gives the mean and standard error of any function of a sample
over input draws of a :class:`lingauss.RandomDesign`; ``lingauss.expected_divergence``,
``lingauss.risk`` and ``Chain.risk`` call it for a random design, with ``monte_carlo=N``.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.estimate import Drawn, estimates, means_and_errors
from lingauss._core.progress import progress
from lingauss.model.checks import check_draws, check_instance
from lingauss.model.random_design import RandomDesign

# --------------------------------------------------------------------------------------------

def expected_over_inputs(fn, design: RandomDesign, draws: int, seed: int | None = None, *,
                         desc: str = "input draws") -> tuple[dict, dict]:
    """Mean and standard error over ``draws`` input draws of ``fn(sample, rng)`` (a dict of
    numbers); ``rng`` is the draws' generator, for any further draws ``fn`` needs (labels).

    >>> design = RandomDesign([1.0, 1.0], n=50, W_star=np.zeros((1, 2)), noise=0.0)
    >>> mean, se = expected_over_inputs(lambda s, rng: {"trace": np.trace(s.X @ s.X.T) / 50},
    ...                                 design, draws=200, seed=0)
    >>> bool(abs(mean["trace"] - 2.0) < 4 * se["trace"])    # E tr(XXᵀ/n) = tr Σ
    True
    """
    check_instance(design, "design", RandomDesign)
    draws, seed = check_draws(draws, seed)
    rng = np.random.default_rng(seed)
    rows = [fn(design.draw(rng), rng) for _ in progress(range(draws), desc=desc)]
    return means_and_errors(estimates(rows, drawn=Drawn.INPUTS))


def needs_draws(monte_carlo, seed, what: str, equivalent: str):
    """``(monte_carlo, seed)`` checked: a random design needs its input draws."""
    return check_draws(monte_carlo, seed, required=True, why=(
        f"a RandomDesign averages {what} over random inputs X ~ N(0, Σ) by Monte Carlo: pass "
        f"{{parameter:set}} (input draws), or use lingauss.random_design.{equivalent} for the "
        f"proportional-regime deterministic equivalent."))
