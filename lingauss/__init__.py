"""lingauss — a symbolic and analytic linear-Gaussian calculator for knowledge distillation.

The public names below are imported on first use (PEP 562), so that ``lingauss --version``
and ``--help`` start without numpy or scipy; ``from lingauss import divergence`` and
``lingauss.divergence`` work as usual. The layers they live in are described in
docs/contributing.md; the import paths of the flat layout before 0.2 keep working
(:mod:`lingauss._compat`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from lingauss import _compat

__version__ = "0.1.0"

#: Public name → the module that defines it.
_PUBLIC = {
    # Model specification
    "Teacher": "lingauss.model.teacher",
    "Student": "lingauss.model.student",
    "Sample": "lingauss.model.data",
    "SpectralDesign": "lingauss.model.data",
    "LingaussError": "lingauss._core.validation",
    # The exact divergence and its decomposition
    "Decomposition": "lingauss.model.results",
    "divergence": "lingauss.engine.divergence",
    # Closed forms derived by lingauss.symbolic, evaluated fast (no sympy on this path)
    "expected_divergence": "lingauss.averages.labels",
    "sweep": "lingauss.explore.sweep",
    # The risk, distillation chains and their optimal weights (docs/model.md §7–8)
    "risk": "lingauss.chains.risk",
    "Chain": "lingauss.chains.chain",
    "optimal_weights": "lingauss.chains.weights",
    # Checking a derivation (sympy is imported only when a check runs)
    "check_formula": "lingauss.verify.formula",
    # Random inputs X ~ N(0, Σ) (equivalents in lingauss.averages.deterministic)
    "RandomDesign": "lingauss.model.random_design",
    # Problem files (TOML specs)
    "Spec": "lingauss.io.spec",
    "load_spec": "lingauss.io.spec",
}

__all__ = ["Teacher", "Student", "Sample", "SpectralDesign", "LingaussError", "Decomposition",
           "divergence", "expected_divergence", "sweep", "check_formula", "Spec", "load_spec",
           "Chain", "risk", "optimal_weights", "RandomDesign"]

if TYPE_CHECKING:                                       # for static tools: the same names
    from lingauss._core.validation import LingaussError
    from lingauss.averages.labels import expected_divergence
    from lingauss.chains.chain import Chain
    from lingauss.chains.risk import risk
    from lingauss.chains.weights import optimal_weights
    from lingauss.engine.divergence import divergence
    from lingauss.explore.sweep import sweep
    from lingauss.io.spec import Spec, load_spec
    from lingauss.model.data import Sample, SpectralDesign
    from lingauss.model.random_design import RandomDesign
    from lingauss.model.results import Decomposition
    from lingauss.model.student import Student
    from lingauss.model.teacher import Teacher
    from lingauss.verify.formula import check_formula


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    moved = _compat.module(f"{__name__}.{name}")
    if moved is not None:
        return moved
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))


_compat.install()
