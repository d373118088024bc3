"""Sphinx configuration of the lingauss documentation site.

Build it from the repository root with

    pip install -e '.[docs]' && sphinx-build -W docs docs/_build/html

Pages generated at build time (ignored by git; :mod:`docs._site` writes them):

* ``docs/derivations/`` — copies of ``derivations/*.md`` (every file: a new derivation
  appears by itself), links between the repository's Markdown files made site links;
* ``docs/gallery/`` — one page per example script (run with ``--out``: its printed table,
  its figure and its source) and the notebooks of ``examples/notebooks`` (executed by
  myst-nb during the build);
* ``_static/mathjax`` — MathJax 3 from the ``django-static-mathjax`` package, so formulas
  render without a network.
"""

from __future__ import annotations

import os
import pathlib
import sys
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _site  # noqa: E402  (docs/_site.py: the generated pages)

import lingauss  # noqa: E402

project = "lingauss"
author = "the lingauss authors"
copyright = "the lingauss authors"
release = version = lingauss.__version__

extensions = [
    "myst_nb",                      # Markdown (MyST) pages and executed notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",                # the CLI reference from lingauss.cli.build_parser
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "demo", "img", "gallery/_out", "**/.ipynb_checkpoints",
                    "Thumbs.db", ".DS_Store"]

# MyST: $...$ and $$...$$ math (GitHub renders the same syntax), amsmath environments.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Notebooks: executed at every build, a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
os.environ.setdefault("MPLBACKEND", "Agg")

# API reference from the numpydoc docstrings.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False
# sympy's own docstrings (methods our classes inherit) have sections numpydoc does not know
warnings.filterwarnings("ignore", message="Unknown section", category=UserWarning)

# MathJax served from _static (copied from the django-static-mathjax package).
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {"tex": {"macros": {"vfun": r"\operatorname{v}"}}}

html_theme = "alabaster"
html_title = f"lingauss {release}"
html_static_path = []
html_theme_options = {
    "description": "A symbolic and analytic linear-Gaussian calculator for the theory of "
                   "knowledge distillation",
    "fixed_sidebar": True,
}


def setup(app):
    app.connect("builder-inited", _site.generate)
    app.connect("source-read", _site.site_links)
