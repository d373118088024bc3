"""``lingauss check`` and ``check_formula`` (issue 4)."""

import json
import pathlib

import pytest
import sympy as sp

import lingauss
from lingauss import LingaussError, check_formula, load_spec
from lingauss import symbolic as S
from lingauss.cli import main
from lingauss.io.spec import default_spec
from lingauss.verify import routes as C
from lingauss.verify.formula import formula_names

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
ROUTES = {"symbolic vs structured", "generated code vs structured", "structured vs dense",
          "double vs mpmath (50 digits)", "closed form vs Monte Carlo"}


# --------------------------------------------------------------------------------------------
# The verification suite
# --------------------------------------------------------------------------------------------

def test_quick_check_of_the_default_passes_every_route():
    rows = C.verify(default_spec())
    assert {row.routes for row in rows} == ROUTES
    assert [row.status for row in rows] == ["pass"] * len(ROUTES)
    for row in rows:
        assert row.discrepancy <= row.tolerance


@pytest.mark.parametrize("path", [None] + EXAMPLES, ids=lambda p: "default" if p is None
                         else p.name)
def test_full_check_passes_on_the_default_and_the_examples(path):
    assert len(EXAMPLES) >= 3
    spec = default_spec() if path is None else load_spec(path)
    rows = C.verify(spec, level="full")
    failed = [row for row in rows if row.status != "pass"]
    assert not failed, failed
    assert len(rows) == 5 * 2 * 3 * 3          # routes × spaces × directions × soft labels


def test_a_wrong_route_is_caught(monkeypatch):
    """Break one route on purpose: its row fails and the CLI exits 1."""
    real = C.spectral_route

    def off_by_a_little(*args, **kwargs):
        dec = real(*args, **kwargs)
        return lingauss.Decomposition.from_terms(
            bias=dec.bias * (1 + 1e-6), variance=dec.variance,
            bottleneck_mean=dec.bottleneck_mean,
            bottleneck_covariance=dec.bottleneck_covariance, rank_floor=dec.rank_floor)

    monkeypatch.setattr(C, "spectral_route", off_by_a_little)
    rows = {row.routes: row for row in C.verify(default_spec())}
    assert rows["generated code vs structured"].status == "fail"
    assert rows["generated code vs structured"].discrepancy == pytest.approx(1e-6, rel=1e-3)
    assert rows["symbolic vs structured"].status == "pass"
    assert main(["check"]) == 1


def test_dense_route_is_skipped_not_passed_when_too_large():
    spec = default_spec()
    sample = lingauss.Sample.synthetic(200, 8, 300, noise=0.5, seed=0)
    rows = {row.routes: row for row in C.verify(spec.replace(sample=sample))}
    assert rows["structured vs dense"].status == "skipped"
    assert rows["structured vs dense"].discrepancy is None


def test_check_cli_json(capsys):
    assert main(["check", "--json", str(EXAMPLES[0])]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["routes"] for row in rows} == ROUTES
    assert all(row["status"] == "pass" for row in rows)


