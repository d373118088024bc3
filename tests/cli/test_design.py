"""The design, plot, table and demo commands (issue 5): the demo writes every file it
promises, a bad output writes nothing."""

import json
import pathlib

import pytest

import lingauss
from lingauss.cli import PLOT_KINDS, main
from lingauss.explore import design as D
from lingauss.io.spec import default_spec, loads_spec
from lingauss.report import tables as T
from lingauss.report.formats import TABLE_FORMATS
from tests.helpers.cli import write_spec
from tests.specs import SMALL as SMALL_TEXT

SMALL = loads_spec(SMALL_TEXT)


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
    root = pathlib.Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "![The terms of K against the student's rank](docs/demo/terms-vs-rank.png)" in readme
    assert (root / "docs/demo/terms-vs-rank.png").read_bytes()[:4] == b"\x89PNG"
    begin, end = "<!-- BEGIN closed-form table -->\n", "\n<!-- END closed-form table -->"
    shown = readme[readme.index(begin) + len(begin):readme.index(end)]
    fresh = T.closed_form_table(default_spec(), "md")
    assert shown == fresh, "README table drifted: regenerate with `python docs/regenerate.py`"
    assert (root / "docs/demo/closed-form.md").read_text(encoding="utf-8").strip() == fresh
