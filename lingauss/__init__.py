"""lingauss — a symbolic and analytic linear-Gaussian calculator for knowledge distillation."""

# Model specification
from .model import Sample, SpectralDesign, Student, Teacher
from ._validation import LingaussError

# The exact divergence and its decomposition
from .divergence import Decomposition, divergence

# Closed forms derived by lingauss.symbolic, evaluated fast (no sympy on this path)
from .expectation import expected_divergence
from .sweep import sweep

# The risk, distillation chains and their optimal weights (docs/model.md §7–8)
from .excess_risk import risk
from .chain import Chain
from .weights import optimal_weights

# Checking a derivation (sympy is imported only when a check runs)
from .formula import check_formula

# Random inputs X ~ N(0, Σ) (lingauss.random_design; equivalents in lingauss.proportional)
from .random_design import RandomDesign

# Problem files (TOML specs)
from .spec import Spec, load_spec

__all__ = ["Teacher", "Student", "Sample", "SpectralDesign", "LingaussError", "Decomposition",
           "divergence", "expected_divergence", "sweep", "check_formula", "Spec", "load_spec",
           "Chain", "risk", "optimal_weights", "RandomDesign"]
__version__ = "0.1.0"
