"""Pages of the documentation site that are generated at build time (see ``docs/conf.py``).

* :func:`generate` (Sphinx ``builder-inited``): copies ``derivations/*.md`` into
  ``docs/derivations/``, runs every ``examples/*.py --out DIR`` and writes its gallery page
  (docstring, printed output, figures, tables written, source), copies the notebooks of
  ``examples/notebooks`` into ``docs/gallery/notebooks/`` (myst-nb executes them), writes the
  list of both that ``docs/gallery.md`` includes, and stages MathJax for ``_static``;
* :func:`site_links` (``source-read``): a link between two of the repository's Markdown files
  (``../derivations/bounds.md`` in ``docs/model.md``) becomes a link between site pages.

Everything written here is ignored by git (``docs/.gitignore``).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
GALLERY = DOCS / "gallery"
#: The parts of MathJax 3 (es5) the site loads: the TeX-to-CommonHTML bundle, its fonts, and
#: what it loads on demand (TeX extensions, the menu, accessibility).
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui",
                 "a11y", "adaptors")


def _write(path: pathlib.Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (Sphinx rebuilds what changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def derivations() -> list[str]:
    """Copy ``derivations/*.md`` into ``docs/derivations/``; returns the page names."""
    out = DOCS / "derivations"
    names = []
    for src in sorted((ROOT / "derivations").glob("*.md")):
        text = src.read_text(encoding="utf-8")
        # links to the repository's files, seen from docs/derivations/
        text = re.sub(r"\]\((?:\.\./)?docs/model\.md", "](../model.md", text)
        _write(out / src.name, text)
        names.append(src.stem)
    for stale in out.glob("*.md"):
        if stale.stem not in names:
            stale.unlink()
    return names


def _title_and_body(doc: str) -> tuple[str, str]:
    lines = (doc or "").strip().splitlines()
    title = lines[0].strip().rstrip(".") if lines else "Example"
    return title, "\n".join(lines[1:]).strip()


def _docstring(path: pathlib.Path) -> str:
    import ast

    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def example_page(script: pathlib.Path) -> tuple[str, str, list]:
    """Run one example with ``--out`` and write its page; returns (name, title, figures)."""
    out = GALLERY / "_out" / script.stem
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ, MPLBACKEND="Agg", LINGAUSS_QUIET="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(script), "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"examples/{script.name} failed (exit {proc.returncode}):\n"
                           f"{proc.stderr}")
    title, body = _title_and_body(_docstring(script))
    figures = sorted(p.name for p in out.iterdir() if p.suffix in (".png", ".svg"))
    tables = sorted(p for p in out.iterdir() if p.suffix == ".md")
    printed = proc.stdout.rstrip()
    parts = [f"# {title}", "", body, "",
             f"Run it: `python examples/{script.name} --out DIR`.", "", "## What it prints", "",
             "```text", printed, "```", ""]
    if tables:
        parts += ["## Tables it writes", ""]
        for table in tables:
            parts += [f"`{table.name}`:", "", table.read_text(encoding="utf-8").strip(), ""]
    if figures:
        parts += ["## Figures", ""]
        parts += [f"![{title}](_out/{script.stem}/{name})\n" for name in figures]
    parts += ["## Source", "", f"```{{literalinclude}} ../../examples/{script.name}",
              ":language: python", "```", ""]
    _write(GALLERY / f"{script.stem}.md", "\n".join(parts))
    return script.stem, title, figures


def notebooks() -> list[tuple[str, str]]:
    """Copy the notebooks into ``docs/gallery/notebooks/``; returns (name, title) pairs."""
    import json

    out = GALLERY / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    found = []
    for src in sorted((ROOT / "examples" / "notebooks").glob("*.ipynb")):
        _write(out / src.name, src.read_text(encoding="utf-8"))
        cells = json.loads(src.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]) if cells else src.stem
        found.append((src.stem, first.splitlines()[0].lstrip("# ").strip()))
    for stale in out.glob("*.ipynb"):
        if stale.stem not in [name for name, _ in found]:
            stale.unlink()
    return found


def gallery() -> None:
    """Every example script and notebook; the list with thumbnails that ``docs/gallery.md``
    includes (``docs/gallery/_out/contents.md``, links relative to ``docs/``)."""
    scripts = [example_page(p) for p in sorted((ROOT / "examples").glob("*.py"))]
    books = notebooks()
    lines = ["## Notebooks", ""]
    lines += [f"* [{title}](gallery/notebooks/{name}.ipynb)" for name, title in books]
    lines += ["", "## Example scripts", ""]
    for name, title, figures in scripts:
        lines += [f"### [{title}](gallery/{name}.md)", ""]
        if figures:
            lines += [f"[![{title}](gallery/_out/{name}/{figures[0]})](gallery/{name}.md)", ""]
    _write(GALLERY / "_out" / "contents.md", "\n".join(lines))


def mathjax(app) -> None:
    """Stage MathJax (from the ``django-static-mathjax`` package) for ``_static/mathjax``."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("MathJax is missing: the site serves it itself (no network); "
                           "install the docs extra: pip install -e '.[docs]'")
    es5 = pathlib.Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    stage = pathlib.Path(app.doctreedir) / "mathjax-static"
    target = stage / "mathjax"
    if not (target / "tex-chtml.js").exists():
        for part in MATHJAX_PARTS:
            src, dst = es5 / part, target / part
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    app.config.html_static_path.append(str(stage))


def generate(app) -> None:
    derivations()
    gallery()
    mathjax(app)


def site_links(app, docname: str, source: list) -> None:
    """``../derivations/NAME.md`` (a repository link in ``docs/model.md``) → the site page."""
    if docname == "model":
        source[0] = re.sub(r"\]\(\.\./derivations/", "](derivations/", source[0])
