"""BLAS threads: no oversubscription on the engine's factorizations.

numpy and scipy each bundle an OpenBLAS, and each starts one thread per core. Their pools
then compete for the same cores, and on small ``d × d`` factorizations thread start-up
dominates: on the 2-core test machine the engine ran 3–5× slower with the default threads
than with one, at every size measured up to ``d = 2048`` (``benchmarks/bench_scale.py``).
The engine therefore runs its linear algebra inside :func:`blas_threads`, which (with
``threadpoolctl``, as scikit-learn does) limits every BLAS to one thread below :data:`SMALL`
and to half the cores above it (the two pools together then fill the machine once).
``LINGAUSS_BLAS_THREADS`` overrides: ``default`` (no limit) or a number of threads.
"""

from __future__ import annotations

import contextlib
import os

#: Problems with fewer inputs than this run their BLAS calls on one thread.
SMALL = 512
ENV = "LINGAUSS_BLAS_THREADS"
_CONTROLLER = []


def _controller():
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def threads_for(size: int) -> int | None:
    """The BLAS threads for a problem of ``size`` inputs (None: no limit).

    >>> threads_for(8)
    1
    """
    setting = os.environ.get(ENV, "").strip().lower()
    if setting == "default":
        return None
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    if size < SMALL:
        return 1
    return max(1, (os.cpu_count() or 2) // 2)


@contextlib.contextmanager
def blas_threads(size: int):
    """Limit BLAS threads (:func:`threads_for`) while the block runs.

    >>> with blas_threads(8):
    ...     pass
    """
    threads = threads_for(size)
    if threads is None:
        yield
        return
    with _controller().limit(limits=threads, user_api="blas"):
        yield
