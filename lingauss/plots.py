"""Figures of the divergence and its decomposition (MODEL.md §4), from :class:`Sweep` grids.

Every function builds a :class:`matplotlib.figure.Figure` directly (never ``pyplot``): no
window, no global state, no backend switch — the caller (or :func:`save`) renders it. Each
term has one fixed colour from the colour-blind-safe Okabe–Ito palette, so ``bias`` looks the
same in every figure:

* :func:`terms_plot` — ``K = bias + variance + rank_bottleneck`` as stacked areas against one
  axis, the total drawn on top, the Eckart–Young ``rank_floor`` dashed (a diagnostic, not a
  summand);
* :func:`heatmap` — one term over two axes;
* :func:`frontier_plot` — candidate designs (size vs divergence), their Pareto frontier and a
  recommended design;
* :func:`sample_size_plot` — the terms against the sample size ``n``, log–log;
* :func:`soft_labels_plot` — :func:`terms_plot` side by side per soft-label mode, with the
  convexity bound ``K + I(Ŷ; W_S)`` of the sampled modes;
* :func:`save` — PNG, PDF or SVG chosen by the file's extension.

Other axes of a sweep are held at one index each (``fixed={name: index}``, default 0); the
title states the values held.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._validation import LingaussError, check_array, check_int, check_option, check_real

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
SAVE_FORMATS = (".png", ".pdf", ".svg")

# K = bias + variance + rank_bottleneck, stacked from the bottom in this order.
_STACK = ("bias", "variance", "rank_bottleneck")
_MAX_TICKS = 12      # label every grid value when there are at most this many
_LOG_SPAN = 100.0    # a positive axis spanning this factor or more gets a log scale


# --------------------------------------------------------------------------------------------
# Validation and slicing
# --------------------------------------------------------------------------------------------

def _check_sweep(sweep, name: str = "sweep"):
    if not (isinstance(getattr(sweep, "axes", None), Mapping)
            and isinstance(getattr(sweep, "terms", None), Mapping)):
        raise LingaussError(
            f"{name} is a {type(sweep).__name__}, must be a Sweep (the result of "
            f"lingauss.sweep).")
    return sweep


def _term(sweep, term: str, name: str = "term") -> np.ndarray:
    check_option(term, name, tuple(sweep.terms))
    return np.asarray(sweep.terms[term], dtype=float)


def _check_fixed(sweep, keep: tuple[str, ...], fixed) -> dict:
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


def _slice(sweep, arr: np.ndarray, keep: tuple[str, ...], index: dict) -> np.ndarray:
    """``arr`` at ``index`` on the other axes, its remaining axes in the order of ``keep``."""
    names = list(sweep.axes)
    out = arr[tuple(index.get(name, slice(None)) for name in names)]
    remaining = [name for name in names if name in keep]
    return np.transpose(out, [remaining.index(name) for name in keep])


def _symbol(name: str) -> str:
    return AXES.get(name, (name, name))[0]


def _axis_label(name: str) -> str:
    return AXES.get(name, (name, name))[1]


def _held(sweep, index: dict) -> str:
    """``"m = 8, β_S = 2"``: the values of the axes held fixed."""
    return ", ".join(f"{_symbol(name)} = {float(sweep.axes[name][i]):g}"
                     for name, i in index.items())


def _with_held(title: str, held: str) -> str:
    return f"{title}\n(at {held})" if held else title


def _values(sweep, name: str) -> np.ndarray:
    return np.asarray(sweep.axes[name], dtype=float)


def _x_axis(ax, x: np.ndarray, name: str, *, log: bool | None = None):
    """Label the x axis; log scale for a positive axis spanning ``_LOG_SPAN`` or more."""
    if log is None:
        log = bool(np.all(x > 0) and x.max() / x.min() >= _LOG_SPAN)
    if log and np.all(x > 0):
        ax.set_xscale("log")
    if len(x) <= _MAX_TICKS:
        ax.set_xticks(x, labels=[f"{v:g}" for v in x])
        ax.minorticks_off()
    ax.set_xlabel(_axis_label(name))


# --------------------------------------------------------------------------------------------
# Stacked decomposition (shared by terms_plot and soft_labels_plot)
# --------------------------------------------------------------------------------------------

def _draw_terms(ax, sweep, axis: str, index: dict, *, bound: bool):
    """Stacked bias, variance, rank bottleneck; the total on top; the floor dashed."""
    x = _values(sweep, axis)
    series = {term: _slice(sweep, _term(sweep, term), (axis,), index) for term in
              (*_STACK, "total")}
    # K = bias + variance + rank_bottleneck: the areas stack to the total line.
    areas = ax.stackplot(x, *(series[t] for t in _STACK), labels=[TERM_LABELS[t] for t in _STACK],
                         colors=[COLOURS[t] for t in _STACK], alpha=0.85, linewidth=0.5,
                         edgecolor="white")
    (total,) = ax.plot(x, series["total"], color=COLOURS["total"], linewidth=2, marker="o",
                       markersize=4, label=TERM_LABELS["total"], zorder=3)
    handles = [total, *reversed(areas)]          # legend reads top to bottom, like the stack
    if "rank_floor" in sweep.terms:
        (floor,) = ax.plot(x, _slice(sweep, _term(sweep, "rank_floor"), (axis,), index),
                           color=COLOURS["rank_floor"], linestyle="--", linewidth=1.5,
                           label=TERM_LABELS["rank_floor"], zorder=3)
        handles.append(floor)
    if bound and "convexity_bound" in sweep.terms:
        (conv,) = ax.plot(x, _slice(sweep, _term(sweep, "convexity_bound"), (axis,), index),
                          color=COLOURS["convexity_bound"], linestyle=":", linewidth=2,
                          label=TERM_LABELS["convexity_bound"], zorder=3)
        handles.append(conv)
    _x_axis(ax, x, axis)
    ax.set_xlim(x.min(), x.max())
    # the top covers every drawn line (with shared y axes, set_ylim would freeze the first
    # panel's range: regression found by the examples)
    top = max(float(np.nanmax(line.get_ydata())) for line in handles
              if hasattr(line, "get_ydata"))
    ax.set_ylim(0, 1.05 * top if top > 0 else 1.0)
    ax.legend(handles=handles, fontsize="small")


# --------------------------------------------------------------------------------------------
# Public figures
# --------------------------------------------------------------------------------------------

def terms_plot(sweep, axis: str, *, fixed=None, title=None) -> Figure:
    """The decomposition ``K = bias + variance + rank_bottleneck`` against one axis.

    Stacked areas of the three summands (MODEL.md §4), the ``total`` line drawn on top (the
    areas stack up to it exactly, to rounding) and ``rank_floor`` dashed: the Eckart–Young
    floor ``½ Σ_{j>r} σ_j²``, a diagnostic and not a summand.

    Parameters
    ----------
    sweep : lingauss.numeric.Sweep
        The result of :func:`lingauss.sweep`.
    axis : str
        The axis on the horizontal: one of ``sweep.axes`` (``"rank"``, ``"width"``, ...).
    fixed : dict, optional
        ``{name: index}`` for the other axes of the sweep (default index 0 for each); the
        values held are stated in the title.
    title : str, optional
        Title (default ``"Decomposition of K against <symbol>"``).

    Returns
    -------
    matplotlib.figure.Figure
        One axes; legend entries ``total K``, the three summands and the rank floor.

    Examples
    --------
    >>> import lingauss
    >>> design = lingauss.SpectralDesign.power_law(d=16, k=4, n=32)
    >>> student = lingauss.Student(2.0, 0.5, rank_rule="oracle")
    >>> res = lingauss.sweep(lingauss.Teacher(2.0, 1.0), student, design,
    ...                      rank=[1, 2, 4], width=[4, 8])
    >>> fig = terms_plot(res, "rank")
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_title()
    ('student rank r', 'Decomposition of K against r\\n(at m = 4)')
    >>> terms_plot(res, "rnk")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for axis: 'rnk'. Possible values: ('rank', 'width').
    """
    _check_sweep(sweep)
    check_option(axis, "axis", tuple(sweep.axes))
    index = _check_fixed(sweep, (axis,), fixed)
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    _draw_terms(ax, sweep, axis, index, bound=False)
    ax.set_ylabel(DIVERGENCE_LABEL)
    default = f"Decomposition of K against {_symbol(axis)}"
    ax.set_title(_with_held(default if title is None else title, _held(sweep, index)))
    return fig


def heatmap(sweep, x: str, y: str, *, term: str = "total", fixed=None, log: bool = True
            ) -> Figure:
    """One term of the decomposition over two axes of a sweep, with a colour bar.

    Grid cells are equally spaced whatever the values (ranks, widths and ridges are often
    geometric); the tick labels show the values. The colour scale is logarithmic when ``log``
    and every value shown is ``> 0``, linear otherwise.

    Parameters
    ----------
    sweep : lingauss.numeric.Sweep
        The result of :func:`lingauss.sweep`, with at least two axes.
    x, y : str
        The horizontal and vertical axes, two different names of ``sweep.axes``.
    term : str, default "total"
        One of ``sweep.terms``.
    fixed : dict, optional
        ``{name: index}`` for the remaining axes (default index 0), stated in the title.
    log : bool, default True
        Logarithmic colour scale (when every value is positive).

    Returns
    -------
    matplotlib.figure.Figure
        The heat map and its colour bar (``fig.axes[1]``), labelled ``"<term> (nats)"``.

    Examples
    --------
    >>> import lingauss
    >>> design = lingauss.SpectralDesign.power_law(d=16, k=4, n=32)
    >>> student = lingauss.Student(2.0, 0.5, rank_rule="oracle")
    >>> res = lingauss.sweep(lingauss.Teacher(2.0, 1.0), student, design,
    ...                      rank=[1, 2, 4], width=[4, 8])
    >>> fig = heatmap(res, "width", "rank", term="bias")
    >>> fig.axes[0].get_ylabel(), fig.axes[1].get_ylabel()
    ('student rank r', 'bias (nats)')
    """
    _check_sweep(sweep)
    names = tuple(sweep.axes)
    check_option(x, "x", names)
    check_option(y, "y", names)
    if x == y:
        raise LingaussError(f"x == y == {x!r}, must be two different axes of {names}.")
    values = _term(sweep, term)
    index = _check_fixed(sweep, (y, x), fixed)
    grid = _slice(sweep, values, (y, x), index)          # (len(y), len(x))
    xv, yv = _values(sweep, x), _values(sweep, y)

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    norm = LogNorm(vmin=grid.min(), vmax=grid.max()) if log and np.all(grid > 0) else None
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", norm=norm,
                      interpolation="nearest")
    for axis_values, set_ticks in ((xv, ax.set_xticks), (yv, ax.set_yticks)):
        step = max(1, int(np.ceil(len(axis_values) / _MAX_TICKS)))
        ticks = np.arange(0, len(axis_values), step)
        set_ticks(ticks, labels=[f"{axis_values[i]:g}" for i in ticks])
    ax.set_xlabel(_axis_label(x))
    ax.set_ylabel(_axis_label(y))
    fig.colorbar(image, ax=ax, label=f"{TERM_LABELS.get(term, term)} (nats)")
    ax.set_title(_with_held(f"{TERM_LABELS.get(term, term)} over {_symbol(x)} × {_symbol(y)}",
                            _held(sweep, index)))
    return fig


def _pareto_mask(sizes, divergences) -> np.ndarray:
    """Boolean mask of the designs no other design dominates in (size, divergence).

    ``j`` dominates ``i`` when ``size_j <= size_i``, ``div_j <= div_i`` and one of the two is
    strict; equal designs do not dominate each other (both are kept).

    >>> _pareto_mask([1, 2, 2, 3, 4], [5.0, 3.0, 4.0, 3.0, 1.0])
    array([ True,  True, False, False,  True])
    """
    s = np.asarray(sizes, dtype=float)[:, None]          # (n, 1): candidate j
    k = np.asarray(divergences, dtype=float)[:, None]
    no_worse = (s <= s.T) & (k <= k.T)                   # [j, i]: j no worse than i in both
    better = (s < s.T) | (k < k.T)
    return ~np.any(no_worse & better, axis=0)


def _check_pareto(pareto, n: int) -> np.ndarray:
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


def frontier_plot(sizes, divergences, *, pareto=None, recommended=None, budget=None,
                  xlabel: str = "parameters r(m + k)") -> Figure:
    """Candidate designs by size and divergence, their Pareto frontier and a recommendation.

    Parameters
    ----------
    sizes : array_like, shape (N,)
        Size of each design (e.g. the student's parameter count ``r(m + k)``).
    divergences : array_like, shape (N,)
        Its divergence ``K`` in nats.
    pareto : array_like of bool, shape (N,), or of int, optional
        The frontier, as a mask or indices; by default the designs not dominated in
        (size, divergence). Drawn as a step line: the smallest divergence reachable within
        each size.
    recommended : int, optional
        Index of the design to highlight and annotate.
    budget : float, optional
        A divergence budget ``K <= budget``, drawn as a horizontal dashed line.
    xlabel : str, default "parameters r(m + k)"

    Returns
    -------
    matplotlib.figure.Figure
        One axes; log ``y`` when every divergence (and the budget) is ``> 0``.

    Examples
    --------
    >>> fig = frontier_plot([16, 24, 40, 48], [3.0, 1.0, 2.0, 0.5], recommended=1, budget=1.5)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['candidate designs', 'Pareto frontier', 'recommended', 'budget K ≤ 1.5']
    >>> fig.axes[0].get_lines()[0].get_xdata().tolist()      # the frontier: 40 is dominated
    [16.0, 24.0, 48.0]
    """
    sizes = check_array(sizes, "sizes", ndim=1)
    n = len(sizes)
    divergences = check_array(divergences, "divergences", ndim=1,
                              shape=[(n, "len(sizes)")])
    mask = _pareto_mask(sizes, divergences) if pareto is None else _check_pareto(pareto, n)
    if recommended is not None:
        recommended = check_int(recommended, "recommended", low=0, high=n - 1,
                                high_rule="len(sizes) - 1")
    if budget is not None:
        budget = check_real(budget, "budget", low=0, low_inclusive=True)

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(sizes, divergences, s=18, color="#999999", alpha=0.7, label="candidate designs",
               zorder=2)
    order = np.flatnonzero(mask)[np.lexsort((divergences[mask], sizes[mask]))]
    ax.step(sizes[order], divergences[order], where="post", color="#0072B2", linewidth=2,
            marker="o", markersize=5, label="Pareto frontier", zorder=3)
    if recommended is not None:
        xr, yr = sizes[recommended], divergences[recommended]
        ax.scatter([xr], [yr], s=220, marker="*", color="#D55E00", edgecolor="black",
                   linewidth=0.8, label="recommended", zorder=4)
        left = xr > (sizes.min() + sizes.max()) / 2     # keep the note inside the axes
        ax.annotate(f"recommended\nsize {xr:g}, K = {yr:.3g}", xy=(xr, yr),
                    xytext=(-14 if left else 14, 14), textcoords="offset points",
                    ha="right" if left else "left", fontsize="small",
                    arrowprops={"arrowstyle": "->", "color": "black"})
    if budget is not None:
        ax.axhline(budget, color="#CC79A7", linestyle="--", linewidth=1.5,
                   label=f"budget K ≤ {budget:g}", zorder=1)
    if np.all(divergences > 0) and (budget is None or budget > 0):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(DIVERGENCE_LABEL)
    ax.set_title("Size against divergence: the Pareto frontier")
    ax.legend(fontsize="small")
    return fig


def sample_size_plot(sweep, *, axis: str = "n", fixed=None) -> Figure:
    """``total``, ``bias``, ``variance`` and ``rank_bottleneck`` against the sample size, log–log.

    A term that is zero everywhere is left off the log plot and listed in the legend as
    ``"<term> = 0 (not shown)"``; a term zero at some sizes only is drawn where positive and
    listed as ``"<term> (zeros not shown)"``.

    Parameters
    ----------
    sweep : lingauss.numeric.Sweep
        The result of :func:`lingauss.sweep` with an ``n`` grid.
    axis : str, default "n"
        The horizontal axis (any axis of the sweep; log scale when its values are ``> 0``).
    fixed : dict, optional
        ``{name: index}`` for the other axes (default index 0), stated in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lingauss
    >>> design = lingauss.SpectralDesign.power_law(d=16, k=4, n=32)
    >>> student = lingauss.Student(2.0, 0.5, width=4, rank=2, rank_rule="oracle")
    >>> res = lingauss.sweep(lingauss.Teacher(2.0, 1.0), student, design, n=[8, 32, 128])
    >>> fig = sample_size_plot(res)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('sample size n', 'log', 'log')
    """
    _check_sweep(sweep)
    check_option(axis, "axis", tuple(sweep.axes))
    index = _check_fixed(sweep, (axis,), fixed)
    x = _values(sweep, axis)

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    handles, drawn = [], False
    for term in ("total", *_STACK):
        y = _slice(sweep, _term(sweep, term), (axis,), index)
        style = {"color": COLOURS[term], "marker": "o", "markersize": 4,
                 "linewidth": 2 if term == "total" else 1.5}
        positive = y > 0
        if not positive.any():
            handles.append(Line2D([], [], color=COLOURS[term], linestyle="none", marker="x",
                                  label=f"{TERM_LABELS[term]} = 0 (not shown)"))
            continue
        label = TERM_LABELS[term] + ("" if positive.all() else " (zeros not shown)")
        (line,) = ax.plot(x, np.where(positive, y, np.nan), label=label, **style)
        handles.append(line)
        drawn = True
    _x_axis(ax, x, axis, log=True)
    if drawn:
        ax.set_yscale("log")
    ax.set_ylabel(DIVERGENCE_LABEL)
    ax.set_title(_with_held(f"Decomposition of K against {_symbol(axis)}", _held(sweep, index)))
    ax.legend(handles=handles, fontsize="small")
    return fig


def soft_labels_plot(sweeps, axis: str = "rank", *, fixed=None) -> Figure:
    """One :func:`terms_plot` panel per soft-label mode, side by side on a shared ``y`` axis.

    Sampled modes also show the convexity bound ``E_Ŷ KL(P_S(·|Ŷ)‖P_T) = K + I(Ŷ; W_S)``
    (MODEL.md §4) as a dotted line, drawn when the sweep has a ``convexity_bound`` term.

    Parameters
    ----------
    sweeps : dict
        ``{mode label: Sweep}``, e.g. ``{"mean": ..., "sampled": ...}``, in panel order.
    axis : str, default "rank"
        The horizontal axis, present in every sweep.
    fixed : dict, optional
        ``{name: index}`` for the other axes of every sweep (default index 0).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per mode, titled with the mode label (and the values held).

    Examples
    --------
    >>> import lingauss
    >>> design = lingauss.SpectralDesign.power_law(d=16, k=4, n=32)
    >>> teacher = lingauss.Teacher(2.0, 1.0)
    >>> student = lingauss.Student(2.0, 0.5, width=8, rank_rule="oracle")
    >>> sweeps = {mode: lingauss.sweep(teacher, student.replace(soft_labels=mode), design,
    ...                                rank=[1, 2, 4]) for mode in ("mean", "sampled")}
    >>> fig = soft_labels_plot(sweeps)
    >>> [ax.get_title() for ax in fig.axes]
    ['mean', 'sampled']
    """
    if not isinstance(sweeps, Mapping) or not sweeps:
        raise LingaussError(
            f"sweeps == {sweeps!r}, must be a non-empty dict {{soft-label mode: Sweep}}.")
    for label, sweep in sweeps.items():
        _check_sweep(sweep, f"sweeps[{label!r}]")
        check_option(axis, "axis", tuple(sweep.axes))
    indices = {label: _check_fixed(sweep, (axis,), fixed) for label, sweep in sweeps.items()}

    fig = Figure(figsize=(4.6 * len(sweeps) + 0.6, 4.6), layout="constrained")
    axes = fig.subplots(1, len(sweeps), sharey=True, squeeze=False)[0]
    for ax, (label, sweep) in zip(axes, sweeps.items()):
        _draw_terms(ax, sweep, axis, indices[label], bound=True)
        ax.set_title(_with_held(str(label), _held(sweep, indices[label])))
    # one y range for the shared axes: the largest of the panels
    axes[0].set_ylim(0, max(ax.get_ylim()[1] for ax in axes))
    axes[0].set_ylabel(DIVERGENCE_LABEL)
    fig.suptitle(f"Decomposition of K against {_symbol(axis)}, per soft-label mode")
    return fig


def save(fig: Figure, path) -> Figure:
    """Write ``fig`` as PNG, PDF or SVG, chosen by the extension of ``path`` (any case).

    Nothing is written when the extension is not one of ``SAVE_FORMATS`` or the folder does
    not exist (no folder is created).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, unchanged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> fig = frontier_plot([1, 2], [2.0, 1.0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save(fig, pathlib.Path(tmp) / "frontier.SVG")
    ...     (pathlib.Path(tmp) / "frontier.SVG").read_bytes()[:5]
    b'<?xml'
    >>> save(fig, "x.jpg")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: output file 'x.jpg' has extension '.jpg', must be one of ('.png', '.pdf', '.svg').
    """
    target = check_output_path(path)
    fig.savefig(target, format=target.suffix.lower()[1:])
    return fig


def check_output_path(path) -> pathlib.Path:
    """The checks of :func:`save` alone (extension, existing folder), before any work.

    >>> check_output_path("figure.pdf").name
    'figure.pdf'
    """
    given = os.fspath(path)
    target = pathlib.Path(given)
    if target.suffix.lower() not in SAVE_FORMATS:
        raise LingaussError(f"output file {given!r} has extension {target.suffix!r}, must be "
                            f"one of {SAVE_FORMATS}.")
    if not target.parent.is_dir():
        raise LingaussError(f"output folder {target.parent} does not exist.")
    return target


def bounds_plot(ranks, exact, bounds: dict) -> Figure:
    """Each generalisation bound against the exact gap difference, as the rank varies.

    Parameters
    ----------
    ranks : sequence of int
    exact : sequence of float
        ``Δ = E gap_student − E gap_teacher`` per rank (plotted as ``|Δ|`` and ``Δ``).
    bounds : dict
        ``{name: (side, values)}``; ``side`` ``"abs"`` bounds ``|Δ|`` from above, ``"lower"``
        bounds ``Δ`` from below.

    Examples
    --------
    >>> fig = bounds_plot([1, 2], [-0.5, -0.2], {"subgaussian": ("abs", [1.0, 0.8])})
    >>> fig.axes[0].get_xlabel()
    'student rank r'
    """
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    x = np.asarray(ranks, dtype=float)
    exact = np.asarray(exact, dtype=float)
    ax.plot(x, np.abs(exact), color="black", linewidth=2, marker="o", label="exact |Δ|")
    ax.plot(x, exact, color="black", linewidth=1, linestyle=":", label="exact Δ")
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]
    for colour, (name, (side, values)) in zip(palette, bounds.items()):
        style = "-" if side == "abs" else "--"
        label = f"{name} (bounds |Δ|)" if side == "abs" else f"{name} (lower bound on Δ)"
        ax.plot(x, np.asarray(values, dtype=float), color=colour, linestyle=style,
                marker=".", label=label)
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.set_xlabel(_axis_label("rank"))
    ax.set_ylabel("gap difference Δ (loss units)")
    ax.set_title("Generalisation bounds against the exact gap difference")
    ax.legend(fontsize="small")
    return fig
