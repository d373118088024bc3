"""The entry point: run one command, print its output, and exit with a status that tells a
finding from a fault.

Exit status (as Black does): 0 success; 1 a finding (a bound violated, a check failed, a
formula not equal); 2 bad input (one line ``lingauss: error: ...`` naming the argument, the
value and the rule; usage errors too); 3 an internal error (one line saying so and how to
report it; ``LINGAUSS_DEBUG=1`` shows the traceback); 130 interrupted (Ctrl-C). A command returns an
:class:`lingauss.cli.emit.Output`, which :func:`lingauss.cli.emit.emit` writes to a buffer and
its files to :class:`lingauss.io.output.Staged`: both are committed only when the command
succeeded, so a failure writes nothing. An error about a library parameter that an option
sets is spelled with the option (:meth:`lingauss.LingaussError.render`).
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import traceback

from lingauss._core.resources import ENV_MAX_MEMORY, parse_size
from lingauss._core.validation import LingaussError
from lingauss.cli.emit import Output, emit
from lingauss.cli.parser import BY_NAME, PROG, build_parser
from lingauss.io.output import Staged

#: Where to report an internal error.
REPORT = ("this is a bug in lingauss: please report it to the maintainers with this line and "
          "the command you ran (README, 'Reporting a problem')")


class Context:
    """What a command writes: text to ``out`` and files to ``files`` (committed at the end)."""

    def __init__(self):
        self.out = io.StringIO()
        self.files = Staged()

    def write(self, text: str) -> None:
        self.out.write(text)


def _error_line(exc: BaseException, spellings: dict | None = None) -> str:
    if isinstance(exc, LingaussError):
        message = exc.render(spellings or {})
    elif isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    elif isinstance(exc, MemoryError):
        message = ("out of memory: the problem is too large for this machine (lower its "
                   f"sizes, or set {ENV_MAX_MEMORY} so that it is refused before it starts)")
    else:
        message = str(exc)
    return f"{PROG}: error: " + " ".join(message.split())


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    if not tb:
        return "unknown place"
    frame = tb[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"


def run(args, ctx) -> int:
    """Run the parsed command: import its function (named ``"module:function"``), call it and
    emit the :class:`~lingauss.cli.emit.Output` it returns; its exit status."""
    module, name = args.run.split(":")
    result = getattr(importlib.import_module(module), name)(args, ctx)
    if isinstance(result, Output):
        return emit(ctx, result, getattr(args, "fmt", None),
                    standalone=getattr(args, "standalone", False))
    return result or 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1, 2, 3 or 130).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Examples
    --------
    >>> main(["demo", "--print-spec"])        # doctest: +ELLIPSIS
    # The default lingauss problem: ...
    [data]
    ...
    0
    >>> main(["divergence", "no-such-spec.toml"])   # one line on stderr
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:           # usage error (2), --help or --version (0)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    ctx = Context()
    old_env = {name: os.environ.get(name) for name in (ENV_MAX_MEMORY, "LINGAUSS_QUIET")}
    try:
        if getattr(args, "max_memory", None):
            parse_size(args.max_memory, "--max-memory")
            os.environ[ENV_MAX_MEMORY] = args.max_memory
        if getattr(args, "quiet", False):
            os.environ["LINGAUSS_QUIET"] = "1"
        status = run(args, ctx)
        ctx.files.commit()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (LingaussError, OSError, MemoryError) as exc:
        print(_error_line(exc, BY_NAME[args.command].spellings()), file=sys.stderr)
        return 2
    except Exception as exc:                                    # noqa: BLE001 - exit 3
        if os.environ.get("LINGAUSS_DEBUG", "").strip() not in ("", "0"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
              f"(at {_where(exc)}); {REPORT}; set LINGAUSS_DEBUG=1 to see the traceback.",
              file=sys.stderr)
        return 3
    finally:
        for name, value in old_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    sys.stdout.write(ctx.out.getvalue())
    sys.stdout.flush()
    return status
