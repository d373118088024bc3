"""Figures publishers accept: named styles, figures made inside an rc context, readable
ticks, legends off the data, and figures that show themselves in a notebook.

* :data:`STYLES` — ``"default"``, ``"paper"`` (a one-column figure, 8 pt text) and
  ``"slides"`` (large text): sizes, font sizes and line widths;
* :func:`use_style` — figures made inside use a style (and a size or font size of one's
  own); every plot function runs inside ``matplotlib.rc_context`` with it, so nothing leaks
  into the user's global matplotlib settings (:func:`styled`);
* :class:`LingaussFigure` — the :class:`matplotlib.figure.Figure` every plot function
  returns: ``_repr_png_`` and ``_repr_svg_`` (a notebook shows it without
  ``%matplotlib inline``), its data panels, and its titles;
* :func:`spaced_ticks` — tick labels thinned until they cannot collide;
* :func:`outside_legend` — the legend beside the axes, never over the data.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import math
from dataclasses import dataclass, replace

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import NullLocator

from lingauss._core.validation import LingaussError, check_option, check_real

#: What :func:`lingauss.plots.save` writes with: TrueType (Type 42) fonts in PDF and
#: PostScript, text kept as text in SVG, 300 dpi for PNG.
PUBLISH_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}
#: Resolution of PNG files by default (dots per inch).
DPI = 300
#: Resolution of the PNG a notebook shows.
NOTEBOOK_DPI = 110


@dataclass(frozen=True)
class Style:
    """Sizes (inches, per shape of figure), the font size (pt) and the line width (pt)."""

    name: str
    single: tuple       # one panel
    heatmap: tuple      # one panel and a colour bar
    panel: tuple        # each panel of a row of panels
    font_size: float
    line_width: float

    def size(self, shape: str, panels: int = 1) -> tuple:
        if shape == "panels":
            return (self.panel[0] * panels + 0.4, self.panel[1])
        return getattr(self, shape)

    def rc(self) -> dict:
        fs = self.font_size
        return {"font.size": fs, "axes.titlesize": fs, "axes.labelsize": fs,
                "figure.titlesize": fs * 1.1, "xtick.labelsize": fs * 0.9,
                "ytick.labelsize": fs * 0.9, "legend.fontsize": fs * 0.85,
                "lines.linewidth": self.line_width, "lines.markersize": 0.4 * fs,
                "axes.linewidth": 0.8 * self.line_width / 1.5}


STYLES = {
    "default": Style("default", (6.4, 4.4), (6.4, 4.8), (4.6, 4.6), 10.0, 1.5),
    "paper": Style("paper", (3.4, 2.55), (3.4, 2.7), (3.4, 2.7), 8.0, 1.0),
    "slides": Style("slides", (8.0, 4.5), (8.0, 4.8), (6.0, 4.5), 16.0, 2.5),
}
_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("lingauss_plot_style", default=None)


def check_size(size, name: str = "size") -> tuple:
    """``(width, height)`` in inches, each a finite number in ``[0.5, 50]``.

    >>> check_size((3.4, 2.5))
    (3.4, 2.5)
    >>> check_size((3.4, 100))
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: size[1] == 100, must be <= 50.
    """
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise LingaussError(f"{name} == {size!r}, must be (width, height) in inches.")
    return tuple(check_real(v, f"{name}[{j}]", low=0.5, high=50, low_inclusive=True)
                 for j, v in enumerate(size))


def resolve_style(style=None, *, size=None, font_size=None) -> Style:
    """The :class:`Style` named ``style`` (None: the current one, see :func:`use_style`)
    with ``size`` (inches, every shape) and ``font_size`` (pt) of one's own.

    >>> resolve_style("paper", font_size=9).font_size
    9.0
    >>> resolve_style("poster")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for style: 'poster'. Possible values: ('default', 'paper', 'slides').
    """
    if style is None:
        base = current_style()
    elif isinstance(style, Style):
        base = style
    else:
        base = STYLES[check_option(style, "style", tuple(STYLES))]
    if size is not None:
        w, h = check_size(size)
        base = replace(base, single=(w, h), heatmap=(w, h), panel=(w / 2, h))
    if font_size is not None:
        base = replace(base, font_size=check_real(font_size, "font_size", low=4, high=72,
                                                   low_inclusive=True))
    return base


@contextlib.contextmanager
def use_style(style="default", *, size=None, font_size=None):
    """Figures made inside this ``with`` block use ``style`` (see :func:`resolve_style`).

    >>> from lingauss.plots import frontier_plot
    >>> with use_style("paper"):
    ...     fig = frontier_plot([1, 2], [2.0, 1.0])
    >>> fig.get_size_inches().tolist()
    [3.4, 2.55]
    """
    token = _ACTIVE.set(resolve_style(style, size=size, font_size=font_size))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def current_style() -> Style:
    return _ACTIVE.get() or STYLES["default"]


def styled(fn):
    """Run a plot function inside ``matplotlib.rc_context`` with the current style."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(current_style().rc()):
            return fn(*args, **kwargs)

    return wrapper


class LingaussFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that a notebook shows as PNG or SVG (no
    ``%matplotlib inline`` needed), knows its data panels (not the colour bars) and its
    titles.

    >>> from lingauss.plots import frontier_plot
    >>> fig = frontier_plot([1, 2], [2.0, 1.0])
    >>> fig._repr_png_()[:4], len(fig.panels), fig.titles()
    (b'\x89PNG', 1, ['Size against divergence: the Pareto frontier'])
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.panels: list = []
        self.title_texts: list = []
        self.hidden_titles: list = []

    def _render(self, fmt: str, **kwargs) -> bytes:
        buf = io.BytesIO()
        with matplotlib.rc_context(PUBLISH_RC):
            self.savefig(buf, format=fmt, **kwargs)
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self._render("png", dpi=NOTEBOOK_DPI)

    def _repr_svg_(self) -> str:
        return self._render("svg").decode("utf-8")

    def titles(self) -> list:
        """The titles (panel titles and the figure's), as drawn."""
        return [t.get_text() for t in self.title_texts if t.get_text()]

    def hide_titles(self) -> list:
        """Remove every title (for a caption in the paper instead); returns their texts
        (also kept in ``hidden_titles``)."""
        texts = self.titles()
        self.hidden_titles += texts
        for t in self.title_texts:
            t.set_text("")
        return texts


def new_figure(shape: str = "single", panels: int = 1) -> LingaussFigure:
    """A constrained-layout :class:`LingaussFigure` of the current style's size."""
    return LingaussFigure(figsize=current_style().size(shape, panels), layout="constrained")


def set_title(ax, text: str):
    """``ax.set_title`` that the figure remembers (for ``--no-title``)."""
    title = ax.set_title(text)
    ax.figure.title_texts.append(title)
    return title


def _font_points(key: str) -> float:
    return FontProperties(size=matplotlib.rcParams[key]).get_size_in_points()


def spaced_ticks(ax, which: str, positions, labels, *, length: float) -> None:
    """Ticks at ``positions`` labelled ``labels``, every ``step``-th one, ``step`` the smallest
    for which no two labels can touch along an axis of ``length`` inches (estimated from the
    tick font: labels about 0.6 em per character wide and 1.3 em high, plus a gap).

    >>> fig = new_figure()
    >>> ax = fig.add_subplot()
    >>> spaced_ticks(ax, "x", range(9), [f"{0.02 * 10 ** (j / 2):g}" for j in range(9)],
    ...              length=4.0)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0.02', '0.632456', '20']
    """
    positions, labels = list(positions), list(labels)
    size = _font_points(f"{which}tick.labelsize") / 72.0       # inches
    if which == "x":
        need = max((0.62 * len(t) + 1.2) * size for t in labels) if labels else 0
    else:
        need = 1.6 * size
    fit = max(1, int(length / need)) if need else len(positions)
    step = max(1, math.ceil(len(positions) / fit))
    keep = list(range(0, len(positions), step))
    setter = ax.set_xticks if which == "x" else ax.set_yticks
    setter([positions[i] for i in keep], labels=[labels[i] for i in keep])
    (ax.xaxis if which == "x" else ax.yaxis).set_minor_locator(NullLocator())


def axis_length(ax, which: str, fraction: float) -> float:
    """Inches an axis has at most: ``fraction`` of the figure's width or height."""
    w, h = ax.figure.get_size_inches()
    ncols = max(1, len(ax.figure.panels))
    return fraction * (w / ncols if which == "x" else h)


