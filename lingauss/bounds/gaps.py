"""Exact generalisation gaps of both kernels (docs/model.md §6, derivations/bounds.md §2–3).

The gap of a weight is affine in ``W`` (bounds.md §2), so a kernel's expected gap depends on
its mean only: :func:`exact_gaps` (Efron's optimism in closed form for a fixed projector,
Monte Carlo over label draws for the ``optimal`` rank rule) and :func:`simulate_gaps` (direct
simulation: labels, weights from both kernels, fresh labels). :class:`Maps` holds both
kernels' means as linear maps of the labels, shared with the bounds table.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from lingauss._core.estimate import Drawn, Estimate
from lingauss._core.validation import LingaussError, check_real
from lingauss.engine.divergence import kernel_set_up
from lingauss.engine.linalg import chol
from lingauss.model.checks import check_design, check_draws, check_objects
from lingauss.model.data import Sample
from lingauss.model.options import RankRule
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

#: Label draws per chunk in the vectorised simulations (memory bound).
CHUNK = 256


def need(sample: Sample, what: str, *, truth: bool, positive_noise: bool = False):
    """The label noise (and the true weights) that a computation needs."""
    check_design(sample, name="sample", kinds=Sample, truth=truth, noise=True, what=what)
    if positive_noise and sample.noise == 0:
        raise LingaussError(f"sample.noise == 0, must be > 0 for {what} (without label noise "
                            f"every gap is 0 and the cumulant generating function degenerates).")


def nonneg(value, name):
    return check_real(value, name, low=0, low_inclusive=True)


# --------------------------------------------------------------------------------------------
# The linear maps of both kernel means (bounds.md §3)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Maps:
    """Kernel means as linear maps of the labels, resolved against a sample's inputs.

    ``M_T = Y LT`` and ``M_S = Q Y J Bᵀ`` (``Q = Ur Urᵀ``); the whitened student mean
    ``Y J LK`` gives the ``optimal`` projector. ``tau2`` is the complement variance of the
    student kernel of the sample (for ``"optimal"``, in the space and direction asked for).
    """

    X: np.ndarray         # (d, n)
    B: np.ndarray         # (d, m) width basis
    J: np.ndarray         # (n, m) M̂_S = β_S E[Ỹ] Xᵀ B K⁻¹ = Y J   (width coordinates)
    LK: np.ndarray        # (m, m) lower Cholesky factor of K = β_S BᵀXXᵀB + λ_S I_m
    LT: np.ndarray        # (n, d) M_T = β_T Y Xᵀ A_T⁻¹ = Y LT
    HT: np.ndarray        # (n, n) teacher hat matrix β_T XᵀA_T⁻¹X  (M_T X = Y HT)
    LA: np.ndarray        # (d, d) lower Cholesky factor of A_T = β_T XXᵀ + λ_T I_d
    Ur: np.ndarray | None  # (k, r) fixed output basis; None for the optimal rule
    k: int
    r: int
    tau2: float

    def basis(self, Y: np.ndarray) -> np.ndarray:
        """``Ur`` (..., k, r) for labels ``Y`` (..., k, n): fixed, or the optimal rule's."""
        if self.Ur is not None:
            return np.broadcast_to(self.Ur, Y.shape[:-2] + self.Ur.shape)
        whiten = (Y @ self.J) @ self.LK                            # M̂_S K^{1/2} up to rotation
        return np.linalg.svd(whiten, full_matrices=False)[0][..., :self.r]

    def student_mean(self, Y: np.ndarray) -> np.ndarray:
        """``M_S = Q Y J Bᵀ`` (..., k, d) — mean of the student kernel (docs/model.md §3)."""
        Ur = self.basis(Y)
        return Ur @ (np.swapaxes(Ur, -1, -2) @ (Y @ self.J)) @ self.B.T


