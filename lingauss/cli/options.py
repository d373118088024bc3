"""Option values the parser cannot check alone: the output format (``--json``,
``--standalone``), LaTeX snippets or documents, and the figure options of ``lingauss plot``
(``--size``, ``--font-size``, ``--xlim``, ``--ylim``): each bad value is one
:class:`lingauss.LingaussError` naming the option, the value and the rule."""

from __future__ import annotations

from .._validation import LingaussError, check_option


def output_format(args) -> str:
    """The ``--format`` asked for (``--json`` is ``--format json``); ``--standalone`` needs
    LaTeX (the demo's report files are LaTeX whatever the format)."""
    if getattr(args, "json", False):
        if args.format not in (None, "json"):
            raise LingaussError(f"Ambiguous arguments: --json and --format {args.format}.")
        fmt = "json"
    else:
        fmt = args.format if args.format is not None else args.default_format
        check_option(fmt, "--format", args.formats)
    if getattr(args, "standalone", False) and fmt != "latex" and not (
            getattr(args, "standalone_files", False) and getattr(args, "output", None)):
        raise LingaussError(f"--standalone == True with --format {fmt}, must come with "
                            f"--format latex (it makes a complete LaTeX document).")
    return fmt


def latex_out(text: str, args) -> str:
    """A LaTeX snippet, or a complete document with ``--standalone``."""
    from .. import latex

    return latex.document(text) if getattr(args, "standalone", False) else text


