"""Recent answers of pure functions of arrays, for the work a Monte Carlo draw repeats.

Monte Carlo over label draws calls the engine once per draw on the same inputs ``X``: what
depends only on ``X``, the bases and the hyper-parameters (a basis completed to an orthogonal
matrix, covariances pushed to prediction space, their Cholesky factors) comes out the same
every draw. :class:`Recent` remembers the last few answers of a function and gives one back
when the arguments are the same — compared exactly, arrays element by element (``O(size)``,
against the ``O(d³)`` the answer cost), so a changed input can never meet a stale answer.
The remembered arguments are copies and the answers read-only. Answers are remembered only
inside :func:`remembering` (a loop over draws): one call keeps no memory after it returns.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading

import numpy as np

_DEPTH: contextvars.ContextVar = contextvars.ContextVar("lingauss_remembering", default=0)
_ALL: list = []


@contextlib.contextmanager
def remembering():
    """Every :class:`Recent` remembers its answers while the block runs; they are forgotten
    when the outermost block ends.

    >>> with remembering():
    ...     pass
    """
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)
        if _DEPTH.get() == 0:
            for memo in _ALL:
                memo.clear()


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _kept(x):
    """A copy of an array argument (a caller may change its own afterwards)."""
    return x.copy() if isinstance(x, np.ndarray) else x


def _read_only(x):
    if isinstance(x, np.ndarray):
        x.setflags(write=False)
    elif isinstance(x, (tuple, list)):
        for item in x:
            _read_only(item)
    elif isinstance(x, dict):
        for item in x.values():
            _read_only(item)
    return x


class Recent:
    """``fn`` remembering its last ``size`` answers (arguments positional: arrays, numbers,
    strings, ``None`` or tuples of them).

    >>> calls = []
    >>> square = Recent(lambda A: calls.append(1) or A @ A)
    >>> A = np.eye(2)
    >>> with remembering():
    ...     _ = square(A); _ = square(A.copy()); len(calls)  # equal arguments: one call
    1
    >>> _ = square(A); len(calls)                           # outside: nothing remembered
    2
    """

    def __init__(self, fn, size: int = 2):
        self.fn, self.size = fn, size
        self._entries: list = []
        self._lock = threading.Lock()
        _ALL.append(self)

    def __call__(self, *args):
        if _DEPTH.get() == 0:
            return self.fn(*args)
        with self._lock:
            entries = list(self._entries)
        for key, value in entries:
            if _same(key, args):
                return value
        value = _read_only(self.fn(*args))
        with self._lock:
            self._entries = [(tuple(_kept(a) for a in args), value)] + \
                self._entries[:self.size - 1]
        return value

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries = []
