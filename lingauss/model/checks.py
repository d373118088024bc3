"""One validation helper for every entry point: objects, designs, grids, draws and seeds.

The value checks (numbers, options, arrays) are in ``lingauss._validation``; this module
checks the model's objects with them, the same way wherever they enter: the exact engine,
expectations, sweeps, bounds, design, check, plots and tables. Messages name the argument,
the value and the rule; a caller never edits them (it passes the subject and the remedy).
"""

from __future__ import annotations

import numbers

import numpy as np

from lingauss._core.resources import MAX_MONTE_CARLO, check_memory, engine_bytes
from lingauss._core.validation import LingaussError, check_int, check_real
from lingauss.model.data import Sample, SpectralDesign
from lingauss.model.options import Direction, Space
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher


def check_instance(value, name: str, cls):
    """``value`` is a ``cls`` (a lingauss class).

    >>> check_instance(3, "teacher", Teacher)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: teacher == 3, must be a lingauss.Teacher.
    """
    if not isinstance(value, cls):
        shown = repr(value) if len(repr(value)) <= 80 else f"<{type(value).__name__}>"
        names = cls if isinstance(cls, tuple) else (cls,)
        rule = " or a ".join(f"lingauss.{c.__name__}" for c in names)
        raise LingaussError(f"{name} == {shown}, must be a {rule}.")
    return value


def check_objects(teacher, student=None, *, student_required: bool = True) -> None:
    """A :class:`Teacher` and (unless ``student_required`` is false and it is None) a
    :class:`Student`."""
    check_instance(teacher, "teacher", Teacher)
    if student is not None or student_required:
        check_instance(student, "student", Student)


def check_space_direction(space, direction) -> tuple:
    """``(Space, Direction)`` parsed from their text (one error naming a bad one)."""
    return Space.parse(space, "space"), Direction.parse(direction, "direction")


def check_design(design, *, name: str = "design", kinds=(Sample, SpectralDesign),
                 truth: bool = False, noise: bool = False, space: str | None = None,
                 what: str = "this computation") -> None:
    """A design of an allowed kind, with what the computation needs.

    ``truth``/``noise``: a :class:`Sample` must carry ``W_star`` / ``noise`` (a
    :class:`SpectralDesign` always has them). Prediction space needs ``noise > 0``.
    """
    check_instance(design, name, kinds)
    prediction = space is not None and Space.parse(space, "space") is Space.PREDICTION
    if isinstance(design, Sample):
        for needed, attr, why in ((truth, "W_star", "the true weights"),
                                  (noise or prediction, "noise", "the label noise")):
            if needed and getattr(design, attr) is None:
                raise LingaussError(f"{what} needs {why}: {name}.{attr} is None.")
    if prediction and design.noise == 0:
        raise LingaussError(f"{name}.noise == 0, must be > 0 when space == 'prediction' "
                            f"(the label channel WX + νE needs noise).")


def problem_sizes(teacher, student, design) -> dict:
    """The inputs a non-finite result can be traced to, for :func:`lingauss._validation.check_finite`."""
    out = {"teacher.beta": teacher.beta, "teacher.ridge": teacher.ridge}
    if student is not None:
        out.update({"student.beta": student.beta, "student.ridge": student.ridge})
    if isinstance(design, Sample):
        out.update({"X": design.X, "Y": design.Y})
        if design.W_star is not None:
            out["W_star"] = design.W_star
        if design.noise is not None:
            out["noise"] = design.noise
    elif isinstance(design, SpectralDesign):
        out.update({"eigenvalues": design.eigenvalues, "signal": design.signal,
                    "noise": design.noise})
    return out


def check_problem(teacher, student, sample, *, space, direction) -> tuple:
    """Everything :func:`lingauss.divergence` checks before it works; returns ``(Space,
    Direction)`` parsed."""
    check_objects(teacher, student)
    check_design(sample, name="sample", kinds=Sample, space=space,
                 what=f"space == {space!r}")
    space, direction = check_space_direction(space, direction)
    student.resolve(sample.d, sample.k)
    check_memory(engine_bytes(sample.d, sample.n, sample.k), "the exact divergence",
                 {"d": sample.d, "n": sample.n, "k": sample.k})
    return space, direction


def check_draws(monte_carlo, seed, *, required: bool = False, why: str = "") -> tuple:
    """``(monte_carlo, seed)`` validated; ``why`` explains a required draw count (a template
    that names ``monte_carlo`` as ``{parameter}`` and how to set it as ``{parameter:set}``:
    :meth:`lingauss.LingaussError.named`).

    ``monte_carlo``: an integer ``2 <= N <= MAX_MONTE_CARLO`` or None; ``seed``: an integer
    ``>= 0`` or None, and only with draws.

    >>> check_draws(None, 3)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: seed == 3 is set but monte_carlo is None: the closed form draws nothing; pass monte_carlo=N or drop the seed.
    """
    if monte_carlo is None:
        if seed is not None:
            raise LingaussError.named(
                "monte_carlo", "seed == {seed} is set but {parameter} is None: the closed form "
                "draws nothing; pass {parameter:set} or drop the seed.", seed=repr(seed))
        if required:
            raise LingaussError.named("monte_carlo", why)
        return None, None
    monte_carlo = check_int(monte_carlo, "monte_carlo", low=2, high=MAX_MONTE_CARLO,
                            high_rule="the stated limit")
    return monte_carlo, check_seed(seed)


def check_seed(seed):
    """``None`` or an integer ``>= 0``."""
    return None if seed is None else check_int(seed, "seed", low=0)


def check_grid(name: str, values, *, integer: bool = False, low=0, low_inclusive=False,
               high=None, high_rule=None) -> np.ndarray:
    """A non-empty 1-D grid of valid values; entries are named ``name[i]`` in errors.

    >>> check_grid("rank", [1, 2], integer=True, low=1)
    array([1, 2])
    >>> check_grid("ridge", [1.0, -2.0])
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: ridge[1] == -2, must be > 0.
    """
    if isinstance(values, (str, bytes)) or not (
            isinstance(values, (numbers.Number, np.ndarray, list, tuple, range))
            or hasattr(values, "__iter__")):
        raise LingaussError(f"{name} == {values!r}, must be a non-empty 1-D list of numbers.")
    items = list(np.ravel(np.asarray(values, dtype=object))) if not isinstance(
        values, numbers.Number) else [values]
    shape = np.shape(np.asarray(values, dtype=object))
    if len(shape) > 1 or not items:
        raise LingaussError(f"{name} grid has shape {shape}, must be a non-empty 1-D list.")
    out = []
    for i, v in enumerate(items):
        v = v.item() if isinstance(v, np.generic) else v
        if integer:
            out.append(check_int(v, f"{name}[{i}]", low=low, high=high, high_rule=high_rule))
        else:
            out.append(check_real(v, f"{name}[{i}]", low=low, high=high,
                                  low_inclusive=low_inclusive))
    return np.array(out)


def renamed(value, old_value, *, old: str, new: str, where: str):
    """The value of a renamed keyword: ``new`` if given, else the deprecated ``old`` (with a
    ``DeprecationWarning``); both given is ambiguous."""
    if old_value is None:
        return value
    import warnings

    warnings.warn(f"{where}({old}=...) is renamed {new}=...; {old} will be removed in the "
                  f"next release.", DeprecationWarning, stacklevel=3)
    if value is not None:
        raise LingaussError(f"Ambiguous arguments: give {new} or {old}, not both.")
    return old_value
