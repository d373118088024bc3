"""Option values the parser cannot check alone: the spec with its ``--space``/``--direction``
overrides (and its one-line description), the output format (``--json``, ``--standalone``),
LaTeX snippets or documents, and the figure options of ``lingauss plot`` (``--size``,
``--font-size``, ``--xlim``, ``--ylim``): each bad value is one
:class:`lingauss.LingaussError` naming the option, the value and the rule."""

from __future__ import annotations

import math

from lingauss._core import latex
from lingauss._core.validation import LingaussError, check_option, check_real
from lingauss.io.spec import Spec, load_spec
from lingauss.model.options import Direction, Space
from lingauss.report.formats import Format


def spec_of(args) -> Spec:
    """The spec file, with ``--space``/``--direction`` overriding ``[divergence]``."""
    spec = load_spec(args.spec)
    changes = {}
    if getattr(args, "space", None) is not None:
        changes["space"] = Space.parse(args.space, "--space")
    if getattr(args, "direction", None) is not None:
        changes["direction"] = Direction.parse(args.direction, "--direction")
    return spec.replace(**changes)


def problem_line(spec: Spec, *, rank: str | None = None) -> str:
    """One line naming the problem: sizes, width, rank, space and direction.

    >>> from lingauss.spec import default_spec
    >>> print(problem_line(default_spec()))
    <default spec>: d=32 k=8 n=64 width=24 rank=8 space=parameter direction=forward
    """
    s = spec.sample
    m, r = spec.student.resolve(s.d, s.k)
    r = r if rank is None else rank
    source = "<default spec>" if spec.path is None else str(spec.path)
    return (f"{source}: d={s.d} k={s.k} n={s.n} width={m} rank={r} "
            f"space={spec.space} direction={spec.direction}")


def output_format(args) -> str:
    """The ``--format`` asked for (``--json`` is ``--format json``); ``--standalone`` needs
    LaTeX (the demo's report files are LaTeX whatever the format)."""
    if getattr(args, "json", False):
        if args.format not in (None, Format.JSON.value):
            raise LingaussError(f"Ambiguous arguments: --json and --format {args.format}.")
        fmt = Format.JSON
    else:
        fmt = args.format if args.format is not None else args.default_format
        check_option(fmt, "--format", args.formats)
    fmt = Format.parse(fmt, "--format")
    if getattr(args, "standalone", False) and fmt is not Format.LATEX and not (
            getattr(args, "standalone_files", False) and getattr(args, "output", None)):
        raise LingaussError(f"--standalone == True with --format {fmt}, must come with "
                            f"--format latex (it makes a complete LaTeX document).")
    args.fmt = fmt                    # parsed once: the emitter writes in it
    return fmt


def latex_out(text: str, args) -> str:
    """A LaTeX snippet, or a complete document with ``--standalone`` (for the report files
    of ``demo``; a command's own output is wrapped by :func:`lingauss.cli.emit.emit`)."""
    return latex.document(text) if getattr(args, "standalone", False) else text


def number_pair(text, option: str, what: str, example: str):
    """``"a,b"`` as two finite numbers (None stays None).

    >>> number_pair("3.4, 2.5", "--size", "W,H in inches", "3.4,2.5")
    (3.4, 2.5)
    >>> number_pair("3.4x2.5", "--size", "W,H in inches", "3.4,2.5")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: --size == '3.4x2.5', must be two numbers W,H in inches, e.g. 3.4,2.5.
    """
    if text is None:
        return None
    parts = str(text).split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        raise LingaussError(f"{option} == {text!r}, must be two numbers {what}, e.g. "
                            f"{example}.")
    return values


def plot_options(args) -> dict:
    """The figure options of ``lingauss plot``, checked before any work.

    >>> import argparse
    >>> plot_options(argparse.Namespace(style="paper", size=None, font_size="9", xlim="1,8",
    ...                                 ylim=None, no_title=True))
    {'style': 'paper', 'size': None, 'font_size': 9.0, 'xlim': (1.0, 8.0), 'ylim': None, 'title': False}
    """
    from lingauss.plots import STYLES

    style = check_option(args.style, "--style", tuple(STYLES))
    size = number_pair(args.size, "--size", "W,H in inches", "3.4,2.5")
    if size is not None:
        size = tuple(check_real(v, f"--size {'W' if j == 0 else 'H'}", low=0.5, high=50,
                                low_inclusive=True) for j, v in enumerate(size))
    font_size = None
    if args.font_size is not None:
        try:
            font_size = float(args.font_size)
        except ValueError:
            raise LingaussError(f"--font-size == {args.font_size!r}, must be a number of "
                                f"points, e.g. 8.") from None
        font_size = check_real(font_size, "--font-size", low=4, high=72, low_inclusive=True)
    limits = {}
    for name in ("xlim", "ylim"):
        pair = number_pair(getattr(args, name), f"--{name}", "LO,HI", "0,10")
        if pair is not None and not pair[0] < pair[1]:
            raise LingaussError(f"--{name} == {getattr(args, name)!r}, must have LO < HI.")
        limits[name] = pair
    return dict(style=style, size=size, font_size=font_size, **limits,
                title=not args.no_title)


def parse_grid(text, option: str, *, integer: bool):
    """A grid option: a comma-separated list (``0.1,1,10``) or, for integers, an inclusive
    range ``LO:HI`` or ``LO:HI:STEP`` (``1:8``); None stays None. Values are checked by the
    caller (:func:`lingauss._checks.check_grid`).

    >>> parse_grid("1:8:3", "--rank", integer=True), parse_grid("0.1, 1", "--ridge", integer=False)
    ([1, 4, 7], [0.1, 1.0])
    >>> parse_grid("1:x", "--rank", integer=True)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: --rank == '1:x', must be a comma-separated list of integers (1,2,4) or an inclusive range LO:HI[:STEP] (1:8).
    """
    if text is None:
        return None
    rule = ("a comma-separated list of integers (1,2,4) or an inclusive range LO:HI[:STEP] "
            "(1:8)" if integer else "a comma-separated list of numbers (0.1,1,10)")
    bad = LingaussError(f"{option} == {text!r}, must be {rule}.")
    text = str(text).strip()
    try:
        if integer and ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise bad
            lo, hi, step = parts + [1] * (3 - len(parts))
            if hi < lo:
                raise LingaussError(f"{option} == {text!r}, must have LO <= HI.")
            return list(range(lo, hi + 1, step))
        items = [p.strip() for p in text.split(",")]
        return [int(p) if integer else float(p) for p in items]
    except ValueError:
        raise bad from None
