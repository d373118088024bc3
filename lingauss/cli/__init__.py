"""The command-line interface ``lingauss`` (also ``python -m lingauss``).

Usage::

    lingauss divergence SPEC [--format F | --json] [--space S] [--direction D]
    lingauss expected SPEC [--monte-carlo N] [--seed SEED] [--format F | --json] [...]
    lingauss derive [--latex | --pretty] [--space S] [--soft-labels L] [--direction D]
                    [--flavour expected|conditional]
    lingauss check [SPEC] [--quick | --full] [--format F | --json]      # 1 if a check fails
    lingauss check-formula EXPR --term TERM [options] [--points N] [--timeout SECONDS]
    lingauss design SPEC [--budget X | --fraction F] [--optimize LIST] [--format F]
    lingauss bounds SPEC [--format F] [--wide] [--plot FILE] [--monte-carlo N]  # 1 if violated
    lingauss plot SPEC --kind KIND -o FILE.png|.pdf|.svg
    lingauss table SPEC --kind closed-form|sweep|asymptotic [--format F]
    lingauss sweep SPEC [--rank GRID] [--width GRID] [--ridge GRID] [--format F|netcdf] [-o FILE]
    lingauss demo [--print-spec] [-o DIR] [--format F]

Formats ``F``: ``text`` (an aligned table; the default of most commands), ``md``, ``latex``,
``csv``, ``json`` (numbers as numbers). Every command takes ``--max-memory SIZE`` and
``--quiet``. Exit status: 0 success, 1 a finding, 2 bad input (one line on stderr naming the
argument, the value and the rule), 3 an internal error, 130 interrupted; a command that fails
writes nothing (see :mod:`lingauss.cli.app`).

The parts: :mod:`~lingauss.cli.parser` (the table of commands and options),
:mod:`~lingauss.cli.app` (running a command, exit statuses), :mod:`~lingauss.cli.emit` (the
one emitter of every format), :mod:`~lingauss.cli.options` (option values) and
:mod:`lingauss.cli.commands` (one module per command).
"""

from lingauss.cli.app import main
from lingauss.cli.parser import build_parser
from lingauss.plots.kinds import PLOT_KINDS

__all__ = ["main", "build_parser", "PLOT_KINDS"]
