"""Design exploration: how small can the student be, and with which hyper-parameters.

Everything here evaluates the exact divergence of a spec's problem (its sample, teacher and
student; :func:`lingauss.divergence`) at other ranks, widths and hyper-parameters:

* :func:`explore` — every term over a grid of ranks and widths (and any student option);
* :func:`recommend` — the smallest rank, width and parameter count ``r(m + k)`` whose
  divergence is within a budget, and the Pareto frontier of size against divergence;
* the student's best hyper-parameters at one size are in :mod:`lingauss.tuning`.

The budget: ``budget`` is absolute (nats), ``fraction`` is relative to the full-size student
(width ``d``, rank ``min(k, d)``): ``K <= (1 + fraction)·K_full`` (our choice; a fraction of
``K_full`` itself would be out of reach of every smaller student).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_grid, renamed
from ._validation import LingaussError, check_int, check_real
from .divergence import TERMS, Decomposition, divergence
from .sweep import Sweep

def evaluate(spec, student) -> Decomposition:
    """The exact divergence of the spec's problem with another student."""
    return divergence(spec.teacher, student, spec.sample, space=spec.space,
                      direction=spec.direction)


def grid_values(values, name, high, high_rule):
    """A grid of sizes (ranks or widths) within ``1..high``."""
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1 or arr.size == 0:
        raise LingaussError(f"{name} has shape {arr.shape}, must be a non-empty 1-D list.")
    return np.array([check_int(v.item() if hasattr(v, "item") else v, f"{name}[{i}]", low=1,
                               high=high, high_rule=high_rule) for i, v in enumerate(arr)])


def explore(spec, *, rank=None, width=None, ridge=None, ranks=None, widths=None,
            ridges=None) -> Sweep:
    """Every term of the exact divergence over ranks × widths (× student ridges).

    A loop over configurations of the exact engine (the spec's sample, any basis and rank
    rule); invalid (rank, width) pairs raise.

    Parameters
    ----------
    spec : Spec
    rank, width : sequences of int, optional
        Default ``1..min(k, width)`` at the spec's width, and the spec's width.
    ridge : sequence of float, optional
        Student ridges ``λ_S``: adds a third axis ``ridge``.
    ranks, widths, ridges
        Deprecated names of ``rank``, ``width``, ``ridge``.

    Returns
    -------
    Sweep
        Axes ``rank``, ``width`` (and ``ridge``).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> res = explore(default_spec(), rank=[1, 2], width=[4, 8])
    >>> res.shape, bool((res["rank_floor"][1] <= res["rank_floor"][0]).all())
    ((2, 2), True)
    """
    ranks = renamed(rank, ranks, old="ranks", new="rank", where="explore")
    widths = renamed(width, widths, old="widths", new="width", where="explore")
    ridges = renamed(ridge, ridges, old="ridges", new="ridge", where="explore")
    d, k = spec.sample.d, spec.sample.k
    m0, _ = spec.student.resolve(d, k)
    widths = grid_values([m0] if widths is None else widths, "width", d, "d")
    ranks = grid_values(range(1, min(k, int(widths.max())) + 1) if ranks is None else ranks,
                         "rank", k, "k")
    bad = [(r, m) for r in ranks for m in widths if r > min(k, m)]
    if bad:
        r, m = bad[0]
        raise LingaussError(f"rank == {r} with width == {m}, must be <= min(k, width) == "
                            f"{min(k, m)}.")
    axes = {"rank": ranks, "width": widths}
    if ridges is not None:
        axes["ridge"] = check_grid("ridge", ridges)
    _keep_matrices(spec)
    shape = tuple(len(v) for v in axes.values())
    terms = {}
    for index in itertools.product(*(range(n) for n in shape)):
        changes = dict(rank=int(ranks[index[0]]), width=int(widths[index[1]]))
        if ridges is not None:
            changes["ridge"] = float(axes["ridge"][index[2]])
        values = evaluate(spec, spec.student.replace(**changes)).as_dict()
        for name, value in values.items():
            terms.setdefault(name, np.empty(shape))[index] = value
    return Sweep(axes=axes, terms={n: terms[n] for n in TERMS if n in terms})


def _keep_matrices(spec) -> dict:
    """A user basis fixes the width and a user projector the rank: they cannot be explored."""
    if isinstance(spec.student.basis, np.ndarray) or isinstance(spec.student.rank_rule,
                                                                 np.ndarray):
        raise LingaussError("design exploration varies the width and rank: use basis = "
                            "'pca' or 'first' and rank_rule = 'optimal' or 'oracle' (the "
                            "spec's student has a user matrix).")
    return {}


