"""lingauss — a symbolic and analytic linear-Gaussian calculator for knowledge distillation."""

# Model specification
from .model import Sample, SpectralDesign, Student, Teacher
from ._validation import LingaussError

# The exact divergence and its decomposition
from .divergence import Decomposition, divergence

# Closed forms derived by lingauss.symbolic, evaluated fast (no sympy on this path)
from .expectation import expected_divergence
from .sweep import sweep

# Distillation chains (docs/model.md §8)
from .chain import Chain

# Checking a derivation (sympy is imported only when a check runs)
from .formula import check_formula

# Problem files (TOML specs)
from .spec import Spec, load_spec

__all__ = ["Teacher", "Student", "Sample", "SpectralDesign", "LingaussError", "Decomposition",
           "divergence", "expected_divergence", "sweep", "check_formula", "Spec", "load_spec",
           "Chain"]
__version__ = "0.1.0"
