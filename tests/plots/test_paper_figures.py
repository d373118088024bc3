"""Figures publishers accept (issue "Paper-ready output", item 2): TrueType fonts in PDF (read
back with ``pdffonts``), PNG at 300 dpi, named styles made inside an rc context (nothing
leaks), tick labels that do not collide (measured after drawing), legends off the data,
titles that name what is held fixed, notebook display, and the ``lingauss plot`` options.
"""

import io
import itertools
import shutil
import struct
import subprocess

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

import lingauss
from lingauss import LingaussError
from lingauss.cli import main
from lingauss.io.spec import default_spec
from lingauss.plots import (PLOT_KINDS, STYLES, LingaussFigure, bounds_plot, figure, save,
                            terms_plot, use_style)

PNG = b"\x89PNG\r\n\x1a\n"
PDFFONTS = shutil.which("pdffonts")
SPEC = default_spec()
# the kinds that vary γ = d/n need random inputs (and, against γ, a full-width student)
RANDOM_KINDS = ("risk-vs-gamma", "gamma-width")
RANDOM = SPEC.replace(design=lingauss.RandomDesign.power_law(d=SPEC.sample.d, k=SPEC.sample.k,
                                                               n=SPEC.sample.n),
                      student=SPEC.student.replace(width=None))


@pytest.fixture(scope="module")
def figures():
    """Every plot kind of the default problem at the default and the paper style."""
    return {(kind, style): figure(RANDOM if kind in RANDOM_KINDS else SPEC, kind, style=style)
            for kind, style in itertools.product(PLOT_KINDS, ("default", "paper"))}


def bounds_figure():
    return bounds_plot([1, 2, 3, 4], [-1.7, -1.4, -1.2, -1.1],
                       {"subgaussian": ("abs", [2.4, 2.2, 2.1, 2.0]),
                        "central": ("lower", [-2.6, -2.5, -2.4, -2.3])},
                       held="soft labels mean, width 16")


def png_size(data: bytes) -> tuple:
    assert data[:8] == PNG
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------------------------
# Files: fonts, resolution, formats
# --------------------------------------------------------------------------------------------

