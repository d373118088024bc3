"""The bounds as functions of ``K`` and the constants they need (derivations/bounds.md §4–6).

Donsker–Varadhan with a sub-Gaussian constant (:func:`dv_bound`) or an exact CGF optimised
over its free parameter (:func:`exact_cgf_bound`), the central-condition lower bound
(:func:`central_lower_bound`, with :func:`largest_eta`) and the sharpness bound
(:func:`sharpness_bound`, with :func:`tightness_radius`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from lingauss._core.validation import LingaussError, check_real
from lingauss.bounds.cgf import GapCGF
from lingauss.bounds.gaps import nonneg


def dv_bound(kl: float, *, sigma2: float) -> float:
    """The sub-Gaussian Donsker–Varadhan bound ``|Δ| <= √(2σ²K)`` (bounds.md §4, U1).

    Valid when the teacher's gap is ``σ²``-sub-Gaussian on average over ``S``:
    ``E_S log E_{P_T(·|S)} e^{λ(g − E g)} <= λ²σ²/2`` for all ``λ``. In this model the smallest
    such ``σ²`` is ``σ̄² = gap_cgf(teacher, sample).variance``.

    Parameters
    ----------
    kl : float
        ``K = E_S K_n(S) >= 0``.
    sigma2 : float
        The variance proxy ``σ² >= 0``.

    Examples
    --------
    >>> dv_bound(2.0, sigma2=4.0)
    4.0
    >>> dv_bound(-1.0, sigma2=1.0)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: kl == -1, must be >= 0.
    """
    kl, sigma2 = nonneg(kl, "kl"), nonneg(sigma2, "sigma2")
    # inf_λ (K + λ²σ²/2)/λ, attained at λ* = √(2K/σ²)
    return math.sqrt(2 * sigma2 * kl)


@dataclass(frozen=True)
class DVBound:
    """Both sides of a Donsker–Varadhan bound: ``lower <= Δ <= upper``.

    ``lambda_upper``, ``lambda_lower`` are the optimal free parameters (``> 0``).
    """

    upper: float
    lower: float
    lambda_upper: float
    lambda_lower: float

    @property
    def absolute(self) -> float:
        """The bound on ``|Δ|``: ``max(upper, −lower)``."""
        return max(self.upper, -self.lower)


def _dv_side(kl: float, psi, dpsi, top: float) -> tuple[float, float]:
    """``inf_{0<λ<top} (K + ψ(λ))/λ`` and its argument, ``ψ`` convex with ``ψ(0) = ψ'(0) = 0``.

    ``(K + ψ)/λ`` has derivative ``(λψ' − ψ − K)/λ²`` and ``λψ' − ψ`` increases (its derivative
    is ``λψ'' >= 0``), so the minimiser is the root of ``λψ'(λ) − ψ(λ) = K``.
    """
    if kl == 0:
        return 0.0, 0.0
    phi = lambda lam: lam * dpsi(lam) - psi(lam) - kl  # noqa: E731
    if math.isinf(top):
        hi = 1.0
        while phi(hi) <= 0:
            hi *= 2.0
            if hi > 1e300:      # ψ ≡ 0 (a constant gap): the bound tends to 0
                return 0.0, math.inf
    else:
        hi = top * (1 - 1e-12)
        if phi(hi) <= 0:        # the infimum sits at the edge of the domain
            return (kl + psi(hi)) / hi, hi
    lam = optimize.brentq(phi, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                          maxiter=500)
    return (kl + psi(lam)) / lam, lam


def exact_cgf_bound(kl: float, cgf: GapCGF) -> DVBound:
    """The Donsker–Varadhan bound with an exact CGF, optimised over ``λ`` (bounds.md §4).

    For ``K = KL(P‖Q)`` and the centred CGF ``ψ`` of ``g`` under ``Q``, for every ``λ`` in
    the domain of ``ψ``: ``λ(E_P g − E_Q g) <= K + ψ(λ)``. Hence

        −inf_{0<λ<−λ_−} (K + ψ(−λ))/λ  <=  Δ  <=  inf_{0<λ<λ_+} (K + ψ(λ))/λ,

    the tightest bound of the Donsker–Varadhan family for that ``ψ``. For a Gaussian
    (``law="averaged"``) it equals :func:`dv_bound` with ``σ² = ψ''(0)``.

    Parameters
    ----------
    kl : float
        ``K >= 0``: ``E_S K_n(S)`` for the ``"averaged"`` and ``"joint"`` laws, ``K_n(S)``
        for ``"conditional"``.
    cgf : GapCGF
        From :func:`gap_cgf`.

    Returns
    -------
    DVBound

    Examples
    --------
    >>> b = exact_cgf_bound(2.0, GapCGF.gaussian(4.0))
    >>> round(b.upper, 12), round(b.lower, 12), round(b.lambda_upper, 12)
    (4.0, -4.0, 1.0)
    """
    kl = nonneg(kl, "kl")
    if not isinstance(cgf, GapCGF):
        raise LingaussError(f"cgf == {cgf!r}, must be a lingauss.bounds.GapCGF "
                            f"(see gap_cgf).")
    lo, up = cgf.domain
    upper, lam_u = _dv_side(kl, cgf, cgf.derivative, up)
    neg = cgf.reflected()
    lower, lam_l = _dv_side(kl, neg, neg.derivative, -lo)
    return DVBound(upper=upper, lower=-lower, lambda_upper=lam_u, lambda_lower=lam_l)


def largest_eta(cgf: GapCGF, *, c: float = 1.0) -> float:
    """The largest ``η`` for which the ``(η, c)``-central condition holds (bounds.md §5).

    Condition on the teacher's gap, with ``m̄ = cgf.mean``:
    ``log E exp(−η(g − (1 − c) m̄)) <= 0`` (averaged over ``S`` for ``law="averaged"``), i.e.
    ``ψ(−η) − η c m̄ <= 0``. That function of ``η`` is convex and vanishes at 0 with slope
    ``−c m̄``, so the condition holds exactly on ``[0, η*]``; ``η*`` is its positive root. For the
    averaged law ``η* = 2 c m̄ / σ̄² = c · n · β_T`` (computed here, not assumed).

    Parameters
    ----------
    cgf : GapCGF
    c : float, default 1
        The fraction ``c ∈ (0, 1]`` of the teacher's gap the condition may give up.

    Examples
    --------
    >>> largest_eta(GapCGF.gaussian(2.0, mean=3.0), c=0.5)   # 2 · 0.5 · 3 / 2
    1.5
    """
    if not isinstance(cgf, GapCGF):
        raise LingaussError(f"cgf == {cgf!r}, must be a lingauss.bounds.GapCGF "
                            f"(see gap_cgf).")
    c = check_real(c, "c", low=0, high=1)
    target = c * cgf.mean
    if target <= 0:
        return 0.0
    if cgf.variance == 0:
        return math.inf
    lo, _ = cgf.domain
    # ψ(−η)/η − c m̄ increases from −c m̄ (ψ convex, ψ(0) = 0)
    excess = lambda eta: (cgf(-eta) / eta if eta > 0 else 0.0) - target  # noqa: E731
    hi = -lo * (1 - 1e-12) if math.isfinite(lo) else 1.0
    while math.isinf(lo) and excess(hi) <= 0 and hi < 1e300:
        hi *= 2.0
    if excess(hi) <= 0:
        return hi
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-300,
                                 rtol=4 * np.finfo(float).eps, maxiter=500))


def central_lower_bound(kl: float, *, eta: float, c: float, teacher_gap: float) -> float:
    """``Δ >= −c · E gap_T − K/η`` under the ``(η, c)``-central condition (bounds.md §5).

    Valid for every ``η <= largest_eta(cgf, c=c)``; linear in ``K`` (a fast rate), with the
    offset ``c · E gap_T`` the condition gives up.

    Parameters
    ----------
    kl : float
        ``K = E_S K_n(S) >= 0``.
    eta : float
        ``η > 0``.
    c : float
        ``c ∈ (0, 1]``.
    teacher_gap : float
        ``E gap_T >= 0``.

    Examples
    --------
    >>> central_lower_bound(2.0, eta=4.0, c=1.0, teacher_gap=0.5)
    -1.0
    """
    kl = nonneg(kl, "kl")
    eta = check_real(eta, "eta", low=0)
    c = check_real(c, "c", low=0, high=1)
    teacher_gap = nonneg(teacher_gap, "teacher_gap")
    # −η(E gap_S − (1−c) m̄) <= K + log E e^{−η(g − (1−c) m̄)} <= K
    return -c * teacher_gap - kl / eta


def sharpness_bound(radius: float, *, gradient: float, curvature: float = 0.0) -> float:
    """The loss-sharpness-aware bound ``|Δ| <= γρ + ½hρ²`` (bounds.md §6).

    From the exact second-order expansion of ``g`` around the teacher's mean:
    ``E_{P_S} g − E_{P_T} g = ⟨∇g, δ⟩ + ½⟨∇²g, δδᵀ + Σ_S − Σ_T⟩``. With ``γ`` a bound on
    ``‖∇g‖`` (root mean square over ``S``), ``h`` the top eigenvalue of ``|∇²g|`` and ``ρ`` the
    radius of the student around the teacher's mean (``ρ² >= ‖δ‖² + ‖Σ_S − Σ_T‖_*``; just
    ``‖δ‖²`` when ``h = 0``). In this model ``∇²g = ∇²L' − ∇²L_S = 0``: ``h = 0`` and
    ``γ² = (2ν²k/n) tr(∇²L_S)``, ``∇²L_S = (2/n)XXᵀ`` — the teacher's loss sharpness.

    Parameters
    ----------
    radius : float
        ``ρ >= 0``.
    gradient : float
        ``γ >= 0``.
    curvature : float, default 0
        ``h >= 0``.

    Examples
    --------
    >>> sharpness_bound(2.0, gradient=1.5, curvature=0.5)
    4.0
    """
    radius = nonneg(radius, "radius")
    gradient = nonneg(gradient, "gradient")
    curvature = nonneg(curvature, "curvature")
    return gradient * radius + 0.5 * curvature * radius ** 2


def tightness_radius(kl: float, *, sigma2: float, gradient: float,
                     curvature: float = 0.0) -> float:
    """``ρ₀``: below it the sharpness bound is strictly tighter than ``√(2σ²K)`` (bounds.md §6).

    The positive root of ``γρ + ½hρ² = √(2σ²K)``:
    ``ρ₀ = 2√(2σ²K) / (γ + √(γ² + 2h√(2σ²K)))`` (``= √(2σ²K)/γ`` when ``h = 0``; ``inf`` when
    ``γ = h = 0``). Decreasing in ``h`` and ``γ``: a flatter teacher widens the regime.

    Examples
    --------
    >>> tightness_radius(2.0, sigma2=4.0, gradient=1.5, curvature=0.5)   # root of 1.5ρ + ρ²/4 = 4
    2.0
    >>> tightness_radius(2.0, sigma2=4.0, gradient=2.0)
    2.0
    """
    bound = dv_bound(kl, sigma2=sigma2)
    gradient = nonneg(gradient, "gradient")
    curvature = nonneg(curvature, "curvature")
    den = gradient + math.sqrt(gradient ** 2 + 2 * curvature * bound)
    if den == 0:
        return math.inf
    return 2 * bound / den


# --------------------------------------------------------------------------------------------
