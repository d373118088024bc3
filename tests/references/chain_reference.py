"""An independent dense reference for distillation chains and their risk, written from the
definitions of docs/model.md (§1–3, §7, §8) for tests/chains/test_chain.py and tests/chains/test_risk.py.

Nothing here imports ``lingauss`` beyond reading the public spec objects (``Teacher``,
``Student``) as plain attribute bags. Every generation is built as one Gaussian over ``vec W``
(``kd`` coordinates; ``vec`` stacks columns, ``vec(AWB) = (Bᵀ⊗A) vec W``) straight from its
Gibbs energy written as a dense quadratic form:

* teacher: ``β_T/2 ‖Y − WX‖² + λ_T/2 ‖W‖²`` over every ``vec W``;
* generation ``g``: the same energy with ``β_g, λ_g`` and targets
  ``Ỹ_g = α_g Y + (1 − α_g) Ŷ_{g−1}``, over the trained coordinates ``W = U Z Bᵀ``
  (``vec W = (B⊗U) vec Z``), the draw of ``Ŷ_{g−1}`` (``M_{g−1}X`` or ``W_{g−1}X``,
  ``W_{g−1}`` from the previous kernel, ``+ ν_T E'``) marginalised by adding the covariance of
  the (linear-in-``Ŷ``) mean, and ``τ²`` on the orthogonal complement.

Every mean is linear in the labels: ``vec M_g = A_g vec Y`` with an explicit ``(kd, kn)``
matrix ``A_g``, so the risk expected over the label noise ``Y = W⋆X + νE`` is exact:
``bias² = ‖A_g vec(W⋆X) − vec W⋆‖²_{Σ⊗I_k}``, ``variance = ν² tr(Aᵀ(Σ⊗I_k)A)`` and the
posterior draw adds ``tr((Σ⊗I_k) Cov(vec W_g))``.

The simulation helpers (:func:`simulate_chain`) instead fit every generation by solving its
ridge problem on sampled labels, draw soft labels and posterior draws explicitly, and score
the fits on fresh labels or fresh inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def vec(A):
    """Stack the columns of ``A``."""
    return np.asarray(A).reshape(-1, order="F")


def orthonormal(rng, rows, cols):
    """A random ``rows × cols`` matrix with orthonormal columns (Haar, via QR)."""
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def pca_basis(X, m):
    """The top-``m`` eigenvectors of ``XXᵀ`` (d, m)."""
    w, V = np.linalg.eigh(X @ X.T)
    return V[:, np.argsort(-w, kind="stable")[:m]]


def width_basis(student, X):
    """``B`` (d, m) of docs/model.md §3: ``pca``, ``first`` or the user's matrix."""
    d = X.shape[0]
    if isinstance(student.basis, np.ndarray):
        return np.asarray(student.basis, dtype=float)
    m = d if student.width is None else student.width
    if student.basis == "first":
        return np.eye(d)[:, :m]
    if student.basis == "pca":
        return pca_basis(X, m)
    raise ValueError(student.basis)


def output_directions(student, k, m, W_star):
    """``U`` (k, r) with ``Q = UUᵀ``, for the rules whose projector does not depend on the
    labels: a user matrix, ``oracle`` (top-``r`` left singular vectors of ``W⋆``), or any rule
    at full rank ``r = k`` (``Q = I``)."""
    r = student.rank if student.rank is not None else min(k, m)
    if isinstance(student.rank_rule, np.ndarray):
        return np.asarray(student.rank_rule, dtype=float)
    if r == k:
        return np.eye(k)
    if student.rank_rule == "oracle":
        return np.linalg.svd(W_star)[0][:, :r]
    raise NotImplementedError("the dense reference needs a projector fixed in advance")


@dataclass
class Generation:
    """One generation as a Gaussian over ``vec W`` whose mean is ``A vec Y``."""

    A: np.ndarray          # (kd, kn)
    cov: np.ndarray        # (kd, kd) marginal over the soft labels
    trained: np.ndarray    # (kd, rm) orthonormal basis of the trained coordinates
    tau2: float            # the complement variance (nan for the teacher)


