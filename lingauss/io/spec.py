"""Problem files: a TOML spec describing a teacher, a student, a sample and a divergence.

A spec has four sections (``lingauss/io/default.toml`` is a complete, commented example)::

    [data]          # either a sample file ...
    file = "sample.npz"         # arrays X (d, n), Y (k, n); optional W_star (k, d), noise
    # ... or a synthetic problem (Sample.synthetic): d, k, n required;
    # noise = 0.5, seed = 0, spectrum_exponent = 1.0, signal_exponent = 1.0 by default;
    # random = true: inputs drawn afresh (RandomDesign.power_law; the sample is one draw)

    [teacher]       # Teacher: beta, ridge
    [student]       # Student: beta, ridge, alpha, width, rank, basis, rank_rule,
                    # complement_variance, soft_labels, soft_label_noise
    # ... or a distillation chain (docs/model.md §8): one [[students]] table per generation
    # 1..G, with the keys of [student]; `lingauss chain` reads it (Spec.students)
    [divergence]    # optional: space = "parameter", direction = "forward"

``basis`` and ``rank_rule`` take an option string or the path of a ``.npy`` file holding the
matrix (a string ending in ``.npy``).  Relative paths are read from the spec file's folder.

Every problem raises one :class:`~lingauss.LingaussError` whose message starts with the spec
file's name and names the section, the key, the value and the rule, e.g.
``spec.toml: [teacher] beta == -1, must be > 0.``  Unknown sections and keys are errors
(a typo never silently falls back to a default).
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import pathlib
from dataclasses import dataclass

import numpy as np

from lingauss.chains.chain import Chain

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from lingauss._core.validation import LingaussError, check_int
from lingauss.io.arrays import check_names, context, load_npy, load_npz, reason
from lingauss.model.data import Sample
from lingauss.model.options import BASES, RANK_RULES, Direction, Space
from lingauss.model.random_design import RandomDesign
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

SECTIONS = ("data", "teacher", "student", "students", "divergence")
REQUIRED_SECTIONS = ("data", "teacher", "student")   # [[students]] may replace [student]
# [data]: a sample file, or the arguments of Sample.synthetic (its defaults apply).
SYNTHETIC_REQUIRED = ("d", "k", "n")
SYNTHETIC_OPTIONAL = ("noise", "seed", "spectrum_exponent", "signal_exponent")
DATA_KEYS = ("file", "random") + SYNTHETIC_REQUIRED + SYNTHETIC_OPTIONAL
# [teacher], [student]: the keyword arguments of the model classes.
TEACHER_KEYS = tuple(f.name for f in dataclasses.fields(Teacher))
STUDENT_KEYS = tuple(f.name for f in dataclasses.fields(Student))
STUDENT_REQUIRED = tuple(f.name for f in dataclasses.fields(Student)
                         if f.default is dataclasses.MISSING)
STUDENT_MATRICES = {"basis": BASES, "rank_rule": RANK_RULES}   # option or a .npy file
DIVERGENCE_KEYS = ("space", "direction")
#: Largest spec file read (bytes).
MAX_SPEC_BYTES = 1 << 20


@dataclass(frozen=True, eq=False)
class Spec:
    """A complete problem: what :func:`lingauss.divergence` needs, read from a spec file.

    Parameters
    ----------
    teacher : Teacher
    student : Student
    sample : Sample
    space : {"parameter", "prediction"}, default "parameter"
    direction : {"forward", "reverse", "symmetric"}, default "forward"
    path : pathlib.Path or None
        The spec file it was read from (``None`` for the embedded default or a string).
    students : tuple of Student
        A chain's generations ``1..G`` (``[[students]]`` tables); ``student`` is then the
        last of them. Empty for a single student.
    design : RandomDesign or None
        ``[data] random = true``: the inputs are random (``sample`` is one draw of them, with
        the seed); the proportional-regime commands use the design itself.

    Examples
    --------
    >>> spec = default_spec()
    >>> spec.sample.X.shape, spec.student.width, spec.space, spec.direction
    ((32, 64), 24, 'parameter', 'forward')
    >>> spec.replace(direction="both")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for direction: 'both'. Possible values: ('forward', 'reverse', 'symmetric').
    """

    teacher: Teacher
    student: Student
    sample: Sample
    space: str = "parameter"
    direction: str = "forward"
    path: pathlib.Path | None = None
    students: tuple = ()
    design: RandomDesign | None = None

    def __post_init__(self):
        object.__setattr__(self, "students", tuple(self.students))
        for value, name, cls in ((self.teacher, "teacher", Teacher),
                                 (self.student, "student", Student),
                                 (self.sample, "sample", Sample),
                                 *((st, f"students[{j}]", Student)
                                   for j, st in enumerate(self.students)),
                                 *(((self.design, "design", RandomDesign),) if self.design
                                   is not None else ())):
            if not isinstance(value, cls):
                raise LingaussError(f"{name} == {value!r}, must be a lingauss.{cls.__name__}.")
        object.__setattr__(self, "space", Space.parse(self.space, "space"))
        object.__setattr__(self, "direction", Direction.parse(self.direction, "direction"))
        if self.path is not None:
            object.__setattr__(self, "path", pathlib.Path(self.path))

    @property
    def chain(self):
        """The :class:`lingauss.Chain` of ``teacher`` and ``students`` (a single student is a
        one-step chain)."""
        return Chain(self.teacher, self.students or [self.student])

    def replace(self, **changes) -> "Spec":
        """A copy with some fields changed (validated again).

        >>> default_spec().replace(space="prediction").space
        'prediction'
        """
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        s = self.sample
        drawn = "one draw of a RandomDesign, " if self.design is not None else ""
        return (f"Spec(teacher={self.teacher!r}, student={self.student!r}, "
                f"sample=<{drawn}Sample d={s.d} k={s.k} n={s.n}>, space={self.space!r}, "
                f"direction={self.direction!r}, path={self.path!r})")


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

def load_spec(path) -> Spec:
    """Read a spec file (TOML); relative data paths are taken from its folder.

    Parameters
    ----------
    path : str or path-like
        The spec file.

    Returns
    -------
    Spec

    Raises
    ------
    LingaussError
        The file is missing or unreadable, is not valid TOML (the message gives the line and
        column), has an unknown or missing section or key, or a value breaks its rule.

    Examples
    --------
    >>> load_spec("no-such-spec.toml")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: no-such-spec.toml: cannot read the spec file: No such file or directory.
    """
    if not isinstance(path, (str, pathlib.PurePath)):
        raise LingaussError(f"path == {path!r}, must be the path of a TOML spec file.")
    if "\x00" in str(path):
        raise LingaussError(f"path == {str(path)!r} contains a NUL byte, must be the path of "
                            f"a TOML spec file.")
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise LingaussError(f"{path}: the spec file has {size} bytes, must be at most "
                                f"{MAX_SPEC_BYTES} (a spec is a few lines; data go in .npz "
                                f"files).")
        raw = path.read_bytes()
    except OSError as exc:
        raise LingaussError(f"{path}: cannot read the spec file: {reason(exc)}.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LingaussError(
            f"{path}: invalid TOML: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    return _build(_parse(text, str(path)), str(path), path.parent, path)


def loads_spec(text: str, *, folder=None, name: str = "<string>") -> Spec:
    """A spec from TOML text; ``folder`` (default: the working directory) anchors relative paths.

    ``name`` stands for the file in error messages.

    Examples
    --------
    >>> spec = loads_spec('''
    ... [data]
    ... d = 4
    ... k = 2
    ... n = 6
    ... [teacher]
    ... beta = 1.0
    ... ridge = 1.0
    ... [student]
    ... beta = 1.0
    ... ridge = 2.0
    ... rank = 1
    ... ''')
    >>> spec.sample.Y.shape, spec.student.rank, spec.student.ridge, spec.path is None
    ((2, 6), 1, 2.0, True)
    >>> loads_spec("[teacher]\\nbeta 1\\n")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: <string>: invalid TOML: Expected '=' after a key in a key/value pair (at line 2, column 6)
    """
    if not isinstance(text, str):
        raise LingaussError(f"text == {text!r}, must be a string of TOML.")
    folder = pathlib.Path(folder) if folder is not None else pathlib.Path()
    return _build(_parse(text, name), name, folder, None)


def default_spec_text() -> str:
    """The TOML text of the embedded default problem (``lingauss/io/default.toml``).

    >>> "[student]" in default_spec_text()
    True
    """
    return importlib.resources.files(__package__).joinpath("default.toml").read_text(
        encoding="utf-8")


def default_spec() -> Spec:
    """The embedded default problem, read from ``lingauss/io/default.toml`` by the same loader.

    A synthetic power-law sample (d = 32, k = 8, n = 64, noise 0.5, signal exponent 1.5),
    a teacher with ``β = 4``, ``λ = 1``, a student with ``β = 1`` (a higher temperature),
    ``λ = 8`` (a stronger ridge), width 24 and full rank: the rank bottleneck dominates at
    small ranks, bias and variance at full rank.

    >>> spec = default_spec()
    >>> (spec.sample.d, spec.sample.k, spec.sample.n, spec.student.width, spec.student.rank)
    (32, 8, 64, 24, None)
    """
    return loads_spec(default_spec_text(), name="<default spec>")


# --------------------------------------------------------------------------------------------
# Parsing and building
# --------------------------------------------------------------------------------------------

def _parse(text: str, where: str) -> dict:
    """TOML → dict; a syntax error names its line (tomllib's "(at line N, column M)")."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise LingaussError(f"{where}: invalid TOML: nested too deeply (arrays or tables "
                            f"inside each other beyond what a spec needs).") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if message.endswith("(at end of document)"):
            lines = text.split("\n")
            message = message[: -len("(at end of document)")] + (
                f"(at end of document, line {len(lines)}, column {len(lines[-1]) + 1})")
        raise LingaussError(f"{where}: invalid TOML: {message}") from None


