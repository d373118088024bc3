"""The proportional regime's deterministic equivalents for a :class:`lingauss.RandomDesign`
(derivations/random_design.md): :func:`deterministic_risk` and
:func:`deterministic_divergence`, and their terms over ``γ = d/n`` (:func:`risk_terms`,
:func:`divergence_terms`) — :mod:`lingauss.averages.equivalents` evaluated at the design's
spectrum and normalised ridges.
"""

from __future__ import annotations

from lingauss._core.validation import (LingaussError, check_finite, check_option, numerics,
                                       overflow_error)
from lingauss.averages.design_terms import divergence_arrays, risk_arrays, sizes
from lingauss.model.checks import check_instance, check_objects
from lingauss.model.options import ESTIMATORS
from lingauss.model.random_design import RandomDesign
from lingauss.model.results import Decomposition, Risk


def deterministic_risk(teacher, student=None, design=None, *, estimator: str = "mean",
                       method: str = "auto"):
    """The proportional-regime equivalent of the population risk ``E_{X,Y} R`` of the
    student (or of the teacher, ``student=None``) on a :class:`RandomDesign`.

    :func:`lingauss.proportional.risk_equivalent` at ``γ = d/n``, the design's spectrum and
    the normalised ridges ``λ̄ = λ/(β n)``. A fixed projector of rank ``r < k`` trains
    ``QW⋆``; the other rows keep filter 0 (bias ``Σ θ⊥_i² σ_i``). The estimator ``"gibbs"``
    adds the posterior spread ``r(κ₁/λ̄₁ − 1)/β_S`` (``tr(A⁻¹Σ) ≍ (κ/λ̄ − 1)/β``) and the
    complement's ``(k − r)τ² tr Σ``. Exact only as ``d, n → ∞``; at finite ``d`` the error is
    ``O(1/d)`` (tests/averages/test_random_design.py).

    Returns
    -------
    lingauss.excess_risk.Risk

    Examples
    --------
    >>> import numpy as np
    >>> from lingauss import Student, Teacher
    >>> W = np.full((1, 100), np.sqrt(0.02))                     # ‖w‖² = 2
    >>> design = RandomDesign([1.0] * 100, n=200, W_star=W, noise=1.0)
    >>> t = deterministic_risk(Teacher(1.0, 50.0), None, design)   # λ̄ = 0.25 = γν²/‖w‖²
    >>> round(t.total, 6)
    0.561553
    """
    out = risk_terms(teacher, student, design, estimator=estimator, method=method)
    return Risk.from_terms(**{name: float(out[name]) for name in ("bias", "variance",
                                                                  "posterior")},
                           kind="population", estimator=estimator)


def risk_terms(teacher, student=None, design=None, *, gamma=None, estimator: str = "mean",
               method: str = "auto") -> dict:
    """:func:`deterministic_risk`'s terms as arrays over ``gamma`` (the proportional regime's
    double-descent curves).

    Parameters
    ----------
    teacher, student, design
        As for :func:`deterministic_risk`.
    gamma : array_like, optional
        ``γ`` values (default the design's ``d/n``). The spectrum, ``W⋆``, ``ν``, the
        normalised ridges ``λ̄ = λ/(βn)`` and ``nτ²`` are held at the design's values.
    estimator, method
        As for :func:`deterministic_risk`.

    Returns
    -------
    dict
        ``bias``, ``variance``, ``posterior``, ``total``: arrays of the shape of ``gamma``.

    Examples
    --------
    >>> import numpy as np
    >>> from lingauss import Teacher
    >>> design = RandomDesign([1.0] * 50, n=100, W_star=np.full((1, 50), 0.2), noise=1.0)
    >>> out = risk_terms(Teacher(1.0, 1e-6), None, design, gamma=[0.5, 2.0])   # λ̄ ≈ 0
    >>> np.round(out["variance"], 4)          # ν²γ/(1 − γ) below γ = 1, ν²/(γ − 1) above
    array([1., 1.])
    """
    check_objects(teacher, student, student_required=False)
    check_instance(design, "design", RandomDesign)
    check_option(estimator, "estimator", ESTIMATORS)
    return _checked("the risk's deterministic equivalent", sizes(teacher, student, design, gamma),
                    risk_arrays, teacher, student, design, gamma, estimator, method)


def _checked(what: str, inputs: dict, fn, *args) -> dict:
    """``fn(*args)``, finite or one overflow error that names the design's and the models'
    numbers (not the normalised ones the equivalents are called with)."""
    try:
        with numerics(what, inputs):
            return check_finite(fn(*args), what, inputs)
    except LingaussError as exc:
        detail = getattr(exc, "overflow_detail", None)
        if detail is None:
            raise
        raise overflow_error(what, inputs, detail) from None


def deterministic_divergence(teacher, student, design, *, method: str = "auto"):
    """The proportional-regime equivalent of ``E_{X,Y} K_n`` (forward, parameter space) on a
    :class:`RandomDesign`: :func:`lingauss.proportional.divergence_equivalent` times ``k·d``.

    ``K_n/(k d)`` has the limit (every term is ``O(k d)``); ``rank_floor`` is the Eckart–Young
    floor of the equivalent of ``E[ŴŴᵀ]``, ``β_T n W⋆Σ(Σ + κ₀ − λ̄₀)(Σ + κ₀)⁻¹W⋆ᵀ +
    ν²β_T d·mean σ/(σ + κ₀) I``, like the closed form of ``expected_divergence``.

    Returns
    -------
    lingauss.Decomposition

    Examples
    --------
    >>> from lingauss import Student, Teacher
    >>> design = RandomDesign.power_law(d=40, k=2, n=80)
    >>> dec = deterministic_divergence(Teacher(1.0, 20.0), Student(1.0, 40.0), design)
    >>> bool(dec.total > 0 and abs(dec.total - dec.bias - dec.variance) < 1e-9 * dec.total)
    True
    """
    out = divergence_terms(teacher, student, design, method=method)
    return Decomposition.from_terms(**{name: float(out[name]) * design.k * design.d for name in (
        "bias", "variance", "bottleneck_mean", "bottleneck_covariance", "rank_floor")})


def divergence_terms(teacher, student, design, *, gamma=None, method: str = "auto") -> dict:
    """:func:`deterministic_divergence`'s terms as arrays over ``gamma``, per unit of ``k·d``.

    ``gamma`` and what is held fixed as for :func:`risk_terms`. Returns ``total``, ``bias``,
    ``variance``, ``rank_bottleneck``, ``bottleneck_mean``, ``bottleneck_covariance`` and
    ``rank_floor``, each divided by ``k·d`` (multiply by ``k·d`` for ``K`` at a given ``d``).

    >>> import numpy as np
    >>> from lingauss import Student, Teacher
    >>> design = RandomDesign.power_law(d=40, k=2, n=80)
    >>> out = divergence_terms(Teacher(1.0, 20.0), Student(1.0, 40.0), design, gamma=[0.5])
    >>> dec = deterministic_divergence(Teacher(1.0, 20.0), Student(1.0, 40.0), design)
    >>> bool(np.isclose(out["total"][0] * 2 * 40, dec.total, rtol=1e-12))
    True
    """
    check_objects(teacher, student)
    check_instance(design, "design", RandomDesign)
    return _checked("the divergence's deterministic equivalent",
                    sizes(teacher, student, design, gamma), divergence_arrays, teacher, student,
                    design, gamma, method)
