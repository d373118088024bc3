"""Captions of LaTeX tables: the problem a table was computed for, in one line of LaTeX."""

from __future__ import annotations


def problem_caption(spec, *, rank=None) -> str:
    r"""The problem of a spec in LaTeX, for a caption; ``rank`` (LaTeX math, e.g.
    ``r"1, \ldots, 8"``) replaces the spec's rank, ``"varied"`` says width and rank vary.

    >>> from lingauss.io.spec import default_spec
    >>> problem_caption(default_spec())
    '$d = 32$, $k = 8$, $n = 64$; student width $m = 24$, rank $r = 8$; parameter space, forward direction'
    """
    s = spec.sample
    m, r = spec.student.resolve(s.d, s.k)
    student = ("student width and rank varied" if rank == "varied" else
               f"student width $m = {m}$, rank $r = {r if rank is None else rank}$")
    return (f"$d = {s.d}$, $k = {s.k}$, $n = {s.n}$; {student}; {spec.space} space, "
            f"{spec.direction} direction")
