"""The one renderer of tables: text, Markdown, CSV, JSON or LaTeX from a header and rows.

Every table of lingauss — a command's output, a closed-form or sweep table, a notebook's
LaTeX — is rendered here; a format is one entry of :data:`RENDERERS` (docs/contributing.md,
"A new output format").
"""

from __future__ import annotations

import csv
import io

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.report import latex_tables
from lingauss.report.formats import TABLE_FORMATS, Format
from lingauss.report.serialize import dumps, rows_json


def _cell(value) -> str:
    """A cell as text: numbers to 6 significant digits, booleans yes/no, None empty."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def render(header, rows, fmt: str, *, math_columns=(), caption: str | None = None,
           label: str = "tab:lingauss") -> str:
    """A table as plain text, Markdown, LaTeX, CSV or JSON.

    Cells may be numbers (6 significant digits in text and Markdown; full precision in CSV;
    numbers in JSON; in LaTeX :data:`lingauss._core.latex.SIGNIFICANT` significant figures in
    ``siunitx`` columns), booleans, None or text; ``math_columns`` hold LaTeX math. LaTeX is
    a ``booktabs`` table with ``caption`` and ``label`` (:func:`lingauss.report.latex_tables.table`).

    >>> print(render(("term", "value"), [("bias", 0.5)], "md"))
    | term | value |
    |---|---|
    | bias | 0.5 |
    >>> render(("term", "value"), [("bias", 0.5)], "json")
    '[{"term": "bias", "value": 0.5}]'
    >>> print(render(("term", "value"), [("total", 1.5), ("bias", 0.25)], "text"))
    term   value
    -----  -----
    total    1.5
    bias    0.25
    """
    fmt = table_format(fmt)
    return RENDERERS[fmt](header, rows, math_columns=math_columns, caption=caption,
                          label=label)


def table_format(fmt, name: str = "format") -> Format:
    """``fmt`` as a table :class:`Format` (one of :data:`TABLE_FORMATS`).

    >>> table_format("netcdf")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for format: 'netcdf'. Possible values: ('text', 'md', 'latex', 'csv', 'json').
    """
    if isinstance(fmt, str) and fmt in TABLE_FORMATS:
        return Format(str(fmt))
    raise LingaussError(f"Unknown value for {name}: {fmt!r}. Possible values: "
                        f"{TABLE_FORMATS}.", parameter=name)


def _json(header, rows, **_) -> str:
    return dumps(rows_json(header, rows))


def _csv(header, rows, **_) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[repr(float(v)) if isinstance(v, (float, np.floating))
                       and not isinstance(v, bool) else _cell(v) for v in row]
                      for row in rows])            # data: full precision
    return buf.getvalue()


def _text(header, rows, **_) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [bool(rows) and not all(isinstance(row[j], str) for row in rows)
               for j in range(len(header))]
    widths = [max([len(header[j])] + [len(row[j]) for row in cells])
              for j in range(len(header))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])]
                     + [line(row) for row in cells])


def _md(header, rows, *, math_columns=(), **_) -> str:
    def cell(j, value):
        text = _cell(value)
        if j in math_columns and text:
            return f"${text}$"
        return text.replace("|", r"\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(j, v) for j, v in enumerate(row)) + " |"
              for row in rows]
    return "\n".join(lines)


def _latex(header, rows, *, math_columns=(), caption=None, label="tab:lingauss") -> str:
    return latex_tables.table(header, rows, caption=caption or "Computed by lingauss.",
                              label=label, math_columns=math_columns)


#: Format → the function that renders a table in it (one entry per table format).
RENDERERS = {Format.TEXT: _text, Format.MD: _md, Format.LATEX: _latex, Format.CSV: _csv,
             Format.JSON: _json}
