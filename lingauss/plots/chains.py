"""Figures of distillation chains (docs/model.md §7–8).

* :func:`risk_generation_plot` — each generation's risk as stacked bars (``bias²`` below,
  ``variance`` above) and its divergence ``K`` to the teacher on a second axis;
* :func:`filters_plot` — the per-mode filters ``f_g(s)`` of a ``pca`` chain against the
  eigenvalue ``s`` (log axis): 1 keeps a mode's least-squares coefficient, 0 removes it.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.plots.canvas import new_figure, outside_legend, set_title, styled
from lingauss.plots.style import COLOURS


@styled
def risk_generation_plot(report, *, held: str = ""):
    """Risk (bars) and ``K`` to the teacher (line, right axis) per generation.

    Parameters
    ----------
    report : lingauss.chain_report.ChainReport
    held : str, optional
        What the figure holds fixed, stated in the title.

    Examples
    --------
    >>> from lingauss import Chain, Sample, Student, Teacher
    >>> from lingauss.chain_report import chain_report
    >>> chain = Chain(Teacher(2.0, 1.0), [Student(2.0, 1.0)] * 3)
    >>> fig = risk_generation_plot(chain_report(chain, Sample.synthetic(
    ...     d=4, k=2, n=8, noise=0.5, seed=0)))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['excess risk', 'K to the teacher (nats)']
    """
    g = report.column("generation")
    bias, variance = report.column("bias"), report.column("variance")
    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    bars = [ax.bar(g, bias, color=COLOURS["bias"], label="risk: bias²", width=0.6),
            ax.bar(g, variance, bottom=bias, color=COLOURS["variance"],
                   label="risk: variance", width=0.6)]
    ax.set_xlabel("generation g (0: the teacher)")
    ax.set_ylabel("excess risk")
    ax.set_xticks(g)
    ax.set_xticklabels([str(int(x)) for x in g])
    right = ax.twinx()
    line, = right.plot(g, report.column("K_teacher"), color=COLOURS["total"], marker="o",
                       label=f"K(g ‖ 0), {report.space}, {report.direction}")
    right.set_ylabel("K to the teacher (nats)")
    right.set_ylim(bottom=0)
    # below the axes (the right-hand side holds the second axis); constrained layout makes
    # room for a figure legend placed "outside"
    fig.legend(handles=bars + [line], loc="outside lower center", ncol=2, frameon=False)
    title = f"Risk ({report.kind} design) and divergence per generation"
    set_title(ax, title + (f"\n({held})" if held else ""))
    return fig


@styled
def filters_plot(s, filters, *, labels=None, held: str = ""):
    """The filters ``f_g(s)`` (rows of ``filters``) against ``s`` on a log axis.

    Parameters
    ----------
    s : array of shape (d,)
        Positive eigenvalues.
    filters : array of shape (G + 1, d)
        From :meth:`lingauss.Chain.filters`.
    labels : sequence of str, optional
        One per row (default ``"g = 0 (teacher)"``, ``"g = 1"``, ...).

    Examples
    --------
    >>> from lingauss import Chain, Student, Teacher
    >>> s = np.geomspace(100, 0.01, 30)
    >>> f = Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0)] * 3).filters(s)
    >>> filters_plot(s, f).axes[0].get_xscale()
    'log'
    """
    s = np.asarray(s, dtype=float)
    filters = np.atleast_2d(np.asarray(filters, dtype=float))
    if s.ndim != 1 or not np.all(s > 0) or filters.shape[1] != s.size:
        raise LingaussError(f"filters_plot needs positive eigenvalues s (d,) and filters "
                            f"(G + 1, d); got s {s.shape} and filters {filters.shape}.")
    order = np.argsort(s)
    labels = labels or [f"g = {g}" + (" (teacher)" if g == 0 else "")
                        for g in range(filters.shape[0])]
    fig = new_figure()
    ax = fig.add_subplot()
    fig.panels.append(ax)
    shades = np.linspace(0.15, 0.85, filters.shape[0])
    for row, label, shade in zip(filters, labels, shades):
        ax.plot(s[order], row[order], marker=".", label=label,
                color=(shade * 0.0, shade * 0.45, 0.7 * shade + 0.3))
    ax.set_xscale("log")
    ax.axhline(1.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("eigenvalue s of XXᵀ")
    ax.set_ylabel("filter f_g(s)")
    outside_legend(ax)
    set_title(ax, "Per-mode filters of the chain" + (f"\n({held})" if held else ""))
    return fig
