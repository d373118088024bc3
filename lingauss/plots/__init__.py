"""Figures of the divergence and its decomposition (docs/model.md §4), from :class:`Sweep` grids.

Every function builds a :class:`matplotlib.figure.Figure` directly (never ``pyplot``): no
window, no global state, no backend switch — the caller (or :func:`save`) renders it. Each
term has one fixed colour from the colour-blind-safe Okabe–Ito palette, so ``bias`` looks the
same in every figure:

* :func:`terms_plot` — ``K = bias + variance + rank_bottleneck`` as stacked areas against one
  axis, the total drawn on top, the Eckart–Young ``rank_floor`` dashed (a diagnostic, not a
  summand);
* :func:`terms_log_plot` — every term on a log axis, each value labelled (the demo's
  figure: a bias of a few nats beside a bottleneck of hundreds stays visible);
* :func:`heatmap` — one term over two axes;
* :func:`frontier_plot` — candidate designs (size vs divergence), their Pareto frontier and a
  recommended design;
* :func:`sample_size_plot` — the terms against the sample size ``n``, log–log;
* :func:`soft_labels_plot` — :func:`terms_plot` side by side per soft-label mode, with the
  convexity bound ``K + I(Ŷ; W_S)`` of the sampled modes;
* :func:`risk_generation_plot`, :func:`filters_plot` — a distillation chain's risk and ``K``
  per generation, and its per-mode filters;
* :func:`save` — PNG (300 dpi), PDF or SVG (TrueType fonts) chosen by the file's extension;
* :func:`figure` — one of :data:`PLOT_KINDS` for a spec (the grids are chosen there), in a
  named style (:data:`STYLES`: ``default``, ``paper``, ``slides``), a size, font size and
  limits of one's own;
* :func:`use_style` — every figure made inside a ``with`` block in a style.

Every figure is made inside ``matplotlib.rc_context`` (nothing leaks into the global
settings), is a :class:`LingaussFigure` (a notebook shows it without ``%matplotlib
inline``), keeps its tick labels apart and its legend beside the axes, off the data.

Other axes of a sweep are held at one index each (``fixed={name: index}``, default 0); the
title states the values held.

The names are imported on first use (PEP 562): the registry of plot kinds,
:mod:`lingauss.plots.kinds`, loads without matplotlib; a figure function imports it.
"""

from __future__ import annotations

import importlib

#: Public name → the module that defines it.
_PUBLIC = {
    "STYLES": "lingauss.plots.canvas", "LingaussFigure": "lingauss.plots.canvas",
    "use_style": "lingauss.plots.canvas",
    "filters_plot": "lingauss.plots.chains", "risk_generation_plot": "lingauss.plots.chains",
    "bounds_plot": "lingauss.plots.figures", "frontier_plot": "lingauss.plots.figures",
    "heatmap": "lingauss.plots.figures", "sample_size_plot": "lingauss.plots.figures",
    "soft_labels_plot": "lingauss.plots.figures", "terms_plot": "lingauss.plots.figures",
    "SAVE_FORMATS": "lingauss.plots.files", "check_output_path": "lingauss.plots.files",
    "save": "lingauss.plots.files",
    "PLOT_KINDS": "lingauss.plots.kinds", "figure": "lingauss.plots.kinds",
    "AXES": "lingauss.plots.style", "COLOURS": "lingauss.plots.style",
    "DIVERGENCE_LABEL": "lingauss.plots.style", "TERM_LABELS": "lingauss.plots.style",
    "terms_log_plot": "lingauss.plots.terms_log",
}

__all__ = ["terms_plot", "terms_log_plot", "heatmap", "frontier_plot", "sample_size_plot",
           "soft_labels_plot", "bounds_plot", "save", "check_output_path", "figure",
           "PLOT_KINDS", "SAVE_FORMATS", "COLOURS", "TERM_LABELS", "AXES", "DIVERGENCE_LABEL",
           "STYLES", "LingaussFigure", "use_style", "risk_generation_plot", "filters_plot"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
