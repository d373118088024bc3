"""Validated specifications of the linear-Gaussian distillation model (docs/model.md §1–3).

Three frozen dataclasses describe a problem:

* :class:`Teacher` — the Gibbs posterior of ridge regression, ``W_T|S ~ MN(M_T, I_k, A_T⁻¹)``
  with ``A_T = β_T XXᵀ + λ_T I_d`` (docs/model.md §2);
* :class:`Student` — the options of the student kernel (docs/model.md §3);
* :class:`Sample` — the data ``X`` (d, n), ``Y`` (k, n), optionally the truth ``W⋆`` and the
  label noise ``ν``.

Everything is checked when it is built; a bad value raises :class:`LingaussError` naming the
argument, the value and the rule.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from ._resources import check_memory
from ._validation import (LingaussError, as_real_array, check_array, check_int, check_option,
                          check_orthonormal_columns, check_real)

BASES = ("pca", "first")
RANK_RULES = ("optimal", "oracle")
COMPLEMENT_VARIANCES = ("prior", "optimal")
SOFT_LABELS = ("mean", "sampled", "sampled+noise")
SPACES = ("parameter", "prediction")
DIRECTIONS = ("forward", "reverse", "symmetric")


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


def _option_or_array(value, name, allowed):
    """A string option from ``allowed`` or a 2-D orthonormal array."""
    if isinstance(value, str):
        return check_option(value, name, allowed)
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
        set_("basis", _option_or_array(self.basis, "basis", BASES))
        set_("rank_rule", _option_or_array(self.rank_rule, "rank_rule", RANK_RULES))
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
            check_option(cv, "complement_variance", COMPLEMENT_VARIANCES)
        elif isinstance(cv, numbers.Real) and not isinstance(cv, (bool, np.bool_)):
            set_("complement_variance",
                 check_real(cv, "complement_variance", low=0))
        else:
            raise LingaussError(
                f"Unknown value for complement_variance: {cv!r}. Possible values: "
                f"{COMPLEMENT_VARIANCES} or a positive number.")
        check_option(self.soft_labels, "soft_labels", SOFT_LABELS)
        set_("soft_label_noise", check_real(self.soft_label_noise, "soft_label_noise", low=0,
                                            low_inclusive=True))
        if self.soft_label_noise != 0 and self.soft_labels != "sampled+noise":
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


@dataclass(frozen=True, eq=False)
class Sample:
    """A training sample ``S = (X, Y)`` with optional ground truth (docs/model.md §1).

    ``Y = W⋆X + νE`` with ``E`` i.i.d. N(0, 1).

    Parameters
    ----------
    X : array of shape (d, n)
        Inputs, one column per example.
    Y : array of shape (k, n)
        Labels.
    W_star : array of shape (k, d), optional
        The true weights ``W⋆`` (needed by ``rank_rule="oracle"`` and by expectations).
    noise : float, optional
        The label noise ``ν >= 0`` (needed by ``space="prediction"``, where it must be > 0).

    Examples
    --------
    >>> s = Sample(np.eye(2), np.ones((3, 2)))
    >>> (s.d, s.n, s.k)
    (2, 2, 3)
    >>> Sample(np.eye(2), np.ones((3, 4)))
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Y has shape (3, 4), must have n == 2 along axis 1.
    """

    X: np.ndarray
    Y: np.ndarray
    W_star: np.ndarray | None = None
    noise: float | None = None

    def __post_init__(self):
        X = check_array(self.X, "X", ndim=2)
        d, n = X.shape
        Y = check_array(self.Y, "Y", ndim=2, shape=(None, (n, "n")))
        k = Y.shape[0]
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)
        if self.W_star is not None:
            object.__setattr__(self, "W_star", check_array(
                self.W_star, "W_star", ndim=2, shape=((k, "k"), (d, "d"))))
        if self.noise is not None:
            object.__setattr__(self, "noise", check_real(self.noise, "noise", low=0,
                                                         low_inclusive=True))

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.X.shape[0]

    @property
    def n(self) -> int:
        """Number of examples."""
        return self.X.shape[1]

    @property
    def k(self) -> int:
        """Output dimension."""
        return self.Y.shape[0]

    @classmethod
    def synthetic(cls, d: int, k: int, n: int, *, noise: float = 0.5,
                  spectrum_exponent: float = 1.0, signal_exponent: float = 1.0,
                  seed: int = 0) -> "Sample":
        """A synthetic power-law problem.

        Inputs have population covariance ``diag(σ_i)``, ``σ_i = i^{−a}``
        (``a = spectrum_exponent``); the truth has column energies
        ``E‖W⋆e_i‖² = i^{−b}`` (``b = signal_exponent``); ``Y = W⋆X + νE``.

        Examples
        --------
        >>> s = Sample.synthetic(8, 3, 20, noise=0.1, seed=1)
        >>> s.X.shape, s.Y.shape, s.W_star.shape, s.noise
        ((8, 20), (3, 20), (3, 8), 0.1)
        """
        d = check_int(d, "d", low=1)
        k = check_int(k, "k", low=1)
        n = check_int(n, "n", low=1)
        noise = check_real(noise, "noise", low=0, low_inclusive=True)
        a = check_real(spectrum_exponent, "spectrum_exponent", low=0, low_inclusive=True)
        b = check_real(signal_exponent, "signal_exponent", low=0, low_inclusive=True)
        seed = check_int(seed, "seed", low=0)
        check_memory(8.0 * (3 * d * n + 3 * k * n + 2 * k * d), "Sample.synthetic",
                     {"d": d, "k": k, "n": n})
        rng = np.random.default_rng(seed)
        i = np.arange(1, d + 1, dtype=float)
        X = rng.standard_normal((d, n)) * i[:, None] ** (-a / 2)        # (d, n)
        W_star = rng.standard_normal((k, d)) * i ** (-b / 2) / np.sqrt(k)  # (k, d)
        Y = W_star @ X + noise * rng.standard_normal((k, n))            # (k, n)
        return cls(X, Y, W_star=W_star, noise=noise)


@dataclass(frozen=True, eq=False)
class SpectralDesign:
    """A design given by its spectrum: the eigenvalues ``s_i`` of ``XXᵀ`` and the signal per mode.

    The expectation over the label noise of a divergence depends on the inputs only through
    ``s_i`` and ``θ_i = W⋆u_i`` (derivations/spectral.md): the statistic
    ``z_i = Y Xᵀ u_i ~ N(s_i θ_i, ν² s_i I_k)``.

    Parameters
    ----------
    eigenvalues : array of shape (d,)
        ``s_i >= 0``; sorted into descending order (with the signal) when built.
    signal : array of shape (d,) or (k, d)
        Either the energies ``‖θ_i‖² >= 0`` (spread evenly over the outputs: every projector of
        rank ``r`` keeps ``r/k`` of them), or the vectors ``θ_i`` as columns (needed by the
        ``oracle`` and user rank rules, which split ``θ_i`` by an output basis).
    noise : float
        Label noise ``ν >= 0``.
    k : int
        Number of outputs.
    n : int, optional
        Sample size, when ``s_i = n σ_i`` for a population spectrum ``σ_i`` (then sweeps over
        ``n`` rescale the eigenvalues).

    Examples
    --------
    >>> design = SpectralDesign([3.0, 1.0, 2.0], [1.0, 0.0, 0.5], noise=0.1, k=2)
    >>> design.eigenvalues, design.signal_energy
    (array([3., 2., 1.]), array([1. , 0.5, 0. ]))
    >>> SpectralDesign([1.0, -1.0], [1.0, 1.0], noise=0.1, k=2)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: eigenvalues has a negative entry (-1 at index 1), must be >= 0.
    """

    eigenvalues: np.ndarray
    signal: np.ndarray
    noise: float
    k: int
    n: int | None = None

    def __post_init__(self):
        s = np.array(check_array(self.eigenvalues, "eigenvalues", ndim=1))
        d = s.shape[0]
        if (s < 0).any():
            i = int(np.argmax(s < 0))
            raise LingaussError(
                f"eigenvalues has a negative entry ({s[i]:g} at index {i}), must be >= 0.")
        k = check_int(self.k, "k", low=1)
        sig = as_real_array(self.signal, "signal")
        if sig.ndim == 2:
            sig = np.array(check_array(self.signal, "signal", ndim=2,
                                       shape=((k, "k"), (d, "d"))))
        else:
            sig = np.array(check_array(self.signal, "signal", ndim=1, shape=((d, "d"),)))
            if (sig < 0).any():
                i = int(np.argmax(sig < 0))
                raise LingaussError(f"signal has a negative entry ({sig[i]:g} at index {i}), "
                                    f"must be >= 0 (energies ‖θ_i‖²).")
        order = np.argsort(-s, kind="stable")
        s, sig = np.ascontiguousarray(s[order]), np.ascontiguousarray(sig[..., order])
        if sig.ndim == 2:
            with np.errstate(over="ignore"):
                energy = np.sum(sig ** 2, axis=0)
            if not np.all(np.isfinite(energy)):
                i = int(np.argmax(~np.isfinite(energy)))
                raise LingaussError(
                    f"signal has a column whose energy ‖θ_i‖² overflows double precision (mode "
                    f"{i}, entries up to {float(np.max(np.abs(sig[:, i]))):.3g}), must be below "
                    f"1.8e308: rescale the signal.")
        s.setflags(write=False)
        sig.setflags(write=False)
        object.__setattr__(self, "eigenvalues", s)
        object.__setattr__(self, "signal", sig)
        object.__setattr__(self, "noise", check_real(self.noise, "noise", low=0,
                                                     low_inclusive=True))
        object.__setattr__(self, "k", k)
        if self.n is not None:
            object.__setattr__(self, "n", check_int(self.n, "n", low=1))

    @property
    def d(self) -> int:
        """Number of modes."""
        return self.eigenvalues.shape[0]

    @property
    def signal_energy(self) -> np.ndarray:
        """``‖θ_i‖²`` per mode, shape (d,)."""
        return self.signal if self.signal.ndim == 1 else np.sum(self.signal ** 2, axis=0)

    @classmethod
    def power_law(cls, d: int, k: int, n: int, *, spectrum_exponent: float = 1.0,
                  signal_exponent: float = 1.5, noise: float = 0.5) -> "SpectralDesign":
        """A population design: ``s_i = n σ_i``, ``σ_i = i^{−a}``; ``θ_i = i^{−b/2} e_{(i−1) mod k}``.

        Mode ``i`` carries energy ``‖θ_i‖² = i^{−b}`` on output ``(i − 1) mod k``, so output
        ``j`` carries ``Σ_{i ≡ j} i^{−b}`` (decreasing in ``j``: the oracle projector of rank
        ``r`` keeps the first ``r`` outputs).

        Examples
        --------
        >>> design = SpectralDesign.power_law(d=4, k=2, n=10, spectrum_exponent=1.0,
        ...                                   signal_exponent=2.0)
        >>> design.eigenvalues
        array([10.        ,  5.        ,  3.33333333,  2.5       ])
        >>> design.signal_energy
        array([1.        , 0.25      , 0.11111111, 0.0625    ])
        """
        d = check_int(d, "d", low=1)
        k = check_int(k, "k", low=1)
        n = check_int(n, "n", low=1)
        a = check_real(spectrum_exponent, "spectrum_exponent", low=0, low_inclusive=True)
        b = check_real(signal_exponent, "signal_exponent", low=0, low_inclusive=True)
        check_memory(8.0 * 3 * k * d, "SpectralDesign.power_law", {"d": d, "k": k})
        i = np.arange(1, d + 1, dtype=float)
        theta = np.zeros((k, d))
        theta[(np.arange(d) % k), np.arange(d)] = i ** (-b / 2)
        return cls(n * i ** (-a), theta, noise=noise, k=k, n=n)
