"""LaTeX options of the command line without compiling (runs where pdflatex is missing):
``--standalone`` and ``--preamble`` and their errors, ASCII output, captions and labels,
significant figures and ``siunitx`` columns read back from a table.

Issue "Paper-ready output", item 1; tests/report/test_latex.py compiles the same outputs.
"""

import contextlib
import io
import re

import pytest

from lingauss._core import latex
from lingauss.cli import main
from lingauss.engine.divergence import divergence
from lingauss.io.spec import default_spec


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args] + ["--quiet"])
    return status, out.getvalue(), err.getvalue()


def test_preamble_is_printed_and_is_what_standalone_documents_use():
    status, out, _ = run("derive", "--preamble")
    assert status == 0 and out == latex.PREAMBLE and out.isascii()
    for package in ("amsmath", "booktabs", "siunitx"):
        assert f"\\usepackage{{{package}}}" in out
    assert "\\providecommand{\\vfun}{\\operatorname{v}}" in out
    status, doc, _ = run("derive", "--latex", "--standalone")
    assert status == 0 and doc.startswith("\\documentclass{article}\n" + out)


@pytest.mark.parametrize("args, message", [
    (("derive", "--standalone"), "--standalone == True without --latex, must come with "
                                 "--latex (it makes a complete LaTeX document)."),
    (("derive", "--preamble", "--standalone"),
     "Ambiguous arguments: --preamble and --standalone (the preamble is what a --standalone "
     "document starts with)."),
    (("demo", "--standalone"), "--standalone == True with --format text, must come with "
                               "--format latex (it makes a complete LaTeX document)."),
    (("demo", "--format", "md", "--standalone"),
     "--standalone == True with --format md, must come with --format latex (it makes a "
     "complete LaTeX document)."),
])
def test_standalone_needs_latex(args, message):
    status, out, err = run(*args)
    assert status == 2 and out == ""
    assert err.splitlines() == [f"lingauss: error: {message}"]


def test_derive_latex_is_proper_latex_not_pseudo_syntax():
    status, out, _ = run("derive", "--latex", "--soft-labels", "sampled")
    assert status == 0 and out.isascii()
    assert not any(line.startswith("#") for line in out.splitlines())
    assert "[kept]" not in out and "[dropped]" not in out
    assert out.count("\\begin{align*}") == out.count("\\end{align*}") >= 6
    for name in ("variance", "bias", "bottleneck\\_mean", "bottleneck\\_covariance",
                 "convexity\\_slack"):
        assert f"\\mathrm{{{name}}}_i &=" in out
    # the abbreviations used are defined, and rho_i for the slack
    for definition in ("a_i &= ", "b_i &= ", "h_i &= ", "g_i &= ", "\\rho_i &= "):
        assert definition in out


def test_divergence_table_numbers_are_four_significant_figures_in_s_columns(tmp_path):
    spec = tmp_path / "default.toml"
    spec.write_text(run("demo", "--print-spec")[1], encoding="utf-8")
    status, out, _ = run("divergence", spec, "--format", "latex")
    assert status == 0 and out.isascii()
    assert "\\caption{The distillation divergence $K$" in out
    assert "\\label{tab:lingauss-divergence}" in out
    assert re.search(r"\\begin\{tabular\}\{lS\[table-format=\d\.\d+", out)
    want = divergence(*(lambda s: (s.teacher, s.student, s.sample))(default_spec())).as_dict()
    rows = [line for line in out.splitlines() if " & " in line and "$" not in line]
    assert len(rows) == len(want)
    for line in rows:
        name, value = line.rstrip("\\ ").split(" & ")
        shown = float(value)
        exact = want[name.replace("\\_", "_")]
        if exact == 0:
            assert value == "0"
        else:
            digits = re.sub(r"^[-0.]+", "", value.split("e")[0].replace(".", ""))
            assert len(digits) == latex.SIGNIFICANT            # trailing zeros kept
            assert shown == pytest.approx(exact, rel=10 ** (1 - latex.SIGNIFICANT))


def test_text_cells_and_headers_are_ascii():
    from lingauss.report.latex_tables import table

    text = table(("routes", "detail"), [("closed form vs Monte Carlo", "max |z| ≤ 4σ — ok")],
                 caption="Checks.", label="tab:x")
    assert text.isascii()
    assert "max \\textbar{}z\\textbar{} $\\le$ 4$\\sigma$ --- ok" in text
