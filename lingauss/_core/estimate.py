"""Monte Carlo estimates: :class:`Estimate`, the one mean ± standard error of lingauss.

Every route that averages by drawing — labels (``expected_divergence``, the risk of a
label-dependent projector, the bounds' Monte Carlo parts) or inputs (a
:class:`lingauss.RandomDesign`) — reduces its draws here, so the standard error is computed
one way: on the values scaled to 1, so the squares of values near the top of double
precision do not overflow.

>>> est = Estimate.of([1.0, 3.0], drawn="labels")
>>> est.mean, est.stderr, est.draws, est.drawn
(2.0, 1.0, 2, 'labels')
>>> mean, se = est            # unpacks as (mean, standard error)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.options import Option


class Drawn(Option):
    """What a Monte Carlo estimate drew: fresh labels at fixed inputs, or fresh inputs."""

    LABELS = "labels"
    INPUTS = "inputs"


def standard_error(x) -> float:
    """``std(x)/√N`` (``N − 1`` degrees of freedom), computed on ``x`` scaled to 1 (no
    overflow of the squares); 0 for values that are all 0, ``inf`` when a value is.

    >>> standard_error(np.array([1.0, 3.0]))
    1.0
    """
    x = np.asarray(x, dtype=float)
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    if scale == 0 or not np.isfinite(scale):
        return 0.0 if scale == 0 else scale
    return float(np.std(x / scale, ddof=1) / np.sqrt(x.size)) * scale


@dataclass(frozen=True)
class Estimate:
    """The Monte Carlo mean of ``draws`` values, its standard error and what was drawn."""

    mean: float
    stderr: float
    draws: int
    drawn: Drawn

    @classmethod
    def of(cls, values, *, drawn) -> "Estimate":
        """The estimate from the values of the draws (a 1-D array of at least two)."""
        x = np.asarray(values, dtype=float).ravel()
        return cls(mean=float(np.mean(x)), stderr=standard_error(x), draws=int(x.size),
                   drawn=Drawn.parse(drawn, "drawn"))

    def __iter__(self):
        return iter((self.mean, self.stderr))


def estimates(rows, *, drawn, names=None) -> dict:
    """``{name: Estimate}`` over a list of per-draw dicts of numbers (``names``: the keys to
    keep, in order; default those of the first row whose value is not None).

    >>> out = estimates([{"a": 1.0}, {"a": 3.0}], drawn="inputs")
    >>> out["a"].mean, out["a"].stderr
    (2.0, 1.0)
    """
    rows = list(rows)
    if names is None:
        names = [name for name, value in rows[0].items() if value is not None]
    return {name: Estimate.of([float(row[name]) for row in rows], drawn=drawn)
            for name in names}


def means_and_errors(found: dict) -> tuple[dict, dict]:
    """``({name: mean}, {name: stderr})`` of :func:`estimates`' result (how results store
    them)."""
    return ({name: e.mean for name, e in found.items()},
            {name: e.stderr for name, e in found.items()})