def maps(teacher: Teacher, student: Student, sample: Sample, *, space: str = "parameter",
         direction: str = "forward") -> Maps:
    """Both kernels' means as linear maps of the labels (the shared set-up's bases)."""
    st, tau2 = kernel_set_up(teacher, student, sample, space=space, direction=direction)
    X = sample.X
    d, n = X.shape
    B = st.eig.U[:, :st.m] if st.pca else st.eig.U @ st.Bt                 # (d, m)
    # Teacher: A_T = β_T XXᵀ + λ_T I, M_T = β_T Y Xᵀ A_T⁻¹ (docs/model.md §2).
    A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(d)
    LA = chol(A, "the teacher's precision A_T = β_T XXᵀ + λ_T I")
    LT = teacher.beta * sla.cho_solve((LA, True), X).T                     # (n, d)
    HT = LT @ X                                                            # (n, n)
    HT = 0.5 * (HT + HT.T)
    # Student: E[Ỹ] = αY + (1−α) M_T X = Y (αI + (1−α) H_T) for every soft-label mode;
    # M̂_S = β_S E[Ỹ] Xᵀ B K⁻¹ (width coordinates), K = β_S BᵀXXᵀB + λ_S I_m.
    XB = X.T @ B                                                           # (n, m)
    K = student.beta * (XB.T @ XB) + student.ridge * np.eye(st.m)
    LK = chol(K, "the student's width precision K = β_S BᵀXXᵀB + λ_S I")
    T = student.alpha * np.eye(n) + (1 - student.alpha) * HT               # (n, n)
    J = student.beta * T @ sla.cho_solve((LK, True), XB.T).T              # (n, m)
    fixed = student.rank_rule is not RankRule.OPTIMAL
    Ur = st.O[:, :st.r] if fixed else None
    return Maps(X=X, B=B, J=J, LK=LK, LT=LT, HT=HT, LA=LA, Ur=Ur, k=sample.k, r=st.r,
                tau2=tau2)


def label_draws(sample: Sample, rng, draws: int):
    """Label noise ``E`` (draws, k, n) and labels ``Y = W⋆X + νE`` at the sample's inputs."""
    E = rng.standard_normal((draws, sample.k, sample.n))
    return E, sample.W_star @ sample.X + sample.noise * E


# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gaps:
    """Expected generalisation gaps ``E_S E_{W~P(·|S)} [L'(W) − L_S(W)]``.

    Attributes
    ----------
    teacher, student : float
        The teacher's and the student's expected gaps.
    difference : float
        ``Δ = student − teacher``.
    stderr : dict or None
        Standard errors ``{"teacher", "student", "difference"}`` (Monte Carlo, simulation).
    method : str
        ``"closed form"``, ``"monte carlo"`` or ``"simulation"``.
    draws : int or None
        Label draws behind a Monte Carlo value.
    """

    teacher: float
    student: float
    difference: float
    stderr: dict | None = None
    method: str = "closed form"
    draws: int | None = None


def teacher_gap(mp: Maps, nu: float) -> float:
    """``E gap_T = (2ν²/n) · k · tr(H_T)`` (Efron's optimism, ``Q = I_k``)."""
    n = mp.X.shape[1]
    return 2 * nu ** 2 / n * mp.k * float(np.trace(mp.HT))