def dense_chain(teacher, students, X, W_star):
    """Every generation of the chain (index 0 the teacher), densely.

    ``complement_variance="optimal"`` is the forward parameter-space minimiser of
    ``KL(P_g ‖ P_{g−1})``: the complement is independent of the trained block in ``P_g`` with
    covariance ``τ² I``, so ``τ²`` enters the KL as ``½(τ² tr(Cᵀ Σ_{g−1}⁻¹ C) − dim 𝒞 log τ²)``,
    minimised at ``τ²* = dim 𝒞 / tr(Cᵀ Σ_{g−1}⁻¹ C)`` (docs/model.md §3).
    """
    X = np.asarray(X, dtype=float)
    k, d = W_star.shape
    n = X.shape[1]
    Xop = np.kron(X.T, np.eye(k))                      # vec W ↦ vec(WX), (kn, kd)
    # teacher: precision β_T XopᵀXop + λ_T I, linear term β_T Xopᵀ vec Y
    Lam = teacher.beta * Xop.T @ Xop + teacher.ridge * np.eye(k * d)
    gens = [Generation(A=np.linalg.solve(Lam, teacher.beta * Xop.T),
                       cov=np.linalg.inv(Lam), trained=np.eye(k * d), tau2=np.nan)]
    for st in students:
        prev = gens[-1]
        B = width_basis(st, X)
        U = output_directions(st, k, B.shape[1], W_star)
        T = np.kron(B, U)                              # vec Z ↦ vec(U Z Bᵀ), orthonormal
        G = Xop @ T                                    # vec Z ↦ vec(U Z BᵀX)
        Lam_Z = st.beta * G.T @ G + st.ridge * np.eye(T.shape[1])
        gain = T @ np.linalg.solve(Lam_Z, st.beta * G.T)  # vec Ỹ ↦ mean of vec W
        # E[vec Ỹ] = α vec Y + (1 − α) Xop A_{g−1} vec Y
        A = gain @ (st.alpha * np.eye(k * n) + (1 - st.alpha) * Xop @ prev.A)
        cov = T @ np.linalg.inv(Lam_Z) @ T.T
        if st.soft_labels != "mean":                   # Cov(vec Ŷ) pushed through the gain
            cov_y = Xop @ prev.cov @ Xop.T
            if st.soft_labels == "sampled+noise":
                cov_y = cov_y + st.soft_label_noise ** 2 * np.eye(k * n)
            J = (1 - st.alpha) * gain
            cov = cov + J @ cov_y @ J.T
        P_C = np.eye(k * d) - T @ T.T                  # projector on the complement
        dim_c = k * d - T.shape[1]
        cv = st.complement_variance
        if dim_c == 0 or (isinstance(cv, str) and cv == "prior"):
            tau2 = 1.0 / st.ridge
        elif isinstance(cv, str):
            tau2 = dim_c / np.trace(P_C @ np.linalg.inv(prev.cov))
        else:
            tau2 = float(cv)
        gens.append(Generation(A=A, cov=0.5 * (cov + cov.T) + tau2 * P_C, trained=T,
                               tau2=tau2))
    return gens


def dense_risk(gen, X, W_star, noise, weight):
    """``(bias², variance of the mean, posterior spread)`` of a generation, expected over the
    label noise, for the input second-moment matrix ``weight`` (d, d): ``XXᵀ/n`` (fixed
    design) or ``Σ`` (population). docs/model.md §7 by its definition:
    ``E_Y E_W tr((W − W⋆) Σ (W − W⋆)ᵀ) = E_Y vec(M − W⋆)ᵀ(Σ⊗I_k)vec(M − W⋆) + tr((Σ⊗I_k)Cov)``.
    """
    k = W_star.shape[0]
    Wk = np.kron(weight, np.eye(k))
    gap = gen.A @ vec(W_star @ X) - vec(W_star)
    bias = float(gap @ Wk @ gap)
    variance = float(noise ** 2 * np.sum((Wk @ gen.A) * gen.A))
    posterior = float(np.sum(Wk * gen.cov))
    return bias, variance, posterior


def kl_gauss(m1, S1, m2, S2):
    """``KL(N(m1, S1) ‖ N(m2, S2))`` by the textbook formula."""
    D = m1.shape[0]
    dm = m2 - m1
    return 0.5 * (np.trace(np.linalg.solve(S2, S1)) - D + dm @ np.linalg.solve(S2, dm)
                  + np.linalg.slogdet(S2)[1] - np.linalg.slogdet(S1)[1])


