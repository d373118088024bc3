"""Private, numerically stable primitives (few on purpose).

* :func:`vfun` — a stable ``v(x) = x − 1 − log x`` (the covariance part of every Gaussian KL);
* :func:`chain_rule_kl` — the KL between two row-wise Gaussian kernels split by the chain
  rule into the four non-negative pieces of docs/model.md §4 (derivations/decomposition.md);
* :func:`mixture_slack` — the convexity slack of a Gaussian mixture over its mean;
* :func:`chol`, :func:`solve_l` — the safe Cholesky factor and triangular solves every
  factorization goes through.

Covariances are either dense ``(D, D)`` arrays or 1-D arrays (diagonal covariances); the
diagonal case is the same formula with the structure used, and the tests hold the two equal.
Everything goes through Cholesky factors and triangular solves; each piece is a sum of
squares or of ``v`` values, so it is ``>= 0`` by construction, never a difference of large
numbers.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg as sla
from scipy import optimize

from lingauss._core.memo import Recent
from lingauss._core.validation import IllConditioned
from lingauss.model.options import Direction

# Below |x − 1| < _V_SERIES_RADIUS, v(x) is summed from its series in t = (x−1)/(x+1).
_V_SERIES_RADIUS = 0.1
# v(x) = 2 Σ_{j>=2} c_j t^j, c_j = 1 (j even), 1 − 1/j (j odd); |t| <= 0.0477 so 16 terms
# leave a relative truncation error below 1e-20.
_V_SERIES_COEF = np.array([1.0 if j % 2 == 0 else 1.0 - 1.0 / j for j in range(2, 18)])


def vfun(x):
    """Stable ``v(x) = x − 1 − log x >= 0`` for ``x > 0``, elementwise.

    Near ``x = 1`` the direct formula cancels catastrophically (``v(1+ε) ≈ ε²/2``); there
    we sum ``v = 2 Σ_{j≥2} c_j t^j`` with ``t = (x−1)/(x+1)``, ``x = (1+t)/(1−t)``,
    ``log x = 2 atanh t`` (derivations/decomposition.md, "A stable v").

    Examples
    --------
    >>> float(vfun(1.0))
    0.0
    >>> x = 1 + 1e-9
    >>> bool(abs(vfun(x) / ((x - 1) ** 2 / 2) - 1) < 1e-8)
    True
    >>> float(vfun(np.e)) == np.e - 2
    True
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    near = np.abs(x - 1.0) < _V_SERIES_RADIUS
    xf = x[~near]
    out[~near] = (xf - 1.0) - np.log(xf)
    t = (x[near] - 1.0) / (x[near] + 1.0)
    out[near] = 2.0 * t * t * np.polynomial.polynomial.polyval(t, _V_SERIES_COEF)
    return out if out.ndim else out[()]


def _is_diag(cov) -> bool:
    return np.ndim(cov) == 1


