"""The dense reference route extended to distillation chains (docs/model.md §8).

Like ``lingauss/_dense.py`` (whose textbook helpers it uses) it builds every kernel as one
full Gaussian over ``vec W`` (``kd`` coordinates) straight from the Gibbs posteriors as dense
quadratic forms, and knows nothing of the structured engine: generation ``g`` is the Gibbs
posterior over its trained coordinates ``W = U_g Z B_gᵀ`` given the targets
``α_g Y + (1 − α_g) Ŷ_{g−1}``, with the draw of ``Ŷ_{g−1}`` (a dense ``kn``-dim Gaussian pushed
forward from generation ``g − 1``'s kernel) marginalised, plus ``τ_g²`` on the complement.
"""

from __future__ import annotations

import numpy as np

from lingauss.verify.dense import (chain_rule_split, expected_kl_forward, expected_kl_reverse,
                                   optimal_tau2, orth_complement, range_basis, resolve_basis,
                                   top_left_singular, unvec, vec)


class _Gen:
    """One generation's dense kernel."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _teacher(teacher, X, Y):
    k, d = Y.shape[0], X.shape[0]
    Xop = np.kron(X.T, np.eye(k))
    Lam = teacher.beta * Xop.T @ Xop + teacher.ridge * np.eye(k * d)
    Sig = np.linalg.inv(Lam)
    mu = np.linalg.solve(Lam, teacher.beta * Xop.T @ vec(Y))
    return _Gen(mu=mu, Sig=0.5 * (Sig + Sig.T), T=np.eye(k * d), Xop=Xop, Cov_mu=None,
                Sig_cond=None, P_C=np.zeros((k * d, k * d)), pred_T=None)


def _student(prev, student, X, Y, W_star):
    k, d, n = Y.shape[0], X.shape[0], X.shape[1]
    Xop = prev.Xop
    alpha, bS, lS = student.alpha, student.beta, student.ridge
    yhat_mean = Xop @ prev.mu
    if student.soft_labels == "mean":
        Sig_yhat = np.zeros((k * n, k * n))
    else:
        Sig_yhat = Xop @ prev.Sig @ Xop.T
        if student.soft_labels == "sampled+noise":
            Sig_yhat = Sig_yhat + student.soft_label_noise ** 2 * np.eye(k * n)
    Ytil = alpha * vec(Y) + (1 - alpha) * yhat_mean
    B = resolve_basis(student.basis, student.width, X)
    m = B.shape[1]
    r = student.rank if student.rank is not None else min(k, m)
    Pi = B @ B.T
    A_S = bS * Pi @ X @ X.T @ Pi + lS * np.eye(d)
    if isinstance(student.rank_rule, np.ndarray):
        U = student.rank_rule
    elif student.rank_rule == "oracle":
        U = top_left_singular(W_star, r)
    else:
        Mhat = bS * unvec(Ytil, k, n) @ X.T @ Pi @ np.linalg.inv(A_S)
        w, V = np.linalg.eigh(A_S)
        U = top_left_singular(Mhat @ ((V * np.sqrt(w)) @ V.T), r)
    T = np.kron(B, U)
    Zop = Xop @ T
    Lam_Z = bS * Zop.T @ Zop + lS * np.eye(r * m)
    Sig_Z = np.linalg.inv(Lam_Z)
    K_Z = np.linalg.solve(Lam_Z, bS * Zop.T)
    mu = T @ (K_Z @ Ytil)
    J = (1 - alpha) * T @ K_Z
    Cov_mu = J @ Sig_yhat @ J.T
    C = orth_complement(T, k * d)
    P_C = C @ C.T
    base = T @ (0.5 * (Sig_Z + Sig_Z.T)) @ T.T
    pred_T = np.kron(range_basis(X.T @ B), U)
    return _Gen(mu=mu, base=base, Cov_mu=0.5 * (Cov_mu + Cov_mu.T), T=T, P_C=P_C, Xop=Xop,
                dimC=C.shape[1], pred_T=pred_T, student=student)


def _with_tau2(g, tau2):
    g.tau2 = tau2
    g.Sig_cond = g.base + tau2 * g.P_C
    g.Sig = g.Sig_cond + g.Cov_mu
    return g


def _optimal_tau2(g, prev, space, noise, direction):
    """The root of d/dτ² KL(P_g(τ²) ‖ P_prev) (textbook matrix calculus), or the limit 0."""
    return optimal_tau2(g.P_C, g.Xop, g.base + g.Cov_mu, g.mu, prev.mu, prev.Sig, space,
                        noise, direction)


def chain_kernels(teacher, students, sample, *, space="parameter", direction="forward"):
    """Every generation's dense kernel (a list; index 0 the teacher)."""
    X, Y = np.asarray(sample.X, float), np.asarray(sample.Y, float)
    gens = [_teacher(teacher, X, Y)]
    for student in students:
        g = _student(gens[-1], student, X, Y, sample.W_star)
        cv = student.complement_variance
        if g.dimC == 0 or (isinstance(cv, str) and cv == "prior"):
            tau2 = 1.0 / student.ridge
        elif isinstance(cv, str):
            tau2 = _optimal_tau2(_with_tau2(g, 0.0), gens[-1], space, sample.noise, direction)
            tau2 = 1.0 / student.ridge if tau2 is None else tau2
        else:
            tau2 = float(cv)
        gens.append(_with_tau2(g, tau2))
    return gens


def chain_reference(teacher, students, sample, *, first, second, space="parameter",
                    direction="forward") -> dict:
    """``KL(P_first ‖ P_second)`` split over the later generation's trained coordinates."""
    gens = chain_kernels(teacher, students, sample, space=space, direction=direction)
    P, Q = gens[first], gens[second]
    later = P if first >= second else Q
    if space == "parameter":
        L, E, T = np.eye(P.mu.shape[0]), 0.0, later.T
    else:
        L, E, T = P.Xop, sample.noise ** 2 * np.eye(P.Xop.shape[0]), later.pred_T
    mP, SP = L @ P.mu, L @ P.Sig @ L.T + E
    mQ, SQ = L @ Q.mu, L @ Q.Sig @ L.T + E
    fwd = chain_rule_split(mP, SP, mQ, SQ, T)
    rev = chain_rule_split(mQ, SQ, mP, SP, T)
    out = {"forward": fwd, "reverse": rev,
           "symmetric": {t: fwd[t] + rev[t] for t in fwd}}[direction]
    out = dict(out)
    if later.Cov_mu is not None and later.student.soft_labels != "mean":
        other = Q if later is P else P
        mL, cL = L @ later.mu, L @ later.Sig_cond @ L.T + E
        cov_mu = L @ later.Cov_mu @ L.T
        mO, SO = L @ other.mu, L @ other.Sig @ L.T + E
        # E_Ŷ KL(P_later(·|Ŷ) ‖ other) in the orientation of the pair
        as_first = expected_kl_forward(mL, cL, cov_mu, mO, SO)
        as_second = expected_kl_reverse(mO, SO, mL, cL, cov_mu)
        first_is_later = later is P
        fwd_b = as_first if first_is_later else as_second
        rev_b = as_second if first_is_later else as_first
        bound = {"forward": fwd_b, "reverse": rev_b, "symmetric": fwd_b + rev_b}[direction]
        out["convexity_bound"] = bound
        out["convexity_slack"] = bound - out["total"]
    return out
