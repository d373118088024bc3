"""The exact distillation divergence ``K_n`` and its decomposition (docs/model.md §2–4).

Structure used (derivations/decomposition.md):

* Work in the eigenbasis ``u_i`` of ``XXᵀ`` (one SVD of ``X``): the teacher's row covariance
  ``A_T⁻¹`` is diagonal there, ``diag(1/a_i)``, ``a_i = β_T s_i + λ_T``.
* Rows are independent under both kernels in the output basis ``O = [Q, Q⊥]``, with one
  covariance shared by the ``r`` trained rows and one by the ``k − r`` complement rows; the
  KL is a sum of ``d``-dimensional (parameter space) or ``ρ``-dimensional (prediction space,
  ``ρ = rank X``) Gaussian KLs with shared factorizations. No ``kd × kd`` matrix is built.
* The ``pca`` basis keeps every covariance diagonal (a proven fast path: the tests hold it
  equal to the general route with the same basis given as a matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.memo import Recent
from lingauss._core.threads import blas_threads
from lingauss._core.validation import check_finite, numerics
from lingauss.engine.eigen import complete, numerical_rank
from lingauss.engine.gram import GramFactors, output_bases, tau2_rule
from lingauss.engine.linalg import (chain_rule_kl, chol, minimise_tau2, mixture_slack, solve_l, svd,
                                    svdvals, tau2_profile)
from lingauss.engine.setup import Setup, is_pca, needs_truth, setup, tau2_closed_form
from lingauss.model.checks import check_problem, check_space_direction, problem_sizes
from lingauss.model.data import Sample
from lingauss.model.options import Space, complement_variance
from lingauss.model.results import Decomposition
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

# --------------------------------------------------------------------------------------------
# The kernels as row groups
# --------------------------------------------------------------------------------------------

def _blockdiag(A, tail: float, size: int):
    """``blockdiag(A, tail·I)`` of total size ``size``; 1-D (diagonal) when ``A`` is 1-D."""
    if np.ndim(A) == 1:
        return np.concatenate([A, np.full(size - A.shape[0], tail)])
    out = np.zeros((size, size))
    p = A.shape[0]
    out[:p, :p] = A
    out[np.arange(p, size), np.arange(p, size)] = tail
    return out


def _plus(base, scale: float, extra):
    """``base + scale·extra`` for dense or diagonal (1-D) covariances."""
    if np.ndim(base) == np.ndim(extra):
        return base + scale * extra
    if np.ndim(base) == 1:
        base, extra = extra * scale, base
        scale = 1.0
    out = np.array(base, dtype=float)
    out[np.diag_indices_from(out)] += scale * extra
    return out


def _pad(M, size: int):
    """Rows of ``M`` padded with zero columns to ``size``."""
    return np.hstack([M, np.zeros((M.shape[0], size - M.shape[1]))])


@dataclass(frozen=True)
class _Group:
    """Rows sharing covariances, in the coordinates of the space (trained block first).

    ``mean_*`` are (rows, D); covariances (D, D) or (D,) for diagonal. The student's
    covariance is ``cov_s0 + τ²·cov_tau`` (``τ²`` enters linearly; it is chosen after the
    kernels are built); ``cond0`` and ``extra`` split ``cov_s0`` into the covariance given one
    draw of ``Ŷ`` and the covariance of its mean over the draws (sampled soft labels only).
    """

    rows: int
    p: int
    mean_s: np.ndarray
    cov_s0: np.ndarray
    cov_tau: np.ndarray
    mean_t: np.ndarray
    cov_t: np.ndarray
    cond0: np.ndarray | None = None
    extra: np.ndarray | None = None
    delta: np.ndarray | None = None     # mean_s − mean_t, cancellation-free (pca path)

    def at(self, tau2: float) -> dict:
        """The student's covariances at ``τ²``."""
        return dict(cov_s=_plus(self.cov_s0, tau2, self.cov_tau),
                    cov_s_cond=None if self.cond0 is None else _plus(self.cond0, tau2,
                                                                      self.cov_tau))

    def profile(self, direction: str):
        gap = self.mean_s - self.mean_t if self.delta is None else self.delta
        return tau2_profile(self.rows, self.cov_s0, self.cov_tau, self.cov_t, gap, direction)


def _rank_floor(mean, cov, r: int) -> float:
    """``½ Σ_{j>r} σ_j²``, ``σ_j`` the singular values of the whitened mean ``L⁻¹ meanᵀ``."""
    if mean.shape[1] == 0:
        return 0.0
    white = solve_l(chol(cov, "the teacher's covariance on the width"), mean.T)  # L⁻¹ meanᵀ
    sig = svdvals(white)
    return 0.5 * float(np.sum(sig[r:] ** 2))