def exact_gaps(teacher: Teacher, student: Student, sample: Sample, *,
               monte_carlo: int | None = None, seed: int | None = None,
               space: str = "parameter", direction: str = "forward") -> Gaps:
    """The exact expected generalisation gaps of the teacher and the student (docs/model.md §6).

    A kernel whose mean is ``Q Y L`` has ``E[L' − L_S] = (2ν²/n) tr(Q) tr(L X)`` (Efron's
    optimism; the sampling noise of ``W`` cancels because the gap is affine in ``W``,
    bounds.md §2–3):

    * teacher: ``Q = I_k``, ``L = β_T XᵀA_T⁻¹``: ``(2ν²/n) · k · tr(H_T)``,
      ``H_T = β_T XᵀA_T⁻¹X``;
    * student, every soft-label mode (only ``E[Ŷ] = M_T X`` enters the mean):
      ``L = (αI + (1−α)H_T) β_S XᵀB K⁻¹Bᵀ``, ``tr Q = r``.

    Parameters
    ----------
    teacher, student, sample
        ``sample.noise`` is needed; ``sample.W_star`` too for Monte Carlo and ``"oracle"``.
    monte_carlo : int, optional
        Average ``Δ_S = (2ν/n)⟨E, (M_S − M_T)X⟩`` over this many label draws instead
        (required for the ``"optimal"`` rank rule, whose projector depends on the labels).
        The teacher's gap stays in closed form; the student's is the teacher's plus the
        average.
    seed : int, optional
        Seed of the label draws.
    space, direction
        The divergence the student's ``complement_variance="optimal"`` minimises (the gaps
        do not depend on ``τ²``; the option is here so every bounds function reads a spec the
        same way).

    Returns
    -------
    Gaps

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample
    >>> sample = Sample.synthetic(d=6, k=3, n=10, noise=0.5, seed=0)
    >>> same = Student(2.0, 1.0, alpha=1.0)      # the student is the teacher
    >>> gaps = exact_gaps(Teacher(2.0, 1.0), same.replace(rank_rule="oracle"), sample)
    >>> bool(gaps.teacher > 0), abs(gaps.difference) < 1e-12
    (True, True)
    >>> exact_gaps(Teacher(2.0, 1.0), Student(2.0, 1.0), sample)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: rank_rule == 'optimal' depends on the labels, so the expected gap has no closed form: pass monte_carlo=N to average over N label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.
    """
    check_objects(teacher, student)
    optimal = student.rank_rule is RankRule.OPTIMAL
    monte_carlo, seed = check_draws(
        monte_carlo, seed, required=optimal,
        why="rank_rule == 'optimal' depends on the labels, so the expected gap has no closed "
            "form: pass {parameter:set} to average over N label draws, or use "
            "rank_rule='oracle' or a fixed (k, r) matrix.")
    need(sample, "exact_gaps", truth=monte_carlo is not None)
    mp = maps(teacher, student, sample, space=space, direction=direction)
    nu, n = sample.noise, sample.n
    gap_t = teacher_gap(mp, nu)
    if monte_carlo is None:
        # E gap_S = (2ν²/n) · r · tr(J BᵀX)
        student_gap = 2 * nu ** 2 / n * mp.r * float(np.trace(mp.J @ (mp.B.T @ mp.X)))
        return Gaps(gap_t, student_gap, student_gap - gap_t)
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, monte_carlo, CHUNK):
        E, Y = label_draws(sample, rng, min(CHUNK, monte_carlo - start))
        MS_X = mp.student_mean(Y) @ mp.X                               # (D, k, n)
        MT_X = Y @ mp.HT                                                 # (D, k, n)
        # Δ_S = gap_S(S) − gap_T(S) = ⟨G_S, M_S − M_T⟩ = (2ν/n)⟨E, (M_S − M_T)X⟩
        diffs.append(2 * nu / n * np.sum(E * (MS_X - MT_X), axis=(1, 2)))
    diff = np.concatenate(diffs)
    mean, se = Estimate.of(diff, drawn=Drawn.LABELS)
    return Gaps(gap_t, gap_t + mean, mean,
                stderr={"teacher": 0.0, "student": se, "difference": se},
                method="monte carlo", draws=monte_carlo)


