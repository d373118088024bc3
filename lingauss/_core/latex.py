r"""LaTeX for papers: the preamble, complete documents, ASCII text, widths and numbers.

Every LaTeX output of lingauss is a *snippet* that compiles in any document whose preamble has
the lines of :data:`PREAMBLE` (``lingauss derive --preamble`` prints them), or a complete
document with ``--standalone`` (:func:`document`). The output is plain ASCII (every byte
< 128): Unicode in names and notes is spelt in LaTeX (:func:`text`).

Numbers in tables are written with :data:`SIGNIFICANT` significant figures (:func:`number`)
in ``siunitx`` ``S`` columns (:func:`table_format`); the tables themselves are made by
:mod:`lingauss.latex_tables`. Layout decisions use an estimate of the printed width of math
(:func:`math_width`) against :data:`TEXT_WIDTH_PT`, checked by compiling in the tests.

This module is a leaf: it imports nothing from lingauss but the validation helpers.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from lingauss._core.validation import LingaussError

#: The preamble every snippet needs (also printed by ``lingauss derive --preamble``).
PREAMBLE = "\n".join([
    r"\usepackage{amsmath}",
    r"\usepackage{booktabs}",
    r"\usepackage{siunitx}",
    r"\usepackage{longtable}",
    r"\usepackage{tabularx}",
    r"\usepackage{graphicx}",
    r"\providecommand{\vfun}{\operatorname{v}}",
]) + "\n"
#: Significant figures of every number in a LaTeX table.
SIGNIFICANT = 4
#: Tables with more rows than this are ``longtable``s (they may break across pages).
LONG_TABLE = 40
#: Width of the text assumed when laying out (pt): the standard ``article`` class at 10 pt.
TEXT_WIDTH_PT = 345.0
#: Font size (pt) the widths of :func:`math_width` are in ems of.
FONT_PT = 10.0


def document(body: str, *, title: str | None = None) -> str:
    r"""A complete ``article`` document with :data:`PREAMBLE` around ``body``.

    >>> print(document(r"$\vfun(x)$"))
    \documentclass{article}
    \usepackage{amsmath}
    ...
    \begin{document}
    $\vfun(x)$
    \end{document}
    """
    lines = [r"\documentclass{article}", PREAMBLE.rstrip("\n"), r"\begin{document}"]
    if title:
        lines.append(r"\section*{" + title + "}")
    lines += [body.rstrip("\n"), r"\end{document}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Text: escaping and Unicode spelt in LaTeX
# --------------------------------------------------------------------------------------------

_GREEK = {chr(0x3b1 + j): name for j, name in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho "
    "varsigma sigma tau upsilon phi chi psi omega".split())}
_GREEK.update({"Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Σ": "Sigma",
               "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "Π": "Pi"})
_MATH = {"≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "→": r"\to", "∞": r"\infty",
         "×": r"\times", "·": r"\cdot", "−": "-", "‖": r"\Vert", "⊥": r"\perp", "∑": r"\sum",
         "Σ": r"\Sigma", "√": r"\surd", "±": r"\pm", "∈": r"\in", "ᵀ": r"^{\top}",
         "²": "^2", "³": "^3", "⁴": "^4", "₀": "_0", "₁": "_1", "₂": "_2", "ᵢ": "_i",
         "Ŷ": r"\hat{Y}", "ŷ": r"\hat{y}", "θ": r"\theta"}
_TEXT = {"—": "---", "–": "--", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\dots{}",
         "\u00a0": "~"}
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}"}


def _math_of(char: str) -> str | None:
    if char in _MATH:
        return _MATH[char]
    if char in _GREEK:
        return "\\" + _GREEK[char]
    return None


def text(value) -> str:
    r"""``value`` as LaTeX text: special characters escaped, Unicode spelt in LaTeX (Greek
    letters and symbols in math mode, dashes as ``--``/``---``, accents dropped), so the
    result is ASCII.

    >>> text("β_S ≤ 1 — 50% of ‖Qθ‖²")
    '$\\beta$\\_S $\\le$ 1 --- 50\\% of $\\Vert$Q$\\theta$$\\Vert$$^2$'
    >>> text("naïve")
    'naive'
    """
    out = []
    for char in str(value):
        if ord(char) < 128:
            out.append(_SPECIAL.get(char, char))
        elif char in _TEXT:
            out.append(_TEXT[char])
        elif _math_of(char) is not None:
            out.append("$" + _math_of(char) + "$")
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 128)
            out.append(plain or "?")
    return "".join(out)


def check_ascii(latex: str, what: str = "LaTeX output") -> str:
    """``latex`` itself, when every character is ASCII (a guard on every LaTeX output).

    >>> check_ascii("x")
    'x'
    >>> check_ascii("é")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: LaTeX output has the non-ASCII character 'é' (U+00E9) at offset 0, must be ASCII.
    """
    for offset, char in enumerate(latex):
        if ord(char) >= 128:
            raise LingaussError(f"{what} has the non-ASCII character {char!r} "
                                f"(U+{ord(char):04X}) at offset {offset}, must be ASCII.")
    return latex


# --------------------------------------------------------------------------------------------
# Widths of math (an estimate, in ems of the 10 pt font; checked against pdflatex by tests)
# --------------------------------------------------------------------------------------------

_SCALE = {"D": 1.0, "T": 1.0, "S": 0.7, "SS": 0.5}
_SMALLER = {"D": "T", "T": "S", "S": "SS", "SS": "SS"}
_SCRIPT = {"D": "S", "T": "S", "S": "SS", "SS": "SS"}
_COMMAND_WIDTH = {
    "alpha": 0.64, "beta": 0.57, "lambda": 0.58, "nu": 0.5, "tau": 0.44, "rho": 0.52,
    "theta": 0.47, "sigma": 0.57, "Delta": 0.83, "mu": 0.6, "eta": 0.5, "epsilon": 0.41,
    "Sigma": 0.72, "infty": 1.0, "perp": 0.78, "lVert": 0.5, "rVert": 0.5, "Vert": 0.5,
    "vfun": 0.75, "log": 1.45, "cdot": 0.72, ",": 0.17, ";": 0.28, ":": 0.22, "!": -0.17,
    "quad": 1.0, "qquad": 2.0, "to": 1.56, "le": 1.33, "ge": 1.33, "top": 0.78,
    "colon": 0.5, "dots": 1.2, "ldots": 1.2, "cdots": 1.2, "times": 1.22, "sum": 1.5,
    "exp": 1.5, "sqrt": 0.9, " ": 0.33, "in": 1.22, "approx": 1.33, "partial": 0.57,
}
_SPACED = {"+": 1.22, "-": 1.22, "=": 1.33, "<": 1.33, ">": 1.33}


def _group(s: str, i: int) -> tuple:
    """The argument at ``s[i]`` (a braced group or one token) and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def math_width(latex: str, style: str = "D") -> float:
    r"""Estimated width of math ``latex`` in ems (of :data:`FONT_PT`), in display style
    ``"D"`` (or ``"T"`` text, ``"S"`` script). Fractions count their wider part, scripts
    at 70 %, binary operators with their spacing; an estimate good to about 15 %.

    >>> round(math_width(r"\frac{a}{b}"), 2) < round(math_width("a + b"), 2)
    True
    """
    scale = _SCALE[style]
    width, i, s = 0.0, 0, latex
    while i < len(s):
        c = s[i]
        if c in " \n&":
            i += 1
        elif c == "{":
            arg, i = _group(s, i)
            width += math_width(arg, style)
        elif c in "^_":
            arg, i = _group(s, i + 1)
            width += math_width(arg, _SCRIPT[style])
        elif c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name, i = m.group(1), i + len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _group(s, i)
                den, i = _group(s, i)
                inner = "T" if name == "dfrac" else ("S" if name == "tfrac" else
                                                     _SMALLER[style])
                width += max(math_width(num, inner), math_width(den, inner)) + 0.24 * scale
            elif name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"):
                delim, i = _group(s, i)
                width += (0.0 if delim == "." else 0.55) * scale
            elif name in ("mathrm", "text", "operatorname", "mbox", "textrm", "mathit"):
                arg, i = _group(s, i)
                plain = re.sub(r"\\.", "_", arg)
                width += 0.5 * len(plain) * scale
            elif name in ("hat", "bar", "tilde", "mathbf", "boldsymbol"):
                arg, i = _group(s, i)
                width += math_width(arg, style)
            elif name == "\\":
                width += 0.0
            else:
                width += _COMMAND_WIDTH.get(name, 0.8) * scale
        elif c in _SPACED:
            width += (_SPACED[c] if style in ("D", "T") else 0.78) * scale
            i += 1
        elif c in "()[]|":
            width += 0.39 * scale
            i += 1
        elif c in ",;":
            width += 0.45 * scale
            i += 1
        elif c.isupper():
            width += 0.78 * scale
            i += 1
        else:
            width += 0.52 * scale
            i += 1
    return width