def _kernels(teacher: Teacher, student: Student, st: Setup, space: str,
             noise: float | None):
    """Row groups ``[trained rows, complement rows]`` of both kernels, and the rank floor.

    Parameter space: coordinates ``[B, B⊥]`` (eigen coordinates rotated by ``R``).
    Prediction space: coordinates of ``range(Xᵀ)`` (``ρ`` modes; on ``null(X)`` both kernels
    are ``N(0, ν² I)`` and contribute exactly 0), rotated so that ``range(XᵀB)`` comes first.
    """
    eig, d, k, m, r = st.eig, st.d, st.k, st.m, st.r
    s, z, a, M_T, O = eig.s, st.z, st.a, st.M_T, st.O
    mom = st.moments
    diag = st.pca
    sampled = student.soft_labels.sampled
    mean_s_w = O[:, :r].T @ mom.C                              # (r, m) trained rows
    mean_t = O.T @ M_T                                         # (k, d) rotated rows
    zero_w = np.zeros(m) if diag else np.zeros((m, m))
    if diag:
        # trained rows, mean_s − mean_t without cancellation: on the width
        # β_S ẑ_i/b_i − β_T z_i/a_i = z_i (αβ_Sλ_T − β_Tλ_S)/(a_i b_i); beyond it −mean_t
        gap = (student.alpha * student.beta * teacher.ridge - teacher.beta * student.ridge) / (
            a[:m] * (student.beta * s[:m] + student.ridge))
        delta_w = np.hstack([(O[:, :r].T @ z[:, :m]) * gap, -mean_t[:r, m:]])   # (r, d)

    if space is Space.PARAMETER:
        R = np.eye(d) if diag else st.R                        # (d, d)
        cov_t = 1.0 / a if diag else (R.T / a) @ R
        trained = _Group(
            rows=r, p=m, mean_s=_pad(mean_s_w, d), cov_s0=_blockdiag(mom.cov, 0.0, d),
            cov_tau=_blockdiag(np.zeros(m), 1.0, d), mean_t=mean_t[:r] @ R, cov_t=cov_t,
            cond0=_blockdiag(mom.cov_cond, 0.0, d) if sampled else None,
            extra=_blockdiag(mom.extra, 0.0, d) if sampled else None,
            delta=delta_w if diag else None)
        complement = _Group(rows=k - r, p=0, mean_s=np.zeros((k - r, d)),
                            cov_s0=np.zeros(d), cov_tau=np.ones(d), mean_t=mean_t[r:],
                            cov_t=1.0 / a)
        Bw = R[:, :m]
        floor = (_rank_floor(M_T[:, :m], 1.0 / a[:m], r) if diag
                 else _rank_floor(M_T @ Bw, (Bw.T / a) @ Bw, r))
        return [trained, complement], floor

    # Prediction space: mode i of range(Xᵀ) carries √s_i·(wᵀu_i) + ν e_i.
    rho = eig.rho
    sq = np.sqrt(s[:rho])                                      # (ρ,)
    nu2 = noise ** 2
    tvar = s[:rho] / a[:rho] + nu2                             # teacher, diagonal
    mt = mean_t[:, :rho] * sq                                  # (k, ρ)
    complement = _Group(rows=k - r, p=0, mean_s=np.zeros((k - r, rho)),
                        cov_s0=np.full(rho, nu2), cov_tau=s[:rho].copy(), mean_t=mt[r:],
                        cov_t=tvar)
    if diag:
        p = min(m, rho)
        pvar = _blockdiag(mom.cov, 0.0, d)[:rho]
        trained = _Group(
            rows=r, p=p, mean_s=_pad(mean_s_w, d)[:, :rho] * sq,
            cov_s0=s[:rho] * pvar + nu2, cov_tau=s[:rho] * _blockdiag(zero_w, 1.0, d)[:rho],
            mean_t=mt[:r], cov_t=tvar,
            cond0=s[:rho] * _blockdiag(mom.cov_cond, 0.0, d)[:rho] + nu2 if sampled else None,
            extra=s[:rho] * _blockdiag(mom.extra, 0.0, d)[:rho] if sampled else None,
            delta=delta_w[:, :rho] * sq)
        floor = _rank_floor(M_T[:, :p] * sq[:p], tvar[:p], r)
        return [trained, complement], floor
    Bt = st.Bt
    p, Rp, cov_tau, cond, extra, cov_t, floor_cov = _PREDICTION_FRAME(
        sq, Bt, st.R, mom.cov_cond, mom.extra if sampled else None, tvar, nu2, s[0])
    trained = _Group(
        rows=r, p=p, mean_s=(mean_s_w @ Bt.T)[:, :rho] * sq @ Rp,
        cov_s0=cond if extra is None else cond + extra, cov_tau=cov_tau,
        mean_t=mt[:r] @ Rp, cov_t=cov_t, cond0=cond if sampled else None, extra=extra)
    floor = _rank_floor((M_T[:, :rho] * sq) @ Rp[:, :p], floor_cov, r)
    return [trained, complement], floor


