"""Fast numeric forms: expected divergences, the spectral route, vectorised sweeps.

With the ``pca`` basis the divergence is a sum over the eigen-modes of ``XXᵀ`` of per-mode
terms derived by :mod:`lingauss.symbolic` (derivations/spectral.md). This module evaluates
them through the code generated from those derivations (``lingauss/_generated.py``), so it
never imports sympy:

* :func:`expected_divergence` — the divergence averaged over the label noise: closed form for
  a fixed output projector, Monte Carlo over label draws (through the exact engine
  :func:`lingauss.divergence`) otherwise;
* :func:`sweep` — every term over grids of ranks, widths, ridges, temperatures, ``α``,
  ``τ²`` and sample sizes at once: one evaluation of each per-mode function on broadcast
  arrays, prefix sums over the modes for the widths (no loop over configurations);
* ``_given_sample`` — the same per-mode forms conditional on a sample (the tests hold it equal
  to the exact engine with the ``pca`` basis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _generated
from ._validation import LingaussError, check_int, check_option, check_real
from .divergence import (TERMS, Decomposition, _complete, _eigen, _rank_floor, divergence,
                         optimal_tau2)
from .model import DIRECTIONS, SPACES, Sample, SpectralDesign, Student, Teacher

PARTS = ("variance", "bias", "bottleneck_mean", "bottleneck_covariance")

#: Hyper-parameters a sweep can vary, with the object and attribute they replace.
SWEEPABLE = {
    "rank": ("student", "rank"), "width": ("student", "width"),
    "beta": ("student", "beta"), "ridge": ("student", "ridge"),
    "alpha": ("student", "alpha"), "tau2": ("student", "complement_variance"),
    "soft_label_noise": ("student", "soft_label_noise"),
    "teacher_beta": ("teacher", "beta"), "teacher_ridge": ("teacher", "ridge"),
    "n": ("design", "n"),
}


# --------------------------------------------------------------------------------------------
# Per-mode terms (the generated functions)
# --------------------------------------------------------------------------------------------

def mode_terms(space: str, soft_labels: str, direction: str, flavour: str, regime: str,
               **args) -> dict:
    """Per-mode pieces of the divergence, from the generated code; broadcasts over arrays.

    Parameters
    ----------
    space, soft_labels, direction
        As in :func:`lingauss.divergence` (``"symmetric"`` sums both directions).
    flavour : {"expected", "conditional"}
        Expected over the label noise, or given the sample.
    regime : {"kept", "dropped"}
        Mode inside the student's width (``i <= m``) or outside it.
    **args
        The arguments named in ``lingauss._generated.ARGS[flavour]``:
        ``s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r`` and
        ``thetaQ2, thetaP2`` (expected) or ``zQ2, zP2`` (conditional).

    Returns
    -------
    dict
        ``variance, bias, bottleneck_mean, bottleneck_covariance`` and, for sampled soft
        labels, ``convexity_slack`` — arrays of the broadcast shape of the arguments.

    Examples
    --------
    >>> terms = mode_terms("parameter", "mean", "forward", "expected", "kept", s=2.0,
    ...                    beta_T=1.0, lambda_T=1.0, beta_S=1.0, lambda_S=1.0, alpha=0.0,
    ...                    nu=0.5, nu_T=0.0, tau2=1.0, k=2, r=1, thetaQ2=1.0, thetaP2=0.0)
    >>> float(terms["variance"])    # a_i == b_i: no covariance mismatch
    0.0
    """
    Q2, P2 = _generated.ARGS[flavour][-2:]
    mult = (args["r"], np.subtract(args["k"], args["r"]), args[Q2], args[P2])
    out = {}
    for name, coeffs in coefficients(space, soft_labels, direction, flavour, regime,
                                     **args).items():
        # piece = r·A + (k − r)·B + Q2·C + P2·D
        val = sum((m * cf for m, cf in zip(mult, coeffs) if not _is_zero(cf)), 0.0)
        out[name] = np.broadcast_to(val, np.broadcast_shapes(np.shape(val),
                                                             np.shape(args["s"])))
    return out


def _is_zero(coefficient) -> bool:
    """A coefficient that vanishes identically (the generated code returns the integer 0)."""
    return isinstance(coefficient, int) and coefficient == 0


def coefficients(space: str, soft_labels: str, direction: str, flavour: str, regime: str,
                 **args) -> dict:
    """``{piece: (A, B, C, D)}``: the coefficients of ``(r, k − r, Q2, P2)`` per mode.

    Every per-mode piece is ``r·A + (k − r)·B + Q2·C + P2·D`` (proved by
    :func:`lingauss.symbolic.linear_coefficients`); the coefficients depend on ``s`` and the
    hyper-parameters only (``**args``: at least ``lingauss._generated.COEFF_ARGS``).
    ``"symmetric"`` adds both directions. A vanishing coefficient is the integer 0.
    """
    values = [args[name] for name in _generated.COEFF_ARGS]
    out = {}
    for dr in (("forward", "reverse") if direction == "symmetric" else (direction,)):
        key = (space, soft_labels, dr, flavour, regime)
        for name, coeffs in zip(_generated.PIECES[key], _generated.FUNCTIONS[key](*values)):
            old = out.get(name, (0, 0, 0, 0))
            out[name] = tuple(b if _is_zero(a) else a if _is_zero(b) else a + b
                              for a, b in zip(old, coeffs))
    return out


# --------------------------------------------------------------------------------------------
# The problem in spectral form
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Spectral:
    """A design in eigen coordinates: ``s`` (d,), the signal and the output split per rank."""

    s: np.ndarray               # (d,) eigenvalues, descending
    theta: np.ndarray | None    # (k, d) θ_i as columns, or None (isotropic energies)
    energy: np.ndarray          # (d,) ‖θ_i‖²
    noise: float
    k: int
    n: int | None

    @property
    def d(self) -> int:
        return self.s.shape[0]

    def output_energy(self, student: Student) -> np.ndarray | None:
        """``(o_jᵀθ_i)²`` (k, d) in the student's output basis ``O = [Q, Q⊥]``; None if isotropic.

        The basis is the user's ``rank_rule`` matrix completed, or (oracle) the left singular
        vectors of ``Θ`` (those of ``W⋆``), ordered by singular value.
        """
        if self.theta is None:
            return None
        if isinstance(student.rank_rule, np.ndarray):
            O = _complete(student.rank_rule)                        # (k, k) [Q, Q⊥]
        else:                                                       # oracle: top of W⋆
            # left singular vectors of Θ: eigenvectors of the k×k ΘΘᵀ, descending
            lam, vecs = np.linalg.eigh(self.theta @ self.theta.T)
            O = vecs[:, np.argsort(-lam, kind="stable")]
        return (O.T @ self.theta) ** 2

    def split(self, student: Student, ranks) -> tuple[np.ndarray, np.ndarray]:
        """``(‖Qθ_i‖², ‖(I−Q)θ_i‖²)`` for each rank, shape (len(ranks), d)."""
        ranks = np.asarray(ranks)
        if self.theta is None:      # energy spread evenly over the outputs
            frac = ranks[:, None] / self.k
            return frac * self.energy, (1 - frac) * self.energy
        P = self.output_energy(student)                             # (k, d) energy per output
        zero = np.zeros((1, self.d))
        inside = np.concatenate([zero, np.cumsum(P, axis=0)])      # inside[r] = Σ_{j<r}
        outside = np.concatenate([np.cumsum(P[::-1], axis=0)[::-1], zero])  # Σ_{j>=r}
        return inside[ranks], outside[ranks]


def _spectral(design) -> _Spectral:
    if isinstance(design, SpectralDesign):
        theta = design.signal if design.signal.ndim == 2 else None
        return _Spectral(design.eigenvalues, theta, design.signal_energy, design.noise,
                         design.k, design.n)
    eig = _eigen(design)
    theta = design.W_star @ eig.U                                   # (k, d) θ_i = W⋆u_i
    return _Spectral(eig.s, theta, np.sum(theta ** 2, axis=0), design.noise, design.k,
                     design.n)


def _as_sample(design: SpectralDesign, rng) -> Sample:
    """A sample with ``XXᵀ = diag(s)`` (eigen coordinates) and ``W⋆ = Θ``, fresh labels."""
    X = np.diag(np.sqrt(design.eigenvalues))                        # (d, d)
    Y = design.signal @ X + design.noise * rng.standard_normal((design.k, design.d))
    return Sample(X, Y, W_star=design.signal, noise=design.noise)


def _check_design(design, space: str, closed_form: bool, student: Student):
    if not isinstance(design, (Sample, SpectralDesign)):
        raise LingaussError(
            f"design == {design!r}, must be a lingauss.Sample or a lingauss.SpectralDesign.")
    if isinstance(design, Sample):
        for name in ("W_star", "noise"):
            if getattr(design, name) is None:
                raise LingaussError(
                    f"design is a Sample without {name}: an expectation over the label noise "
                    f"needs the true weights W_star and the noise.")
    elif not closed_form and design.signal.ndim == 1:
        raise LingaussError(
            "design.signal has shape (d,) (energies only): Monte Carlo draws labels and needs "
            "the vectors θ_i, a (k, d) signal.")
    if space == "prediction" and design.noise == 0:
        raise LingaussError("noise == 0, must be > 0 when space == 'prediction'.")
    return student.resolve(design.d, design.k)


def _closed_form_obstacle(student: Student) -> str | None:
    """Why the expectation has no closed form for this student (None when it has one)."""
    if isinstance(student.rank_rule, str) and student.rank_rule == "optimal":
        return ("rank_rule == 'optimal' depends on the labels, so the expected divergence has "
                "no closed form: pass monte_carlo=N to average the exact divergence over N "
                "label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.")
    if not (isinstance(student.basis, str) and student.basis == "pca"):
        shown = "a matrix" if isinstance(student.basis, np.ndarray) else repr(student.basis)
        return (f"basis == {shown} does not diagonalise the kernels, so the expected divergence "
                f"has no closed form: pass monte_carlo=N, or use basis='pca'.")
    return None


def _teacher_weight(space, beta_T, lambda_T, s, nu):
    """Whitening weight of ``z_i`` in the teacher mean: the rank floor's ``w_i``.

    Parameter space: the column ``β_T z_i / a_i`` whitened by ``1/a_i`` → ``β_T²/a_i``.
    Prediction space: ``√s_i β_T z_i / a_i`` whitened by ``s_i/a_i + ν²``.
    """
    a = beta_T * s + lambda_T
    if space == "parameter":
        return beta_T ** 2 / a
    return s * beta_T ** 2 / (a * (s + nu ** 2 * a))


def _expected_floor(spec: _Spectral, weight, widths, ranks, s) -> np.ndarray:
    """``½ Σ_{j>r} λ_j(E[ŴŴᵀ])``, ``Ŵ`` the whitened teacher mean on the first ``m`` modes.

    ``E[z_i z_iᵀ] = s_i² θ_iθ_iᵀ + ν² s_i I_k``. The Eckart–Young floor is concave in ``ŴŴᵀ``
    (a minimum of linear functions), so this is an upper bound of the expected floor (Jensen);
    derivations/spectral.md. ``weight`` and ``s``: (..., d); returns (..., len(widths),
    len(ranks)).
    """
    widths, ranks = np.asarray(widths), np.asarray(ranks)
    mask = np.arange(spec.d) < widths[:, None]                        # (W, d)
    w = np.asarray(weight)[..., None, :] * mask                       # (..., W, d)
    noise_part = np.sum(w * spec.noise ** 2 * np.asarray(s)[..., None, :], axis=-1)
    if spec.theta is None:
        # E[ŴŴᵀ] = c I_k: every eigenvalue is c = Σ w (s² ‖θ‖²/k + ν² s)
        c = np.sum(w * (np.asarray(s)[..., None, :] ** 2 * spec.energy / spec.k), axis=-1)
        c = c + noise_part
        return 0.5 * (spec.k - ranks) * c[..., None]
    ws = w * np.asarray(s)[..., None, :] ** 2                        # (..., W, d)
    sig = (ws[..., None, :] * spec.theta) @ spec.theta.T              # (..., W, k, k)
    lam = np.linalg.eigvalsh(sig) + noise_part[..., None]            # (..., W, k) ascending
    lam = np.maximum(lam, 0.0)
    low = np.concatenate([np.zeros(lam.shape[:-1] + (1,)), np.cumsum(lam, axis=-1)], axis=-1)
    return 0.5 * low[..., spec.k - ranks]


# --------------------------------------------------------------------------------------------
# Single configurations
# --------------------------------------------------------------------------------------------

def _args(teacher, student, s, nu, tau2, k, r):
    return dict(s=s, beta_T=teacher.beta, lambda_T=teacher.ridge, beta_S=student.beta,
                lambda_S=student.ridge, alpha=student.alpha, nu=nu,
                nu_T=student.soft_label_noise, tau2=tau2, k=k, r=r)


def _tau2_at(student, teacher, s, d, k, m, r):
    cv = student.complement_variance
    if not isinstance(cv, str):
        return cv
    if cv == "prior":
        return 1.0 / student.ridge
    a = teacher.beta * s + teacher.ridge
    return float(optimal_tau2(d, k, m, r, np.sum(a[m:]), np.sum(a), student.ridge))


@dataclass(frozen=True)
class ModeInputs:
    """What the per-mode forms are evaluated at, for one configuration (eigen coordinates).

    ``inside``/``outside`` are ``‖Qθ_i‖², ‖Q⊥θ_i‖²`` (expected) or ``‖Qz_i‖², ‖Q⊥z_i‖²``
    (conditional); ``nu`` is the label noise where the space uses it (else 0).
    """

    flavour: str
    s: np.ndarray
    inside: np.ndarray
    outside: np.ndarray
    k: int
    m: int
    r: int
    tau2: float
    nu: float

    def args(self, teacher: Teacher, student: Student, regime: str) -> dict:
        """Arguments of the per-mode forms (``lingauss._generated.ARGS[flavour]``) by name."""
        cut = slice(None, self.m) if regime == "kept" else slice(self.m, None)
        q2, p2 = ("thetaQ2", "thetaP2") if self.flavour == "expected" else ("zQ2", "zP2")
        inside, outside = self.inside[cut], self.outside[cut]
        if regime == "dropped":     # all k rows are complement rows: ‖θ_i‖² = ‖Qθ_i‖² + ‖Q⊥θ_i‖²
            inside, outside = inside + outside, np.zeros_like(outside)
        return dict(s=self.s[cut], beta_T=teacher.beta, lambda_T=teacher.ridge,
                    beta_S=student.beta, lambda_S=student.ridge, alpha=student.alpha,
                    nu=self.nu, nu_T=student.soft_label_noise, tau2=self.tau2, k=self.k,
                    r=self.r, **{q2: inside, p2: outside})


def _sum_modes(teacher, student, inputs: ModeInputs, space, direction) -> dict:
    """Terms summed over kept modes ``i < m`` and dropped modes ``i >= m``."""
    out = {}
    for regime in ("kept", "dropped"):
        for name, val in mode_terms(space, student.soft_labels, direction, inputs.flavour,
                                    regime, **inputs.args(teacher, student, regime)).items():
            out[name] = out.get(name, 0.0) + float(np.sum(val))
    return out


def conditional_inputs(teacher: Teacher, student: Student, sample: Sample, space: str
                       ) -> tuple[ModeInputs, float]:
    """Per-mode inputs given a sample (``pca`` basis; any rank rule), and the rank floor.

    ``z_i = Y Xᵀ u_i``; the projector of the ``optimal`` rule is the top-``r`` left singular
    vectors of the student's whitened mean ``β_S ẑ_i/√b_i`` (MODEL.md §3).
    """
    if not (isinstance(student.basis, str) and student.basis == "pca"):
        raise LingaussError("the spectral route needs basis == 'pca'.")
    d, k = sample.d, sample.k
    m, r = student.resolve(d, k)
    eig = _eigen(sample)
    s, z = eig.s, eig.z
    a = teacher.beta * s + teacher.ridge
    if isinstance(student.rank_rule, np.ndarray):
        Ur = student.rank_rule
    elif student.rank_rule == "optimal":
        b = student.beta * s[:m] + student.ridge
        zhat = z[:, :m] * (student.alpha + (1 - student.alpha) * teacher.beta * s[:m] / a[:m])
        Ur = np.linalg.svd(student.beta * zhat / np.sqrt(b), full_matrices=False)[0][:, :r]
    else:
        Ur = np.linalg.svd(sample.W_star, full_matrices=False)[0][:, :r]
    O = _complete(np.asarray(Ur, dtype=float))                       # (k, k)
    zo = (O.T @ z) ** 2                                               # (k, d)
    nu = sample.noise if space == "prediction" else 0.0
    inputs = ModeInputs("conditional", s, np.sum(zo[:r], axis=0), np.sum(zo[r:], axis=0),
                        k, m, r, _tau2_at(student, teacher, s, d, k, m, r), nu)
    M_T = teacher.beta * z / a                                        # (k, d)
    if space == "parameter":
        floor = _rank_floor(M_T[:, :m], 1.0 / a[:m], r)
    else:
        p = min(m, eig.rho)
        floor = _rank_floor(M_T[:, :p] * np.sqrt(s[:p]), s[:p] / a[:p] + nu ** 2, r)
    return inputs, floor


def _given_sample(teacher: Teacher, student: Student, sample: Sample, *,
                  space: str = "parameter", direction: str = "forward") -> Decomposition:
    """The spectral route conditional on a sample: the derived conditional per-mode forms
    at :func:`conditional_inputs`, summed over the modes."""
    inputs, floor = conditional_inputs(teacher, student, sample, space)
    terms = _sum_modes(teacher, student, inputs, space, direction)
    slack = terms.pop("convexity_slack", None)
    return Decomposition.from_terms(**terms, rank_floor=floor, convexity_slack=slack)


def expected_divergence(teacher: Teacher, student: Student, design, *,
                        space: str = "parameter", direction: str = "forward",
                        monte_carlo: int | None = None, seed: int | None = None
                        ) -> Decomposition:
    """The distillation divergence averaged over the label noise, ``E_Y K_n``.

    Closed form (derivations/spectral.md) when the student's output projector is fixed
    (``rank_rule="oracle"`` or a matrix) and its basis is ``"pca"``: a sum over eigen-modes of
    the per-mode terms derived by :mod:`lingauss.symbolic`. With ``monte_carlo=N`` the exact
    divergence (:func:`lingauss.divergence`) is averaged over ``N`` label draws
    ``Y = W⋆X + νE`` instead, for any student, with standard errors.

    Parameters
    ----------
    teacher : Teacher
    student : Student
    design : Sample or SpectralDesign
        Fixed inputs with ``W_star`` and ``noise``, or a spectrum (see
        :class:`lingauss.SpectralDesign`; Monte Carlo uses ``X = diag(√s_i)`` and
        ``W⋆ = Θ``, so a user basis is read in eigen coordinates).
    space : {"parameter", "prediction"}
    direction : {"forward", "reverse", "symmetric"}
    monte_carlo : int, optional
        Number of label draws (>= 2); required for the ``"optimal"`` rank rule and for
        bases other than ``"pca"``.
    seed : int, optional
        Seed of the label draws (Monte Carlo only).

    Returns
    -------
    Decomposition
        ``rank_floor`` of a closed form is the Eckart–Young floor of ``E[ŴŴᵀ]`` (an upper
        bound of the expected floor, by concavity); with Monte Carlo, the mean floor and
        ``stderr`` (the standard error of every term).

    Examples
    --------
    >>> from lingauss import Teacher, Student, SpectralDesign, expected_divergence
    >>> design = SpectralDesign.power_law(d=16, k=4, n=32, noise=0.5)
    >>> student = Student(2.0, 1.0, width=8, rank=2, rank_rule="oracle")
    >>> dec = expected_divergence(Teacher(2.0, 1.0), student, design)
    >>> bool(dec.total > 0) and bool(abs(dec.total - dec.bias - dec.variance
    ...                                   - dec.rank_bottleneck) < 1e-12)
    True
    >>> expected_divergence(Teacher(2.0, 1.0), Student(2.0, 1.0), design)
    Traceback (most recent call last):
    ...
    lingauss._validation.LingaussError: rank_rule == 'optimal' depends on the labels, so the expected divergence has no closed form: pass monte_carlo=N to average the exact divergence over N label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.
    """
    _check_objects(teacher, student)
    check_option(space, "space", SPACES)
    check_option(direction, "direction", DIRECTIONS)
    if monte_carlo is not None:
        monte_carlo = check_int(monte_carlo, "monte_carlo", low=2)
        if seed is not None:
            seed = check_int(seed, "seed", low=0)
        _check_design(design, space, False, student)
        return _monte_carlo(teacher, student, design, space, direction, monte_carlo, seed)
    if seed is not None:
        raise LingaussError("seed is set but monte_carlo is None: the closed form draws "
                            "nothing; pass monte_carlo=N or drop the seed.")
    obstacle = _closed_form_obstacle(student)
    if obstacle:
        raise LingaussError(obstacle)
    m, r = _check_design(design, space, True, student)
    spec = _spectral(design)
    inside, outside = spec.split(student, [r])
    nu = spec.noise
    inputs = ModeInputs("expected", spec.s, inside[0], outside[0], spec.k, m, r,
                        _tau2_at(student, teacher, spec.s, spec.d, spec.k, m, r), nu)
    terms = _sum_modes(teacher, student, inputs, space, direction)
    weight = _teacher_weight(space, teacher.beta, teacher.ridge, spec.s, nu)
    floor = float(_expected_floor(spec, weight, [m], [r], spec.s)[0, 0])
    slack = terms.pop("convexity_slack", None)
    return Decomposition.from_terms(**terms, rank_floor=floor, convexity_slack=slack)


def _check_objects(teacher, student):
    for value, name, cls in ((teacher, "teacher", Teacher), (student, "student", Student)):
        if not isinstance(value, cls):
            raise LingaussError(f"{name} == {value!r}, must be a lingauss.{cls.__name__}.")


def _monte_carlo(teacher, student, design, space, direction, draws, seed) -> Decomposition:
    """Mean and standard error of the exact divergence over ``draws`` label draws."""
    rng = np.random.default_rng(seed)
    if isinstance(design, SpectralDesign):
        samples = (_as_sample(design, rng) for _ in range(draws))
    else:
        mean = design.W_star @ design.X                              # (k, n)
        samples = (Sample(design.X, mean + design.noise * rng.standard_normal(mean.shape),
                          W_star=design.W_star, noise=design.noise) for _ in range(draws))
    rows = [divergence(teacher, student, smp, space=space, direction=direction).as_dict()
            for smp in samples]
    names = [name for name in TERMS if name in rows[0]]
    values = {name: np.array([row[name] for row in rows]) for name in names}
    mean = {name: float(np.mean(x)) for name, x in values.items()}
    stderr = {name: float(np.std(x, ddof=1) / np.sqrt(draws)) for name, x in values.items()}
    return Decomposition(**mean, stderr=stderr)


# --------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sweep:
    """Every term of an expected divergence over a grid of hyper-parameters.

    Attributes
    ----------
    axes : dict
        ``{name: values}`` in the order of the array axes.
    terms : dict
        ``{term: array}``, each of shape ``tuple(len(v) for v in axes.values())``; the names
        of :class:`Decomposition` (``rank_floor`` is the floor of ``E[ŴŴᵀ]``, as in
        :func:`expected_divergence`).
    """

    axes: dict
    terms: dict

    def __getitem__(self, term: str) -> np.ndarray:
        return self.terms[term]

    @property
    def shape(self) -> tuple:
        return tuple(len(v) for v in self.axes.values())


def _check_grid(name, values, teacher, student, design):
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1 or arr.size == 0:
        raise LingaussError(f"{name} grid has shape {arr.shape}, must be a non-empty 1-D list.")
    rules = {
        "rank": lambda v, i: check_int(v, f"rank[{i}]", low=1),
        "width": lambda v, i: check_int(v, f"width[{i}]", low=1, high=design.d, high_rule="d"),
        "n": lambda v, i: check_int(v, f"n[{i}]", low=1),
        "alpha": lambda v, i: check_real(v, f"alpha[{i}]", low=0, high=1, low_inclusive=True),
        "soft_label_noise": lambda v, i: check_real(v, f"soft_label_noise[{i}]", low=0,
                                                    low_inclusive=True),
    }
    rule = rules.get(name, lambda v, i: check_real(v, f"{name}[{i}]", low=0))
    return np.array([rule(v.item() if hasattr(v, "item") else v, i)
                     for i, v in enumerate(arr)])


def sweep(teacher: Teacher, student: Student, design, *, space: str = "parameter",
          direction: str = "forward", **grids) -> Sweep:
    """Every term of the expected divergence over grids of hyper-parameters, at once.

    Each per-mode function is evaluated once on arrays broadcast over all grid axes and the
    modes; widths are read off prefix sums over the modes (kept modes ``i < m`` plus dropped
    modes ``i >= m``), ranks off prefix sums over the output basis. Only
    ``complement_variance="optimal"`` (a ``τ²`` that depends on width and rank) evaluates
    the modes once per (rank, width) pair, still without a Python loop.

    Parameters
    ----------
    teacher, student, design, space, direction
        As in :func:`expected_divergence` (closed-form cases only: ``pca`` basis and a fixed
        rank rule).
    **grids
        1-D grids, in the order given (it is the order of the result's axes), among
        ``rank, width, beta, ridge, alpha, tau2, soft_label_noise`` (the student's),
        ``teacher_beta, teacher_ridge`` and ``n`` (designs with ``n``: the eigenvalues scale
        as ``n / design.n``). Every requested rank must be ``<= min(k, width)`` for every
        width.

    Returns
    -------
    Sweep

    Examples
    --------
    >>> from lingauss import Teacher, Student, SpectralDesign, sweep
    >>> design = SpectralDesign.power_law(d=64, k=8, n=128)
    >>> student = Student(2.0, 1.0, rank_rule="oracle")
    >>> res = sweep(Teacher(2.0, 1.0), student, design, rank=[1, 2, 4], width=[8, 16, 32],
    ...             ridge=[0.5, 1.0])
    >>> res.shape, sorted(res.axes)
    ((3, 3, 2), ['rank', 'ridge', 'width'])
    >>> bool((res["rank_bottleneck"][0] >= res["rank_bottleneck"][-1]).all())
    True
    """
    _check_objects(teacher, student)
    check_option(space, "space", SPACES)
    check_option(direction, "direction", DIRECTIONS)
    for name in grids:
        if name not in SWEEPABLE:
            raise LingaussError(f"Unknown value for grid: {name!r}. Possible values: "
                                f"{tuple(SWEEPABLE)}.")
    obstacle = _closed_form_obstacle(student)
    if obstacle:
        raise LingaussError(obstacle.replace("expected divergence", "sweep").replace(
            "pass monte_carlo=N to average the exact divergence over N label draws, or ", ""
        ).replace("pass monte_carlo=N, or ", ""))
    if not isinstance(design, (Sample, SpectralDesign)):
        _check_design(design, space, True, student)
    grids = {name: _check_grid(name, values, teacher, student, design)
             for name, values in grids.items()}
    if "n" in grids and (not isinstance(design, SpectralDesign) or design.n is None):
        raise LingaussError("an n grid needs a SpectralDesign with n (eigenvalues n·σ_i), "
                            "e.g. SpectralDesign.power_law.")
    if "rank" in grids and isinstance(student.rank_rule, np.ndarray):
        raise LingaussError(f"a rank grid needs rank_rule='oracle': the rank_rule matrix "
                            f"fixes rank == {student.rank}.")
    spec = _spectral(design)
    k, d = spec.k, spec.d
    fixed_m = d if student.width is None else student.width
    if fixed_m > d and "width" not in grids:
        raise LingaussError(f"width == {fixed_m}, must be <= d == {d}.")
    widths = grids.get("width", np.array([fixed_m]))
    if "rank" in grids:
        ranks = grids["rank"]
    elif student.rank is not None:
        ranks = np.array([student.rank])
    else:   # default rank min(k, width): one rank per width, swept as paired values
        ranks = None
    if space == "prediction" and spec.noise == 0:
        raise LingaussError("noise == 0, must be > 0 when space == 'prediction'.")
    if ranks is None:
        return _sweep_default_rank(teacher, student, design, space, direction, grids, widths, k)
    bad = ranks[:, None] > np.minimum(k, widths)[None, :]
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise LingaussError(f"rank == {ranks[i]} with width == {widths[j]}, must be <= "
                            f"min(k, width) == {min(k, widths[j])}.")
    return _sweep(teacher, student, spec, space, direction, grids, widths, ranks)


def _sweep_default_rank(teacher, student, design, space, direction, grids, widths, k):
    """Default rank ``min(k, width)``: one sweep per width, stacked on the width axis."""
    parts = []
    for m in widths:
        sub = dict(grids, width=[int(m)])
        parts.append(sweep(teacher, student.replace(rank=min(k, int(m)),
                                                     width=None), design, space=space,
                           direction=direction, **sub))
    # each part has a width axis of length 1: where the grids put it, or last
    names = list(grids) if "width" in grids else list(grids) + ["width"]
    axis = names.index("width")
    terms = {t: np.concatenate([p.terms[t] for p in parts], axis=axis)
             for t in parts[0].terms}
    if "width" not in grids:
        terms = {t: np.squeeze(v, axis=axis) for t, v in terms.items()}
    return Sweep(axes={name: grids[name] for name in grids}, terms=terms)


def _onto_axis(arr, axis: int):
    """Move the last axis of ``arr`` (..., L) onto ``axis``, whose current length is 1."""
    return np.moveaxis(np.squeeze(arr, axis=axis), -1, axis)


def _sweep_prefix(space, student, direction, args, spec, widths, ranks, names) -> dict:
    """Terms at every (rank, width, ...) from per-mode coefficients, without a mode loop.

    With ``piece_i = r·A_i + (k − r)·B_i + ‖Qθ_i‖²·C_i + ‖Q⊥θ_i‖²·D_i`` and the kept modes
    ``i < m`` (dropped ``i >= m``): ``Σ_i r·A_i`` reads ``r`` times a prefix sum of ``A`` at
    ``m``; ``Σ_i ‖Qθ_i‖² C_i = Σ_{j<r} G_j(m)`` with ``G_j(m) = Σ_{i<m} (o_jᵀθ_i)² C_i`` (one
    matrix product over the modes), a prefix sum over the output basis read at ``r``.
    """
    k, d = spec.k, spec.d
    nax = len(names)
    r_ax, w_ax = names.index("rank"), names.index("width")
    m_idx = widths.astype(int)
    r_idx = ranks.astype(int)
    rshape = [len(ranks) if i == r_ax else 1 for i in range(nax)]
    r_arr = ranks.astype(float).reshape(rshape)
    P = spec.output_energy(student)                 # (k, d) (o_jᵀθ_i)², or None: isotropic
    kept_mask = np.arange(d) < m_idx[:, None]       # (W, d)
    lead_d = (1,) * nax + (d,)

    def mode_sums(coef, kept: bool):
        """Σ over the kept (or dropped) modes of each width: lead shape, W on the width axis."""
        coef = np.broadcast_to(coef, np.broadcast_shapes(np.shape(coef), lead_d))
        zero = np.zeros(coef.shape[:-1] + (1,))
        if kept:
            run = np.concatenate([zero, np.cumsum(coef, axis=-1)], axis=-1)
        else:
            run = np.concatenate([np.cumsum(coef[..., ::-1], axis=-1)[..., ::-1], zero], -1)
        return _onto_axis(np.take(run, m_idx, axis=-1), w_ax)

    def energy_sums(coef, kept: bool):
        """``(Σ ‖Qθ_i‖² C_i, Σ ‖Q⊥θ_i‖² C_i)`` over the kept (dropped) modes, per (r, m)."""
        coef = np.broadcast_to(coef, np.broadcast_shapes(np.shape(coef), lead_d))
        mask = kept_mask if kept else ~kept_mask
        if P is None:   # energy spread evenly: ‖Qθ_i‖² = (r/k) ‖θ_i‖²
            tot = _onto_axis(np.sum(coef[..., None, :] * (mask * spec.energy), axis=-1), w_ax)
            return r_arr / k * tot, (k - r_arr) / k * tot
        G = (coef[..., None, :] * mask) @ P.T                       # (..., W, k)
        zero = np.zeros(G.shape[:-1] + (1,))
        below = np.concatenate([zero, np.cumsum(G, axis=-1)], axis=-1)
        above = np.concatenate([np.cumsum(G[..., ::-1], axis=-1)[..., ::-1], zero], axis=-1)

        def place(x):
            x = np.squeeze(np.take(x, r_idx, axis=-1), axis=(r_ax, w_ax))  # (..., W, R)
            return np.moveaxis(x, (-2, -1), (w_ax, r_ax))
        return place(below), place(above)

    terms = {}
    for regime in ("kept", "dropped"):
        kept = regime == "kept"
        for name, (A, B, C, D) in coefficients(space, student.soft_labels, direction,
                                               "expected", regime, **args).items():
            total = terms.get(name, 0.0)
            if not _is_zero(A):
                total = total + r_arr * mode_sums(A, kept)
            if not _is_zero(B):
                total = total + (k - r_arr) * mode_sums(B, kept)
            if not _is_zero(C):
                total = total + energy_sums(C, kept)[0]
            if not _is_zero(D):
                total = total + energy_sums(D, kept)[1]
            terms[name] = total
    return terms


def _sweep(teacher, student, spec, space, direction, grids, widths, ranks) -> Sweep:
    k, d = spec.k, spec.d
    # internal axes: the requested grids, plus rank and width (dropped at the end if absent)
    names = list(grids) + [a for a in ("rank", "width") if a not in grids]
    nax = len(names)
    r_ax, w_ax = names.index("rank"), names.index("width")
    lead = (1,) * nax

    def place(name, values):
        """``values`` (1-D) on axis ``name``, with a trailing mode axis."""
        shape = [1] * (nax + 1)
        shape[names.index(name)] = len(values)
        return np.asarray(values, dtype=float).reshape(shape)

    def hyper(grid_name, default):
        return place(grid_name, grids[grid_name]) if grid_name in grids else default

    beta_T = hyper("teacher_beta", teacher.beta)
    lambda_T = hyper("teacher_ridge", teacher.ridge)
    s = np.broadcast_to(spec.s, lead + (d,))                           # (..., d)
    if "n" in grids:
        s = place("n", grids["n"] / spec.n) * spec.s                     # s_i = n σ_i
    r = place("rank", ranks)
    inside, outside = spec.split(student, ranks.astype(int))           # (R, d)
    rshape = [len(ranks) if i == r_ax else 1 for i in range(nax)] + [d]
    inside, outside = inside.reshape(rshape), outside.reshape(rshape)
    cv = student.complement_variance
    if "tau2" in grids:
        tau2 = place("tau2", grids["tau2"])
    elif isinstance(cv, str) and cv == "prior":
        tau2 = 1.0 / hyper("ridge", student.ridge)
    elif isinstance(cv, str):       # optimal: depends on (rank, width) and the teacher
        a = np.broadcast_to(beta_T * s + lambda_T, np.broadcast_shapes(
            np.shape(beta_T * s + lambda_T), lead + (d,)))
        tail = np.concatenate([np.cumsum(a[..., ::-1], axis=-1)[..., ::-1],
                               np.zeros(a.shape[:-1] + (1,))], axis=-1)   # Σ_{i>=j} a_i
        perp = _onto_axis(np.take(tail, widths.astype(int), axis=-1), w_ax)[..., None]
        tau2 = optimal_tau2(d, k, place("width", widths), r, perp, tail[..., :1],
                            hyper("ridge", student.ridge))
    else:
        tau2 = cv
    args = dict(s=s, beta_T=beta_T, lambda_T=lambda_T, beta_S=hyper("beta", student.beta),
                lambda_S=hyper("ridge", student.ridge), alpha=hyper("alpha", student.alpha),
                nu=spec.noise, nu_T=hyper("soft_label_noise", student.soft_label_noise),
                tau2=tau2, k=k, r=r)
    soft = student.soft_labels
    tau2_varies = np.ndim(tau2) > 0 and (np.shape(tau2)[w_ax] > 1 or np.shape(tau2)[r_ax] > 1)
    if not tau2_varies:
        terms = _sweep_prefix(space, student, direction, args, spec, widths, ranks, names)
    else:
        # τ² depends on width and rank: evaluate the modes per (rank, width), masked
        kept = mode_terms(space, soft, direction, "expected", "kept", **args,
                          thetaQ2=inside, thetaP2=outside)
        dropped = mode_terms(space, soft, direction, "expected", "dropped", **args,
                             thetaQ2=inside + outside, thetaP2=0.0)
        mask = np.arange(d) < place("width", widths)
        terms = {name: np.sum(np.where(mask, kept[name], dropped[name]), axis=-1)
                 for name in kept}
    # the rank floor depends on the teacher, n, width and rank only
    weight = _teacher_weight(space, beta_T, lambda_T, s, spec.noise)
    weight = np.broadcast_to(weight, np.broadcast_shapes(np.shape(weight), lead + (d,)))
    floor = _expected_floor(spec, weight, widths.astype(int), ranks.astype(int),
                            np.broadcast_to(s, weight.shape))            # (..., W, R)
    floor = np.squeeze(floor, axis=(r_ax, w_ax))
    terms["rank_floor"] = np.moveaxis(floor, (-2, -1), (w_ax, r_ax))
    shape = tuple(len(grids[n]) if n in grids else 1 for n in names)
    terms = {name: np.broadcast_to(val, shape) for name, val in terms.items()}
    slack = terms.pop("convexity_slack", None)
    dec = Decomposition.from_terms(**terms, convexity_slack=slack)
    keep = tuple(len(grids[n]) for n in names if n in grids)
    out = {name: np.array(getattr(dec, name)).reshape(keep) for name in TERMS
           if getattr(dec, name) is not None}
    return Sweep(axes=dict(grids), terms=out)
