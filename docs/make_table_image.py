"""Render the default problem's closed-form table, compiled by pdflatex, as a PNG.

The README shows ``docs/img/closed-form-table.png``; regenerate it (needs ``pdflatex`` and
``pdftoppm``: Debian packages texlive-latex-base, texlive-latex-recommended, texlive-science
and poppler-utils) from the repository's root with::

    python docs/make_table_image.py

It is the LaTeX of ``lingauss table SPEC --kind closed-form --format latex --standalone`` for
the default spec (``lingauss demo --print-spec``), rendered with ``pdftoppm -png -r 150`` and
cropped to the table.
"""

import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from matplotlib import image

from lingauss._core.latex import document
from lingauss.io.spec import default_spec
from lingauss.report.tables import table

OUT = pathlib.Path(__file__).resolve().parent / "img" / "closed-form-table.png"
MARGIN = 12          # pixels of white around the table


def main() -> int:
    snippet = table(default_spec(), "closed-form", "latex")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        (folder / "table.tex").write_text(document("\\pagestyle{empty}\n" + snippet),
                                          encoding="ascii")
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                        "table.tex"], cwd=folder, check=True, capture_output=True)
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", "table.pdf",
                        "table"], cwd=folder, check=True)
        page = image.imread(folder / "table.png")
    dark = page[..., :3].min(axis=2) < 0.95                     # not white
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    top, bottom = max(rows[0] - MARGIN, 0), min(rows[-1] + MARGIN + 1, page.shape[0])
    left, right = max(cols[0] - MARGIN, 0), min(cols[-1] + MARGIN + 1, page.shape[1])
    OUT.parent.mkdir(exist_ok=True)
    image.imsave(OUT, page[top:bottom, left:right])
    print(f"wrote {OUT} ({right - left} x {bottom - top} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
