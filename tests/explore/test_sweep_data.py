"""Data out (issue 12): ``Sweep.to_xarray``, ``Sweep.to_pandas`` and ``lingauss sweep``.

The exports are checked against the sweep's own arrays *and* against the engine called
point by point (``lingauss.divergence`` at one rank, width and ridge), so a transposed axis
or a shifted coordinate fails. netCDF and CSV are read back with xarray and ``csv``.
"""

from __future__ import annotations

import csv
import io
import json
import sys

import numpy as np
import pytest
from tests.helpers.cli import write_spec

import lingauss
from lingauss import LingaussError, divergence
from lingauss.cli import main
from lingauss.explore.design import explore
from lingauss.io.spec import loads_spec

SPEC_TEXT = """
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
SPEC = loads_spec(SPEC_TEXT)


def engine(rank, width, ridge=None):
    """The exact divergence at one point, computed directly (no sweep involved)."""
    changes = dict(rank=int(rank), width=int(width))
    if ridge is not None:
        changes["ridge"] = float(ridge)
    return divergence(SPEC.teacher, SPEC.student.replace(**changes), SPEC.sample).as_dict()


@pytest.fixture(scope="module")
def closed_form_sweep():
    design = lingauss.SpectralDesign.power_law(d=24, k=4, n=48)
    student = lingauss.Student(2.0, 1.0, rank_rule="oracle")
    return lingauss.sweep(lingauss.Teacher(2.0, 1.0), student, design, rank=[1, 2, 4],
                          width=[4, 8, 16], ridge=[0.5, 2.0])


@pytest.fixture
def spec_file(tmp_path):
    return write_spec(tmp_path, SPEC_TEXT)


# --------------------------------------------------------------------------------------------
# xarray and pandas
# --------------------------------------------------------------------------------------------

def test_to_xarray_has_named_dimensions_coordinates_and_the_sweeps_values(closed_form_sweep):
    pytest.importorskip("xarray")
    res = closed_form_sweep
    ds = res.to_xarray()
    assert tuple(ds.dims) == ("rank", "width", "ridge")
    for name, values in res.axes.items():
        np.testing.assert_array_equal(ds[name].values, values)
    assert list(ds.data_vars) == list(res.terms)
    for term, values in res.terms.items():
        assert ds[term].dims == ("rank", "width", "ridge")
        assert ds[term].attrs["units"] == "nats"
        np.testing.assert_array_equal(ds[term].values, values)
    # label-based selection picks the same point as positional indexing
    assert float(ds["total"].sel(rank=2, width=16, ridge=0.5)) == res["total"][1, 2, 0]


def test_to_pandas_is_long_format_with_one_row_per_point_and_term(closed_form_sweep):
    pytest.importorskip("pandas")
    res = closed_form_sweep
    frame = res.to_pandas()
    assert list(frame.columns) == ["rank", "width", "ridge", "term", "value"]
    assert len(frame) == np.prod(res.shape) * len(res.terms)
    assert list(frame["term"].cat.categories) == list(res.terms)
    for row in frame.itertuples(index=False):
        index = (list(res.axes["rank"]).index(row.rank), list(res.axes["width"]).index(
            row.width), list(res.axes["ridge"]).index(row.ridge))
        assert row.value == res[row.term][index]
    wide = frame.pivot_table(index=["rank", "width", "ridge"], columns="term",
                             values="value", observed=True)
    assert wide.loc[(4, 8, 2.0), "bias"] == res["bias"][2, 1, 1]


def test_exports_equal_the_engine_point_by_point():
    pytest.importorskip("xarray")
    res = explore(SPEC, rank=[1, 3], width=[2, 6], ridge=[0.5, 4.0], missing="nan")
    ds = res.to_xarray()
    frame = res.to_pandas()
    for r in (1, 3):
        for m in (2, 6):
            for lam in (0.5, 4.0):
                point = ds.sel(rank=r, width=m, ridge=lam)
                if r > m:          # does not exist: NaN in xarray, absent from pandas
                    assert np.isnan(float(point["total"]))
                    assert frame.query("rank == @r and width == @m").empty
                    continue
                want = engine(r, m, lam)
                for term, value in want.items():
                    assert float(point[term]) == pytest.approx(value, rel=1e-12, abs=1e-14)
                got = frame.query("rank == @r and width == @m and ridge == @lam")
                assert dict(zip(got["term"], got["value"])) == pytest.approx(want, rel=1e-12)


def test_missing_extra_is_one_clear_error(monkeypatch, closed_form_sweep):
    monkeypatch.setitem(sys.modules, "xarray", None)        # import xarray raises ImportError
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(LingaussError, match=r"Sweep\.to_xarray needs the optional package "
                                            r"'xarray'.*pip install 'lingauss\[data\]'"):
        closed_form_sweep.to_xarray()
    with pytest.raises(LingaussError, match=r"Sweep\.to_pandas .*'pandas'.*lingauss\[data\]"):
        closed_form_sweep.to_pandas()


def test_rows_leave_out_points_that_do_not_exist():
    res = explore(SPEC, rank=[1, 3], width=[2, 6], missing="nan")
    header, rows = res.rows()
    assert header[:2] == ("rank", "width")
    assert [(r, m) for r, m, *_ in rows] == [(1, 2), (1, 6), (3, 6)]
    with pytest.raises(LingaussError, match=r"rank == 3 with width == 2, must be <= "
                                            r"min\(k, width\) == 2\."):
        explore(SPEC, rank=[1, 3], width=[2, 6])


def test_result_objects_display_as_html_and_latex(closed_form_sweep):
    dec = divergence(SPEC.teacher, SPEC.student, SPEC.sample)
    latex = dec._repr_latex_()
    assert latex.startswith("$$\\begin{array}") and latex.endswith("\\end{array}$$")
    assert r"\mathrm{rank\_bottleneck}" in latex and f"{dec.total:.6g}" in latex
    from lingauss import risk
    one = risk(SPEC.teacher, SPEC.student.replace(rank_rule="oracle"), SPEC.sample)
    assert f'<td style="text-align:right">{one.bias:.6g}</td>' in one._repr_html_()
    assert f"{one.total:.6g}" in one._repr_latex_()
    html = closed_form_sweep._repr_html_()
    assert html.count("<tr>") == 1 + 18                # the header and 3 × 3 × 2 points
    longer = lingauss.sweep(lingauss.Teacher(2.0, 1.0),
                            lingauss.Student(2.0, 1.0, rank=1, rank_rule="oracle"),
                            lingauss.SpectralDesign.power_law(d=24, k=4, n=48),
                            width=range(1, 25), ridge=[1.0, 2.0, 3.0])
    assert "… 12 more rows" in longer._repr_html_()  # 72 points, 60 shown
    check = lingauss.check_formula("r/2*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))",
                                   term="variance")
    assert "equal" in check._repr_html_() and r"\text{equal}" in check._repr_latex_()


def test_symbolic_results_display_as_latex():
    from lingauss import symbolic

    forms = symbolic.derive("parameter", "mean", "forward", "expected")
    latex = forms._repr_latex_()
    assert latex.startswith("$") and r"\beta_T" in latex and "kept" in latex
    assert forms["kept"]["variance"]._repr_latex_().startswith("$")      # sympy's own


# --------------------------------------------------------------------------------------------
# lingauss sweep on the command line
# --------------------------------------------------------------------------------------------

def test_cli_sweep_csv_parses_back_to_the_engine(spec_file, capsys):
    assert main(["sweep", str(spec_file), "--rank", "1:3", "--width", "2,6", "--ridge",
                 "0.5,4", "--format", "csv", "--quiet"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2 * 2 + 3 * 2            # rank 3 with width 2 does not exist
    for row in rows:
        want = engine(row["rank"], row["width"], row["ridge"])
        for term, value in want.items():
            assert float(row[term]) == pytest.approx(value, rel=1e-12, abs=1e-14), term


def test_cli_sweep_json_and_default_grid(spec_file, capsys):
    assert main(["sweep", str(spec_file), "--format", "json", "--quiet"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["rank"], row["width"]) for row in rows] == [(1, 6), (2, 6), (3, 6)]
    assert rows[1]["total"] == pytest.approx(engine(2, 6)["total"], rel=1e-12)


def test_cli_sweep_netcdf_round_trips(spec_file, tmp_path, capsys):
    xr = pytest.importorskip("xarray")
    out = tmp_path / "grid.nc"
    assert main(["sweep", str(spec_file), "--rank", "1,2", "--width", "1:6:5", "--format",
                 "netcdf", "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    with xr.open_dataset(out) as ds:
        assert dict(ds.sizes) == {"rank": 2, "width": 2}
        np.testing.assert_array_equal(ds["width"].values, [1, 6])
        assert np.isnan(float(ds["total"].sel(rank=2, width=1)))
        assert float(ds["bias"].sel(rank=2, width=6)) == pytest.approx(engine(2, 6)["bias"],
                                                                        rel=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.nc", "spec.toml"]


@pytest.mark.parametrize("args, message", [
    (["--rank", "1:x"], "lingauss: error: --rank == '1:x', must be a comma-separated list of "
                        "integers (1,2,4) or an inclusive range LO:HI[:STEP] (1:8)."),
    (["--rank", "4"], "lingauss: error: --rank[0] == 4, must be <= k == 3."),
    (["--width", "0,2"], "lingauss: error: --width[0] == 0, must be >= 1."),
    (["--ridge", "1,-1"], "lingauss: error: --ridge[1] == -1, must be > 0."),
    (["--ridge", "a"], "lingauss: error: --ridge == 'a', must be a comma-separated list of "
                       "numbers (0.1,1,10)."),
    (["--rank", "3", "--width", "1,2"], "lingauss: error: --rank == '3' with --width == "
                                        "'1,2': no pair has rank <= min(k, width) (k == 3)."),
    (["--format", "netcdf"], "lingauss: error: --format netcdf needs -o FILE (netCDF is a "
                             "binary file, not for the terminal)."),
])
def test_cli_sweep_bad_input_is_one_line_exit_2_and_writes_nothing(spec_file, capsys, args,
                                                                    message):
    out = spec_file.parent / "out.csv"
    extra = [] if "netcdf" in args else ["-o", str(out)]
    assert main(["sweep", str(spec_file), *args, *extra, "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == message + "\n"
    assert not out.exists()


def test_cli_sweep_netcdf_without_xarray_names_the_extra(spec_file, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    out = tmp_path / "grid.nc"
    assert main(["sweep", str(spec_file), "--format", "netcdf", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        "lingauss: error: --format netcdf needs the optional package 'xarray', which is not "
        "installed: pip install 'lingauss[data]'.\n")
    assert not out.exists()


def test_cli_sweep_and_table_kind_sweep_render_the_same_rows(spec_file, capsys):
    assert main(["table", str(spec_file), "--kind", "sweep", "--format", "csv"]) == 0
    table = capsys.readouterr().out
    assert main(["sweep", str(spec_file), "--format", "csv", "--quiet"]) == 0
    swept = capsys.readouterr().out
    assert table == swept
