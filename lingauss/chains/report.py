"""A chain, generation by generation: the risk beside ``K`` (docs/model.md §7–8), and how
many generations of a student, with which weights, minimise the risk.

:func:`chain_report` tabulates every generation of a :class:`lingauss.Chain`: its weight
``α``, its risk (``bias + variance``, expected over the label noise) and its divergence ``K``
to the teacher and to its own teacher (the previous generation), on the sample.
:func:`plan_generations` answers "how many generations": for ``G = 0..up_to`` copies of a
student with jointly optimal weights (:func:`lingauss.optimal_weights`), the risk reached
and what the last generation costs in ``K`` to the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.validation import LingaussError, check_int, check_real
from lingauss.chains.chain import Chain
from lingauss.chains.risk import risk
from lingauss.chains.weights import optimal_weights
from lingauss.model.checks import check_instance
from lingauss.model.data import Sample
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

#: The columns of a report row (``K_*`` are divergences in nats).
COLUMNS = ("generation", "alpha", "risk", "bias", "variance", "K_teacher", "K_previous")
PLAN_COLUMNS = ("generations", "risk", "bias", "variance", "K_teacher", "alpha")


@dataclass(frozen=True)
class ChainReport(TableDisplay):
    """Rows (one dict per generation, :data:`COLUMNS`) and the options they were made with.

    ``K_teacher`` is ``K(g ‖ 0)`` and ``K_previous`` is ``K(g ‖ g − 1)`` in the direction
    asked for (0 for the teacher, generation 0, whose ``alpha`` is None).
    """

    rows: tuple
    kind: str
    estimator: str
    space: str
    direction: str

    def _display_table(self) -> tuple:
        caption = (f"risk ({self.kind} design, {self.estimator}) and K ({self.space}, "
                   f"{self.direction}) per generation")
        return caption, COLUMNS, [tuple(row[c] for c in COLUMNS) for row in self.rows]

    def column(self, name: str) -> np.ndarray:
        """One column as an array (None → nan).

        >>> from lingauss import Sample, Student, Teacher
        >>> chain = Chain(Teacher(2.0, 1.0), [Student(2.0, 1.0)] * 2)
        >>> report = chain_report(chain, Sample.synthetic(d=4, k=2, n=8, noise=0.5, seed=0))
        >>> report.column("generation").tolist()
        [0.0, 1.0, 2.0]
        """
        if name not in COLUMNS:
            raise LingaussError(f"Unknown value for column: {name!r}. Possible values: "
                                f"{COLUMNS}.")
        return np.array([np.nan if row[name] is None else row[name] for row in self.rows],
                        dtype=float)


def chain_report(chain: Chain, sample: Sample, *, kind: str = "fixed",
                 estimator: str = "mean", covariance=None, space: str = "parameter",
                 direction: str = "forward", monte_carlo: int | None = None,
                 seed: int | None = None) -> ChainReport:
    """Every generation's weight, risk and divergences (see :class:`ChainReport`).

    Parameters
    ----------
    chain : Chain
    sample : Sample
        With ``W_star`` and ``noise`` (the risk is against the truth).
    kind, estimator, covariance, monte_carlo, seed
        As in :func:`lingauss.risk`.
    space, direction
        As in :func:`lingauss.divergence`.

    Returns
    -------
    ChainReport
    """
    check_instance(chain, "chain", Chain)
    check_instance(sample, "sample", Sample)
    rows = []
    for g in range(chain.generations + 1):
        risk = chain.risk(sample, generation=g, kind=kind, estimator=estimator,
                          covariance=covariance, monte_carlo=monte_carlo, seed=seed)
        K0 = Kp = 0.0
        if g:
            K0 = chain.divergence(sample, first=g, second=0, space=space,
                                  direction=direction).total
            Kp = chain.divergence(sample, first=g, second=g - 1, space=space,
                                  direction=direction).total
        rows.append(dict(generation=g, alpha=chain.students[g - 1].alpha if g else None,
                         risk=risk.total, bias=risk.bias, variance=risk.variance,
                         K_teacher=K0, K_previous=Kp))
    return ChainReport(tuple(rows), kind, estimator, space, direction)


@dataclass(frozen=True)
class GenerationPlan(TableDisplay):
    """:func:`plan_generations`' answer.

    Attributes
    ----------
    rows : tuple of dict
        One per ``G`` (:data:`PLAN_COLUMNS`; ``alpha`` is the tuple of optimal weights).
    best : int
        The fewest generations whose risk is within ``tolerance`` of the lowest.
    tolerance : float
    notes : tuple of str
    """

    rows: tuple
    best: int
    tolerance: float
    notes: tuple = ()

    def _display_table(self) -> tuple:
        caption = f"chains of G generations with optimal weights; best G = {self.best}"
        return caption, PLAN_COLUMNS, [
            tuple(", ".join(f"{a:.4g}" for a in row[c]) if c == "alpha" else row[c]
                  for c in PLAN_COLUMNS) for row in self.rows]


def plan_generations(teacher: Teacher, student: Student, sample: Sample, *, up_to: int,
                     kind: str = "fixed", covariance=None, space: str = "parameter",
                     direction: str = "forward", tolerance: float = 0.01) -> GenerationPlan:
    """How many generations of ``student`` (each with its jointly optimal weight) minimise
    the risk, and what the last one costs in ``K`` to the teacher.

    Parameters
    ----------
    teacher, student
        Every generation is a copy of ``student`` (its ``alpha`` is optimised).
    sample : Sample
        With ``W_star`` and ``noise``.
    up_to : int
        The longest chain tried (``G = 0`` is the teacher alone).
    kind, covariance
        As in :func:`lingauss.risk`.
    space, direction
        Of the divergence ``K(G ‖ 0)``.
    tolerance : float, default 0.01
        ``best`` is the smallest ``G`` whose risk is at most ``(1 + tolerance)`` times the
        lowest.

    Returns
    -------
    GenerationPlan

    Examples
    --------
    >>> from lingauss import Sample, Student, Teacher
    >>> sample = Sample.synthetic(d=8, k=1, n=16, noise=0.5, seed=0)
    >>> plan = plan_generations(Teacher(1.0, 0.1), Student(1.0, 0.1), sample, up_to=3)
    >>> [row["generations"] for row in plan.rows], plan.best <= 3
    ([0, 1, 2, 3], True)
    """
    check_instance(teacher, "teacher", Teacher)
    check_instance(student, "student", Student)
    check_instance(sample, "sample", Sample)
    up_to = check_int(up_to, "up_to", low=1, high=64)
    tolerance = check_real(tolerance, "tolerance", low=0, low_inclusive=True)
    rows, notes = [], []
    for G in range(up_to + 1):
        if G == 0:
            r, K, alphas = risk(teacher, None, sample, kind=kind, covariance=covariance), 0.0, ()
        else:
            w = optimal_weights(teacher, [student] * G, sample, kind=kind,
                                covariance=covariance)
            r, alphas = w.risk, w.alpha
            notes += [f"G = {G}: {note}" for note in w.notes]
            K = Chain(teacher, w.students).divergence(sample, first=G, second=0, space=space,
                                                      direction=direction).total
        rows.append(dict(generations=G, risk=r.total, bias=r.bias, variance=r.variance,
                         K_teacher=K, alpha=tuple(alphas)))
    risks = np.array([row["risk"] for row in rows])
    best = int(np.flatnonzero(risks <= risks.min() * (1 + tolerance))[0])
    return GenerationPlan(tuple(rows), best, tolerance, tuple(notes))
