"""The model's objects (docs/model.md §1–3, §7): what a problem is made of, checked when built.

:class:`Teacher`, :class:`Student`, :class:`Sample`, :class:`SpectralDesign`,
:class:`RandomDesign`; the option values (:mod:`lingauss.model.options`); the result types
:class:`Decomposition` and :class:`Risk` (:mod:`lingauss.model.results`); and the checks every
entry point applies to them (:mod:`lingauss.model.checks`). Imports only ``lingauss._core``.
"""

from lingauss.model.data import Sample, SpectralDesign
from lingauss.model.options import (BASES, COMPLEMENT_VARIANCES, DIRECTIONS, RANK_RULES,
                                    SOFT_LABELS, SPACES)
from lingauss.model.random_design import RandomDesign
from lingauss.model.results import Decomposition, Risk
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

__all__ = ["Teacher", "Student", "Sample", "SpectralDesign", "RandomDesign", "Decomposition",
           "Risk", "BASES", "RANK_RULES", "COMPLEMENT_VARIANCES", "SOFT_LABELS", "SPACES",
           "DIRECTIONS"]
