"""Random inputs (derivations/random_design.md): :class:`RandomDesign` — the population
covariance ``Σ``, the sample size ``n``, the truth ``W⋆`` and the label noise ``ν``;
:meth:`RandomDesign.draw` gives a :class:`lingauss.Sample`.

Averages over its draws are in :mod:`lingauss.averages.inputs` (Monte Carlo) and
:mod:`lingauss.averages.deterministic` (the proportional regime's equivalents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.validation import (LingaussError, as_real_array, check_array, check_int,
                                       check_real)
from lingauss.model.data import Sample

#: ``Σ`` is symmetric to this multiple of its largest entry.
SYMMETRY_RTOL = 1e-10


@dataclass(frozen=True, eq=False)
class RandomDesign:
    """Inputs drawn afresh: columns of ``X`` i.i.d. ``N(0, Σ)``, labels ``Y = W⋆X + νE``.

    Parameters
    ----------
    covariance : array of shape (d,) or (d, d)
        ``Σ``: its eigenvalues in the standard basis (``Σ = diag``), or a symmetric
        positive-definite matrix.
    n : int
        Examples per draw.
    W_star : array of shape (k, d)
        The truth.
    noise : float
        The label noise ``ν >= 0``.

    Examples
    --------
    >>> design = RandomDesign([2.0, 1.0, 0.5], n=6, W_star=np.ones((2, 3)), noise=0.1)
    >>> (design.d, design.k, design.n, design.gamma)
    (3, 2, 6, 0.5)
    >>> design.draw(np.random.default_rng(0)).X.shape
    (3, 6)
    >>> RandomDesign([1.0, 0.0], n=4, W_star=np.ones((1, 2)), noise=0.1)
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: covariance has a non-positive entry (0 at index 1), must be > 0 (the eigenvalues of a positive-definite Σ).
    """

    covariance: np.ndarray
    n: int
    W_star: np.ndarray
    noise: float

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        cov = as_real_array(self.covariance, "covariance")
        if cov.ndim == 1:
            cov = np.array(check_array(cov, "covariance", ndim=1))
            if (cov <= 0).any():
                i = int(np.argmax(cov <= 0))
                raise LingaussError(f"covariance has a non-positive entry ({cov[i]:g} at index "
                                    f"{i}), must be > 0 (the eigenvalues of a positive-definite "
                                    f"Σ).")
            order = np.argsort(-cov, kind="stable")
            sigma, vectors, factor = cov[order], np.eye(cov.size)[:, order], np.sqrt(cov)
        elif cov.ndim == 2:
            d = cov.shape[0]
            cov = np.array(check_array(cov, "covariance", ndim=2, shape=((d, "d"), (d, "d"))))
            top = float(np.max(np.abs(cov)))
            asym = float(np.max(np.abs(cov - cov.T)))
            if asym > SYMMETRY_RTOL * top:
                raise LingaussError(f"covariance is not symmetric (max |Σ − Σᵀ| == {asym:.3g}), "
                                    f"must be a symmetric positive-definite Σ (d, d).")
            cov = 0.5 * (cov + cov.T)
            w, V = np.linalg.eigh(cov)
            if w[0] <= 0:
                raise LingaussError(f"covariance has a non-positive eigenvalue ({w[0]:.3g}), "
                                    f"must be positive definite.")
            sigma, vectors = w[::-1].copy(), V[:, ::-1].copy()
            factor = np.linalg.cholesky(cov)                                # Σ = LLᵀ
        else:
            raise LingaussError(f"covariance has shape {cov.shape}, must be (d,) eigenvalues "
                                f"or a (d, d) matrix.")
        d = sigma.size
        for arr in (cov, sigma, vectors, factor):
            arr.setflags(write=False)
        set_("covariance", cov)
        set_("n", check_int(self.n, "n", low=1))
        set_("W_star", check_array(self.W_star, "W_star", ndim=2, shape=(None, (d, "d"))))
        set_("noise", check_real(self.noise, "noise", low=0, low_inclusive=True))
        set_("eigenvalues", sigma)          # (d,) σ_i of Σ, descending
        set_("eigenvectors", vectors)       # (d, d) v_i as columns
        set_("_factor", factor)             # (d,) √σ or (d, d) Cholesky factor of Σ

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.eigenvalues.size

    @property
    def k(self) -> int:
        """Output dimension."""
        return self.W_star.shape[0]

    @property
    def gamma(self) -> float:
        """``γ = d/n``."""
        return self.d / self.n

    @property
    def matrix(self) -> np.ndarray:
        """``Σ`` as a (d, d) array."""
        return np.diag(self.covariance) if self.covariance.ndim == 1 else self.covariance

    @property
    def signal_energy(self) -> np.ndarray:
        """``θ_i² = ‖W⋆v_i‖²`` on the eigenvectors of ``Σ`` (d,), in the order of
        :attr:`eigenvalues`."""
        return np.sum((self.W_star @ self.eigenvectors) ** 2, axis=0)

    def draw(self, rng) -> Sample:
        """One sample: ``Z = rng.standard_normal((d, n))``, ``X = Σ^{1/2}Z`` (``√σ_i`` rows, or
        the Cholesky factor), then ``E = rng.standard_normal((k, n))``, ``Y = W⋆X + νE``.
        ``X`` is read-only, so every route shares one factorization of it."""
        Z = rng.standard_normal((self.d, self.n))
        X = self._factor[:, None] * Z if self._factor.ndim == 1 else self._factor @ Z
        X.setflags(write=False)
        Y = self.W_star @ X + self.noise * rng.standard_normal((self.k, self.n))
        return Sample(X, Y, W_star=self.W_star, noise=self.noise)

    @classmethod
    def power_law(cls, d: int, k: int, n: int, *, spectrum_exponent: float = 1.0,
                  signal_exponent: float = 1.5, noise: float = 0.5) -> "RandomDesign":
        """``Σ = diag(i^{−a})``; ``W⋆e_i = i^{−b/2} e_{(i−1) mod k}`` (as
        :meth:`lingauss.SpectralDesign.power_law`, whose ``s_i = nσ_i`` is the ``n ≫ d``
        limit of this design).

        >>> design = RandomDesign.power_law(d=4, k=2, n=10, signal_exponent=2.0)
        >>> design.eigenvalues, design.signal_energy
        (array([1.        , 0.5       , 0.33333333, 0.25      ]), array([1.        , 0.25      , 0.11111111, 0.0625    ]))
        """
        d = check_int(d, "d", low=1)
        k = check_int(k, "k", low=1)
        a = check_real(spectrum_exponent, "spectrum_exponent", low=0, low_inclusive=True)
        b = check_real(signal_exponent, "signal_exponent", low=0, low_inclusive=True)
        i = np.arange(1, d + 1, dtype=float)
        W = np.zeros((k, d))
        W[np.arange(d) % k, np.arange(d)] = i ** (-b / 2)
        return cls(i ** (-a), n, W, noise)
