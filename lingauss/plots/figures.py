"""The figures: each builds a :class:`matplotlib.figure.Figure` from a sweep (never pyplot)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lingauss._core.validation import (LingaussError, check_array, check_int, check_option,
                                       check_real)
from lingauss.explore.design import pareto_mask
from lingauss.plots.canvas import (axis_length, new_figure, outside_legend, set_title, spaced_ticks,
                                   styled, tick_label)
from lingauss.plots.style import (COLOURS, DIVERGENCE_LABEL, MAX_TICKS, STACK, TERM_LABELS,
                                  axis_label, axis_values, check_fixed, check_pareto, check_sweep,
                                  draw_terms, held, slice_axes, symbol, term_values, with_held,
                                  x_axis)

# --------------------------------------------------------------------------------------------
# Public figures
# --------------------------------------------------------------------------------------------

@styled
def terms_plot(sweep, axis: str, *, fixed=None, title=None, held_too: str = "") -> Figure:
    """The decomposition ``K = bias + variance + rank_bottleneck`` against one axis.

    Stacked areas of the three summands (docs/model.md §4), the ``total`` line drawn on top (the
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
    held_too : str, optional
        Other quantities held fixed (e.g. the spec's ``"β_S = 4, n = 64"``), stated in the
        title after the sweep's.

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
    check_sweep(sweep)
    check_option(axis, "axis", tuple(sweep.axes))
    index = check_fixed(sweep, (axis,), fixed)
    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    draw_terms(ax, sweep, axis, index, bound=False)
    ax.set_ylabel(DIVERGENCE_LABEL)
    default = f"Decomposition of K against {symbol(axis)}"
    set_title(ax, with_held(default if title is None else title,
                            _both(held(sweep, index), held_too)))
    return fig


def _both(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


@styled
def heatmap(sweep, x: str, y: str, *, term: str = "total", fixed=None, log: bool = True,
            held_too: str = "") -> Figure:
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
    held_too : str, optional
        Other quantities held fixed, stated in the title after the sweep's.

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
    check_sweep(sweep)
    names = tuple(sweep.axes)
    check_option(x, "x", names)
    check_option(y, "y", names)
    if x == y:
        raise LingaussError(f"x == y == {x!r}, must be two different axes of {names}.")
    values = term_values(sweep, term)
    index = check_fixed(sweep, (y, x), fixed)
    grid = slice_axes(sweep, values, (y, x), index)          # (len(y), len(x))
    xv, yv = axis_values(sweep, x), axis_values(sweep, y)

    fig = new_figure("heatmap")
    ax = fig.add_subplot()
    fig.panels.append(ax)
    ax.lingauss_grid = {"x": xv, "y": yv}          # cells are grid values (for limits)
    norm = LogNorm(vmin=grid.min(), vmax=grid.max()) if log and np.all(grid > 0) else None
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", norm=norm,
                      interpolation="nearest")
    # at most MAX_TICKS labels, fewer when they would collide (regression: heatmap-ridge)
    for which, values, share in (("x", xv, 0.6), ("y", yv, 0.65)):
        step = max(1, int(np.ceil(len(values) / MAX_TICKS)))
        ticks = np.arange(0, len(values), step)
        spaced_ticks(ax, which, ticks, [tick_label(values[i]) for i in ticks],
                     length=axis_length(ax, which, share))
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    fig.colorbar(image, ax=ax, label=f"{TERM_LABELS.get(term, term)} (nats)")
    set_title(ax, with_held(f"{TERM_LABELS.get(term, term)} over {symbol(x)} × {symbol(y)}",
                            _both(held(sweep, index), held_too)))
    return fig


@styled
def frontier_plot(sizes, divergences, *, pareto=None, recommended=None, budget=None,
                  xlabel: str = "parameters r(m + k)", held: str = "") -> Figure:
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
    held : str, optional
        What is held fixed across the designs, stated in the title.

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
    mask = pareto_mask(sizes, divergences) if pareto is None else check_pareto(pareto, n)
    if recommended is not None:
        recommended = check_int(recommended, "recommended", low=0, high=n - 1,
                                high_rule="len(sizes) - 1")
    if budget is not None:
        budget = check_real(budget, "budget", low=0, low_inclusive=True)

    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    ax.scatter(sizes, divergences, s=18, color="#999999", alpha=0.7, label="candidate designs",
               zorder=2)
    order = np.flatnonzero(mask)[np.lexsort((divergences[mask], sizes[mask]))]
    ax.step(sizes[order], divergences[order], where="post", color="#0072B2", linewidth=2,
            marker="o", markersize=5, label="Pareto frontier", zorder=3)
    if recommended is not None:
        xr, yr = sizes[recommended], divergences[recommended]
        ax.scatter([xr], [yr], s=220, marker="*", color="#D55E00", edgecolor="black",
                   linewidth=0.8, label="recommended", zorder=4)
    if budget is not None:
        ax.axhline(budget, color="#CC79A7", linestyle="--", linewidth=1.5,
                   label=f"budget K ≤ {budget:g}", zorder=1)
    if np.all(divergences > 0) and (budget is None or budget > 0):
        ax.set_yscale("log")
    if recommended is not None:
        _note(ax, xr, yr, divergences.min())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(DIVERGENCE_LABEL)
    set_title(ax, with_held("Size against divergence: the Pareto frontier", held))
    outside_legend(ax)
    return fig


def _note(ax, xr, yr, lowest) -> None:
    """"recommended, size, K" in a band below every design (the lowest quarter of the axes,
    made by lowering the y limit): never over a marker or a line, at any figure size."""
    f, inverse = (np.log10, lambda v: 10.0 ** v) if ax.get_yscale() == "log" else \
        (lambda v: v, lambda v: v)
    lo, hi = ax.get_ylim()
    band = (f(lowest) - 0.25 * f(hi)) / 0.75            # f(lowest) − band = (f(hi) − band)/4
    if band < f(lo):
        ax.set_ylim(inverse(band), hi)
    x0, x1 = ax.get_xlim()
    at = (xr - x0) / (x1 - x0) if x1 > x0 else 0.5
    # straight below the star (nothing is there: a design of its size with a smaller K would
    # dominate it), moved in from the sides of the axes
    ha = "left" if at < 0.2 else "right" if at > 0.8 else "center"
    ax.annotate(f"recommended\nsize {xr:g}, K = {yr:.3g}", xy=(xr, yr),
                xytext=(max(at - 0.04, 0.02) if ha == "left" else min(at + 0.04, 0.98)
                        if ha == "right" else at, 0.03),
                textcoords="axes fraction", ha=ha, va="bottom", fontsize="small",
                arrowprops={"arrowstyle": "->", "color": "black", "shrinkB": 6})


@styled
def sample_size_plot(sweep, *, axis: str = "n", fixed=None, held_too: str = "") -> Figure:
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
    held_too : str, optional
        Other quantities held fixed (e.g. ``"m = 16, r = 8"``), stated in the title.

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
    check_sweep(sweep)
    check_option(axis, "axis", tuple(sweep.axes))
    index = check_fixed(sweep, (axis,), fixed)
    x = axis_values(sweep, axis)

    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    handles, drawn = [], False
    for term in ("total", *STACK):
        y = slice_axes(sweep, term_values(sweep, term), (axis,), index)
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
    x_axis(ax, x, axis, log=True)
    if drawn:
        ax.set_yscale("log")
    ax.set_ylabel(DIVERGENCE_LABEL)
    set_title(ax, with_held(f"Decomposition of K against {symbol(axis)}",
                            _both(held(sweep, index), held_too)))
    outside_legend(ax, handles)
    return fig


@styled
def soft_labels_plot(sweeps, axis: str = "rank", *, fixed=None, held_too: str = "") -> Figure:
    """One :func:`terms_plot` panel per soft-label mode, side by side on a shared ``y`` axis.

    Sampled modes also show the convexity bound ``E_Ŷ KL(P_S(·|Ŷ)‖P_T) = K + I(Ŷ; W_S)``
    (docs/model.md §4) as a dotted line, drawn when the sweep has a ``convexity_bound`` term.

    Parameters
    ----------
    sweeps : dict
        ``{mode label: Sweep}``, e.g. ``{"mean": ..., "sampled": ...}``, in panel order.
    axis : str, default "rank"
        The horizontal axis, present in every sweep.
    fixed : dict, optional
        ``{name: index}`` for the other axes of every sweep (default index 0).
    held_too : str, optional
        Other quantities held fixed, stated in the figure's title.

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
        check_sweep(sweep, f"sweeps[{label!r}]")
        check_option(axis, "axis", tuple(sweep.axes))
    indices = {label: check_fixed(sweep, (axis,), fixed) for label, sweep in sweeps.items()}

    fig = new_figure("panels", len(sweeps))
    axes = fig.subplots(1, len(sweeps), sharey=True, squeeze=False)[0]
    fig.panels.extend(axes)
    for ax, (label, sweep) in zip(axes, sweeps.items()):
        draw_terms(ax, sweep, axis, indices[label], bound=True)
        set_title(ax, with_held(str(label), held(sweep, indices[label])))
    # one y range for the shared axes: the largest of the panels
    axes[0].set_ylim(0, max(ax.get_ylim()[1] for ax in axes))
    axes[0].set_ylabel(DIVERGENCE_LABEL)
    fig.title_texts.append(fig.suptitle(with_held(
        f"Decomposition of K against {symbol(axis)}, per soft-label mode", held_too)))
    return fig


@styled
def bounds_plot(ranks, exact, bounds: dict, *, held: str = "") -> Figure:
    """Each generalisation bound against the exact gap difference, as the rank varies.

    Parameters
    ----------
    ranks : sequence of int
    exact : sequence of float
        ``Δ = E gap_student − E gap_teacher`` per rank (plotted as ``|Δ|`` and ``Δ``).
    bounds : dict
        ``{name: (side, values)}``; ``side`` ``"abs"`` bounds ``|Δ|`` from above, ``"lower"``
        bounds ``Δ`` from below.
    held : str, optional
        What is held fixed (soft labels, width, divergence), stated in the title.

    Examples
    --------
    >>> fig = bounds_plot([1, 2], [-0.5, -0.2], {"subgaussian": ("abs", [1.0, 0.8])})
    >>> fig.axes[0].get_xlabel()
    'student rank r'
    """
    fig = new_figure()
    ax = fig.subplots()
    fig.panels.append(ax)
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
    ax.set_xlabel(axis_label("rank"))
    ax.set_ylabel("gap difference Δ (loss units)")
    set_title(ax, with_held("Generalisation bounds against the exact gap difference", held))
    outside_legend(ax)
    return fig

