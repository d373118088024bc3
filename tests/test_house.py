"""The house rules (issue 20): layers that point only down (import-linter), no private imports
across modules, no option compared as a string outside its module, pyflakes clean, and the
command line's start without matplotlib."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import pytest

from lingauss._core.options import Option
from lingauss.model import options as model_options
from lingauss.report import formats
from tests import specs

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lingauss"
SMALL_SPEC = specs.SMALL.replace("[student]", "[student]\nrank_rule = \"oracle\"")


def run(*args, env=None, code=None):
    """``python -m lingauss *args`` (or ``python -c code``) from this checkout."""
    full = dict(os.environ)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full.get("PYTHONPATH")]))
    full.pop("LINGAUSS_DEBUG", None)
    full.update(env or {})
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "lingauss",
                                                            *map(str, args)]
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------------------------
# House rules
# --------------------------------------------------------------------------------------------

MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports_of(path):
    """``(module, name)`` of every ``from lingauss... import name`` (absolute: the house uses
    no relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}:{node.lineno} imports relatively"
            if node.module and node.module.split(".")[0] == "lingauss":
                for alias in node.names:
                    yield node.module, alias.name


def _is_module(dotted: str) -> bool:
    parts = dotted.split(".")[1:]
    where = PACKAGE.joinpath(*parts)
    return where.with_suffix(".py").exists() or (where / "__init__.py").exists()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path):
    """An underscore *name* defined in another module is off limits (issue 10); private
    modules and packages (``lingauss._core``) are the package's own layer."""
    bad = [(module, name) for module, name in _imports_of(path)
           if name.startswith("_") and name != "__version__"
           and not _is_module(f"{module}.{name}")]
    assert not bad, f"{path.name} imports private names {bad}"


def test_pyflakes_is_clean():
    pytest.importorskip("pyflakes", reason="pyflakes is in the test extra")
    proc = subprocess.run([sys.executable, "-m", "pyflakes", str(PACKAGE)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_layers_point_only_down_and_have_no_cycles():
    """The import-linter contracts of pyproject.toml: layers as folders that import only the
    layers below them, and no import cycle between the modules of any folder."""
    exe = pathlib.Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe) if exe.exists() else "lint-imports", "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


#: The text of every option value, and the modules that define each option set.
OPTION_TEXTS = {member.value: cls.__module__
                for cls in [*vars(model_options).values(), formats.Format]
                if isinstance(cls, type) and issubclass(cls, Option) and cls is not Option
                for member in cls}


def _literals(node):
    """The option texts a comparison operand spells: a string, or a tuple of option texts
    (a tuple that also holds other words, such as LaTeX command names, is not an option)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        words = [v for e in node.elts for v in _literals(e)]
        return words if all(w in OPTION_TEXTS for w in words) else []
    return []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_option_is_compared_as_a_string_outside_its_module(path):
    """Options are values, parsed once (issue 20): outside the module that defines an option
    set, no comparison and no dict lookup by literal uses an option's text."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        found = []
        if isinstance(node, ast.Compare):
            found = [v for c in [node.left, *node.comparators] for v in _literals(c)]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):
            found = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
        bad += [(node.lineno, v) for v in found
                if v in OPTION_TEXTS and OPTION_TEXTS[v] != module]
    assert not bad, f"{path.name} compares option text: {bad}"


def test_the_option_scan_catches_a_string_comparison(tmp_path):
    """The scan above fails on the pattern it forbids (so it cannot pass vacuously)."""
    tree = ast.parse('if space == "prediction":\n    pass\n')
    compare = next(n for n in ast.walk(tree) if isinstance(n, ast.Compare))
    assert [v for c in [compare.left, *compare.comparators] for v in _literals(c)
            if v in OPTION_TEXTS] == ["prediction"]


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["divergence", "--help"],
                                  ["divergence", "SPEC"], ["expected", "SPEC"],
                                  ["check-formula", "s", "--term", "variance"],
                                  ["table", "SPEC", "--kind", "sweep"],
                                  ["sweep", "SPEC"], ["design", "SPEC"], ["chain", "SPEC"],
                                  ["bounds", "SPEC", "--monte-carlo", "4"]])
def test_commands_that_draw_no_figure_do_not_import_matplotlib(argv, tmp_path):
    """``lingauss --help`` and every command that draws no figure leave matplotlib unloaded
    (the plot kinds are a registry whose names load without it)."""
    spec = tmp_path / "s.toml"
    spec.write_text(SMALL_SPEC, encoding="utf-8")
    code = ("import sys\nfrom lingauss.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('matplotlib' in sys.modules)")
    args = [str(spec) if a == "SPEC" else a for a in argv]
    proc = run(*args, code=code)
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stdout + proc.stderr


def test_a_plot_does_import_matplotlib(tmp_path):
    """The check above would see matplotlib: a figure loads it."""
    spec = tmp_path / "s.toml"
    spec.write_text(SMALL_SPEC, encoding="utf-8")
    code = ("import sys\nfrom lingauss.cli import main\nmain(sys.argv[1:])\n"
            "print('matplotlib' in sys.modules)")
    proc = run("plot", str(spec), "--kind", "terms-vs-rank", "-o", str(tmp_path / "f.png"),
               code=code)
    assert proc.stdout.strip().splitlines()[-1] == "True", proc.stdout + proc.stderr
