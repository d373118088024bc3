r"""LaTeX tables for papers: ``booktabs`` rules in a ``table`` float with a ``\caption``
and a ``\label`` (a ``longtable`` with the same when long), ``siunitx`` ``S`` columns for
numbers (:func:`lingauss.latex.number`: one significant-figure rule), math headers and ASCII
text; a table wider than the text is set smaller, and scaled to the line width as a last
resort. See :mod:`lingauss.latex` for the preamble.
"""

from __future__ import annotations

import re

import numpy as np

from lingauss._core.latex import (LONG_TABLE, TEXT_WIDTH_PT, check_ascii, ems, math_width, number,
                                  table_format, text)

#: Math headers of the known column names (any other name is set in ``\mathrm``).
HEADERS = {
    "rank": "r", "width": "m", "total": "K", "K": "K", "n": "n", "d": "d", "k": "k",
    "exact_delta": r"\Delta", "parameters": "r(m + k)", "value": r"\mathrm{value}",
    "stderr": r"\mathrm{std.\ error}", "value at the spec": r"\mathrm{value}",
    "K at the spec": r"K_{\mathrm{spec}}", "K at best": r"K_{\mathrm{best}}",
}


def header(name) -> str:
    r"""The math header of a column name (:data:`HEADERS`, else ``\mathrm{name}``).

    >>> header("rank"), header("bias"), header("rank_bottleneck"), header("soft labels")
    ('$r$', '$\\mathrm{bias}$', '$\\mathrm{rank\\_bottleneck}$', '$\\mathrm{soft\\ labels}$')
    """
    name = str(name)
    if name in HEADERS:
        return f"${HEADERS[name]}$"
    if re.fullmatch(r"[A-Za-z0-9_ ]+", name):
        return r"$\mathrm{" + text(name).replace(" ", r"\ ") + "}$"
    return r"$\text{" + text(name) + "}$"


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return text(value)


def _math_cell(tex: str) -> str:
    if not tex:
        return ""
    if r"\\" in tex or "&" in tex:
        return r"$\begin{aligned}[t]" + tex + r"\end{aligned}$"
    return f"${tex}$"


def _number_width(fmt: str) -> float:
    m = re.match(r"(-?)(\d+)\.(\d+)(?:e(-?)(\d+))?", fmt)
    width = 0.5 * (int(m.group(2)) + int(m.group(3))) + 0.28 + (0.78 if m.group(1) else 0)
    if m.group(5):
        width += 2.6 + 0.35 * int(m.group(5)) + (0.55 if m.group(4) else 0)
    return width


def table(header_row, rows, *, caption: str, label: str, math_columns=(),
          long: bool | None = None) -> str:
    r"""A ``booktabs`` table (see the module docstring) as a snippet.

    Parameters
    ----------
    header_row : sequence of str
        Column names (set as math, :func:`header`).
    rows : sequence of sequences
        Cells: numbers (an ``S`` column when a column holds only numbers and blanks),
        booleans (yes/no), None (blank) or text (escaped, Unicode spelt in LaTeX).
    caption, label : str
        The caption (LaTeX) and the ``\label`` key.
    math_columns : sequence of int
        Columns whose cells are LaTeX math (rows of an ``aligned`` when they hold ``\\``).
    long : bool, optional
        A ``longtable``; by default when there are more than :data:`LONG_TABLE` rows.

    Examples
    --------
    >>> print(table(("term", "value"), [("bias", 0.28182), ("total", 64.1257)],
    ...             caption="Terms.", label="tab:terms"))
    \begin{table}[htbp]
    \centering
    \caption{Terms.}
    \label{tab:terms}
    \begin{tabular}{lS[table-format=2.4,group-digits=integer]}
    \toprule
    {$\mathrm{term}$} & {$\mathrm{value}$} \\
    \midrule
    bias & 0.2818 \\
    total & 64.13 \\
    \bottomrule
    \end{tabular}
    \end{table}
    """
    ncol = len(header_row)
    long = len(rows) > LONG_TABLE if long is None else long
    kinds, cells, widths = [], [[None] * ncol for _ in rows], []
    for j in range(ncol):
        column = [row[j] for row in rows]
        head_w = math_width(header(header_row[j]).strip("$"), "T")
        if j in math_columns:
            kinds.append("l")
            for i, value in enumerate(column):
                cells[i][j] = _math_cell(value or "")
            body_w = max([max((math_width(part, "D") for part in (v or "").split(r"\\")),
                              default=0) for v in column] + [0])
        elif column and all(v is None or _is_number(v) for v in column) and \
                any(v is not None for v in column):
            texts = [number(v) if v is not None else "" for v in column]
            fmt = table_format(texts)
            kinds.append(f"S[table-format={fmt},group-digits=integer]")
            for i, t_ in enumerate(texts):
                cells[i][j] = t_
            body_w = _number_width(fmt)
        else:
            kinds.append("l")
            for i, value in enumerate(column):
                cells[i][j] = _cell_text(value)
            body_w = max([0.5 * len(_cell_text(v)) for v in column] + [0])
        widths.append(max(head_w, body_w))
    natural = sum(widths) + 1.2 * ncol                       # + 2 \tabcolsep (6 pt) each
    room = 0.95 * ems(TEXT_WIDTH_PT)                         # 5 % for the estimate
    size, colsep, scale, fixed = "", "", False, 0.0
    if natural > room:
        # a long text column wraps first (a ragged-right paragraph column of fixed width)
        texts = [j for j in range(ncol) if kinds[j] == "l" and j not in math_columns]
        widest = max(texts, key=lambda j: widths[j], default=None)
        if widest is not None and widths[widest] > 12:
            natural -= widths[widest] + 1.2
            share = max(0.2, min(0.6, (room - natural - 1.2) / room))
            kinds[widest] = r">{\raggedright\arraybackslash}p{%.2f\linewidth}" % share
            fixed = share * room + 1.2
    if natural + fixed > room:
        size = r"\small" if natural * 0.9 + fixed <= room else r"\footnotesize"
        if size == r"\footnotesize":
            colsep = r"\setlength{\tabcolsep}{3pt}"
            if (natural - 0.6 * ncol) * 0.8 + fixed > room:
                if long:
                    size = r"\scriptsize"
                else:
                    scale = True
    spec = "".join(kinds)
    head = " & ".join("{" + header(h) + "}" for h in header_row) + r" \\"
    body = [" & ".join(row) + r" \\" for row in cells]
    if math_columns:          # air between rows of tall math (fractions touch otherwise)
        body = [line + (r" \addlinespace[0.3em]" if i < len(body) - 1 else "")
                for i, line in enumerate(body)]
    label_line = r"\label{" + label + "}"
    if long:
        lines = [r"\begingroup"] + [x for x in (size, colsep) if x] + [
            r"\begin{longtable}{" + spec + "}",
            r"\caption{" + caption + "}" + label_line + r" \\",
            r"\toprule", head, r"\midrule", r"\endfirsthead",
            r"\multicolumn{" + str(ncol) + r"}{l}{\emph{(continued)}} \\",
            r"\toprule", head, r"\midrule", r"\endhead",
            r"\bottomrule", r"\endlastfoot", *body,
            r"\end{longtable}", r"\endgroup"]
        return check_ascii("\n".join(lines))
    tabular = [r"\begin{tabular}{" + spec + "}", r"\toprule", head, r"\midrule", *body,
               r"\bottomrule", r"\end{tabular}"]
    if scale:
        tabular = [r"\resizebox{\linewidth}{!}{%"] + tabular + ["}"]
    lines = [r"\begin{table}[htbp]", r"\centering"] + [x for x in (size, colsep) if x] + [
        r"\caption{" + caption + "}", label_line, *tabular, r"\end{table}"]
    return check_ascii("\n".join(lines))
