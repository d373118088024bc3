"""Figures (lingauss.plots): each kind renders, reads back the data it was given, and the
stacked areas of bias, variance and rank bottleneck add up to the drawn total.

Data are read back from the artists (lines, polygons, images), never from the code that drew
them. No test may leave a pyplot figure open: the module builds ``Figure`` objects directly.
"""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm

import lingauss
from lingauss import LingaussError
from lingauss.explore.design import pareto_mask as _pareto_mask
from lingauss.explore.sweep import Sweep
from lingauss.plots import (COLOURS, frontier_plot, heatmap, sample_size_plot, save,
                            soft_labels_plot, terms_plot)

PNG = b"\x89PNG\r\n\x1a\n"
DESIGN = lingauss.SpectralDesign.power_law(d=64, k=8, n=128)
TEACHER = lingauss.Teacher(2.0, 1.0)
STUDENT = lingauss.Student(2.0, 0.5, rank_rule="oracle")


@pytest.fixture(scope="module")
def res():
    return lingauss.sweep(TEACHER, STUDENT, DESIGN, rank=[1, 2, 4, 8], width=[8, 16, 32, 64])


@pytest.fixture(scope="module")
def res_n():
    return lingauss.sweep(TEACHER, STUDENT.replace(width=16, rank=4), DESIGN,
                          n=[16, 64, 256, 1024])


@pytest.fixture(scope="module")
def soft():
    student = STUDENT.replace(width=32)
    return {mode: lingauss.sweep(TEACHER, student.replace(soft_labels=mode), DESIGN,
                                 rank=[1, 2, 4, 8]) for mode in ("mean", "sampled")}


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    yield
    assert plt.get_fignums() == []


def render(fig, tmp_path, name="fig.png"):
    """Save as PNG and draw on an Agg canvas; both must work."""
    path = tmp_path / name
    assert save(fig, path) is fig
    assert path.read_bytes()[:8] == PNG
    FigureCanvasAgg(fig).draw()
    return fig


def legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def line(ax, label):
    (found,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def edges(collection, x):
    """Bottom and top of a filled polygon at each ``x`` (from its vertices)."""
    vertices = collection.get_paths()[0].vertices
    at = [vertices[np.isclose(vertices[:, 0], xi), 1] for xi in x]
    return np.array([v.min() for v in at]), np.array([v.max() for v in at])


def check_stack(ax, x, total):
    """Stacked areas bias, variance, rank bottleneck: each starts where the last ends, and
    the top of the stack is the drawn total line."""
    areas = ax.collections
    assert len(areas) == 3
    assert [a.get_label() for a in areas] == ["bias", "variance", "rank bottleneck"]
    previous = np.zeros(len(x))
    for area in areas:
        bottom, top = edges(area, x)
        np.testing.assert_allclose(bottom, previous, rtol=1e-12, atol=1e-12)
        previous = top
    drawn_total = line(ax, "total K")
    np.testing.assert_allclose(drawn_total.get_xdata(), x)
    np.testing.assert_allclose(drawn_total.get_ydata(), total, rtol=1e-12)
    np.testing.assert_allclose(previous, drawn_total.get_ydata(), rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------------------------
# terms_plot
# --------------------------------------------------------------------------------------------

def test_terms_plot_against_rank(res, tmp_path):
    fig = render(terms_plot(res, "rank", fixed={"width": 2}), tmp_path)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "student rank r"
    assert ax.get_ylabel() == "divergence K (nats)"
    assert ax.get_title() == "Decomposition of K against r\n(at m = 32)"
    assert legend(ax) == ["total K", "rank bottleneck", "variance", "bias",
                          "rank floor (diagnostic)"]
    check_stack(ax, res.axes["rank"], res["total"][:, 2])
    floor = line(ax, "rank floor (diagnostic)")
    assert floor.get_linestyle() == "--"
    np.testing.assert_allclose(floor.get_ydata(), res["rank_floor"][:, 2])


def test_terms_plot_against_width_default_fixed_and_title(res, tmp_path):
    fig = render(terms_plot(res, "width", title="Widths"), tmp_path)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "input width m"
    assert ax.get_title() == "Widths\n(at r = 1)"          # index 0 of rank, stated
    check_stack(ax, res.axes["width"], res["total"][0, :])


def test_terms_plot_one_axis_sweep_has_nothing_held(res_n, tmp_path):
    ax = render(terms_plot(res_n, "n"), tmp_path).axes[0]
    assert ax.get_title() == "Decomposition of K against n"
    assert ax.get_xlabel() == "sample size n"
    check_stack(ax, res_n.axes["n"], res_n["total"])


def test_colours_are_fixed_per_term(res, soft, res_n):
    ax = terms_plot(res, "rank").axes[0]
    n_ax = sample_size_plot(res_n).axes[0]
    for a in (ax, *soft_labels_plot(soft).axes):
        for area in a.collections:
            term = area.get_label().replace(" ", "_")
            np.testing.assert_allclose(area.get_facecolor()[0][:3],
                                       _rgb(COLOURS[term]))
    for term, label in (("total", "total K"), ("bias", "bias"), ("variance", "variance")):
        assert line(n_ax, label).get_color().upper() == COLOURS[term].upper()


def _rgb(hex_colour):
    return [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]


@pytest.mark.parametrize("call, message", [
    (lambda r: terms_plot(r, "rnk"),
     "Unknown value for axis: 'rnk'. Possible values: ('rank', 'width')."),
    (lambda r: terms_plot(r, "rank", fixed={"rank": 0}),
     "Unknown value for fixed: 'rank'. Possible values: ('width',)."),
    (lambda r: terms_plot(r, "rank", fixed={"width": 4}),
     "fixed['width'] == 4, must be <= len(width) - 1 == 3."),
    (lambda r: terms_plot(r, "rank", fixed={"width": -1}),
     "fixed['width'] == -1, must be >= 0."),
    (lambda r: terms_plot(r, "rank", fixed=[0]),
     "fixed == [0], must be a dict {axis name: index}."),
    (lambda r: terms_plot({"rank": [1]}, "rank"),
     "sweep is a dict, must be a Sweep (the result of lingauss.sweep)."),
    (lambda r: heatmap(r, "width", "rank", term="totl"),
     "Unknown value for term: 'totl'. Possible values: ('total', 'bias', 'variance', "
     "'rank_bottleneck', 'bottleneck_mean', 'bottleneck_covariance', 'rank_floor')."),
    (lambda r: heatmap(r, "width", "n"),
     "Unknown value for y: 'n'. Possible values: ('rank', 'width')."),
    (lambda r: heatmap(r, "rank", "rank"),
     "x == y == 'rank', must be two different axes of ('rank', 'width')."),
    (lambda r: sample_size_plot(r),
     "Unknown value for axis: 'n'. Possible values: ('rank', 'width')."),
    (lambda r: soft_labels_plot({}),
     "sweeps == {}, must be a non-empty dict {soft-label mode: Sweep}."),
    (lambda r: soft_labels_plot({"mean": r}, axis="n"),
     "Unknown value for axis: 'n'. Possible values: ('rank', 'width')."),
])
def test_bad_arguments(res, call, message):
    with pytest.raises(LingaussError) as err:
        call(res)
    assert str(err.value) == message


# --------------------------------------------------------------------------------------------
# heatmap
# --------------------------------------------------------------------------------------------

def test_heatmap_values_ticks_and_colourbar(res, tmp_path):
    fig = render(heatmap(res, "width", "rank"), tmp_path)
    ax, bar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("input width m", "student rank r")
    assert bar.get_ylabel() == "total K (nats)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16", "32", "64"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "4", "8"]
    (image,) = ax.get_images()
    np.testing.assert_allclose(image.get_array(), res["total"])     # rows = rank (y)
    assert isinstance(image.norm, LogNorm)


def test_heatmap_transposed_linear_when_zeros_or_asked(res, tmp_path):
    fig = render(heatmap(res, "rank", "width", term="rank_floor"), tmp_path)
    image = fig.axes[0].get_images()[0]
    np.testing.assert_allclose(image.get_array(), res["rank_floor"].T)
    assert not isinstance(image.norm, LogNorm)                      # rank_floor has zeros
    assert fig.axes[1].get_ylabel() == "rank floor (diagnostic) (nats)"
    image = heatmap(res, "width", "rank", term="bias", log=False).axes[0].get_images()[0]
    assert not isinstance(image.norm, LogNorm)


def test_heatmap_holds_a_third_axis(tmp_path):
    three = lingauss.sweep(TEACHER, STUDENT, DESIGN, rank=[1, 2], width=[8, 16],
                           ridge=[0.5, 1.0, 2.0])
    fig = render(heatmap(three, "width", "rank", fixed={"ridge": 2}), tmp_path)
    ax = fig.axes[0]
    assert ax.get_title() == "total K over m × r\n(at λ_S = 2)"
    np.testing.assert_allclose(ax.get_images()[0].get_array(), three["total"][:, :, 2])


# --------------------------------------------------------------------------------------------
# frontier_plot
# --------------------------------------------------------------------------------------------

def test_pareto_by_hand():
    # (1, 5) kept; (2, 3) kept; (2, 4) dominated by (2, 3); (3, 3) dominated by (2, 3);
    # (4, 1) kept.
    mask = _pareto_mask([1, 2, 2, 3, 4], [5.0, 3.0, 4.0, 3.0, 1.0])
    assert mask.tolist() == [True, True, False, False, True]
    # Equal designs do not dominate each other; a lone design is its own frontier.
    assert _pareto_mask([1, 1, 2], [2.0, 2.0, 2.0]).tolist() == [True, True, False]
    assert _pareto_mask([3], [0.0]).tolist() == [True]


def test_frontier_plot(tmp_path):
    sizes, divs = [4, 1, 2, 3, 2], [1.0, 5.0, 3.0, 3.0, 4.0]
    fig = render(frontier_plot(sizes, divs, recommended=2, budget=3.5), tmp_path)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "parameters r(m + k)"
    assert ax.get_ylabel() == "divergence K (nats)"
    assert legend(ax) == ["candidate designs", "Pareto frontier", "recommended",
                          "budget K ≤ 3.5"]
    front = line(ax, "Pareto frontier")
    assert front.get_drawstyle() == "steps-post"
    assert front.get_xdata().tolist() == [1, 2, 4]
    assert front.get_ydata().tolist() == [5.0, 3.0, 1.0]
    assert ax.collections[0].get_offsets().shape == (5, 2)          # every candidate
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[2, 3.0]])  # recommended
    assert ax.texts[0].get_text() == "recommended\nsize 2, K = 3"
    budget = line(ax, "budget K ≤ 3.5")
    assert budget.get_linestyle() == "--"
    assert list(budget.get_ydata()) == [3.5, 3.5]
    assert ax.get_yscale() == "log"