def _prediction_frame(sq, Bt, R, cov_cond, extra, tvar, nu2: float, s_max: float) -> tuple:
    """What the prediction-space kernels of a general basis take from the inputs, the bases
    and the covariances alone (the same for every label draw): ``(p, R_p, cov_tau, cond,
    extra, cov_t, cov_t on range(XᵀB))`` in the coordinates ``R_p`` of ``range(Xᵀ)`` that put
    ``range(XᵀB)`` (dimension ``p``) first."""
    rho, d = sq.shape[0], Bt.shape[0]
    G = sq[:, None] * Bt[:rho]                                 # (ρ, m) basis of range(XᵀB)
    UG, sv, _ = svd(G)
    p = numerical_rank(sv, G.shape)
    Rp = complete(UG[:, :p])                                   # (ρ, ρ)

    def push(cov_w, tail):
        """Prediction covariance of a parameter covariance blockdiag(cov_w, tail·I) (R coords)."""
        full = R @ _blockdiag(np.atleast_2d(cov_w), tail, d) @ R.T
        out = Rp.T @ (sq[:, None] * full[:rho, :rho] * sq) @ Rp
        return 0.5 * (out + out.T)

    cov_tau = push(np.zeros((Bt.shape[1],) * 2), 1.0)
    if np.max(np.abs(cov_tau)) <= 100 * np.finfo(float).eps * d * s_max:
        cov_tau = np.zeros_like(cov_tau)      # rounding only: B⊥ does not reach range(Xᵀ)
    cond = push(cov_cond, 0.0) + nu2 * np.eye(rho)
    pushed = None if extra is None else push(extra, 0.0)
    U_p = Rp[:, :p]
    return p, Rp, cov_tau, cond, pushed, (Rp.T * tvar) @ Rp, (U_p.T * tvar) @ U_p


#: Within a loop over label draws the frame repeats (lingauss._memo).
_PREDICTION_FRAME = Recent(_prediction_frame)


def _tau2(student: Student, st: Setup, groups, space: str, direction: str) -> float:
    """``τ²`` by the student's rule; ``"optimal"`` minimises the divergence asked for."""
    N, T, S = st.tau2_statistics()
    if N == 0:
        return 1.0 / student.ridge

    def optimal():
        if space is Space.PARAMETER:
            return tau2_closed_form(direction, N, T, S)
        active = [g for g in groups if g.rows > 0 and np.any(g.cov_tau)]
        if not active:
            return 1.0 / student.ridge
        return minimise_tau2([g.profile(direction) for g in active], N / T)

    return float(complement_variance(student.complement_variance, ridge=student.ridge,
                                     optimal=optimal))


def _decompose(groups, floor: float, direction: str, tau2: float) -> Decomposition:
    """Chain-rule terms summed over row groups (and over both directions for "symmetric")."""
    terms = dict(bias=0.0, variance=0.0, bottleneck_mean=0.0, bottleneck_covariance=0.0)
    slack = 0.0
    sampled = groups[0].extra is not None
    for part in direction.parts:
        reverse = part.reverse
        for g in groups:
            if g.rows == 0:
                continue
            cov = g.at(tau2)
            first = (g.mean_t, g.cov_t) if reverse else (g.mean_s, cov["cov_s"])
            second = (g.mean_s, cov["cov_s"]) if reverse else (g.mean_t, g.cov_t)
            delta = None if g.delta is None else (-g.delta if reverse else g.delta)
            for name, value in chain_rule_kl(*first, *second, g.p, delta=delta).items():
                terms[name] += value
            if g.extra is not None:
                slack += mixture_slack(g.mean_t, g.cov_t, g.mean_s, cov["cov_s_cond"],
                                       g.extra, g.rows, reverse)
    return Decomposition.from_terms(**terms, rank_floor=floor,
                                    convexity_slack=slack if sampled else None)


