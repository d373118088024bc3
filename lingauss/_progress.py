"""Progress on long work: a bar on stderr when it is a terminal, silent otherwise.

Monte Carlo expectations, ``check --full``, bounds with Monte Carlo and long loops through
the exact engine iterate through :func:`progress`. The bar (``tqdm``) shows only when stderr
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


def progress(iterable, *, desc: str, total: int | None = None):
    """``iterable``, wrapped in a ``tqdm`` bar on stderr when :func:`enabled`.

    >>> list(progress(range(3), desc="draws"))
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if not enabled() or (total is not None and total < MIN_TOTAL):
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False,
                dynamic_ncols=True)
