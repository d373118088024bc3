"""The exact distillation divergence ``K_n`` and its decomposition (MODEL.md §2–4).

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
from scipy import linalg as sla

from ._linalg import _chol, _solve_l, chain_rule_kl, mixture_slack
from ._validation import LingaussError, check_option
from .model import DIRECTIONS, SPACES, Sample, Student, Teacher

# Singular values below this multiple of eps·max(shape)·σ_max count as zero (numerical rank).
_RANK_RTOL = 1.0

TERMS = ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
         "bottleneck_covariance", "rank_floor", "convexity_bound", "convexity_slack")


@dataclass(frozen=True)
class Decomposition:
    """``K = bias + variance + rank_bottleneck`` (MODEL.md §4), every term ``>= 0``.

    Attributes
    ----------
    total : float
        The divergence ``K`` — visibly ``bias + variance + rank_bottleneck``.
    bias, variance : float
        Mean and covariance parts of the KL on the trained coordinates ``𝒯``.
    rank_bottleneck : float
        ``E_{P^𝒯} KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯})``, the cost of the untrainable coordinates,
        ``= bottleneck_mean + bottleneck_covariance``.
    rank_floor : float
        Diagnostic (not a summand): ``½ Σ_{j>r} σ_j²`` of the teacher mean restricted to the
        width, whitened by the teacher's covariance there (the Eckart–Young floor).
    convexity_bound, convexity_slack : float or None
        Sampled soft labels only: ``E_Ŷ KL(P_S(·|Ŷ) ‖ P_T)`` (in the requested direction) and
        its excess over ``total`` (forward: ``I(Ŷ; W_S)``).
    stderr : dict or None
        Monte Carlo standard errors of each term (expected divergences only).

    Examples
    --------
    >>> dec = Decomposition(total=3.0, bias=1.0, variance=0.5, rank_bottleneck=1.5,
    ...                     bottleneck_mean=1.0, bottleneck_covariance=0.5, rank_floor=0.25)
    >>> dec.as_dict()["total"], "convexity_bound" in dec.as_dict()
    (3.0, False)
    """

    total: float
    bias: float
    variance: float
    rank_bottleneck: float
    bottleneck_mean: float
    bottleneck_covariance: float
    rank_floor: float
    convexity_bound: float | None = None
    convexity_slack: float | None = None
    stderr: dict | None = None

    @classmethod
    def from_terms(cls, *, bias, variance, bottleneck_mean, bottleneck_covariance, rank_floor,
                   convexity_slack=None, stderr=None) -> "Decomposition":
        """Assemble the decomposition from its four parts (the sums are made here, once).

        >>> Decomposition.from_terms(bias=1.0, variance=0.5, bottleneck_mean=1.0,
        ...                          bottleneck_covariance=0.5, rank_floor=0.0).total
        3.0
        """
        # rank_bottleneck = E_{P^𝒯} KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯}) = mean part + covariance part
        rank_bottleneck = bottleneck_mean + bottleneck_covariance
        # K = KL(P^𝒯 ‖ P'^𝒯) + E KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯}) = (bias + variance) + rank_bottleneck
        total = bias + variance + rank_bottleneck
        return cls(total=total, bias=bias, variance=variance, rank_bottleneck=rank_bottleneck,
                   bottleneck_mean=bottleneck_mean, bottleneck_covariance=bottleneck_covariance,
                   rank_floor=rank_floor,
                   convexity_bound=None if convexity_slack is None else total + convexity_slack,
                   convexity_slack=convexity_slack, stderr=stderr)

    def as_dict(self) -> dict:
        """The terms as ``{name: float}`` (absent terms omitted; ``stderr_<name>`` added)."""
        out = {name: float(getattr(self, name)) for name in TERMS
               if getattr(self, name) is not None}
        if self.stderr:
            out.update({f"stderr_{name}": float(v) for name, v in self.stderr.items()})
        return out

    def _rows(self):
        d = self.as_dict()
        return [(name, d[name], (self.stderr or {}).get(name)) for name in TERMS if name in d]

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={value:.6g}" + ("" if se is None else f"±{se:.2g}")
                         for name, value, se in self._rows())
        return f"Decomposition({body})"

    def _repr_html_(self) -> str:
        has_se = bool(self.stderr)
        head = "<tr><th>term</th><th>value</th>" + ("<th>std. error</th>" if has_se else "")
        rows = []
        for name, value, se in self._rows():
            cell = f"<td>{se:.4g}</td>" if has_se and se is not None else (
                "<td></td>" if has_se else "")
            rows.append(f"<tr><td>{name}</td><td>{value:.6g}</td>{cell}</tr>")
        return ("<table><caption>distillation divergence K = bias + variance + "
                "rank_bottleneck</caption>" + head + "</tr>" + "".join(rows) + "</table>")


# --------------------------------------------------------------------------------------------
# Problem set-up shared by every route
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Eigen:
    """The sample in the eigenbasis of ``XXᵀ``."""

    s: np.ndarray      # (d,) eigenvalues s_i, descending, exact zeros beyond rank X
    U: np.ndarray      # (d, d) eigenvectors u_i as columns
    z: np.ndarray      # (k, d) statistic z_i = Y Xᵀ u_i
    rho: int           # rank of X


def _eigen(sample: Sample) -> _Eigen:
    """Eigenvalues and eigenvectors of ``XXᵀ`` from an SVD of ``X`` (of ``R`` in ``Xᵀ = QR``
    when ``n > d``: the same singular values and left vectors at ``O(nd²)`` cost)."""
    X, Y = sample.X, sample.Y
    d, n = X.shape
    core = sla.qr(X.T, mode="r", check_finite=False)[0][:d].T if n > d else X  # (d, ≤d)
    U, sv, _ = sla.svd(core, full_matrices=False, check_finite=False)          # U (d, q)
    rho = _numerical_rank(sv, X.shape)
    if U.shape[1] < d:                                            # complete to a basis of R^d
        U = _complete(U)
    s = np.zeros(d)
    s[:rho] = sv[:rho] ** 2
    z = np.zeros((sample.k, d))
    z[:, :rho] = (Y @ X.T) @ U[:, :rho]                           # z_i = Y Xᵀ u_i
    return _Eigen(s=s, U=U, z=z, rho=rho)


def _numerical_rank(sv: np.ndarray, shape) -> int:
    """Singular values (descending) above ``_RANK_RTOL · eps · max(shape) · σ_max``."""
    tol = _RANK_RTOL * np.finfo(float).eps * max(shape) * (sv[0] if sv.size else 0.0)
    return int(np.sum(sv > tol))


def _complete(Bt: np.ndarray) -> np.ndarray:
    """``[B, B⊥]``: an orthogonal matrix whose first columns are the orthonormal ``B``."""
    D, p = Bt.shape
    if p == D:
        return Bt
    Qf = sla.qr(Bt, mode="full", check_finite=False)[0]
    return np.hstack([Bt, Qf[:, p:]])


@dataclass(frozen=True)
class _Problem:
    """Everything the kernels need, resolved against a sample (eigen coordinates)."""

    eig: _Eigen
    d: int
    k: int
    m: int
    r: int
    Bt: np.ndarray | None   # (d, m) width basis in eigen coordinates; None for "pca"
    R: np.ndarray | None    # (d, d) [Bt, Bt⊥]; None for "pca"
    W_star: np.ndarray | None


def _resolve(student: Student, sample: Sample) -> _Problem:
    d, k = sample.d, sample.k
    m, r = student.resolve(d, k)
    if isinstance(student.rank_rule, str) and student.rank_rule == "oracle" \
            and sample.W_star is None:
        raise LingaussError(
            "rank_rule == 'oracle' needs the true weights: sample.W_star is None.")
    eig = _eigen(sample)
    if isinstance(student.basis, np.ndarray):
        Bt = eig.U.T @ student.basis
    elif student.basis == "first":
        Bt = eig.U[:m, :].T.copy()
    else:
        Bt = None
    return _Problem(eig=eig, d=d, k=k, m=m, r=r, Bt=Bt, R=None if Bt is None else _complete(Bt),
                    W_star=sample.W_star)


@dataclass(frozen=True)
class _Group:
    """Rows sharing covariances, in the coordinates of the space (trained block first).

    ``mean_*`` are (rows, D); ``cov_*`` (D, D) or (D,) for diagonal. ``cov_s_cond`` and
    ``extra`` are the student's covariance given one draw of ``Ŷ`` and the covariance of its
    mean over the draws (sampled soft labels only).
    """

    rows: int
    p: int
    mean_s: np.ndarray
    cov_s: np.ndarray
    mean_t: np.ndarray
    cov_t: np.ndarray
    cov_s_cond: np.ndarray | None = None
    extra: np.ndarray | None = None
    delta: np.ndarray | None = None     # mean_s − mean_t, cancellation-free (pca path)


def optimal_tau2(d, k, m, r, sum_a_perp, sum_a, ridge):
    """``τ²* = dim 𝒞 / tr(teacher precision on 𝒞)`` (MODEL.md §3); broadcasts.

    ``dim 𝒞 = r(d − m) + (k − r)d`` and the trace is ``r·Σ_{i∉width} a_i + (k − r)·Σ_i a_i``
    (``sum_a_perp``: the teacher precision's trace on the complement of the width); when the
    complement is empty ``τ²`` is unused and ``1/λ_S`` is returned.

    >>> float(optimal_tau2(4, 2, 2, 1, 3.0, 10.0, 1.0))   # (2 + 4) / (3 + 10)
    0.46153846153846156
    """
    dim_c = r * (d - m) + (k - r) * d
    tr = r * sum_a_perp + (k - r) * sum_a
    safe = np.where(dim_c == 0, 1.0, tr)
    return np.where(dim_c == 0, 1.0 / ridge, dim_c / safe)


def _tau2(student: Student, prob: _Problem, a: np.ndarray) -> float:
    """``τ²``: ``1/λ_S``, a number, or :func:`optimal_tau2` (MODEL.md §3)."""
    cv = student.complement_variance
    if not isinstance(cv, str):
        return float(cv)
    if cv == "prior":
        return 1.0 / student.ridge
    # teacher precision diag(a) in eigen coordinates, restricted to the complement of the width
    if prob.Bt is None:
        tr_perp = float(np.sum(a[prob.m:]))
    else:
        tr_perp = float(np.sum(a[:, None] * prob.R[:, prob.m:] ** 2))
    return float(optimal_tau2(prob.d, prob.k, prob.m, prob.r, tr_perp, float(np.sum(a)),
                              student.ridge))


def _blockdiag(A, tail: float, size: int):
    """``blockdiag(A, tail·I)`` of total size ``size``; 1-D (diagonal) when ``A`` is 1-D."""
    if np.ndim(A) == 1:
        return np.concatenate([A, np.full(size - A.shape[0], tail)])
    out = np.zeros((size, size))
    p = A.shape[0]
    out[:p, :p] = A
    out[np.arange(p, size), np.arange(p, size)] = tail
    return out


def _pad(M, size: int):
    """Rows of ``M`` padded with zero columns to ``size``."""
    return np.hstack([M, np.zeros((M.shape[0], size - M.shape[1]))])


def _rank_floor(mean, cov, r: int) -> float:
    """``½ Σ_{j>r} σ_j²``, ``σ_j`` the singular values of the whitened mean ``L⁻¹ meanᵀ``."""
    if mean.shape[1] == 0:
        return 0.0
    white = _solve_l(_chol(cov, "the teacher's covariance on the width"), mean.T)  # L⁻¹ meanᵀ
    sig = np.linalg.svd(white, compute_uv=False)
    return 0.5 * float(np.sum(sig[r:] ** 2))


def _kernels(teacher: Teacher, student: Student, prob: _Problem, space: str,
             noise: float | None):
    """Row groups ``[trained rows, complement rows]`` of both kernels, and the rank floor.

    Parameter space: coordinates ``[B, B⊥]`` (eigen coordinates rotated by ``R``).
    Prediction space: coordinates of ``range(Xᵀ)`` (``ρ`` modes; on ``null(X)`` both kernels
    are ``N(0, ν² I)`` and contribute exactly 0), rotated so that ``range(XᵀB)`` comes first.
    """
    eig, d, k, m, r = prob.eig, prob.d, prob.k, prob.m, prob.r
    s, z = eig.s, eig.z
    diag = prob.Bt is None
    alpha, bS, lS = student.alpha, student.beta, student.ridge
    # Teacher (MODEL.md §2), eigen coordinates: precision a_i, mean β_T z_i / a_i.
    a = teacher.beta * s + teacher.ridge                       # (d,)
    M_T = teacher.beta * z / a                                 # (k, d)
    # Expected targets: E[Ỹ] Xᵀ u_i = (α + (1−α) β_T s_i / a_i) z_i.
    zhat = z * (alpha + (1 - alpha) * teacher.beta * s / a)    # (k, d)
    # Column covariance of Ŷ seen through X:  X Σ_Ŷ Xᵀ = U diag(h) Uᵀ.
    h = np.zeros_like(s)
    if student.soft_labels != "mean":
        h = h + s * s / a
    if student.soft_labels == "sampled+noise":
        h = h + student.soft_label_noise ** 2 * s
    c2 = ((1 - alpha) * bS) ** 2
    # Student, width coordinates: K = β_S BᵀXXᵀB + λ_S I_m; mean β_S E[Ỹ]XᵀB K⁻¹;
    # covariance K⁻¹ given Ŷ, plus (1−α)²β_S² K⁻¹ (BᵀXΣ_ŶXᵀB) K⁻¹ from the draw of Ŷ.
    if diag:
        Kd = bS * s[:m] + lS                                   # (m,)
        C = bS * zhat[:, :m] / Kd                              # (k, m)
        sig_cond = 1.0 / Kd                                    # (m,)
        extra_w = c2 * h[:m] / Kd ** 2                         # (m,)
        whiten = C * np.sqrt(Kd)                               # M̂_S A_S^{1/2}
    else:
        Bt = prob.Bt                                           # (d, m)
        K = bS * (Bt.T * s) @ Bt + lS * np.eye(m)              # (m, m)
        Lk = _chol(K, "the student's width precision K = β_S BᵀXXᵀB + λ_S I")
        C = bS * sla.cho_solve((Lk, True), (zhat @ Bt).T).T    # (k, m)
        sig_cond = sla.cho_solve((Lk, True), np.eye(m))        # (m, m)
        sig_cond = 0.5 * (sig_cond + sig_cond.T)
        extra_w = c2 * sig_cond @ ((Bt.T * h) @ Bt) @ sig_cond
        extra_w = 0.5 * (extra_w + extra_w.T)
        whiten = C @ Lk
    sig_w = sig_cond + extra_w                                 # marginal over Ŷ
    # Output projector Q = U_r Uᵣᵀ (MODEL.md §3 rank rules) and the basis O = [U_r, U_⊥].
    if isinstance(student.rank_rule, np.ndarray):
        Ur = student.rank_rule
    elif student.rank_rule == "optimal":
        Ur = np.linalg.svd(whiten, full_matrices=False)[0][:, :r]
    else:
        Ur = np.linalg.svd(prob.W_star, full_matrices=False)[0][:, :r]
    O = _complete(np.asarray(Ur, dtype=float))                 # (k, k)
    tau2 = _tau2(student, prob, a)
    mean_s_w = O[:, :r].T @ C                                  # (r, m) trained rows
    mean_t = O.T @ M_T                                         # (k, d) rotated rows
    if diag:
        # trained rows, mean_s − mean_t without cancellation: on the width
        # β_S ẑ_i/b_i − β_T z_i/a_i = z_i (αβ_Sλ_T − β_Tλ_S)/(a_i b_i); beyond it −mean_t
        gap = (alpha * bS * teacher.ridge - teacher.beta * lS) / (a[:m] * (bS * s[:m] + lS))
        delta_w = np.hstack([(O[:, :r].T @ z[:, :m]) * gap, -mean_t[:r, m:]])   # (r, d)
    sampled = student.soft_labels != "mean"

    if space == "parameter":
        R = np.eye(d) if diag else prob.R                      # (d, d)
        cov_t = 1.0 / a if diag else (R.T / a) @ R
        trained = _Group(
            rows=r, p=m, mean_s=_pad(mean_s_w, d), cov_s=_blockdiag(sig_w, tau2, d),
            mean_t=mean_t[:r] @ R, cov_t=cov_t,
            cov_s_cond=_blockdiag(sig_cond, tau2, d) if sampled else None,
            extra=_blockdiag(extra_w, 0.0, d) if sampled else None,
            delta=delta_w if diag else None)
        complement = _Group(rows=k - r, p=0, mean_s=np.zeros((k - r, d)),
                            cov_s=np.full(d, tau2), mean_t=mean_t[r:], cov_t=1.0 / a)
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
                        cov_s=tau2 * s[:rho] + nu2, mean_t=mt[r:], cov_t=tvar)
    if diag:
        p = min(m, rho)
        pvar = _blockdiag(sig_w, tau2, d)[:rho]
        trained = _Group(
            rows=r, p=p, mean_s=_pad(mean_s_w, d)[:, :rho] * sq,
            cov_s=s[:rho] * pvar + nu2, mean_t=mt[:r], cov_t=tvar,
            cov_s_cond=s[:rho] * _blockdiag(sig_cond, tau2, d)[:rho] + nu2 if sampled else None,
            extra=s[:rho] * _blockdiag(extra_w, 0.0, d)[:rho] if sampled else None,
            delta=delta_w[:, :rho] * sq)
        floor = _rank_floor(M_T[:, :p] * sq[:p], tvar[:p], r)
        return [trained, complement], floor
    Bt, R = prob.Bt, prob.R
    G = sq[:, None] * Bt[:rho]                                 # (ρ, m) basis of range(XᵀB)
    UG, sv, _ = np.linalg.svd(G, full_matrices=False)
    p = _numerical_rank(sv, G.shape)
    Rp = _complete(UG[:, :p])                                  # (ρ, ρ)

    def push(cov_w, tail):
        """Prediction covariance of a parameter covariance blockdiag(cov_w, tail·I) (R coords)."""
        full = R @ _blockdiag(np.atleast_2d(cov_w), tail, d) @ R.T
        out = Rp.T @ (sq[:, None] * full[:rho, :rho] * sq) @ Rp
        return 0.5 * (out + out.T)

    noise_eye = nu2 * np.eye(rho)
    trained = _Group(
        rows=r, p=p, mean_s=(mean_s_w @ Bt.T)[:, :rho] * sq @ Rp,
        cov_s=push(sig_w, tau2) + noise_eye, mean_t=mt[:r] @ Rp, cov_t=(Rp.T * tvar) @ Rp,
        cov_s_cond=push(sig_cond, tau2) + noise_eye if sampled else None,
        extra=push(extra_w, 0.0) if sampled else None)
    U_p = Rp[:, :p]
    floor = _rank_floor((M_T[:, :rho] * sq) @ U_p, (U_p.T * tvar) @ U_p, r)
    return [trained, complement], floor


def _decompose(groups, floor: float, direction: str) -> Decomposition:
    """Chain-rule terms summed over row groups (and over both directions for "symmetric")."""
    terms = dict(bias=0.0, variance=0.0, bottleneck_mean=0.0, bottleneck_covariance=0.0)
    slack = 0.0
    sampled = groups[0].extra is not None
    for reverse in {"forward": (False,), "reverse": (True,),
                    "symmetric": (False, True)}[direction]:
        for g in groups:
            if g.rows == 0:
                continue
            first = (g.mean_t, g.cov_t) if reverse else (g.mean_s, g.cov_s)
            second = (g.mean_s, g.cov_s) if reverse else (g.mean_t, g.cov_t)
            delta = None if g.delta is None else (-g.delta if reverse else g.delta)
            for name, value in chain_rule_kl(*first, *second, g.p, delta=delta).items():
                terms[name] += value
            if g.extra is not None:
                slack += mixture_slack(g.mean_t, g.cov_t, g.mean_s, g.cov_s_cond, g.extra,
                                       g.rows, reverse)
    return Decomposition.from_terms(**terms, rank_floor=floor,
                                    convexity_slack=slack if sampled else None)


def _check_inputs(teacher, student, sample, space, direction):
    for value, name, cls in ((teacher, "teacher", Teacher), (student, "student", Student),
                             (sample, "sample", Sample)):
        if not isinstance(value, cls):
            raise LingaussError(
                f"{name} == {value!r}, must be a lingauss.{cls.__name__}.")
    check_option(space, "space", SPACES)
    check_option(direction, "direction", DIRECTIONS)
    if space == "prediction" and sample.noise is None:
        raise LingaussError(
            "space == 'prediction' needs the label noise: sample.noise is None.")


def divergence(teacher: Teacher, student: Student, sample: Sample, *,
               space: str = "parameter", direction: str = "forward") -> Decomposition:
    """The exact distillation divergence ``K_n`` and its decomposition (MODEL.md §4).

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
        (needs ``sample.noise``).
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
    _check_inputs(teacher, student, sample, space, direction)
    prob = _resolve(student, sample)
    groups, floor = _kernels(teacher, student, prob, space, sample.noise)
    return _decompose(groups, floor, direction)
