"""Regenerate what the README shows from the embedded default problem.

Run from the repository root after a change of the default problem, the demo or the tables:

    python docs/regenerate.py

It writes the demo report into ``docs/demo`` (``lingauss demo -o docs/demo``), replaces the
closed-form table between the ``BEGIN``/``END closed-form table`` markers of ``README.md``
and the literature table (``examples/self_distillation_literature.py``'s) between the
``BEGIN``/``END literature table`` markers. ``tests/explore/test_design.py`` and
``tests/project/test_examples.py`` fail when they drift.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

from lingauss.cli import main
from lingauss.io.spec import default_spec
from lingauss.report.tables import closed_form_table

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN closed-form table -->\n", "\n<!-- END closed-form table -->"
LIT_BEGIN, LIT_END = "<!-- BEGIN literature table -->\n", "\n<!-- END literature table -->"


def between(text: str, begin: str, end: str, new: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + begin + new + end + tail


def literature_table() -> str:
    """The Markdown table printed by examples/self_distillation_literature.py."""
    out = subprocess.run([sys.executable, str(ROOT / "examples" /
                                              "self_distillation_literature.py")],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return "\n".join(line for line in out.splitlines() if line.startswith("|"))


def regenerate() -> None:
    status = main(["demo", "-o", str(ROOT / "docs" / "demo"), "--quiet"])
    if status != 0:
        sys.exit(status)
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = between(text, BEGIN, END, closed_form_table(default_spec(), "md"))
    text = between(text, LIT_BEGIN, LIT_END, literature_table())
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")


if __name__ == "__main__":
    regenerate()
