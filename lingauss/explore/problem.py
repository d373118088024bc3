"""One problem for the exploration layer: a teacher, a student, a design and the divergence
asked for — read from a :class:`lingauss.Spec` or given as objects — and its evaluation
(exact on a :class:`lingauss.Sample`, the closed-form expectation on a
:class:`lingauss.SpectralDesign`). Shared by :mod:`lingauss.design`,
:mod:`lingauss.advice` and :mod:`lingauss.tuning`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lingauss._core.validation import LingaussError, check_int
from lingauss.averages.labels import expected_divergence
from lingauss.engine.divergence import divergence
from lingauss.model.checks import check_design, check_objects, check_space_direction
from lingauss.model.data import SpectralDesign
from lingauss.model.results import Decomposition
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher


@dataclass(frozen=True)
class Problem:
    """One problem: a teacher, a student, a design and the divergence asked for.

    ``sample`` is the design (the name a :class:`lingauss.Spec` uses), for code written
    against either.
    """

    teacher: Teacher
    student: Student
    design: object
    space: str = "parameter"
    direction: str = "forward"

    @property
    def sample(self):
        return self.design

    def replace(self, **changes) -> "Problem":
        return dataclasses.replace(self, **changes)


def as_problem(first, student=None, design=None, *, space=None, direction=None) -> Problem:
    """A :class:`Problem` from a spec (``first``) or from ``(teacher, student, design)``.

    >>> from lingauss.spec import default_spec
    >>> as_problem(default_spec()).design.d
    32
    """
    if hasattr(first, "teacher") and hasattr(first, "sample"):
        if student is not None or design is not None:
            raise LingaussError("Ambiguous arguments: give a spec, or a teacher, a student and "
                                "a design, not both.")
        problem = Problem(first.teacher, first.student, first.sample, first.space,
                          first.direction)
    else:
        check_objects(first, student)
        check_design(design, what="design exploration")
        problem = Problem(first, student, design)
    changes = {k: v for k, v in (("space", space), ("direction", direction)) if v is not None}
    problem = problem.replace(**changes)
    check_space_direction(problem.space, problem.direction)
    if isinstance(problem.design, SpectralDesign):
        check_design(problem.design, truth=True, noise=True, space=problem.space,
                     what="design exploration")
    return problem

def evaluate(problem, student) -> Decomposition:
    """The divergence of the problem with another student: exact on a sample, the closed-form
    expectation on a spectral design."""
    if isinstance(problem.sample, SpectralDesign):
        return expected_divergence(problem.teacher, student, problem.sample,
                                   space=problem.space, direction=problem.direction)
    return divergence(problem.teacher, student, problem.sample, space=problem.space,
                      direction=problem.direction)


def grid_values(values, name, high, high_rule):
    """A grid of sizes (ranks or widths) within ``1..high``."""
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1 or arr.size == 0:
        raise LingaussError(f"{name} has shape {arr.shape}, must be a non-empty 1-D list.")
    return np.array([check_int(v.item() if hasattr(v, "item") else v, f"{name}[{i}]", low=1,
                               high=high, high_rule=high_rule) for i, v in enumerate(arr)])
