"""Progress on long work: a bar on stderr when it is a terminal, silent otherwise.

Monte Carlo expectations (label draws in blocks), ``check --full`` (its cases), bounds with
Monte Carlo (configurations and label draws), sweeps through the exact engine
(:func:`lingauss.design.explore`, ``lingauss sweep``) and the searches of
:func:`lingauss.design.recommend` iterate through :func:`progress`. The bar (``tqdm``) shows only when stderr
is a terminal and progress is not switched off (``LINGAUSS_QUIET=1``, or ``--quiet`` on the
command line). Ctrl-C raises ``KeyboardInterrupt`` as usual; the command line turns it into
one line and exit status 130, with nothing written.
"""

from __future__ import annotations

import os
import sys

ENV_QUIET = "LINGAUSS_QUIET"
#: Loops shorter than this never show a bar.
MIN_TOTAL = 20


def enabled() -> bool:
    """Whether a progress bar may show (stderr is a terminal and progress is not off)."""
    if os.environ.get(ENV_QUIET, "").strip() not in ("", "0"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(iterable, *, desc: str, total: int | None = None, min_total: int = MIN_TOTAL):
    """``iterable``, wrapped in a ``tqdm`` bar on stderr when :func:`enabled` and it has at
    least ``min_total`` items (lower it for a few slow items, e.g. ``check --full``'s cases).

    >>> list(progress(range(3), desc="draws"))
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if not enabled() or (total is not None and total < min_total):
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False,
                dynamic_ncols=True)