@pytest.mark.skipif(PDFFONTS is None, reason="pdffonts (poppler-utils) is not installed")
@pytest.mark.parametrize("kind", PLOT_KINDS + ("bounds",))
def test_pdf_figures_embed_only_truetype_fonts(kind, figures, tmp_path):
    fig = bounds_figure() if kind == "bounds" else figures[kind, "paper"]
    save(fig, tmp_path / "f.pdf")
    out = subprocess.run([PDFFONTS, str(tmp_path / "f.pdf")], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    rows = out[2:]                       # after the header and the dashes
    assert rows, "no font in the PDF"
    for row in rows:
        assert "TrueType" in row and "Type 3" not in row, row
        assert row.split()[-5] == "yes", row            # embedded


def test_png_is_300_dpi_by_default_and_dpi_is_checked(tmp_path):
    fig = terms_plot(lingauss.sweep(lingauss.Teacher(2.0, 1.0),
                                    lingauss.Student(2.0, 0.5, rank_rule="oracle"),
                                    lingauss.SpectralDesign.power_law(d=16, k=4, n=32),
                                    rank=[1, 2, 4], width=[8]), "rank")
    save(fig, tmp_path / "a.png")
    w, h = fig.get_size_inches()
    assert png_size((tmp_path / "a.png").read_bytes()) == (round(300 * w), round(300 * h))
    save(fig, tmp_path / "b.png", dpi=100)
    assert png_size((tmp_path / "b.png").read_bytes()) == (round(100 * w), round(100 * h))
    with pytest.raises(LingaussError) as err:
        save(fig, tmp_path / "c.png", dpi=0)
    assert str(err.value) == "dpi == 0, must be >= 10."
    assert not (tmp_path / "c.png").exists()


def test_svg_keeps_text_as_text(tmp_path):
    save(bounds_figure(), tmp_path / "f.svg")
    svg = (tmp_path / "f.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "Generalisation bounds" in svg


def test_styles_apply_inside_an_rc_context_and_nothing_leaks(tmp_path):
    before = dict(matplotlib.rcParams)
    fig = figure(SPEC, "frontier", style="paper")
    save(fig, tmp_path / "f.pdf")
    save(fig, tmp_path / "f.png")
    assert dict(matplotlib.rcParams) == before
    assert fig.get_size_inches().tolist() == list(STYLES["paper"].single)
    ax = fig.panels[0]
    assert ax.xaxis.label.get_fontsize() == STYLES["paper"].font_size
    assert ax.get_xticklabels()[0].get_fontsize() == pytest.approx(
        0.9 * STYLES["paper"].font_size)
    with use_style("slides", font_size=20):
        big = figure(SPEC, "frontier")
    assert big.panels[0].xaxis.label.get_fontsize() == 20
    assert figure(SPEC, "frontier").get_size_inches().tolist() == list(
        STYLES["default"].single)                      # the with block ended
    custom = figure(SPEC, "frontier", size=(5, 3), font_size=7)
    assert custom.get_size_inches().tolist() == [5, 3]
    assert custom.panels[0].xaxis.label.get_fontsize() == 7


def test_notebook_display_without_matplotlib_inline(figures):
    fig = figures["terms-vs-rank", "paper"]
    assert isinstance(fig, LingaussFigure)
    assert fig._repr_png_()[:8] == PNG
    assert "<svg" in fig._repr_svg_()
    for f in figures.values():
        assert isinstance(f, LingaussFigure)


# --------------------------------------------------------------------------------------------
# Layout: ticks, legends, titles
# --------------------------------------------------------------------------------------------

def drawn_tick_labels(axis, renderer):
    """Bounding boxes of the tick labels drawn on an axis (in view, visible, non-empty)."""
    lo, hi = sorted(axis.get_view_interval())
    boxes = []
    for ticks in (axis.get_major_ticks(), axis.get_minor_ticks()):
        for tick in ticks:
            label = tick.label1
            if label.get_visible() and label.get_text() and lo <= tick.get_loc() <= hi:
                boxes.append(label.get_window_extent(renderer))
    return boxes


@pytest.mark.parametrize("kind, style", list(itertools.product(PLOT_KINDS,
                                                                ("default", "paper"))))
def test_tick_labels_do_not_collide(kind, style, figures):
    """Regression: heatmap-ridge's labels (0.02, 0.0632456, ...) overlapped."""
    fig = figures[kind, style]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:                                  # the colour bars too
        for axis in (ax.xaxis, ax.yaxis):
            boxes = drawn_tick_labels(axis, renderer)
            for a, b in itertools.combinations(boxes, 2):
                assert not a.overlaps(b), (kind, style, a, b)


def line_points(ax):
    """Display coordinates of every plotted line's points."""
    points = [ln.get_transform().transform(np.column_stack(
        [np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)]))
        for ln in ax.get_lines() if len(ln.get_xdata())]
    return np.vstack(points)


@pytest.mark.parametrize("make", ["bounds", "terms-vs-rank", "sample-size", "frontier"])
@pytest.mark.parametrize("style", ["default", "paper"])
def test_legend_is_not_over_the_data(make, style, figures):
    fig = bounds_figure() if make == "bounds" else figures[make, style]
    if make == "bounds" and style == "paper":
        with use_style("paper"):
            fig = bounds_figure()
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    (ax,) = fig.panels
    box = ax.get_legend().get_window_extent(canvas.get_renderer())
    points = line_points(ax)
    points = points[np.all(np.isfinite(points), axis=1)]
    inside = ((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
              & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1))
    assert not inside.any()
    assert not box.overlaps(ax.get_window_extent(canvas.get_renderer()))   # beside the axes


@pytest.mark.parametrize("make", ["bounds", "terms-vs-rank", "sample-size", "frontier"])
def test_a_one_column_figure_has_its_legend_below_the_axis_label(make, figures):
    """Paper style (3.4 in wide): a legend beside the axes took half the width; below the
    x label it leaves the data the whole width, and stays inside the figure."""
    if make == "bounds":
        with use_style("paper"):
            fig = bounds_figure()
    else:
        fig = figures[make, "paper"]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = fig.panels
    legend = ax.get_legend().get_window_extent(renderer)
    label = ax.xaxis.label.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert legend.y1 < label.y0 and all(legend.y1 < box.y0 for box in ticks)
    assert legend.y0 >= 0 and legend.x0 >= 0 and legend.x1 <= fig.bbox.width
    assert ax.get_window_extent(renderer).width > 0.65 * fig.bbox.width
    default = figures[make, "default"] if make != "bounds" else bounds_figure()
    FigureCanvasAgg(default).draw()
    (dax,) = default.panels
    assert dax.get_legend().get_window_extent().x0 > dax.get_window_extent().x1  # beside


@pytest.mark.parametrize("style", ["default", "paper"])
@pytest.mark.parametrize("recommended", [1, 6])
def test_the_frontier_note_is_off_every_design_and_line(style, recommended):
    """Regression: the "recommended" note sat over the frontier at paper size."""
    from lingauss.plots import frontier_plot

    sizes = np.array([10.0, 20, 30, 40, 60, 80, 100, 120, 25, 45, 70, 110])
    ks = np.array([400.0, 300, 230, 180, 140, 110, 95, 90, 380, 260, 200, 150])
    with use_style(style):
        fig = frontier_plot(sizes, ks, recommended=recommended, budget=float(ks[recommended]))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    (ax,) = fig.panels
    (note,) = ax.texts
    box = Text.get_window_extent(note, canvas.get_renderer())         # the text, not its arrow
    points = np.vstack([line_points(ax)] + [c.get_offset_transform().transform(
        c.get_offsets()) for c in ax.collections])
    points = points[np.all(np.isfinite(points), axis=1)]
    inside = ((points[:, 0] >= box.x0 - 3) & (points[:, 0] <= box.x1 + 3)
              & (points[:, 1] >= box.y0 - 3) & (points[:, 1] <= box.y1 + 3))
    assert not inside.any(), (style, recommended)
    axes_box = ax.get_window_extent(canvas.get_renderer())
    assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1
    assert axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1
    assert note.get_text() == f"recommended\nsize {sizes[recommended]:g}, " \
                              f"K = {ks[recommended]:.3g}"


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_every_kind_draws_in_its_style(kind, figures):
    """Regression: a helper inserted above sample_size_plot took its @styled decorator, and
    the figure came out at paper size with the default fonts."""
    for style in ("default", "paper"):
        ax = figures[kind, style].panels[0]
        assert ax.xaxis.label.get_fontsize() == pytest.approx(STYLES[style].font_size), style


def test_every_title_names_what_is_held(figures):
    """Computed from the spec, not from the figures' code: the width m and rank r held by a
    sweep, the student's ridge λ_S unless it is an axis."""
    m, r = SPEC.student.resolve(SPEC.sample.d, SPEC.sample.k)
    ridge = f"λ_S = {SPEC.student.ridge:g}"
    held = {"terms-vs-rank": [f"m = {m}", ridge], "terms-vs-width": [f"r = {r}", ridge],
            "heatmap": [ridge], "heatmap-ridge": [f"m = {m}"], "frontier": [ridge],
            "sample-size": [f"m = {m}", f"r = {r}", ridge],
            "soft-labels": [f"m = {m}", ridge],
            # a one-student spec is a one-step chain (issue 11)
            "risk-vs-generation": ["G = 1", f"n = {SPEC.sample.n}"],
            "filters": ["G = 1", f"d = {SPEC.sample.d}"],
            # against γ: the dimension, and the ridges held at the design's n
            "risk-vs-gamma": [f"d = {RANDOM.design.d}", f"held at n = {RANDOM.design.n}",
                              f"λ_S = {RANDOM.student.ridge:g}"],
            "gamma-width": [f"d = {RANDOM.design.d}", f"held at n = {RANDOM.design.n}"]}
    assert set(held) == set(PLOT_KINDS)
    for kind, needed in held.items():
        text = " ".join(figures[kind, "default"].titles())
        for part in needed:
            assert part in text, (kind, part, text)
    assert "λ_S" in figures["heatmap-ridge", "default"].panels[0].get_xlabel()


def test_no_title_and_limits():
    fig = figure(SPEC, "terms-vs-rank", title=False, xlim=(2, 6), ylim=(1, 150))
    assert fig.titles() == [] and fig.hidden_titles[0].startswith("Decomposition of K")
    assert fig.panels[0].get_xlim() == (2, 6) and fig.panels[0].get_ylim() == (1, 150)
    heat = figure(SPEC, "heatmap-ridge", xlim=(0.1, 10))
    ridges = SPEC.student.ridge * np.geomspace(1e-2, 1e2, 9)
    inside = np.flatnonzero((ridges >= 0.1) & (ridges <= 10))
    assert heat.panels[0].get_xlim() == (inside[0] - 0.5, inside[-1] + 0.5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(xlim=(5, 1)), "xlim == (5, 1), must have low < high."),
    (dict(ylim=[0]), "ylim == [0], must be (low, high)."),
    (dict(style="poster"), "Unknown value for style: 'poster'. Possible values: "
                           "('default', 'paper', 'slides')."),
    (dict(size=(0.1, 2)), "size[0] == 0.1, must be >= 0.5."),
    (dict(font_size=100), "font_size == 100, must be <= 72."),
])
def test_figure_options_bad_values(kwargs, message):
    with pytest.raises(LingaussError) as err:
        figure(SPEC, "frontier", **kwargs)
    assert str(err.value) == message