def test_frontier_plot_given_pareto_and_zero_divergence(tmp_path):
    by_mask = frontier_plot([1, 2, 3], [0.0, 1.0, 2.0], pareto=[True, False, True],
                            xlabel="size")
    by_index = render(frontier_plot([1, 2, 3], [0.0, 1.0, 2.0], pareto=[2, 0]), tmp_path)
    for fig in (by_mask, by_index):
        ax = fig.axes[0]
        assert line(ax, "Pareto frontier").get_xdata().tolist() == [1, 3]
        assert ax.get_yscale() == "linear"                          # a zero divergence
        assert legend(ax) == ["candidate designs", "Pareto frontier"]
    assert by_mask.axes[0].get_xlabel() == "size"


@pytest.mark.parametrize("kwargs, message", [
    ({"divergences": [1.0, 2.0]},
     "divergences has shape (2,), must have len(sizes) == 3 along axis 0."),
    ({"pareto": [True, False]}, "pareto has shape (2,), must be a boolean mask of shape (3,)."),
    ({"pareto": [0, 3]}, "pareto[1] == 3, must be <= len(sizes) - 1 == 2."),
    ({"recommended": 5}, "recommended == 5, must be <= len(sizes) - 1 == 2."),
    ({"budget": -1.0}, "budget == -1, must be >= 0."),
])
def test_frontier_plot_bad_arguments(kwargs, message):
    args = {"divergences": [3.0, 2.0, 1.0], **kwargs}
    with pytest.raises(LingaussError) as err:
        frontier_plot([1, 2, 3], **args)
    assert str(err.value) == message


# --------------------------------------------------------------------------------------------
# sample_size_plot
# --------------------------------------------------------------------------------------------

def test_sample_size_plot(res_n, tmp_path):
    fig = render(sample_size_plot(res_n), tmp_path)
    (ax,) = fig.axes
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "sample size n"
    assert ax.get_ylabel() == "divergence K (nats)"
    assert legend(ax) == ["total K", "bias", "variance", "rank bottleneck"]
    for term, label in (("total", "total K"), ("bias", "bias"), ("variance", "variance"),
                        ("rank_bottleneck", "rank bottleneck")):
        drawn = line(ax, label)
        np.testing.assert_allclose(drawn.get_xdata(), res_n.axes["n"])
        np.testing.assert_allclose(drawn.get_ydata(), res_n[term])


def test_sample_size_plot_zero_series_noted_not_drawn(tmp_path):
    # Full width and rank: no bottleneck at all.
    full = lingauss.sweep(TEACHER, STUDENT.replace(width=64, rank=8), DESIGN, n=[16, 64, 256])
    assert np.all(full["rank_bottleneck"] == 0)
    ax = render(sample_size_plot(full), tmp_path).axes[0]
    assert legend(ax) == ["total K", "bias", "variance", "rank bottleneck = 0 (not shown)"]
    assert [ln.get_label() for ln in ax.get_lines()] == ["total K", "bias", "variance"]
    assert ax.get_yscale() == "log"
    # Zero at some sizes only: drawn where positive.
    n = np.array([10, 100, 1000])
    terms = {"total": np.array([3.0, 2.0, 1.0]), "bias": np.array([1.0, 0.0, 0.5]),
             "variance": np.array([2.0, 2.0, 0.5]), "rank_bottleneck": np.zeros(3)}
    ax = render(sample_size_plot(Sweep(axes={"n": n}, terms=terms)), tmp_path).axes[0]
    assert legend(ax) == ["total K", "bias (zeros not shown)", "variance",
                          "rank bottleneck = 0 (not shown)"]
    assert np.isnan(line(ax, "bias (zeros not shown)").get_ydata()).tolist() == [
        False, True, False]


