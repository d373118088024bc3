"""The plot kinds of a problem: which grids each figure sweeps, chosen here (not in the CLI).

:func:`figure` draws one of :data:`PLOT_KINDS` for a spec: the terms against the rank or the
width (against the rank on a log axis, every value labelled), heatmaps over (width, rank) and (ridge, rank), the size–divergence frontier, the terms
against the sample size (a population design built from the sample's spectrum) and the
soft-label modes side by side; for a chain (``[[students]]``, or a single student as a
one-step chain), the risk and ``K`` per generation and the per-mode filters; for random inputs
(``[data] random = true``), the risk and ``K/(kd)`` against ``γ = d/n`` (deterministic
equivalents with Monte Carlo points) and over ``(γ, width/d)`` (Monte Carlo).
"""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError, check_option
from lingauss.engine.spectral import spectral
from lingauss.explore.design import explore, recommend
from lingauss.explore.sweep import sweep
from lingauss.model.data import SpectralDesign
from lingauss.plots.canvas import apply_limits, check_limits, resolve_style, use_style
from lingauss.plots.figures import (frontier_plot, heatmap, sample_size_plot, soft_labels_plot,
                                    terms_plot)
from lingauss.plots.terms_log import terms_log_plot

PLOT_KINDS = ("terms-vs-rank", "terms-vs-width", "heatmap", "heatmap-ridge", "frontier",
              "sample-size", "soft-labels", "risk-vs-generation", "filters", "risk-vs-gamma",
              "gamma-width")
#: Monte Carlo of the proportional-regime kinds: input draws per point (per cell) and the seed.
GAMMA_DRAWS, GAMMA_WIDTH_DRAWS, GAMMA_SEED = 20, 12, 0


def figure(spec, kind: str, *, style=None, size=None, font_size=None, xlim=None,
           ylim=None, title: bool = True):
    """The figure of one plot kind for a spec (see ``lingauss plot --help``).

    Every title names what is held fixed: the sweep's other axes and the student's ridge
    ``λ_S`` (and, against ``n``, its width and rank).

    Parameters
    ----------
    spec : lingauss.Spec
    kind : str
        One of :data:`PLOT_KINDS`.
    style : {"default", "paper", "slides"}, optional
        Sizes and fonts (:data:`lingauss.plots.STYLES`); by default the style of the
        enclosing :func:`lingauss.plots.use_style` block, or ``"default"``.
    size : (float, float), optional
        Width and height in inches (instead of the style's).
    font_size : float, optional
        Font size in points (instead of the style's).
    xlim, ylim : (float, float), optional
        Axis limits in data units (a heat map keeps the cells within them).
    title : bool, default True
        False draws no title (the texts are ``fig.hide_titles()``'s, for a caption).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> figure(default_spec(), "terms-vs-rank").axes[0].get_xlabel()
    'student rank r'
    >>> fig = figure(default_spec(), "frontier", style="paper", title=False)
    >>> fig.get_size_inches().tolist(), fig.titles()
    ([3.4, 2.55], [])
    """
    check_option(kind, "kind", PLOT_KINDS)
    xlim, ylim = check_limits(xlim, "xlim"), check_limits(ylim, "ylim")
    with use_style(resolve_style(style, size=size, font_size=font_size)):
        fig = _draw(spec, kind)
    apply_limits(fig, xlim, ylim)
    if not title:
        fig.hide_titles()
    return fig


def _draw(spec, kind: str):
    d, k = spec.sample.d, spec.sample.k
    m, r = spec.student.resolve(d, k)
    ridge = f"λ_S = {spec.student.ridge:g}"
    if kind == "terms-vs-rank":
        return terms_log_plot(explore(spec, rank=range(1, min(k, m) + 1), width=[m]),
                              "rank", held_too=ridge)
    if kind == "terms-vs-width":
        widths = np.unique(np.linspace(r, d, min(d - r + 1, 24)).astype(int))
        return terms_plot(explore(spec, rank=[r], width=widths), "width", held_too=ridge)
    if kind == "heatmap":
        widths = np.unique(np.linspace(min(k, d), d, min(d - min(k, d) + 1, 12)).astype(int))
        return heatmap(explore(spec, rank=range(1, min(k, d) + 1), width=widths),
                       "width", "rank", held_too=ridge)
    if kind == "heatmap-ridge":
        ridges = spec.student.ridge * np.geomspace(1e-2, 1e2, 9)
        return heatmap(explore(spec, rank=range(1, min(k, m) + 1), width=[m], ridge=ridges),
                       "ridge", "rank")
    if kind == "frontier":
        rec = recommend(spec, width=np.unique(np.linspace(1, d, min(d, 16)).astype(int)))
        cands = rec.candidates
        best = rec.smallest_parameters
        return frontier_plot(
            [c.parameters for c in cands], [c.divergence for c in cands],
            recommended=None if best is None else cands.index(best), budget=rec.budget,
            held=ridge)
    if kind == "sample-size":
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
    if kind in ("risk-vs-generation", "filters"):
        return _chain_figure(spec, kind)
    if kind in ("risk-vs-gamma", "gamma-width"):
        return _gamma_figure(spec, kind)
    sweeps = {}
    for soft in ("mean", "sampled"):
        sub = spec.replace(student=spec.student.replace(soft_labels=soft, soft_label_noise=0.0))
        sweeps[soft] = explore(sub, rank=range(1, min(k, m) + 1), width=[m])
    return soft_labels_plot(sweeps, "rank", held_too=ridge)


def _chain_figure(spec, kind: str):
    from lingauss.chains.report import chain_report
    from lingauss.plots.chains import filters_plot, risk_generation_plot

    chain = spec.chain
    held = f"G = {chain.generations}, d = {spec.sample.d}, n = {spec.sample.n}"
    if kind == "risk-vs-generation":
        if spec.sample.W_star is None or spec.sample.noise is None:
            raise LingaussError("kind == 'risk-vs-generation' needs a sample with W_star and "
                                "noise (the risk is against the truth).")
        return risk_generation_plot(chain_report(chain, spec.sample, space=spec.space,
                                                 direction=spec.direction), held=held)
    s = spectral(spec.sample).s
    s = s[s > 0]
    return filters_plot(s, chain.filters(s), held=held)


def _gamma_figure(spec, kind: str):
    from lingauss.explore.gamma_sweep import gamma_sweep, gamma_width_grid
    from lingauss.plots.gamma import gamma_plot, gamma_width_heatmap

    design = spec.design
    if design is None:
        raise LingaussError(f"kind == {kind!r} needs a spec with random inputs ([data] random "
                            f"= true): it varies γ = d/n.")
    d = design.d
    held = (f"d = {d}, ridges λ̄ = λ/(βn) held at n = {design.n}, "
            f"λ_S = {spec.student.ridge:g} there")
    if kind == "risk-vs-gamma":
        return gamma_plot(gamma_sweep(spec.teacher, spec.student, design,
                                      monte_carlo=GAMMA_DRAWS, seed=GAMMA_SEED), held=held)
    widths = np.unique(np.linspace(1, d, min(d, 6)).round().astype(int))
    grid = gamma_width_grid(spec.teacher, spec.student, design, np.geomspace(0.25, 4.0, 5),
                            widths, monte_carlo=GAMMA_WIDTH_DRAWS, seed=GAMMA_SEED)
    return gamma_width_heatmap(grid, held=held)
