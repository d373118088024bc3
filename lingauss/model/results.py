"""The results of the exact engine and of the risk: :class:`Decomposition` and :class:`Risk`.

Each knows its terms (its sums are made in one place), serialises itself (``as_dict``) and
shows itself in a notebook (:class:`lingauss._core.display.TableDisplay`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lingauss._core.display import TableDisplay

#: The terms of a divergence, in the order tables show them.
TERMS = ("total", "bias", "variance", "rank_bottleneck", "bottleneck_mean",
         "bottleneck_covariance", "rank_floor", "convexity_bound", "convexity_slack")


@dataclass(frozen=True)
class Decomposition(TableDisplay):
    """``K = bias + variance + rank_bottleneck`` (docs/model.md §4), every term ``>= 0``.

    Attributes
    ----------
    total : float
        The divergence ``K`` — visibly ``bias + variance + rank_bottleneck``.
    bias, variance : float
        Mean and covariance parts of the KL on the trained coordinates ``𝒯``.
    rank_bottleneck : float
        ``E_{P^𝒯} KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯})``, the cost of the untrainable coordinates,
        ``= bottleneck_mean + bottleneck_covariance``.
    rank_floor : float
        Diagnostic (not a summand): ``½ Σ_{j>r} σ_j²`` of the teacher mean restricted to the
        width, whitened by the teacher's covariance there (the Eckart–Young floor).
    convexity_bound, convexity_slack : float or None
        Sampled soft labels only: ``E_Ŷ KL(P_S(·|Ŷ) ‖ P_T)`` (in the requested direction) and
        its excess over ``total`` (forward: ``I(Ŷ; W_S)``).
    stderr : dict or None
        Monte Carlo standard errors of each term (expected divergences only).

    Examples
    --------
    >>> dec = Decomposition(total=3.0, bias=1.0, variance=0.5, rank_bottleneck=1.5,
    ...                     bottleneck_mean=1.0, bottleneck_covariance=0.5, rank_floor=0.25)
    >>> dec.as_dict()["total"], "convexity_bound" in dec.as_dict()
    (3.0, False)
    """

    total: float
    bias: float
    variance: float
    rank_bottleneck: float
    bottleneck_mean: float
    bottleneck_covariance: float
    rank_floor: float
    convexity_bound: float | None = None
    convexity_slack: float | None = None
    stderr: dict | None = None

    @classmethod
    def from_terms(cls, *, bias, variance, bottleneck_mean, bottleneck_covariance, rank_floor,
                   convexity_slack=None, stderr=None) -> "Decomposition":
        """Assemble the decomposition from its four parts (the sums are made here, once).

        >>> Decomposition.from_terms(bias=1.0, variance=0.5, bottleneck_mean=1.0,
        ...                          bottleneck_covariance=0.5, rank_floor=0.0).total
        3.0
        """
        # rank_bottleneck = E_{P^𝒯} KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯}) = mean part + covariance part
        rank_bottleneck = bottleneck_mean + bottleneck_covariance
        # K = KL(P^𝒯 ‖ P'^𝒯) + E KL(P^{𝒞|𝒯} ‖ P'^{𝒞|𝒯}) = (bias + variance) + rank_bottleneck
        total = bias + variance + rank_bottleneck
        return cls(total=total, bias=bias, variance=variance, rank_bottleneck=rank_bottleneck,
                   bottleneck_mean=bottleneck_mean, bottleneck_covariance=bottleneck_covariance,
                   rank_floor=rank_floor,
                   convexity_bound=None if convexity_slack is None else total + convexity_slack,
                   convexity_slack=convexity_slack, stderr=stderr)

    def as_dict(self) -> dict:
        """The terms as ``{name: float}`` (absent terms omitted; ``stderr_<name>`` added)."""
        out = {name: float(getattr(self, name)) for name in TERMS
               if getattr(self, name) is not None}
        if self.stderr:
            out.update({f"stderr_{name}": float(v) for name, v in self.stderr.items()})
        return out

    def _rows(self):
        d = self.as_dict()
        return [(name, d[name], (self.stderr or {}).get(name)) for name in TERMS if name in d]

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={value:.6g}" + ("" if se is None else f"±{se:.2g}")
                         for name, value, se in self._rows())
        return f"Decomposition({body})"

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        caption = "distillation divergence K = bias + variance + rank_bottleneck (nats)"
        if self.stderr:
            return caption, ("term", "value", "std. error"), self._rows()
        return caption, ("term", "value"), [row[:2] for row in self._rows()]


#: The terms of a risk, in the order tables show them.
RISK_TERMS = ("total", "bias", "variance", "posterior")


@dataclass(frozen=True)
class Risk(TableDisplay):
    """The excess risk of a kernel: ``total = bias + variance`` (docs/model.md §7).

    Attributes
    ----------
    total, bias, variance : float
        Expected over the label noise; ``variance`` includes ``posterior``.
    posterior : float
        The spread of a posterior draw (estimator ``"gibbs"``; 0 for ``"mean"``).
    kind, estimator : str
    stderr : dict or None
        Monte Carlo standard errors.

    Examples
    --------
    >>> Risk.from_terms(bias=1.0, variance=0.5, posterior=0.25).total
    1.5
    """

    total: float
    bias: float
    variance: float
    posterior: float = 0.0
    kind: str = "fixed"
    estimator: str = "mean"
    stderr: dict | None = None

    @classmethod
    def from_terms(cls, *, bias, variance, posterior=0.0, kind="fixed", estimator="mean",
                   stderr=None) -> "Risk":
        # R = bias² + variance (the posterior draw's spread is part of the variance)
        return cls(total=bias + variance, bias=bias, variance=variance, posterior=posterior,
                   kind=kind, estimator=estimator, stderr=stderr)

    def as_dict(self) -> dict:
        out = {name: float(getattr(self, name)) for name in RISK_TERMS}
        if self.stderr:
            out.update({f"stderr_{k}": float(v) for k, v in self.stderr.items()})
        return out

    def __repr__(self) -> str:
        se = self.stderr or {}
        body = ", ".join(f"{n}={getattr(self, n):.6g}" + (f"±{se[n]:.2g}" if n in se else "")
                         for n in RISK_TERMS)
        return f"Risk({body}, kind={self.kind!r}, estimator={self.estimator!r})"

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        caption = (f"excess risk = bias + variance ({self.kind} design, estimator "
                   f"{self.estimator})")
        se = self.stderr or {}
        if se:
            return caption, ("term", "value", "std. error"), [
                (n, getattr(self, n), se.get(n)) for n in RISK_TERMS]
        return caption, ("term", "value"), [(n, getattr(self, n)) for n in RISK_TERMS]
