"""Generalisation-gap bounds through the distillation divergence, beside the exact gaps.

The paper bounds the student's generalisation gap relative to the teacher's through ``K_n``.
In the linear-Gaussian model the gaps are known exactly (docs/model.md §6; docs/model.md), so each
bound can be shown beside the truth. Derivations, assumptions and the choices that are ours:
``derivations/bounds.md`` (cited below as bounds.md §N).

Setting (bounds.md §1). Fixed design, loss ``L_S(W) = (1/n)‖Y − WX‖²`` (squared error summed
over the ``k`` outputs, averaged over the ``n`` examples), test loss with fresh labels at the
same inputs ``L'(W) = E_{Y'} (1/n)‖Y' − WX‖²``, gap of a weight ``g_S(W) = L'(W) − L_S(W)``,
gap of a kernel ``E_{W~P(·|S)} g_S(W)``, expected gap ``E_S`` of that. The quantity bounded is

    Δ = E gap_student − E gap_teacher.

The gap of a weight is *affine* in ``W`` (the quadratic terms of ``L'`` and ``L_S`` cancel):
``g_S(W) = c_S + ⟨G_S, W⟩`` with ``G_S = (2/n)(Y − W⋆X)Xᵀ`` (bounds.md §2).

Modules:

* :mod:`lingauss.bounds.gaps` — the exact gaps (:func:`exact_gaps`, Efron's optimism) and
  direct simulation (:func:`simulate_gaps`);
* :mod:`lingauss.bounds.cgf` — the cumulant generating function of the gap under the teacher
  (:func:`gap_cgf`, :class:`GapCGF`);
* :mod:`lingauss.bounds.inequalities` — the bounds as functions of ``K`` and their constants
  (:func:`dv_bound`, :func:`exact_cgf_bound`, :func:`central_lower_bound` with
  :func:`largest_eta`, :func:`sharpness_bound` with :func:`tightness_radius`);
* :mod:`lingauss.bounds.table` — every bound beside the truth (:func:`bounds_table`);
* :mod:`lingauss.bounds.report` — over every rank, width and soft-label mode
  (:func:`bounds_over_ranks`) and the tables ``lingauss bounds`` prints.

``K`` is ``E_S K_n(S)`` with ``K_n(S)`` the divergence asked for (parameter space, forward
``KL(P_S(·|S) ‖ P_T(·|S))`` by default; :func:`lingauss.expected_divergence` or an average
over label draws).
"""

from lingauss.bounds.cgf import LAWS, GapCGF, gap_cgf
from lingauss.bounds.gaps import Gaps, exact_gaps, simulate_gaps
from lingauss.bounds.inequalities import (DVBound, central_lower_bound, dv_bound, exact_cgf_bound,
                                          largest_eta, sharpness_bound, tightness_radius)
from lingauss.bounds.report import bounds_over_ranks
from lingauss.bounds.table import (ON_VIOLATION, VIOLATION_RTOL, Z_MAX, BoundRow, BoundsTable,
                                   BoundViolationWarning, bounds_table)

__all__ = ["Gaps", "exact_gaps", "simulate_gaps", "GapCGF", "gap_cgf", "LAWS", "DVBound",
           "dv_bound", "exact_cgf_bound", "largest_eta", "central_lower_bound",
           "sharpness_bound", "tightness_radius", "BoundRow", "BoundsTable",
           "BoundViolationWarning", "bounds_table", "bounds_over_ranks", "ON_VIOLATION",
           "VIOLATION_RTOL", "Z_MAX"]
