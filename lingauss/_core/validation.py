"""Validation at the boundary: one clear message naming the argument, the value and the rule.

Every check raises :class:`LingaussError` (a :class:`ValueError`), whose message is a single
line such as ``rank == 7, must be <= min(k, width) == 5.``  The command-line interface turns
it into one line on stderr and exit status 2.

This module checks values (numbers, options, arrays) and results (:func:`check_finite`);
``lingauss._checks`` checks the model's objects with these primitives.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import numbers

import numpy as np

# Relative tolerance for "orthonormal" checks: ‖BᵀB − I‖_max <= ORTHONORMAL_RTOL * max(shape).
# Scaled by the size so that a basis produced by a QR or SVD in double precision always passes.
ORTHONORMAL_RTOL = 1e3 * np.finfo(float).eps
#: The largest finite double.
FLOAT_MAX = float(np.finfo(float).max)
#: The largest integer an argument may be (a size, a rank, a seed, a count).
INT_MAX = 2 ** 63 - 1


class LingaussError(ValueError):
    """Bad input: the message names the argument, the value and the rule.

    ``parameter`` is the argument the error is about (``"monte_carlo"``), or None. An error
    made by :meth:`named` spells its parameter through the fields ``{parameter}`` (its name)
    and ``{parameter:set}`` (how to set it, ``monte_carlo=N``) of a template, so that a caller
    speaking another language — the command line's ``--monte-carlo N`` — renders the same
    message in its own words with :meth:`render`, never by editing the text.

    >>> exc = LingaussError.named("monte_carlo", "pass {parameter:set} to draw {what}.",
    ...                           what="labels")
    >>> str(exc), exc.parameter
    ('pass monte_carlo=N to draw labels.', 'monte_carlo')
    >>> exc.render({"monte_carlo": "--monte-carlo"})
    'pass --monte-carlo N to draw labels.'
    """

    def __init__(self, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter
        self._template = None

    @classmethod
    def named(cls, parameter: str, template: str, *, metavar: str = "N", **values):
        """An error whose ``template`` names ``parameter`` by ``{parameter}`` and
        ``{parameter:set}``; ``values`` fill the template's other fields verbatim."""
        message = template.format(parameter=Spelling(parameter, metavar), **values)
        error = cls(message, parameter=parameter)
        error._template = (template, metavar, values)
        return error

    def render(self, spellings: dict) -> str:
        """The message with the parameter spelled as ``spellings`` says (an option name such
        as ``"--monte-carlo"``: set as ``--monte-carlo N``); unchanged when it has no
        template or its parameter is not in ``spellings``."""
        if self._template is None or self.parameter not in spellings:
            return str(self)
        template, metavar, values = self._template
        spelled = Spelling(spellings[self.parameter], metavar, option=True)
        return template.format(parameter=spelled, **values)


class Spelling:
    """A parameter as a message writes it: ``{p}`` its name, ``{p:set}`` how to set it
    (``name=N`` for a keyword argument, ``--name N`` for an option)."""

    def __init__(self, name: str, metavar: str = "N", *, option: bool = False):
        self.name, self.metavar, self.option = name, metavar, option

    def __format__(self, spec: str) -> str:
        if spec == "set":
            return f"{self.name} {self.metavar}" if self.option else f"{self.name}={self.metavar}"
        return format(self.name, spec)


LingaussError.__module__ = "lingauss"      # shown as lingauss.LingaussError


class IllConditioned(LingaussError):
    """A matrix too ill-conditioned for double precision (:func:`numerics` adds the inputs
    of extreme size to the message)."""


IllConditioned.__module__ = "lingauss"


def about(name: str, rest: str) -> LingaussError:
    """The error ``name`` + ``rest`` (``"rank == 7, must be ..."``) that names its parameter,
    so a caller may spell it its own way (:meth:`LingaussError.render`)."""
    return LingaussError.named(name, "{parameter}{rest}", rest=rest)


def _fmt(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):g}" if not isinstance(value, numbers.Integral) else str(int(value))
    return repr(value)


def _float_of(value, name: str) -> float:
    """``float(value)`` for a real number; Python ints beyond the float range are refused."""
    try:
        return float(value)
    except OverflowError:
        digits = len(str(abs(int(value))))
        raise about(name, f" == an integer of {digits} digits, must be a finite real number "
                          f"within the double-precision range (|x| <= {FLOAT_MAX:.4g}).") from None


