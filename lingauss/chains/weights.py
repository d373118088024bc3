"""Optimal mixing weights of a distillation chain (docs/model.md §8).

Generation ``g`` trains on ``α_g Y + (1 − α_g) Ŷ_{g−1}``; unrolled, the last generation's mean
is ``Σ_j ω_j T_j(Y)`` with ``T_j`` the (linear) map by which generation ``j``'s fresh labels
reach it (``j = 0``: the teacher's) and

    ω_j = α_j ∏_{l>j} (1 − α_l),    α_0 = 1,    Σ_j ω_j = 1.

The risk is therefore a quadratic in the reparametrised weights ``ω`` (Pareek, Du & Oh,
arXiv:2407.04600, with any ridge, β, width and fixed rank per generation here): written as
``‖F ω − t‖²`` — ``F`` stacks the bias and the noise "features" of each source — its minimum
under ``Σ ω = 1`` is one least-squares solve in the null space of the constraint (an SVD
solve, not the normal equations, whose conditioning is squared). The weights are read back
as ``α_j = ω_j / Σ_{l≤j} ω_l``. Two methods:

* ``"joint"`` — every generation's ``α`` at once (the minimum of the last generation's risk);
* ``"greedy"`` — generation by generation, each ``α_g`` minimising generation ``g``'s risk
  given the earlier ones (the per-step optimum of Borup & Andersen, arXiv:2102.13088).

:func:`one_step_xi` gives the closed form ``ξ* = −ΣB/(2ΣA)`` of arXiv:2602.17565 from the
per-mode coefficients derived by ``lingauss.symbolic.chains`` (a student sharing the
teacher's β and ridge, ``pca`` basis, full width and rank).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import mpmath
import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.resources import check_memory
from lingauss._core.validation import LingaussError, check_int, check_option, numerics
from lingauss.chains.risk import (design_weights, label_dependent, label_design, mixing, sources,
                                  spectral_eligible)
from lingauss.engine import generated_chains as gen
from lingauss.engine.generations import Lineage
from lingauss.engine.kernels import classes_of
from lingauss.engine.lstsq import constrained_lstsq, mp_constrained_lstsq
from lingauss.model.checks import check_design, check_instance, problem_sizes
from lingauss.model.data import SpectralDesign
from lingauss.model.options import RiskKind
from lingauss.model.results import Risk
from lingauss.model.teacher import Teacher

METHODS = ("joint", "greedy")
#: Condition number of the (column-scaled) solve above which a note suggests ``digits``.
ILL_CONDITIONED = 1e10


@dataclass(frozen=True)
class Weights(TableDisplay):
    """Optimal mixing weights of a chain and the risk they reach.

    Attributes
    ----------
    alpha : tuple of float
        ``α_g`` of generations ``1..G`` (the literature's imitation weight is ``ξ = 1 − α``).
    omega : tuple of float
        ``ω_j``, ``j = 0..G``: the weight of generation ``j``'s labels in the last mean.
    risk : Risk
        The last generation's risk at these weights (``method="greedy"``: each generation's
        own optimum, so the last generation's risk may exceed the joint optimum).
    teacher_risk : Risk
        The teacher's risk, for comparison.
    students : tuple of Student
        The students with these weights (``Chain(teacher, students)`` reproduces the risk).
    method : str
    singular : bool
        The minimiser is not unique (the features are linearly dependent): the one nearest to
        the students' own weights (in ``ω``) is returned; the risk is still the minimum.
    notes : tuple of str
    """

    alpha: tuple
    omega: tuple
    risk: Risk
    teacher_risk: Risk
    students: tuple
    method: str
    singular: bool = False
    notes: tuple = ()

    @property
    def xi(self) -> tuple:
        """``ξ_g = 1 − α_g``, the imitation weights."""
        return tuple(1.0 - a for a in self.alpha)

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (one row per generation)."""
        caption = (f"optimal weights ({self.method}): risk {self.risk.total:.6g} "
                   f"(teacher {self.teacher_risk.total:.6g})")
        rows = [(0, None, None, self.omega[0])] + [
            (g, a, 1 - a, w) for g, (a, w) in enumerate(zip(self.alpha, self.omega[1:]), 1)]
        return caption, ("generation", "alpha", "xi", "omega"), rows

    def __repr__(self) -> str:
        alphas = ", ".join(f"{a:.6g}" for a in self.alpha)
        return (f"Weights(alpha=({alphas}), risk={self.risk.total:.6g}, "
                f"teacher_risk={self.teacher_risk.total:.6g}, method={self.method!r}"
                + (", singular=True" if self.singular else "") + ")")


def optimal_weights(teacher: Teacher, students, design, *, kind: str = "fixed",
                    covariance=None, method: str = "joint", digits: int | None = None) -> Weights:
    """The mixing weights ``α_1..α_G`` that minimise the risk of a chain's last generation.

    Parameters
    ----------
    teacher : Teacher
    students : Student or sequence of Student
        Generations ``1..G``; their ``alpha`` is replaced (every other option is kept).
    design : Sample or SpectralDesign
        With the truth and the noise, as for :func:`lingauss.risk`.
    kind : {"fixed", "population"}
    covariance : array of shape (d, d), optional
        ``Σ`` of the population risk of a sample.
    method : {"joint", "greedy"}
        All weights at once, or each generation's weight given the earlier ones.
    digits : int, optional
        Solve in ``digits`` decimal digits (mpmath) instead of double precision: for long
        chains whose optimal weights are huge and cancel (Pareek et al.'s ``G = d`` chains;
        a note says when double precision is not enough). Needs every mode to separate
        (``pca`` bases, fixed projectors, ``Σ`` diagonal in the sample's eigenbasis).

    Returns
    -------
    Weights

    Notes
    -----
    The risk is that of the generations' means (estimator ``"mean"``). Rank rules must not
    depend on the labels (``"oracle"``, a matrix, or full rank). Weights the solve cannot
    represent with a finite ``α`` (``Σ_{l≤j} ω_l = 0`` with some ``ω_l ≠ 0``, the limit
    ``|α| → ∞``) raise an error that says so.

    Examples
    --------
    >>> from lingauss import SpectralDesign, Student, Teacher
    >>> from lingauss.weights import optimal_weights
    >>> design = SpectralDesign.power_law(d=8, k=1, n=16, noise=0.5)
    >>> w = optimal_weights(Teacher(1.0, 1.0), [Student(1.0, 1.0)] * 2, design)
    >>> len(w.alpha), bool(w.risk.total < w.teacher_risk.total)
    (2, True)
    """
    check_instance(teacher, "teacher", Teacher)
    chain = Lineage(teacher, students)
    kind = RiskKind.parse(kind, "kind")
    check_option(method, "method", METHODS)
    check_design(design, truth=True, noise=True, what="the optimal weights")
    if label_dependent(chain.students, design.d, design.k):
        raise LingaussError("rank_rule == 'optimal' below full rank depends on the labels, so "
                            "the risk is not a quadratic in the weights: use rank_rule="
                            "'oracle' or a fixed (k, r) matrix.")
    if covariance is not None and kind is RiskKind.FIXED:
        raise LingaussError("covariance is set but kind == 'fixed': fixed-design risk uses "
                            "the sample's inputs; pass kind='population'.")
    sizes = problem_sizes(teacher, chain.students[-1], design)
    with numerics("the optimal weights", sizes):
        spec, cov = design_weights(design, kind, covariance)
        sample = label_design(design)
        spectral = spectral_eligible(chain, chain.generations, design, kind, covariance)
        features = _spectral_features if spectral else _structured_features
        G = chain.generations
        notes, singular = [], False
        if digits is not None:
            digits = check_int(digits, "digits", low=16, high=10_000)
            if not spectral:
                raise LingaussError(f"digits == {digits} needs every mode to separate (pca "
                                    f"bases, fixed rank rules, Σ diagonal in the sample's "
                                    f"eigenbasis); this chain or design does not.")
        if method == "joint":
            omega, singular, features, rel = _joint(chain, sample, spec, cov, spectral, digits,
                                                    notes)
            alpha = _alphas(omega, chain, notes, rel)
            if singular:
                notes.append("the risk's features are linearly dependent: the minimiser is "
                             "not unique (the one nearest to the students' own weights, in "
                             "the reparametrised weights ω, is returned).")
        else:
            features = _spectral_features if spectral else _structured_features
            if digits is not None:
                features = functools.partial(_spectral_features, mp=_context(digits))
            alpha = []
            for g in range(1, G + 1):
                Fb, tb, Fv = features(chain, g, sample, spec, cov)
                a, flat = _greedy_step(Fb, tb, Fv, alpha, chain.students[g - 1].alpha)
                if flat:
                    singular = True
                    notes.append(f"generation {g}: its risk does not depend on α_{g} (kept "
                                 f"at {a:g}).")
                alpha.append(a)
            omega = mixing(alpha)
        Fb, tb, Fv = features(chain, G, sample, spec, cov)
        bias = float(np.sum((Fb @ omega - tb) ** 2))
        variance = float(np.sum((Fv @ omega) ** 2))
        best = Risk.from_terms(bias=bias, variance=variance, kind=kind)
        Fb0, tb0, Fv0 = features(chain, 0, sample, spec, cov)
        base = Risk.from_terms(bias=float(np.sum((Fb0[:, 0] - tb0) ** 2)),
                               variance=float(np.sum(Fv0[:, 0] ** 2)), kind=kind)
    new = tuple(dataclasses.replace(st, alpha=float(a)) for st, a in zip(chain.students, alpha))
    return Weights(alpha=tuple(float(a) for a in alpha), omega=tuple(float(w) for w in omega),
                   risk=best, teacher_risk=base, students=new, method=method,
                   singular=singular, notes=tuple(notes))


def _context(digits: int):
    mp = mpmath.mp.clone()
    mp.dps = digits
    return mp


def _stack(Fb, tb, Fv):
    return np.vstack([Fb, Fv]), np.concatenate([tb, np.zeros(Fv.shape[0], dtype=tb.dtype)])


def _joint(chain, sample, spec, cov, spectral, digits, notes):
    """``(ω, singular, features, rel)``: the joint optimum. In double precision first; where
    that is ill-conditioned and every mode separates, again in mpmath at 50, 100, ...
    digits until the condition number is well inside the precision (``digits`` forces a
    precision). ``rel`` is the rounding level of ``ω``."""
    G = chain.generations
    auto = digits is None
    eps = 64 * np.finfo(float).eps
    if auto:
        features = _spectral_features if spectral else _structured_features
        F, t = _stack(*features(chain, G, sample, spec, cov))
        prefer = mixing([st.alpha for st in chain.students])
        omega, rank, cond = constrained_lstsq(F, t, prefer)
        fine = cond <= ILL_CONDITIONED and rank == G
        if fine or not spectral:
            if not fine and rank == G:
                notes.append(f"the solve is ill-conditioned (condition number {cond:.1e}): "
                             f"double precision loses about {np.log10(cond):.0f} of its 16 "
                             f"digits (a pca chain, whose modes separate, is solved in high "
                             f"precision).")
            return omega, rank < G, features, eps
        fallback = omega
        digits = 50
    while True:
        mp = _context(digits)
        high = functools.partial(_spectral_features, mp=mp)
        F, t = _stack(*high(chain, G, sample, spec, cov))
        try:
            omega, cond = mp_constrained_lstsq(F, t, mp)
        except LingaussError:
            if not auto:
                raise
            return fallback, True, _spectral_features, eps
        if auto and mp.log10(cond) > digits - 20 and digits < 1600:
            digits *= 2
            continue
        break
    if auto:
        notes.append(f"double precision was not enough (condition number above "
                     f"{ILL_CONDITIONED:.0e}): solved in {digits} digits.")
    return omega, False, high, 10.0 ** (4 - digits)


def _alphas(omega, chain, notes, rel: float) -> list:
    """``α_j = ω_j / Σ_{l≤j} ω_l`` (``j ≥ 1``); an undetermined weight (a later generation
    ignores everything before it) keeps the student's value. ``rel``: the relative rounding
    level of ``ω`` (a partial sum within it of ``Σ|ω|`` is zero)."""
    cumulative = np.cumsum(omega)
    scale = np.sum(np.abs(omega))
    alpha = []
    for j in range(1, omega.size):
        head = cumulative[j]
        if abs(head) > rel * scale:
            alpha.append(omega[j] / head)
        elif np.max(np.abs(omega[:j + 1])) <= rel * scale:
            keep = chain.students[j - 1].alpha
            notes.append(f"generation {j}: a later generation has α = 1, so α_{j} does not "
                         f"matter (kept at {keep:g}).")
            alpha.append(keep)
        else:
            raise LingaussError(
                f"the optimal weights are not reached by finite α: the labels of generations "
                f"0..{j} enter with total weight Σ ω = {float(head):.3g} but not each with weight "
                f"0 (the optimum is the limit |α_{j}| → ∞); give the generations different "
                f"ridges or fewer generations.")
    return alpha


def _greedy_step(Fb, tb, Fv, earlier, keep):
    """``α_g`` minimising ``‖F(v + α δ) − t‖²``: ``v`` the earlier weights with the new
    generation's labels at 0, ``δ = e_g − v``."""
    v = np.append(mixing(earlier), 0.0)
    delta = -v
    delta[-1] += 1.0
    F = np.vstack([Fb, Fv])
    t = np.concatenate([tb, np.zeros(Fv.shape[0])])
    Fd = F @ delta
    den = float(Fd @ Fd)
    if den <= 1e-30 * max(float(np.sum(F * F)), 1e-300):
        return keep, True
    return float(Fd @ (t - F @ v)) / den, False


def _spectral_features(chain, g, sample, spec, cov, mp=None):
    """Features when every mode separates: per row class and mode, the filters of the
    sources (``generation_step`` with ``α = 1`` for the source, ``α = 0`` after it); with
    ``mp`` (an mpmath context), arrays of its numbers."""
    kernels, O, patterns, index, _ = chain.kernels(sample)
    s, theta, nu = spec.s, spec.theta, spec.noise
    w = np.diag(cov)
    pos = s > 0
    sqrt = np.sqrt
    if mp is not None:
        big = np.frompyfunc(mp.mpf, 1, 1)
        s, theta, w, nu = big(s), big(theta), big(w), mp.mpf(nu)
        sqrt = np.frompyfunc(mp.sqrt, 1, 1)
    t = chain.teacher
    Fb, tb, Fv = [], [], []
    for pattern, rows in classes_of(patterns).items():
        energy = np.sum((O[:, rows].T @ theta) ** 2, axis=0)
        filters = [gen.teacher_filter(s, t.beta, t.ridge)]
        for h, student in enumerate(chain.students[:g], start=1):
            keep = (np.arange(s.size) < kernels[h].m) & pattern[index[id(kernels[h])]]
            filters = [np.where(keep, gen.generation_step(s, student.beta, student.ridge,
                                                          0.0, f), 0.0) for f in filters]
            filters.append(np.where(keep, gen.generation_step(s, student.beta, student.ridge,
                                                              1.0, 0.0), 0.0))
        F = np.array(filters).T                                          # (d, g + 1)
        root = sqrt(w * energy)
        Fb.append(root[:, None] * F)
        tb.append(root)
        noise = np.where(pos, sqrt(w * len(rows) / np.where(pos, s, 1)) * nu, 0)
        Fv.append(noise[:, None] * F)
    return np.vstack(Fb), np.concatenate(tb), np.vstack(Fv)


def _structured_features(chain, g, sample, spec, cov):
    """Features in general: with ``Σ_e = L Lᵀ``, the bias of source ``j`` is
    ``vec(P_j Θ S N_j L)``; the noise Gram ``tr(P_jᵀP_j') tr(N_jᵀ S N_j' Σ_e)`` is the Gram of
    ``a_j ⊗ vec(S^{1/2} N_j L)`` with ``A Aᵀ = [tr(P_jᵀP_j')]``."""
    kernels = chain.kernels(sample)[0]
    s, theta, nu = spec.s, spec.theta, spec.noise
    pairs = sources(chain, g, kernels, s)
    vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
    L = vecs * np.sqrt(np.clip(vals, 0.0, None))
    PP = np.array([[np.sum(P * P2) for P2, _ in pairs] for P, _ in pairs])
    pv, pu = np.linalg.eigh(PP)
    keep = pv > 1e-12 * max(pv.max(), 1.0)
    A = pu[:, keep] * np.sqrt(pv[keep])                                # (g + 1, rank)
    d = s.size
    check_memory(8.0 * len(pairs) * A.shape[1] * d * d, "the optimal weights' features",
                 {"d": d, "generations": g})
    Fb = np.array([(P @ (theta * s) @ N @ L).ravel() for P, N in pairs]).T
    roots = [(np.sqrt(np.clip(s, 0.0, None))[:, None] * N @ L).ravel() for _, N in pairs]
    Fv = nu * np.array([np.kron(A[j], roots[j]) for j in range(len(pairs))]).T
    return Fb, (theta @ L).ravel(), Fv


def one_step_xi(teacher: Teacher, design, *, kind: str = "fixed") -> float:
    """``ξ* = −ΣB/(2ΣA)``: the optimal imitation weight of one student that shares the
    teacher's β and ridge (``pca``, full width and rank), from the per-mode coefficients
    derived by ``lingauss.symbolic.chains.one_step_weight`` (arXiv:2602.17565, Thm 2.2).

    >>> from lingauss import SpectralDesign, Student, Teacher
    >>> design = SpectralDesign.power_law(d=8, k=1, n=16, noise=0.5)
    >>> round(one_step_xi(Teacher(1.0, 1.0), design), 6) == round(
    ...     1 - optimal_weights(Teacher(1.0, 1.0), Student(1.0, 1.0), design).alpha[0], 6)
    True
    """
    check_instance(teacher, "teacher", Teacher)
    kind = RiskKind.parse(kind, "kind")
    check_design(design, truth=True, noise=True, what="the one-step weight")
    if kind is RiskKind.POPULATION and not isinstance(design, SpectralDesign):
        raise LingaussError("kind == 'population' needs a SpectralDesign here (σ_i = s_i / n): "
                            "the per-mode closed form takes no covariance Σ; use "
                            "kind='fixed' for a Sample, or optimal_weights(..., covariance=Σ).")
    spec, cov = design_weights(design, kind, None)
    # the coefficients are per output row and linear in (θ², ν²): k rows of mean energy
    k = design.k
    energy = spec.energy / k
    w = np.diag(cov)
    pos = spec.s > 0
    s = np.where(pos, spec.s, 1.0)
    args = (s, teacher.beta, teacher.ridge, w, energy, spec.noise)
    A = k * np.where(pos, gen.one_step_A(*args), 0.0)
    B = k * np.where(pos, gen.one_step_B(*args), 0.0)
    D = float(np.sum(A))
    if D <= 0:
        raise LingaussError("the one-step weight is undetermined: the student equals the "
                            "teacher on every mode (ΣA = 0).")
    return -float(np.sum(B)) / (2 * D)
