"""Writing figures: PNG, PDF or SVG chosen by the file's extension."""

from __future__ import annotations

import os
import pathlib

from matplotlib.figure import Figure

from .._validation import LingaussError

SAVE_FORMATS = (".png", ".pdf", ".svg")

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


