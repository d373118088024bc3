"""lingauss — a symbolic and analytic linear-Gaussian calculator for knowledge distillation."""

# Model specification
from .model import Sample, Student, Teacher
from ._validation import LingaussError

# The exact divergence and its decomposition
from .divergence import Decomposition, divergence

# Problem files (TOML specs)
from .spec import Spec, load_spec

__all__ = ["Teacher", "Student", "Sample", "LingaussError", "Decomposition", "divergence",
           "Spec", "load_spec"]
__version__ = "0.1.0"
