"""The plot kinds of a problem: a registry of kind → builder, whose names load without
matplotlib (``lingauss --help`` and the commands that draw nothing never import it).

:func:`figure` draws one of :data:`PLOT_KINDS` for a spec: the terms against the rank or the
width (against the rank on a log axis, every value labelled), heatmaps over (width, rank) and
(ridge, rank), the size–divergence frontier, the terms against the sample size (a population
design built from the sample's spectrum) and the soft-label modes side by side; for a chain
(``[[students]]``, or a single student as a one-step chain), the risk and ``K`` per
generation and the per-mode filters; for random inputs (``[data] random = true``), the risk
and ``K/(kd)`` against ``γ = d/n`` (deterministic equivalents with Monte Carlo points) and
over ``(γ, width/d)`` (Monte Carlo). The builders are :mod:`lingauss.plots.builders`'s; a
new kind is one entry here and one builder there (docs/contributing.md, "A new plot kind").
"""

from __future__ import annotations

import importlib

from lingauss._core.validation import check_option

#: Plot kind → its builder ``"module:function"`` (a function of the spec giving the figure),
#: imported when the kind is drawn.
KINDS = {
    "terms-vs-rank": "lingauss.plots.builders:terms_vs_rank",
    "terms-vs-width": "lingauss.plots.builders:terms_vs_width",
    "heatmap": "lingauss.plots.builders:heatmap_rank_width",
    "heatmap-ridge": "lingauss.plots.builders:heatmap_rank_ridge",
    "frontier": "lingauss.plots.builders:frontier",
    "sample-size": "lingauss.plots.builders:sample_size",
    "soft-labels": "lingauss.plots.builders:soft_labels",
    "risk-vs-generation": "lingauss.plots.builders:risk_vs_generation",
    "filters": "lingauss.plots.builders:filters",
    "risk-vs-gamma": "lingauss.plots.builders:risk_vs_gamma",
    "gamma-width": "lingauss.plots.builders:gamma_width",
}
#: The plot kinds, in the order ``lingauss plot --help`` lists them.
PLOT_KINDS = tuple(KINDS)


def builder(kind: str):
    """The function that draws ``kind`` (one of :data:`PLOT_KINDS`) for a spec."""
    check_option(kind, "kind", PLOT_KINDS)
    module, name = KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


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
    >>> from lingauss.io.spec import default_spec
    >>> figure(default_spec(), "terms-vs-rank").axes[0].get_xlabel()
    'student rank r'
    >>> fig = figure(default_spec(), "frontier", style="paper", title=False)
    >>> fig.get_size_inches().tolist(), fig.titles()
    ([3.4, 2.55], [])
    """
    from lingauss.plots.canvas import apply_limits, check_limits, resolve_style, use_style

    build = builder(kind)
    xlim, ylim = check_limits(xlim, "xlim"), check_limits(ylim, "ylim")
    spec.student.resolve(spec.sample.d, spec.sample.k)
    with use_style(resolve_style(style, size=size, font_size=font_size)):
        fig = build(spec)
    apply_limits(fig, xlim, ylim)
    if not title:
        fig.hide_titles()
    return fig
