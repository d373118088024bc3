"""Fast numeric forms: the per-mode terms, the design in spectral form, the spectral route.

With the ``pca`` basis the divergence is a sum over the eigen-modes of ``XXᵀ`` of per-mode
terms derived by :mod:`lingauss.symbolic` (derivations/spectral.md). This module evaluates
them through the code generated from those derivations (``lingauss/_generated.py``), so it
never imports sympy:

* :func:`mode_terms`, :func:`coefficients` — the generated per-mode pieces, used by
  :func:`lingauss.expected_divergence` (``lingauss/expectation.py``);
* :func:`spectral_route` — the same per-mode forms conditional on a sample (the tests hold
  it equal to the exact engine with the ``pca`` basis);
* the design in spectral form (:class:`Spectral`) and the per-mode coefficients shared with
  :func:`lingauss.sweep` (``lingauss/sweep.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.validation import LingaussError
from lingauss.engine import generated as _generated
from lingauss.engine.divergence import kernel_set_up
from lingauss.engine.eigen import complete, eigen
from lingauss.engine.linalg import eigh, eigvalsh, svdvals
from lingauss.engine.setup import is_pca
from lingauss.model.data import Sample, SpectralDesign
from lingauss.model.options import Direction, Flavour, Regime, Space
from lingauss.model.results import Decomposition
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

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
        The arguments named in ``lingauss.engine.generated.ARGS[flavour]``:
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
    hyper-parameters only (``**args``: at least ``lingauss.engine.generated.COEFF_ARGS``).
    ``"symmetric"`` adds both directions. A vanishing coefficient is the integer 0.
    """
    values = [args[name] for name in _generated.COEFF_ARGS]
    out = {}
    for dr in Direction.parse(direction, "direction").parts:
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
            lam, vecs = eigh(self.theta @ self.theta.T)
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


def teacher_weight(space, beta_T, lambda_T, s, nu):
    """Whitening weight of ``z_i`` in the teacher mean: the rank floor's ``w_i``.

    Parameter space: the column ``β_T z_i / a_i`` whitened by ``1/a_i`` → ``β_T²/a_i``.
    Prediction space: ``√s_i β_T z_i / a_i`` whitened by ``s_i/a_i + ν²``.
    """
    a = beta_T * s + lambda_T
    if Space.parse(space, "space") is Space.PARAMETER:
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
    # E[ŴŴᵀ] on the first m modes = Σ_{i<m} w_i s_i² θ_iθ_iᵀ + noise: prefix sums over the
    # modes of the per-mode k × k outer products, read at every width
    ws = np.asarray(weight) * np.asarray(s) ** 2                      # (..., d)
    outer = spec.theta.T[:, :, None] * spec.theta.T[:, None, :]      # (d, k, k)
    run = np.cumsum(ws[..., :, None, None] * outer, axis=-3)         # (..., d, k, k)
    run = np.concatenate([np.zeros(run.shape[:-3] + (1,) + run.shape[-2:]), run], axis=-3)
    sig = np.take(run, widths, axis=-3)                              # (..., W, k, k)
    lam = eigvalsh(sig) + noise_part[..., None]                      # (..., W, k) ascending
    lam = np.maximum(lam, 0.0)
    low = np.concatenate([np.zeros(lam.shape[:-1] + (1,)), np.cumsum(lam, axis=-1)], axis=-1)
    return 0.5 * low[..., spec.k - ranks]


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
        """Arguments of the per-mode forms (``lingauss.engine.generated.ARGS[flavour]``) by name."""
        regime = Regime.parse(regime, "regime")
        cut = slice(None, self.m) if regime is Regime.KEPT else slice(self.m, None)
        expected = Flavour.parse(self.flavour, "flavour") is Flavour.EXPECTED
        q2, p2 = ("thetaQ2", "thetaP2") if expected else ("zQ2", "zP2")
        inside, outside = self.inside[cut], self.outside[cut]
        if regime is Regime.DROPPED:     # all k rows are complement rows: ‖θ_i‖² = ‖Qθ_i‖² + ‖Q⊥θ_i‖²
            inside, outside = inside + outside, np.zeros_like(outside)
        return dict(s=self.s[cut], beta_T=teacher.beta, lambda_T=teacher.ridge,
                    beta_S=student.beta, lambda_S=student.ridge, alpha=student.alpha,
                    nu=self.nu, nu_T=student.soft_label_noise, tau2=self.tau2, k=self.k,
                    r=self.r, **{q2: inside, p2: outside})


def sum_modes(teacher, student, inputs: ModeInputs, space, direction) -> dict:
    """Terms summed over kept modes ``i < m`` and dropped modes ``i >= m``."""
    out = {}
    for regime in Regime:
        for name, val in mode_terms(space, student.soft_labels, direction, inputs.flavour,
                                    regime, **inputs.args(teacher, student, regime)).items():
            out[name] = out.get(name, 0.0) + float(np.sum(val))
    return out


def conditional_inputs(teacher: Teacher, student: Student, sample: Sample, space: str,
                       direction: str = "forward") -> tuple[ModeInputs, float]:
    """Per-mode inputs given a sample (``pca`` basis; any rank rule), and the rank floor.

    ``z_i = Y Xᵀ u_i``; the projector and ``τ²`` are the exact engine's
    (:func:`lingauss.engine.divergence.kernel_set_up`: the same set-up, the same rules).
    """
    if not is_pca(student):
        raise LingaussError("the spectral route needs basis == 'pca'.")
    space = Space.parse(space, "space")
    st, tau2 = kernel_set_up(teacher, student, sample, space=space, direction=direction)
    s, z, a, k, m, r = st.eig.s, st.z, st.a, st.k, st.m, st.r
    zo = (st.O.T @ z) ** 2                                            # (k, d)
    nu = sample.noise if space is Space.PREDICTION else 0.0
    inputs = ModeInputs("conditional", s, np.sum(zo[:r], axis=0), np.sum(zo[r:], axis=0),
                        k, m, r, tau2, nu)
    M_T = st.M_T                                                      # (k, d)
    if space is Space.PARAMETER:
        floor = whitened_floor(M_T[:, :m], 1.0 / a[:m], r)
    else:
        p = min(m, st.eig.rho)
        floor = whitened_floor(M_T[:, :p] * np.sqrt(s[:p]), s[:p] / a[:p] + nu ** 2, r)
    return inputs, floor


def whitened_floor(mean, var, r: int) -> float:
    """``½ Σ_{j>r} σ_j²`` of ``mean`` (k, p) with its columns whitened by ``var`` (p,)."""
    if mean.shape[1] == 0:
        return 0.0
    sig = svdvals(mean / np.sqrt(var))
    return 0.5 * float(np.sum(sig[r:] ** 2))


def spectral_route(teacher: Teacher, student: Student, sample: Sample, *,
                   space: str = "parameter", direction: str = "forward") -> Decomposition:
    """The spectral route conditional on a sample: the derived conditional per-mode forms
    at :func:`conditional_inputs`, summed over the modes (``pca`` basis)."""
    inputs, floor = conditional_inputs(teacher, student, sample, space, direction)
    terms = sum_modes(teacher, student, inputs, space, direction)
    slack = terms.pop("convexity_slack", None)
    return Decomposition.from_terms(**terms, rank_floor=floor, convexity_slack=slack)


