"""Every LaTeX output compiles (issue "Paper-ready output", item 1).

Each output of the command line — ``derive --latex``, ``table --format latex`` of every kind,
``bounds --format latex`` (long and ``--wide``), the divergence, expected, check, design and
demo tables, and the demo's ``closed-form.tex`` — is compiled with ``pdflatex
-interaction=nonstopmode -halt-on-error`` twice over: as the snippet it is by default, in a
minimal ``article`` with the preamble ``lingauss derive --preamble`` prints, and as the
complete document ``--standalone`` makes. A compile fails the test on any error, any
``Overfull \\hbox`` wider than 10 pt and any float too large for the page (the log is parsed).
Every byte of every output is ASCII.

The module skips (with the reason) only when ``pdflatex`` is not installed; CI installs it
(``.ci/run``).
"""

import contextlib
import io
import pathlib
import re
import shutil
import subprocess

import pytest

from lingauss.cli import main

PDFLATEX = shutil.which("pdflatex")
pytestmark = pytest.mark.skipif(
    PDFLATEX is None, reason="pdflatex is not installed (Debian: texlive-latex-base "
                             "texlive-latex-recommended texlive-science; CI installs them)")

SMALL = """\
[data]
d = 6
k = 3
n = 10
seed = 2

[teacher]
beta = 4.0
ridge = 1.0

[student]
beta = 2.0
ridge = 0.5
width = 4
rank = 2
"""
#: Overfull boxes up to this width (pt) are tolerated.
OVERFULL_PT = 10.0


