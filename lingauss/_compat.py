"""The import paths of the flat layout (before the layers became folders), kept working.

Each old module path is a small forwarding module registered in ``sys.modules`` when
lingauss is imported: ``from lingauss.chain import Chain`` and ``import lingauss.spec`` work
as before, and load the new home only when a name is asked for. New code imports from the
new homes (CHANGELOG.md lists where every module moved).

>>> import lingauss.excess_risk
>>> lingauss.excess_risk.Risk.__module__
'lingauss.model.results'
"""

from __future__ import annotations

import importlib
import sys
import types

#: Old module path → the modules that now define its names, searched in order.
MOVED = {
    "lingauss.advice": ("lingauss.explore.advice",),
    "lingauss.chain": ("lingauss.chains.chain",),
    "lingauss.chain_report": ("lingauss.chains.report",),
    "lingauss.chain_tables": ("lingauss.report.chain_tables",),
    "lingauss.check": ("lingauss.verify.routes",),
    "lingauss.data": ("lingauss.model.data",),
    "lingauss.design": ("lingauss.explore.design",),
    "lingauss.divergence": ("lingauss.engine.divergence", "lingauss.model.results"),
    "lingauss.excess_risk": ("lingauss.chains.risk", "lingauss.model.results",
                             "lingauss.model.options"),
    "lingauss.expectation": ("lingauss.averages.labels",),
    "lingauss.formula": ("lingauss.verify.formula",),
    "lingauss.gamma_sweep": ("lingauss.explore.gamma_sweep",),
    "lingauss.latex": ("lingauss._core.latex",),
    "lingauss.latex_tables": ("lingauss.report.latex_tables",),
    "lingauss.numeric": ("lingauss.engine.spectral",),
    "lingauss.problem": ("lingauss.explore.problem",),
    "lingauss.proportional": ("lingauss.averages.equivalents",),
    "lingauss.random_design": ("lingauss.model.random_design", "lingauss.averages.inputs",
                               "lingauss.averages.deterministic", "lingauss._core.estimate"),
    "lingauss.spec": ("lingauss.io.spec",),
    "lingauss.sweep": ("lingauss.explore.sweep",),
    "lingauss.tables": ("lingauss.report.tables", "lingauss.report.render",
                        "lingauss.report.captions"),
    "lingauss.tuning": ("lingauss.explore.tuning",),
    "lingauss.weights": ("lingauss.chains.weights",),
    "lingauss.plots.proportional": ("lingauss.plots.gamma",),
    "lingauss.symbolic.proportional": ("lingauss.symbolic.equivalents",),
}


class _Moved(types.ModuleType):
    """A module path whose names now live in ``homes`` (imported when first asked for)."""

    def __init__(self, name: str, homes: tuple):
        super().__init__(name, f"Moved: the names of {name} now live in {', '.join(homes)}.")
        self.__homes = homes

    def __getattr__(self, name: str):
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        for home in self.__homes:
            module = importlib.import_module(home)
            if name == "__all__":
                continue
            if hasattr(module, name):
                return getattr(module, name)
        if name == "__all__":
            return [n for home in self.__homes for n in dir(importlib.import_module(home))
                    if not n.startswith("_")]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (it moved: "
                             f"see {', '.join(self.__homes)})")

    def __dir__(self) -> list:
        return sorted({n for home in self.__homes for n in dir(importlib.import_module(home))})


_MODULES: dict = {}


def module(name: str):
    """The forwarding module of an old path, or None when ``name`` did not move."""
    if name not in MOVED:
        return None
    if name not in _MODULES:
        _MODULES[name] = _Moved(name, MOVED[name])
    return _MODULES[name]


def install() -> None:
    """Register every old path in ``sys.modules`` (no new home is imported)."""
    for name in MOVED:
        sys.modules.setdefault(name, module(name))
