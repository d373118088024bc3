"""Every term of ``K`` on a log axis, each point labelled with its value: the demo's figure.

On a linear axis a rank bottleneck of hundreds of nats hides a bias or a variance of a few:
:func:`terms_log_plot` draws ``total``, ``bias``, ``variance`` and ``rank_bottleneck`` as
lines on a logarithmic ``y`` axis (and the ``rank_floor`` diagnostic dashed), and writes the
value of each term beside its marker, so every term can be read at every grid value. A
term that is exactly ``0`` somewhere is not drawn there (a log axis has no 0) and is
labelled ``0`` at the bottom of the axes instead.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lingauss._core.validation import check_option
from lingauss.plots.canvas import new_figure, outside_legend, set_title, styled
from lingauss.plots.style import (COLOURS, DIVERGENCE_LABEL, STACK, TERM_LABELS, axis_values,
                                  check_fixed, check_sweep, held, slice_axes, symbol, term_values,
                                  with_held, x_axis)

#: Marker of each summand (the total is a thick black line).
MARKERS = {"bias": "s", "variance": "^", "rank_bottleneck": "o"}


def _label(value: float) -> str:
    """A value beside its marker: 3 significant figures, no exponent below 10⁵.

    >>> [_label(v) for v in (0.0123, 4.56, 123.4, 1234.4, 2.5e6)]
    ['0.0123', '4.56', '123', '1234', '2.5e+06']
    """
    if 1000 <= abs(value) < 1e5:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _spread(positions: list, gap: float) -> list:
    """Positions (log10 of the values at one x) moved apart to at least ``gap`` each, in
    their order, as little as possible (a forward pass and a centring shift)."""
    order = np.argsort(positions)
    placed = np.asarray(positions, dtype=float)[order].copy()
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    placed -= (placed.mean() - np.mean(positions)) if len(placed) > 1 else 0.0
    out = np.empty_like(placed)
    out[order] = placed
    return list(out)


@styled
def terms_log_plot(sweep, axis: str, *, fixed=None, title=None, held_too: str = "") -> Figure:
    """The terms of ``K = bias + variance + rank_bottleneck`` against one axis, log scale,
    each summand's value written beside it.

    Parameters
    ----------
    sweep : lingauss.sweep.Sweep
    axis : str
        The axis on the horizontal (``"rank"``, ``"width"``, ...).
    fixed : dict, optional
        ``{name: index}`` for the other axes (default index 0 each), stated in the title.
    title : str, optional
        Default ``"Decomposition of K against <symbol>"``.
    held_too : str, optional
        Other quantities held fixed, stated in the title after the sweep's.

    Returns
    -------
    LingaussFigure
        One panel with a log ``y`` axis; legend entries ``total K``, the three summands and
        the rank floor.

    Examples
    --------
    >>> import lingauss
    >>> design = lingauss.SpectralDesign.power_law(d=16, k=4, n=32)
    >>> student = lingauss.Student(1.0, 4.0, rank_rule="oracle", width=8)
    >>> res = lingauss.sweep(lingauss.Teacher(4.0, 1.0), student, design, rank=[1, 2, 4])
    >>> fig = terms_log_plot(res, "rank")
    >>> ax = fig.panels[0]
    >>> ax.get_yscale(), [t.get_text() for t in ax.get_legend().get_texts()][:2]
    ('log', ['total K', 'rank bottleneck'])
    >>> len(ax.texts)                        # one label per term and rank
    12
    """
    check_sweep(sweep)
    check_option(axis, "axis", tuple(sweep.axes))
    index = check_fixed(sweep, (axis,), fixed)
    x = axis_values(sweep, axis)
    series = {t: slice_axes(sweep, term_values(sweep, t), (axis,), index)
              for t in (*STACK, "total")}
    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    ax.set_yscale("log", nonpositive="mask")
    (total,) = ax.plot(x, series["total"], color=COLOURS["total"], linewidth=2.5,
                       label=TERM_LABELS["total"], zorder=3)
    handles = [total]
    for term in reversed(STACK):                       # legend: bottleneck, variance, bias
        (line,) = ax.plot(x, series[term], color=COLOURS[term], marker=MARKERS[term],
                          markersize=5, linewidth=1.5, label=TERM_LABELS[term], zorder=4)
        handles.append(line)
    if "rank_floor" in sweep.terms:
        (floor,) = ax.plot(x, slice_axes(sweep, term_values(sweep, "rank_floor"), (axis,),
                                         index), color=COLOURS["rank_floor"],
                           linestyle="--", linewidth=1.2, label=TERM_LABELS["rank_floor"],
                           zorder=2)
        handles.append(floor)
    positive = np.concatenate([np.ravel(series[t]) for t in (*STACK, "total")])
    positive = positive[positive > 0]
    low, high = (positive.min(), positive.max()) if positive.size else (0.1, 1.0)
    ax.set_ylim(low / 3.0, high * 2.0)
    bottom = np.log10(low / 3.0)
    span = np.log10(high * 2.0) - bottom
    labelled = (*STACK, "total")
    for j, xj in enumerate(x):
        values = [float(series[t][j]) for t in labelled]
        at = [np.log10(v) if v > 0 else bottom + 0.03 * span for v in values]
        for term, value, y in zip(labelled, values, _spread(at, 0.06 * span)):
            text = ax.annotate(_label(value) if value > 0 else "0", (xj, 10 ** y),
                               xytext=(5, 0), textcoords="offset points", va="center",
                               ha="left", fontsize="x-small", color=COLOURS[term], zorder=5,
                               annotation_clip=True,      # hidden when --xlim cuts the point
                               bbox=dict(boxstyle="square,pad=0.1", facecolor="white",
                                         edgecolor="none", alpha=0.85))
            text.set_in_layout(False)            # labels never shrink the axes
    x_axis(ax, x, axis)
    pad = 0.04 * (x.max() - x.min()) if len(x) > 1 else 0.5
    ax.set_xlim(x.min() - pad, x.max() + 3 * pad)      # room for the last labels
    ax.set_ylabel(DIVERGENCE_LABEL + ", log scale")
    outside_legend(ax, handles)
    default = f"Decomposition of K against {symbol(axis)}"
    set_title(ax, with_held(default if title is None else title,
                            ", ".join(p for p in (held(sweep, index), held_too) if p)))
    return fig
