"""Row-structured Gaussian kernels over ``W`` and the KL divergence between any two of them.

A kernel (the teacher, or a generation of a distillation chain; docs/model.md §2, §3, §8) has
a mean ``M`` (k, d) and independent rows in an output basis; a row's covariance is the
teacher's ``A_T⁻¹``, or a student's ``B Σ_w Bᵀ + τ²(I − BBᵀ)`` on its trained rows and
``τ² I`` on the others. Everything is in eigen coordinates of ``XXᵀ``.

The rows of every kernel of a chain are independent in one common output basis when the
generations' output projectors commute (always so at full rank, for the oracle rule, and for
user matrices that commute): the basis diagonalises ``Σ_g 2^g Q_g``, whose eigenvalues spell
each row's membership pattern in binary. Rows with the same pattern form a *class*: inside a
class every kernel has one row covariance, so the KL between two kernels is a sum over
classes of the chain-rule split of ``lingauss._linalg.chain_rule_kl`` — the same primitive the
single-step engine uses. The split is over the *later* generation's trained coordinates (the
student of the pair), as for a teacher and its student.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.engine.eigen import complete, numerical_rank
from lingauss.engine.linalg import (chain_rule_kl, chol, eigh, minimise_tau2, mixture_slack,
                                    solve_l, svd, svdvals, tau2_profile)
from lingauss.model.options import Direction, Space

#: Tolerance of "the projectors commute" and "a row is in a projector's range".
COMMUTE_TOL = 1e-8


@dataclass
class Kernel:
    """One kernel of a chain (eigen coordinates)."""

    mean: np.ndarray                 # (k, d)
    Bt: np.ndarray | None            # (d, m) width basis; None: the teacher (no complement)
    R: np.ndarray | None             # (d, d) [Bt, Bt⊥]
    r: int                           # trained rows
    Q: np.ndarray                    # (k, k) projector on the trained rows
    cov_t: np.ndarray | None = None  # (d,) the teacher's row covariance diag(1/a)
    cond: np.ndarray | None = None   # (m, m) the covariance given the soft labels, K⁻¹
    extra: dict = field(default_factory=dict)   # class → (m, m) spread of the mean over Ŷ
    tau2: float = 1.0
    sampled: bool = False

    @property
    def m(self) -> int:
        return self.mean.shape[1] if self.Bt is None else self.Bt.shape[1]

    def width_cov(self, cls) -> np.ndarray:
        """The marginal covariance on the width for rows of class ``cls``."""
        return self.cond + self.extra.get(cls, 0.0)

    def row_cov(self, cls, member: bool, *, tau2=None) -> np.ndarray:
        """The (d, d) covariance of a row of class ``cls`` (``member``: a trained row)."""
        d = self.mean.shape[1]
        if self.cov_t is not None:
            return np.diag(self.cov_t)
        t = self.tau2 if tau2 is None else tau2
        if not member:
            return t * np.eye(d)
        m = self.m
        inner = np.zeros((d, d))
        inner[:m, :m] = self.width_cov(cls)
        inner[np.arange(m, d), np.arange(m, d)] = t
        return self.R @ inner @ self.R.T


def common_classes(projectors, k: int):
    """``(O, patterns)``: a basis in which every projector is diagonal and each row's
    membership pattern (a tuple of booleans, one per projector); raises when two projectors
    do not commute."""
    for i, P in enumerate(projectors):
        for j in range(i):
            if np.max(np.abs(P @ projectors[j] - projectors[j] @ P)) > COMMUTE_TOL:
                raise LingaussError(
                    f"the output projectors of generations {j + 1} and {i + 1} do not commute: "
                    f"the exact chain route needs rows independent in one basis — use full "
                    f"rank, rank_rule='oracle', or user matrices that commute.")
    combo = sum((2.0 ** i) * P for i, P in enumerate(projectors)) if projectors \
        else np.zeros((k, k))
    _, O = eigh(0.5 * (combo + combo.T))
    patterns = []
    for j in range(k):
        v = O[:, j]
        member = tuple(float(v @ P @ v) > 0.5 for P in projectors)
        patterns.append(member)
    return O, patterns


def classes_of(patterns):
    """``{pattern: [row indices]}`` in order of appearance."""
    out: dict = {}
    for j, p in enumerate(patterns):
        out.setdefault(p, []).append(j)
    return out


# --------------------------------------------------------------------------------------------
# The divergence between two kernels
# --------------------------------------------------------------------------------------------

def _prediction(cov, mean, s, rho, nu2):
    """Push a (d, d) covariance and (R, d) mean rows to the ρ prediction coordinates."""
    sq = np.sqrt(s[:rho])
    return sq[:, None] * cov[:rho, :rho] * sq + nu2 * np.eye(rho), mean[:, :rho] * sq


def pair_kl(first: Kernel, second: Kernel, later: Kernel, O, patterns, index: dict, *,
            s, rho: int, space: str, direction: str, noise: float | None) -> dict:
    """The chain-rule terms of the divergence between two kernels, summed over row classes.

    ``index`` maps a kernel to its position in the membership patterns (None: the teacher,
    every row trained). ``later`` is the kernel whose trained coordinates split the space
    (and whose soft-label mixture gives the convexity slack).
    """
    space, direction = Space.parse(space, "space"), Direction.parse(direction, "direction")
    terms = dict(bias=0.0, variance=0.0, bottleneck_mean=0.0, bottleneck_covariance=0.0)
    slack = 0.0
    d = first.mean.shape[1]
    nu2 = 0.0 if noise is None else noise ** 2
    for pattern, rows in classes_of(patterns).items():
        rows = np.asarray(rows)
        Oc = O[:, rows]                                            # (k, R)

        def member(K):
            return True if index[id(K)] is None else pattern[index[id(K)]]

        split_member = member(later) and later.Bt is not None
        frame = later.R if split_member else np.eye(d)
        p = later.m if split_member else 0
        pieces = []
        for K in (first, second):
            cov = K.row_cov(pattern, member(K))
            mean = Oc.T @ K.mean                                   # (R, d)
            pieces.append((cov, mean))
        extra = None
        if later.sampled and member(later):
            m = later.m
            cond = np.zeros((d, d))
            cond[:m, :m] = later.cond
            cond[np.arange(m, d), np.arange(m, d)] = later.tau2
            ext = np.zeros((d, d))
            ext[:m, :m] = later.extra.get(pattern, np.zeros((m, m)))
            cond, ext = later.R @ cond @ later.R.T, later.R @ ext @ later.R.T
            extra = (cond, ext)
        if space is Space.PREDICTION:
            pieces = [_prediction(c, mu, s, rho, nu2) for c, mu in pieces]
            if extra is not None:
                extra = (_prediction(extra[0], np.zeros((1, d)), s, rho, nu2)[0],
                         _prediction(extra[1], np.zeros((1, d)), s, rho, 0.0)[0])
            if split_member:
                G = np.sqrt(s[:rho])[:, None] * later.Bt[:rho]
                UG, sv, _ = svd(G)
                p = numerical_rank(sv, G.shape)
                frame = complete(UG[:, :p])
            else:
                frame, p = np.eye(rho), 0
        rot = [(frame.T @ c @ frame, mu @ frame) for c, mu in pieces]
        rot = [(0.5 * (c + c.T), mu) for c, mu in rot]
        (cov_f, mean_f), (cov_s, mean_s) = rot
        for reverse in (part.reverse for part in direction.parts):
            a, b = ((mean_s, cov_s), (mean_f, cov_f)) if reverse else \
                ((mean_f, cov_f), (mean_s, cov_s))
            for name, value in chain_rule_kl(*a, *b, p).items():
                terms[name] += value
            if extra is not None:
                cond_r = frame.T @ extra[0] @ frame
                ext_r = frame.T @ extra[1] @ frame
                ref, ref_cov = (mean_s, cov_s) if later is first else (mean_f, cov_f)
                mix_mean = mean_f if later is first else mean_s
                # later first: forward-type slack; later second: reverse-type slack
                rev = (later is second) != reverse
                slack += mixture_slack(ref, ref_cov, mix_mean, 0.5 * (cond_r + cond_r.T),
                                       0.5 * (ext_r + ext_r.T), len(rows), rev)
    terms["slack"] = slack if later.sampled else None
    return terms


def optimal_tau2(kernel: Kernel, previous: Kernel, O, patterns, index, *, s, rho, space,
                 direction, noise) -> float:
    """``τ²`` of ``kernel`` minimising its divergence to ``previous`` (the space and direction
    asked for): the root of the derivative of the exact profile (``lingauss._linalg``)."""
    space = Space.parse(space, "space")
    profiles = []
    d = kernel.mean.shape[1]
    nu2 = 0.0 if noise is None else noise ** 2
    for pattern, rows in classes_of(patterns).items():
        rows = np.asarray(rows)
        mine = pattern[index[id(kernel)]]
        theirs = True if index[id(previous)] is None else pattern[index[id(previous)]]
        cov0 = kernel.row_cov(pattern, mine, tau2=0.0)
        cov1 = kernel.row_cov(pattern, mine, tau2=1.0) - cov0
        cov_p = previous.row_cov(pattern, theirs)
        Oc = O[:, rows]
        gap = Oc.T @ (kernel.mean - previous.mean)
        if space is Space.PREDICTION:
            cov0, gap = _prediction(cov0, gap, s, rho, nu2)
            cov1 = _prediction(cov1, np.zeros((1, d)), s, rho, 0.0)[0]
            cov_p = _prediction(cov_p, np.zeros((1, d)), s, rho, nu2)[0]
        if np.max(np.abs(cov1)) <= 100 * np.finfo(float).eps * max(1.0, float(s[0])) * d:
            continue
        # in parameter space the student's covariance is singular at τ² = 0 on its
        # complement; the profile's reference cov0 + cov1 is proper
        profiles.append(tau2_profile(len(rows), cov0, cov1, cov_p, gap, direction))
    if not profiles:
        return 1.0
    scale = float(np.mean(np.diag(previous.row_cov(patterns[0], True))))
    return minimise_tau2(profiles, scale if scale > 0 else 1.0)


def rank_floor(teacher_like: Kernel, later: Kernel, O, patterns, index, *, s, rho, space,
               noise) -> float:
    """``½ Σ_{j>r} σ_j²`` of the earlier kernel's mean on the later one's width, each row
    whitened by its own covariance there (the Eckart–Young floor of docs/model.md §4)."""
    if later.Bt is None:
        return 0.0
    space = Space.parse(space, "space")
    nu2 = 0.0 if noise is None else noise ** 2
    rows_out = []
    for pattern, rows in classes_of(patterns).items():
        idx = index[id(teacher_like)]
        member = True if idx is None else pattern[idx]
        cov = teacher_like.row_cov(pattern, member)
        mean = O[:, rows].T @ teacher_like.mean
        if space is Space.PREDICTION:
            cov, mean = _prediction(cov, mean, s, rho, nu2)
            G = np.sqrt(s[:rho])[:, None] * later.Bt[:rho]
            UG, sv, _ = svd(G)
            basis = UG[:, :numerical_rank(sv, G.shape)]
        else:
            basis = later.Bt
        if basis.shape[1] == 0:
            return 0.0
        L = chol(0.5 * (basis.T @ cov @ basis + (basis.T @ cov @ basis).T),
                 "the earlier kernel's covariance on the width")
        rows_out.append(solve_l(L, (mean @ basis).T).T)
    white = np.vstack(rows_out)
    sig = svdvals(white)
    return 0.5 * float(np.sum(sig[later.r:] ** 2))