def check_real(value, name: str, *, low=None, high=None, low_inclusive=False,
               high_inclusive=True) -> float:
    """A finite real number in an interval; returns it as ``float``.

    >>> check_real(0.5, "alpha", low=0, high=1, low_inclusive=True)
    0.5
    >>> check_real(-1.0, "beta", low=0)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: beta == -1, must be > 0.
    >>> check_real(10 ** 400, "beta")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: beta == an integer of 401 digits, must be a finite real number within the double-precision range (|x| <= 1.798e+308).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise about(name, f" == {value!r}, must be a real number.")
    value = _float_of(value, name)
    if not np.isfinite(value):
        raise about(name, f" == {_fmt(value)}, must be finite.")
    if low is not None:
        if low_inclusive and value < low:
            raise about(name, f" == {_fmt(value)}, must be >= {_fmt(low)}.")
        if not low_inclusive and value <= low:
            raise about(name, f" == {_fmt(value)}, must be > {_fmt(low)}.")
    if high is not None:
        if high_inclusive and value > high:
            raise about(name, f" == {_fmt(value)}, must be <= {_fmt(high)}.")
        if not high_inclusive and value >= high:
            raise about(name, f" == {_fmt(value)}, must be < {_fmt(high)}.")
    return value


def check_int(value, name: str, *, low=None, high=None, high_rule=None) -> int:
    """An integer (not a bool) with optional bounds; ``high_rule`` names the upper bound.

    >>> check_int(7, "rank", low=1, high=5, high_rule="min(k, width)")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: rank == 7, must be <= min(k, width) == 5.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise about(name, f" == {value!r}, must be an integer.")
    value = int(value)
    if abs(value) > INT_MAX:
        raise about(name, f" == an integer of {len(str(abs(value)))} digits, must be a 64-bit "
                          f"integer (|x| <= {INT_MAX}).")
    if low is not None and value < low:
        raise about(name, f" == {value}, must be >= {low}.")
    if high is not None and value > high:
        bound = f"{high_rule} == {high}" if high_rule else str(high)
        raise about(name, f" == {value}, must be <= {bound}.")
    return value


def check_option(value, name: str, allowed: tuple[str, ...]) -> str:
    """One of a fixed set of strings.

    >>> check_option("best", "rank_rule", ("optimal", "oracle"))
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for rank_rule: 'best'. Possible values: ('optimal', 'oracle').
    """
    if not isinstance(value, str) or value not in allowed:
        raise LingaussError.named(name, "Unknown value for {parameter}: {rest}",
                                  rest=f"{value!r}. Possible values: {allowed}.")
    return value


_KIND_NAMES = {"b": "boolean", "c": "complex", "m": "timedelta", "M": "datetime",
               "O": "Python objects", "U": "text", "S": "bytes", "V": "structured records"}


def as_real_array(value, name: str) -> np.ndarray:
    """``value`` as a float64 array, refusing what would be silently cast or corrupted.

    Real floating and integer arrays (and nested lists of real numbers) are accepted;
    complex, boolean, datetime, text, object and ragged inputs are refused with the
    argument's name — nothing is cast behind the user's back.

    >>> as_real_array([[1, 2], [3, 4]], "X").dtype
    dtype('float64')
    >>> as_real_array([1.0, 2j], "X")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: X has complex entries (dtype complex128), must be a real floating or integer array (take .real explicitly if that is what you mean).
    >>> as_real_array([[1.0, 2.0], [3.0]], "Y")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Y is ragged (rows of different lengths) or not numeric, must be a real floating or integer array.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float64 and \
            not value.flags.writeable:
        return value                      # already checked and frozen: no copy (cache hits)
    if isinstance(value, (str, bytes)):
        raise LingaussError(f"{name} == {value!r}, must be a real floating or integer array.")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise LingaussError(f"{name} is ragged (rows of different lengths) or not numeric, "
                            f"must be a real floating or integer array.") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise LingaussError(
            f"{name} has complex entries (dtype {arr.dtype}), must be a real floating or "
            f"integer array (take .real explicitly if that is what you mean).")
    if kind not in "iuf":
        what = _KIND_NAMES.get(kind, str(arr.dtype))
        hint = " (an integer too large for a float?)" if kind == "O" else ""
        raise LingaussError(f"{name} has {what} entries (dtype {arr.dtype}){hint}, must be a "
                            f"real floating or integer array.")
    with np.errstate(over="ignore"):
        out = np.array(arr, dtype=np.float64)
    return out


def check_array(value, name: str, *, ndim: int, shape=None) -> np.ndarray:
    """A finite real float array of the given rank; ``shape`` entries of ``None`` are free.

    >>> check_array([[1.0, 2.0]], "X", ndim=2).shape
    (1, 2)
    >>> check_array([1.0, float("nan")], "signal", ndim=1)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: signal has a non-finite entry (nan at index (1,)), must be finite.
    """
    arr = as_real_array(value, name)
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
        shown = arr[idx]
        raise LingaussError(
            f"{name} has a non-finite entry ({shown} at index {idx}), must be finite.")
    arr.setflags(write=False)
    return arr


def check_orthonormal_columns(arr: np.ndarray, name: str) -> np.ndarray:
    """Columns orthonormal to ``ORTHONORMAL_RTOL * max(shape)``.

    >>> check_orthonormal_columns(np.eye(3)[:, :2], "basis").shape
    (3, 2)
    >>> check_orthonormal_columns(2 * np.eye(2), "basis")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: basis is not orthonormal: max|BᵀB − I| == 3, must be <= 4.44e-13.
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


