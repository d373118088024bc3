"""The routes of ``expected_divergence``, ``risk`` and ``Chain.risk`` for a
:class:`lingauss.RandomDesign`: Monte Carlo over input draws
(:func:`lingauss.random_design.expected_over_inputs`), each draw through the fixed-design
routes — the closed form over the labels where it exists, else label draws.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_draws
from ._validation import LingaussError, check_option
from .data import Sample
from .random_design import expected_over_inputs


def _needs_draws(monte_carlo, seed, what: str, equivalent: str):
    return check_draws(monte_carlo, seed, required=True, why=(
        f"a RandomDesign averages {what} over random inputs X ~ N(0, Σ) by Monte Carlo: pass "
        f"monte_carlo=N (input draws), or use lingauss.random_design.{equivalent} for the "
        f"proportional-regime deterministic equivalent."))


def divergence_over_inputs(teacher, student, design, *, space, direction, monte_carlo,
                           seed):
    """``E_{X,Y} K_n`` by Monte Carlo over input draws: per draw the closed form over the labels
    (``expected_divergence`` of the sample) when it exists, else the exact divergence of one
    label draw. Returns a :class:`lingauss.Decomposition` with ``stderr``."""
    from .divergence import TERMS, Decomposition, divergence
    from .expectation import closed_form_obstacle, expected_divergence

    monte_carlo, seed = _needs_draws(monte_carlo, seed, "the divergence",
                                     "deterministic_divergence")
    if space == "prediction" and design.noise == 0:
        raise LingaussError("design.noise == 0, must be > 0 when space == 'prediction' (the "
                            "label channel WX + νE needs noise).")
    student.resolve(design.d, design.k)
    closed = closed_form_obstacle(student, direction) is None
    route = expected_divergence if closed else divergence

    def one(sample, rng):
        return route(teacher, student, sample, space=space, direction=direction).as_dict()

    mean, se = expected_over_inputs(one, design, monte_carlo, seed,
                                    desc="divergence: input draws")
    names = [name for name in TERMS if name in mean]
    return Decomposition(**{n: mean[n] for n in names}, stderr={n: se[n] for n in names})


def risk_over_inputs(chain, g: int, design, *, kind: str, estimator: str, covariance,
                     monte_carlo, seed):
    """``E_{X,Y}`` of generation ``g``'s risk by Monte Carlo over input draws: per draw the
    closed form over the labels (``kind="population"`` with the design's ``Σ``); a projector
    that depends on the labels takes two label draws per input draw, with the unbiased split
    ``variance = ½‖M₁ − M₂‖²``, ``bias = ‖M̄ − W⋆‖² − variance/2``."""
    from .excess_risk import ESTIMATORS, KINDS, Risk, chain_risk, label_dependent

    check_option(kind, "kind", KINDS)
    check_option(estimator, "estimator", ESTIMATORS)
    if covariance is not None:
        raise LingaussError("Ambiguous arguments: a RandomDesign carries its covariance Σ; do "
                            "not give covariance.")
    monte_carlo, seed = _needs_draws(monte_carlo, seed, "the risk", "deterministic_risk")
    for student in chain.students:
        student.resolve(design.d, design.k)
    cov = design.matrix if kind == "population" else None
    dependent = label_dependent(chain.students[:g], design.d, design.k)

    def one(sample, rng):
        if not dependent:
            return chain_risk(chain, g, sample, kind=kind, estimator=estimator,
                              covariance=cov).as_dict()
        X, W = sample.X, sample.W_star
        weight = cov if cov is not None else X @ X.T / sample.n
        M = [chain.means(Sample(X, W @ X + sample.noise * rng.standard_normal(
            sample.Y.shape), W_star=W, noise=sample.noise))[g] for _ in range(2)]
        norm = lambda A: float(np.sum((A @ weight) * A))  # noqa: E731  ‖A‖²_Ω
        variance = 0.5 * norm(M[0] - M[1])
        bias = norm(0.5 * (M[0] + M[1]) - W) - 0.5 * variance
        post = 0.0
        if estimator == "gibbs":
            post = chain_risk(chain, g, sample, kind=kind, estimator="gibbs", covariance=cov,
                              monte_carlo=2, seed=int(rng.integers(2 ** 32))).posterior
        return {"total": bias + variance + post, "bias": bias, "variance": variance + post,
                "posterior": post}

    mean, se = expected_over_inputs(one, design, monte_carlo, seed, desc="risk: input draws")
    return Risk(total=mean["total"], bias=mean["bias"], variance=mean["variance"],
                posterior=mean["posterior"], kind=kind, estimator=estimator, stderr=se)
