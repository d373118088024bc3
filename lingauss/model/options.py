"""The model's options as values (docs/model.md §3–4, §7), each set defined here once.

Every public function accepts the text (``direction="symmetric"``) and parses it once with
``Option.parse`` into a member that knows its parts and rules:

* :class:`Space`, :class:`Direction` (``Direction.SYMMETRIC.parts`` is forward + reverse,
  written here once), :class:`SoftLabels`;
* :class:`Basis` and :class:`RankRule` — the named rules (a user matrix is an array);
* :class:`ComplementVariance` — the named rules of ``τ²`` (a number is given as a float),
  resolved by :func:`complement_variance`, the one function every route calls;
* :class:`RiskKind`, :class:`Estimator` (docs/model.md §7), :class:`Flavour` and
  :class:`Regime` (the symbolic engine's per-mode forms).

Members compare equal to their text, so ``student.basis == "pca"`` still holds; outside this
module the code compares members (``space is Space.PREDICTION``), never strings.

>>> Direction.parse("symmetric", "direction").parts
('forward', 'reverse')
>>> complement_variance(ComplementVariance.PRIOR, ridge=4.0)
0.25
"""

from __future__ import annotations

from lingauss._core.options import Option


class Space(Option):
    """Kernels over the weights ``W``, or their push-forward to the training predictions."""

    PARAMETER = "parameter"
    PREDICTION = "prediction"


class Direction(Option):
    """``KL(P_S‖P_T)``, ``KL(P_T‖P_S)`` or their sum."""

    FORWARD = "forward"
    REVERSE = "reverse"
    SYMMETRIC = "symmetric"

    @property
    def parts(self) -> tuple:
        """The one-way divergences this one sums: forward + reverse for symmetric."""
        if self is Direction.SYMMETRIC:
            return (Direction.FORWARD, Direction.REVERSE)
        return (self,)

    @property
    def reverse(self) -> bool:
        """Whether this one-way divergence takes the teacher first (``KL(P_T‖P_S)``)."""
        return self is Direction.REVERSE


class SoftLabels(Option):
    """``Ŷ = M_T X``, ``Ŷ = W_T X`` or ``Ŷ = W_T X + ν_T E'`` (docs/model.md §3)."""

    MEAN = "mean"
    SAMPLED = "sampled"
    SAMPLED_NOISE = "sampled+noise"

    @property
    def sampled(self) -> bool:
        """Whether the soft labels are a draw (their spread enters the student's covariance)."""
        return self is not SoftLabels.MEAN

    @property
    def noisy(self) -> bool:
        """Whether the draw adds its own noise ``ν_T E'``."""
        return self is SoftLabels.SAMPLED_NOISE


class Basis(Option):
    """The named width bases: the top eigenvectors of ``XXᵀ``, or the first coordinates."""

    PCA = "pca"
    FIRST = "first"


class RankRule(Option):
    """The named output projectors: the student's own reduced-rank optimum, or ``W⋆``'s."""

    OPTIMAL = "optimal"
    ORACLE = "oracle"


class ComplementVariance(Option):
    """The named rules of ``τ²``: the prior ``1/λ_S``, or the minimiser of the divergence
    asked for (a number is given as a float)."""

    PRIOR = "prior"
    OPTIMAL = "optimal"


def complement_variance(rule, *, ridge, optimal=None):
    """``τ²`` by its rule — the one resolution every route calls.

    ``rule`` is a student's ``complement_variance``: a number is itself; ``"prior"`` is
    ``1/ridge``; ``"optimal"`` is ``optimal()``, the minimiser of the divergence asked for,
    computed by the caller (a closed form in parameter space, a scalar search elsewhere) —
    or ``1/ridge`` when ``optimal`` is None (the complement is empty, so ``τ²`` is unused).
    Broadcasts over ``ridge``.

    >>> complement_variance(0.5, ridge=2.0), complement_variance("optimal", ridge=2.0)
    (0.5, 0.5)
    >>> complement_variance("optimal", ridge=2.0, optimal=lambda: 3.0)
    3.0
    """
    if not isinstance(rule, str):
        return float(rule)
    rule = ComplementVariance.parse(rule, "complement_variance")
    if rule is ComplementVariance.PRIOR or optimal is None:
        return 1.0 / ridge
    return optimal()


def is_optimal_tau2(rule) -> bool:
    """Whether ``τ²`` is the minimiser of the divergence asked for (it then depends on the
    divergence's space and direction).

    >>> is_optimal_tau2("optimal"), is_optimal_tau2(0.5)
    (True, False)
    """
    return isinstance(rule, str) and \
        ComplementVariance.parse(rule, "complement_variance") is ComplementVariance.OPTIMAL


class RiskKind(Option):
    """Fresh labels at the same inputs, or fresh inputs ``x ~ N(0, Σ)`` (docs/model.md §7)."""

    FIXED = "fixed"
    POPULATION = "population"


class Estimator(Option):
    """The kernel's mean, or a draw from it."""

    MEAN = "mean"
    GIBBS = "gibbs"


class Flavour(Option):
    """A per-mode form expected over the label noise, or given the sample."""

    EXPECTED = "expected"
    CONDITIONAL = "conditional"


class Regime(Option):
    """A mode inside the student's width (kept) or beyond it (dropped)."""

    KEPT = "kept"
    DROPPED = "dropped"


#: The option sets as text, in order (what messages list as possible values).
SPACES = Space.values()
DIRECTIONS = Direction.values()
SOFT_LABELS = SoftLabels.values()
BASES = Basis.values()
RANK_RULES = RankRule.values()
COMPLEMENT_VARIANCES = ComplementVariance.values()
KINDS = RiskKind.values()
ESTIMATORS = Estimator.values()
FLAVOURS = Flavour.values()
REGIMES = Regime.values()
