"""Design exploration, tables and their CLI (issue 5). Design answers are checked against
brute force over the grid; tables parse back; the demo writes every file it promises."""

import csv
import io
import json
import pathlib

import numpy as np
import pytest
from _cli import write_spec

import lingauss
from lingauss import LingaussError, divergence
from lingauss.cli import PLOT_KINDS, main
from lingauss.engine.divergence import kernel_set_up
from lingauss.explore import design as D
from lingauss.explore import tuning as Tn
from lingauss.io.spec import default_spec, loads_spec
from lingauss.model.results import TERMS
from lingauss.report import tables as T
from lingauss.report.formats import TABLE_FORMATS

SMALL_TEXT = """
[data]
d = 8
k = 3
n = 20
noise = 0.5
seed = 1

[teacher]
beta = 2.0
ridge = 1.0

[student]
beta = 2.0
ridge = 3.0
width = 6
"""
SMALL = loads_spec(SMALL_TEXT)


def brute_force(spec):
    d, k = spec.sample.d, spec.sample.k
    out = {}
    for m in range(1, d + 1):
        for r in range(1, min(k, m) + 1):
            out[r, m] = divergence(spec.teacher, spec.student.replace(rank=r, width=m),
                                   spec.sample).total
    return out


def test_explore_equals_a_loop_of_the_engine():
    res = D.explore(SMALL, rank=[1, 2], width=[3, 6], ridge=[0.5, 2.0])
    assert list(res.axes) == ["rank", "width", "ridge"] and res.shape == (2, 2, 2)
    for i, r in enumerate([1, 2]):
        for j, m in enumerate([3, 6]):
            for l, lam in enumerate([0.5, 2.0]):
                want = divergence(SMALL.teacher, SMALL.student.replace(rank=r, width=m,
                                                                       ridge=lam),
                                  SMALL.sample).as_dict()
                for name in want:
                    assert res[name][i, j, l] == want[name]


@pytest.mark.parametrize("kwargs", [dict(fraction=0.1), dict(fraction=2.0),
                                    dict(budget=25.0), dict(budget=0.0)])
def test_recommend_agrees_with_brute_force(kwargs):
    K = brute_force(SMALL)
    d, k = SMALL.sample.d, SMALL.sample.k
    rec = D.recommend(SMALL, **kwargs)
    full = K[min(k, d), d]
    budget = kwargs.get("budget", (1 + kwargs.get("fraction", 0)) * full)
    assert rec.budget == pytest.approx(budget)
    ok = {key: v for key, v in K.items() if v <= budget}
    ranks = sorted(r for (r, m) in ok if m == d)
    widths = sorted(m for (r, m) in ok if r == min(k, m))
    params = sorted((r * (m + k), v) for (r, m), v in ok.items())
    assert (rec.smallest_rank.rank if rec.smallest_rank else None) == (ranks[0] if ranks
                                                                       else None)
    assert (rec.smallest_width.width if rec.smallest_width else None) == (
        widths[0] if widths else None)
    if params:
        assert (rec.smallest_parameters.parameters,
                rec.smallest_parameters.divergence) == pytest.approx(params[0])
    else:
        assert rec.smallest_parameters is None
    # the frontier: exactly the candidates no other candidate dominates
    cands = [(r * (m + k), v) for (r, m), v in K.items()]
    dominated = {c for c in cands if any((o[0] <= c[0] and o[1] < c[1]) or
                                         (o[0] < c[0] and o[1] <= c[1]) for o in cands)}
    assert sorted((c.parameters, c.divergence) for c in rec.frontier) == \
        sorted(set(cands) - dominated)


def test_recommend_rejects_ambiguous_budgets():
    with pytest.raises(LingaussError, match="Ambiguous arguments: give budget or fraction"):
        D.recommend(SMALL, budget=1.0, fraction=0.1)


@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
def test_stationary_tau2_is_the_engines_optimal_tau2(direction):
    """Two routes: the symbolic stationary point of K in τ² (parameter space, derived per mode
    and summed) and the engine's closed form (forward τ²* = dim 𝒞 / tr(teacher precision
    on 𝒞), reverse S/N, symmetric √(S/T); issue 10: "optimal" minimises the divergence asked
    for)."""
    spec = SMALL.replace(direction=direction)
    student = spec.student.replace(rank=2)
    got = Tn.stationary_tau2(spec, student)
    _, want = kernel_set_up(spec.teacher, student.replace(complement_variance="optimal"),
                            spec.sample, direction=direction)
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("direction", ["reverse", "symmetric"])
def test_stationary_tau2_minimises_the_divergence(direction):
    spec = SMALL.replace(direction=direction)
    student = spec.student.replace(rank=2)
    t = Tn.stationary_tau2(spec, student)
    K = [divergence(spec.teacher, student.replace(complement_variance=t * f), spec.sample,
                    direction=direction).total for f in (0.97, 1.0, 1.03)]
    assert K[1] < K[0] and K[1] < K[2]