# --------------------------------------------------------------------------------------------
# Smallest student within a budget; Pareto frontier
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One student size and its divergence."""

    rank: int
    width: int
    parameters: int                 # r (m + k)
    divergence: float

    def as_dict(self) -> dict:
        return dict(rank=self.rank, width=self.width, parameters=self.parameters,
                    divergence=self.divergence)


@dataclass(frozen=True)
class Recommendation:
    """What :func:`recommend` found. ``None`` where no candidate meets the budget."""

    budget: float
    full: Candidate
    smallest_rank: Candidate | None
    smallest_width: Candidate | None
    smallest_parameters: Candidate | None
    frontier: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    notes: tuple = ()

    def summary(self) -> str:
        """One line: the budget and what it is measured against."""
        return (f"budget: K <= {self.budget:.6g} nats (full-size student: K = "
                f"{self.full.divergence:.6g} at width {self.full.width}, rank "
                f"{self.full.rank})")

    def as_dict(self) -> dict:
        def one(c):
            return None if c is None else c.as_dict()
        return dict(budget=self.budget, full=one(self.full),
                    smallest_rank=one(self.smallest_rank),
                    smallest_width=one(self.smallest_width),
                    smallest_parameters=one(self.smallest_parameters),
                    frontier=[c.as_dict() for c in self.frontier])


def pareto_mask(sizes, divergences) -> np.ndarray:
    """Boolean mask of the designs no other design dominates in (size, divergence).

    ``j`` dominates ``i`` when ``size_j <= size_i``, ``div_j <= div_i`` and one of the two is
    strict; equal designs do not dominate each other (both are kept). The one Pareto rule of
    lingauss (:func:`pareto` and :func:`lingauss.plots.frontier_plot` use it).

    >>> pareto_mask([1, 2, 2, 3, 4], [5.0, 3.0, 4.0, 3.0, 1.0])
    array([ True,  True, False, False,  True])
    """
    s = np.asarray(sizes, dtype=float)[:, None]          # (n, 1): candidate j
    k = np.asarray(divergences, dtype=float)[:, None]
    no_worse = (s <= s.T) & (k <= k.T)                   # [j, i]: j no worse than i in both
    better = (s < s.T) | (k < k.T)
    return ~np.any(no_worse & better, axis=0)


def pareto(candidates) -> list:
    """Candidates not dominated in (parameters, divergence), by increasing size
    (:func:`pareto_mask`).

    >>> cs = [Candidate(1, 2, 10, 5.0), Candidate(2, 2, 20, 3.0), Candidate(2, 3, 25, 4.0)]
    >>> [c.parameters for c in pareto(cs)]
    [10, 20]
    """
    cands = sorted(candidates, key=lambda c: (c.parameters, c.divergence))
    if not cands:
        return []
    mask = pareto_mask([c.parameters for c in cands], [c.divergence for c in cands])
    return [c for c, keep in zip(cands, mask) if keep]


def recommend(spec, *, budget: float | None = None, fraction: float | None = None,
              width=None, widths=None) -> Recommendation:
    """Smallest rank, width and parameter count within the budget, and the frontier.

    Parameters
    ----------
    spec : Spec
    budget : float, optional
        Absolute budget on ``K`` (nats).
    fraction : float, optional
        Relative budget: ``K <= (1 + fraction)·K_full`` (default ``0.1`` when neither is
        given). Giving both raises "Ambiguous arguments".
    width : sequence of int, optional
        Widths searched (default ``1..d``); every rank ``1..min(k, m)`` is searched
        (``widths`` is the deprecated name).

    Returns
    -------
    Recommendation
        ``smallest_rank`` is searched at full width, ``smallest_width`` at rank
        ``min(k, m)``, ``smallest_parameters`` over every (rank, width) pair (ties: smaller
        divergence).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> rec = recommend(default_spec(), fraction=0.5, width=[4, 8, 16, 32])
    >>> rec.smallest_parameters.divergence <= rec.budget
    True
    """
    widths = renamed(width, widths, old="widths", new="width", where="recommend")
    if budget is not None and fraction is not None:
        raise LingaussError("Ambiguous arguments: give budget or fraction, not both.")
    if budget is not None:
        budget = check_real(budget, "budget", low=0, low_inclusive=True)
    fraction = 0.1 if fraction is None and budget is None else fraction
    if fraction is not None:
        fraction = check_real(fraction, "fraction", low=0, low_inclusive=True)
    d, k = spec.sample.d, spec.sample.k
    _keep_matrices(spec)
    widths = grid_values(range(1, d + 1) if widths is None else widths, "width", d, "d")
    widths = np.unique(np.append(widths, d))
    values = {}
    for m in widths:
        for r in range(1, min(k, int(m)) + 1):
            student = spec.student.replace(rank=r, width=int(m))
            values[r, int(m)] = evaluate(spec, student).total
    cands = [Candidate(r, m, r * (m + k), float(v)) for (r, m), v in values.items()]
    full = next(c for c in cands if c.width == d and c.rank == min(k, d))
    if budget is None:
        budget = (1 + fraction) * full.divergence
    ok = [c for c in cands if c.divergence <= budget]

    def first(cs, key):
        cs = sorted(cs, key=key)
        return cs[0] if cs else None

    return Recommendation(
        budget=float(budget), full=full,
        smallest_rank=first([c for c in ok if c.width == d], lambda c: (c.rank,)),
        smallest_width=first([c for c in ok if c.rank == min(k, c.width)],
                             lambda c: (c.width,)),
        smallest_parameters=first(ok, lambda c: (c.parameters, c.divergence)),
        frontier=pareto(cands), candidates=cands)