def _table(doc: dict, name: str, where: str, allowed: tuple, required: tuple) -> dict:
    """Section ``name`` with its keys checked against ``allowed`` and ``required``."""
    table = doc.get(name, {})
    check_names(tuple(table), allowed, required, f"{where}: ", f"key in [{name}]:", "keys")
    return table


def _build(doc: dict, where: str, folder: pathlib.Path, path) -> Spec:
    for name, value in doc.items():
        if name not in SECTIONS:
            what = f"section: [{name}]" if isinstance(value, dict) else f"top-level key: {name!r}"
            raise LingaussError(f"{where}: Unknown {what}. Allowed sections: {SECTIONS}.")
        if name == "students":
            if not isinstance(value, list) or not value or \
                    not all(isinstance(v, dict) for v in value):
                raise LingaussError(f"{where}: students == {value!r}, must be one or more "
                                    f"[[students]] tables (one per generation).")
        elif not isinstance(value, dict):
            raise LingaussError(
                f"{where}: {name} == {value!r}, must be a section [{name}] (a TOML table).")
    missing = [name for name in REQUIRED_SECTIONS if name not in doc
               and not (name == "student" and "students" in doc)]
    if missing:
        chain = " ([[students]] tables may replace [student])" if "student" in missing else ""
        raise LingaussError(f"{where}: Missing section: [{missing[0]}]. "
                            f"Required sections: {REQUIRED_SECTIONS}{chain}.")
    sample, design = _sample(_table(doc, "data", where, DATA_KEYS, ()), where, folder)
    teacher_table = _table(doc, "teacher", where, TEACHER_KEYS, TEACHER_KEYS)
    with context(f"{where}: [teacher] "):
        teacher = Teacher(**teacher_table)
    if "student" in doc and "students" in doc:
        raise LingaussError(f"{where}: [student] and [[students]] both given: one [student] "
                            f"section (a student) or [[students]] tables (a chain).")
    if "student" in doc:
        students = ()
        student = _student(doc["student"], where, "[student]", folder, sample)
    else:
        students = tuple(_student(table, where, f"[[students]] #{g}", folder, sample)
                         for g, table in enumerate(doc["students"], start=1))
        student = students[-1]
    options = _table(doc, "divergence", where, DIVERGENCE_KEYS, ())
    with context(f"{where}: [divergence] "):
        return Spec(teacher=teacher, student=student, sample=sample, path=path,
                    students=students, design=design,
                    space=Space.parse(options.get("space", "parameter"), "space"),
                    direction=Direction.parse(options.get("direction", "forward"), "direction"))