def chol(cov, what: str = "a covariance of the kernels"):
    """Lower Cholesky factor of a dense covariance, or the standard deviations of a diagonal.

    A matrix too ill-conditioned for double precision raises :class:`LingaussError` (never a
    jitter: the answer would be wrong without saying so).
    """
    if not np.all(np.isfinite(cov)):         # an overflow upstream: the caller's guard
        raise np.linalg.LinAlgError(f"{what} has non-finite entries")  # names the inputs
    if _is_diag(cov):
        return np.sqrt(cov)
    try:
        return sla.cholesky(cov, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(cov)
        cond = f"{eig[-1] / eig[0]:.2g}" if eig[0] > 0 else "beyond 1e16: numerically singular"
        raise IllConditioned(
            f"{what} is too ill-conditioned for double precision (condition number {cond}; "
            f"must be well below 1/eps ≈ 4.5e15): use basis='pca', whose kernels are "
            f"diagonal and exact, or less extreme ridges and eigenvalues.") from None


def solve_l(L, B):
    """``L⁻¹ B`` for a lower-triangular or diagonal factor ``L``."""
    if _is_diag(L):
        return B / (L[:, None] if np.ndim(B) == 2 else L)
    return sla.solve_triangular(L, B, lower=True, check_finite=False)


def _sq(x) -> float:
    return float(np.sum(np.square(x)))


def _v_ratio_sum(Lp, Lq) -> float:
    """``Σ_i v(σ_i²)``, ``σ_i`` the singular values of ``Lq⁻¹ Lp``: ``2·KL(N(0,Σp)‖N(0,Σq))``."""
    if Lp.shape[0] == 0:
        return 0.0
    if _is_diag(Lp):
        sig2 = np.square(Lp / Lq)
    else:
        sig2 = np.square(svdvals(solve_l(Lq, Lp)))
    return float(np.sum(vfun(sig2)))


def chain_rule_kl(mean_p, cov_p, mean_q, cov_q, p: int, *, delta=None) -> dict:
    """Chain-rule split of ``Σ_rows KL(N(μ_p,j, Σ_p) ‖ N(μ_q,j, Σ_q))``.

    Coordinates ``0..p−1`` are the trained block ``a``, the rest the complement ``c``.
    With ``Σ = LLᵀ`` (lower; ``L_aa``, ``L_ca``, ``L_cc`` its blocks) the conditional of ``c``
    given ``a`` has covariance ``L_cc L_ccᵀ`` and regression ``G = L_ca L_aa⁻¹``; then, with
    ``Δ = μ_p − μ_q`` and ``R`` rows,

    * ``variance   = (R/2) Σ v(σ_i²)``, ``σ_i`` singular values of ``L'_aa⁻¹ L_aa``;
    * ``bias       = ½ Σ_j ‖L'_aa⁻¹ Δ_{j,a}‖²``;
    * ``bottleneck_mean = ½ Σ_j ‖L'_cc⁻¹ (Δ_{j,c} − G' Δ_{j,a})‖²``;
    * ``bottleneck_covariance = (R/2) Σ v(σ_i²(L'_cc⁻¹ L_cc)) + (R/2)‖L'_cc⁻¹(L_ca − G' L_aa)‖²``.

    Primed factors belong to the second argument ``q``.

    Parameters
    ----------
    mean_p, mean_q : arrays of shape (R, D)
    cov_p, cov_q : arrays of shape (D, D), or (D,) for diagonal covariances
    p : int
        Size of the trained block.
    delta : array of shape (R, D), optional
        ``μ_p − μ_q`` when the caller has it in a cancellation-free form (nearly equal
        means); by default the difference of the two means.

    Returns
    -------
    dict with float entries ``bias``, ``variance``, ``bottleneck_mean``,
    ``bottleneck_covariance``.

    Examples
    --------
    >>> t = chain_rule_kl(np.ones((1, 2)), np.ones(2), np.zeros((1, 2)), np.ones(2), 1)
    >>> t["bias"], t["bottleneck_mean"], t["variance"], t["bottleneck_covariance"]
    (0.5, 0.5, 0.0, 0.0)
    """
    rows, D = mean_p.shape
    Lq_aa, Lq_cc, Gq, variance, covariance = _COVARIANCE_PART(cov_p, cov_q, p, rows)
    dlt = mean_p - mean_q if delta is None else delta       # (R, D)
    a, c = slice(0, p), slice(p, D)
    out = dict(bias=0.0, variance=variance, bottleneck_mean=0.0,
               bottleneck_covariance=covariance)
    if p > 0:
        # bias = ½ Δ_aᵀ Σ'_aa⁻¹ Δ_a
        out["bias"] = 0.5 * _sq(solve_l(Lq_aa, dlt[:, a].T))
    if p < D:
        delta_c = dlt[:, c] if Gq is None else dlt[:, c] - dlt[:, a] @ Gq.T
        out["bottleneck_mean"] = 0.5 * _sq(solve_l(Lq_cc, delta_c.T))
    return out


def _covariance_part(cov_p, cov_q, p: int, rows: int) -> tuple:
    """What :func:`chain_rule_kl` takes from the covariances alone: ``(L'_aa, L'_cc, G'
    (None when 0), variance, bottleneck_covariance)`` — the same for every label draw."""
    D = cov_p.shape[0]
    Lp, Lq = chol(cov_p), chol(cov_q)
    a, c = slice(0, p), slice(p, D)
    diag = _is_diag(Lp) and _is_diag(Lq)
    if not diag:
        Lp, Lq = (np.diag(L) if _is_diag(L) else L for L in (Lp, Lq))
    blk = (lambda L, i, j: L[i]) if diag else (lambda L, i, j: L[i, j])
    Lp_aa, Lq_aa, Lp_cc, Lq_cc = blk(Lp, a, a), blk(Lq, a, a), blk(Lp, c, c), blk(Lq, c, c)
    # variance = KL(N(0, Σ_aa) ‖ N(0, Σ'_aa)) per row
    variance = 0.5 * rows * _v_ratio_sum(Lp_aa, Lq_aa) if p > 0 else 0.0
    Gq, covariance = None, 0.0
    if p < D:
        cross = 0.0
        if not (diag or p == 0):
            # G' = L'_ca L'_aa⁻¹  (c, a)
            Gq = sla.solve_triangular(Lq_aa, Lq[c, a].T, lower=True, trans="T").T
            cross = _sq(solve_l(Lq_cc, Lp[c, a] - Gq @ Lp_aa))
        covariance = 0.5 * rows * (_v_ratio_sum(Lp_cc, Lq_cc) + cross)
    return (np.array(Lq_aa), np.array(Lq_cc), Gq, variance, covariance)


#: Within a loop over label draws the covariances repeat (lingauss._memo).
_COVARIANCE_PART = Recent(_covariance_part, size=4)


def mixture_slack(mean_ref, cov_ref, mean_mix, cov_cond, cov_extra, rows: int,
                  reverse: bool) -> float:
    """Convexity slack of a Gaussian mixture over its mean, per row group.

    The mixture is ``P_Ŷ = N(μ_Ŷ, Σ_c)`` with ``E μ_Ŷ = μ̄``, ``Cov μ_Ŷ = E`` (``cov_extra``);
    its average kernel is ``P̄ = N(μ̄, Σ_c + E)``. With ``F = L_c⁻¹ E L_c⁻ᵀ = V Λ Vᵀ``:

    * forward, ``E_Ŷ KL(P_Ŷ‖P_ref) − KL(P̄‖P_ref) = I(Ŷ; W) = (R/2) Σ log(1 + λ_i)``;
    * reverse, ``E_Ŷ KL(P_ref‖P_Ŷ) − KL(P_ref‖P̄) = ½ Σ_j ‖D Vᵀ L_c⁻¹ Δ_j‖²
      + (R/2)‖D Vᵀ L_c⁻¹ L_ref‖² + (R/2) Σ (λ_i − log(1 + λ_i))``, ``D = diag(√(λ/(1+λ)))``,
      ``Δ_j = μ_ref,j − μ̄_j`` (derivations/decomposition.md, "Convexity bound").

    Every term is ``>= 0`` by construction. ``λ`` is clipped at 0 (``F`` is PSD; only
    rounding can make an eigenvalue negative).
    """
    if _is_diag(cov_cond) and _is_diag(cov_extra):
        lam = cov_extra / cov_cond
        if not reverse:
            return 0.5 * rows * float(np.sum(np.log1p(lam)))
        w = lam / (1.0 + lam) / cov_cond                     # diag(Σ_c⁻¹ − Σ̄⁻¹)
        cov_ref_d = cov_ref if _is_diag(cov_ref) else np.diag(cov_ref)
        return 0.5 * (float(np.sum(w * np.square(mean_ref - mean_mix)))
                      + rows * float(np.sum(w * cov_ref_d))
                      + rows * float(np.sum(lam - np.log1p(lam))))
    dense = lambda C: np.diag(C) if _is_diag(C) else C  # noqa: E731
    Lc = chol(dense(cov_cond))
    F = solve_l(Lc, solve_l(Lc, dense(cov_extra)).T)
    lam, V = eigh(0.5 * (F + F.T))
    lam = np.clip(lam, 0.0, None)
    if not reverse:
        return 0.5 * rows * float(np.sum(np.log1p(lam)))
    Dm = np.sqrt(lam / (1.0 + lam))[:, None]
    mean_part = _sq(Dm * (V.T @ solve_l(Lc, (mean_ref - mean_mix).T)))
    cov_part = _sq(Dm * (V.T @ solve_l(Lc, chol(dense(cov_ref)))))
    return 0.5 * (mean_part + rows * cov_part + rows * float(np.sum(lam - np.log1p(lam))))


# --------------------------------------------------------------------------------------------
# The divergence as a function of the complement variance τ² (for τ² = "optimal")
# --------------------------------------------------------------------------------------------

def tau2_profile(rows: int, cov0, cov_tau, cov_t, delta, direction: str):
    """``(f, f')``: one row group's divergence as a function of ``τ²``, up to a constant.

    The first kernel (the student) has covariance ``Σ(τ²) = cov0 + τ² cov_tau``, the second
    ``cov_t``; ``delta`` (rows, D) is the mean gap. With ``cov0 + cov_tau = L₀L₀ᵀ`` and the
    generalised eigenpairs ``cov_tau v = μ (cov0 + cov_tau) v`` (``VᵀL₀L₀ᵀV = I``),
    ``log det Σ(τ²) = const + Σ log(1 + (τ² − 1)μ_j)`` and
    ``tr(Σ(τ²)⁻¹W) = Σ_j v_jᵀWv_j / (1 + (τ² − 1)μ_j)``, so every evaluation is ``O(D)``:

    * forward ``KL(P_S‖P_T)``: ``½[R τ² tr(Σ_T⁻¹ cov_tau) − R log det Σ(τ²)]``;
    * reverse ``KL(P_T‖P_S)``: ``½[tr(Σ(τ²)⁻¹ (R Σ_T + ΔᵀΔ)) + R log det Σ(τ²)]``.

    Diagonal covariances (1-D arrays) are handled elementwise.
    """
    diag = all(_is_diag(c) for c in (cov0, cov_tau, cov_t))
    if diag:
        mu = cov_tau / (cov0 + cov_tau)
        w = rows * cov_t / (cov0 + cov_tau) + np.sum(np.square(delta), axis=0) / (
            cov0 + cov_tau)
        lin = rows * float(np.sum(cov_tau / cov_t))
    else:
        dense = lambda C: np.diag(C) if _is_diag(C) else C  # noqa: E731
        cov0, cov_tau, cov_t = dense(cov0), dense(cov_tau), dense(cov_t)
        mu, V = eigh(cov_tau, cov0 + cov_tau)
        mu = np.clip(mu, 0.0, 1.0)
        W = rows * cov_t + delta.T @ delta
        w = np.einsum("ij,ij->j", V, W @ V)
        Lt = chol(cov_t)
        lin = rows * float(np.trace(solve_l(Lt, solve_l(Lt, cov_tau).T)))
    parts = Direction.parse(direction, "direction").parts
    fwd, rev = Direction.FORWARD in parts, Direction.REVERSE in parts

    def f(t):
        g = 1.0 + (t - 1.0) * mu
        out = 0.0
        if fwd:
            out += 0.5 * (t * lin - rows * float(np.sum(np.log(g))))
        if rev:
            out += 0.5 * (float(np.sum(w / g)) + rows * float(np.sum(np.log(g))))
        return out

    def df(t):
        g = 1.0 + (t - 1.0) * mu
        out = 0.0
        if fwd:
            out += 0.5 * (lin - rows * float(np.sum(mu / g)))
        if rev:
            out += 0.5 * (-float(np.sum(w * mu / g ** 2)) + rows * float(np.sum(mu / g)))
        return out

    return f, df


def minimise_tau2(profiles, scale: float) -> float:
    """The minimiser over ``τ² > 0`` of ``Σ f`` for ``profiles = [(f, f'), ...]``.

    When ``Σ f`` increases from ``τ² = 0`` (possible in prediction space, where the noise
    ``ν²`` keeps the kernel proper at ``τ² = 0``) the infimum is the limit ``τ² → 0⁺`` and 0 is
    returned. Otherwise a log-spaced scan over 24 decades around ``scale`` brackets the minimum; the root of
    ``Σ f'`` in the bracket (Brent) gives it to full precision — a minimisation of ``f``
    itself would stop at ``√eps`` relative, where ``f`` is flat.
    """
    def f(t):
        return sum(p[0](t) for p in profiles)

    def df(t):
        return sum(p[1](t) for p in profiles)

    with np.errstate(divide="ignore", invalid="ignore"):
        at_zero = df(0.0)
    if np.isfinite(at_zero) and at_zero >= 0:
        return 0.0          # increasing from τ² = 0: the infimum is the limit τ² → 0⁺
    grid = scale * np.logspace(-12, 12, 97)
    values = np.array([f(t) for t in grid])
    i = int(np.nanargmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    dlo, dhi = df(lo), df(hi)
    if not (dlo < 0 < dhi):
        return float(grid[i])
    return float(optimize.brentq(df, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                                 maxiter=500))


# --------------------------------------------------------------------------------------------
# LAPACK on computed matrices: never hand it a non-finite value
# --------------------------------------------------------------------------------------------

def _finite(*arrays) -> None:
    """Refuse (as a LinAlgError, turned into one clear error by the callers' guard) a matrix
    with a non-finite entry: LAPACK would fail to converge or print to stdout."""
    for A in arrays:
        if not np.all(np.isfinite(A)):
            raise np.linalg.LinAlgError("a matrix with non-finite entries reached LAPACK")


def svd(A, *, full_matrices: bool = False):
    """``np.linalg.svd`` of a finite matrix (stacks too)."""
    _finite(A)
    return np.linalg.svd(A, full_matrices=full_matrices)


def svdvals(A):
    """Singular values of a finite matrix (stacks too)."""
    _finite(A)
    return np.linalg.svd(A, compute_uv=False)


def eigh(A, B=None):
    """Symmetric (generalised) eigen-decomposition of finite matrices."""
    _finite(A) if B is None else _finite(A, B)
    return sla.eigh(A, B, check_finite=False) if B is not None else np.linalg.eigh(A)


def eigvalsh(A):
    """Eigenvalues of finite symmetric matrices (stacks too)."""
    _finite(A)
    return np.linalg.eigvalsh(A)
