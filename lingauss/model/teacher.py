"""The teacher kernel's specification (docs/model.md §2)."""

from __future__ import annotations

from dataclasses import dataclass

from lingauss._core.validation import check_real


@dataclass(frozen=True)
class Teacher:
    """The teacher kernel: Gibbs posterior of ridge regression (docs/model.md §2).

    ``P_T(W|S) ∝ exp(−β_T/2 ‖Y − WX‖² − λ_T/2 ‖W‖²)``.

    Parameters
    ----------
    beta : float
        Inverse temperature ``β_T > 0``.
    ridge : float
        Ridge ``λ_T > 0``.

    Examples
    --------
    >>> Teacher(beta=4.0, ridge=1.0)
    Teacher(beta=4.0, ridge=1.0)
    >>> Teacher(beta=0.0, ridge=1.0)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: beta == 0, must be > 0.
    """

    beta: float
    ridge: float

    def __post_init__(self):
        object.__setattr__(self, "beta", check_real(self.beta, "beta", low=0))
        object.__setattr__(self, "ridge", check_real(self.ridge, "ridge", low=0))
