"""The sample in the eigenbasis of ``XXᵀ`` (docs/model.md §1), shared by every route.

:func:`eigen` (cached per read-only input matrix; a Gram + ``eigh`` route with an SVD fallback
where the Gram matrix would lose precision), the Gram matrix and the teacher's Cholesky
factor (cached), the numerical rank, orthonormal completion of a basis and the statistic
``z_i = Y Xᵀ u_i``. The rest of the set-up is in ``lingauss._problem``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from lingauss.engine.linalg import chol, eigh
from lingauss.model.data import Sample

# Singular values below this multiple of eps·max(shape)·σ_max count as zero (numerical rank).
_RANK_RTOL = 1.0


# --------------------------------------------------------------------------------------------
# Inputs: the eigen-coordinates of X (cached)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Eigen:
    """The inputs in the eigenbasis of ``XXᵀ``."""

    s: np.ndarray      # (d,) eigenvalues s_i, descending, exact zeros beyond rank X
    U: np.ndarray      # (d, d) eigenvectors u_i as columns
    rho: int           # rank of X


_EIGEN_CACHE: dict = {}
#: ``X`` with at most ``d/THIN`` examples is decomposed by its thin SVD first.
THIN = 4


def eigen(X: np.ndarray) -> Eigen:
    """Eigenvalues and eigenvectors of ``XXᵀ``: the cheapest factorization that serves.

    A symmetric eigen-decomposition of the Gram matrix ``XXᵀ`` (``X`` first scaled by an exact
    power of two, so nothing overflows) gives every eigenvalue above ``d·eps·s_max`` to
    relative precision; when some eigenvalue is in the band where that precision is lost
    (between 8 and 8000 ``d·eps·s_max``) the SVD of ``X`` (of ``R`` in ``Xᵀ = QR`` when
    ``n > d``) is used instead, whose singular values keep their relative precision down to
    ``eps·σ_max``.

    With few examples (``n <= d/4``: :data:`THIN`) the thin SVD of ``X`` comes first: its
    ``O(dn²)`` plus the ``O(d²n)`` completion of ``U`` to a basis of ``R^d`` beat the Gram
    matrix and a ``d × d`` eigen-decomposition (0.4–0.9× their time at ``d = 512 … 2048`` on
    the test machine; from ``n = d/2`` up they lose, 1.3–3.8×). The ``pca`` route needs every
    eigenvector in the range of ``X`` (the teacher's mean runs over every mode), so a partial
    eigensolver for the top ``m`` would not serve.

    Cached per input array (a read-only array of a :class:`Sample`): label draws, ranks,
    widths and directions of one sample share one decomposition.

    >>> e = eigen(np.diag([2.0, 1.0]))
    >>> e.s, e.rho
    (array([4., 1.]), 2)
    """
    key = id(X)
    hit = _EIGEN_CACHE.get(key)
    if hit is not None and hit[0]() is X:
        return hit[1]
    d, n = X.shape
    # scale by a power of two (exact) so that LAPACK never meets an overflow on the way
    top = float(np.max(np.abs(X))) if X.size else 0.0
    e = int(np.frexp(top)[1]) if top > 0 else 0
    Xs = np.ldexp(X, -e)
    out = _eigen_svd(Xs, e) if THIN * n <= d else _eigen_gram(Xs, e)
    if out is None:
        out = _eigen_svd(Xs, e)
    if not X.flags.writeable:                                     # immutable: safe to cache
        try:
            ref = weakref.ref(X, lambda _, key=key: _EIGEN_CACHE.pop(key, None))
        except TypeError:
            return out
        _EIGEN_CACHE[key] = (ref, out)
    return out


def _eigen_gram(Xs: np.ndarray, e: int) -> Eigen | None:
    """From ``eigh(XXᵀ)``; None when an eigenvalue is in the band of lost precision."""
    d = Xs.shape[0]
    w, V = eigh(gram(Xs))
    w, V = w[::-1], V[:, ::-1]
    tol = 8.0 * d * np.finfo(float).eps * (w[0] if w.size else 0.0)
    if np.any((w > tol) & (w < 1e3 * tol)) or np.any(w < -tol):
        return None
    rho = int(np.sum(w > tol))
    s = np.zeros(d)
    s[:rho] = np.ldexp(w[:rho], 2 * e)
    return Eigen(s=s, U=np.ascontiguousarray(V), rho=rho)


def _eigen_svd(Xs: np.ndarray, e: int) -> Eigen:
    """From the SVD of ``X`` (of ``R`` in ``Xᵀ = QR`` when ``n > d``)."""
    d, n = Xs.shape
    core = sla.qr(Xs.T, mode="r", check_finite=False)[0][:d].T if n > d else Xs  # (d, ≤d)
    U, sv, _ = sla.svd(core, full_matrices=False, check_finite=False)          # U (d, q)
    sv = np.ldexp(sv, e)
    rho = numerical_rank(sv, Xs.shape)
    if U.shape[1] < d:                                            # complete to a basis of R^d
        U = complete(U)
    s = np.zeros(d)
    s[:rho] = sv[:rho] ** 2
    return Eigen(s=s, U=U, rho=rho)


def gram(X: np.ndarray) -> np.ndarray:
    """``XXᵀ`` (d, d), symmetric, as a new array (callers may overwrite it)."""
    G = X @ X.T
    G += G.T
    G *= 0.5
    return G


@dataclass(frozen=True)
class TeacherFactor:
    """The teacher's precision ``A_T = β_T XXᵀ + λ_T I = LLᵀ`` and the Gram matrix."""

    G: np.ndarray          # (d, d) XXᵀ, read-only
    L: np.ndarray          # (d, d) lower Cholesky factor of A_T, read-only
    trA: float
    logdetA: float


_FACTOR_CACHE: dict = {}
#: Teacher factors kept (each two d × d arrays): the last few (X, β_T, λ_T).
FACTOR_CACHE_SIZE = 2


def teacher_factor(X: np.ndarray, beta: float, ridge: float) -> TeacherFactor:
    """:class:`TeacherFactor` of one input array and teacher, cached for read-only inputs
    (ranks, widths, directions, students and label draws of one sample share it).

    >>> f = teacher_factor(np.eye(2), 1.0, 1.0)
    >>> f.trA, round(f.logdetA, 12)
    (4.0, 1.38629436112)
    """
    key = (id(X), float(beta), float(ridge))
    hit = _FACTOR_CACHE.get(key)
    if hit is not None and hit[0]() is X:
        _FACTOR_CACHE[key] = _FACTOR_CACHE.pop(key)          # most recently used last
        return hit[1]
    G = gram(X)
    d = G.shape[0]
    trA = beta * float(np.trace(G)) + ridge * d
    A = beta * G
    A[np.diag_indices(d)] += ridge
    L = chol(A, "the teacher's precision A_T = β_T XXᵀ + λ_T I")
    del A
    G.setflags(write=False)
    L.setflags(write=False)
    out = TeacherFactor(G=G, L=L, trA=trA, logdetA=2.0 * float(np.sum(np.log(np.diag(L)))))
    if not X.flags.writeable:
        try:
            ref = weakref.ref(X, lambda _, key=key: _FACTOR_CACHE.pop(key, None))
        except TypeError:
            return out
        _FACTOR_CACHE[key] = (ref, out)
        while len(_FACTOR_CACHE) > FACTOR_CACHE_SIZE:
            _FACTOR_CACHE.pop(next(iter(_FACTOR_CACHE)))
    return out


def numerical_rank(sv: np.ndarray, shape) -> int:
    """Singular values (descending) above ``_RANK_RTOL · eps · max(shape) · σ_max``.

    >>> numerical_rank(np.array([1.0, 1e-20]), (2, 2))
    1
    """
    tol = _RANK_RTOL * np.finfo(float).eps * max(shape) * (sv[0] if sv.size else 0.0)
    return int(np.sum(sv > tol))


def complete(B: np.ndarray) -> np.ndarray:
    """``[B, B⊥]``: an orthogonal matrix whose first columns are the orthonormal ``B``.

    >>> complete(np.array([[1.0], [0.0]])).shape
    (2, 2)
    """
    D, p = B.shape
    if p == D:
        return B
    Qf = sla.qr(B, mode="full", check_finite=False)[0]
    return np.hstack([B, Qf[:, p:]])


def statistic(sample: Sample, eig: Eigen) -> np.ndarray:
    """``z_i = Y Xᵀ u_i`` (k, d); zero beyond the rank of ``X``."""
    z = np.zeros((sample.k, sample.d))
    z[:, :eig.rho] = (sample.Y @ sample.X.T) @ eig.U[:, :eig.rho]
    return z
