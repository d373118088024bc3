"""The cumulant generating function of the gap under the teacher (derivations/bounds.md §4).

Given the sample the gap is Gaussian under the teacher (it is affine in ``W``); averaged over
the sample its CGF is that of a Gaussian; under the teacher's joint law of ``(S, W)`` it is a
sum of independent quadratic forms in standard normals (:class:`GapCGF`, :func:`gap_cgf`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from lingauss._core.options import Option
from lingauss.bounds.gaps import need
from lingauss.engine.eigen import eigen
from lingauss.engine.linalg import chol
from lingauss.model.checks import check_instance
from lingauss.model.data import Sample
from lingauss.model.teacher import Teacher

class Law(Option):
    """Under which law the gap's cumulant generating function is taken."""

    CONDITIONAL = "conditional"
    AVERAGED = "averaged"
    JOINT = "joint"


LAWS = Law.values()



def _log1p_minus_x(x):
    """``log(1 + x) − x`` without cancellation for small ``|x|`` (series below 1e-2)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-2
    out = np.empty_like(x)
    xs = x[small]
    # −x²/2 + x³/3 − … − x¹⁰/10: truncation below 1e-22 · x² for |x| < 1e-2
    out[small] = sum((-1) ** (j + 1) * xs ** j / j for j in range(2, 11))
    out[~small] = np.log1p(x[~small]) - x[~small]
    return out


@dataclass(frozen=True)
class GapCGF:
    """The centred cumulant generating function of the gap under the teacher.

    ``ψ(λ) = log E exp(λ(g − E g))`` as a sum of blocks (bounds.md §4):

        ψ(λ) = Σ_b  w_b [−½ log D_b(λ) − λ p_b] + λ² Λ_b / (2 D_b(λ)),
        D_b(λ) = 1 − 2λ p_b − 4λ² q_b²,

    the CGF of ``Σ_b`` independent forms ``p ε² + 2q εζ + ℓ ε`` in standard normals
    (``w_b`` copies, ``Λ_b = Σ ℓ²``). A Gaussian is the single block ``p = q = 0``,
    ``Λ = σ²``. Finite on ``(lower, upper)``: ``upper = min_b 1/(p_b + R_b)``,
    ``lower = max_b −1/(R_b − p_b)``, ``R_b = √(p_b² + 4q_b²)``.

    Attributes
    ----------
    law : str
        ``"conditional"`` (given the sample), ``"averaged"`` (``E_S`` of the conditional
        CGFs) or ``"joint"`` (under the teacher's joint law of ``(S, W)``).
    mean : float
        ``E g`` under that law (the teacher's gap).
    weight, p, q2, lam : ndarray
        ``w_b, p_b, q_b², Λ_b``.
    """

    law: str
    mean: float
    weight: np.ndarray
    p: np.ndarray
    q2: np.ndarray
    lam: np.ndarray

    @classmethod
    def gaussian(cls, variance: float, *, mean: float = 0.0, law: str = "averaged"):
        """The CGF ``λ²σ²/2`` of a Gaussian.

        >>> cgf = GapCGF.gaussian(2.0)
        >>> float(cgf(3.0)), cgf.domain, cgf.variance
        (9.0, (-inf, inf), 2.0)
        """
        z = np.zeros(1)
        return cls(law, float(mean), z, z, z, np.array([float(variance)]))

    @property
    def domain(self) -> tuple[float, float]:
        """``(λ_−, λ_+)``: the open interval on which ``ψ`` is finite."""
        R = np.sqrt(self.p ** 2 + 4 * self.q2)
        with np.errstate(divide="ignore"):
            up = np.where(self.p + R > 0, 1.0 / np.where(self.p + R > 0, self.p + R, 1.0),
                          np.inf)
            lo = np.where(R - self.p > 0, -1.0 / np.where(R - self.p > 0, R - self.p, 1.0),
                          -np.inf)
        return float(np.max(lo, initial=-np.inf)), float(np.min(up, initial=np.inf))

    @property
    def variance(self) -> float:
        """``ψ''(0) = Σ_b w_b (2p_b² + 4q_b²) + Λ_b``."""
        return float(np.sum(self.weight * (2 * self.p ** 2 + 4 * self.q2) + self.lam))

    def __call__(self, lam: float) -> float:
        """``ψ(λ)``; ``inf`` outside the domain."""
        lo, up = self.domain
        if not lo < lam < up:
            return math.inf
        x = -2 * lam * self.p - 4 * lam ** 2 * self.q2                     # D − 1
        D = 1 + x
        # −½ log D − λp = −½[log(1+x) − x] + 2λ²q²   (no cancellation at small λ)
        quad = -0.5 * _log1p_minus_x(x) + 2 * lam ** 2 * self.q2
        return float(np.sum(self.weight * quad + lam ** 2 * self.lam / (2 * D)))

    def derivative(self, lam: float) -> float:
        """``ψ'(λ) = Σ_b w_b λ(2p² + 4q² + 4λpq²)/D + Λ_b λ(1 − λp)/D²`` (bounds.md §8)."""
        D = 1 - 2 * lam * self.p - 4 * lam ** 2 * self.q2
        return float(np.sum(self.weight * lam * (2 * self.p ** 2 + 4 * self.q2
                                                 + 4 * lam * self.p * self.q2) / D
                            + self.lam * lam * (1 - lam * self.p) / D ** 2))

    def reflected(self) -> "GapCGF":
        """The CGF of ``−g``: ``λ ↦ ψ(−λ)`` (``p → −p``)."""
        return GapCGF(self.law, -self.mean, self.weight, -self.p, self.q2, self.lam)


def gap_cgf(teacher: Teacher, sample: Sample, *, law: str = "averaged") -> GapCGF:
    """The cumulant generating function of the gap ``g`` under the teacher (bounds.md §4).

    * ``"conditional"``: given ``S``, ``g_S(W) = c_S + ⟨G_S, W⟩`` is affine in ``W``, so under
      ``W ~ P_T(·|S)`` it is exactly Gaussian with variance ``σ_S² = tr(G_S A_T⁻¹ G_Sᵀ)``,
      ``G_S = (2/n)(Y − W⋆X)Xᵀ``; mean: the teacher's gap given ``S``.
    * ``"averaged"``: ``E_S ψ_S(λ) = λ² σ̄²/2``, ``σ̄² = (4ν²k/n²) tr(XᵀA_T⁻¹X)``; mean
      ``E gap_T``. This is the CGF the Donsker–Varadhan bound with ``K = E_S K_n`` uses.
    * ``"joint"``: under the teacher's joint law of ``(S, W)`` the gap is a quadratic form in
      the Gaussian ``(E, W)``: one 2×2 block per eigen-mode of ``XXᵀ`` (``k`` copies) and one
      1-D block per null direction of ``X`` — sub-exponential, finite on a bounded interval.

    Parameters
    ----------
    teacher, sample
        ``sample.noise`` must be ``> 0``; ``"conditional"`` and ``"joint"`` need ``W_star``.
    law : {"conditional", "averaged", "joint"}

    Returns
    -------
    GapCGF

    Examples
    --------
    >>> from lingauss import Teacher, Sample
    >>> sample = Sample.synthetic(d=4, k=2, n=6, noise=0.5, seed=0)
    >>> avg = gap_cgf(Teacher(2.0, 1.0), sample)
    >>> joint = gap_cgf(Teacher(2.0, 1.0), sample, law="joint")
    >>> avg.domain, bool(joint.variance > avg.variance), bool(abs(joint.mean - avg.mean) < 1e-12)
    ((-inf, inf), True, True)
    """
    check_instance(teacher, "teacher", Teacher)
    law = Law.parse(law, "law")
    need(sample, f"gap_cgf(law={law!r})", truth=law is not Law.AVERAGED, positive_noise=True)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    d = X.shape[0]
    if law is Law.CONDITIONAL:
        A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(d)
        LA = chol(A, "the teacher's precision A_T = β_T XXᵀ + λ_T I")
        R = sample.Y - sample.W_star @ X                                    # νE (k, n)
        G = 2.0 / n * R @ X.T                                              # ∇_W g_S (k, d)
        sigma2 = float(np.sum(sla.solve_triangular(LA, G.T, lower=True) ** 2))  # tr(G A⁻¹ Gᵀ)
        LT = teacher.beta * sla.cho_solve((LA, True), X).T
        MT = sample.Y @ LT                                                 # (k, d)
        # gap of the teacher given S: L'(M_T) − L_S(M_T) (the posterior noise cancels)
        mean = (np.sum(((sample.W_star - MT) @ X) ** 2) + n * k * nu ** 2
                - np.sum((sample.Y - MT @ X) ** 2)) / n
        return GapCGF.gaussian(sigma2, mean=float(mean), law=Law.CONDITIONAL)
    eig = eigen(sample.X)
    rho = eig.rho
    s = eig.s[:rho]
    a = teacher.beta * s + teacher.ridge                                   # (ρ,)
    h = teacher.beta * s / a                                               # hat eigenvalues
    mean = 2 * nu ** 2 * k / n * float(np.sum(h))                          # E gap_T
    q2 = nu ** 2 * s / (a * n ** 2)                                        # (ρ,)
    if law is Law.AVERAGED:
        return GapCGF.gaussian(float(np.sum(4 * k * q2)), mean=mean, law=Law.AVERAGED)
    theta2 = np.sum((sample.W_star @ eig.U[:, :rho]) ** 2, axis=0)         # ‖θ_i‖²
    p = nu ** 2 * (teacher.beta * s - teacher.ridge) / (a * n)             # ν²(2h − 1)/n
    lam = 4 * nu ** 2 / n ** 2 * (teacher.ridge / a) ** 2 * s * theta2     # Σ_j ℓ_ji²
    null = k * (n - rho)                       # ε on null(X): (ν²/n)(1 − ε²)
    return GapCGF("joint", mean,
                  weight=np.concatenate([np.full(rho, float(k)), [float(null)]]),
                  p=np.concatenate([p, [-nu ** 2 / n]]),
                  q2=np.concatenate([q2, [0.0]]),
                  lam=np.concatenate([lam, [0.0]]))
