"""The data of a problem (docs/model.md §1): a :class:`Sample` ``(X, Y)`` with optional truth
and noise, or a :class:`SpectralDesign` (eigenvalues and signal, for expectations).

Both are frozen and checked when built; ``lingauss.model`` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.resources import check_memory
from lingauss._core.validation import (LingaussError, as_real_array, check_array, check_int,
                                       check_real)


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