# --------------------------------------------------------------------------------------------
# soft_labels_plot
# --------------------------------------------------------------------------------------------

def test_soft_labels_plot(soft, tmp_path):
    fig = render(soft_labels_plot(soft), tmp_path)
    mean_ax, sampled_ax = fig.axes
    assert (mean_ax.get_title(), sampled_ax.get_title()) == ("mean", "sampled")
    assert mean_ax.get_shared_y_axes().joined(mean_ax, sampled_ax)
    assert mean_ax.get_ylabel() == "divergence K (nats)"
    for ax, mode in ((mean_ax, "mean"), (sampled_ax, "sampled")):
        assert ax.get_xlabel() == "student rank r"
        check_stack(ax, soft[mode].axes["rank"], soft[mode]["total"])
    assert legend(mean_ax) == ["total K", "rank bottleneck", "variance", "bias",
                               "rank floor (diagnostic)"]
    assert legend(sampled_ax)[-1] == "convexity bound K + I(Ŷ; W_S)"
    bound = line(sampled_ax, "convexity bound K + I(Ŷ; W_S)")
    assert bound.get_linestyle() == ":"
    np.testing.assert_allclose(bound.get_ydata(), soft["sampled"]["convexity_bound"])


# --------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, magic", [
    ("f.png", (PNG,)), ("f.pdf", (b"%PDF",)), ("f.svg", (b"<?xml", b"<svg")),
    ("F.PDF", (b"%PDF",)), ("f.Svg", (b"<?xml", b"<svg")),
])
def test_save_formats(tmp_path, name, magic):
    fig = frontier_plot([1, 2], [2.0, 1.0])
    save(fig, tmp_path / name)
    assert (tmp_path / name).read_bytes().startswith(magic)
    save(fig, str(tmp_path / ("str_" + name)))                      # a str path too
    assert (tmp_path / ("str_" + name)).read_bytes().startswith(magic)


def test_save_bad_extension_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = frontier_plot([1, 2], [2.0, 1.0])
    for path, message in [
        ("x.jpg", "output file 'x.jpg' has extension '.jpg', must be one of "
                  "('.png', '.pdf', '.svg')."),
        ("noext", "output file 'noext' has extension '', must be one of "
                  "('.png', '.pdf', '.svg')."),
        (tmp_path / "y.EPS", f"output file {str(tmp_path / 'y.EPS')!r} has extension "
                             f"'.EPS', must be one of ('.png', '.pdf', '.svg')."),
    ]:
        with pytest.raises(LingaussError) as err:
            save(fig, path)
        assert str(err.value) == message
    assert list(tmp_path.iterdir()) == []


def test_save_missing_folder_is_not_created(tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(LingaussError) as err:
        save(frontier_plot([1, 2], [2.0, 1.0]), missing / "f.png")
    assert str(err.value) == f"output folder {missing} does not exist."
    assert not missing.exists()


def test_module_never_imports_pyplot(tmp_path):
    code = ("import sys, lingauss.plots as p; "
            "p.save(p.frontier_plot([1, 2], [2.0, 1.0]), sys.argv[1]); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.png")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "f.png").read_bytes()[:8] == PNG


def test_soft_labels_panels_share_a_y_range_that_covers_every_panel():
    # regression (found by examples/mean_vs_sampled_soft_labels.py): the shared y axis took
    # the first panel's range and cut the convexity bound of later panels
    import lingauss
    from lingauss.plots import soft_labels_plot

    design = lingauss.SpectralDesign.power_law(d=32, k=4, n=64)
    student = lingauss.Student(2.0, 0.5, width=16, rank_rule="oracle")
    sweeps = {mode: lingauss.sweep(lingauss.Teacher(2.0, 1.0),
                                   student.replace(soft_labels=mode,
                                                   soft_label_noise=0.5 * (mode != "mean")),
                                   design, rank=[1, 2, 3, 4])
              for mode in ("mean", "sampled+noise")}
    fig = soft_labels_plot(sweeps)
    top = max(float(np.max(sweeps["sampled+noise"][t])) for t in ("total", "convexity_bound"))
    for ax in fig.axes:
        assert ax.get_ylim()[1] >= top
