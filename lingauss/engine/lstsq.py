"""Least squares under ``Σ ω = 1`` (the optimal weights of :mod:`lingauss.weights`), in double
precision (an SVD solve) and in mpmath (a QR solve)."""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError


def constrained_lstsq(F, t, prefer=None):
    """``argmin ‖F ω − t‖`` subject to ``Σ ω = 1``, the rank of the reduced problem and its
    condition number: ``ω = 1/J + N c`` with ``N`` an orthonormal basis of ``1^⊥``; an SVD
    solve for ``c`` (columns scaled to unit norm). Where the minimiser is not unique, the one
    nearest to ``prefer`` (the minimum-norm one without it)."""
    J = F.shape[1]
    ones = np.ones(J) / J
    Q = np.linalg.qr(np.column_stack([np.ones(J), np.eye(J)[:, :J - 1]]))[0]
    N = Q[:, 1:]
    if N.shape[1] == 0:
        return ones, 0, 1.0
    A = F @ N
    scale = np.linalg.norm(A, axis=0)
    scale[scale == 0] = 1.0
    U, sv, Vt = np.linalg.svd(A / scale, full_matrices=True)
    rank = int(np.sum(sv > sv[0] * max(A.shape) * np.finfo(float).eps)) if sv.size else 0
    c = Vt[:rank].T @ ((U[:, :rank].T @ (t - F @ ones)) / sv[:rank])
    c = c / scale
    if prefer is not None and rank < Vt.shape[0]:
        # the minimisers are c + Z y (Z: the null space, unscaled); the nearest to prefer
        Z = Vt[rank:].T / scale[:, None]
        y = np.linalg.lstsq(Z, N.T @ (np.asarray(prefer, float) - ones) - c, rcond=None)[0]
        c = c + Z @ y
    cond = float(sv[0] / sv[rank - 1]) if rank else 1.0
    return ones + N @ c, rank, cond


def mp_constrained_lstsq(F, t, mp):
    """The same in mpmath: ``ω = e_0 + Σ_j c_j (e_j − e_0)``, a QR factorisation for ``c``."""
    J = F.shape[1]
    A = F[:, 1:] - F[:, [0]]
    scale = [mp.sqrt(sum(x * x for x in A[:, j])) or mp.mpf(1) for j in range(J - 1)]
    A = A / np.array(scale, dtype=object)
    n = J - 1
    if A.shape[0] >= n:
        Q, R = mp.qr(mp.matrix(A.tolist()))
        diag = [abs(R[j, j]) for j in range(n)]
    if A.shape[0] < n or min(diag) <= mp.mpf(10) ** (8 - mp.dps) * max(diag):
        raise LingaussError(f"the risk's features are linearly dependent even at "
                            f"{mp.dps} digits: the optimal weights are not unique; use "
                            f"digits=None (the solution nearest the students' weights).")
    rhs = Q.T * mp.matrix((t - F[:, 0]).tolist())
    c = mp.lu_solve(R[:n, :n], rhs[:n, 0])
    c = [c[j] / scale[j] for j in range(n)]
    return np.array([1 - sum(c)] + c, dtype=object), max(diag) / min(diag)
