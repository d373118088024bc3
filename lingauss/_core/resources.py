"""Resource guards: refuse work that cannot fit before allocating it.

Every entry point that allocates arrays from user-given sizes estimates the memory first
(:func:`check_memory`) and refuses with one line naming the sizes, the estimate and the
limit. The limit is the memory the machine has available (``MemAvailable`` of
``/proc/meminfo``, else physical memory), or ``LINGAUSS_MAX_MEMORY`` (bytes, or with a
suffix ``K``, ``M``, ``G``, ``T``; the command line's ``--max-memory`` sets it).

Repeated work (Monte Carlo draws, formula points) has stated upper limits
(:data:`MAX_MONTE_CARLO`, :data:`MAX_POINTS`), and long loops show progress and stop
cleanly on Ctrl-C (``lingauss._progress``).
"""

from __future__ import annotations

import os
import re

from lingauss._core.validation import LingaussError

#: Environment variable overriding the memory limit.
ENV_MAX_MEMORY = "LINGAUSS_MAX_MEMORY"
#: Largest number of Monte Carlo draws one call accepts.
MAX_MONTE_CARLO = 10 ** 6
#: Largest number of random points ``check_formula`` compares.
MAX_POINTS = 10 ** 4
_UNITS = {"": 1, "B": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30, "T": 2 ** 40}


def parse_size(text: str, name: str = ENV_MAX_MEMORY) -> int:
    """Bytes from ``"123"``, ``"512M"``, ``"8G"``, ``"1.5T"`` (binary units).

    >>> parse_size("8G"), parse_size("512M"), parse_size("1000")
    (8589934592, 536870912, 1000)
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: LINGAUSS_MAX_MEMORY == 'lots', must be a size in bytes such as 8G, 512M or 1000000.
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGTB]?)i?B?\s*", str(text), re.I)
    if not match or float(match.group(1)) <= 0:
        raise LingaussError(f"{name} == {text!r}, must be a size in bytes such as 8G, 512M "
                            f"or 1000000.")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_size(nbytes: float) -> str:
    """``1.5 GiB``-style sizes.

    >>> format_size(3 * 2 ** 30), format_size(512), format_size(8e18)
    ('3 GiB', '512 B', '7.28e+06 TiB')
    """
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{int(nbytes)} B"


def available_memory() -> int:
    """The memory limit in bytes: ``LINGAUSS_MAX_MEMORY`` if set, else what is available."""
    env = os.environ.get(ENV_MAX_MEMORY)
    if env:
        return parse_size(env)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 2 ** 63


def check_memory(nbytes: float, what: str, sizes: dict) -> None:
    """Refuse ``what`` when its estimated memory ``nbytes`` exceeds the limit.

    >>> check_memory(8e18, "Sample.synthetic", {"d": 10 ** 9, "n": 10 ** 9})
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Sample.synthetic with d == 1000000000, n == 1000000000 needs about 7.28e+06 TiB of memory, more than the ... available (set LINGAUSS_MAX_MEMORY, or --max-memory on the command line, to change the limit).
    """
    limit = available_memory()
    if nbytes > limit:
        shown = ", ".join(f"{name} == {value}" for name, value in sizes.items())
        raise LingaussError(
            f"{what} with {shown} needs about {format_size(nbytes)} of memory, more than the "
            f"{format_size(limit)} available (set {ENV_MAX_MEMORY}, or --max-memory on the "
            f"command line, to change the limit).")


def engine_bytes(d: int, n: int, k: int) -> float:
    """Estimated peak memory of one exact divergence: a few ``d × d`` and ``d × n`` arrays."""
    d, n, k = float(d), float(n), float(k)
    return 8.0 * (6 * d * d + 3 * d * min(d, n) + 2 * d * n + 6 * k * (d + n))
