"""Tables for papers: closed forms with their values, sweeps, asymptotics (md, LaTeX, CSV).

* :func:`closed_form_table` — each term's per-mode formula (LaTeX written by the symbolic
  engine) for the spec's options, and its value at the spec (the exact divergence);
* :func:`sweep_table` — every term across ranks or widths (:func:`lingauss.design.explore`);
* :func:`asymptotic_table` — the leading-order behaviour of each per-mode term (expected over
  the label noise, kept mode) as ``n → ∞`` (``s = nσ``), ``λ_S → 0``, ``ν → 0``, and for a
  power-law mode ``s = n i^{−a}``, ``‖θ_i‖² = i^{−b}`` as ``n → ∞`` — computed by sympy
  (leading terms of series), not typed.

LaTeX output is a ``booktabs`` ``tabular`` fragment; CSV has a header row; Markdown is a pipe
table. Sympy is imported only by the closed-form and asymptotic tables.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from ._timeout import with_timeout
from ._validation import check_option
from .divergence import TERMS, divergence

FORMATS = ("text", "md", "latex", "csv", "json")
KINDS = ("closed-form", "sweep", "asymptotic")
#: Limits of the asymptotic table, in column order.
LIMITS = ("n → ∞", "λ_S → 0", "ν → 0", "power law, n → ∞")


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


def _json_value(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


def render(header, rows, fmt: str, *, math_columns=()) -> str:
    """A table as plain text, Markdown, LaTeX (booktabs), CSV or JSON.

    Cells may be numbers (6 significant digits in text, Markdown and LaTeX; full precision
    in CSV; numbers in JSON), booleans, None or text; ``math_columns`` hold LaTeX math.

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
    check_option(fmt, "format", FORMATS)
    if fmt == "json":
        return json.dumps([{h: _json_value(v) for h, v in zip(header, row)} for row in rows])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[repr(float(v)) if isinstance(v, (float, np.floating))
                           and not isinstance(v, bool) else _cell(v) for v in row]
                          for row in rows])            # data: full precision
        return buf.getvalue()
    if fmt == "text":
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

    def cell(j, value, latex):
        text = _cell(value)
        if j in math_columns and text:
            return f"${text}$"
        if latex:
            return text.replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")
        return text.replace("|", r"\|")

    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell(j, v, False) for j, v in enumerate(row)) + " |"
                  for row in rows]
        return "\n".join(lines)
    lines = [r"\begin{tabular}{" + "l" * len(header) + "}", r"\toprule",
             " & ".join(cell(-1, h, True) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(cell(j, v, True) for j, v in enumerate(row)) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _fmt(x) -> str:
    return "" if x is None else f"{x:.6g}"


def closed_form_table(spec, fmt: str = "md") -> str:
    """Each term's per-mode closed form (kept and dropped modes) and its value at the spec.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> text = closed_form_table(default_spec(), "csv")
    >>> text.splitlines()[0]
    'term,kept modes (i <= m),dropped modes (i > m),value at the spec'
    """
    from . import symbolic

    check_option(fmt, "format", FORMATS)
    student = spec.student
    forms = symbolic.derive(spec.space, student.soft_labels, spec.direction, "conditional")
    dec = divergence(spec.teacher, student, spec.sample, space=spec.space,
                     direction=spec.direction).as_dict()
    rows = []
    for name in TERMS:
        if name not in dec:
            continue
        if name in forms["kept"]:
            kept = symbolic.latex(forms["kept"][name])
            dropped = symbolic.latex(forms["dropped"][name])
        else:
            kept = dropped = ""
        rows.append((name, kept, dropped, _fmt(dec[name])))
    return render(("term", "kept modes (i <= m)", "dropped modes (i > m)", "value at the spec"),
                  rows, fmt, math_columns=(1, 2))


def sweep_table(spec, fmt: str = "md", *, axis: str = "rank", values=None) -> str:
    """Every term of the exact divergence across ranks (at the spec's width) or widths (at
    rank ``min(k, width)`` unless the spec fixes the rank).

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> print(sweep_table(default_spec(), "csv", values=[1, 2]).splitlines()[0])
    rank,total,bias,variance,rank_bottleneck,bottleneck_mean,bottleneck_covariance,rank_floor
    """
    from .design import explore

    check_option(fmt, "format", FORMATS)
    check_option(axis, "axis", ("rank", "width"))
    d, k = spec.sample.d, spec.sample.k
    m, _ = spec.student.resolve(d, k)
    rows = []
    if axis == "rank":
        res = explore(spec, rank=values, width=[m])
        names = list(res.terms)
        for i, r in enumerate(res.axes["rank"]):
            rows.append((int(r),) + tuple(_fmt(res[n][i, 0]) for n in names))
    else:
        widths = values if values is not None else range(1, d + 1)
        names = None
        for w in widths:
            r = spec.student.rank if spec.student.rank is not None else min(k, int(w))
            res = explore(spec, rank=[min(r, int(w))], width=[int(w)])
            names = names or list(res.terms)
            rows.append((int(w),) + tuple(_fmt(res[n][0, 0]) for n in names))
    return render((axis,) + tuple(names), rows, fmt)


def _back(expr, eps, n):
    return None if expr is None else expr.subs(eps, 1 / n)


def asymptotics(space: str = "parameter", soft_labels: str = "mean",
                direction: str = "forward", *, timeout: float = 5.0) -> dict:
    """``{term: {limit: leading-order sympy expression}}`` for the kept per-mode terms.

    Each per-mode term (expected over the label noise) is rewritten with ``v`` as
    ``x − 1 − log x``: ``n → ∞`` puts ``s = σ n`` (``σ`` the population eigenvalue) and takes
    the leading term in ``1/n``; ``λ_S → 0`` and ``ν → 0`` the leading term in that symbol; the power law puts
    ``s = n i^{−a}``, ``‖Qθ_i‖² = i^{−b}``, ``‖Q⊥θ_i‖² = 0`` and takes ``n → ∞``. An entry
    sympy does not find within ``timeout`` seconds is ``None``.

    >>> lead = asymptotics()
    >>> lead["bias"]["n → ∞"]
    thetaQ2*(alpha*beta_S*lambda_T - beta_T*lambda_S)**2/(2*beta_S**2*beta_T*n*sigma)
    >>> lead["rank_bottleneck"]["power law, n → ∞"]
    -beta_T*n*tau2*(-k + r)/(2*i**a)
    """
    import sympy as sp

    from . import symbolic as S

    forms = S.derive(space, soft_labels, direction, "expected")["kept"]
    sigma = sp.Symbol("sigma", positive=True)
    n, eps = sp.symbols("n epsilon", positive=True)
    i, a, b = sp.symbols("i a b", positive=True)
    out = {}
    for name in ("variance", "bias", "rank_bottleneck", "total") + (
            ("convexity_slack",) if "convexity_slack" in forms else ()):
        expr = forms[name].replace(S.v, lambda x: x - 1 - sp.log(x))
        lead = {}

        def leading(e, x):
            """The leading term of ``e`` as ``x → 0⁺`` (first non-zero term of its series);
            ``None`` when sympy does not find it within ``timeout`` seconds."""
            if not e.has(x):
                return e
            done, value = with_timeout(lambda: sp.factor(e.as_leading_term(x)), timeout)
            return value if done else None

        big_n = expr.subs(S.s, sigma / eps)
        lead["n → ∞"] = _back(leading(big_n, eps), eps, n)
        lead["λ_S → 0"] = leading(expr, S.lambda_S)
        lead["ν → 0"] = leading(expr, S.nu)
        power = expr.subs({S.s: n * i ** (-a), S.thetaQ2: i ** (-b), S.thetaP2: 0})
        lead["power law, n → ∞"] = _back(leading(power.subs(n, 1 / eps), eps), eps, n)
        out[name] = lead
    return out


def asymptotic_table(spec, fmt: str = "md") -> str:
    """The leading-order behaviour of each per-mode term (:func:`asymptotics`) as a table.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> default_spec().student.soft_labels
    'mean'
    >>> print(asymptotic_table(default_spec(), "csv").splitlines()[0])
    term,n → ∞,λ_S → 0,ν → 0,"power law, n → ∞"
    """
    from . import symbolic

    check_option(fmt, "format", FORMATS)
    lead = asymptotics(spec.space, spec.student.soft_labels, spec.direction)
    rows = [(name,) + tuple(r"\mbox{not found within 5 s}" if lead[name][lim] is None
                            else symbolic.latex(lead[name][lim]) for lim in LIMITS)
            for name in lead]
    return render(("term",) + LIMITS, rows, fmt, math_columns=(1, 2, 3, 4))


def table(spec, kind: str, fmt: str = "md") -> str:
    """Dispatch on ``kind`` (``closed-form``, ``sweep``, ``asymptotic``)."""
    check_option(kind, "kind", KINDS)
    return {"closed-form": closed_form_table, "sweep": sweep_table,
            "asymptotic": asymptotic_table}[kind](spec, fmt)
