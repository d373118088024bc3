"""Regenerate what the README shows from the embedded default problem.

Run from the repository root after a change of the default problem, the demo or the tables:

    python docs/regenerate.py

It writes the demo report into ``docs/demo`` (``lingauss demo -o docs/demo``) and replaces the
closed-form table between the ``BEGIN``/``END closed-form table`` markers of ``README.md``.
``tests/test_design.py`` fails when either drifts.
"""

from __future__ import annotations

import pathlib
import sys

from lingauss.cli import main
from lingauss.spec import default_spec
from lingauss.tables import closed_form_table

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN closed-form table -->\n", "\n<!-- END closed-form table -->"


def regenerate() -> None:
    status = main(["demo", "-o", str(ROOT / "docs" / "demo"), "--quiet"])
    if status != 0:
        sys.exit(status)
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    table = closed_form_table(default_spec(), "md")
    readme.write_text(head + BEGIN + table + END + tail, encoding="utf-8")
    print(f"updated {readme}")


if __name__ == "__main__":
    regenerate()
