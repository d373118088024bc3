"""Why a design costs what it costs: the dominant term of the divergence and what drives it
(:func:`explain`), used by :func:`lingauss.design.recommend` to keep its advice honest."""

from __future__ import annotations

import numpy as np

from lingauss.averages.labels import expected_tau2
from lingauss.engine.divergence import kernel_set_up
from lingauss.engine.setup import is_pca
from lingauss.engine.spectral import mode_terms, spectral
from lingauss.explore.problem import as_problem, evaluate
from lingauss.model.data import SpectralDesign


def explain(spec, student=None) -> list:
    """Which term dominates the divergence of one design, and why (sentences).

    For the ``pca`` basis with dropped modes (width ``m < d``) and a known truth and noise,
    the cost of the dropped modes is split into the signal the student cannot carry and the
    label noise the teacher fitted there (the expected per-mode mean cost with and without
    the signal).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> spec = default_spec()
    >>> print(explain(spec, spec.student.replace(rank=2))[0])      # doctest: +ELLIPSIS
    rank_bottleneck dominates: ... of K = ... nats...
    >>> print(explain(spec)[0])                   # full rank: the ridge mismatch
    bias dominates: 38.5489 of K = 94.3684 nats (41%).
    """
    problem = as_problem(spec)
    student = problem.student if student is None else student
    dec = evaluate(problem, student)
    parts = {"bias": dec.bias, "variance": dec.variance, "rank_bottleneck": dec.rank_bottleneck}
    top = max(parts, key=parts.get)
    share = parts[top] / dec.total if dec.total > 0 else 0.0
    out = [f"{top} dominates: {parts[top]:.6g} of K = {dec.total:.6g} nats ({share:.0%})."]
    if top == "rank_bottleneck" and dec.bottleneck_covariance > dec.bottleneck_mean:
        out.append(f"most of the rank bottleneck is its covariance part "
                   f"({dec.bottleneck_covariance:.6g} nats): the complement variance τ² does "
                   f"not match the teacher on the untrained coordinates; "
                   f"complement_variance='optimal' minimises it.")
    if top == "rank_bottleneck":
        out += dropped_modes(problem, student)
    return out


def dropped_modes(problem, student) -> list:
    """The expected mean cost of the dropped modes, signal against fitted label noise."""
    design = problem.sample
    if not is_pca(student) or getattr(design, "W_star", True) is None or design.noise is None:
        return []
    d, k = design.d, design.k
    m, r = student.resolve(d, k)
    if m >= d:
        return []
    spec = spectral(design)
    s = spec.s[m:]
    keep = s > 0
    if not keep.any():
        return []
    t = problem.teacher
    if isinstance(design, SpectralDesign):
        tau2 = float(np.squeeze(expected_tau2(
            student.complement_variance, ridge=student.ridge, beta_T=t.beta, lambda_T=t.ridge,
            s=spec.s, k=k, m=m, r=r, space=problem.space, nu=spec.noise)))
    else:
        tau2 = kernel_set_up(t, student, design, space=problem.space,
                             direction=problem.direction)[1]
    args = dict(s=s, beta_T=t.beta, lambda_T=t.ridge, beta_S=student.beta,
                lambda_S=student.ridge, alpha=student.alpha, nu=spec.noise,
                nu_T=student.soft_label_noise, tau2=tau2, k=k, r=r, thetaP2=0.0)
    direction = problem.direction

    def mean_cost(energy):
        terms = mode_terms(problem.space, student.soft_labels, direction, "expected", "dropped",
                           thetaQ2=energy, **args)
        return np.asarray(terms["bottleneck_mean"], dtype=float)

    total = mean_cost(spec.energy[m:])
    noise = mean_cost(np.zeros_like(s))
    dropped = int(np.sum(keep))
    return [f"the {dropped} dropped modes (width {m} of {d}) cost {total.sum():.6g} nats of "
            f"the teacher's mean in expectation, {noise.sum():.6g} of them fitted label noise "
            f"(about {noise[keep].mean():.3g} nats per dropped mode) and "
            f"{total.sum() - noise.sum():.6g} signal the student cannot carry."]