#: Figures narrower than this (inches; a one-column figure) get their legend below the axes.
NARROW = 4.5


def outside_legend(ax, handles=None, **kwargs):
    """The legend off the data: beside the axes (upper right, outside), or below the axis
    label in two columns when the figure is narrower than :data:`NARROW` inches (a
    one-column figure, where a legend beside would take half the width). The constrained
    layout makes room for it.

    >>> fig = new_figure()
    >>> ax = fig.add_subplot()
    >>> _ = ax.plot([0, 1], [0, 1], label="line")
    >>> outside_legend(ax).get_bbox_to_anchor().bounds == ax.bbox.bounds
    False
    """
    fig = ax.get_figure()
    if fig.get_figwidth() < NARROW and len(fig.axes) == 1:
        from matplotlib.transforms import offset_copy
        size = FontProperties(size=matplotlib.rcParams["font.size"]).get_size_in_points()
        below = offset_copy(ax.transAxes, fig=fig, y=-(2.4 * size + 12), units="points")
        place = {"loc": "upper center", "bbox_to_anchor": (0.5, 0.0),
                 "bbox_transform": below, "ncol": 2, "columnspacing": 1.0}
    else:
        place = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}
    kwargs = {**place, "borderaxespad": 0.0, "frameon": False, **kwargs}
    return ax.legend(handles=handles, **kwargs) if handles is not None else ax.legend(**kwargs)


def tick_label(value: float) -> str:
    """A grid value as a short tick label (3 significant figures).

    >>> [tick_label(v) for v in (0.0632456, 2.0, 200.0, 1234.5)]
    ['0.0632', '2', '200', '1.23e+03']
    """
    return f"{value:.3g}"


def check_limits(value, name: str) -> tuple | None:
    """``(lo, hi)``, finite with ``lo < hi`` (None stays None).

    >>> check_limits((1, 8), "xlim")
    (1.0, 8.0)
    >>> check_limits((8, 1), "xlim")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: xlim == (8, 1), must have low < high.
    """
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise LingaussError(f"{name} == {value!r}, must be (low, high).")
    lo, hi = (check_real(v, f"{name}[{j}]") for j, v in enumerate(value))
    if not lo < hi:
        raise LingaussError(f"{name} == ({lo:g}, {hi:g}), must have low < high.")
    return lo, hi


def apply_limits(fig: LingaussFigure, xlim=None, ylim=None, *, names=("xlim", "ylim")
                 ) -> LingaussFigure:
    """Axis limits in data units on every panel. A heat map's cells are grid values: the
    limits keep the cells whose values lie within them. A log axis needs ``low > 0``.
    ``names`` name the two limits in messages.

    >>> from lingauss.plots import frontier_plot
    >>> fig = apply_limits(frontier_plot([1, 2, 3], [3.0, 2.0, 1.0]), xlim=(0, 4))
    >>> [float(x) for x in fig.panels[0].get_xlim()]
    [0.0, 4.0]
    """
    for which, lim, name in (("x", check_limits(xlim, names[0]), names[0]),
                             ("y", check_limits(ylim, names[1]), names[1])):
        if lim is None:
            continue
        for ax in fig.panels:
            grid = getattr(ax, "lingauss_grid", {}).get(which)
            if grid is not None:
                inside = np.flatnonzero((grid >= lim[0]) & (grid <= lim[1]))
                if inside.size == 0:
                    raise LingaussError(
                        f"{name} == ({lim[0]:g}, {lim[1]:g}) holds no grid value of the "
                        f"{which} axis, must hold one of the values {grid.min():g} to "
                        f"{grid.max():g}.")
                lim_cells = (inside[0] - 0.5, inside[-1] + 0.5)
                (ax.set_xlim if which == "x" else ax.set_ylim)(*lim_cells)
                continue
            scale = ax.get_xscale() if which == "x" else ax.get_yscale()
            if scale == "log" and lim[0] <= 0:
                raise LingaussError(f"{name} == ({lim[0]:g}, {lim[1]:g}) on a log axis, "
                                    f"must have low > 0.")
            (ax.set_xlim if which == "x" else ax.set_ylim)(*lim)
    return fig
