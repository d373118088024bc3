"""The deterministic equivalents of :mod:`lingauss.random_design` for a design and models:
which students have one, the signal split by an output projector, the normalised ridges, and
the risk's and the divergence's terms as arrays over ``γ`` (derivations/random_design.md)."""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError, check_finite
from lingauss.averages.equivalents import (divergence_equivalent, kappa, positive_grid,
                                           risk_equivalent)
from lingauss.engine.eigen import complete
from lingauss.model.options import Estimator, RankRule, complement_variance


def tractable(student, design, what: str) -> tuple[int, np.ndarray]:
    """``(r, O)``: the student's rank and output basis ``[Q, Q⊥]`` (k, k), where ``what`` has
    an equivalent here: full width, mean soft labels, a projector fixed before the labels."""
    m, r = student.resolve(design.d, design.k)
    why = None
    if m < design.d:
        why = (f"width == {m} < d == {design.d}: a narrower student keeps the top sample "
               f"eigenvectors, whose equivalent needs the limiting spectral density and the "
               f"eigenvector overlaps (not derived, derivations/random_design.md §6)")
    elif student.soft_labels.sampled:
        why = f"soft_labels == {student.soft_labels!r}: only 'mean' soft labels are derived"
    elif r < design.k and student.rank_rule is RankRule.OPTIMAL:
        why = "rank_rule == 'optimal' below full rank depends on the labels"
    if why:
        raise LingaussError.named(
            "monte_carlo", "{what} has no deterministic equivalent here: {why}; use Monte Carlo "
            "over the inputs ({parameter:set}) instead.", what=what, why=why)
    if r == design.k:
        return r, np.eye(design.k)
    if isinstance(student.rank_rule, np.ndarray):
        return r, complete(student.rank_rule)
    lam, vecs = np.linalg.eigh(design.W_star @ design.W_star.T)     # oracle: top of W⋆
    return r, vecs[:, np.argsort(-lam, kind="stable")]


def split_signal(design, O: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """``(‖QW⋆v_i‖², ‖(I − Q)W⋆v_i‖²)`` on the eigenvectors ``v_i`` of ``Σ``."""
    energy = (O.T @ design.W_star @ design.eigenvectors) ** 2          # (k, d)
    inside, outside = np.sum(energy[:r], axis=0), np.sum(energy[r:], axis=0)
    check_finite({"‖W⋆v_i‖²": inside, "‖(I − Q)W⋆v_i‖²": outside}, "the signal energy",
                 {"W_star": design.W_star})
    return inside, outside


def normalised(model, n: int) -> float:
    """``λ̄ = λ/(β n)``: the ridge on ``Σ̂ = XXᵀ/n`` (derivations/random_design.md §1)."""
    return model.ridge / (model.beta * n)


def sizes(teacher, student, design, gamma=None) -> dict:
    """The numbers an overflow message names (:func:`lingauss._validation.overflow_error`)."""
    models = {"teacher": teacher} if student is None else {"teacher": teacher,
                                                            "student": student}
    return {"covariance": design.covariance, "W_star": design.W_star, "noise": design.noise,
            **({} if gamma is None else {"gamma": gamma}),
            **{f"{who}.{key}": getattr(m, key) for who, m in models.items()
               for key in ("beta", "ridge")}}


def complement(teacher, student, design) -> float:
    """``τ²``: the prior ``1/λ_S``, a number, or the forward parameter-space minimiser
    ``d/tr A_T ≍ 1/(β_T n (mean σ + λ̄_T))``."""
    return float(complement_variance(
        student.complement_variance, ridge=student.ridge,
        optimal=lambda: 1.0 / (teacher.beta * design.n * (float(np.mean(design.eigenvalues))
                                                          + normalised(teacher, design.n)))))


def gammas(design, gamma) -> np.ndarray:
    """``γ`` values (default the design's ``d/n``), each finite and ``> 0``."""
    return np.asarray(design.gamma, float) if gamma is None else positive_grid(gamma, "gamma")


def risk_arrays(teacher, student, design, gamma, estimator, method) -> dict:
    """:func:`lingauss.random_design.risk_terms` after validation (same arguments)."""
    n, k, sigma = design.n, design.k, design.eigenvalues
    gamma = gammas(design, gamma)
    lam0 = normalised(teacher, n)
    if student is None:
        r, O, lam1, alpha, beta1 = k, np.eye(k), lam0, 1.0, teacher.beta
    else:
        r, O = tractable(student, design, "the risk")
        lam1, alpha, beta1 = normalised(student, n), student.alpha, student.beta
    inside, outside = split_signal(design, O, r)
    out = risk_equivalent(gamma, lam0, eigenvalues=sigma, signal=inside,
                          noise=design.noise, outputs=r, student_ridge=lam1, alpha=alpha,
                          method=method)
    bias = out["bias"] + float(np.sum(outside * sigma))               # rows outside Q
    post = np.zeros_like(bias)
    if Estimator.parse(estimator, "estimator") is Estimator.GIBBS:
        k1 = kappa(gamma, lam1, sigma, method=method)
        # tr(A⁻¹Σ) ≍ (κ/λ̄ − 1)/β = γ (κ/λ̄) mean σ/(σ + κ) / β, per trained row
        mean = np.mean(sigma / (sigma + k1[..., None]), axis=-1)
        post = r * gamma * k1 / lam1 * mean / beta1
        if r < k:
            # nτ² is held, so τ² tr Σ scales like 1/n = γ/d
            post = post + (k - r) * design.n * complement(teacher, student, design) * \
                float(np.sum(sigma)) * gamma / design.d
    variance = out["variance"] + post
    return {"bias": bias, "variance": variance, "posterior": post, "total": bias + variance}


def divergence_arrays(teacher, student, design, gamma, method) -> dict:
    """:func:`lingauss.random_design.divergence_terms` after validation (same arguments)."""
    r, O = tractable(student, design, "the divergence")
    n, k, sigma = design.n, design.k, design.eigenvalues
    gamma = gammas(design, gamma)
    inside, outside = split_signal(design, O, r)
    lam0, lam1 = normalised(teacher, n), normalised(student, n)
    out = divergence_equivalent(
        gamma, lam0, lam1, eigenvalues=sigma, signal=inside, signal_outside=outside,
        noise=design.noise, beta=teacher.beta, student_beta=student.beta, alpha=student.alpha,
        outputs=k, rank=r, complement=n * complement(teacher, student, design),
        method=method)
    floor = np.zeros(gamma.shape)
    if r < k:
        # per unit of kd: E ≍ β_T W⋆Σ(Σ + κ₀ − λ̄₀)(Σ + κ₀)⁻¹W⋆ᵀ/γ + ν²β_T mean σ/(σ + κ₀) I
        k0 = kappa(gamma, lam0, sigma, method=method)
        Wv = design.W_star @ design.eigenvectors                          # (k, d)
        for i in np.ndindex(gamma.shape):
            g = sigma * (sigma + k0[i] - lam0) / (sigma + k0[i])
            E = teacher.beta * (Wv * g) @ Wv.T / gamma[i] + design.noise ** 2 * \
                teacher.beta * float(np.mean(sigma / (sigma + k0[i]))) * np.eye(k)
            floor[i] = 0.5 * float(np.sum(np.sort(np.linalg.eigvalsh(E))[::-1][r:])) / k
    terms = {name: np.asarray(out[name], dtype=float) for name in (
        "total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
        "bottleneck_covariance")}
    return {**terms, "rank_floor": floor}