def _gram_route(teacher: Teacher, student: Student, sample: Sample, direction: str):
    """Parameter space with a general basis, from the Gram matrix and Cholesky factors
    (``lingauss/_gram.py``); ``None`` when a trace/log-determinant sum cancelled (the eigen
    route then computes it eigenvalue by eigenvalue)."""
    d, k = sample.d, sample.k
    m, r = student.resolve(d, k)
    needs_truth(student, sample.W_star)
    B = student.basis if isinstance(student.basis, np.ndarray) else np.eye(d)[:, :m]
    factors = GramFactors.build(teacher, student, sample.X, B, direction=direction)
    Y = sample.Y[None]
    means = factors.means(teacher, student, Y)
    O = output_bases(student, r, means[2], sample.W_star)
    terms = factors.terms(means, O, r, tau2_rule(student, direction), direction,
                          student.soft_labels.sampled)
    if terms["cancelled"][0]:
        return None
    return Decomposition.from_terms(
        bias=float(terms["bias"][0]), variance=float(terms["variance"][0]),
        bottleneck_mean=float(terms["bottleneck_mean"][0]),
        bottleneck_covariance=float(terms["bottleneck_covariance"][0]),
        rank_floor=float(terms["rank_floor"][0]),
        convexity_slack=float(terms["convexity_slack"][0]) if "convexity_slack" in terms
        else None)


def kernel_set_up(teacher: Teacher, student: Student, sample: Sample, *,
                  space: str = "parameter", direction: str = "forward"):
    """``(Setup, τ²)``: the resolved problem and the complement variance the engine uses.

    Shared with the spectral route (:mod:`lingauss.numeric`), so that every route uses the
    same projector and the same ``τ²`` (for ``"optimal"``: the minimiser of the divergence in
    this space and direction).
    """
    space, direction = check_space_direction(space, direction)
    with numerics("the set-up of the kernels", problem_sizes(teacher, student, sample)):
        st = setup(teacher, student, sample)
        groups, _ = _kernels(teacher, student, st, space, sample.noise)
        return st, _tau2(student, st, groups, space, direction)


def divergence(teacher: Teacher, student: Student, sample: Sample, *,
               space: str = "parameter", direction: str = "forward") -> Decomposition:
    """The exact distillation divergence ``K_n`` and its decomposition (docs/model.md §4).

    ``K = KL(P^𝒯‖P'^𝒯) + E_{P^𝒯} KL(P^{𝒞|𝒯}‖P'^{𝒞|𝒯}) = (bias + variance) + rank_bottleneck``
    with ``P`` the first argument of the KL: the student for ``direction="forward"``.
    Derivation: ``derivations/decomposition.md``.

    Parameters
    ----------
    teacher : Teacher
    student : Student
    sample : Sample
    space : {"parameter", "prediction"}
        Kernels over ``W``, or their push-forward to the training predictions ``WX + νE``
        (needs ``sample.noise > 0``).
    direction : {"forward", "reverse", "symmetric"}
        ``KL(P_S‖P_T)``, ``KL(P_T‖P_S)`` or their sum (terms are the sums of both splits).

    Returns
    -------
    Decomposition

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample, divergence
    >>> sample = Sample.synthetic(d=6, k=3, n=10, noise=0.5, seed=0)
    >>> dec = divergence(Teacher(4.0, 1.0), Student(4.0, 1.0, width=4, rank=2), sample)
    >>> bool(abs(dec.total - (dec.bias + dec.variance + dec.rank_bottleneck)) < 1e-12)
    True
    >>> same = Student(4.0, 1.0, alpha=1.0)   # the student *is* the teacher
    >>> divergence(Teacher(4.0, 1.0), same, sample).total
    0.0
    """
    space, direction = check_problem(teacher, student, sample, space=space,
                                     direction=direction)
    sizes = problem_sizes(teacher, student, sample)
    with blas_threads(sample.d), numerics("the divergence", sizes):
        dec = None
        if space is Space.PARAMETER and not is_pca(student):
            dec = _gram_route(teacher, student, sample, direction)
        if dec is None:
            st = setup(teacher, student, sample)
            groups, floor = _kernels(teacher, student, st, space, sample.noise)
            tau2 = _tau2(student, st, groups, space, direction)
            dec = _decompose(groups, floor, direction, tau2)
    check_finite(dec.as_dict(), "the divergence", sizes)
    return dec
