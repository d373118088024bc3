"""Rich display of results in Jupyter: one HTML table and one LaTeX array for every result.

Every result class (:class:`lingauss.Decomposition`, :class:`lingauss.excess_risk.Risk`,
:class:`lingauss.sweep.Sweep`, :class:`lingauss.formula.FormulaCheck`, ...) describes itself
as a caption, a header and rows, and gets ``_repr_html_`` and ``_repr_latex_`` from
:func:`html_table` and :func:`latex_table`: a notebook shows a table, a LaTeX-aware front end
(or ``myst-nb`` in the documentation) the same table as math. Numbers have 6 significant
digits; ``None`` is an empty cell; a term's name is set as ``\\mathrm{...}``.
"""

from __future__ import annotations

import html
import numbers
import re

#: Largest number of rows shown; longer tables end with a row saying how many were left out.
MAX_ROWS = 60


def _number(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return f"{float(value):.6g}"


def _limited(rows) -> tuple[list, int]:
    rows = list(rows)
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def html_table(caption: str, header, rows) -> str:
    """An HTML table (numbers right-aligned, text escaped).

    >>> print(html_table("K", ("term", "value"), [("bias", 0.5), ("note", None)]))
    <table><caption>K</caption><thead><tr><th>term</th><th>value</th></tr></thead><tbody><tr><td>bias</td><td style="text-align:right">0.5</td></tr><tr><td>note</td><td></td></tr></tbody></table>
    """
    def cell(value):
        if value is None:
            return "<td></td>"
        num = _number(value)
        if num is not None:
            return f'<td style="text-align:right">{num}</td>'
        return f"<td>{html.escape(str(value))}</td>"

    shown, more = _limited(rows)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in shown)
    if more:
        body += f'<tr><td colspan="{len(header)}">… {more} more rows</td></tr>'
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def latex_text(text: str) -> str:
    r"""Text for math mode: words in ``\text{...}``, a word with an underscore (a term's name)
    in ``\mathrm{...}`` with ``\_`` (which LaTeX and MathJax both read in math mode).

    >>> latex_text("rank_bottleneck")
    '\\mathrm{rank\\_bottleneck}'
    >>> latex_text("K = bias + rank_bottleneck (nats)")
    '\\text{K = bias + }\\mathrm{rank\\_bottleneck}\\text{ (nats)}'
    """
    for char in "\\{}$%&#^~":
        text = text.replace(char, "")
    out = []
    for j, part in enumerate(re.split(r"(\S*_\S*)", text)):
        if j % 2:
            out.append(r"\mathrm{" + part.replace("_", r"\_") + "}")
        elif part:
            out.append(r"\text{" + part + "}")
    return "".join(out) or r"\text{}"


def latex_table(caption: str, header, rows) -> str:
    r"""A LaTeX ``array`` in display math (``$$ ... $$``), the caption as its first line.

    >>> print(latex_table("K", ("term", "value"), [("bias", 0.5)]))
    $$\begin{array}{lr}
    \multicolumn{2}{l}{\text{K}} \\
    \text{term} & \text{value} \\ \hline
    \text{bias} & 0.5
    \end{array}$$
    """
    shown, more = _limited(rows)
    columns = len(header)
    align = "".join("r" if any(_number(row[j]) is not None for row in shown) else "l"
                    for j in range(columns))

    def cell(value):
        if value is None:
            return ""
        num = _number(value)
        if num is None:
            return latex_text(str(value))
        mantissa, _, exponent = num.partition("e")
        return mantissa + (rf" \times 10^{{{int(exponent)}}}" if exponent else "")

    lines = [rf"\multicolumn{{{columns}}}{{l}}{{{latex_text(caption)}}} \\",
             " & ".join(latex_text(str(h)) for h in header) + r" \\ \hline"]
    lines += [" & ".join(cell(v) for v in row) for row in shown]
    if more:
        lines.append(rf"\multicolumn{{{columns}}}{{l}}{{{latex_text(f'… {more} more rows')}}}")
    body = lines[:2] + [" \\\\\n".join(lines[2:])] if len(lines) > 2 else lines
    return "$$\\begin{array}{" + align + "}\n" + "\n".join(body) + "\n\\end{array}$$"


def latex_equations(groups) -> str:
    r"""Named formulas in one ``aligned`` block: ``groups`` is ``[(heading, [(name, tex)])]``.

    >>> print(latex_equations([("kept modes", [("bias", "0")])]))
    $$\begin{aligned}
    &\text{kept modes} \\
    \text{bias} &= 0
    \end{aligned}$$
    """
    lines = []
    for heading, rows in groups:
        if heading:
            lines.append("&" + latex_text(heading))
        lines += [f"{latex_text(name)} &= {tex}" for name, tex in rows]
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


class TableDisplay:
    """Mixin: ``_repr_html_`` and ``_repr_latex_`` from ``_display_table()``, which returns
    ``(caption, header, rows)``."""

    def _display_table(self) -> tuple:                # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return html_table(*self._display_table())

    def _repr_latex_(self) -> str:
        return latex_table(*self._display_table())
