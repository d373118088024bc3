"""Validation at the boundary: one clear message naming the argument, the value and the rule.

Every check raises :class:`LingaussError` (a :class:`ValueError`), whose message is a single
line such as ``rank == 7, must be <= min(k, width) == 5.``  The command-line interface turns
it into one line on stderr and exit status 2.
"""

from __future__ import annotations

import numbers

import numpy as np

# Relative tolerance for "orthonormal" checks: ‖BᵀB − I‖_max <= ORTHONORMAL_RTOL * max(shape).
# Scaled by the size so that a basis produced by a QR or SVD in double precision always passes.
ORTHONORMAL_RTOL = 1e3 * np.finfo(float).eps


class LingaussError(ValueError):
    """Bad input: the message names the argument, the value and the rule."""


def _fmt(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):g}" if not isinstance(value, numbers.Integral) else str(int(value))
    return repr(value)


def check_real(value, name: str, *, low=None, high=None, low_inclusive=False,
               high_inclusive=True) -> float:
    """A finite real number in an interval; returns it as ``float``.

    >>> check_real(0.5, "alpha", low=0, high=1, low_inclusive=True)
    0.5
    >>> check_real(-1.0, "beta", low=0)
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: beta == -1, must be > 0.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise LingaussError(f"{name} == {value!r}, must be a real number.")
    value = float(value)
    if not np.isfinite(value):
        raise LingaussError(f"{name} == {_fmt(value)}, must be finite.")
    if low is not None:
        if low_inclusive and value < low:
            raise LingaussError(f"{name} == {_fmt(value)}, must be >= {_fmt(low)}.")
        if not low_inclusive and value <= low:
            raise LingaussError(f"{name} == {_fmt(value)}, must be > {_fmt(low)}.")
    if high is not None:
        if high_inclusive and value > high:
            raise LingaussError(f"{name} == {_fmt(value)}, must be <= {_fmt(high)}.")
        if not high_inclusive and value >= high:
            raise LingaussError(f"{name} == {_fmt(value)}, must be < {_fmt(high)}.")
    return value


def check_int(value, name: str, *, low=None, high=None, high_rule=None) -> int:
    """An integer (not a bool) with optional bounds; ``high_rule`` names the upper bound.

    >>> check_int(7, "rank", low=1, high=5, high_rule="min(k, width)")
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: rank == 7, must be <= min(k, width) == 5.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise LingaussError(f"{name} == {value!r}, must be an integer.")
    value = int(value)
    if low is not None and value < low:
        raise LingaussError(f"{name} == {value}, must be >= {low}.")
    if high is not None and value > high:
        bound = f"{high_rule} == {high}" if high_rule else str(high)
        raise LingaussError(f"{name} == {value}, must be <= {bound}.")
    return value


def check_option(value, name: str, allowed: tuple[str, ...]) -> str:
    """One of a fixed set of strings.

    >>> check_option("best", "rank_rule", ("optimal", "oracle"))
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: Unknown value for rank_rule: 'best'. Possible values: ('optimal', 'oracle').
    """
    if not isinstance(value, str) or value not in allowed:
        raise LingaussError(f"Unknown value for {name}: {value!r}. Possible values: {allowed}.")
    return value


def check_array(value, name: str, *, ndim: int, shape=None) -> np.ndarray:
    """A finite float array of the given rank; ``shape`` entries of ``None`` are free.

    >>> check_array([[1.0, 2.0]], "X", ndim=2).shape
    (1, 2)
    >>> check_array([1.0, float("nan")], "signal", ndim=1)
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: signal has a non-finite entry (nan at index (1,)), must be finite.
    """
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise LingaussError(f"{name} == {value!r}, must be a real array.") from None
    if arr.ndim != ndim:
        raise LingaussError(f"{name} has shape {arr.shape}, must have {ndim} dimension(s).")
    if shape is not None:
        for axis, (got, want) in enumerate(zip(arr.shape, shape)):
            if want is not None and got != want[0]:
                raise LingaussError(
                    f"{name} has shape {arr.shape}, must have {want[1]} == {want[0]} "
                    f"along axis {axis}.")
    if arr.size == 0:
        raise LingaussError(f"{name} has shape {arr.shape}, must not be empty.")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise LingaussError(
            f"{name} has a non-finite entry ({arr[idx]} at index {idx}), must be finite.")
    arr.setflags(write=False)
    return arr


def check_orthonormal_columns(arr: np.ndarray, name: str) -> np.ndarray:
    """Columns orthonormal to ``ORTHONORMAL_RTOL * max(shape)``.

    >>> check_orthonormal_columns(np.eye(3)[:, :2], "basis").shape
    (3, 2)
    >>> check_orthonormal_columns(2 * np.eye(2), "basis")
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: basis is not orthonormal: max|BᵀB − I| == 3, must be <= 4.44e-13.
    """
    rows, cols = arr.shape
    if cols > rows:
        raise LingaussError(
            f"{name} has shape {arr.shape}, must have no more columns than rows "
            f"to be orthonormal.")
    tol = ORTHONORMAL_RTOL * max(arr.shape)
    err = float(np.max(np.abs(arr.T @ arr - np.eye(cols))))
    if err > tol:
        raise LingaussError(
            f"{name} is not orthonormal: max|BᵀB − I| == {err:.3g}, must be <= {tol:.3g}.")
    return arr
