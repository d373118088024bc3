"""The one way out: every command returns an :class:`Output`, and :func:`emit` writes it in the
format asked for — text, Markdown, LaTeX, CSV, JSON or netCDF.

A command says *what* it found (a :class:`Table`, the JSON data of its results, the lines a
person reads around a table, the files it writes); this module alone decides *how* each
format shows it. A new format is one entry of :data:`EMITTERS` (with its renderer in
:mod:`lingauss.report.render`; docs/contributing.md, "A new output format").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lingauss._core import latex
from lingauss._core.frames import write_netcdf
from lingauss._core.validation import LingaussError
from lingauss.report.formats import Format
from lingauss.report.render import render
from lingauss.report.serialize import dumps, rows_json

#: ``Output.json`` when the JSON of a command is its table's rows.
FROM_TABLE = object()


@dataclass(frozen=True)
class Table:
    """A table: header, rows and, for LaTeX, its caption, label and math columns."""

    header: tuple
    rows: list
    caption: str | None = None
    label: str = "tab:lingauss"
    math_columns: tuple = ()

    def render(self, fmt) -> str:
        """The table in a table format (:func:`lingauss.report.render.render`)."""
        return render(self.header, self.rows, fmt, math_columns=self.math_columns,
                      caption=self.caption, label=self.label)


@dataclass(frozen=True)
class Output:
    """What a command prints (every field optional).

    Attributes
    ----------
    table : Table
        Rendered in the format asked for.
    json
        The JSON data of ``--format json`` (results serialise themselves:
        :func:`lingauss.report.serialize.to_json`); by default the table's rows.
    document : str
        Text already in the format asked for (``derive``, ``table``), printed as it is (a
        LaTeX document with ``--standalone``).
    head, notes : str, tuple of str
        Lines above and below a table, in the text format only (a person's reading).
    said : tuple of str
        Lines about what was done (``wrote FILE``), in the formats people read (text and
        Markdown) or whenever the result went to a file.
    to : str
        Write the result to this file instead of standard output.
    dataset
        A function giving the xarray Dataset of ``--format netcdf``.
    status : int
        The exit status (1: a finding).
    """

    table: Table | None = None
    json: object = FROM_TABLE
    document: str | None = None
    head: str | None = None
    notes: tuple = ()
    said: tuple = ()
    to: str | None = None
    dataset: object = None
    status: int = 0


@dataclass
class Emitted:
    """A rendered output: the text for standard output or a file, or a data file's writer."""

    text: str = ""
    write: object = None                 # path ↦ None, for binary data files
    notes: list = field(default_factory=list)


def _body(out: Output, fmt: Format) -> str:
    if out.document is not None:
        return out.document
    if out.table is None:
        return ""
    return out.table.render(fmt).rstrip("\n") + "\n"


def _text(out: Output, standalone: bool) -> Emitted:
    head = "" if out.head is None else out.head.rstrip("\n") + "\n"
    notes = "".join(line.rstrip("\n") + "\n" for line in out.notes)
    return Emitted(head + _body(out, Format.TEXT) + notes)


def _markdown(out: Output, standalone: bool) -> Emitted:
    return Emitted(_body(out, Format.MD))


def _csv(out: Output, standalone: bool) -> Emitted:
    return Emitted(_body(out, Format.CSV))


def _latex(out: Output, standalone: bool) -> Emitted:
    body = _body(out, Format.LATEX)
    return Emitted(latex.document(body) if standalone else body)


def _json(out: Output, standalone: bool) -> Emitted:
    if out.document is not None:
        return Emitted(out.document)
    if out.json is FROM_TABLE:
        data = [] if out.table is None else rows_json(out.table.header, out.table.rows)
    else:
        data = out.json
    return Emitted(dumps(data) + "\n")


def _netcdf(out: Output, standalone: bool) -> Emitted:

    if out.to is None:
        raise LingaussError("--format netcdf needs -o FILE (netCDF is a binary file, not for "
                            "the terminal).")
    dataset = out.dataset()
    return Emitted(write=lambda path: write_netcdf(dataset, path))


#: Format → how an :class:`Output` is written in it.
EMITTERS = {Format.TEXT: _text, Format.MD: _markdown, Format.LATEX: _latex, Format.CSV: _csv,
            Format.JSON: _json, Format.NETCDF: _netcdf}


def emit(ctx, out: Output, fmt: Format | None = None, *, standalone: bool = False) -> int:
    """Write ``out`` in ``fmt`` (None: a command without formats, whose output is text) to
    ``ctx`` — standard output, or the file ``out.to`` — and return its exit status."""
    fmt = Format.TEXT if fmt is None else Format.parse(fmt, "format")
    done = EMITTERS[fmt](out, standalone)
    if out.to is not None:
        if done.write is not None:
            ctx.files.add(out.to, done.write)
        else:
            text = done.text
            ctx.files.add(out.to, lambda path: path.write_text(text, encoding="utf-8"))
    else:
        ctx.write(done.text)
    if out.said and (out.to is not None or fmt in (Format.TEXT, Format.MD)):
        ctx.write("".join(line.rstrip("\n") + "\n" for line in out.said))
    return out.status

