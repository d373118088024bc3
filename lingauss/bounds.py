"""Generalisation-gap bounds through the distillation divergence, beside the exact gaps.

The paper bounds the student's generalisation gap relative to the teacher's through ``K_n``.
In the linear-Gaussian model the gaps are known exactly (MODEL.md §6), so each bound can be
shown beside the truth. Derivations, assumptions and the choices that are ours:
``derivations/bounds.md`` (cited below as bounds.md §N).

Setting (bounds.md §1). Fixed design, loss ``L_S(W) = (1/n)‖Y − WX‖²`` (squared error summed
over the ``k`` outputs, averaged over the ``n`` examples), test loss with fresh labels at the
same inputs ``L'(W) = E_{Y'} (1/n)‖Y' − WX‖²``, gap of a weight ``g_S(W) = L'(W) − L_S(W)``,
gap of a kernel ``E_{W~P(·|S)} g_S(W)``, expected gap ``E_S`` of that. The quantity bounded is

    Δ = E gap_student − E gap_teacher.

The gap of a weight is *affine* in ``W`` (the quadratic terms of ``L'`` and ``L_S`` cancel):
``g_S(W) = c_S + ⟨G_S, W⟩`` with ``G_S = (2/n)(Y − W⋆X)Xᵀ`` (bounds.md §2). Everything below
follows from that.

Exact gaps
    :func:`exact_gaps` (Efron's optimism, closed form for a fixed output projector; Monte
    Carlo over label draws for the ``optimal`` rank rule) and :func:`simulate_gaps` (direct
    simulation: labels, weights from both kernels, fresh labels).
Bounds as functions of ``K`` and the constants they need
    :func:`dv_bound` (sub-Gaussian Donsker–Varadhan), :func:`exact_cgf_bound` (Donsker–Varadhan
    with an exact cumulant generating function, optimised over its free parameter; the CGFs
    of the model come from :func:`gap_cgf`), :func:`central_lower_bound` with
    :func:`largest_eta`, :func:`sharpness_bound` with :func:`tightness_radius`.
Everything at once
    :func:`bounds_table` — per bound: the bound, the exact ``Δ``, the slack, a ``violated``
    flag (a violated bound warns with :class:`BoundViolationWarning`, or raises).

``K`` is ``E_S K_n(S)`` with ``K_n(S) = KL(P_S(·|S) ‖ P_T(·|S))`` in parameter space
(:func:`lingauss.divergence` with its defaults; :func:`lingauss.expected_divergence` for the
average).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg as sla
from scipy import optimize

from ._validation import LingaussError, check_int, check_option, check_real
from .divergence import _eigen, _resolve, _tau2, divergence
from .model import Sample, Student, Teacher
from .numeric import _closed_form_obstacle, expected_divergence

LAWS = ("conditional", "averaged", "joint")
ON_VIOLATION = ("warn", "raise")
#: A bound counts as violated when the truth passes it by more than this (relative, on top of
#: ``Z_MAX`` Monte Carlo standard errors).
VIOLATION_RTOL = 1e-9
#: Standard errors a Monte Carlo row may miss its bound by before it is flagged.
Z_MAX = 4.0
#: Label draws per chunk in the vectorised simulations (memory bound).
_CHUNK = 256


class BoundViolationWarning(UserWarning):
    """A bound of :func:`bounds_table` is beaten by the exact value (a theorem failed)."""


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------

def _check_objects(teacher, student, sample):
    """Type checks; ``student=None`` skips the student (functions of the teacher alone)."""
    pairs = [(teacher, "teacher", Teacher), (sample, "sample", Sample)]
    if student is not None:
        pairs.insert(1, (student, "student", Student))
    for value, name, cls in pairs:
        if not isinstance(value, cls):
            raise LingaussError(f"{name} == {value!r}, must be a lingauss.{cls.__name__}.")


def _need(sample: Sample, what: str, *, truth: bool, positive_noise: bool = False):
    """The label noise (and the true weights) that a computation needs."""
    if sample.noise is None:
        raise LingaussError(f"{what} needs the label noise: sample.noise is None.")
    if positive_noise and sample.noise == 0:
        raise LingaussError(f"sample.noise == 0, must be > 0 for {what} (without label noise "
                            f"every gap is 0 and the cumulant generating function degenerates).")
    if truth and sample.W_star is None:
        raise LingaussError(f"{what} needs the true weights: sample.W_star is None.")


def _check_draws(monte_carlo, seed, *, required: bool, what: str):
    if monte_carlo is None:
        if seed is not None:
            raise LingaussError("seed is set but monte_carlo is None: the closed form draws "
                                "nothing; pass monte_carlo=N or drop the seed.")
        if required:
            raise LingaussError(what)
        return None, None
    monte_carlo = check_int(monte_carlo, "monte_carlo", low=2)
    if seed is not None:
        seed = check_int(seed, "seed", low=0)
    return monte_carlo, seed


def _nonneg(value, name):
    return check_real(value, name, low=0, low_inclusive=True)


# --------------------------------------------------------------------------------------------
# The linear maps of both kernel means (bounds.md §3)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Maps:
    """Kernel means as linear maps of the labels, resolved against a sample's inputs.

    ``M_T = Y LT`` and ``M_S = Q Y J Bᵀ`` (``Q = Ur Urᵀ``); the whitened student mean
    ``Y J LK`` gives the ``optimal`` projector.
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
        """``M_S = Q Y J Bᵀ`` (..., k, d) — mean of the student kernel (MODEL.md §3)."""
        Ur = self.basis(Y)
        return Ur @ (np.swapaxes(Ur, -1, -2) @ (Y @ self.J)) @ self.B.T


