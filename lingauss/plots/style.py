"""Shared style of every figure: one colour per term, axis names, sweep slicing, and the
stacked decomposition drawn by :func:`lingauss.plots.terms_plot` and
:func:`lingauss.plots.soft_labels_plot`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lingauss._core.validation import LingaussError, check_int, check_option
from lingauss.plots.canvas import axis_length, outside_legend, spaced_ticks

# Okabe & Ito (2008), "Color Universal Design": one fixed colour per term.
COLOURS = {
    "total": "#000000",                  # black
    "bias": "#E69F00",                   # orange
    "variance": "#56B4E9",               # sky blue
    "rank_bottleneck": "#009E73",        # bluish green
    "rank_floor": "#D55E00",             # vermillion
    "convexity_bound": "#CC79A7",        # reddish purple
    "bottleneck_mean": "#0072B2",        # blue
    "bottleneck_covariance": "#F0E442",  # yellow
    "convexity_slack": "#999999",        # grey
}

TERM_LABELS = {
    "total": "total K",
    "bias": "bias",
    "variance": "variance",
    "rank_bottleneck": "rank bottleneck",
    "bottleneck_mean": "bottleneck (mean part)",
    "bottleneck_covariance": "bottleneck (covariance part)",
    "rank_floor": "rank floor (diagnostic)",
    "convexity_bound": "convexity bound K + I(Ŷ; W_S)",
    "convexity_slack": "convexity slack I(Ŷ; W_S)",
}

# Axis names of lingauss.numeric.SWEEPABLE: (symbol, axis label).
AXES = {
    "rank": ("r", "student rank r"),
    "width": ("m", "input width m"),
    "beta": ("β_S", "student inverse temperature β_S"),
    "ridge": ("λ_S", "student ridge λ_S"),
    "alpha": ("α", "hard-label weight α"),
    "tau2": ("τ²", "complement variance τ²"),
    "soft_label_noise": ("ν_T", "soft-label noise ν_T"),
    "teacher_beta": ("β_T", "teacher inverse temperature β_T"),
    "teacher_ridge": ("λ_T", "teacher ridge λ_T"),
    "n": ("n", "sample size n"),
}

DIVERGENCE_LABEL = "divergence K (nats)"

# K = bias + variance + rank_bottleneck, stacked from the bottom in this order.
STACK = ("bias", "variance", "rank_bottleneck")
MAX_TICKS = 12      # label every grid value when there are at most this many
LOG_SPAN = 100.0    # a positive axis spanning this factor or more gets a log scale


# --------------------------------------------------------------------------------------------
# Validation and slicing
# --------------------------------------------------------------------------------------------

def check_sweep(sweep, name: str = "sweep"):
    if not (isinstance(getattr(sweep, "axes", None), Mapping)
            and isinstance(getattr(sweep, "terms", None), Mapping)):
        raise LingaussError(
            f"{name} is a {type(sweep).__name__}, must be a Sweep (the result of "
            f"lingauss.sweep).")
    return sweep


def term_values(sweep, term: str, name: str = "term") -> np.ndarray:
    check_option(term, name, tuple(sweep.terms))
    return np.asarray(sweep.terms[term], dtype=float)


def check_fixed(sweep, keep: tuple[str, ...], fixed) -> dict:
    """``{name: index}`` for every axis not in ``keep`` (default index 0), validated."""
    others = tuple(name for name in sweep.axes if name not in keep)
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise LingaussError(f"fixed == {fixed!r}, must be a dict {{axis name: index}}.")
    for name in fixed:
        check_option(name, "fixed", others)
    return {name: check_int(fixed.get(name, 0), f"fixed[{name!r}]", low=0,
                            high=len(sweep.axes[name]) - 1, high_rule=f"len({name}) - 1")
            for name in others}


def slice_axes(sweep, arr: np.ndarray, keep: tuple[str, ...], index: dict) -> np.ndarray:
    """``arr`` at ``index`` on the other axes, its remaining axes in the order of ``keep``."""
    names = list(sweep.axes)
    out = arr[tuple(index.get(name, slice(None)) for name in names)]
    remaining = [name for name in names if name in keep]
    return np.transpose(out, [remaining.index(name) for name in keep])


def symbol(name: str) -> str:
    return AXES.get(name, (name, name))[0]


def axis_label(name: str) -> str:
    return AXES.get(name, (name, name))[1]


def held(sweep, index: dict) -> str:
    """``"m = 8, β_S = 2"``: the values of the axes held fixed."""
    return ", ".join(f"{symbol(name)} = {float(sweep.axes[name][i]):g}"
                     for name, i in index.items())


def with_held(title: str, held: str) -> str:
    return f"{title}\n(at {held})" if held else title


def axis_values(sweep, name: str) -> np.ndarray:
    return np.asarray(sweep.axes[name], dtype=float)


def x_axis(ax, x: np.ndarray, name: str, *, log: bool | None = None):
    """Label the x axis; log scale for a positive axis spanning ``LOG_SPAN`` or more."""
    if log is None:
        log = bool(np.all(x > 0) and x.max() / x.min() >= LOG_SPAN)
    if log and np.all(x > 0):
        ax.set_xscale("log")
    if len(x) <= MAX_TICKS:       # every grid value, unless the labels would collide
        spaced_ticks(ax, "x", x, [f"{v:g}" for v in x], length=axis_length(ax, "x", 0.5))
        ax.minorticks_off()
    ax.set_xlabel(axis_label(name))


# --------------------------------------------------------------------------------------------
# Stacked decomposition (shared by terms_plot and soft_labels_plot)
# --------------------------------------------------------------------------------------------

def draw_terms(ax, sweep, axis: str, index: dict, *, bound: bool):
    """Stacked bias, variance, rank bottleneck; the total on top; the floor dashed."""
    x = axis_values(sweep, axis)
    series = {term: slice_axes(sweep, term_values(sweep, term), (axis,), index) for term in
              (*STACK, "total")}
    # K = bias + variance + rank_bottleneck: the areas stack to the total line.
    areas = ax.stackplot(x, *(series[t] for t in STACK), labels=[TERM_LABELS[t] for t in STACK],
                         colors=[COLOURS[t] for t in STACK], alpha=0.85, linewidth=0.5,
                         edgecolor="white")
    (total,) = ax.plot(x, series["total"], color=COLOURS["total"], linewidth=2, marker="o",
                       markersize=4, label=TERM_LABELS["total"], zorder=3)
    handles = [total, *reversed(areas)]          # legend reads top to bottom, like the stack
    if "rank_floor" in sweep.terms:
        (floor,) = ax.plot(x, slice_axes(sweep, term_values(sweep, "rank_floor"), (axis,), index),
                           color=COLOURS["rank_floor"], linestyle="--", linewidth=1.5,
                           label=TERM_LABELS["rank_floor"], zorder=3)
        handles.append(floor)
    if bound and "convexity_bound" in sweep.terms:
        (conv,) = ax.plot(x, slice_axes(sweep, term_values(sweep, "convexity_bound"), (axis,), index),
                          color=COLOURS["convexity_bound"], linestyle=":", linewidth=2,
                          label=TERM_LABELS["convexity_bound"], zorder=3)
        handles.append(conv)
    x_axis(ax, x, axis)
    ax.set_xlim(x.min(), x.max())
    # the top covers every drawn line (with shared y axes, set_ylim would freeze the first
    # panel's range: regression found by the examples)
    top = max(float(np.nanmax(line.get_ydata())) for line in handles
              if hasattr(line, "get_ydata"))
    ax.set_ylim(0, 1.05 * top if top > 0 else 1.0)
    outside_legend(ax, handles)


def check_pareto(pareto, n: int) -> np.ndarray:
    arr = np.asarray(pareto)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise LingaussError(
                f"pareto has shape {arr.shape}, must be a boolean mask of shape ({n},).")
        return arr
    if arr.ndim == 1 and (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        mask = np.zeros(n, dtype=bool)
        for i, value in enumerate(arr):
            mask[check_int(value, f"pareto[{i}]", low=0, high=n - 1,
                           high_rule="len(sizes) - 1")] = True
        return mask
    raise LingaussError(
        f"pareto == {pareto!r}, must be a boolean mask of shape ({n},) or a 1-D array of "
        f"indices.")
