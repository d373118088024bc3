"""Tables for papers (issue 5): closed-form, sweep and asymptotic tables parse back; LaTeX
tables are booktabs tables with a caption and a label."""

import csv
import io

import pytest

from lingauss import divergence
from lingauss.io.spec import loads_spec
from lingauss.model.results import TERMS
from lingauss.report import tables as T
from tests.specs import SMALL as SMALL_TEXT

SMALL = loads_spec(SMALL_TEXT)


def test_closed_form_table_parses_back_and_has_every_term():
    text = T.closed_form_table(SMALL, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    dec = divergence(SMALL.teacher, SMALL.student, SMALL.sample).as_dict()
    assert [row["term"] for row in rows] == [n for n in TERMS if n in dec]
    for row in rows:
        assert float(row["value at the spec"]) == pytest.approx(dec[row["term"]], rel=1e-5)
    assert "\\beta_T" in rows[0]["kept modes (i <= m)"]


def test_sweep_table_parses_back():
    rows = list(csv.DictReader(io.StringIO(T.sweep_table(SMALL, "csv"))))
    assert [int(row["rank"]) for row in rows] == [1, 2, 3]
    for row in rows:
        want = divergence(SMALL.teacher, SMALL.student.replace(rank=int(row["rank"])),
                          SMALL.sample).as_dict()
        for name, value in want.items():
            assert float(row[name]) == pytest.approx(value, rel=1e-5)
    widths = list(csv.DictReader(io.StringIO(T.sweep_table(SMALL, "csv", axis="width"))))
    assert [int(row["width"]) for row in widths] == list(range(1, 9))


def test_latex_tables_are_booktabs_tables_with_caption_and_label():
    """Issue "Paper-ready output" (item 1) changed the contract: a ``table`` float (or a
    ``longtable``) with a caption and a label around booktabs rules, every body row with one
    cell per column (was: a bare ``tabular``). Compiling them is tests/report/test_latex.py's job."""
    import re

    for kind in T.KINDS:
        text = T.table(SMALL, kind, "latex")
        lines = text.splitlines()
        assert r"\caption{" in text and r"\label{tab:lingauss-" in text
        assert lines[0] in (r"\begin{table}[htbp]", r"\begingroup")
        assert r"\toprule" in lines and r"\midrule" in lines and r"\bottomrule" in lines
        (spec,) = [re.search(r"\\begin\{(?:tabular|longtable)\}\{(.*)\}$", line).group(1)
                   for line in lines if re.search(r"\\begin\{(?:tabular|longtable)\}", line)]
        ncol = len(re.findall(r"S\[[^\]]*\]|>\{[^}]*\}p\{[^}]*\}|[lcr]", spec))
        start = max(i for i, line in enumerate(lines) if line in (r"\midrule",
                                                                   r"\endlastfoot"))
        body = lines[start + 1:lines.index(r"\bottomrule" if r"\endlastfoot" not in lines
                                           else r"\end{longtable}")]
        assert body
        for line in body:
            assert line.count("$") % 2 == 0
            outside_math = re.sub(r"\$[^$]*\$", "", line)
            assert outside_math.rstrip().endswith((r"\\", r"\addlinespace[0.3em]"))
            assert outside_math.count("&") == ncol - 1


def test_asymptotics_are_computed_by_sympy_and_right():
    """n → ∞ of the per-mode bias is O(1/n); check it against the exact form at large n."""
    import sympy as sp

    from lingauss import symbolic as S

    lead = T.asymptotics()
    bias = S.derive()["kept"]["bias"]
    sigma, n = sp.symbols("sigma n", positive=True)
    point = {S.beta_T: 2, S.lambda_T: 1, S.beta_S: 3, S.lambda_S: sp.Rational(1, 2),
             S.alpha: sp.Rational(1, 4), S.nu: 1, S.r: 2, S.thetaQ2: 1, sigma: 1}
    # (α β_S λ_T − β_T λ_S = 3/4 − 1 ≠ 0: the bias does not vanish)
    exact = bias.subs(S.s, sigma * n).subs(point)
    approx = lead["bias"]["n → ∞"].subs(point)
    ratio = sp.N((exact / approx).subs(n, 10 ** 8))
    assert abs(ratio - 1) < 1e-6
    rows = list(csv.DictReader(io.StringIO(T.asymptotic_table(SMALL, "csv"))))
    assert [row["term"] for row in rows] == ["variance", "bias", "rank_bottleneck", "total"]