def _maps(teacher: Teacher, student: Student, sample: Sample) -> _Maps:
    prob = _resolve(student, sample)      # validates width, rank, oracle needs W⋆
    X = sample.X
    d, n = X.shape
    eig = prob.eig
    B = eig.U[:, :prob.m] if prob.Bt is None else eig.U @ prob.Bt           # (d, m)
    # Teacher: A_T = β_T XXᵀ + λ_T I, M_T = β_T Y Xᵀ A_T⁻¹ (MODEL.md §2).
    A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(d)
    LA = sla.cholesky(A, lower=True)
    LT = teacher.beta * sla.cho_solve((LA, True), X).T                     # (n, d)
    HT = LT @ X                                                            # (n, n)
    HT = 0.5 * (HT + HT.T)
    # Student: E[Ỹ] = αY + (1−α) M_T X = Y (αI + (1−α) H_T) for every soft-label mode;
    # M̂_S = β_S E[Ỹ] Xᵀ B K⁻¹ (width coordinates), K = β_S BᵀXXᵀB + λ_S I_m.
    XB = X.T @ B                                                           # (n, m)
    K = student.beta * (XB.T @ XB) + student.ridge * np.eye(prob.m)
    LK = sla.cholesky(K, lower=True)
    T = student.alpha * np.eye(n) + (1 - student.alpha) * HT               # (n, n)
    J = student.beta * T @ sla.cho_solve((LK, True), XB.T).T              # (n, m)
    if isinstance(student.rank_rule, np.ndarray):
        Ur = np.asarray(student.rank_rule, dtype=float)
    elif student.rank_rule == "oracle":
        Ur = np.linalg.svd(sample.W_star, full_matrices=False)[0][:, :prob.r]
    else:
        Ur = None
    a = teacher.beta * eig.s + teacher.ridge
    return _Maps(X=X, B=B, J=J, LK=LK, LT=LT, HT=HT, LA=LA, Ur=Ur, k=sample.k, r=prob.r,
                 tau2=_tau2(student, prob, a))


