"""Run a (sympy) computation with a time limit, on POSIX main threads."""

from __future__ import annotations

import signal
import threading


class _Timeout(Exception):
    pass


def with_timeout(fn, seconds: float):
    """``(True, fn())``, or ``(False, None)`` when ``fn`` runs longer than ``seconds``.

    The limit uses ``SIGALRM`` and so applies only on the main thread of a POSIX process;
    elsewhere ``fn`` runs unbounded.

    >>> with_timeout(lambda: 2 + 2, 1.0)
    (True, 4)
    """
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "SIGALRM"):
        return True, fn()

    def handler(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return True, fn()
    except _Timeout:
        return False, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
