"""Design exploration: how small can the student be, and what does each size cost.

Everything here evaluates the divergence of one problem — a :class:`lingauss.Spec`, or a
teacher, a student and a design — at other ranks, widths and ridges: exactly
(:func:`lingauss.divergence`) on a :class:`lingauss.Sample`, in closed form
(:func:`lingauss.expected_divergence`) on a :class:`lingauss.SpectralDesign`:

* :func:`explore` — every term over a grid of ranks and widths (and student ridges);
* :func:`recommend` — the smallest rank, width and parameter count ``r(m + k)`` whose
  divergence is within a budget, the Pareto frontier of size against divergence, and notes
  that keep the advice honest (the budget's reference, non-monotone costs, the dominant
  term and why, a student that is the teacher itself);
* :func:`explain` — the dominant term of one design and what drives it;
* the student's best hyper-parameters at one size are in :mod:`lingauss.tuning`.

The budget: ``budget`` is absolute (nats); ``fraction`` is relative to the *best* student on
the grid (the smallest ``K`` among the candidates, which need not be the full-size student:
``K`` is not monotone in the width): ``K <= (1 + fraction)·K_best``. A candidate that
reproduces the teacher exactly (``K = 0``) is not a distillation design: it is flagged and
left out of the reference.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.progress import progress
from lingauss._core.validation import LingaussError, check_option, check_real
from lingauss.explore.advice import dropped_modes, explain
from lingauss.explore.problem import as_problem, evaluate, grid_values
from lingauss.explore.sweep import Sweep, sweep
from lingauss.model.checks import check_grid, renamed
from lingauss.model.data import SpectralDesign
from lingauss.model.results import TERMS

#: ``K`` at or below this fraction of the largest candidate's counts as 0 (the teacher itself).
TRIVIAL_RTOL = 1e-9


def explore(spec, student=None, design=None, *, rank=None, width=None, ridge=None,
            space=None, direction=None, ranks=None, widths=None, ridges=None,
            missing: str = "raise") -> Sweep:
    """Every term of the divergence over ranks × widths (× student ridges).

    A loop over configurations of the exact engine on a sample (any basis and rank rule), or
    of the closed-form expectation on a spectral design; invalid (rank, width) pairs raise.

    Parameters
    ----------
    spec : Spec, or Teacher with ``student`` and ``design``
        The problem (:func:`as_problem`).
    rank, width : sequences of int, optional
        Default ``1..min(k, width)`` at the student's width, and the student's width.
    ridge : sequence of float, optional
        Student ridges ``λ_S``: adds a third axis ``ridge``.
    space, direction : str, optional
        Override the spec's divergence.
    missing : {"raise", "nan"}
        A (rank, width) pair with ``rank > min(k, width)`` does not exist: ``"raise"`` refuses
        the grid, ``"nan"`` leaves NaN there (:meth:`Sweep.rows` and
        :meth:`Sweep.to_pandas` leave such points out).
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
    spec = as_problem(spec, student, design, space=space, direction=direction)
    d, k = spec.sample.d, spec.sample.k
    m0, _ = spec.student.resolve(d, k)
    widths = grid_values([m0] if widths is None else widths, "width", d, "d")
    ranks = grid_values(range(1, min(k, int(widths.max())) + 1) if ranks is None else ranks,
                        "rank", k, "k")
    check_option(missing, "missing", ("raise", "nan"))
    bad = [(r, m) for r in ranks for m in widths if r > min(k, m)]
    if len(bad) == len(ranks) * len(widths) or (bad and missing == "raise"):
        r, m = bad[0]
        raise LingaussError(f"rank == {r} with width == {m}, must be <= min(k, width) == "
                            f"{min(k, m)}.")
    axes = {"rank": ranks, "width": widths}
    if ridges is not None:
        axes["ridge"] = check_grid("ridge", ridges)
    _keep_matrices(spec)
    shape = tuple(len(v) for v in axes.values())
    terms = {}
    points = list(itertools.product(*(range(n) for n in shape)))
    for index in progress(points, desc="sweep: configurations"):
        changes = dict(rank=int(ranks[index[0]]), width=int(widths[index[1]]))
        if changes["rank"] > min(k, changes["width"]):
            continue                                      # does not exist: NaN
        if ridges is not None:
            changes["ridge"] = float(axes["ridge"][index[2]])
        values = evaluate(spec, spec.student.replace(**changes)).as_dict()
        for name, value in values.items():
            terms.setdefault(name, np.full(shape, np.nan))[index] = value
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
class Recommendation(TableDisplay):
    """What :func:`recommend` found. ``None`` where no candidate meets the budget."""

    budget: float
    full: Candidate
    smallest_rank: Candidate | None
    smallest_width: Candidate | None
    smallest_parameters: Candidate | None
    frontier: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    notes: tuple = ()
    best: Candidate | None = None
    fraction: float | None = None

    def summary(self) -> str:
        """One line: the budget and what it is measured against."""
        if self.fraction is None:
            ref = "an absolute budget"
        else:
            ref = (f"(1 + {self.fraction:g})·K_best, K_best = {self.best.divergence:.6g} at "
                   f"rank {self.best.rank}, width {self.best.width}: the best student on the "
                   f"grid")
        return (f"budget: K <= {self.budget:.6g} nats ({ref}; the full-size student has "
                f"K = {self.full.divergence:.6g} at width {self.full.width}, rank "
                f"{self.full.rank})")

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        rows = [(label,) + ((None,) * 4 if c is None else
                            (c.rank, c.width, c.parameters, c.divergence))
                for label, c in (("full size", self.full), ("smallest rank", self.smallest_rank),
                                 ("smallest width", self.smallest_width),
                                 ("smallest parameter count", self.smallest_parameters))]
        return self.summary(), ("design", "rank", "width", "parameters r(m + k)", "K"), rows

    def as_dict(self) -> dict:
        def one(c):
            return None if c is None else c.as_dict()
        return dict(budget=self.budget, fraction=self.fraction, best=one(self.best),
                    full=one(self.full),
                    smallest_rank=one(self.smallest_rank),
                    smallest_width=one(self.smallest_width),
                    smallest_parameters=one(self.smallest_parameters),
                    frontier=[c.as_dict() for c in self.frontier], notes=list(self.notes))


def pareto_mask(sizes, divergences) -> np.ndarray:
    """Boolean mask of the designs no other design dominates in (size, divergence).

    ``j`` dominates ``i`` when ``size_j <= size_i``, ``div_j <= div_i`` and one of the two is
    strict; equal designs do not dominate each other (both are kept). The one Pareto rule of
    lingauss (:func:`pareto` and :func:`lingauss.plots.frontier_plot` use it). One sort and
    one pass: ``O(n log n)``.

    >>> pareto_mask([1, 2, 2, 3, 4], [5.0, 3.0, 4.0, 3.0, 1.0])
    array([ True,  True, False, False,  True])
    """
    size = np.asarray(sizes, dtype=float)
    div = np.asarray(divergences, dtype=float)
    keep = np.zeros(size.shape, dtype=bool)
    order = np.lexsort((div, size))                     # by size, then divergence
    best_smaller = np.inf                              # least divergence of smaller sizes
    start = 0
    while start < order.size:
        stop = start
        while stop < order.size and size[order[stop]] == size[order[start]]:
            stop += 1
        group = order[start:stop]
        least = div[group[0]]                          # the group's least divergence
        # dominated: a smaller design no worse, or an equal-size design strictly better
        keep[group] = (div[group] < best_smaller) & (div[group] == least)
        best_smaller = min(best_smaller, least)
        start = stop
    return keep


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


def recommend(spec, student=None, design=None, *, budget: float | None = None,
              fraction: float | None = None, width=None, space=None, direction=None,
              widths=None) -> Recommendation:
    """Smallest rank, width and parameter count within the budget, the frontier, and notes.

    Parameters
    ----------
    spec : Spec, or Teacher with ``student`` and ``design``
        The problem (:func:`as_problem`); a :class:`lingauss.SpectralDesign` is evaluated in
        closed form (its student needs a fixed rank rule and the ``pca`` basis).
    budget : float, optional
        Absolute budget on ``K`` (nats).
    fraction : float, optional
        Relative budget: ``K <= (1 + fraction)·K_best``, ``K_best`` the smallest divergence
        on the grid (default ``0.1`` when neither is given). Giving both raises "Ambiguous
        arguments".
    width : sequence of int, optional
        Widths searched (default ``1..d``); every rank ``1..min(k, m)`` is searched
        (``widths`` is the deprecated name).
    space, direction : str, optional
        Override the spec's divergence.

    Returns
    -------
    Recommendation
        ``smallest_rank`` is searched at full width, ``smallest_width`` at rank
        ``min(k, m)``, ``smallest_parameters`` over every (rank, width) pair (ties: smaller
        divergence); ``notes`` say when ``K`` is not monotone in the rank or the width and
        where its minimum is, which term dominates the recommended design and why, and when
        a candidate is the teacher itself.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> rec = recommend(default_spec(), fraction=0.5, width=[4, 8, 16, 32])
    >>> rec.smallest_parameters.divergence <= rec.budget
    True
    >>> rec.best.divergence == min(c.divergence for c in rec.candidates)
    True
    """
    widths = renamed(width, widths, old="widths", new="width", where="recommend")
    spec = as_problem(spec, student, design, space=space, direction=direction)
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
    values = _totals(spec, widths, k)
    cands = [Candidate(r, m, r * (m + k), float(v)) for (r, m), v in values.items()]
    full = next(c for c in cands if c.width == d and c.rank == min(k, d))
    scale = max(c.divergence for c in cands)
    trivial = [c for c in cands if c.divergence <= TRIVIAL_RTOL * scale]
    real = [c for c in cands if c not in trivial] or cands
    best = min(real, key=lambda c: (c.divergence, c.parameters))
    if budget is None:
        budget = (1 + fraction) * best.divergence
    ok = [c for c in real if c.divergence <= budget]

    def first(cs, key):
        cs = sorted(cs, key=key)
        return cs[0] if cs else None

    smallest = first(ok, lambda c: (c.parameters, c.divergence))
    notes = _notes(spec, cands, trivial, best, smallest, budget, d, k)
    return Recommendation(
        budget=float(budget), full=full,
        smallest_rank=first([c for c in ok if c.width == d], lambda c: (c.rank,)),
        smallest_width=first([c for c in ok if c.rank == min(k, c.width)],
                             lambda c: (c.width,)),
        smallest_parameters=smallest, frontier=pareto(cands), candidates=cands,
        notes=tuple(notes), best=best, fraction=fraction)


