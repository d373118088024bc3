"""Random inputs: :class:`RandomDesign`, averages over ``X ~ N(0, Σ)`` and their deterministic
equivalents in the proportional regime (derivations/random_design.md).

* :class:`RandomDesign` — the population covariance ``Σ``, the sample size ``n``, the truth
  ``W⋆`` and the label noise ``ν``; :meth:`RandomDesign.draw` gives a :class:`Sample`.
* :func:`expected_over_inputs` — the Monte Carlo mean and standard error of any function of a
  sample over input draws (``lingauss.expected_divergence``, ``lingauss.risk`` and
  ``Chain.risk`` call it for a random design, with ``monte_carlo=N``).
* :func:`deterministic_risk`, :func:`deterministic_divergence` — the proportional-regime
  equivalents (``lingauss.proportional``) for the design's spectrum and ``γ = d/n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_draws, check_instance, check_objects
from ._progress import progress
from ._validation import (LingaussError, as_real_array, check_array, check_finite, check_int,
                          check_option, check_real, numerics, overflow_error)
from .data import Sample
from ._design_terms import divergence_arrays, risk_arrays, sizes

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


# --------------------------------------------------------------------------------------------
# Monte Carlo over the inputs
# --------------------------------------------------------------------------------------------

def expected_over_inputs(fn, design: RandomDesign, draws: int, seed: int | None = None, *,
                         desc: str = "input draws") -> tuple[dict, dict]:
    """Mean and standard error over ``draws`` input draws of ``fn(sample, rng)`` (a dict of
    numbers); ``rng`` is the draws' generator, for any further draws ``fn`` needs (labels).

    >>> design = RandomDesign([1.0, 1.0], n=50, W_star=np.zeros((1, 2)), noise=0.0)
    >>> mean, se = expected_over_inputs(lambda s, rng: {"trace": np.trace(s.X @ s.X.T) / 50},
    ...                                 design, draws=200, seed=0)
    >>> bool(abs(mean["trace"] - 2.0) < 4 * se["trace"])    # E tr(XXᵀ/n) = tr Σ
    True
    """
    check_instance(design, "design", RandomDesign)
    draws, seed = check_draws(draws, seed)
    rng = np.random.default_rng(seed)
    rows = [fn(design.draw(rng), rng) for _ in progress(range(draws), desc=desc)]
    values = {name: np.array([float(row[name]) for row in rows]) for name in rows[0]
              if rows[0][name] is not None}
    mean = {name: float(np.mean(x)) for name, x in values.items()}
    return mean, {name: standard_error(x) for name, x in values.items()}


def standard_error(x: np.ndarray) -> float:
    """``std(x)/√N``, computed on ``x`` scaled to 1 (no overflow of the squares).

    >>> standard_error(np.array([1.0, 3.0]))
    1.0
    """
    scale = float(np.max(np.abs(x)))
    if scale == 0:
        return 0.0
    return float(np.std(x / scale, ddof=1) / np.sqrt(x.size)) * scale


# --------------------------------------------------------------------------------------------
# Deterministic equivalents for a design (lingauss.proportional)
# --------------------------------------------------------------------------------------------

def deterministic_risk(teacher, student=None, design=None, *, estimator: str = "mean",
                       method: str = "auto"):
    """The proportional-regime equivalent of the population risk ``E_{X,Y} R`` of the
    student (or of the teacher, ``student=None``) on a :class:`RandomDesign`.

    :func:`lingauss.proportional.risk_equivalent` at ``γ = d/n``, the design's spectrum and
    the normalised ridges ``λ̄ = λ/(β n)``. A fixed projector of rank ``r < k`` trains
    ``QW⋆``; the other rows keep filter 0 (bias ``Σ θ⊥_i² σ_i``). The estimator ``"gibbs"``
    adds the posterior spread ``r(κ₁/λ̄₁ − 1)/β_S`` (``tr(A⁻¹Σ) ≍ (κ/λ̄ − 1)/β``) and the
    complement's ``(k − r)τ² tr Σ``. Exact only as ``d, n → ∞``; at finite ``d`` the error is
    ``O(1/d)`` (tests/test_random_design.py).

    Returns
    -------
    lingauss.excess_risk.Risk

    Examples
    --------
    >>> from lingauss import Student, Teacher
    >>> W = np.full((1, 100), np.sqrt(0.02))                     # ‖w‖² = 2
    >>> design = RandomDesign([1.0] * 100, n=200, W_star=W, noise=1.0)
    >>> t = deterministic_risk(Teacher(1.0, 50.0), None, design)   # λ̄ = 0.25 = γν²/‖w‖²
    >>> round(t.total, 6)
    0.561553
    """
    from .excess_risk import Risk

    out = risk_terms(teacher, student, design, estimator=estimator, method=method)
    return Risk.from_terms(**{name: float(out[name]) for name in ("bias", "variance",
                                                                  "posterior")},
                           kind="population", estimator=estimator)


def risk_terms(teacher, student=None, design=None, *, gamma=None, estimator: str = "mean",
               method: str = "auto") -> dict:
    """:func:`deterministic_risk`'s terms as arrays over ``gamma`` (the proportional regime's
    double-descent curves).

    Parameters
    ----------
    teacher, student, design
        As for :func:`deterministic_risk`.
    gamma : array_like, optional
        ``γ`` values (default the design's ``d/n``). The spectrum, ``W⋆``, ``ν``, the
        normalised ridges ``λ̄ = λ/(βn)`` and ``nτ²`` are held at the design's values.
    estimator, method
        As for :func:`deterministic_risk`.

    Returns
    -------
    dict
        ``bias``, ``variance``, ``posterior``, ``total``: arrays of the shape of ``gamma``.

    Examples
    --------
    >>> from lingauss import Teacher
    >>> design = RandomDesign([1.0] * 50, n=100, W_star=np.full((1, 50), 0.2), noise=1.0)
    >>> out = risk_terms(Teacher(1.0, 1e-6), None, design, gamma=[0.5, 2.0])   # λ̄ ≈ 0
    >>> np.round(out["variance"], 4)          # ν²γ/(1 − γ) below γ = 1, ν²/(γ − 1) above
    array([1., 1.])
    """
    from .excess_risk import ESTIMATORS

    check_objects(teacher, student, student_required=False)
    check_instance(design, "design", RandomDesign)
    check_option(estimator, "estimator", ESTIMATORS)
    return _checked("the risk's deterministic equivalent", sizes(teacher, student, design, gamma),
                    risk_arrays, teacher, student, design, gamma, estimator, method)


def _checked(what: str, inputs: dict, fn, *args) -> dict:
    """``fn(*args)``, finite or one overflow error that names the design's and the models'
    numbers (not the normalised ones the equivalents are called with)."""
    try:
        with numerics(what, inputs):
            return check_finite(fn(*args), what, inputs)
    except LingaussError as exc:
        detail = getattr(exc, "overflow_detail", None)
        if detail is None:
            raise
        raise overflow_error(what, inputs, detail) from None


def deterministic_divergence(teacher, student, design, *, method: str = "auto"):
    """The proportional-regime equivalent of ``E_{X,Y} K_n`` (forward, parameter space) on a
    :class:`RandomDesign`: :func:`lingauss.proportional.divergence_equivalent` times ``k·d``.

    ``K_n/(k d)`` has the limit (every term is ``O(k d)``); ``rank_floor`` is the Eckart–Young
    floor of the equivalent of ``E[ŴŴᵀ]``, ``β_T n W⋆Σ(Σ + κ₀ − λ̄₀)(Σ + κ₀)⁻¹W⋆ᵀ +
    ν²β_T d·mean σ/(σ + κ₀) I``, like the closed form of ``expected_divergence``.

    Returns
    -------
    lingauss.Decomposition

    Examples
    --------
    >>> from lingauss import Student, Teacher
    >>> design = RandomDesign.power_law(d=40, k=2, n=80)
    >>> dec = deterministic_divergence(Teacher(1.0, 20.0), Student(1.0, 40.0), design)
    >>> bool(dec.total > 0 and abs(dec.total - dec.bias - dec.variance) < 1e-9 * dec.total)
    True
    """
    from .divergence import Decomposition

    out = divergence_terms(teacher, student, design, method=method)
    return Decomposition.from_terms(**{name: float(out[name]) * design.k * design.d for name in (
        "bias", "variance", "bottleneck_mean", "bottleneck_covariance", "rank_floor")})


def divergence_terms(teacher, student, design, *, gamma=None, method: str = "auto") -> dict:
    """:func:`deterministic_divergence`'s terms as arrays over ``gamma``, per unit of ``k·d``.

    ``gamma`` and what is held fixed as for :func:`risk_terms`. Returns ``total``, ``bias``,
    ``variance``, ``rank_bottleneck``, ``bottleneck_mean``, ``bottleneck_covariance`` and
    ``rank_floor``, each divided by ``k·d`` (multiply by ``k·d`` for ``K`` at a given ``d``).

    >>> from lingauss import Student, Teacher
    >>> design = RandomDesign.power_law(d=40, k=2, n=80)
    >>> out = divergence_terms(Teacher(1.0, 20.0), Student(1.0, 40.0), design, gamma=[0.5])
    >>> dec = deterministic_divergence(Teacher(1.0, 20.0), Student(1.0, 40.0), design)
    >>> bool(np.isclose(out["total"][0] * 2 * 40, dec.total, rtol=1e-12))
    True
    """
    check_objects(teacher, student)
    check_instance(design, "design", RandomDesign)
    return _checked("the divergence's deterministic equivalent",
                    sizes(teacher, student, design, gamma), divergence_arrays, teacher, student,
                    design, gamma, method)
