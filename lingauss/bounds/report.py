"""Bounds over a whole design: every rank, width and soft-label mode of a student, and the
tables ``lingauss bounds`` prints (long: one row per bound; wide: one row per configuration).
"""

from __future__ import annotations

from lingauss._core.progress import progress
from lingauss.bounds.table import bounds_table
from lingauss.model.checks import check_objects
from lingauss.model.data import Sample
from lingauss.model.options import SoftLabels
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

#: Soft-label modes :func:`bounds_over_ranks` covers, in order.
SOFT_LABEL_MODES = tuple(SoftLabels)
#: ``ν_T`` used for ``"sampled+noise"`` when the student's own is 0.
DEFAULT_SOFT_LABEL_NOISE = 0.3


def bounds_over_ranks(teacher: Teacher, student: Student, sample: Sample, *,
                      monte_carlo: int = 100, seed: int = 0, space: str = "parameter",
                      direction: str = "forward", on_violation: str = "warn") -> list:
    """:func:`bounds_table` at every rank, at the student's width and the full width ``d``,
    for every soft-label mode (``ν_T`` of ``"sampled+noise"``: the student's, or
    :data:`DEFAULT_SOFT_LABEL_NOISE`).

    Returns ``[(soft_labels, width, rank, BoundsTable)]``.
    """
    check_objects(teacher, student)
    m, _ = student.resolve(sample.d, sample.k)
    d, k = sample.d, sample.k
    jobs = []
    for soft in SOFT_LABEL_MODES:
        variant = student.replace(
            soft_labels=soft, soft_label_noise=(student.soft_label_noise
                                                or DEFAULT_SOFT_LABEL_NOISE)
            if soft.noisy else 0.0)
        for w in sorted({m, d}):
            for r in range(1, min(k, w) + 1):
                jobs.append((soft, w, r, variant.replace(rank=r, width=w)))
    return [(soft, w, r, bounds_table(teacher, one, sample, monte_carlo=monte_carlo,
                                      seed=seed, space=space, direction=direction,
                                      on_violation=on_violation))
            for soft, w, r, one in progress(jobs, desc="bounds: configurations")]


#: The columns of the long table: one row per (soft labels, width, rank, bound).
LONG_HEADER = ("soft_labels", "width", "rank", "bound", "side", "value", "exact_delta",
               "slack", "violated")


def long_rows(results) -> list:
    """One row per (soft labels, width, rank, bound) of :func:`bounds_over_ranks`."""
    return [(soft, w, r, row.name, row.side, row.bound, row.exact, row.slack, row.violated)
            for soft, w, r, tb in results for row in tb.rows]


def wide_rows(results) -> tuple:
    """``(header, rows)``: one row per (soft labels, width, rank), one column per bound
    (its value), beside the exact ``Δ`` and ``K``."""
    names = []
    for _, _, _, tb in results:
        for row in tb.rows:
            if row.name not in names:
                names.append(row.name)
    header = ("soft_labels", "width", "rank", "exact_delta", "K") + tuple(names)
    rows = []
    for soft, w, r, tb in results:
        values = {row.name: row.bound for row in tb.rows}
        rows.append((soft, w, r, tb.gaps.difference, tb.kl)
                    + tuple(values.get(name) for name in names))
    return header, rows