def _totals(spec, widths, k: int) -> dict:
    """``{(rank, width): K}`` for every rank ``1..min(k, m)`` of every width: one closed-form
    sweep on a spectral design (widths of at least ``k`` together), the exact engine
    otherwise."""
    values = {}
    if isinstance(spec.sample, SpectralDesign):

        wide = [int(m) for m in widths if m >= k]
        groups = [(list(range(1, k + 1)), wide)] if wide else []
        groups += [(list(range(1, int(m) + 1)), [int(m)]) for m in widths if m < k]
        for ranks, ws in groups:
            res = sweep(spec.teacher, spec.student.replace(rank=None, width=None), spec.sample,
                        space=spec.space, direction=spec.direction, rank=ranks, width=ws)
            for i, r in enumerate(ranks):
                for j, m in enumerate(ws):
                    values[r, m] = float(res["total"][i, j])
        return values
    pairs = [(r, int(m)) for m in widths for r in range(1, min(k, int(m)) + 1)]
    for r, m in progress(pairs, desc="design: candidates"):
        values[r, m] = evaluate(spec, spec.student.replace(rank=r, width=m)).total
    return values


def _notes(spec, cands, trivial, best, smallest, budget, d: int, k: int) -> list:
    """What keeps the advice honest: the teacher as a candidate, non-monotone costs, the
    dominant term of the recommended design."""
    notes = []
    for c in trivial:
        notes.append(f"the student at rank {c.rank}, width {c.width} reproduces the teacher "
                     f"itself (K = {c.divergence:.3g}): not a distillation design, left out "
                     f"of the budget's reference and of the recommendations.")
    for axis, line in (("width", [c for c in cands if c.rank == min(k, c.width)]),
                       ("rank", [c for c in cands if c.width == d])):
        line = sorted(line, key=lambda c: getattr(c, axis))
        values = np.array([c.divergence for c in line])
        if len(line) > 2 and np.any(np.diff(values) > 1e-9 * max(values.max(), 1e-300)):
            low = line[int(np.argmin(values))]
            end = line[-1]
            notes.append(
                f"K is not monotone in the {axis} "
                f"({'at rank min(k, width)' if axis == 'width' else 'at full width'}): its "
                f"minimum, {low.divergence:.6g} nats, is at {axis} {getattr(low, axis)}; the "
                f"largest {axis} ({getattr(end, axis)}) gives {end.divergence:.6g}.")
    pick = smallest or best
    notes += explain(spec, spec.student.replace(rank=pick.rank, width=pick.width))
    # why no narrower student: the dropped modes of the widest width that misses the budget
    line = sorted([c for c in cands if c.rank == min(k, c.width)], key=lambda c: c.width)
    within = [c.width for c in line if smallest is not None and c.divergence <= budget]
    out = [c for c in line if within and c.width < min(within)]
    if out:
        miss = out[-1]
        why = dropped_modes(spec, spec.student.replace(rank=miss.rank, width=miss.width))
        if why:
            notes.append(f"width {miss.width} (K = {miss.divergence:.6g}) misses the budget: "
                         + why[0])
    return notes