def _label_draws(sample: Sample, rng, draws: int):
    """Label noise ``E`` (draws, k, n) and labels ``Y = W⋆X + νE`` at the sample's inputs."""
    E = rng.standard_normal((draws, sample.k, sample.n))
    return E, sample.W_star @ sample.X + sample.noise * E


# --------------------------------------------------------------------------------------------
# Exact gaps (MODEL.md §6, bounds.md §3)
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


def _teacher_gap(maps: _Maps, nu: float) -> float:
    """``E gap_T = (2ν²/n) · k · tr(H_T)`` (Efron's optimism, ``Q = I_k``)."""
    n = maps.X.shape[1]
    return 2 * nu ** 2 / n * maps.k * float(np.trace(maps.HT))


def exact_gaps(teacher: Teacher, student: Student, sample: Sample, *,
               monte_carlo: int | None = None, seed: int | None = None) -> Gaps:
    """The exact expected generalisation gaps of the teacher and the student (MODEL.md §6).

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
    lingauss._validation.LingaussError: rank_rule == 'optimal' depends on the labels, so the expected gap has no closed form: pass monte_carlo=N to average over N label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.
    """
    _check_objects(teacher, student, sample)
    optimal = isinstance(student.rank_rule, str) and student.rank_rule == "optimal"
    monte_carlo, seed = _check_draws(
        monte_carlo, seed, required=optimal,
        what="rank_rule == 'optimal' depends on the labels, so the expected gap has no closed "
             "form: pass monte_carlo=N to average over N label draws, or use "
             "rank_rule='oracle' or a fixed (k, r) matrix.")
    _need(sample, "exact_gaps", truth=monte_carlo is not None)
    maps = _maps(teacher, student, sample)
    nu, n = sample.noise, sample.n
    teacher_gap = _teacher_gap(maps, nu)
    if monte_carlo is None:
        # E gap_S = (2ν²/n) · r · tr(J BᵀX)
        student_gap = 2 * nu ** 2 / n * maps.r * float(np.trace(maps.J @ (maps.B.T @ maps.X)))
        return Gaps(teacher_gap, student_gap, student_gap - teacher_gap)
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, monte_carlo, _CHUNK):
        E, Y = _label_draws(sample, rng, min(_CHUNK, monte_carlo - start))
        MS_X = maps.student_mean(Y) @ maps.X                               # (D, k, n)
        MT_X = Y @ maps.HT                                                 # (D, k, n)
        # Δ_S = gap_S(S) − gap_T(S) = ⟨G_S, M_S − M_T⟩ = (2ν/n)⟨E, (M_S − M_T)X⟩
        diffs.append(2 * nu / n * np.sum(E * (MS_X - MT_X), axis=(1, 2)))
    diff = np.concatenate(diffs)
    mean, se = float(np.mean(diff)), float(np.std(diff, ddof=1) / math.sqrt(monte_carlo))
    return Gaps(teacher_gap, teacher_gap + mean, mean,
                stderr={"teacher": 0.0, "student": se, "difference": se},
                method="monte carlo", draws=monte_carlo)