def test_best_hyperparameters_beats_a_grid():
    opt = Tn.best_hyperparameters(SMALL, rank=2, width=6, optimize_over=("ridge", "tau2"))
    assert opt.divergence.total <= opt.start.total
    assert opt.method == {"ridge": "bounded L-BFGS-B", "tau2": "closed form (stationary point)"}
    grid = []
    for lam in np.geomspace(0.05, 20, 25):
        st = SMALL.student.replace(rank=2, width=6, ridge=lam)
        st = st.replace(complement_variance=Tn.stationary_tau2(SMALL, st))
        grid.append(divergence(SMALL.teacher, st, SMALL.sample).total)
    assert opt.divergence.total <= min(grid) * (1 + 1e-6)


def test_best_hyperparameters_errors():
    with pytest.raises(LingaussError) as info:
        Tn.best_hyperparameters(SMALL, optimize_over=("temperature",))
    assert str(info.value) == ("Unknown value for optimize_over: 'temperature'. Possible "
                               "values: ('beta', 'ridge', 'alpha', 'tau2').")


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

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
    cell per column (was: a bare ``tabular``). Compiling them is tests/test_latex.py's job."""
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


# --------------------------------------------------------------------------------------------
# CLI: design, plot, table, demo -o
# --------------------------------------------------------------------------------------------

@pytest.fixture
def small_spec(tmp_path):
    return write_spec(tmp_path, SMALL_TEXT, "small.toml")


def test_design_cli(small_spec, capsys):
    assert main(["design", str(small_spec), "--fraction", "2", "--optimize", "ridge,tau2",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rec = D.recommend(SMALL, fraction=2.0)
    assert out["recommendation"]["smallest_parameters"] == rec.smallest_parameters.as_dict()
    assert set(out["optimum"]["values"]) == {"ridge", "tau2"}
    assert main(["design", str(small_spec), "--budget", "1", "--fraction", "2"]) == 2
    assert main(["design", str(small_spec), "--optimize", "gamma"]) == 2
    err = capsys.readouterr().err
    assert "Unknown value for --optimize: 'gamma'" in err


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_plot_cli_writes_every_kind(kind, small_spec, tmp_path, capsys):
    out = tmp_path / f"{kind}.png"
    if kind in ("risk-vs-gamma", "gamma-width"):     # they vary γ = d/n: random inputs
        small_spec = tmp_path / "random.toml"
        small_spec.write_text(SMALL_TEXT.replace("seed = 1", "seed = 1\nrandom = true")
                              .replace("width = 6\n", ""), encoding="utf-8")
    assert main(["plot", str(small_spec), "--kind", kind, "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_cli_bad_output_writes_nothing(small_spec, tmp_path, capsys):
    assert main(["plot", str(small_spec), "--kind", "heatmap", "-o",
                 str(tmp_path / "x.jpg")]) == 2
    assert main(["plot", str(small_spec), "--kind", "pie", "-o", str(tmp_path / "x.png")]) == 2
    assert list(tmp_path.iterdir()) == [small_spec]
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("has extension '.jpg', must be one of ('.png', '.pdf', '.svg').")
    assert err[1] == ("lingauss: error: Unknown value for --kind: 'pie'. Possible values: "
                      f"{PLOT_KINDS}.")


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_table_cli(fmt, small_spec, capsys):
    assert main(["table", str(small_spec), "--kind", "sweep", "--format", fmt]) == 0
    assert capsys.readouterr().out.strip() == T.sweep_table(SMALL, fmt).strip()


def test_demo_writes_every_file_it_promises(tmp_path, capsys):
    folder = tmp_path / "report"
    assert main(["demo", "-o", str(folder)]) == 0
    out = capsys.readouterr().out
    report = out[out.index("report written to"):].splitlines()[1:]
    listed = [pathlib.Path(line.strip()) for line in report]
    assert sorted(p.name for p in listed) == sorted(
        ["terms-vs-rank.png", "heatmap.png", "frontier.png", "closed-form.md",
         "closed-form.tex", "sweep.md", "sweep.csv"])
    for path in listed:
        assert path.exists() and path.stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in listed)


def test_demo_to_a_missing_parent_writes_nothing(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path / "no" / "report")]) == 2
    assert list(tmp_path.iterdir()) == []
    assert lingauss is not None


def test_readme_shows_the_demo_picture_and_an_up_to_date_closed_form_table():
    root = pathlib.Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "![The terms of K against the student's rank](docs/demo/terms-vs-rank.png)" in readme
    assert (root / "docs/demo/terms-vs-rank.png").read_bytes()[:4] == b"\x89PNG"
    begin, end = "<!-- BEGIN closed-form table -->\n", "\n<!-- END closed-form table -->"
    shown = readme[readme.index(begin) + len(begin):readme.index(end)]
    fresh = T.closed_form_table(default_spec(), "md")
    assert shown == fresh, "README table drifted: regenerate with `python docs/regenerate.py`"
    assert (root / "docs/demo/closed-form.md").read_text(encoding="utf-8").strip() == fresh


def test_tune_is_best_hyperparameters_at_every_rank():
    rows = Tn.tune(SMALL, rank=[1, 3], optimize_over=("ridge",))
    assert [(r, m) for r, m, _ in rows] == [(1, 6), (3, 6)]
    for r, m, opt in rows:
        single = Tn.best_hyperparameters(SMALL, rank=r, width=m, optimize_over=("ridge",))
        assert opt.values == single.values
        assert opt.divergence.total <= opt.start.total