def simulate_gaps(teacher: Teacher, student: Student, sample: Sample, *,
                  monte_carlo: int | None = None, seed: int | None = None,
                  space: str = "parameter", direction: str = "forward",
                  draws: int | None = None) -> Gaps:
    """The gaps by direct simulation: labels, one weight from each kernel, fresh labels.

    Per draw: ``Y = W⋆X + νE``; ``W_T ~ P_T(·|S)``; soft labels ``Ŷ`` drawn as the student's
    mode says (a fresh teacher draw for ``"sampled"``), targets ``Ỹ = αY + (1−α)Ŷ``;
    ``W_S`` from the student's Gibbs posterior given ``Ỹ`` on the trained coordinates — built
    here from the energy ``β_S/2‖Ỹ − WX‖² + λ_S/2‖W‖²`` restricted to ``W = U_r C Bᵀ`` with
    explicit Kronecker products, independent of the closed form — plus ``N(0, τ²)`` on the
    complement; fresh labels ``Y'`` at the same inputs; the gap of a weight is
    ``(‖Y' − WX‖² − ‖Y − WX‖²)/n``. Nothing of Efron's formula is used.

    Parameters
    ----------
    teacher, student, sample
        ``sample`` needs ``W_star`` and ``noise``.
    monte_carlo : int, default 2000
        Label draws (``draws=`` is the deprecated name).
    seed : int, optional
    space, direction
        As in :func:`exact_gaps`.

    Returns
    -------
    Gaps
        Means over the draws with standard errors (the difference is paired).

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample
    >>> sample = Sample.synthetic(d=4, k=2, n=8, noise=0.5, seed=3)
    >>> teacher, student = Teacher(2.0, 1.0), Student(1.0, 0.5, width=3, rank_rule="oracle")
    >>> sim = simulate_gaps(teacher, student, sample, monte_carlo=4000, seed=1)
    >>> exact = exact_gaps(teacher, student, sample)
    >>> bool(abs(sim.difference - exact.difference) < 4 * sim.stderr["difference"])
    True
    """
    check_objects(teacher, student)
    if draws is not None:
        warnings.warn("simulate_gaps(draws=...) is renamed monte_carlo=...; draws will be "
                      "removed in the next release.", DeprecationWarning, stacklevel=2)
        if monte_carlo is not None:
            raise LingaussError("Ambiguous arguments: give monte_carlo or draws, not both.")
        monte_carlo = draws
    draws, seed = check_draws(2000 if monte_carlo is None else monte_carlo, seed)
    need(sample, "simulate_gaps", truth=True)
    mp = maps(teacher, student, sample, space=space, direction=direction)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    d, m, r = X.shape[0], mp.B.shape[1], mp.r
    rng = np.random.default_rng(seed)
    XB = X.T @ mp.B                                                      # (n, m)

    def teacher_draw(Y):
        """``W_T = M_T + Z L_A⁻ᵀ``: rows ~ N(·, A_T⁻¹)."""
        Z = rng.standard_normal(Y.shape[:-1] + (d,))                      # (D, k, d)
        noise = sla.solve_triangular(mp.LA, Z.reshape(-1, d).T, lower=True, trans="T")
        return Y @ mp.LT + noise.T.reshape(Z.shape)

    gaps_t, gaps_s = [], []
    for start in range(0, draws, CHUNK):
        D = min(CHUNK, draws - start)
        _, Y = label_draws(sample, rng, D)
        W_T = teacher_draw(Y)
        if not student.soft_labels.sampled:
            Yhat = Y @ mp.HT                                             # M_T X
        else:
            Yhat = teacher_draw(Y) @ X                                     # W_T' X, fresh W_T'
            if student.soft_labels.noisy:
                Yhat = Yhat + student.soft_label_noise * rng.standard_normal(Yhat.shape)
        Yt = student.alpha * Y + (1 - student.alpha) * Yhat                # Ỹ (D, k, n)
        Ur = np.array(mp.basis(Y))                                       # (D, k, r)
        # vec(U_r C BᵀX) = (XᵀB ⊗ U_r) vec C  (vec stacks columns)
        Phi = np.einsum("ij,Dkl->Dikjl", XB, Ur).reshape(D, n * k, m * r)
        P = student.beta * np.swapaxes(Phi, 1, 2) @ Phi + student.ridge * np.eye(m * r)
        LP = np.linalg.cholesky(P)                                         # (D, rm, rm)
        vecY = np.swapaxes(Yt, 1, 2).reshape(D, n * k, 1)
        rhs = student.beta * np.swapaxes(Phi, 1, 2) @ vecY                # (D, rm, 1)
        mean_c = np.linalg.solve(P, rhs)
        z = rng.standard_normal((D, m * r, 1))
        c = mean_c + np.linalg.solve(np.swapaxes(LP, 1, 2), z)            # L_P⁻ᵀ z
        C = np.swapaxes(c.reshape(D, m, r), 1, 2)                         # (D, r, m)
        W_tr = Ur @ C @ mp.B.T                                           # (D, k, d)
        Zc = math.sqrt(mp.tau2) * rng.standard_normal((D, k, d))
        W_c = Zc - Ur @ (np.swapaxes(Ur, 1, 2) @ Zc @ mp.B) @ mp.B.T  # off {U_r C Bᵀ}
        W_S = W_tr + W_c
        Y_fresh = sample.W_star @ X + nu * rng.standard_normal(Y.shape)
        for W, out in ((W_T, gaps_t), (W_S, gaps_s)):
            pred = W @ X
            out.append((np.sum((Y_fresh - pred) ** 2, axis=(1, 2))
                        - np.sum((Y - pred) ** 2, axis=(1, 2))) / n)
    gt, gs = np.concatenate(gaps_t), np.concatenate(gaps_s)
    def se(x):
        return Estimate.of(x, drawn=Drawn.LABELS).stderr

    return Gaps(float(gt.mean()), float(gs.mean()), float((gs - gt).mean()),
                stderr={"teacher": se(gt), "student": se(gs), "difference": se(gs - gt)},
                method="simulation", draws=draws)