def simulate_gaps(teacher: Teacher, student: Student, sample: Sample, *, draws: int = 2000,
                  seed: int | None = None) -> Gaps:
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
    draws : int, default 2000
    seed : int, optional

    Returns
    -------
    Gaps
        Means over the draws with standard errors (the difference is paired).

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample
    >>> sample = Sample.synthetic(d=4, k=2, n=8, noise=0.5, seed=3)
    >>> teacher, student = Teacher(2.0, 1.0), Student(1.0, 0.5, width=3, rank_rule="oracle")
    >>> sim = simulate_gaps(teacher, student, sample, draws=4000, seed=1)
    >>> exact = exact_gaps(teacher, student, sample)
    >>> bool(abs(sim.difference - exact.difference) < 4 * sim.stderr["difference"])
    True
    """
    _check_objects(teacher, student, sample)
    draws = check_int(draws, "draws", low=2)
    if seed is not None:
        seed = check_int(seed, "seed", low=0)
    _need(sample, "simulate_gaps", truth=True)
    maps = _maps(teacher, student, sample)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    d, m, r = X.shape[0], maps.B.shape[1], maps.r
    rng = np.random.default_rng(seed)
    XB = X.T @ maps.B                                                      # (n, m)

    def teacher_draw(Y):
        """``W_T = M_T + Z L_A⁻ᵀ``: rows ~ N(·, A_T⁻¹)."""
        Z = rng.standard_normal(Y.shape[:-1] + (d,))                      # (D, k, d)
        noise = sla.solve_triangular(maps.LA, Z.reshape(-1, d).T, lower=True, trans="T")
        return Y @ maps.LT + noise.T.reshape(Z.shape)

    gaps_t, gaps_s = [], []
    for start in range(0, draws, _CHUNK):
        D = min(_CHUNK, draws - start)
        _, Y = _label_draws(sample, rng, D)
        W_T = teacher_draw(Y)
        if student.soft_labels == "mean":
            Yhat = Y @ maps.HT                                             # M_T X
        else:
            Yhat = teacher_draw(Y) @ X                                     # W_T' X, fresh W_T'
            if student.soft_labels == "sampled+noise":
                Yhat = Yhat + student.soft_label_noise * rng.standard_normal(Yhat.shape)
        Yt = student.alpha * Y + (1 - student.alpha) * Yhat                # Ỹ (D, k, n)
        Ur = np.array(maps.basis(Y))                                       # (D, k, r)
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
        W_tr = Ur @ C @ maps.B.T                                           # (D, k, d)
        Zc = math.sqrt(maps.tau2) * rng.standard_normal((D, k, d))
        W_c = Zc - Ur @ (np.swapaxes(Ur, 1, 2) @ Zc @ maps.B) @ maps.B.T  # off {U_r C Bᵀ}
        W_S = W_tr + W_c
        Y_fresh = sample.W_star @ X + nu * rng.standard_normal(Y.shape)
        for W, out in ((W_T, gaps_t), (W_S, gaps_s)):
            pred = W @ X
            out.append((np.sum((Y_fresh - pred) ** 2, axis=(1, 2))
                        - np.sum((Y - pred) ** 2, axis=(1, 2))) / n)
    gt, gs = np.concatenate(gaps_t), np.concatenate(gaps_s)
    se = lambda x: float(np.std(x, ddof=1) / math.sqrt(draws))  # noqa: E731
    return Gaps(float(gt.mean()), float(gs.mean()), float((gs - gt).mean()),
                stderr={"teacher": se(gt), "student": se(gs), "difference": se(gs - gt)},
                method="simulation", draws=draws)


# --------------------------------------------------------------------------------------------
# Cumulant generating functions of the gap under the teacher (bounds.md §4)
# --------------------------------------------------------------------------------------------

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
    _check_objects(teacher, None, sample)
    check_option(law, "law", LAWS)
    _need(sample, f"gap_cgf(law={law!r})", truth=law != "averaged", positive_noise=True)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    d = X.shape[0]
    if law == "conditional":
        A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(d)
        LA = sla.cholesky(A, lower=True)
        R = sample.Y - sample.W_star @ X                                    # νE (k, n)
        G = 2.0 / n * R @ X.T                                              # ∇_W g_S (k, d)
        sigma2 = float(np.sum(sla.solve_triangular(LA, G.T, lower=True) ** 2))  # tr(G A⁻¹ Gᵀ)
        LT = teacher.beta * sla.cho_solve((LA, True), X).T
        MT = sample.Y @ LT                                                 # (k, d)
        # gap of the teacher given S: L'(M_T) − L_S(M_T) (the posterior noise cancels)
        mean = (np.sum(((sample.W_star - MT) @ X) ** 2) + n * k * nu ** 2
                - np.sum((sample.Y - MT @ X) ** 2)) / n
        return GapCGF.gaussian(sigma2, mean=float(mean), law="conditional")
    eig = _eigen(sample)
    rho = eig.rho
    s = eig.s[:rho]
    a = teacher.beta * s + teacher.ridge                                   # (ρ,)
    h = teacher.beta * s / a                                               # hat eigenvalues
    mean = 2 * nu ** 2 * k / n * float(np.sum(h))                          # E gap_T
    q2 = nu ** 2 * s / (a * n ** 2)                                        # (ρ,)
    if law == "averaged":
        return GapCGF.gaussian(float(np.sum(4 * k * q2)), mean=mean, law="averaged")
    theta2 = np.sum((sample.W_star @ eig.U[:, :rho]) ** 2, axis=0)         # ‖θ_i‖²
    p = nu ** 2 * (teacher.beta * s - teacher.ridge) / (a * n)             # ν²(2h − 1)/n
    lam = 4 * nu ** 2 / n ** 2 * (teacher.ridge / a) ** 2 * s * theta2     # Σ_j ℓ_ji²
    null = k * (n - rho)                       # ε on null(X): (ν²/n)(1 − ε²)
    return GapCGF("joint", mean,
                  weight=np.concatenate([np.full(rho, float(k)), [float(null)]]),
                  p=np.concatenate([p, [-nu ** 2 / n]]),
                  q2=np.concatenate([q2, [0.0]]),
                  lam=np.concatenate([lam, [0.0]]))


# --------------------------------------------------------------------------------------------
# The bounds as functions of K and constants (bounds.md §4–6)
# --------------------------------------------------------------------------------------------

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
    lingauss._validation.LingaussError: kl == -1, must be >= 0.
    """
    kl, sigma2 = _nonneg(kl, "kl"), _nonneg(sigma2, "sigma2")
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
    kl = _nonneg(kl, "kl")
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
    kl = _nonneg(kl, "kl")
    eta = check_real(eta, "eta", low=0)
    c = check_real(c, "c", low=0, high=1)
    teacher_gap = _nonneg(teacher_gap, "teacher_gap")
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
    radius = _nonneg(radius, "radius")
    gradient = _nonneg(gradient, "gradient")
    curvature = _nonneg(curvature, "curvature")
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
    gradient = _nonneg(gradient, "gradient")
    curvature = _nonneg(curvature, "curvature")
    den = gradient + math.sqrt(gradient ** 2 + 2 * curvature * bound)
    if den == 0:
        return math.inf
    return 2 * bound / den


