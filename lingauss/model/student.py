"""The student kernel's options (docs/model.md §3), checked and parsed when it is built.

A bad value raises :class:`LingaussError` naming the argument, the value and the rule; the
string options become members of their option sets (:mod:`lingauss.model.options`), which
compare equal to their text.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from lingauss._core.validation import (LingaussError, check_array, check_int,
                                       check_orthonormal_columns, check_real)
from lingauss.model.options import (COMPLEMENT_VARIANCES, Basis, ComplementVariance, RankRule,
                                    SoftLabels)


def _option_or_array(value, name, option):
    """A member of the option set ``option`` or a 2-D orthonormal array."""
    allowed = option.values()
    if isinstance(value, str):
        return option.parse(value, name)
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = check_array(value, name, ndim=2)
        return check_orthonormal_columns(arr, name)
    raise LingaussError(
        f"Unknown value for {name}: {value!r}. Possible values: {allowed} or an orthonormal "
        f"2-D array.")


@dataclass(frozen=True, eq=False)
class Student:
    """The student kernel's options (docs/model.md §3).

    Parameters
    ----------
    beta, ridge : float
        The student's inverse temperature ``β_S > 0`` and ridge ``λ_S > 0``.
    alpha : float, default 0
        Hard-label weight ``α``: targets ``Ỹ = αY + (1−α)Ŷ`` (the imitation weight is
        ``ξ = 1 − α``). Any real number: optimal weights can fall outside ``[0, 1]``
        (:attr:`notes` says so).
    width : int, optional
        Input width ``m`` (default ``d``); the student sees ``X`` through ``B`` (d, m).
    rank : int, optional
        Output rank ``r`` (default ``min(k, width)``), ``1 <= r <= min(k, width)``.
    basis : {"pca", "first"} or array of shape (d, m)
        The width basis ``B``: top-``m`` eigenvectors of ``XXᵀ``, the first ``m``
        coordinates, or a user matrix with orthonormal columns.
    rank_rule : {"optimal", "oracle"} or array of shape (k, r)
        The output projector ``Q``: top-``r`` left singular vectors of ``M̂_S A_S^{1/2}``
        (the student's reduced-rank ridge optimum), of ``W⋆``, or a user matrix with
        orthonormal columns.
    complement_variance : {"prior", "optimal"} or float
        ``τ²`` of the untrained coordinates: ``1/λ_S``, the KL-minimising
        ``dim 𝒞 / tr(teacher precision on 𝒞)``, or a positive number.
    soft_labels : {"mean", "sampled", "sampled+noise"}
        ``Ŷ = M_T X``, ``Ŷ = W_T X`` or ``Ŷ = W_T X + ν_T E'``.
    soft_label_noise : float, default 0
        ``ν_T >= 0``; only meaningful with ``soft_labels="sampled+noise"``.

    Examples
    --------
    >>> s = Student(beta=4.0, ridge=1.0, width=8, rank=2)
    >>> (s.width, s.rank, s.basis, s.rank_rule)
    (8, 2, 'pca', 'optimal')
    >>> Student(beta=1.0, ridge=1.0, rank_rule="best")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Unknown value for rank_rule: 'best'. Possible values: ('optimal', 'oracle').
    """

    beta: float
    ridge: float
    alpha: float = 0.0
    width: int | None = None
    rank: int | None = None
    basis: object = "pca"
    rank_rule: object = "optimal"
    complement_variance: object = "prior"
    soft_labels: str = "mean"
    soft_label_noise: float = 0.0

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("beta", check_real(self.beta, "beta", low=0))
        set_("ridge", check_real(self.ridge, "ridge", low=0))
        set_("alpha", check_real(self.alpha, "alpha"))          # any real (docs/model.md §8)
        if self.width is not None:
            set_("width", check_int(self.width, "width", low=1))
        if self.rank is not None:
            set_("rank", check_int(self.rank, "rank", low=1))
        set_("basis", _option_or_array(self.basis, "basis", Basis))
        set_("rank_rule", _option_or_array(self.rank_rule, "rank_rule", RankRule))
        if isinstance(self.basis, np.ndarray):
            m = self.basis.shape[1]
            if self.width is not None and self.width != m:
                raise LingaussError(
                    f"Ambiguous arguments: width == {self.width} but basis has {m} columns.")
            set_("width", m)
        if isinstance(self.rank_rule, np.ndarray):
            r = self.rank_rule.shape[1]
            if self.rank is not None and self.rank != r:
                raise LingaussError(
                    f"Ambiguous arguments: rank == {self.rank} but rank_rule has {r} columns.")
            set_("rank", r)
        if self.width is not None and self.rank is not None and self.rank > self.width:
            raise LingaussError(f"rank == {self.rank}, must be <= width == {self.width}.")
        cv = self.complement_variance
        if isinstance(cv, str):
            set_("complement_variance", ComplementVariance.parse(cv, "complement_variance"))
        elif isinstance(cv, numbers.Real) and not isinstance(cv, (bool, np.bool_)):
            set_("complement_variance",
                 check_real(cv, "complement_variance", low=0))
        else:
            raise LingaussError(
                f"Unknown value for complement_variance: {cv!r}. Possible values: "
                f"{COMPLEMENT_VARIANCES} or a positive number.")
        set_("soft_labels", SoftLabels.parse(self.soft_labels, "soft_labels"))
        set_("soft_label_noise", check_real(self.soft_label_noise, "soft_label_noise", low=0,
                                            low_inclusive=True))
        if self.soft_label_noise != 0 and not self.soft_labels.noisy:
            raise LingaussError(
                f"soft_label_noise == {self.soft_label_noise:g}, must be 0 unless "
                f"soft_labels == 'sampled+noise' (it is {self.soft_labels!r}).")

    def resolve(self, d: int, k: int) -> tuple[int, int]:
        """The width ``m`` and rank ``r`` for inputs of dimension ``d`` and ``k`` outputs.

        Defaults ``m = d`` and ``r = min(k, m)``; checks that the options fit the problem.

        >>> Student(beta=1.0, ridge=1.0, width=4).resolve(d=6, k=3)
        (4, 3)
        >>> Student(beta=1.0, ridge=1.0, width=8).resolve(d=6, k=3)
        Traceback (most recent call last):
        ...
        lingauss.LingaussError: width == 8, must be <= d == 6.
        """
        m = d if self.width is None else self.width
        if m > d:
            raise LingaussError(f"width == {m}, must be <= d == {d}.")
        self.check_matrices(d, k)
        r = min(k, m) if self.rank is None else self.rank
        check_int(r, "rank", low=1, high=min(k, m), high_rule="min(k, width)")
        return m, r

    @property
    def notes(self) -> tuple:
        """Remarks on unusual options (a hard-label weight outside ``[0, 1]``).

        >>> Student(1.0, 1.0, alpha=1.5).notes[0]
        'alpha == 1.5 is outside [0, 1]: the targets 1.5·Y − 0.5·Ŷ extrapolate beyond the labels (imitation weight ξ = 1 − α = -0.5).'
        """
        if 0.0 <= self.alpha <= 1.0:
            return ()
        return (f"alpha == {self.alpha:g} is outside [0, 1]: the targets {self.alpha:g}·Y "
                f"{'−' if 1 - self.alpha < 0 else '+'} {abs(1 - self.alpha):g}·Ŷ extrapolate "
                f"beyond the labels (imitation weight ξ = 1 − α = {1 - self.alpha:g}).",)

    def check_matrices(self, d: int, k: int) -> None:
        """A user ``basis`` has ``d`` rows and a user ``rank_rule`` ``k`` rows."""
        if isinstance(self.basis, np.ndarray) and self.basis.shape[0] != d:
            raise LingaussError(
                f"basis has shape {self.basis.shape}, must have d == {d} along axis 0.")
        if isinstance(self.rank_rule, np.ndarray) and self.rank_rule.shape[0] != k:
            raise LingaussError(
                f"rank_rule has shape {self.rank_rule.shape}, must have k == {k} along axis 0.")

    def replace(self, **changes) -> "Student":
        """A copy with some options changed (validated again).

        >>> Student(beta=1.0, ridge=1.0).replace(rank=3).rank
        3
        """
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v = f"<array {v.shape[0]}x{v.shape[1]}>"
            else:
                v = repr(v)
            parts.append(f"{f.name}={v}")
        return f"Student({', '.join(parts)})"

