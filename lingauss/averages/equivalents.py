"""Deterministic equivalents in the proportional regime ``d, n → ∞``, ``d/n → γ``.

Inputs ``x ~ N(0, Σ)``; ``Σ`` enters through its eigenvalues ``σ_i`` (``eigenvalues``, each
a fraction ``1/p`` of the input dimensions; one value is isotropic ``Σ = σI``) and the truth
through its energy on each eigenvector ``v_i``, ``θ_i² = ‖W⋆v_i‖²`` summed over the outputs
concerned (``signal``). Ridges are *normalised*, ``λ̄ = λ/(β n)``: the teacher's mean is ridge
regression ``(Σ̂ + λ̄)⁻¹ Σ̂ …`` with ``Σ̂ = XXᵀ/n`` (derivations/random_design.md §1).

Every equivalent is built from ``κ(λ̄)``, the root of Silverstein's equation at ``z = −λ̄``,

    κ = λ̄ + γ κ · mean_i σ_i/(σ_i + κ)                                   (:func:`kappa`)

(``λ̄(Σ̂ + λ̄)⁻¹ ≍ κ(Σ + κ)⁻¹``), and its divided differences, carried exactly by
``lingauss._divided``: the one-step student's risk needs bivariate ones (two ridges), the
divergence a confluent second one. Everything is vectorised: ``gamma``, the ridges and
``alpha`` broadcast, and the grid is processed in blocks.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import (LingaussError, as_real_array, check_array, check_int,
                                       check_real, finite_or_refuse)
from lingauss.averages.divided import Divided, symmetric, variable, weighted
from lingauss.engine.linalg import vfun

#: Newton iterations allowed for κ before giving up with an error.
MAX_ITERATIONS = 200
#: Grid points × modes evaluated together (memory of one block of arrays).
BLOCK_ELEMENTS = 2 ** 16
KAPPA_METHODS = ("auto", "newton", "closed-form")
EPS = np.finfo(float).eps


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

def positive_grid(value, name: str, *, low_inclusive: bool = False) -> np.ndarray:
    """A finite real array (any shape) of values ``> 0`` (``>= 0`` with ``low_inclusive``)."""
    arr = as_real_array(value, name)
    flat = arr.ravel()
    bad = ~np.isfinite(flat) | ((flat < 0) if low_inclusive else (flat <= 0))
    if bad.any():
        i = int(np.argmax(bad))
        where = "" if arr.ndim == 0 else f"[{i}]"
        rule = ">= 0" if low_inclusive else "> 0"
        raise LingaussError(f"{name}{where} == {flat[i]:g}, must be finite and {rule}.")
    return arr


def check_spectrum(eigenvalues, signal) -> tuple[np.ndarray, np.ndarray]:
    """``σ`` (p,) > 0 and ``θ²`` (p,) >= 0, of equal length.

    >>> check_spectrum([1.0, 0.0], [1.0, 1.0])
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: eigenvalues[1] == 0, must be finite and > 0.
    """
    sigma = np.array(check_array(eigenvalues, "eigenvalues", ndim=1))
    positive_grid(sigma, "eigenvalues")
    theta2 = np.array(check_array(signal, "signal", ndim=1,
                                  shape=((sigma.size, "len(eigenvalues)"),)))
    positive_grid(theta2, "signal", low_inclusive=True)
    return sigma, theta2


# --------------------------------------------------------------------------------------------
# κ: Silverstein's equation at z = −λ̄
# --------------------------------------------------------------------------------------------

@finite_or_refuse("kappa")
def kappa(gamma, ridge, eigenvalues, *, method: str = "auto") -> np.ndarray:
    """``κ(γ, λ̄)``, the root ``κ > λ̄`` of ``κ = λ̄ + γκ·mean_i σ_i/(σ_i + κ)``.

    It is the deterministic equivalent of the ridge's resolvent, ``λ̄(Σ̂ + λ̄)⁻¹ ≍ κ(Σ + κ)⁻¹``
    (Silverstein's equation for the Stieltjes transform of ``Σ̂``, evaluated at ``z = −λ̄``;
    derivations/random_design.md §2). ``"newton"``: Newton from the upper end of the bracket
    ``[λ̄, λ̄ + γ·mean σ]``, where the map ``κ ↦ κ(1 − γ·mean σ/(σ + κ))`` is increasing
    and convex, so the iterates decrease monotonically to the root (clamped to the bracket).
    ``"closed-form"`` (one distinct eigenvalue ``c``, Marchenko–Pastur): the positive root
    of ``κ² + κ(c − λ̄ − γc) − λ̄c = 0``. ``"auto"``: the closed form when it applies.

    Parameters
    ----------
    gamma, ridge : array_like
        ``γ = d/n > 0`` and the normalised ridge ``λ̄ > 0``; broadcast together.
    eigenvalues : array_like of shape (p,)
        The population eigenvalues ``σ_i > 0``, each of weight ``1/p``.

    Returns
    -------
    ndarray of the broadcast shape of ``gamma`` and ``ridge``.

    Examples
    --------
    >>> float(kappa(0.5, 0.25, [1.0]))      # κ² + κ(1 − 0.25 − 0.5) − 0.25 = 0
    0.3903882032022076
    >>> bool(np.isclose(kappa(0.5, 0.25, [1.0], method="newton"), 0.3903882032022076))
    True
    """
    if method not in KAPPA_METHODS:
        raise LingaussError(f"Unknown value for method: {method!r}. Possible values: "
                            f"{KAPPA_METHODS}.")
    gamma = positive_grid(gamma, "gamma")
    ridge = positive_grid(ridge, "ridge")
    sigma = np.array(check_array(eigenvalues, "eigenvalues", ndim=1))
    positive_grid(sigma, "eigenvalues")
    equal = bool(np.all(sigma == sigma[0]))
    if method == "closed-form" and not equal:
        raise LingaussError("method == 'closed-form' needs one distinct eigenvalue "
                            "(isotropic Σ); use method='newton' or 'auto'.")
    g, lam = np.broadcast_arrays(gamma, ridge)
    if equal and method != "newton":
        return _kappa_isotropic(g, lam, float(sigma[0]))
    out = _kappa_newton(g.reshape(-1, 1), lam.reshape(-1, 1), sigma)
    return out.reshape(g.shape)


def _kappa_isotropic(gamma, ridge, c: float):
    """The positive root of ``κ² + κ(c − λ̄ − γc) − λ̄c = 0``, without cancellation."""
    b = ridge + gamma * c - c                              # κ = (b + √(b² + 4λ̄c))/2
    root = np.sqrt(b * b + 4.0 * ridge * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b >= 0, 0.5 * (b + root), 2.0 * ridge * c / (root - b))


def _kappa_newton(gamma, ridge, sigma):
    """Newton on ``φ(κ) = κ − γκ·mean σ/(σ+κ) = λ̄`` for (G, 1) columns; see :func:`kappa`."""
    lo = ridge.astype(float)
    k = lo + gamma * np.mean(sigma)                        # φ(k) >= λ̄: the bracket's top
    mean_weights = np.full((sigma.size, 1), 1.0 / sigma.size)
    active = np.ones(k.shape[0], dtype=bool)
    for _ in range(MAX_ITERATIONS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            return k
        kk, gg, ll = k[idx], gamma[idx], lo[idx]
        u = sigma / (sigma + kk)                           # (G, p) σ/(σ + κ)
        m1 = u @ mean_weights                              # mean over the modes
        t2 = (u * u) @ mean_weights
        phi = kk * (1.0 - gg * m1) - ll
        step = phi / (1.0 - gg * t2)                       # φ' = 1 − γ·mean σ²/(σ+κ)²
        new = np.clip(kk - step, ll, kk)                   # from the right: never up
        k[idx] = new
        # converged once an iterate no longer decreases beyond rounding
        done = kk - new <= 4 * np.finfo(float).eps * new
        active[idx[done.ravel()]] = False
    raise LingaussError(f"kappa: Newton did not converge in {MAX_ITERATIONS} iterations "
                        f"(gamma up to {float(np.max(gamma)):.3g}, ridge down to "
                        f"{float(np.min(ridge)):.3g}): the spectrum's range is beyond "
                        f"double precision.")


def _kappa_at(gamma, node, sigma, method):
    """``κ`` at a node that may be a :class:`Divided`: ``κ[x₀, x₁] = x[·]/φ[κ₀, κ₁]`` with
    ``φ[κ₀, κ₁] = 1 − γ·mean σ²/((σ + κ₀)(σ + κ₁))`` (the chain rule of divided differences)."""
    if not isinstance(node, Divided):
        return np.asarray(kappa(gamma, node, sigma, method=method))
    ka = _kappa_at(gamma, node.a, sigma, method)
    same = not isinstance(node.b, Divided) and np.array_equal(node.a, node.b)
    kb = ka if same else _kappa_at(gamma, node.b, sigma, method)          # one solve if equal
    slope = 1.0 - gamma * weighted(1.0 / ((sigma + ka) * (sigma + kb)),
                                    (sigma ** 2 / sigma.size)[:, None])
    return Divided(ka, kb, node.d / slope, node.level)


def _kappa_newton_or_closed(gamma, ridge, sigma, method):
    """:func:`kappa` on (G, 1) columns (validated by the caller)."""
    if method != "newton" and np.all(sigma == sigma[0]):
        return _kappa_isotropic(gamma, ridge, float(sigma[0]))
    return _kappa_newton(gamma, ridge, sigma)


def _blocks(fn, shape_args: dict, p: int) -> dict:
    """``fn(**columns)`` over the broadcast grid of ``shape_args`` in blocks of rows, the
    results reshaped to the grid."""
    arrays = np.broadcast_arrays(*shape_args.values())
    shape = arrays[0].shape
    cols = [np.array(a, dtype=float).reshape(-1, 1) for a in arrays]   # copies: writeable
    rows = max(1, BLOCK_ELEMENTS // max(p, 1))
    parts = [fn(**dict(zip(shape_args, [c[i:i + rows] for c in cols])))
             for i in range(0, cols[0].shape[0], rows)]
    return {name: np.concatenate([q[name] for q in parts]).reshape(shape)
            for name in parts[0]}


# --------------------------------------------------------------------------------------------
# The risk: teacher and one-step student
# --------------------------------------------------------------------------------------------

@finite_or_refuse("the risk's deterministic equivalent")
def risk_equivalent(gamma, ridge, *, eigenvalues, signal, noise, outputs: int = 1,
                    student_ridge=None, alpha=1.0, method: str = "auto") -> dict:
    """The deterministic equivalent of the population excess risk (mean estimator) of a
    ridge teacher or of a one-step student, expected over ``X`` and the labels.

    The student (full width and rank, mean soft labels) trains on ``αY + (1 − α)Ŷ`` at its
    own ridge; its estimator is ``F(Σ̂) Xy/n`` with ``F = c₁R₁ + c₀R₀``, ``R_j = (Σ̂ + λ̄_j)⁻¹``,
    ``c₀ = ω/(λ̄₀ − λ̄₁)``, ``ω = (1 − α)λ̄₀`` (derivations/random_design.md §4). With the
    two-resolvent equivalents ``λ̄_aλ̄_b wᵀR_aΣR_bw ≍ κ_aκ_b q_ab/(1 − τ_ab)`` and
    ``(1/n)tr(R_aΣ̂R_bΣ) ≍ τ_ab/(1 − τ_ab)`` (``q_ab = Σ θ²σ/((σ+κ_a)(σ+κ_b))``,
    ``τ_ab = γ·mean σ²/((σ+κ_a)(σ+κ_b))``):

        bias     = B(λ̄₁, λ̄₁) + 2ω B[λ̄₀, λ̄₁; λ̄₁] + ω² B[λ̄₀, λ̄₁; λ̄₀, λ̄₁]
        variance = outputs · ν² · (same with V),

    divided differences in each argument, exact for equal, close or distinct ridges.
    ``alpha = 1`` (or ``student_ridge = None`` with ``alpha = 1``) is ridge regression at
    ``student_ridge`` (default ``ridge``): the teacher.

    Parameters
    ----------
    gamma, ridge : array_like
        ``γ = d/n`` and the teacher's normalised ridge ``λ̄₀ = λ_T/(β_T n)``.
    eigenvalues, signal : array_like of shape (p,)
        ``σ_i > 0`` and ``θ_i² >= 0`` (summed over the outputs concerned).
    noise : float
        ``ν``.
    outputs : int
        Output rows the variance counts (``k``, or the rank of a fixed projector).
    student_ridge, alpha : array_like, optional
        The student's ``λ̄₁ = λ_S/(β_S n)`` and hard-label weight (broadcast with the rest).

    Returns
    -------
    dict
        ``bias``, ``variance``, ``total`` arrays of the broadcast shape.

    Examples
    --------
    >>> r = risk_equivalent(0.5, 0.25, eigenvalues=[1.0], signal=[2.0], noise=1.0)
    >>> round(float(r["total"]), 10)        # Σ = I, r² = 2, ν = 1: the Bayes ridge γν²/r²
    0.5615528128
    """
    sigma, theta2 = check_spectrum(eigenvalues, signal)
    nu = check_real(noise, "noise", low=0, low_inclusive=True)
    rows = check_int(outputs, "outputs", low=1)
    lam1 = ridge if student_ridge is None else positive_grid(student_ridge, "student_ridge")
    alpha = as_real_array(alpha, "alpha")

    # mode weights of the sums below: θ²σ, θ²σ², θ²σ³ (the signal) and γ-free σ²/p (coupling)
    weights = np.stack([theta2 * sigma, theta2 * sigma ** 2, theta2 * sigma ** 3,
                        sigma ** 2 / sigma.size], axis=1)                  # (p, 4)

    def block(gamma, ridge, student_ridge, alpha):
        k0 = _kappa_newton_or_closed(gamma, ridge, sigma, method)
        same = np.array_equal(ridge, student_ridge)
        k1 = k0 if same else _kappa_newton_or_closed(gamma, student_ridge, sigma, method)
        U0, U1 = 1.0 / (sigma + k0), 1.0 / (sigma + k1)                   # (G, p) 1/(σ + κ)
        P = U0 * U1
        S = {name: m @ weights for name, m in                               # (G, 4) mode sums
             (("00", U0 * U0), ("11", U1 * U1), ("01", P), ("0d", P * U0), ("1d", P * U1),
              ("dd", P * P))}
        # τ_ab = γ·mean σ²/((σ+κ_a)(σ+κ_b)); κ[λ̄₀, λ̄₁] = 1/(1 − τ₀₁) (derivations §3)
        T = {ab: gamma * S[ab][:, 3:] for ab in S}
        kd = 1.0 / (1.0 - T["01"])
        # h = κ/(σ + κ): h₀ = κ₀U₀, h₁ = κ₁U₁, h[λ̄₀, λ̄₁] = σκ_d U₀U₁;  u[λ̄₀, λ̄₁] = −κ_d U₀U₁
        N = symmetric(k0 * k0 * S["00"][:, :1], k1 * k1 * S["11"][:, :1],
                      k0 * k1 * S["01"][:, :1], k0 * kd * S["0d"][:, 1:2],
                      k1 * kd * S["1d"][:, 1:2], kd * kd * S["dd"][:, 2:3])   # κ_aκ_b q_ab
        E = symmetric(1.0 - T["00"], 1.0 - T["11"], 1.0 - T["01"], kd * T["0d"],
                      kd * T["1d"], -kd * kd * T["dd"])                     # 1 − τ_ab
        bias_ab = N / E                                                    # B(a, b)
        var_ab = 1.0 / E - 1.0                                             # V = τ/(1 − τ)
        omega = (1.0 - alpha) * ridge
        bias = bias_ab.b.b + 2 * omega * bias_ab.d.b + omega ** 2 * bias_ab.d.d
        variance = rows * nu ** 2 * (var_ab.b.b + 2 * omega * var_ab.d.b
                                     + omega ** 2 * var_ab.d.d)
        return {"bias": bias, "variance": variance, "total": bias + variance}

    positive_grid(gamma, "gamma")
    positive_grid(ridge, "ridge")
    return _blocks(block, {"gamma": gamma, "ridge": ridge, "student_ridge": lam1,
                           "alpha": alpha}, sigma.size)


# --------------------------------------------------------------------------------------------
# The divergence K between the one-step student and the teacher
# --------------------------------------------------------------------------------------------

@finite_or_refuse("the log-determinant's deterministic equivalent")
def log_det_equivalent(gamma, ridge, eigenvalues, *, method: str = "auto") -> np.ndarray:
    """``L(λ̄) ≍ (1/d) log det(Σ̂ + λ̄)``: ``mean log(σ + κ) + ((1 − γ)/γ) log(κ/λ̄) +
    (λ̄/κ − 1)/γ`` (stationary in ``κ`` at Silverstein's root, with ``L' = (1/d)tr(Σ̂ + λ̄)⁻¹``
    and ``L ~ log λ̄`` as ``λ̄ → ∞``; derivations/random_design.md §5).

    >>> round(float(log_det_equivalent(0.5, 1e8, [1.0]) - np.log(1e8)), 6)   # Σ̂ ≪ λ̄
    0.0
    """
    sigma = np.array(check_array(eigenvalues, "eigenvalues", ndim=1))
    k = kappa(gamma, ridge, sigma, method=method)[..., None]
    g, lam = (np.broadcast_to(positive_grid(a, name), k.shape[:-1])[..., None]
              for a, name in ((gamma, "gamma"), (ridge, "ridge")))
    out = (np.mean(np.log(sigma + k), axis=-1, keepdims=True)
           + (1 - g) / g * np.log(k / lam) + (lam / k - 1) / g)
    return out[..., 0]


@finite_or_refuse("the divergence's deterministic equivalent")
def divergence_equivalent(gamma, ridge, student_ridge, *, eigenvalues, signal, noise, beta,
                          student_beta, alpha=0.0, outputs: int = 1, rank: int | None = None,
                          signal_outside=None, complement=None, method: str = "auto") -> dict:
    """The deterministic equivalent of ``E K_n/(k d)``, the forward parameter-space divergence
    of a full-width student (mean soft labels, a fixed output projector of rank ``r``),
    expected over ``X`` and the labels (derivations/random_design.md §5).

    Per unit of ``k·d`` (``ρ = β_T/β_S``, ``Δ = λ̄₀ − λ̄₁``, ``ε = λ̄₁ − αλ̄₀``,
    ``v(x) = x − 1 − log x``, ``L`` = :func:`log_det_equivalent`, ``T = L'``):

        variance        = (r/2k) [v(ρ) + ρΔ T(λ̄₁) − (L(λ̄₀) − L(λ̄₁))]
        bias            = (β_T ε²/2) [q/(kγ) + ν² (r/k) P]
        bottleneck_mean = (β_T/2) [Σ θ⊥²σ(σ + κ₀ − λ̄₀)/(σ + κ₀)/(kγ) + ν² ((k − r)/k) m₁(κ₀)]
        bottleneck_cov  = ((k − r)/2k) [β_T τ̄² (mean σ + λ̄₀) − 1 − log(β_T τ̄²) − L(λ̄₀)]

    with ``q = (λ̄κ Σθ²/(σ + κ))[λ̄₀, λ̄₁, λ̄₁] ≍ Σ_rows wᵀΣ̂²R₀R₁²w``,
    ``P = −(mean κ/(σ + κ))[λ̄₀, λ̄₁, λ̄₁] ≍ (1/d)tr(Σ̂R₀R₁²)`` (confluent divided differences)
    and ``m₁(κ) = mean σ/(σ + κ)``.

    Parameters
    ----------
    gamma, ridge, student_ridge : array_like
        ``γ = d/n`` and the normalised ridges ``λ̄ = λ/(β n)`` (broadcast).
    eigenvalues, signal : array_like of shape (p,)
        ``σ_i`` and ``θ_i²`` on the trained output rows (``‖QW⋆v_i‖²``).
    noise, beta, student_beta, alpha
        ``ν``, ``β_T``, ``β_S`` and the hard-label weight (broadcast).
    outputs, rank : int
        ``k`` and ``r`` (default ``k``).
    signal_outside : array_like of shape (p,), optional
        ``‖(I − Q)W⋆v_i‖²`` (rank below ``k``).
    complement : array_like, optional
        The normalised complement variance ``τ̄² = nτ²`` (default the prior ``1/(β_S λ̄₁)``).

    Returns
    -------
    dict
        ``total, bias, variance, rank_bottleneck, bottleneck_mean, bottleneck_covariance``
        per unit of ``k·d``, arrays of the broadcast shape.

    Examples
    --------
    >>> out = divergence_equivalent(0.5, 0.3, 0.3, eigenvalues=[1.0], signal=[1.0],
    ...                             noise=0.5, beta=2.0, student_beta=2.0, alpha=1.0)
    >>> float(abs(out["total"])) < 1e-15          # the student is the teacher
    True
    """
    sigma, theta2 = check_spectrum(eigenvalues, signal)
    k = check_int(outputs, "outputs", low=1)
    r = k if rank is None else check_int(rank, "rank", low=1, high=k, high_rule="outputs")
    outside = np.zeros_like(theta2) if signal_outside is None else \
        check_spectrum(sigma, signal_outside)[1]
    if r == k and np.any(outside > 0):
        raise LingaussError(f"signal_outside has a non-zero entry with rank == outputs == {k}, "
                            f"must be all 0 (a full-rank projector leaves no rows outside).")
    nu = check_real(noise, "noise", low=0, low_inclusive=True)
    lam1 = positive_grid(student_ridge, "student_ridge")
    tau = (1.0 / (np.asarray(student_beta) * lam1) if complement is None
           else positive_grid(complement, "complement"))
    grid = {"gamma": positive_grid(gamma, "gamma"), "lam0": positive_grid(ridge, "ridge"),
            "lam1": lam1, "bT": positive_grid(beta, "beta"),
            "bS": positive_grid(student_beta, "student_beta"),
            "alpha": as_real_array(alpha, "alpha"), "tau": tau}

    mode_weights = np.stack([theta2, np.full(sigma.size, 1.0 / sigma.size)], axis=1)  # (p, 2)

    def block(gamma, lam0, lam1, bT, bS, alpha, tau):
        inner = variable(lam1, lam1, level=1)                       # μ over (λ̄₁, λ̄₁)
        x = Divided(lam0, inner, 1.0, level=2)                      # nodes (λ̄₀, μ)
        kx = _kappa_at(gamma, x, sigma, method)
        k0, k1, k01 = kx.a, kx.b.a, kx.d.a                          # κ₀, κ₁, κ[λ̄₀, λ̄₁]
        delta, eps = lam0 - lam1, lam1 - alpha * lam0
        # L(λ̄₀) − L(λ̄₁), every piece O(Δ) to relative precision (κ₀ − κ₁ = Δ κ[λ̄₀, λ̄₁])
        dk = delta * k01
        pieces = (np.mean(np.log1p(dk / (sigma + k1)), axis=-1, keepdims=True),
                  (1 - gamma) / gamma * np.log1p(dk / k1),
                  -(1 - gamma) / gamma * np.log1p(delta / lam1),
                  delta * (k1 - lam1 * k01) / (gamma * k0 * k1))
        dlog = sum(pieces)
        T1 = k1 / lam1 * np.mean(1.0 / (sigma + k1), axis=-1, keepdims=True)
        rho = bT / bS
        vrho = vfun(rho)                                            # ρ − 1 − log ρ
        variance = rho * delta * T1 - dlog + vrho
        # a KL, >= 0, of size O(Δ²) from O(Δ/γ) pieces: where it rounds below 0 within the
        # pieces' rounding (small γ and Δ), it is 0 to the precision it is known
        scale = np.abs(rho * delta * T1) + sum(np.abs(x) for x in pieces) + vrho + \
            np.abs(delta / lam1) / gamma
        variance = r / (2 * k) * np.where((variance < 0) & (-variance <= 64 * EPS * scale),
                                          0.0, variance)
        # Σθ²/(σ+κ) and mean 1/(σ+κ), divided: one reciprocal, then each of its (G, p)
        # arrays times the (p, 2) mode weights (sums commute with divided differences)
        sums = weighted((sigma + kx).reciprocal(), mode_weights)
        q = (x * kx * sums.map(lambda c: c[:, :1])).d.d            # (λ̄κΣθ²/(σ+κ))[λ̄₀,λ̄₁,λ̄₁]
        P = -(kx * sums.map(lambda c: c[:, 1:])).d.d               # (1/d)tr(Σ̂R₀R₁²)
        bias = bT * eps ** 2 / 2 * (q / (k * gamma) + nu ** 2 * r / k * P)
        m1 = np.mean(sigma / (sigma + k0), axis=-1, keepdims=True)
        mean_part = bT / 2 * (np.sum(outside * sigma * (sigma + k0 - lam0) / (sigma + k0),
                                     axis=-1, keepdims=True) / (k * gamma)
                              + nu ** 2 * (k - r) / k * m1)
        L_pieces = (np.mean(np.log(sigma + k0), axis=-1, keepdims=True),
                    (1 - gamma) / gamma * np.log(k0 / lam0), (lam0 / k0 - 1) / gamma)
        # x − 1 − log(βτ²) − L₀ = v(x) + J, x = βτ²(mean σ + λ̄₀), with the Jensen gap
        # J = log(mean σ + λ̄₀) − L₀ >= 0 (log of the mean eigenvalue of Σ̂ + λ̄₀ against the
        # mean of their logs). L₀'s 1/γ pieces carry κ₀/λ̄₀ rounded to ε: an absolute error
        # ~ε/γ. J rounding below 0 within that is 0
        top = np.log(np.mean(sigma) + lam0)
        gap = top - sum(L_pieces)
        gap = np.where((gap < 0) & (-gap <= 64 * EPS * (np.abs(top) + sum(
            np.abs(x) for x in L_pieces) + 1 / gamma)), 0.0, gap)
        cov_part = (k - r) / (2 * k) * (vfun(bT * tau * (np.mean(sigma) + lam0)) + gap)
        return {"bias": bias, "variance": variance, "bottleneck_mean": mean_part,
                "bottleneck_covariance": cov_part,
                "rank_bottleneck": mean_part + cov_part,
                "total": bias + variance + mean_part + cov_part}

    return _blocks(block, grid, sigma.size)