def _student(table: dict, where: str, label: str, folder: pathlib.Path, sample) -> Student:
    """A ``[student]`` or ``[[students]]`` table: keys checked, ``.npy`` matrices read."""
    check_names(tuple(table), STUDENT_KEYS, STUDENT_REQUIRED, f"{where}: ", f"key in {label}:",
                 "keys")
    table = dict(table)
    for key, options in STUDENT_MATRICES.items():
        value = table.get(key)
        if isinstance(value, str) and value.endswith(".npy"):
            table[key] = load_npy(value, key, folder, where)
        elif isinstance(value, str) and value not in options:
            raise LingaussError(
                f"{where}: {label} Unknown value for {key}: {value!r}. Possible values: "
                f"{options} or the path of a .npy file.")
    with context(f"{where}: {label} "):
        student = Student(**table)
        student.resolve(sample.d, sample.k)         # fits the data (width <= d, ...)
    return student


def _sample(table: dict, where: str, folder: pathlib.Path) -> tuple:
    """``[data]``: a sample file or a synthetic problem, never both; ``(sample, design)`` with
    ``design`` the :class:`RandomDesign` of ``random = true`` (else None)."""
    random = table.get("random", False)
    if not isinstance(random, bool):
        raise LingaussError(f"{where}: [data] random == {random!r}, must be true or false.")
    if "file" in table:
        synthetic = tuple(key for key in table if key != "file")
        if synthetic:
            raise LingaussError(
                f"{where}: Ambiguous arguments: [data] has file == {table['file']!r} and the "
                f"synthetic keys {synthetic}; give one or the other.")
        return load_npz(table["file"], folder, where), None
    missing = [key for key in SYNTHETIC_REQUIRED if key not in table]
    if missing:
        raise LingaussError(
            f"{where}: Missing key in [data]: {missing[0]!r}. Give file = \"<sample>.npz\" or "
            f"the synthetic keys {SYNTHETIC_REQUIRED} (optional: {SYNTHETIC_OPTIONAL}).")
    keys = {key: value for key, value in table.items() if key != "random"}
    with context(f"{where}: [data] "):
        if not random:
            return Sample.synthetic(**keys), None
        # the synthetic problem's keys and defaults; W⋆ is RandomDesign.power_law's
        seed = check_int(keys.pop("seed", 0), "seed", low=0)
        options = {"noise": 0.5, "spectrum_exponent": 1.0, "signal_exponent": 1.0, **keys}
        design = RandomDesign.power_law(**options)
        return design.draw(np.random.default_rng(seed)), design