# --------------------------------------------------------------------------------------------
# Every bound beside the truth
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoundRow:
    """One bound beside the exact value it bounds.

    ``side``: ``"abs"`` (``|Δ| <= bound``), ``"lower"`` (``Δ >= bound``) or ``"upper"``
    (``Δ <= bound``). ``slack >= 0`` when the bound holds; ``stderr`` is the Monte Carlo error
    of ``slack`` (0 for closed forms).
    """

    name: str
    statement: str
    side: str
    bound: float
    exact: float
    slack: float
    stderr: float
    violated: bool


@dataclass(frozen=True)
class BoundsTable:
    """:func:`bounds_table`'s result: rows, and every input the bounds used.

    Attributes
    ----------
    rows : tuple of BoundRow
    gaps : Gaps
        The exact gaps (``Δ = gaps.difference``).
    kl, kl_stderr : float
        ``K = E_S K_n(S)`` (closed form, or Monte Carlo with its error).
    sigma2 : float
        ``σ̄²`` of the averaged CGF (the smallest valid sub-Gaussian constant).
    eta, c : float
        ``η* = largest_eta`` and the ``c`` of the central condition.
    gradient, radius, radius_stderr, curvature : float
        ``γ``, ``ρ = √(E_S ‖M_S − M_T‖²)`` and ``h = 0`` of the sharpness bound.
    tightness_radius : float
        ``ρ₀``; ``sharpness_tighter`` is ``radius < tightness_radius``.
    hessian_top : float
        ``λ_max(∇²L_S) = 2 s_1 / n``: the teacher loss's sharpness.
    joint_domain : tuple
        ``(λ_−, λ_+)`` of the joint CGF.
    draws : dict
        Per label draw: ``kl`` (``K_n(S)``), ``sigma2`` (``σ_S²``), ``difference``
        (``Δ_S``), ``displacement2`` (``‖M_S − M_T‖²``), ``mean_part``
        (``½ Σ_j δ_j A_T δ_jᵀ``).
    """

    rows: tuple
    gaps: Gaps
    kl: float
    kl_stderr: float
    sigma2: float
    eta: float
    c: float
    gradient: float
    radius: float
    radius_stderr: float
    curvature: float
    tightness_radius: float
    sharpness_tighter: bool
    hessian_top: float
    joint_domain: tuple
    draws: dict = field(repr=False)

    def __getitem__(self, name: str) -> BoundRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def __str__(self) -> str:
        head = f"{'bound':<12}{'side':<7}{'bound':>13}{'exact':>13}{'slack':>13}  ok"
        lines = [f"Δ = E gap_student − E gap_teacher = {self.gaps.difference:.6g}; "
                 f"K = E K_n = {self.kl:.6g}", head]
        for r in self.rows:
            lines.append(f"{r.name:<12}{r.side:<7}{r.bound:>13.6g}{r.exact:>13.6g}"
                         f"{r.slack:>13.6g}  {'VIOLATED' if r.violated else 'yes'}")
        return "\n".join(lines)