# ---------------------------------------------------------------------------------------------
# Simulation: fit every generation on sampled labels by solving its ridge problem
# ---------------------------------------------------------------------------------------------

def _solve_rows(K, R):
    """``R K⁻¹`` for a batch ``R`` (..., p) and a symmetric positive definite ``K`` (p, p)."""
    p = K.shape[0]
    flat = R.reshape(-1, p)
    return np.linalg.solve(K, flat.T).T.reshape(R.shape)


def _draw_rows(rng, cov, shape):
    """A batch of rows ``(..., p)`` i.i.d. ``N(0, cov)``."""
    L = np.linalg.cholesky(cov)
    return rng.standard_normal(shape) @ L.T


def simulate_chain(teacher, students, X, W_star, Y, rng):
    """Fit every generation on each label draw ``Y`` (R, k, n) by solving its ridge problem.

    Returns ``(means, draws)``: lists over generations of (R, k, d) arrays — the kernel means
    (the soft labels at their expectation), and one draw from every kernel, made by drawing
    the soft labels (``sampled``: ``Ŷ = W_{g−1}X`` with ``W_{g−1}`` the previous draw;
    ``+ ν_T E'`` for ``sampled+noise``), fitting the ridge problem on them, adding the Gibbs
    posterior's spread on the trained coordinates and ``N(0, τ²)`` on the complement.
    ``τ²`` must be ``prior`` or a number here.
    """
    k, d = W_star.shape
    R, _, n = Y.shape
    # teacher: argmin β‖Y − WX‖² + λ‖W‖²  ⇔  W (β XXᵀ + λ I) = β Y Xᵀ
    A_T = teacher.beta * X @ X.T + teacher.ridge * np.eye(d)
    mean = _solve_rows(A_T, teacher.beta * Y @ X.T)
    draw = mean + _draw_rows(rng, np.linalg.inv(A_T), (R, k, d))
    means, draws = [mean], [draw]
    for st in students:
        cv = st.complement_variance
        if isinstance(cv, str) and cv != "prior":
            raise NotImplementedError("simulate with complement_variance 'prior' or a number")
        tau = np.sqrt(1.0 / st.ridge if isinstance(cv, str) else float(cv))
        B = width_basis(st, X)
        U = output_directions(st, k, B.shape[1], W_star)
        F = B.T @ X                                     # the student's features (m, n)
        K = st.beta * F @ F.T + st.ridge * np.eye(B.shape[1])

        def fit(targets):
            # argmin_Z β‖Ỹ − U Z F‖² + λ‖Z‖² = argmin_Z β‖UᵀỸ − Z F‖² + λ‖Z‖² (U orthonormal)
            Z = _solve_rows(K, st.beta * (U.T @ targets) @ F.T)          # (R, r, m)
            return U @ Z @ B.T, Z

        mean_soft = means[-1] @ X
        mean, _ = fit(st.alpha * Y + (1 - st.alpha) * mean_soft)
        soft = mean_soft
        if st.soft_labels != "mean":
            soft = draws[-1] @ X
            if st.soft_labels == "sampled+noise":
                soft = soft + st.soft_label_noise * rng.standard_normal(soft.shape)
        _, Z = fit(st.alpha * Y + (1 - st.alpha) * soft)
        Z = Z + _draw_rows(rng, np.linalg.inv(K), Z.shape)
        G = tau * rng.standard_normal((R, k, d))
        draw = U @ Z @ B.T + G - (U @ U.T) @ G @ (B @ B.T)   # complement: (I − Π⊗Q) G
        means.append(mean)
        draws.append(draw)
    return means, draws


def excess_loss(W, X_test, Y_test, noise):
    """Per label draw: ``(1/N)‖Y_test − W X_test‖² − k ν²`` (the irreducible noise removed).

    ``W`` (R, k, d); ``X_test`` (R, d, N) or (d, N); ``Y_test`` (R, k, N).
    """
    k = W.shape[1]
    err = Y_test - W @ X_test
    return np.sum(err ** 2, axis=(1, 2)) / Y_test.shape[2] - k * noise ** 2
