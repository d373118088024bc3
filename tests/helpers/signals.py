"""Helpers of the Ctrl-C tests (tests/hostile/, tests/_core/test_progress.py)."""

import signal


def default_sigint():
    """In the child before exec: SIGINT to its default, so that Python installs its
    KeyboardInterrupt handler even when pytest itself ignores SIGINT (a shell's background
    job does: ``pytest &`` in a non-interactive shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