def ems(points: float) -> float:
    """``points`` (pt) in ems of :data:`FONT_PT`."""
    return points / FONT_PT


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

def number(value) -> str:
    r"""A number for an ``S`` column: integers as they are; other numbers with
    :data:`SIGNIFICANT` significant figures (trailing zeros kept, exponent form below
    ``1e-4`` and from ``1e4`` on, exactly 0 as ``0``); non-finite as braced text.

    >>> [number(x) for x in (8, 64.12571, 0.0408369, 4.0, 1e-09, 0.0, -2.6377, 123456.0)]
    ['8', '64.13', '0.04084', '4.000', '1.000e-9', '0', '-2.638', '1.235e5']
    >>> number(float("nan")), number(float("-inf"))
    ('{--}', '{$-\\infty$}')
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    x = float(value)
    if math.isnan(x):
        return "{--}"
    if math.isinf(x):
        return "{$-\\infty$}" if x < 0 else "{$\\infty$}"
    if x == 0:
        return "0"
    text_ = f"{x:#.{SIGNIFICANT}g}"
    if "e" in text_:
        mantissa, exponent = text_.split("e")
        text_ = f"{mantissa}e{int(exponent)}"
    return text_.rstrip(".")


_NUMBER = re.compile(r"^(-?)(\d*)(?:\.(\d*))?(?:e(-?)(\d+))?$")


def table_format(cells) -> str:
    """The ``siunitx`` ``table-format`` that holds every number of a column.

    >>> table_format(["64.13", "-0.04084", "1.000e-9", "8"])
    '-2.5e-1'
    """
    sign = ints = decimals = exp_digits = 0
    exp_sign = False
    for cell in cells:
        m = _NUMBER.match(cell)
        if not m:
            continue
        sign |= bool(m.group(1))
        ints = max(ints, len(m.group(2)))
        decimals = max(decimals, len(m.group(3) or ""))
        if m.group(5):
            exp_digits = max(exp_digits, len(m.group(5)))
            exp_sign |= bool(m.group(4))
    out = ("-" if sign else "") + f"{max(ints, 1)}.{decimals}"
    if exp_digits:
        out += "e" + ("-" if exp_sign else "") + str(exp_digits)
    return out
