"""A deliberately naive, dense reference for the distillation divergence (docs/model.md §2–4).

This module is an *independent* verification route: it does not import anything from
``lingauss`` except reading the public spec objects (``Teacher``, ``Student``, ``Sample``)
as plain attribute bags.  Every kernel is built as one full Gaussian over ``vec W``
(``kd`` coordinates, ``vec`` stacks columns so ``vec(AWB) = (Bᵀ⊗A) vec W``) or over the
vectorised training predictions ``vec(WX + νE)`` (``kn`` coordinates), straight from the
Gibbs posteriors written as dense quadratic forms:

* teacher: precision ``β_T (XXᵀ⊗I_k) + λ_T I_kd``, linear term ``β_T (X⊗I_k) vec Y``;
* student, trained coordinates ``W = U_r Z Bᵀ`` (``Z`` is ``r×m``): the Gibbs posterior of
  ``β_S/2 ‖Ỹ − U_r Z BᵀX‖² + λ_S/2 ‖Z‖²`` over ``vec Z`` for a *fixed* draw of the
  soft labels, then the draw of ``Ŷ`` (a dense ``kn``-dim Gaussian pushed forward from the
  teacher) is marginalised by adding the covariance of the (linear-in-``Ŷ``) mean;
* complement: ``τ²`` times the projector onto the orthogonal complement of the trained
  subspace.

The total KL uses the textbook formula with ``slogdet``/``solve``; the chain-rule split uses
explicit orthonormal coordinates for 𝒯 and 𝒞, explicit Schur complements and regression
matrices.  Nothing here exploits Kronecker or spectral structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss.model.options import Basis, Direction, RankRule, Space, complement_variance

REFERENCE_TERMS = ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
         "bottleneck_covariance")


# --------------------------------------------------------------------------------------
# Small dense Gaussian helpers
# --------------------------------------------------------------------------------------
def kl_gauss(m1, S1, m2, S2):
    """KL(N(m1, S1) ‖ N(m2, S2)) by the textbook formula."""
    D = len(m1)
    if D == 0:
        return 0.0
    tr = np.trace(np.linalg.solve(S2, S1))
    dm = m2 - m1
    maha = dm @ np.linalg.solve(S2, dm)
    s2, ld2 = np.linalg.slogdet(S2)
    s1, ld1 = np.linalg.slogdet(S1)
    assert s1 > 0 and s2 > 0, "covariance not positive definite"
    return 0.5 * (tr - D + maha + ld2 - ld1)


def kl_cov(S1, S2):
    """KL between zero-mean Gaussians N(0, S1) ‖ N(0, S2)."""
    return kl_gauss(np.zeros(S1.shape[0]), S1, np.zeros(S2.shape[0]), S2)


def orth_complement(T, D):
    """An orthonormal basis (D × (D−t)) of the orthogonal complement of range(T)."""
    if T.shape[1] == 0:
        return np.eye(D)
    Qf, _ = np.linalg.qr(T, mode="complete")
    return Qf[:, T.shape[1]:]


def range_basis(A, rtol=1e-10):
    """An orthonormal basis of range(A) from an SVD with a relative rank cut-off."""
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return U[:, :0]
    return U[:, : int(np.sum(s > rtol * s[0]))]


def chain_rule_split(m1, S1, m2, S2, T):
    """Chain-rule decomposition of KL(N(m1,S1) ‖ N(m2,S2)) for the split range(T) ⊕ ⊥.

    Returns a dict with total (textbook, on the full space), bias, variance,
    bottleneck_mean, bottleneck_covariance and rank_bottleneck (their sum).
    """
    D = len(m1)
    C = orth_complement(T, D)
    # coordinates
    mu_T, mu_C = T.T @ m1, C.T @ m1
    nu_T, nu_C = T.T @ m2, C.T @ m2
    S_TT, S_CT, S_CC = T.T @ S1 @ T, C.T @ S1 @ T, C.T @ S1 @ C
    P_TT, P_CT, P_CC = T.T @ S2 @ T, C.T @ S2 @ T, C.T @ S2 @ C
    # marginal on 𝒯
    delta = mu_T - nu_T
    bias = 0.5 * delta @ np.linalg.solve(P_TT, delta) if T.shape[1] else 0.0
    variance = kl_cov(S_TT, P_TT)
    # conditionals on 𝒞 given 𝒯: x_C | x_T ~ N(a + G (x_T − μ), S)
    if C.shape[1]:
        G1 = np.linalg.solve(S_TT, S_CT.T).T          # Σ_CT Σ_TT⁻¹
        G2 = np.linalg.solve(P_TT, P_CT.T).T
        Schur1 = S_CC - G1 @ S_CT.T
        Schur2 = P_CC - G2 @ P_CT.T
        # conditional means evaluated at x_T = μ_T (the first kernel's mean)
        cm1 = mu_C                                    # mu_C + G1 (mu_T − mu_T)
        cm2 = nu_C + G2 @ (mu_T - nu_T)
        dlt = cm1 - cm2
        b_mean = 0.5 * dlt @ np.linalg.solve(Schur2, dlt)
        H = G1 - G2
        b_cov = kl_cov(Schur1, Schur2) + 0.5 * np.trace(H.T @ np.linalg.solve(Schur2, H) @ S_TT)
    else:
        b_mean = b_cov = 0.0
    return {
        "total": kl_gauss(m1, S1, m2, S2),
        "bias": float(bias),
        "variance": float(variance),
        "bottleneck_mean": float(b_mean),
        "bottleneck_covariance": float(b_cov),
        "rank_bottleneck": float(b_mean + b_cov),
    }


# --------------------------------------------------------------------------------------
# The kernels, densely
# --------------------------------------------------------------------------------------
@dataclass
class DenseProblem:
    """All the dense objects of one (teacher, student, sample) instance."""
    d: int
    k: int
    n: int
    B: np.ndarray           # (d, m) width basis
    U: np.ndarray           # (k, r) trained output directions
    tau2: float
    mu_T: np.ndarray        # (kd,) teacher mean of vec W
    Sig_T: np.ndarray       # (kd, kd)
    mu_S: np.ndarray        # (kd,) student mean of vec W (marginal over Ŷ)
    Sig_S: np.ndarray       # (kd, kd) student covariance (marginal over Ŷ)
    Sig_S_cond: np.ndarray  # (kd, kd) student covariance given one draw of Ŷ
    Cov_mu: np.ndarray      # (kd, kd) covariance over Ŷ of the conditional student mean
    T_par: np.ndarray       # (kd, rm) orthonormal basis of the trained subspace
    Xop: np.ndarray         # (kn, kd) vec W ↦ vec(WX)
    T_pred: np.ndarray      # (kn, rp) orthonormal basis of the trained prediction subspace
    P_pred: np.ndarray      # (n, p) orthonormal basis of range(XᵀB)
    P_C: np.ndarray         # (kd, kd) projector onto the untrained complement (τ² enters here)


def vec(A):
    return A.reshape(-1, order="F")


def unvec(v, rows, cols):
    return v.reshape(rows, cols, order="F")


def resolve_basis(basis, width, X):
    d = X.shape[0]
    if isinstance(basis, np.ndarray):
        return basis
    m = d if width is None else width
    basis = Basis.parse(basis, "basis")
    if basis is Basis.FIRST:
        return np.eye(d)[:, :m]
    if basis is Basis.PCA:
        w, V = np.linalg.eigh(X @ X.T)
        order = np.argsort(w)[::-1]
        return V[:, order[:m]]
    raise ValueError(basis)


def top_left_singular(A, r):
    U, _, _ = np.linalg.svd(A, full_matrices=True)
    return U[:, :r]


def build(teacher, student, sample) -> DenseProblem:
    X, Y = np.asarray(sample.X, float), np.asarray(sample.Y, float)
    d, n = X.shape
    k = Y.shape[0]
    Ik, Id = np.eye(k), np.eye(d)
    bT, lT = teacher.beta, teacher.ridge
    bS, lS, alpha = student.beta, student.ridge, student.alpha

    # ---- teacher: dense Gibbs posterior over vec W
    Xop = np.kron(X.T, Ik)                                    # vec(WX) = (Xᵀ⊗I_k) vec W
    Lam_T = bT * Xop.T @ Xop + lT * np.eye(k * d)             # precision
    Sig_T = np.linalg.inv(Lam_T)
    Sig_T = 0.5 * (Sig_T + Sig_T.T)
    mu_T = np.linalg.solve(Lam_T, bT * Xop.T @ vec(Y))

    # ---- soft labels Ŷ: dense kn-dim Gaussian
    yhat_mean = Xop @ mu_T
    if not student.soft_labels.sampled:
        Sig_yhat = np.zeros((k * n, k * n))
    else:
        Sig_yhat = Xop @ Sig_T @ Xop.T
        if student.soft_labels.noisy:
            Sig_yhat = Sig_yhat + student.soft_label_noise ** 2 * np.eye(k * n)
    Ytil_mean = alpha * vec(Y) + (1 - alpha) * yhat_mean   # E[vec Ỹ]

    # ---- width basis, output directions
    B = resolve_basis(student.basis, student.width, X)
    m = B.shape[1]
    r = student.rank if student.rank is not None else min(k, m)
    Pi = B @ B.T
    A_S = bS * Pi @ X @ X.T @ Pi + lS * Id
    if isinstance(student.rank_rule, np.ndarray):
        U = student.rank_rule
    elif student.rank_rule is RankRule.ORACLE:
        U = top_left_singular(sample.W_star, r)
    elif student.rank_rule is RankRule.OPTIMAL:
        Mhat = bS * unvec(Ytil_mean, k, n) @ X.T @ Pi @ np.linalg.inv(A_S)
        w, V = np.linalg.eigh(A_S)
        A_half = (V * np.sqrt(w)) @ V.T
        U = top_left_singular(Mhat @ A_half, r)
    else:
        raise ValueError(student.rank_rule)
    assert U.shape == (k, r)

    # ---- student trained coordinates: W = U Z Bᵀ, vec W = (B⊗U) vec Z
    T_par = np.kron(B, U)                                     # (kd, rm), orthonormal
    Zop = Xop @ T_par                                         # vec Z ↦ vec(U Z BᵀX)
    Lam_Z = bS * Zop.T @ Zop + lS * np.eye(r * m)             # Gibbs precision over vec Z
    Sig_Z = np.linalg.inv(Lam_Z)
    Sig_Z = 0.5 * (Sig_Z + Sig_Z.T)
    K_Z = np.linalg.solve(Lam_Z, bS * Zop.T)                  # vec Ỹ ↦ posterior mean of vec Z
    mu_S = T_par @ (K_Z @ Ytil_mean)
    J = (1 - alpha) * T_par @ K_Z                             # vec Ŷ ↦ student mean of vec W
    Cov_mu = J @ Sig_yhat @ J.T
    Cov_mu = 0.5 * (Cov_mu + Cov_mu.T)

    # ---- complement
    C_par = orth_complement(T_par, k * d)
    dimC = C_par.shape[1]
    # "optimal": NaN here, chosen by reference() (it depends on the space and direction)
    tau2 = 1.0 / lS if dimC == 0 else float(complement_variance(
        student.complement_variance, ridge=lS, optimal=lambda: np.nan))
    P_C = C_par @ C_par.T                                     # projector onto the complement
    Sig_S_cond = T_par @ Sig_Z @ T_par.T + (0.0 if np.isnan(tau2) else tau2) * P_C
    Sig_S = Sig_S_cond + Cov_mu

    # ---- prediction-space trained subspace: rows in range U, columns in range(XᵀB)
    P_pred = range_basis(X.T @ B)
    T_pred = np.kron(P_pred, U)

    return DenseProblem(d, k, n, B, U, tau2, mu_T, Sig_T, mu_S, Sig_S, Sig_S_cond, Cov_mu,
                        T_par, Xop, T_pred, P_pred, P_C)


def _in_space(prob: DenseProblem, space, noise):
    """(mu_T, Sig_T, mu_S, Sig_S, Sig_S_cond, Cov_mu, T) in the requested space."""
    space = Space.parse(space, "space")
    if space is Space.PARAMETER:
        return (prob.mu_T, prob.Sig_T, prob.mu_S, prob.Sig_S, prob.Sig_S_cond, prob.Cov_mu,
                prob.T_par)
    if space is Space.PREDICTION:
        L = prob.Xop
        E = noise ** 2 * np.eye(L.shape[0])
        push = lambda S: L @ S @ L.T  # noqa: E731
        return (L @ prob.mu_T, push(prob.Sig_T) + E, L @ prob.mu_S, push(prob.Sig_S) + E,
                push(prob.Sig_S_cond) + E, push(prob.Cov_mu), prob.T_pred)
    raise ValueError(space)


def _add(a, b):
    return {t: a[t] + b[t] for t in a}


def expected_kl_forward(mu_bar, Sig_c, Cov_mu, m, S):
    """E_x KL(N(μ_x, Σ_c) ‖ N(m, S)) with μ_x of mean μ̄ and covariance Cov_mu."""
    return kl_gauss(mu_bar, Sig_c, m, S) + 0.5 * np.trace(np.linalg.solve(S, Cov_mu))


def expected_kl_reverse(m, S, mu_bar, Sig_c, Cov_mu):
    """E_x KL(N(m, S) ‖ N(μ_x, Σ_c))."""
    return kl_gauss(m, S, mu_bar, Sig_c) + 0.5 * np.trace(np.linalg.solve(Sig_c, Cov_mu))


def rank_floor(prob: DenseProblem, space, noise, r):
    """½ Σ_{j>r} σ_j² of the whitened teacher mean restricted to the width coordinates."""
    k = prob.k
    if Space.parse(space, "space") is Space.PARAMETER:
        mu, Sig, cols = prob.mu_T, prob.Sig_T, prob.B
    else:
        mu = prob.Xop @ prob.mu_T
        Sig = prob.Xop @ prob.Sig_T @ prob.Xop.T + noise ** 2 * np.eye(k * prob.n)
        cols = prob.P_pred
    R = np.kron(cols, np.eye(k))               # vec(V cols) = (colsᵀ⊗I_k) vec V
    mw = R.T @ mu
    Sw = R.T @ Sig @ R
    L = np.linalg.cholesky(Sw)
    z = np.linalg.solve(L, mw)                 # whitened, still k × width when unvec'd
    s = np.linalg.svd(unvec(z, k, cols.shape[1]), compute_uv=False)
    return 0.5 * float(np.sum(s[r:] ** 2))


def kl_slope(m1, S1, m2, S2, G1, G2):
    """d/dt KL(N(m1, S1 + t G1) ‖ N(m2, S2 + t G2)) at t = 0 (textbook matrix calculus)."""
    S2i = np.linalg.inv(S2)
    dm = m2 - m1
    return 0.5 * (np.trace(S2i @ G1) - np.trace(S2i @ G2 @ S2i @ S1)
                  - dm @ S2i @ G2 @ S2i @ dm
                  + np.trace(S2i @ G2) - np.trace(np.linalg.solve(S1, G1)))


def optimal_tau2(P_C, Xop, Sig0, mu_S, mu_T, Sig_T, space, noise, direction):
    """τ² minimising the dense total KL of ``N(mu_S, Sig0 + τ² P_C)`` against
    ``N(mu_T, Sig_T)`` in this space and direction: the root of its derivative in τ²
    (bracketed on a log grid, then Brent), from the textbook formula; None when τ² does
    not reach the space, 0 for the limit τ² → 0⁺ (prediction space)."""
    from scipy import optimize

    space, direction = Space.parse(space, "space"), Direction.parse(direction, "direction")
    if space is Space.PARAMETER:
        L, E = np.eye(P_C.shape[0]), 0.0
    else:
        L, E = Xop, noise ** 2 * np.eye(Xop.shape[0])
    G = L @ P_C @ L.T                                         # dΣ_S/dτ² in the space
    if np.max(np.abs(G)) <= 1e-12 * max(1.0, np.max(np.abs(L)) ** 2):
        return None                                           # τ² does not reach this space
    base = L @ Sig0 @ L.T + E                                 # Σ_S at τ² = 0 (plus noise)
    mS, mT, ST = L @ mu_S, L @ mu_T, L @ Sig_T @ L.T + E
    zero = np.zeros_like(G)

    def slope(t):
        S = base + t * G
        out = 0.0
        if Direction.FORWARD in direction.parts:
            out += kl_slope(mS, S, mT, ST, G, zero)
        if Direction.REVERSE in direction.parts:
            out += kl_slope(mT, ST, mS, S, zero, G)
        return out

    if space is Space.PREDICTION and slope(0.0) >= 0:
        return 0.0                                            # infimum at the limit τ² → 0⁺
    grid = np.logspace(-10, 10, 81)
    values = [slope(t) for t in grid]
    for lo, hi, vlo, vhi in zip(grid[:-1], grid[1:], values[:-1], values[1:]):
        if vlo < 0 <= vhi:
            return optimize.brentq(slope, lo, hi, xtol=1e-300, rtol=1e-15)
    raise AssertionError("no stationary point of the dense KL in tau2 on [1e-10, 1e10]")


def reference(teacher, student, sample, space="parameter", direction="forward"):
    """The dense reference decomposition as a dict (keys: REFERENCE_TERMS, rank_floor,
    convexity_bound, convexity_slack, mutual_information)."""
    space, direction = Space.parse(space, "space"), Direction.parse(direction, "direction")
    prob = build(teacher, student, sample)
    noise = sample.noise
    if np.isnan(prob.tau2):                                   # complement_variance="optimal"
        tau2 = optimal_tau2(prob.P_C, prob.Xop, prob.Sig_S, prob.mu_S, prob.mu_T, prob.Sig_T,
                            space, noise, direction)
        tau2 = 1.0 / student.ridge if tau2 is None else tau2
        prob.tau2 = tau2
        prob.Sig_S = prob.Sig_S + tau2 * prob.P_C
        prob.Sig_S_cond = prob.Sig_S_cond + tau2 * prob.P_C
    if space is Space.PREDICTION:
        assert noise is not None and noise > 0
    mT, ST, mS, SS, SSc, Cmu, T = _in_space(prob, space, noise)
    fwd = chain_rule_split(mS, SS, mT, ST, T)     # KL(student ‖ teacher)
    rev = chain_rule_split(mT, ST, mS, SS, T)     # KL(teacher ‖ student)
    one_way = {Direction.FORWARD: fwd, Direction.REVERSE: rev}
    out = dict(one_way[direction.parts[0]])
    for part in direction.parts[1:]:
        out = _add(out, one_way[part])
    out["rank_floor"] = rank_floor(prob, space, noise, prob.U.shape[1])
    if not student.soft_labels.sampled:
        out["convexity_bound"] = out["convexity_slack"] = out["mutual_information"] = None
    else:
        bf = expected_kl_forward(mS, SSc, Cmu, mT, ST)
        br = expected_kl_reverse(mT, ST, mS, SSc, Cmu)
        bound = sum({Direction.FORWARD: bf, Direction.REVERSE: br}[part]
                    for part in direction.parts)
        out["convexity_bound"] = bound
        out["convexity_slack"] = bound - out["total"]
        out["mutual_information"] = 0.5 * (np.linalg.slogdet(SS)[1] - np.linalg.slogdet(SSc)[1])
    out["tau2"] = prob.tau2
    out["dim_T"] = T.shape[1]
    out["dim"] = len(mT)
    return out