def magnitude(value) -> float:
    """The most extreme entry of a number or an array in size: the largest absolute value,
    or the smallest non-zero one when that is further from 1 in orders of magnitude (0 for
    an empty or all-zero one)."""
    with np.errstate(all="ignore"):
        arr = np.abs(np.asarray(value, dtype=float)).ravel()
    arr = arr[arr > 0]
    if not arr.size:
        return 0.0
    big, small = float(arr.max()), float(arr.min())
    return big if abs(np.log10(big)) >= abs(np.log10(small)) else small


def check_finite(values: dict, what: str, inputs: dict) -> dict:
    """``values`` unchanged when every one is finite; otherwise one clear error.

    Inputs are finite (checked when they were built), so a non-finite result means double
    precision overflowed (or underflowed into ``0·∞``) on the way. The message names the
    inputs of extreme size among ``inputs`` (``{name: number or array}``) — those whose
    largest entry is beyond ``1e±100`` — or, when none is, every input with its size.

    >>> check_finite({"total": 1.0}, "the divergence", {"beta": 2.0})
    {'total': 1.0}
    >>> check_finite({"total": float("inf")}, "the divergence", {"Y": [1e300], "beta": 2.0})
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: the divergence overflows double precision (total == inf): Y is of size 1e+300; every intermediate must stay below 1.798e+308 in magnitude: rescale the inputs.
    """
    bad = {name: v for name, v in values.items()
           if v is not None and not np.all(np.isfinite(np.asarray(v, dtype=float)))}
    if not bad:
        return values
    name, v = next(iter(bad.items()))
    arr = np.asarray(v, dtype=float)
    shown = float(arr) if arr.ndim == 0 else float(arr[~np.isfinite(arr)].flat[0])
    raise overflow_error(what, inputs, f"{name} == {shown}")


def overflow_error(what: str, inputs: dict, detail: str) -> LingaussError:
    """The error of a computation that left double precision on the way (see
    :func:`check_finite`): it names the inputs of extreme size and the representable range."""
    sizes = {n: magnitude(x) for n, x in inputs.items() if x is not None}
    extreme = {n: m for n, m in sizes.items() if m > 1e100 or 0 < m < 1e-100}
    listed = extreme or sizes
    culprits = ", ".join(f"{n} is of size {m:.3g}" for n, m in listed.items())
    error = LingaussError(
        f"{what} overflows double precision ({detail}): {culprits}; every "
        f"intermediate must stay below {FLOAT_MAX:.4g} in magnitude: rescale the inputs.")
    error.overflow_detail = detail          # a caller may name its own inputs instead
    return error


#: What the numerics raise when an intermediate leaves double precision.
NUMERIC_FAULTS = (np.linalg.LinAlgError, OverflowError, FloatingPointError, ZeroDivisionError)


@contextlib.contextmanager
def numerics(what: str, inputs: dict):
    """Run a computation with numpy warnings off; a numerical fault on the way (LAPACK meeting
    a non-finite value, a Python float overflowing, a NaN check in scipy) becomes one
    :func:`overflow_error` naming the inputs of extreme size. Bad input
    (:class:`LingaussError`) passes through unchanged.

    >>> with numerics("the demo", {"beta": 1e300}):
    ...     _ = 1e300 ** 2
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: the demo overflows double precision (OverflowError: (34, 'Numerical result out of range')): beta is of size 1e+300; every intermediate must stay below 1.798e+308 in magnitude: rescale the inputs.
    """
    try:
        with np.errstate(all="ignore"):
            yield
    except IllConditioned as exc:
        sizes = {n: magnitude(x) for n, x in inputs.items() if x is not None}
        extreme = {n: m for n, m in sizes.items() if m > 1e100 or 0 < m < 1e-100}
        if not extreme:
            raise
        culprits = ", ".join(f"{n} is of size {m:.3g}" for n, m in extreme.items())
        raise IllConditioned(f"{str(exc).rstrip('.')} (inputs of extreme size: {culprits}).") \
            from None
    except LingaussError:
        raise
    except NUMERIC_FAULTS as exc:
        raise overflow_error(what, inputs, f"{type(exc).__name__}: {exc}") from None
    except ValueError as exc:
        text = str(exc)
        if "inf" in text.lower() or "nan" in text.lower():
            raise overflow_error(what, inputs, f"ValueError: {text}") from None
        raise


def finite_or_refuse(what: str):
    """Decorate an equivalent: numpy warnings off, and a result that left double precision
    (inf or NaN from finite inputs) becomes one error naming the inputs of extreme size
    (:func:`check_finite`)."""
    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs).arguments
            inputs = {name: value for name, value in bound.items()
                      if isinstance(value, (numbers.Number, np.ndarray, list, tuple))}
            with numerics(what, inputs):
                out = fn(*args, **kwargs)
                check_finite(out if isinstance(out, dict) else {"value": out}, what, inputs)
            return out
        return checked
    return wrap