def test_check_cli_table(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "routes" in out and "5 passed, 0 failed, 0 skipped" in out


# --------------------------------------------------------------------------------------------
# The formula checker
# --------------------------------------------------------------------------------------------

VARIANCE = "r/2*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))"


def test_a_right_formula_is_proved_equal():
    result = check_formula(VARIANCE, term="variance")
    assert result.verdict == "equal"
    assert str(result) == ("equal: the candidate equals the derived variance (kept modes; "
                           "space=parameter, soft_labels=mean, direction=forward, "
                           "flavour=expected), proved by sympy.")


def test_model_md_section_5_bias_is_proved_equal():
    bias = ("(1/2)*(beta_T*s + lambda_T)*(beta_T/(beta_T*s + lambda_T) - beta_S*(alpha + "
            "(1 - alpha)*beta_T*s/(beta_T*s + lambda_T))/(beta_S*s + lambda_S))**2"
            "*(s**2*thetaQ2 + nu**2*s*r)")
    assert check_formula(bias, term="bias").verdict == "equal"


def test_a_wrong_formula_gets_a_counterexample_that_reproduces():
    wrong = "r/2*v((beta_T*s + lambda_T)/(beta_S*s))"        # forgot λ_S
    result = check_formula(wrong, term="variance")
    assert result.verdict == "not equal"
    ce = result.counterexample
    assert set(ce["values"]) == {"s", "beta_T", "lambda_T", "beta_S", "lambda_S", "r"}
    point = {getattr(S, name): value for name, value in ce["values"].items()}
    derived = S.derive()["kept"]["variance"].subs(point).rewrite(sp.log)
    candidate = sp.sympify(wrong, locals={"v": S.v, **{a.name: a for a in S.ARGS["expected"]}})
    assert float(derived) == pytest.approx(ce["derived"], rel=1e-12)
    assert float(candidate.subs(point).rewrite(sp.log)) == pytest.approx(ce["candidate"],
                                                                          rel=1e-12)
    assert result.message.startswith("not equal: at s=")


def test_undecided_identity_agrees_numerically(monkeypatch):
    # equal, but the proof does not finish (as when its time runs out)
    import lingauss.verify.formula as F
    monkeypatch.setattr(F, "_prove_zero", lambda diff, seconds: False)
    result = check_formula(VARIANCE.replace("r/2", "r*(1/2)"), term="variance")
    assert result.verdict == "agrees numerically"
    assert result.message.startswith("agrees numerically at 20 random points (not proved)")


def test_one_time_limit_covers_evaluation_and_proof():
    """Issue 16: check-formula ran without end; one limit now covers parse, points, proof."""
    with pytest.raises(LingaussError, match=r"^check_formula stopped at its time limit of "
                                            r"1e-06 s after 0 of 20 points"):
        check_formula(VARIANCE, term="variance", timeout=1e-6)


def test_conditional_and_other_options():
    forms = S.derive("prediction", "sampled", "reverse", "conditional")
    text = str(forms["dropped"]["bottleneck_mean"])
    result = check_formula(text, term="bottleneck_mean", space="prediction",
                           soft_labels="sampled", direction="reverse", regime="dropped",
                           flavour="conditional")
    assert result.verdict == "equal"


NAMES = ("s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r, thetaQ2, "
         "thetaP2, v(), log(), log1p(), exp(), sqrt()")


@pytest.mark.parametrize("candidate,kwargs,message", [
    ("r/2*(", {}, f"could not parse the formula 'r/2*(' (TokenError). Allowed names: {NAMES}."),
    ("x + r", {}, f"unknown name(s) in the formula: x. Allowed names: {NAMES}."),
    ("zQ2", {}, f"unknown name(s) in the formula: zQ2. Allowed names: {NAMES}."),
    ("__import__('os')", {}, "could not parse the formula \"__import__('os')\": it may use "
                             f"numbers, + - * / ** ( ) and the names {NAMES}."),
    ("", {}, "candidate == '', must be a non-empty formula string."),
    ("r", dict(term="varianc"), "Unknown value for term: 'varianc'. Possible values: "
                                "('variance', 'bias', 'bottleneck_mean', "
                                "'bottleneck_covariance', 'rank_bottleneck', 'total')."),
    ("r", dict(regime="inside"), "Unknown value for regime: 'inside'. Possible values: "
                                 "('kept', 'dropped')."),
])
def test_formula_errors(candidate, kwargs, message):
    kwargs = {"term": "variance", **kwargs}
    with pytest.raises(LingaussError) as info:
        check_formula(candidate, **kwargs)
    assert str(info.value) == message


def test_check_formula_cli(capsys):
    assert main(["check-formula", VARIANCE, "--term", "variance"]) == 0
    assert capsys.readouterr().out.startswith("equal: ")
    assert main(["check-formula", "r*s", "--term", "variance", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "not equal" and out["counterexample"]["values"]["r"] >= 1
    assert main(["check-formula", "r*x", "--term", "variance"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("lingauss: error: unknown name(s)")


def test_formula_names_are_documented_in_help(capsys):
    assert main(["check-formula", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in formula_names("expected") + ("zQ2", "zP2"):
        assert name in text