def cli(*args) -> str:
    """``lingauss *args`` in this process; its standard output (exit status 0 asserted)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main([str(a) for a in args] + ["--quiet"])
    assert status == 0, (args, status)
    return out.getvalue()


def problems(log: str) -> list:
    """Errors, overfull boxes wider than :data:`OVERFULL_PT` and floats too large, from a
    pdflatex log."""
    found = [line for line in log.splitlines() if line.startswith("!")]
    found += [m.group(0) for m in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*",
                                              log) if float(m.group(1)) > OVERFULL_PT]
    found += re.findall(r"Float too large for page[^\n]*", log)
    return found


def compile_latex(folder: pathlib.Path, name: str, document: str) -> str:
    """Compile ``document`` in ``folder`` (twice when a longtable needs its widths settled);
    returns the log, asserting it has no problems."""
    (folder / f"{name}.tex").write_text(document, encoding="ascii")
    for _ in range(2 if "longtable" in document else 1):
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error",
                               f"{name}.tex"], cwd=folder, capture_output=True, text=True,
                              timeout=60)
    log = (folder / f"{name}.log").read_text(encoding="latin-1")
    assert proc.returncode == 0 and not problems(log), (name, problems(log), proc.stdout[-2000:])
    assert (folder / f"{name}.pdf").stat().st_size > 0
    return log


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("latex-specs")
    (folder / "small.toml").write_text(SMALL, encoding="utf-8")
    (folder / "default.toml").write_text(cli("demo", "--print-spec"), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def preamble():
    text = cli("derive", "--preamble")
    assert text.isascii() and r"\usepackage{siunitx}" in text and r"\vfun" in text
    return text


def in_minimal_document(snippet: str, preamble: str) -> str:
    return ("\\documentclass{article}\n" + preamble + "\\begin{document}\n" + snippet
            + "\\end{document}\n")


OUTPUTS = {
    "derive": ("derive", "--latex"),
    "derive-prediction-sampled+noise-symmetric": (
        "derive", "--latex", "--space", "prediction", "--soft-labels", "sampled+noise",
        "--direction", "symmetric"),
    "derive-conditional-reverse-sampled": (
        "derive", "--latex", "--flavour", "conditional", "--direction", "reverse",
        "--soft-labels", "sampled"),
    "table-closed-form": ("table", "{default}", "--kind", "closed-form", "--format", "latex"),
    "table-closed-form-sampled-reverse": ("table", "{small}", "--kind", "closed-form",
                                          "--format", "latex", "--direction", "reverse"),
    "table-sweep": ("table", "{default}", "--kind", "sweep", "--format", "latex"),
    "table-asymptotic": ("table", "{small}", "--kind", "asymptotic", "--format", "latex"),
    "bounds": ("bounds", "{small}", "--format", "latex", "--monte-carlo", "2"),
    "bounds-wide": ("bounds", "{small}", "--format", "latex", "--monte-carlo", "2", "--wide"),
    "divergence": ("divergence", "{small}", "--format", "latex"),
    "expected": ("expected", "{small}", "--format", "latex", "--monte-carlo", "5", "--seed",
                 "1"),
    "check": ("check", "{small}", "--format", "latex"),
    "design": ("design", "{small}", "--format", "latex"),
    "demo": ("demo", "--format", "latex"),
}


@pytest.mark.parametrize("name", OUTPUTS)
def test_output_compiles_as_a_snippet_and_standalone(name, files, preamble, tmp_path):
    args = [a.format(default=files / "default.toml", small=files / "small.toml")
            for a in OUTPUTS[name]]
    standalone = cli(*args, "--standalone")
    assert standalone.isascii(), name
    assert standalone.startswith("\\documentclass") and \
        standalone.rstrip().endswith("\\end{document}")
    begin = standalone.index("\\begin{document}\n") + len("\\begin{document}\n")
    snippet = standalone[begin:standalone.rindex("\\end{document}")]
    if name in ("derive", "divergence", "table-sweep"):      # the snippet as printed too
        assert cli(*args) == snippet
    assert "\\documentclass" not in snippet and "\\usepackage" not in snippet
    if name.startswith("derive"):
        assert not any(line.startswith("#") for line in snippet.splitlines())
        assert "[kept]" not in snippet and "[dropped]" not in snippet
        assert r"\text{kept modes } (i \le m)" in snippet
    else:
        assert r"\caption{" in snippet and r"\label{tab:lingauss-" in snippet
        assert r"\toprule" in snippet and r"\bottomrule" in snippet
    compile_latex(tmp_path, "standalone", standalone)
    compile_latex(tmp_path, "snippet", in_minimal_document(snippet, preamble))


def test_demo_closed_form_file_compiles(preamble, tmp_path):
    cli("demo", "-o", tmp_path / "report")
    cli("demo", "-o", tmp_path / "whole", "--standalone")
    snippet = (tmp_path / "report" / "closed-form.tex").read_text(encoding="utf-8")
    whole = (tmp_path / "whole" / "closed-form.tex").read_text(encoding="utf-8")
    assert snippet.isascii() and whole.isascii()
    assert whole.startswith("\\documentclass") and snippet in whole
    compile_latex(tmp_path, "demo-snippet", in_minimal_document(snippet, preamble))
    compile_latex(tmp_path, "demo-standalone", whole)


def test_the_log_check_catches_an_overfull_box_and_an_error(tmp_path):
    """The test's own parser: a line 40 pt too wide and an undefined macro are caught."""
    wide = ("\\documentclass{article}\\begin{document}\\noindent"
            "\\rule{\\dimexpr\\linewidth+40pt\\relax}{1pt}\\end{document}\n")
    (tmp_path / "wide.tex").write_text(wide, encoding="ascii")
    subprocess.run([PDFLATEX, "-interaction=nonstopmode", "wide.tex"], cwd=tmp_path,
                   capture_output=True)
    (found,) = problems((tmp_path / "wide.log").read_text(encoding="latin-1"))
    assert found.startswith("Overfull \\hbox (40.0")
    (tmp_path / "bad.tex").write_text("\\documentclass{article}\\begin{document}\\nosuchmacro"
                                      "\\end{document}\n", encoding="ascii")
    subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "bad.tex"],
                   cwd=tmp_path, capture_output=True)
    assert any("Undefined control sequence" in p
               for p in problems((tmp_path / "bad.log").read_text(encoding="latin-1")))


def test_width_estimate_agrees_with_pdflatex(preamble, tmp_path):
    """Two routes to a formula's width: :func:`lingauss.latex.math_width` (used to break
    lines) and pdflatex's ``\\settowidth``; they agree within 20 %."""
    from lingauss._core.latex import math_width
    from lingauss.symbolic import derive
    from lingauss.symbolic.typeset import display_latex
    from lingauss.symbolic.present import display_form

    forms = [display_latex(display_form(e)[0]) for e in
             derive("prediction", "sampled", "forward")["kept"].values() if e != 0]
    forms += [r"\mathrm{bottleneck\_covariance}_i", r"\text{kept modes } (i \le m)"]
    lines = [r"\newlength{\w}"] + [
        rf"\settowidth{{\w}}{{$\displaystyle {f}$}}\typeout{{WIDTH{j}=\the\w}}"
        for j, f in enumerate(forms)]
    lines.append("widths measured")                    # a page, so that there is a PDF
    log = compile_latex(tmp_path, "widths", in_minimal_document("\n".join(lines) + "\n",
                                                                 preamble))
    measured = {int(j): float(w) / 10.0 for j, w in re.findall(r"WIDTH(\d+)=([\d.]+)pt", log)}
    assert len(measured) == len(forms)
    for j, tex in enumerate(forms):
        assert math_width(tex) == pytest.approx(measured[j], rel=0.2), tex
