"""Helpers of the command-line tests: run ``lingauss`` in this process, write a spec file."""

from lingauss.cli import main


def cli(capsys, *args):
    """``lingauss *args`` in this process: ``(exit status, standard output, standard error)``."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def write_spec(folder, text, name="spec.toml"):
    """``text`` written to ``folder/name`` (UTF-8); its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
