"""BLAS threads: one thread for the engine's small factorizations.

numpy and scipy each bundle an OpenBLAS; on a small machine their threads oversubscribe the
cores on small ``d × d`` factorizations and triangular solves, which then run several times
slower than on one thread (``benchmarks/bench_divergence.py`` measures both). The engine runs
its linear algebra inside :func:`blas_threads`, which limits every BLAS to one thread (with
``threadpoolctl``, as scikit-learn does) for problems below :data:`SMALL`; larger problems keep
the default threads, where they pay off. ``LINGAUSS_BLAS_THREADS=default`` turns the limit off.
"""

from __future__ import annotations

import contextlib
import os

#: Problems with fewer inputs than this run their BLAS calls on one thread.
SMALL = 1024
ENV = "LINGAUSS_BLAS_THREADS"
_CONTROLLER = []


def _controller():
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


@contextlib.contextmanager
def blas_threads(size: int):
    """Limit BLAS to one thread while the block runs, for problems of ``size < SMALL``.

    >>> with blas_threads(8):
    ...     pass
    """
    if size >= SMALL or os.environ.get(ENV, "").lower() == "default":
        yield
        return
    with _controller().limit(limits=1, user_api="blas"):
        yield
