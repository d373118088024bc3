"""The builders of the plot kinds: one function per kind, drawing it for a spec (the grids
each figure sweeps are chosen here, not in the command line). :data:`lingauss.plots.kinds.KINDS`
names them; :func:`lingauss.plots.kinds.figure` calls them inside the style asked for.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.chains.report import chain_report
from lingauss.engine.spectral import spectral
from lingauss.explore.design import explore, recommend
from lingauss.explore.gamma_sweep import gamma_sweep, gamma_width_grid
from lingauss.explore.sweep import sweep
from lingauss.model.data import SpectralDesign
from lingauss.model.options import SoftLabels
from lingauss.plots.chains import filters_plot, risk_generation_plot
from lingauss.plots.figures import (frontier_plot, heatmap, sample_size_plot, soft_labels_plot,
                                    terms_plot)
from lingauss.plots.gamma import gamma_plot, gamma_width_heatmap
from lingauss.plots.terms_log import terms_log_plot

#: Monte Carlo of the proportional-regime kinds: input draws per point (per cell) and the seed.
GAMMA_DRAWS, GAMMA_WIDTH_DRAWS, GAMMA_SEED = 20, 12, 0


def _sizes(spec):
    d, k = spec.sample.d, spec.sample.k
    m, r = spec.student.resolve(d, k)
    return d, k, m, r, f"λ_S = {spec.student.ridge:g}"


def terms_vs_rank(spec):
    d, k, m, r, ridge = _sizes(spec)
    return terms_log_plot(explore(spec, rank=range(1, min(k, m) + 1), width=[m]), "rank",
                          held_too=ridge)


def terms_vs_width(spec):
    d, k, m, r, ridge = _sizes(spec)
    widths = np.unique(np.linspace(r, d, min(d - r + 1, 24)).astype(int))
    return terms_plot(explore(spec, rank=[r], width=widths), "width", held_too=ridge)


def heatmap_rank_width(spec):
    d, k, m, r, ridge = _sizes(spec)
    widths = np.unique(np.linspace(min(k, d), d, min(d - min(k, d) + 1, 12)).astype(int))
    return heatmap(explore(spec, rank=range(1, min(k, d) + 1), width=widths),
                   "width", "rank", held_too=ridge)


def heatmap_rank_ridge(spec):
    d, k, m, r, ridge = _sizes(spec)
    ridges = spec.student.ridge * np.geomspace(1e-2, 1e2, 9)
    return heatmap(explore(spec, rank=range(1, min(k, m) + 1), width=[m], ridge=ridges),
                   "ridge", "rank")


def frontier(spec):
    d, k, m, r, ridge = _sizes(spec)
    rec = recommend(spec, width=np.unique(np.linspace(1, d, min(d, 16)).astype(int)))
    cands = rec.candidates
    best = rec.smallest_parameters
    return frontier_plot(
        [c.parameters for c in cands], [c.divergence for c in cands],
        recommended=None if best is None else cands.index(best), budget=rec.budget,
        held=ridge)


def sample_size(spec):
    d, k, m, r, ridge = _sizes(spec)
    if spec.sample.W_star is None or spec.sample.noise is None:
        raise LingaussError("kind == 'sample-size' needs a sample with W_star and noise "
                            "(a population design is built from its spectrum).")
    sp = spectral(spec.sample)
    design = SpectralDesign(sp.s / spec.sample.n, sp.theta, sp.noise, k, n=1)
    student = spec.student.replace(rank_rule="oracle", basis="pca", rank=r, width=m)
    n = spec.sample.n
    grid = np.unique(np.geomspace(max(1, n // 16), 64 * n, 13).astype(int))
    return sample_size_plot(sweep(spec.teacher, student, design, space=spec.space,
                                  direction=spec.direction, n=grid),
                            held_too=f"m = {m}, r = {r}, {ridge}")


def soft_labels(spec):
    d, k, m, r, ridge = _sizes(spec)
    sweeps = {}
    for soft in (SoftLabels.MEAN, SoftLabels.SAMPLED):
        sub = spec.replace(student=spec.student.replace(soft_labels=soft, soft_label_noise=0.0))
        sweeps[soft] = explore(sub, rank=range(1, min(k, m) + 1), width=[m])
    return soft_labels_plot(sweeps, "rank", held_too=ridge)


def _chain_held(spec) -> str:
    return f"G = {spec.chain.generations}, d = {spec.sample.d}, n = {spec.sample.n}"


def risk_vs_generation(spec):
    if spec.sample.W_star is None or spec.sample.noise is None:
        raise LingaussError("kind == 'risk-vs-generation' needs a sample with W_star and "
                            "noise (the risk is against the truth).")
    return risk_generation_plot(chain_report(spec.chain, spec.sample, space=spec.space,
                                             direction=spec.direction), held=_chain_held(spec))


def filters(spec):
    s = spectral(spec.sample).s
    s = s[s > 0]
    return filters_plot(s, spec.chain.filters(s), held=_chain_held(spec))


def _gamma_design(spec, kind: str):
    design = spec.design
    if design is None:
        raise LingaussError(f"kind == {kind!r} needs a spec with random inputs ([data] random "
                            f"= true): it varies γ = d/n.")
    held = (f"d = {design.d}, ridges λ̄ = λ/(βn) held at n = {design.n}, "
            f"λ_S = {spec.student.ridge:g} there")
    return design, held


def risk_vs_gamma(spec):
    design, held = _gamma_design(spec, "risk-vs-gamma")
    return gamma_plot(gamma_sweep(spec.teacher, spec.student, design,
                                  monte_carlo=GAMMA_DRAWS, seed=GAMMA_SEED), held=held)


def gamma_width(spec):
    design, held = _gamma_design(spec, "gamma-width")
    d = design.d
    widths = np.unique(np.linspace(1, d, min(d, 6)).round().astype(int))
    grid = gamma_width_grid(spec.teacher, spec.student, design, np.geomspace(0.25, 4.0, 5),
                            widths, monte_carlo=GAMMA_WIDTH_DRAWS, seed=GAMMA_SEED)
    return gamma_width_heatmap(grid, held=held)
