"""Fixtures the tests share: the small problem (as text, as a spec, as a file), a spec-file
writer and an in-process command line."""

from __future__ import annotations

import pytest

from tests import specs
from tests.helpers.cli import cli as run_cli
from tests.helpers.cli import write_spec


@pytest.fixture(scope="session")
def small_text() -> str:
    """The TOML text of the small problem (:data:`tests.specs.SMALL`)."""
    return specs.SMALL


@pytest.fixture(scope="session")
def small():
    """The small problem, loaded."""
    from lingauss.io.spec import loads_spec

    return loads_spec(specs.SMALL)


@pytest.fixture
def small_path(tmp_path):
    """The small problem written to a spec file in a temporary folder."""
    return write_spec(tmp_path, specs.SMALL)


@pytest.fixture
def lingauss_cli(capsys):
    """``lingauss *args`` in this process: ``(exit status, stdout, stderr)``."""
    return lambda *args: run_cli(capsys, *args)
