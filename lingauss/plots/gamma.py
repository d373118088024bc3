"""Figures of the proportional regime (derivations/random_design.md).

* :func:`gamma_plot` — double-descent curves against ``γ = d/n`` (log axis): the teacher's
  and the student's risk (left) and ``K``'s terms per unit of ``k·d`` (right), from the
  deterministic equivalents, with Monte Carlo points (± 2 standard errors) when the sweep
  has them;
* :func:`gamma_width_heatmap` — the student's risk and ``K/(kd)`` over ``(γ, width/d)``
  (Monte Carlo), side by side.
"""

from __future__ import annotations

import numpy as np

from lingauss.plots.canvas import (axis_length, new_figure, outside_legend, set_title, spaced_ticks,
                                   styled, tick_label)
from lingauss.plots.style import COLOURS, TERM_LABELS


@styled
def gamma_plot(sweep, *, held: str = ""):
    """Risk and ``K/(kd)`` against ``γ`` from a :class:`lingauss.gamma_sweep.GammaSweep`.

    Examples
    --------
    >>> from lingauss import RandomDesign, Student, Teacher
    >>> from lingauss.gamma_sweep import gamma_sweep
    >>> design = RandomDesign.power_law(d=20, k=2, n=40)
    >>> fig = gamma_plot(gamma_sweep(Teacher(1.0, 0.4), Student(1.0, 2.0), design))
    >>> [ax.get_xscale() for ax in fig.panels], fig.panels[1].get_ylabel()
    (['log', 'log'], 'K / (k d) (nats)')
    """
    g = sweep.gamma
    fig = new_figure("panels", 2)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    fig.panels += [left, right]
    left.plot(g, sweep.teacher["total"], color="0.45", linestyle="--", label="teacher")
    for term, style in (("bias", ":"), ("variance", "-.")):
        left.plot(g, sweep.student[term], color=COLOURS[term], linestyle=style,
                  label=f"student: {'bias²' if term == 'bias' else term}")
    left.plot(g, sweep.student["total"], color=COLOURS["total"], label="student")
    for term in ("bias", "variance", "rank_bottleneck", "total"):
        right.plot(g, sweep.divergence[term], color=COLOURS[term], label=TERM_LABELS[term],
                   linewidth=2 if term == "total" else 1.2)
    mc = sweep.monte_carlo
    if mc:
        x = [p["gamma"] for p in mc]
        for ax, key, colour, label in ((left, "teacher_risk", "0.45", "teacher (Monte Carlo)"),
                                       (left, "student_risk", COLOURS["total"],
                                        "student (Monte Carlo)"),
                                       (right, "K", COLOURS["total"], "K (Monte Carlo)")):
            ax.errorbar(x, [p[key] for p in mc], yerr=[2 * p[key + "_se"] for p in mc],
                        fmt="o", markersize=4, color=colour, capsize=2, label=label)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.75", linewidth=0.8, linestyle=":")
        ax.set_xlabel("γ = d / n")
        ax.set_ylim(bottom=0)
    left.set_ylabel("population excess risk")
    right.set_ylabel("K / (k d) (nats)")
    outside_legend(left)
    outside_legend(right)
    set_title(left, "Risk against γ" + (f"\n({held})" if held else ""))
    set_title(right, "Divergence K against γ (forward, parameter space)")
    return fig


@styled
def gamma_width_heatmap(grid, *, held: str = ""):
    """The student's risk and ``K/(kd)`` over ``(γ, width/d)`` from a
    :class:`lingauss.gamma_sweep.GammaWidthGrid` (cells equally spaced, values as tick
    labels; a log colour scale over more than a decade).

    Examples
    --------
    >>> from lingauss import RandomDesign, Student, Teacher
    >>> from lingauss.gamma_sweep import gamma_width_grid
    >>> design = RandomDesign.power_law(d=6, k=1, n=12)
    >>> grid = gamma_width_grid(Teacher(1.0, 1.0), Student(1.0, 1.0), design, [0.5, 1.0],
    ...                         [3, 6], monte_carlo=4)
    >>> fig = gamma_width_heatmap(grid)
    >>> [ax.get_xlabel() for ax in fig.panels]
    ['width / d', 'width / d']
    """
    from matplotlib.colors import LogNorm

    fig = new_figure("panels", 2)
    for i, (values, label, name) in enumerate(((grid.risk, "student risk", "Student risk"),
                                               (grid.K, "K / (k d) (nats)", "K / (k d)"))):
        ax = fig.add_subplot(1, 2, i + 1)
        fig.panels.append(ax)
        ax.lingauss_grid = {"x": grid.width, "y": grid.gamma}
        wide = np.all(values > 0) and values.max() > 10 * values.min()
        norm = LogNorm(vmin=values.min(), vmax=values.max()) if wide else None
        image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis", norm=norm,
                          interpolation="nearest")
        spaced_ticks(ax, "x", np.arange(grid.width.size),
                     [tick_label(w / grid.d) for w in grid.width],
                     length=axis_length(ax, "x", 0.6))
        spaced_ticks(ax, "y", np.arange(grid.gamma.size), [tick_label(g) for g in grid.gamma],
                     length=axis_length(ax, "y", 0.65))
        ax.set_xlabel("width / d")
        ax.set_ylabel("γ = d / n")
        fig.colorbar(image, ax=ax, label=label)
        set_title(ax, f"{name}, {grid.draws} input draws per cell"
                  + (f"\n({held})" if held and i == 0 else ""))
    return fig
