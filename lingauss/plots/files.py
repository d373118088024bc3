"""Writing figures as publishers take them: vector PDF and SVG with TrueType (Type 42) fonts
— no Type 3 bitmaps — and PNG at 300 dpi, chosen by the file's extension."""

from __future__ import annotations

import os
import pathlib

import matplotlib
from matplotlib.figure import Figure

from lingauss._core.validation import LingaussError, check_real
from lingauss.plots.canvas import DPI, PUBLISH_RC

SAVE_FORMATS = (".png", ".pdf", ".svg")


def save(fig: Figure, path, *, dpi: float = DPI) -> Figure:
    """Write ``fig`` as PNG, PDF or SVG, chosen by the extension of ``path`` (any case).

    PDF (and PostScript) embed TrueType (Type 42) fonts, SVG keeps its text as text
    (``svg.fonttype = "none"``), PNG is ``dpi`` dots per inch (300 by default): what journals
    ask for. The settings hold for this call only (``matplotlib.rc_context``). Nothing is
    written when the extension is not one of ``SAVE_FORMATS`` or the folder does not exist
    (no folder is created).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
    dpi : float, default 300
        Resolution of a PNG (and of images inside a PDF or SVG), from 10 to 2400.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, unchanged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from lingauss.plots import frontier_plot
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
    dpi = check_real(dpi, "dpi", low=10, high=2400, low_inclusive=True)
    with matplotlib.rc_context(PUBLISH_RC):
        fig.savefig(target, format=target.suffix.lower()[1:], dpi=dpi)
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


