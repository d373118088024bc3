"""lingauss — a symbolic and analytic linear-Gaussian calculator for knowledge distillation."""

# Model specification
from .model import Sample, Student, Teacher
from ._validation import LingaussError

# The exact divergence and its decomposition
from .divergence import Decomposition, divergence

__all__ = ["Teacher", "Student", "Sample", "LingaussError", "Decomposition", "divergence"]
__version__ = "0.1.0"