# --------------------------------------------------------------------------------------------
# lingauss plot options
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "default.toml"
    out = io.StringIO()
    from contextlib import redirect_stdout
    with redirect_stdout(out):
        assert main(["demo", "--print-spec"]) == 0
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_plot_cli_size_style_font_and_no_title(spec_file, tmp_path, capsys):
    out = tmp_path / "a.png"
    assert main(["plot", str(spec_file), "--kind", "frontier", "-o", str(out), "--size",
                 "3,2", "--font-size", "7", "--no-title", "--quiet"]) == 0
    assert png_size(out.read_bytes()) == (900, 600)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wrote {out}"
    assert printed[1].startswith("title (not drawn): Size against divergence")
    out = tmp_path / "b.png"
    assert main(["plot", str(spec_file), "--kind", "terms-vs-rank", "-o", str(out),
                 "--style", "paper", "--xlim", "1,4", "--ylim", "1,300", "--quiet"]) == 0
    w, h = STYLES["paper"].single
    assert png_size(out.read_bytes()) == (round(300 * w), round(300 * h))


@pytest.mark.parametrize("option, message", [
    (["--size", "3x2"], "--size == '3x2', must be two numbers W,H in inches, e.g. 3.4,2.5."),
    (["--size", "0.2,2"], "--size W == 0.2, must be >= 0.5."),
    (["--font-size", "big"], "--font-size == 'big', must be a number of points, e.g. 8."),
    (["--font-size", "2"], "--font-size == 2, must be >= 4."),
    (["--xlim", "5,1"], "--xlim == '5,1', must have LO < HI."),
    (["--ylim", "nan,1"], "--ylim == 'nan,1', must be two numbers LO,HI, e.g. 0,10."),
    (["--style", "poster"], "Unknown value for --style: 'poster'. Possible values: "
                            "('default', 'paper', 'slides')."),
])
def test_plot_cli_bad_values_exit_2_and_write_nothing(option, message, spec_file, tmp_path,
                                                      capsys):
    assert main(["plot", str(spec_file), "--kind", "heatmap", "-o",
                 str(tmp_path / "x.pdf"), *option]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"lingauss: error: {message}"]
    assert list(tmp_path.iterdir()) == []


def test_plot_cli_limits_checked_against_the_figure(spec_file, tmp_path, capsys):
    assert main(["plot", str(spec_file), "--kind", "sample-size", "-o",
                 str(tmp_path / "x.pdf"), "--xlim", "0,100", "--quiet"]) == 2
    assert main(["plot", str(spec_file), "--kind", "heatmap-ridge", "-o",
                 str(tmp_path / "x.pdf"), "--xlim", "1000,2000", "--quiet"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "lingauss: error: --xlim == (0, 100) on a log axis, must have low > 0."
    assert err[1].startswith("lingauss: error: --xlim == (1000, 2000) holds no grid value of "
                             "the x axis, must hold one of the values 0.08 to 800")
    assert list(tmp_path.iterdir()) == []