def _row(name, statement, side, bound, exact, stderr, scale):
    slack = {"abs": bound - abs(exact), "lower": exact - bound, "upper": bound - exact}[side]
    violated = slack < -(VIOLATION_RTOL * scale + Z_MAX * stderr)
    return BoundRow(name, statement, side, float(bound), float(exact), float(slack),
                    float(stderr), bool(violated))


def bounds_table(teacher: Teacher, student: Student, sample: Sample, *,
                 monte_carlo: int = 200, seed: int | None = 0, c: float = 1.0,
                 on_violation: str = "warn") -> BoundsTable:
    """Every bound of bounds.md beside the exact ``Δ = E gap_student − E gap_teacher``.

    Rows (bounds.md §4–6):

    * ``subgaussian``: ``|Δ| <= √(2σ̄²K)``, ``σ̄²`` the smallest valid constant;
    * ``exact_cgf``: ``|Δ| <= E_S √(2σ_S² K_n(S))`` (exact conditional CGF, ``λ`` optimised
      per sample; Monte Carlo over ``S``);
    * ``joint_cgf``: ``|Δ| <=`` the Donsker–Varadhan bound with the exact CGF of the gap under
      the teacher's joint law of ``(S, W)`` (quadratic in a Gaussian);
    * ``central``: ``Δ >= −c E gap_T − K/η*``, ``η* = c n β_T``;
    * ``sharpness``: ``|Δ| <= γρ``.

    Closed forms are used where they exist (``Δ``, ``ρ`` for a fixed projector; ``K`` for the
    ``pca`` basis and a fixed projector); the rest, and the ``exact_cgf`` row, average over
    ``monte_carlo`` label draws ``Y = W⋆X + νE`` (the same draws for everything).

    Parameters
    ----------
    teacher, student, sample
        ``sample`` needs ``W_star`` and ``noise > 0``.
    monte_carlo : int, default 200
        Label draws (>= 2).
    seed : int or None, default 0
    c : float, default 1
        The central condition's ``c ∈ (0, 1]``.
    on_violation : {"warn", "raise"}
        A violated bound (beaten by more than ``Z_MAX`` standard errors) warns with
        :class:`BoundViolationWarning` or raises :class:`LingaussError`.

    Returns
    -------
    BoundsTable

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample
    >>> sample = Sample.synthetic(d=6, k=3, n=10, noise=0.5, seed=0)
    >>> student = Student(2.0, 1.0, width=4, rank=2, rank_rule="oracle")
    >>> table = bounds_table(Teacher(2.0, 1.0), student, sample, monte_carlo=50)
    >>> [row.name for row in table.rows]
    ['subgaussian', 'exact_cgf', 'joint_cgf', 'central', 'sharpness']
    >>> any(row.violated for row in table.rows)
    False
    >>> table["exact_cgf"].bound <= table["subgaussian"].bound <= table["joint_cgf"].bound
    True
    """
    _check_objects(teacher, student, sample)
    monte_carlo = check_int(monte_carlo, "monte_carlo", low=2)
    if seed is not None:
        seed = check_int(seed, "seed", low=0)
    c = check_real(c, "c", low=0, high=1)
    check_option(on_violation, "on_violation", ON_VIOLATION)
    _need(sample, "bounds_table", truth=True, positive_noise=True)
    maps = _maps(teacher, student, sample)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    fixed = maps.Ur is not None

    # --- per label draw: K_n(S), σ_S², Δ_S, ‖δ_S‖², ½ Σ δ A_T δᵀ ------------------------------
    rng = np.random.default_rng(seed)
    E, Ys = _label_draws(sample, rng, monte_carlo)
    A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(X.shape[0])
    per = {name: np.empty(monte_carlo)
           for name in ("kl", "sigma2", "difference", "displacement2", "mean_part")}
    for i, Y in enumerate(Ys):
        drawn = Sample(X, Y, W_star=sample.W_star, noise=nu)
        per["kl"][i] = divergence(teacher, student, drawn).total
        G = 2.0 / n * (Y - sample.W_star @ X) @ X.T                        # ∇g_S (k, d)
        per["sigma2"][i] = np.sum(sla.solve_triangular(maps.LA, G.T, lower=True) ** 2)
        delta = maps.student_mean(Y) - Y @ maps.LT                         # M_S − M_T
        per["difference"][i] = np.sum(G * delta)                           # Δ_S = ⟨G_S, δ_S⟩
        per["displacement2"][i] = np.sum(delta ** 2)
        per["mean_part"][i] = 0.5 * np.sum((delta @ A) * delta)

    def mc(x):
        return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(monte_carlo))

    # --- the truth -----------------------------------------------------------------------
    if fixed:
        gaps = exact_gaps(teacher, student, sample)
        diff, diff_se = gaps.difference, 0.0
    else:
        diff, diff_se = mc(per["difference"])
        tg = _teacher_gap(maps, nu)
        gaps = Gaps(tg, tg + diff, diff, stderr={"teacher": 0.0, "student": diff_se,
                                                 "difference": diff_se},
                    method="monte carlo", draws=monte_carlo)
    # --- K = E_S K_n(S) ------------------------------------------------------------------
    if fixed and _closed_form_obstacle(student) is None:
        kl, kl_se = expected_divergence(teacher, student, sample).total, 0.0
    else:
        kl, kl_se = mc(per["kl"])
    # --- constants -----------------------------------------------------------------------
    avg = gap_cgf(teacher, sample, law="averaged")
    joint = gap_cgf(teacher, sample, law="joint")
    sigma2 = avg.variance
    eta = largest_eta(avg, c=c)
    s = _eigen(sample).s
    gradient = math.sqrt(2 * nu ** 2 * k / n * float(np.sum(2 * s / n)))    # (2ν²k/n) tr ∇²L_S
    if fixed:
        radius2, radius2_se = _mean_displacement2(maps, sample), 0.0
    else:
        radius2, radius2_se = mc(per["displacement2"])
    radius = math.sqrt(max(radius2, 0.0))          # a closed form can round below 0
    radius_se = radius2_se / (2 * radius) if radius > 0 else 0.0
    rho0 = tightness_radius(kl, sigma2=sigma2, gradient=gradient)

    # --- rows ----------------------------------------------------------------------------
    scale = max(abs(diff), avg.mean, 1e-300)
    sub = dv_bound(kl, sigma2=sigma2)
    sub_se = math.sqrt(2 * sigma2) * kl_se / (2 * math.sqrt(kl)) if kl > 0 else 0.0
    exact_per = np.sqrt(2 * per["sigma2"] * per["kl"])
    ex, ex_se = mc(exact_per)
    jb = exact_cgf_bound(kl, joint)
    # d(inf_λ (K + ψ(λ))/λ)/dK = 1/λ* (envelope theorem)
    lam_side = jb.lambda_upper if jb.upper >= -jb.lower else jb.lambda_lower
    joint_se = kl_se / lam_side if kl_se > 0 and lam_side > 0 else 0.0
    central = central_lower_bound(kl, eta=eta, c=c, teacher_gap=avg.mean) if eta > 0 \
        else -math.inf
    central_se = kl_se / eta if eta > 0 else 0.0
    sharp = sharpness_bound(radius, gradient=gradient)
    combine = lambda a: math.sqrt(a ** 2 + diff_se ** 2)  # noqa: E731
    rows = (
        _row("subgaussian", "|Δ| <= √(2σ̄² E K_n)", "abs", sub, diff, combine(sub_se), scale),
        _row("exact_cgf", "|Δ| <= E_S √(2σ_S² K_n(S))", "abs", ex, diff, combine(ex_se),
             scale),
        _row("joint_cgf", "|Δ| <= DV bound with the joint CGF of the gap", "abs", jb.absolute,
             diff, combine(joint_se), scale),
        _row("central", f"Δ >= −c E gap_T − E K_n/η*, c = {c:g}, η* = {eta:.6g}", "lower",
             central, diff, combine(central_se), scale),
        _row("sharpness", "|Δ| <= γρ, γ² = (2ν²k/n) tr ∇²L_S", "abs", sharp, diff,
             combine(gradient * radius_se), scale),
    )
    table = BoundsTable(rows=rows, gaps=gaps, kl=kl, kl_stderr=kl_se, sigma2=sigma2, eta=eta,
                        c=c, gradient=gradient, radius=radius, radius_stderr=radius_se,
                        curvature=0.0, tightness_radius=rho0, sharpness_tighter=radius < rho0,
                        hessian_top=2 * float(s[0]) / n, joint_domain=joint.domain, draws=per)
    bad = [r for r in rows if r.violated]
    if bad:
        msg = "; ".join(f"{r.name} ({r.statement}) is violated: bound {r.bound:.6g}, exact "
                        f"{r.exact:.6g}, slack {r.slack:.3g} (stderr {r.stderr:.3g})"
                        for r in bad)
        msg = f"bound violated — a theorem of derivations/bounds.md failed: {msg}."
        if on_violation == "raise":
            raise LingaussError(msg)
        warnings.warn(msg, BoundViolationWarning, stacklevel=2)
    return table


def _mean_displacement2(maps: _Maps, sample: Sample) -> float:
    """``E_S ‖M_S − M_T‖²`` for a fixed projector (bounds.md §6).

    With ``Y = F + νE`` (``F = W⋆X``), ``L_S = J Bᵀ``, ``L_T``:
    ``‖Q F L_S − F L_T‖² + ν² [‖Q‖² ‖L_S‖² − 2 tr(Q) tr(L_Sᵀ L_T) + k ‖L_T‖²]``.
    """
    Q = maps.Ur @ maps.Ur.T
    F = sample.W_star @ sample.X
    LS = maps.J @ maps.B.T                                                 # (n, d)
    mean_part = np.sum((Q @ F @ LS - F @ maps.LT) ** 2)
    noise_part = (np.sum(Q ** 2) * np.sum(LS ** 2) - 2 * np.trace(Q) * np.sum(LS * maps.LT)
                  + maps.k * np.sum(maps.LT ** 2))
    return float(mean_part + sample.noise ** 2 * noise_part)
