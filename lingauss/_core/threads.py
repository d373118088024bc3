"""BLAS threads: no oversubscription on the engine's factorizations.

numpy and scipy each bundle an OpenBLAS, and each starts one thread per core. Their pools
then compete for the same cores (an idle OpenBLAS thread spins for a while before it
sleeps), and on small ``d × d`` factorizations thread start-up dominates. Measured on the
2-core test machine (``benchmarks/bench_scale.py``, cold ``divergence``, general basis /
``pca`` basis): at ``d = 256`` 5 / 7 ms with one thread everywhere against 41 / 14 ms with the
default threads; at ``d = 2048`` 0.75 / 1.48 s with one thread everywhere, 1.01 / 0.95 s with
the default threads, and 0.58 / 0.95 s with numpy's BLAS on every core and scipy's on one.
The engine's large products and its eigen-decompositions go through numpy, its Cholesky
factorizations and triangular solves through scipy, one after the other, so the second
pool gains little from more threads and costs the first one its cores.

The engine therefore runs its linear algebra inside :func:`blas_threads` (with
``threadpoolctl``, as scikit-learn does): below :data:`SMALL` inputs every BLAS runs on one
thread; above it numpy's BLAS keeps its threads and every other BLAS runs on one. Where
numpy's BLAS cannot be told apart from the others (several pools, none inside numpy's
installation) every pool gets half the cores, so that together they fill the machine once.
``LINGAUSS_BLAS_THREADS`` overrides: ``default`` (no limit) or a number of threads for every
BLAS.
"""

from __future__ import annotations

import contextlib
import os

#: Problems with fewer inputs than this run their BLAS calls on one thread.
SMALL = 512
ENV = "LINGAUSS_BLAS_THREADS"
_POOLS = []


def pools():
    """``(numpy's BLAS pools, the other BLAS pools)``: threadpoolctl controllers, found once.

    >>> mine, others = pools()
    >>> len(mine) + len(others) >= 1
    True
    """
    if not _POOLS:
        import numpy
        from threadpoolctl import ThreadpoolController
        home = os.path.realpath(os.path.dirname(numpy.__file__))     # numpy.libs starts so too
        blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
        mine = [lib for lib in blas if os.path.realpath(lib.filepath).startswith(home)]
        if len(blas) == 1:
            mine = blas                                               # one pool, shared
        _POOLS.append((mine, [lib for lib in blas if lib not in mine]))
    return _POOLS[0]


def threads_for(size: int, *, numpy_pool: bool = True, told_apart: bool = True) -> int | None:
    """The BLAS threads of one pool for a problem of ``size`` inputs (None: no limit).

    Parameters
    ----------
    size : int
        The number of inputs ``d``.
    numpy_pool : bool
        Whether the pool is numpy's BLAS (above :data:`SMALL` it keeps its threads; any other
        pool runs on one thread).
    told_apart : bool
        False where numpy's pool could not be identified among several: every pool then gets
        half the cores above :data:`SMALL`.

    Examples
    --------
    >>> threads_for(8), threads_for(4096, numpy_pool=False)
    (1, 1)
    """
    setting = os.environ.get(ENV, "").strip().lower()
    if setting == "default":
        return None
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    if size < SMALL:
        return 1
    if not told_apart:
        return max(1, (os.cpu_count() or 2) // 2)
    return None if numpy_pool else 1


@contextlib.contextmanager
def blas_threads(size: int):
    """Set every BLAS pool to :func:`threads_for` its kind while the block runs, then restore.

    >>> with blas_threads(8):
    ...     pass
    """
    mine, others = pools()
    told_apart = bool(mine)
    plan = [(lib, threads_for(size, numpy_pool=lib in mine, told_apart=told_apart))
            for lib in (*mine, *others)]
    plan = [(lib, n) for lib, n in plan if n is not None]
    saved = [(lib, lib.get_num_threads()) for lib, _ in plan]
    try:
        for lib, n in plan:
            lib.set_num_threads(n)
        yield
    finally:
        for lib, n in reversed(saved):
            lib.set_num_threads(n)
