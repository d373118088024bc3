"""Fast numeric forms: expected divergences, the spectral route, vectorised sweeps.

With the ``pca`` basis the divergence is a sum over the eigen-modes of ``XXᵀ`` of per-mode
terms derived by :mod:`lingauss.symbolic` (derivations/spectral.md). This module evaluates
them through the code generated from those derivations (``lingauss/_generated.py``), so it
never imports sympy:

* :func:`expected_divergence` — the divergence averaged over the label noise: closed form for
  a fixed output projector, Monte Carlo over label draws (through the exact engine
  :func:`lingauss.divergence`) otherwise;
* :func:`spectral_route` — the same per-mode forms conditional on a sample (the tests hold
  it equal to the exact engine with the ``pca`` basis);
* the design in spectral form (:class:`Spectral`) and the per-mode coefficients shared with
  :func:`lingauss.sweep` (``lingauss/sweep.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _generated
from ._checks import (check_design, check_draws, check_objects, check_space_direction,
                      problem_sizes)
from ._problem import complete, eigen, is_pca
from ._progress import progress
from ._resources import check_memory, engine_bytes
from ._validation import LingaussError, check_finite
from .divergence import TERMS, Decomposition, divergence, kernel_set_up
from .model import Sample, SpectralDesign, Student, Teacher


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
        val = sum((m * cf for m, cf in zip(mult, coeffs) if not is_zero(cf)), 0.0)
        out[name] = np.broadcast_to(val, np.broadcast_shapes(np.shape(val),
                                                             np.shape(args["s"])))
    return out


def is_zero(coefficient) -> bool:
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
            out[name] = tuple(b if is_zero(a) else a if is_zero(b) else a + b
                              for a, b in zip(old, coeffs))
    return out


# --------------------------------------------------------------------------------------------
# The problem in spectral form
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spectral:
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
            O = complete(student.rank_rule)                         # (k, k) [Q, Q⊥]
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


def spectral(design) -> Spectral:
    """A :class:`Sample` (with ``W_star``) or a :class:`SpectralDesign` in spectral form."""
    if isinstance(design, SpectralDesign):
        theta = design.signal if design.signal.ndim == 2 else None
        return Spectral(design.eigenvalues, theta, design.signal_energy, design.noise,
                        design.k, design.n)
    eig = eigen(design.X)
    theta = design.W_star @ eig.U                                   # (k, d) θ_i = W⋆u_i
    return Spectral(eig.s, theta, np.sum(theta ** 2, axis=0), design.noise, design.k,
                    design.n)


def as_sample(design: SpectralDesign, rng) -> Sample:
    """A sample with ``XXᵀ = diag(s)`` (eigen coordinates) and ``W⋆ = Θ``, fresh labels."""
    X = np.diag(np.sqrt(design.eigenvalues))                        # (d, d)
    Y = design.signal @ X + design.noise * rng.standard_normal((design.k, design.d))
    return Sample(X, Y, W_star=design.signal, noise=design.noise)


def closed_form_obstacle(student: Student, direction: str = "forward",
                         subject: str = "the expected divergence") -> tuple | None:
    """``(reason, remedy)`` when an expectation over the label noise has no closed form for
    this student, else None. Callers add the remedies of their own (Monte Carlo)."""
    if isinstance(student.rank_rule, str) and student.rank_rule == "optimal":
        return (f"rank_rule == 'optimal' depends on the labels, so {subject} has no closed "
                f"form", "use rank_rule='oracle' or a fixed (k, r) matrix")
    if not is_pca(student):
        shown = "a matrix" if isinstance(student.basis, np.ndarray) else repr(student.basis)
        return (f"basis == {shown} does not diagonalise the kernels, so {subject} has no "
                f"closed form", "use basis='pca'")
    if student.complement_variance == "optimal" and direction != "forward":
        return (f"complement_variance == 'optimal' minimises the {direction} divergence of "
                f"each sample, which depends on the labels, so {subject} has no closed form",
                "use direction='forward' or a fixed complement_variance")
    return None


def teacher_weight(space, beta_T, lambda_T, s, nu):
    """Whitening weight of ``z_i`` in the teacher mean: the rank floor's ``w_i``.

    Parameter space: the column ``β_T z_i / a_i`` whitened by ``1/a_i`` → ``β_T²/a_i``.
    Prediction space: ``√s_i β_T z_i / a_i`` whitened by ``s_i/a_i + ν²``.
    """
    a = beta_T * s + lambda_T
    if space == "parameter":
        return beta_T ** 2 / a
    return s * beta_T ** 2 / (a * (s + nu ** 2 * a))


def expected_floor(spec: Spectral, weight, widths, ranks, s) -> np.ndarray:
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

def expected_tau2(rule, *, ridge, beta_T, lambda_T, s, k: int, m, r, space: str, nu):
    """``τ²`` of a closed-form expectation; broadcasts (the mode axis of ``s`` is last, and
    ``m``, ``r`` and the hyper-parameters carry a trailing axis of length 1).

    ``rule`` is the student's ``complement_variance``: ``"prior"`` (``1/λ_S``) and numbers as
    given; ``"optimal"`` the forward minimiser, which depends on the inputs only
    (:func:`closed_form_obstacle` refuses the other directions): in parameter space
    ``dim 𝒞 / tr(teacher precision on 𝒞)``; in prediction space the root of
    ``Σ_c s_c (1/t_c − 1/(ν² + τ² s_c)) = 0`` over the complement coordinates ``c``
    (``t_c = s_c/a_c + ν²``), found by bisection between the smallest and largest ``1/a_c``
    (each coordinate's own optimum, so the root lies between them). Returns the trailing
    axis of length 1.
    """
    if not isinstance(rule, str):
        return np.asarray(rule, dtype=float)[..., None] if np.ndim(rule) == 0 else rule
    if rule == "prior":
        return 1.0 / np.asarray(ridge, dtype=float)[..., None] if np.ndim(ridge) == 0 \
            else 1.0 / ridge
    s = np.asarray(s, dtype=float)
    d = s.shape[-1]
    a = beta_T * s + lambda_T
    kept = np.arange(d) < m
    ridge = np.asarray(ridge, dtype=float)
    if space == "parameter":
        N = r * (d - m) + (k - r) * d
        T = np.sum(np.where(kept, (k - r) * a, k * a), axis=-1, keepdims=True)
        return np.where(N == 0, 1.0 / ridge, N / np.where(T > 0, T, 1.0))
    mult = np.where(kept, k - r, k) * (s > 0)                       # complement rows per mode
    t = s / a + nu ** 2

    def slope(x):
        return np.sum(mult * s * (1.0 / t - 1.0 / (nu ** 2 + x * s)), axis=-1, keepdims=True)

    inv = np.broadcast_to(1.0 / a, np.broadcast_shapes(np.shape(a), np.shape(mult)))
    active = np.broadcast_to(mult > 0, inv.shape)
    lo = np.min(np.where(active, inv, np.inf), -1, keepdims=True)
    hi = np.max(np.where(active, inv, 0.0), -1, keepdims=True)
    shape = np.broadcast_shapes(lo.shape, slope(1.0).shape)
    lo, hi = np.broadcast_to(lo, shape).copy(), np.broadcast_to(hi, shape).copy()
    empty = ~np.isfinite(lo)
    lo[empty], hi[empty] = 1.0, 1.0
    for _ in range(200):                                            # bisection on log τ²
        mid = np.sqrt(lo * hi)
        up = slope(mid) > 0
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
        if np.all(hi <= lo * (1 + 4 * np.finfo(float).eps)):
            break
    return np.where(empty, 1.0 / ridge, np.sqrt(lo * hi))


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


def sum_modes(teacher, student, inputs: ModeInputs, space, direction) -> dict:
    """Terms summed over kept modes ``i < m`` and dropped modes ``i >= m``."""
    out = {}
    for regime in ("kept", "dropped"):
        for name, val in mode_terms(space, student.soft_labels, direction, inputs.flavour,
                                    regime, **inputs.args(teacher, student, regime)).items():
            out[name] = out.get(name, 0.0) + float(np.sum(val))
    return out


def conditional_inputs(teacher: Teacher, student: Student, sample: Sample, space: str,
                       direction: str = "forward") -> tuple[ModeInputs, float]:
    """Per-mode inputs given a sample (``pca`` basis; any rank rule), and the rank floor.

    ``z_i = Y Xᵀ u_i``; the projector and ``τ²`` are the exact engine's
    (:func:`lingauss.divergence.kernel_set_up`: the same set-up, the same rules).
    """
    if not is_pca(student):
        raise LingaussError("the spectral route needs basis == 'pca'.")
    st, tau2 = kernel_set_up(teacher, student, sample, space=space, direction=direction)
    s, z, a, k, m, r = st.eig.s, st.z, st.a, st.k, st.m, st.r
    zo = (st.O.T @ z) ** 2                                            # (k, d)
    nu = sample.noise if space == "prediction" else 0.0
    inputs = ModeInputs("conditional", s, np.sum(zo[:r], axis=0), np.sum(zo[r:], axis=0),
                        k, m, r, tau2, nu)
    M_T = st.M_T                                                      # (k, d)
    if space == "parameter":
        floor = whitened_floor(M_T[:, :m], 1.0 / a[:m], r)
    else:
        p = min(m, st.eig.rho)
        floor = whitened_floor(M_T[:, :p] * np.sqrt(s[:p]), s[:p] / a[:p] + nu ** 2, r)
    return inputs, floor


def whitened_floor(mean, var, r: int) -> float:
    """``½ Σ_{j>r} σ_j²`` of ``mean`` (k, p) with its columns whitened by ``var`` (p,)."""
    if mean.shape[1] == 0:
        return 0.0
    sig = np.linalg.svd(mean / np.sqrt(var), compute_uv=False)
    return 0.5 * float(np.sum(sig[r:] ** 2))


def spectral_route(teacher: Teacher, student: Student, sample: Sample, *,
                   space: str = "parameter", direction: str = "forward") -> Decomposition:
    """The spectral route conditional on a sample: the derived conditional per-mode forms
    at :func:`conditional_inputs`, summed over the modes (``pca`` basis)."""
    inputs, floor = conditional_inputs(teacher, student, sample, space, direction)
    terms = sum_modes(teacher, student, inputs, space, direction)
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
    lingauss.LingaussError: rank_rule == 'optimal' depends on the labels, so the expected divergence has no closed form: pass monte_carlo=N to average the exact divergence over N label draws, or use rank_rule='oracle' or a fixed (k, r) matrix.
    """
    check_objects(teacher, student)
    check_space_direction(space, direction)
    monte_carlo, seed = check_draws(monte_carlo, seed)
    if monte_carlo is not None:
        check_design(design, truth=True, noise=True, space=space, what="a Monte Carlo "
                     "expectation over the label noise")
        if isinstance(design, SpectralDesign) and design.signal.ndim == 1:
            raise LingaussError(
                "design.signal has shape (d,) (energies only): Monte Carlo draws labels and "
                "needs the vectors θ_i, a (k, d) signal.")
        student.resolve(design.d, design.k)
        return _monte_carlo(teacher, student, design, space, direction, monte_carlo, seed)
    obstacle = closed_form_obstacle(student, direction)
    if obstacle:
        reason, remedy = obstacle
        mc = (" to average the exact divergence over N label draws"
              if reason.startswith("rank_rule") else "")
        raise LingaussError(f"{reason}: pass monte_carlo=N{mc}, or {remedy}.")
    check_design(design, truth=True, noise=True, space=space,
                 what="an expectation over the label noise")
    m, r = student.resolve(design.d, design.k)
    with np.errstate(all="ignore"):
        spec = spectral(design)
        inside, outside = spec.split(student, [r])
        nu = spec.noise
        tau2 = float(np.squeeze(expected_tau2(
            student.complement_variance, ridge=student.ridge, beta_T=teacher.beta,
            lambda_T=teacher.ridge, s=spec.s, k=spec.k, m=m, r=r, space=space, nu=nu)))
        inputs = ModeInputs("expected", spec.s, inside[0], outside[0], spec.k, m, r, tau2, nu)
        terms = sum_modes(teacher, student, inputs, space, direction)
        weight = teacher_weight(space, teacher.beta, teacher.ridge, spec.s, nu)
        floor = float(expected_floor(spec, weight, [m], [r], spec.s)[0, 0])
    slack = terms.pop("convexity_slack", None)
    dec = Decomposition.from_terms(**terms, rank_floor=floor, convexity_slack=slack)
    check_finite(dec.as_dict(), "the expected divergence",
                 problem_sizes(teacher, student, design))
    return dec


def _monte_carlo(teacher, student, design, space, direction, draws, seed) -> Decomposition:
    """Mean and standard error of the exact divergence over ``draws`` label draws.

    Every draw shares the inputs (and so their decomposition, cached by the set-up); a
    progress bar shows on a terminal, and Ctrl-C stops the loop (KeyboardInterrupt).
    """
    rng = np.random.default_rng(seed)
    check_memory(engine_bytes(design.d, getattr(design, "n", None) or design.d, design.k),
                 "a Monte Carlo draw of the exact divergence",
                 {"d": design.d, "k": design.k})
    if isinstance(design, SpectralDesign):
        X = np.diag(np.sqrt(design.eigenvalues))                     # (d, d) eigen coords
        W_star = design.signal
    else:
        X, W_star = design.X, design.W_star
    X = np.array(X)
    X.setflags(write=False)                                          # one cached eigen
    mean = W_star @ X                                                # (k, n)
    rows = []
    for _ in progress(range(draws), desc="Monte Carlo draws"):
        Y = mean + design.noise * rng.standard_normal(mean.shape)
        smp = Sample(X, Y, W_star=W_star, noise=design.noise)
        rows.append(divergence(teacher, student, smp, space=space, direction=direction)
                    .as_dict())
    names = [name for name in TERMS if name in rows[0]]
    values = {name: np.array([row[name] for row in rows]) for name in names}
    mean_ = {name: float(np.mean(x)) for name, x in values.items()}
    stderr = {name: float(np.std(x, ddof=1) / np.sqrt(draws)) for name, x in values.items()}
    return Decomposition(**mean_, stderr=stderr)
