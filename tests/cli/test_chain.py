"""Chains on the command line and in reports: ``lingauss chain``, ``table --kind risk``,
``derive --risk/--chain``, the plot kinds ``risk-vs-generation`` and ``filters``, and
lingauss.chain_report — each number recomputed here through the library's own entry points
(Chain.risk, Chain.divergence, optimal_weights), each bad input exiting 2 with one line.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from tests.helpers.cli import cli, write_spec

from lingauss import Chain, LingaussError, Sample, Student, Teacher, load_spec, optimal_weights
from lingauss.chains.report import chain_report, plan_generations

CHAIN = """
[data]
d = 12
k = 3
n = 24
noise = 0.5
[teacher]
beta = 1.0
ridge = 0.3
[[students]]
beta = 1.0
ridge = 0.3
alpha = 0.2
[[students]]
beta = 2.0
ridge = 0.5
width = 8
[[students]]
beta = 1.0
ridge = 0.3
alpha = -0.4
rank = 2
rank_rule = "oracle"
"""


@pytest.fixture()
def spec_path(tmp_path):
    return write_spec(tmp_path, CHAIN, "chain.toml")


def test_chain_command_rows_are_the_libraries(spec_path, capsys):
    code, out, err = cli(capsys, "chain", spec_path, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    spec = load_spec(spec_path)
    chain = Chain(spec.teacher, spec.students)
    assert [r["generation"] for r in rows] == [0, 1, 2, 3]
    for g, row in enumerate(rows):
        risk = chain.risk(spec.sample, generation=g)
        assert row["risk"] == pytest.approx(risk.total, rel=1e-12)
        assert row["bias"] + row["variance"] == pytest.approx(row["risk"], rel=1e-12)
        if g:
            assert row["alpha"] == spec.students[g - 1].alpha
            assert row["K_teacher"] == pytest.approx(
                chain.divergence(spec.sample, first=g, second=0).total, rel=1e-12)
            assert row["K_previous"] == pytest.approx(
                chain.divergence(spec.sample, first=g, second=g - 1).total, rel=1e-12)
        else:
            assert row["alpha"] is None and row["K_teacher"] == 0


@pytest.mark.parametrize("fmt", ["text", "md", "csv", "latex"])
def test_chain_command_formats(spec_path, capsys, fmt):
    code, out, err = cli(capsys, "chain", spec_path, "--format", fmt)
    assert code == 0, err
    assert "K to teacher" in out or "K to teacher".replace(" ", "\\ ") in out
    if fmt == "text":
        assert "chain: teacher and 3 student(s)" in out
    if fmt == "latex":
        assert "\\caption{" in out and "tab:lingauss-chain" in out


def test_chain_optimal_uses_the_joint_optimum(spec_path, capsys):
    code, out, _ = cli(capsys, "chain", spec_path, "--optimal", "--format", "json")
    assert code == 0
    data = json.loads(out)
    spec = load_spec(spec_path)
    w = optimal_weights(spec.teacher, spec.students, spec.sample)
    assert [r["alpha"] for r in data["rows"][1:]] == pytest.approx(list(w.alpha), rel=1e-12)
    assert data["rows"][-1]["risk"] == pytest.approx(w.risk.total, rel=1e-9)
    assert data["notes"][0].startswith("jointly optimal weights")


def test_chain_up_to_plans_the_number_of_generations(spec_path, capsys):
    code, out, _ = cli(capsys, "chain", spec_path, "--up-to", "3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    spec = load_spec(spec_path)
    risks = [r["risk"] for r in data["rows"]]
    for G, row in enumerate(data["rows"]):
        assert row["generations"] == G
        if G:
            w = optimal_weights(spec.teacher, [spec.student] * G, spec.sample)
            assert row["risk"] == pytest.approx(w.risk.total, rel=1e-9)
            assert row["alpha"] == pytest.approx(list(w.alpha), rel=1e-9)
    best = min(G for G, r in enumerate(risks) if r <= min(risks) * 1.01)
    assert data["best"] == best
    code, text, _ = cli(capsys, "chain", spec_path, "--up-to", "3")
    assert f"best: G = {best}" in text


def test_plan_generations_library():
    sample = Sample.synthetic(d=8, k=1, n=16, noise=0.5, seed=2)
    plan = plan_generations(Teacher(1.0, 0.05), Student(1.0, 0.05), sample, up_to=4,
                            tolerance=0.0)
    risks = [row["risk"] for row in plan.rows]
    assert plan.best == int(np.argmin(risks))
    # more generations never hurt with jointly optimal weights (G − 1 is a special case: α_1=1)
    assert all(b <= a * (1 + 1e-9) for a, b in zip(risks, risks[1:]))
    with pytest.raises(LingaussError, match="up_to"):
        plan_generations(Teacher(1.0, 1.0), Student(1.0, 1.0), sample, up_to=0)


def test_chain_report_columns():
    sample = Sample.synthetic(d=6, k=2, n=12, noise=0.5, seed=0)
    report = chain_report(Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0, alpha=0.5)] * 2),
                          sample, space="prediction", direction="symmetric")
    assert report.space == "prediction" and np.isnan(report.column("alpha")[0])
    assert report.column("alpha")[1:].tolist() == [0.5, 0.5]
    with pytest.raises(LingaussError, match="column"):
        report.column("risks")
    with pytest.raises(LingaussError, match="sample"):
        chain_report(Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0)]), "sample.npz")


@pytest.mark.parametrize("args, message", [
    (["--estimator", "median"], "Unknown value for --estimator: 'median'"),
    (["--up-to", "0"], "--up-to == 0, must be >= 1"),
    (["--up-to", "2", "--estimator", "gibbs"], "it takes no --optimal or --estimator"),
    (["--optimal", "--estimator", "gibbs"], "it takes no --estimator gibbs"),
    (["--format", "xml"], "Unknown value for --format: 'xml'"),
])
def test_chain_command_errors_exit_2(spec_path, capsys, args, message):
    code, out, err = cli(capsys, "chain", spec_path, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_chain_with_a_label_dependent_projector_asks_for_monte_carlo(tmp_path, capsys):
    path = tmp_path / "opt.toml"
    path.write_text(CHAIN.replace('rank_rule = "oracle"', 'rank_rule = "optimal"'),
                    encoding="utf-8")
    code, _, err = cli(capsys, "chain", path)
    assert code == 2 and "--monte-carlo N" in err
    code, out, err = cli(capsys, "chain", path, "--monte-carlo", "40", "--seed", "1",
                         "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)["rows"]) == 4


def test_table_kind_risk(spec_path, capsys):
    code, out, _ = cli(capsys, "table", spec_path, "--kind", "risk", "--format", "json")
    assert code == 0
    rows = {r["term"]: r for r in json.loads(out)}
    spec = load_spec(spec_path)
    risk = spec.chain.risk(spec.sample)
    assert rows["total"]["value at the spec"] == pytest.approx(risk.total, rel=1e-12)
    assert rows["bias"]["value at the spec"] == pytest.approx(risk.bias, rel=1e-12)
    assert "h_g" in rows and "f_{g-1}" in rows["f_g (generation step)"]["per-mode form"]


def test_derive_risk_and_chain(capsys):
    import sympy as sp

    code, out, _ = cli(capsys, "derive", "--risk")
    assert code == 0
    forms = dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line
                 and not line.startswith("#"))
    s, f, w, t2, nu = sp.symbols("s f weight theta2 nu")
    assert sp.simplify(sp.sympify(forms["risk_bias"]) - w * (1 - f) ** 2 * t2) == 0
    assert sp.simplify(sp.sympify(forms["risk_variance"]) - w * f ** 2 * nu ** 2 / s) == 0
    code, out, _ = cli(capsys, "derive", "--chain", "2")
    expr = sp.sympify(re.search(r"^f_2 = (.*)$", out, re.M)[1])
    b0, l0, b1, l1, a1, b2, l2, a2 = sp.symbols(
        "beta_0 lambda_0 beta_1 lambda_1 alpha_1 beta_2 lambda_2 alpha_2")
    h = [b * s / (b * s + lam) for b, lam in ((b0, l0), (b1, l1), (b2, l2))]
    hand = h[2] * (a2 + (1 - a2) * h[1] * (a1 + (1 - a1) * h[0]))
    assert sp.simplify(expr - hand) == 0
    code, out, _ = cli(capsys, "derive", "--chain", "1", "--latex", "--standalone")
    assert code == 0 and out.startswith("\\documentclass")
    code, _, err = cli(capsys, "derive", "--risk", "--chain", "2")
    assert code == 2


@pytest.mark.parametrize("kind", ["risk-vs-generation", "filters"])
def test_chain_plot_kinds(spec_path, tmp_path, capsys, kind):
    target = tmp_path / f"{kind}.png"
    code, _, err = cli(capsys, "plot", spec_path, "--kind", kind, "-o", target)
    assert code == 0, err
    assert target.stat().st_size > 1000


def test_filters_plot_refuses_a_non_pca_chain(tmp_path, capsys):
    path = tmp_path / "first.toml"
    path.write_text(CHAIN.replace("width = 8", 'width = 8\nbasis = "first"'),
                    encoding="utf-8")
    target = tmp_path / "f.png"
    code, _, err = cli(capsys, "plot", path, "--kind", "filters", "-o", target)
    assert code == 2 and "pca" in err and not target.exists()


def test_design_generations_is_the_chain_plan(spec_path, capsys):
    _, plan, _ = cli(capsys, "chain", spec_path, "--up-to", "2", "--format", "json")
    code, design, err = cli(capsys, "design", spec_path, "--generations", "2", "--format",
                            "json")
    assert code == 0, err
    assert json.loads(design) == json.loads(plan)
    code, _, err = cli(capsys, "design", spec_path, "--generations", "2", "--fraction", "0.2")
    assert code == 2 and "--generations G answers one question" in err


def test_chain_results_display_in_notebooks():
    """Weights, ChainReport and GenerationPlan show as HTML and LaTeX tables whose numbers are
    the objects' own."""
    sample = Sample.synthetic(d=6, k=1, n=12, noise=0.5, seed=0)
    w = optimal_weights(Teacher(1.0, 0.1), [Student(1.0, 0.1)] * 2, sample)
    html = w._repr_html_()
    assert html.startswith("<table>") and f"{w.alpha[1]:.6g}" in html
    assert w._repr_latex_().startswith("$$\\begin{array}")
    report = chain_report(Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0)]), sample)
    assert f"{report.rows[1]['risk']:.6g}" in report._repr_html_()
    plan = plan_generations(Teacher(1.0, 0.1), Student(1.0, 0.1), sample, up_to=2)
    assert f"best G = {plan.best}" in plan._repr_latex_()
