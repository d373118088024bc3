"""The problem set-up shared by every route (docs/model.md §1–3; docs/model.md).

What the exact engine, the spectral route, expectations, sweeps, bounds, design and check
need about one problem is computed here, once, and in one way:

* the sample in the eigenbasis of ``XXᵀ`` (``lingauss._eigen.eigen``, cached per input matrix) and the
  statistic ``z_i = Y Xᵀ u_i`` (:func:`statistic`);
* the effective width and rank (:func:`width_rank`) and the width basis (:func:`width_basis`);
* the teacher's precision and mean (:func:`teacher_moments`) and the student's mean and
  covariances in its width coordinates (:func:`student_moments`);
* the output projector of every rank rule (:func:`output_basis`);
* the statistics of the complement variance ``τ²`` (:func:`tau2_closed_form`): its rule is
  resolved by :func:`lingauss.model.options.complement_variance`, with ``"optimal"`` the
  minimiser of the divergence that is asked for (space and direction).

Everything is in eigen coordinates (``w ↦ Uᵀw``): there the teacher's row covariance is
``diag(1/a_i)``, ``a_i = β_T s_i + λ_T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from lingauss._core.memo import Recent
from lingauss._core.validation import LingaussError
from lingauss.engine.eigen import Eigen, complete, eigen, statistic
from lingauss.engine.linalg import chol, svd
from lingauss.model.data import Sample
from lingauss.model.options import Basis, Direction, RankRule
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

# --------------------------------------------------------------------------------------------
# Sizes and bases
# --------------------------------------------------------------------------------------------

def width_rank(student: Student, d: int, k: int) -> tuple[int, int]:
    """The effective width ``m`` (default ``d``) and rank ``r`` (default ``min(k, m)``)."""
    return student.resolve(d, k)


def is_pca(student: Student) -> bool:
    """Whether the width basis is the top-``m`` eigenvectors (every kernel diagonal)."""
    return student.basis is Basis.PCA


def width_basis(student: Student, eig: Eigen, m: int) -> np.ndarray | None:
    """The width basis in eigen coordinates ``Uᵀ B`` (d, m); ``None`` for ``"pca"``."""
    if isinstance(student.basis, np.ndarray):
        return eig.U.T @ student.basis
    if student.basis is Basis.FIRST:
        return eig.U[:m, :].T.copy()
    return None


def needs_truth(student: Student, W_star) -> None:
    """The oracle rank rule needs ``W⋆``."""
    if student.rank_rule is RankRule.ORACLE and W_star is None:
        raise LingaussError(
            "rank_rule == 'oracle' needs the true weights: sample.W_star is None.")


def output_basis(student: Student, r: int, *, whiten=None, W_star=None) -> np.ndarray:
    """``O = [U_r, U_⊥]`` (k, k): the output basis whose first ``r`` columns span ``range Q``.

    Rank rules (docs/model.md §3): a user ``(k, r)`` matrix; ``"optimal"``, the top-``r`` left
    singular vectors of the student's whitened mean ``M̂_S A_S^{1/2}`` (``whiten``);
    ``"oracle"``, those of ``W⋆``.
    """
    rule = student.rank_rule
    if isinstance(rule, np.ndarray):
        Ur = rule
    elif rule is RankRule.OPTIMAL:
        Ur = svd(whiten)[0][:, :r]
    else:
        Ur = svd(W_star)[0][:, :r]
    return complete(np.asarray(Ur, dtype=float))


# --------------------------------------------------------------------------------------------
# The kernels' moments (eigen coordinates)
# --------------------------------------------------------------------------------------------

def teacher_moments(teacher: Teacher, s: np.ndarray, z: np.ndarray):
    """``(a, M_T)``: precision ``a_i = β_T s_i + λ_T`` (d,) and mean ``β_T z_i / a_i`` (k, d)
    of the teacher in eigen coordinates (docs/model.md §2)."""
    a = teacher.beta * s + teacher.ridge
    return a, teacher.beta * z / a


def soft_label_spread(student: Student, teacher: Teacher, s: np.ndarray) -> np.ndarray:
    """``h_i``: the column covariance of ``Ŷ`` seen through ``X``, ``X Σ_Ŷ Xᵀ = U diag(h) Uᵀ``.

    ``0`` (mean soft labels), ``s²/a`` (sampled: ``Ŷ = W_T X``), ``+ ν_T² s`` (sampled+noise).
    """
    h = np.zeros_like(s)
    if student.soft_labels.sampled:
        h = h + s * s / (teacher.beta * s + teacher.ridge)
    if student.soft_labels.noisy:
        h = h + student.soft_label_noise ** 2 * s
    return h


@dataclass(frozen=True)
class StudentMoments:
    """The student's trained coordinates in its width basis (docs/model.md §3).

    ``C`` (k, m) is ``M̂_S`` in width coordinates; ``cov_cond`` its covariance given one draw
    of the soft labels, ``extra`` the covariance of its mean over the draws (both (m,) when
    diagonal, else (m, m)); ``whiten = M̂_S A_S^{1/2}`` (up to rotation) gives the optimal
    projector.
    """

    C: np.ndarray
    cov_cond: np.ndarray
    extra: np.ndarray
    whiten: np.ndarray

    @property
    def cov(self) -> np.ndarray:
        """Marginal covariance over the soft labels."""
        return self.cov_cond + self.extra


def student_moments(teacher: Teacher, student: Student, s: np.ndarray, z: np.ndarray,
                    Bt: np.ndarray | None, m: int) -> StudentMoments:
    """Mean and covariances of the student's trained coordinates (docs/model.md §3).

    Width precision ``K = β_S BᵀXXᵀB + λ_S I_m``; mean ``β_S E[Ỹ]XᵀB K⁻¹`` with
    ``E[Ỹ] Xᵀu_i = (α + (1−α) β_T s_i/a_i) z_i``; covariance ``K⁻¹`` given ``Ŷ`` plus
    ``(1−α)²β_S² K⁻¹ (BᵀXΣ_ŶXᵀB) K⁻¹`` from the draw of ``Ŷ``.
    """
    alpha, bS, lS = student.alpha, student.beta, student.ridge
    a = teacher.beta * s + teacher.ridge
    zhat = z * (alpha + (1 - alpha) * teacher.beta * s / a)            # (k, d)
    h = soft_label_spread(student, teacher, s)
    if Bt is None:
        Kd = bS * s[:m] + lS                                           # (m,)
        C = bS * zhat[:, :m] / Kd                                      # (k, m)
        # (1−α)²β_S² h / K²  as a square of ratios: β_S/K stays O(1) however large β_S is
        extra = ((1 - alpha) * bS / Kd) ** 2 * h[:m]
        return StudentMoments(C=C, cov_cond=1.0 / Kd, extra=extra,
                              whiten=C * np.sqrt(Kd))
    K = bS * (Bt.T * s) @ Bt + lS * np.eye(m)                          # (m, m)
    Lk = chol(K, "the student's width precision K = β_S BᵀXXᵀB + λ_S I")
    C = bS * sla.cho_solve((Lk, True), (zhat @ Bt).T).T                # (k, m)
    cov_cond = sla.cho_solve((Lk, True), np.eye(m))                    # (m, m)
    cov_cond = 0.5 * (cov_cond + cov_cond.T)
    F = ((1 - alpha) * bS) * cov_cond                                  # (1−α)β_S K⁻¹, O(1)
    extra = F @ ((Bt.T * h) @ Bt) @ F
    return StudentMoments(C=C, cov_cond=cov_cond, extra=0.5 * (extra + extra.T),
                          whiten=C @ Lk)


# --------------------------------------------------------------------------------------------
# The complement variance τ²
# --------------------------------------------------------------------------------------------

def tau2_closed_form(direction: str, N, T, S):
    """``τ²`` minimising a parameter-space divergence (derivations/decomposition.md, "τ²").

    Every coordinate of the complement 𝒞 (``N = dim 𝒞``) has student variance ``τ²`` and
    student mean 0, independent of the trained block, so ``τ²`` enters the divergence only as

    * forward:   ``½(τ²·T − N log τ²)``, ``T`` the trace of the teacher's conditional
      precision on 𝒞 — minimised at ``τ² = N/T``;
    * reverse:   ``½(S/τ² + N log τ²)``, ``S`` the teacher's second moment on 𝒞 (the trace
      of its marginal covariance there plus the squared mean) — at ``τ² = S/N``;
    * symmetric: ``½(τ²·T + S/τ²)`` — at ``τ² = √(S/T)``.

    Broadcasts. The symbolic engine derives the same stationary points
    (:func:`lingauss.symbolic.tau2_stationarity`).

    >>> float(tau2_closed_form("forward", 6, 13.0, 2.0))
    0.46153846153846156
    >>> float(tau2_closed_form("symmetric", 6, 8.0, 2.0))
    0.5
    """
    direction = Direction.parse(direction, "direction")
    if direction is Direction.FORWARD:
        return N / T
    if direction is Direction.REVERSE:
        return S / N
    return np.sqrt(S / T)


def parameter_tau2_statistics(a, Rc2, m: int, r: int, k: int, mean_c2: float):
    """``(N, T, S)`` of :func:`tau2_closed_form` in parameter space.

    ``Rc2`` (d,) is ``Σ_j R_{ij}²`` over the complement columns of the width basis in eigen
    coordinates (``None`` for ``"pca"``: the modes ``i >= m``), ``mean_c2`` the squared norm
    of the teacher's mean on 𝒞 (trained rows on the complement of the width, and every
    complement row).
    """
    d = a.shape[0]
    if Rc2 is None:
        Rc2 = (np.arange(d) >= m).astype(float)
    N = r * (d - m) + (k - r) * d
    T = r * float(np.sum(a * Rc2)) + (k - r) * float(np.sum(a))
    S = r * float(np.sum(Rc2 / a)) + (k - r) * float(np.sum(1.0 / a)) + mean_c2
    return N, T, S


# --------------------------------------------------------------------------------------------
# Everything the exact engine needs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setup:
    """One (teacher, student, sample) problem, resolved (eigen coordinates)."""

    eig: Eigen
    z: np.ndarray                  # (k, d) statistic
    d: int
    k: int
    m: int
    r: int
    Bt: np.ndarray | None          # (d, m) width basis; None for "pca"
    R: np.ndarray | None           # (d, d) [Bt, Bt⊥]; None for "pca"
    a: np.ndarray                  # (d,) teacher precision
    M_T: np.ndarray                # (k, d) teacher mean
    moments: StudentMoments
    O: np.ndarray                  # (k, k) output basis [U_r, U_⊥]

    @property
    def pca(self) -> bool:
        return self.Bt is None

    def tau2_statistics(self) -> tuple:
        """``(N, T, S)`` of :func:`tau2_closed_form` for parameter space."""
        mean_t = self.O.T @ self.M_T                                  # (k, d) rotated rows
        if self.pca:
            Rc2 = None
            mean_c2 = float(np.sum(mean_t[:self.r, self.m:] ** 2)
                            + np.sum(mean_t[self.r:] ** 2))
        else:
            Rc = self.R[:, self.m:]
            Rc2 = np.sum(Rc ** 2, axis=1)
            mean_c2 = float(np.sum((mean_t[:self.r] @ Rc) ** 2) + np.sum(mean_t[self.r:] ** 2))
        return parameter_tau2_statistics(self.a, Rc2, self.m, self.r, self.k, mean_c2)


def setup(teacher: Teacher, student: Student, sample: Sample) -> Setup:
    """Resolve a problem: sizes, eigen coordinates, bases, both kernels' moments, projector."""
    d, k = sample.d, sample.k
    m, r = width_rank(student, d, k)
    needs_truth(student, sample.W_star)
    eig = eigen(sample.X)
    z = statistic(sample, eig)
    Bt = width_basis(student, eig, m)
    a, M_T = teacher_moments(teacher, eig.s, z)
    moments = student_moments(teacher, student, eig.s, z, Bt, m)
    O = output_basis(student, r, whiten=moments.whiten, W_star=sample.W_star)
    return Setup(eig=eig, z=z, d=d, k=k, m=m, r=r, Bt=Bt,
                 R=None if Bt is None else _COMPLETION(Bt), a=a, M_T=M_T, moments=moments,
                 O=O)


#: Within a loop over label draws the width basis repeats (lingauss._memo).
_COMPLETION = Recent(complete)
