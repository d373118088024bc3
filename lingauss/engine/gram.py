"""The parameter-space divergence for a general width basis from the Gram matrix and Cholesky
factors: no eigen-decomposition of ``X`` (docs/model.md §2–4; derivations/decomposition.md,
"The Gram route").

With ``A = A_T = β_T XXᵀ + λ_T I = LLᵀ``, the student's width basis ``B`` (d, m) and
``V = L⁻¹B = Q_V R_V``, the teacher's covariance on the trained coordinates is
``S = BᵀA⁻¹B = R_VᵀR_V``, its conditional precision on the complement ``B⊥`` has trace
``tr A − ‖LᵀB‖²`` and log-determinant ``log det A + log det S``, and every conditional quantity
of the chain rule is a projection with ``I − Q_VQ_Vᵀ`` (``B⊥(B⊥ᵀAB⊥)⁻¹B⊥ᵀ = L⁻ᵀ(I −
Q_VQ_Vᵀ)L⁻¹``): nothing of size ``d − m`` is factorised. Per kernel pair the cost is the
Gram matrix, one ``d × d`` Cholesky factor (and its inverse when a reverse divergence needs
``tr A⁻¹``) and products with ``d × m`` matrices.

:class:`GramFactors` holds everything that depends on the inputs only (and the
hyper-parameters); :meth:`GramFactors.terms` adds a batch of label draws — a Monte Carlo
expectation pays for the inputs once. The sums ``Σ v(τ² λ_i)`` over the complement are
computed from traces and log-determinants; where they cancel below ``CANCEL_RTOL`` of their
size the caller falls back to the eigen route (exact per eigenvalue).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from lingauss.engine.eigen import complete, teacher_factor
from lingauss.engine.linalg import chol, mixture_slack, solve_l, svd, svdvals, vfun
from lingauss.engine.setup import tau2_closed_form
from lingauss.model.options import Direction, RankRule, complement_variance, is_optimal_tau2

#: A trace/log-determinant ``Σ v`` below this fraction of its terms' size has lost digits.
CANCEL_RTOL = 1e-6


def _vsum(trace, count, logdet):
    """``Σ_i v(x_i) = Σ x_i − N − Σ log x_i`` and the size of its terms (for cancellation)."""
    value = trace - count - logdet
    return value, abs(trace) + abs(count) + abs(logdet)


@dataclass
class GramFactors:
    """The inputs' part of one (teacher, student) pair in parameter space, general basis."""

    X: np.ndarray          # (d, n)
    B: np.ndarray          # (d, m) width basis
    L: np.ndarray          # (d, d) lower Cholesky factor of A_T
    QV: np.ndarray         # (d, m) orthonormal basis of V = L⁻¹B
    LS: np.ndarray         # (m, m) lower Cholesky factor of S = BᵀA⁻¹B
    GB: np.ndarray         # (d, m) XXᵀB
    LK: np.ndarray         # (m, m) lower Cholesky factor of K = β_S BᵀXXᵀB + λ_S I
    cov_cond: np.ndarray   # (m, m) K⁻¹
    extra: np.ndarray      # (m, m) covariance of the mean over the soft labels
    Lw: np.ndarray         # (m, m) Cholesky factor of the marginal K⁻¹ + extra
    trA: float
    logdetA: float
    logdetS: float
    normZ2: float          # ‖LᵀB‖² = tr(BᵀAB)
    normV2: float          # ‖V‖² = tr(BᵀA⁻¹B)
    cross: float           # ‖(I − P_V) LᵀB L_w‖²: the forward regression term
    var_fwd: float         # Σ v(σ²(L_S⁻¹L_w)): KL(N(0, Σ_w) ‖ N(0, S)) · 2 per row
    var_rev: float | None  # Σ v(σ²(L_w⁻¹L_S)) (reverse divergences only)
    trAinv: float | None   # tr A⁻¹ (reverse divergences only)

    @property
    def d(self) -> int:
        return self.B.shape[0]

    @property
    def m(self) -> int:
        return self.B.shape[1]

    @classmethod
    def build(cls, teacher, student, X, B, *, direction: str) -> "GramFactors":
        """The inputs' part for ``direction`` (``tr A⁻¹`` and the reverse variance only where
        a reverse divergence or the optimal ``τ²`` needs them)."""
        reverse = Direction.parse(direction, "direction") is not Direction.FORWARD
        need_inverse = reverse or is_optimal_tau2(student.complement_variance)
        d, m = B.shape
        factor = teacher_factor(X, teacher.beta, teacher.ridge)         # cached per inputs
        L, trA, logdetA = factor.L, factor.trA, factor.logdetA
        GB = factor.G @ B                                                # (d, m) XXᵀB
        K = student.beta * (B.T @ GB) + student.ridge * np.eye(m)
        LK = chol(K, "the student's width precision K = β_S BᵀXXᵀB + λ_S I")
        V = solve_l(L, B)                                                # (d, m) L⁻¹B
        QV, RV = sla.qr(V, mode="economic", check_finite=False)
        signs = np.where(np.diag(RV) < 0, -1.0, 1.0)
        LS = (RV * signs[:, None]).T                                     # S = LS LSᵀ
        logdetS = 2.0 * float(np.sum(np.log(np.abs(np.diag(RV)))))
        Z = L.T @ B                                                      # (d, m) LᵀB
        cov_cond = sla.cho_solve((LK, True), np.eye(m))
        cov_cond = 0.5 * (cov_cond + cov_cond.T)
        extra = np.zeros((m, m))
        if student.soft_labels.sampled:
            # BᵀXΣ_ŶXᵀB = (GB)ᵀA⁻¹(GB) (+ ν_T² BᵀGB)
            W1 = solve_l(L, GB)
            spread = W1.T @ W1
            if student.soft_labels.noisy:
                spread = spread + student.soft_label_noise ** 2 * (B.T @ GB)
            F = ((1 - student.alpha) * student.beta) * cov_cond            # O(1)
            extra = F @ spread @ F
            extra = 0.5 * (extra + extra.T)
        Lw = chol(cov_cond + extra, "the student's covariance on the width")
        proj = Z @ Lw                                                    # (d, m)
        cross = float(np.sum((proj - QV @ (QV.T @ proj)) ** 2))
        sig_f = svdvals(solve_l(LS, Lw))
        sig_r = svdvals(solve_l(Lw, LS)) if reverse else None
        trAinv = None
        if need_inverse:
            Linv = sla.lapack.dtrtri(L, lower=1)[0]
            trAinv = float(np.sum(Linv ** 2))
        return cls(X=X, B=B, L=L, QV=QV, LS=LS, GB=GB, LK=LK, cov_cond=cov_cond,
                   extra=extra, Lw=Lw, trA=trA, logdetA=logdetA, logdetS=logdetS,
                   normZ2=float(np.sum(Z ** 2)), normV2=float(np.sum(V ** 2)), cross=cross,
                   var_fwd=float(np.sum(vfun(sig_f ** 2))),
                   var_rev=None if sig_r is None else float(np.sum(vfun(sig_r ** 2))),
                   trAinv=trAinv)

    # ----------------------------------------------------------------------------------------
    def means(self, teacher, student, Y):
        """``(M_T, C, whiten)`` for labels ``Y`` (D, k, n): the teacher mean (D, k, d), the
        student's width coordinates (D, k, m) and its whitened mean (optimal projector)."""
        D, k, n = Y.shape
        d, m = self.d, self.m
        P = (Y.reshape(D * k, n) @ self.X.T)                             # (Dk, d) Y Xᵀ
        MT = teacher.beta * sla.cho_solve((self.L, True), P.T, check_finite=False).T
        target = student.alpha * (P @ self.B) + (1 - student.alpha) * (MT @ self.GB)
        C = student.beta * sla.cho_solve((self.LK, True), target.T, check_finite=False).T
        return (MT.reshape(D, k, d), C.reshape(D, k, m), (C @ self.LK).reshape(D, k, m))

    def terms(self, means, O, r: int, tau2_rule, direction: str, sampled: bool) -> dict:
        """Every term for each draw, from its :meth:`means` and output bases ``O`` (D, k, k).

        ``tau2_rule(N, T, S)`` gives ``τ²`` per draw (arrays) from the closed-form statistics.
        Returns arrays of shape (D,) and ``"cancelled"``: the draws whose trace/log-determinant
        sums lost digits (to be recomputed by the eigen route).
        """
        MT, C, _ = means
        d, m = self.d, self.m
        k = O.shape[-1]
        Ot = np.swapaxes(O, -1, -2)
        Cr = (Ot[:, :r] @ C)                                             # (D, r, m)
        MTr = Ot[:, :r] @ MT                                             # (D, r, d)
        MTc = Ot[:, r:] @ MT                                             # (D, k−r, d)
        MTr_B = MTr @ self.B                                             # (D, r, m)
        delta = Cr @ self.B.T - MTr                                      # (D, r, d) μ_S − μ_T
        # τ²: N = dim 𝒞, T = tr(teacher precision on 𝒞), S = teacher second moment on 𝒞
        Nc = d - m
        N = r * Nc + (k - r) * d
        trPcc = self.trA - self.normZ2
        out_r = MTr - MTr_B @ self.B.T                                   # (I − BBᵀ) μ_T rows
        mean_c2 = np.sum(out_r ** 2, axis=(1, 2)) + np.sum(MTc ** 2, axis=(1, 2))
        T = r * trPcc + (k - r) * self.trA
        trScc = None if self.trAinv is None else self.trAinv - self.normV2
        S = None if trScc is None else r * trScc + (k - r) * self.trAinv + mean_c2
        tau2 = np.broadcast_to(np.asarray(tau2_rule(N, T, S), dtype=float), mean_c2.shape)
        logdetPcc = self.logdetA + self.logdetS
        res = {name: np.zeros(mean_c2.shape) for name in
               ("bias", "variance", "bottleneck_mean", "bottleneck_covariance")}
        cancelled = np.zeros(mean_c2.shape, dtype=bool)
        direction = Direction.parse(direction, "direction")
        for reverse in (part.reverse for part in direction.parts):
            if not reverse:
                res["variance"] += 0.5 * r * self.var_fwd
                res["bias"] += 0.5 * np.sum(solve_l(self.LS, _rows(Cr - MTr_B)) ** 2,
                                            axis=0).reshape(-1, r).sum(1)
                w = delta @ self.L                                       # (Lᵀδ)ᵀ per row
                w = w - (w @ self.QV) @ self.QV.T                        # (I − P_V) Lᵀδ
                mean = 0.5 * np.sum(w ** 2, axis=(1, 2)) if Nc else np.zeros(len(tau2))
                mean += 0.5 * np.sum((MTc @ self.L) ** 2, axis=(1, 2))
                v_tr, size_tr = _vsum(tau2 * trPcc, Nc, Nc * np.log(tau2) + logdetPcc) \
                    if Nc else (0.0, 0.0)                        # no B⊥: exactly nothing
                v_c, size_c = _vsum(tau2 * self.trA, d, d * np.log(tau2) + self.logdetA)
                cov = 0.5 * r * (v_tr + (self.cross if Nc else 0.0)) + 0.5 * (k - r) * v_c
            else:
                res["variance"] += 0.5 * r * self.var_rev
                res["bias"] += 0.5 * np.sum(solve_l(self.Lw, _rows(MTr_B - Cr)) ** 2,
                                            axis=0).reshape(-1, r).sum(1)
                mean = 0.5 * mean_c2 / tau2
                # Σ v(μ_i/τ²) + ‖L_ca‖²/τ² = tr(Σ_cc)/τ² − N_c + N_c log τ² + log det P_cc
                v_tr, size_tr = _vsum(trScc / tau2, Nc, -Nc * np.log(tau2) - logdetPcc) \
                    if Nc else (0.0, 0.0)
                v_c, size_c = _vsum(self.trAinv / tau2, d, -d * np.log(tau2) - self.logdetA)
                cov = 0.5 * r * v_tr + 0.5 * (k - r) * v_c
            res["bottleneck_mean"] += mean
            res["bottleneck_covariance"] += cov
            cancelled |= (r > 0) & (Nc > 0) & (np.abs(v_tr) < CANCEL_RTOL * size_tr)
            cancelled |= (k > r) & (np.abs(v_c) < CANCEL_RTOL * size_c)
        res["bottleneck_covariance"] = np.maximum(res["bottleneck_covariance"], 0.0)
        # rank floor: the teacher mean on the width, whitened by S
        white = np.swapaxes(solve_l(self.LS, _rows(MT @ self.B)).reshape(m, -1, k), 0, 1)
        sig = svdvals(white)                                             # (D, min(m, k))
        res["rank_floor"] = 0.5 * np.sum(sig[:, r:] ** 2, axis=1)
        if sampled:
            res["convexity_slack"] = np.array([
                sum(mixture_slack(MTr_B[i], self.LS @ self.LS.T, Cr[i], self.cov_cond,
                                  self.extra, r, rev) for rev in
                    (part.reverse for part in direction.parts)) for i in range(len(tau2))])
        res["cancelled"] = cancelled
        res["tau2"] = tau2
        return res


def _rows(A: np.ndarray) -> np.ndarray:
    """(D, R, m) → (m, D·R): every row of every draw as a column."""
    return A.reshape(-1, A.shape[-1]).T


def output_bases(student, r: int, whiten, W_star) -> np.ndarray:
    """``O`` (D, k, k) per draw for the student's rank rule."""
    rule = student.rank_rule
    D, k = whiten.shape[0], whiten.shape[1]
    if isinstance(rule, np.ndarray):
        return np.broadcast_to(complete(np.asarray(rule, dtype=float)), (D, k, k))
    if rule is RankRule.ORACLE:
        Ur = svd(W_star)[0][:, :r]
        return np.broadcast_to(complete(Ur), (D, k, k))
    Ur = svd(whiten)[0][..., :r]                                     # (D, k, r)
    return np.stack([complete(u) for u in Ur])


def tau2_rule(student, direction: str):
    """``(N, T, S) ↦ τ²`` for the student's rule (closed forms in parameter space)."""
    def rule(N, T, S):
        return complement_variance(
            student.complement_variance, ridge=student.ridge,
            optimal=None if N == 0 else lambda: tau2_closed_form(direction, N, T, S))
    return rule
