"""The divergence averaged over the label noise, ``E_Y K_n`` (:func:`expected_divergence`).

Closed form (derivations/spectral.md) when the student's output projector is fixed and its
basis is ``"pca"`` — a sum over eigen-modes of the per-mode terms of :mod:`lingauss.numeric`;
Monte Carlo over label draws through the exact engine otherwise, with standard errors.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.estimate import Drawn, estimates, means_and_errors
from lingauss._core.memo import remembering
from lingauss._core.progress import progress
from lingauss._core.resources import check_memory, engine_bytes
from lingauss._core.threads import blas_threads
from lingauss._core.validation import LingaussError, check_finite, numerics
from lingauss.averages.inputs import expected_over_inputs, needs_draws
from lingauss.engine.divergence import divergence
from lingauss.engine.gram import GramFactors, output_bases, tau2_rule
from lingauss.engine.setup import is_pca
from lingauss.engine.spectral import ModeInputs, expected_floor, spectral, sum_modes, teacher_weight
from lingauss.model.checks import (check_design, check_draws, check_objects, check_space_direction,
                                   problem_sizes)
from lingauss.model.data import Sample, SpectralDesign
from lingauss.model.options import Direction, RankRule, Space, complement_variance, is_optimal_tau2
from lingauss.model.random_design import RandomDesign
from lingauss.model.results import TERMS, Decomposition
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher


def closed_form_obstacle(student: Student, direction: str = "forward",
                         subject: str = "the expected divergence") -> tuple | None:
    """``(reason, remedy)`` when an expectation over the label noise has no closed form for
    this student, else None. Callers add the remedies of their own (Monte Carlo)."""
    if student.rank_rule is RankRule.OPTIMAL:
        return (f"rank_rule == 'optimal' depends on the labels, so {subject} has no closed "
                f"form", "use rank_rule='oracle' or a fixed (k, r) matrix")
    if not is_pca(student):
        shown = "a matrix" if isinstance(student.basis, np.ndarray) else repr(student.basis)
        return (f"basis == {shown} does not diagonalise the kernels, so {subject} has no "
                f"closed form", "use basis='pca'")
    direction = Direction.parse(direction, "direction")
    if is_optimal_tau2(student.complement_variance) and direction is not Direction.FORWARD:
        return (f"complement_variance == 'optimal' minimises the {direction} divergence of "
                f"each sample, which depends on the labels, so {subject} has no closed form",
                "use direction='forward' or a fixed complement_variance")
    return None


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
    ridge = np.asarray(ridge, dtype=float)
    tau2 = complement_variance(rule, ridge=ridge, optimal=lambda: _optimal_tau2(
        ridge=ridge, beta_T=beta_T, lambda_T=lambda_T, s=s, k=k, m=m, r=r, space=space, nu=nu))
    return np.asarray(tau2, dtype=float)[..., None] if np.ndim(tau2) == 0 else tau2


def _optimal_tau2(*, ridge, beta_T, lambda_T, s, k: int, m, r, space, nu):
    """The forward minimiser of :func:`expected_tau2` (parameter or prediction space)."""
    s = np.asarray(s, dtype=float)
    d = s.shape[-1]
    a = beta_T * s + lambda_T
    kept = np.arange(d) < m
    if Space.parse(space, "space") is Space.PARAMETER:
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
    design : Sample, SpectralDesign or RandomDesign
        Fixed inputs with ``W_star`` and ``noise``, or a spectrum (see
        :class:`lingauss.SpectralDesign`; Monte Carlo uses ``X = diag(√s_i)`` and
        ``W⋆ = Θ``, so a user basis is read in eigen coordinates), or random inputs
        (:class:`lingauss.RandomDesign`: ``monte_carlo=N`` input draws, each with the closed
        form over the labels where it exists, else one label draw through the exact engine).
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
    space, direction = check_space_direction(space, direction)
    if isinstance(design, RandomDesign):                        # Monte Carlo over X as well
        return divergence_over_inputs(teacher, student, design, space=space,
                                      direction=direction, monte_carlo=monte_carlo, seed=seed)
    monte_carlo, seed = check_draws(monte_carlo, seed)
    if monte_carlo is not None:
        check_design(design, truth=True, noise=True, space=space, what="a Monte Carlo "
                     "expectation over the label noise")
        if isinstance(design, SpectralDesign) and design.signal.ndim == 1:
            raise LingaussError(
                "design.signal has shape (d,) (energies only): Monte Carlo draws labels and "
                "needs the vectors θ_i, a (k, d) signal.")
        student.resolve(design.d, design.k)
        sizes = problem_sizes(teacher, student, design)
        with numerics("the Monte Carlo expectation", sizes):
            dec = _monte_carlo(teacher, student, design, space, direction, monte_carlo, seed)
        check_finite({**dec.as_dict()}, "the Monte Carlo expectation", sizes)
        return dec
    obstacle = closed_form_obstacle(student, direction)
    if obstacle:
        reason, remedy = obstacle
        mc = (" to average the exact divergence over N label draws"
              if reason.startswith("rank_rule") else "")
        raise LingaussError.named("monte_carlo", "{reason}: pass {parameter:set}{mc}, or {remedy}.",
                                  reason=reason, mc=mc, remedy=remedy)
    check_design(design, truth=True, noise=True, space=space,
                 what="an expectation over the label noise")
    m, r = student.resolve(design.d, design.k)
    sizes = problem_sizes(teacher, student, design)
    with numerics("the expected divergence", sizes):
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
    check_finite(dec.as_dict(), "the expected divergence", sizes)
    return dec


#: Label draws evaluated together by the batched (Gram) route.
BLOCK = 64


def _monte_carlo(teacher, student, design, space, direction, draws, seed) -> Decomposition:
    """Mean and standard error of the exact divergence over ``draws`` label draws.

    The inputs are paid for once: in parameter space with a general basis the Gram matrix
    and the Cholesky factors are built once and blocks of :data:`BLOCK` draws go through
    matrix products together (``lingauss/_gram.py``); otherwise every draw shares the
    inputs' eigen-decomposition (cached by the set-up), and within the loop what depends on
    ``X`` alone — the completed width basis, the prediction-space frame, the covariances'
    factors — is computed for the first draw and reused (``lingauss._memo``). A progress
    bar shows on a terminal, and Ctrl-C stops the loop (KeyboardInterrupt).
    """
    rng = np.random.default_rng(seed)
    n = getattr(design, "n", None) or design.d
    batched = space is Space.PARAMETER and not is_pca(student)
    # draw by draw, what is reused holds about 20 d × d arrays (lingauss._memo)
    check_memory(engine_bytes(design.d, n, design.k) + 8.0 * 6 * BLOCK * design.k
                 * (design.d + n) + (0.0 if batched else 8.0 * 20 * design.d ** 2),
                 "a Monte Carlo draw of the exact divergence", {"d": design.d, "k": design.k})
    if isinstance(design, SpectralDesign):
        X = np.diag(np.sqrt(design.eigenvalues))                     # (d, d) eigen coords
        W_star = design.signal
    else:
        X, W_star = design.X, design.W_star
    X = np.array(X)
    X.setflags(write=False)                                          # one cached eigen
    mean = W_star @ X                                                # (k, n)
    if batched:
        m, r = student.resolve(X.shape[0], mean.shape[0])
        B = student.basis if isinstance(student.basis, np.ndarray) else \
            np.eye(X.shape[0])[:, :m]
        with blas_threads(X.shape[0]), np.errstate(all="ignore"):
            factors = GramFactors.build(teacher, student, X, B, direction=direction)
    rows = []
    blocks = [min(BLOCK, draws - start) for start in range(0, draws, BLOCK)]
    with remembering():                  # what depends on X alone is computed once
        for size in progress(blocks, desc="Monte Carlo draws (blocks)"):
            Ys = mean + design.noise * rng.standard_normal((size,) + mean.shape)
            if batched:
                rows += _block(teacher, student, factors, X, Ys, W_star, design.noise, r,
                               direction)
                continue
            for Y in Ys:
                smp = Sample(X, Y, W_star=W_star, noise=design.noise)
                rows.append(divergence(teacher, student, smp, space=space,
                                       direction=direction).as_dict())
    names = [name for name in TERMS if name in rows[0]]
    mean_, stderr = means_and_errors(estimates(rows, drawn=Drawn.LABELS, names=names))
    return Decomposition(**mean_, stderr=stderr)


def _block(teacher, student, factors, X, Ys, W_star, noise, r, direction) -> list:
    """The terms of a block of draws through the Gram route; a draw whose trace/log-det
    sums cancelled is recomputed by the exact engine (eigen route)."""
    with blas_threads(X.shape[0]), np.errstate(all="ignore"):
        means = factors.means(teacher, student, Ys)
        O = output_bases(student, r, means[2], W_star)
        terms = factors.terms(means, O, r, tau2_rule(student, direction), direction,
                              student.soft_labels.sampled)
    out = []
    for i, Y in enumerate(Ys):
        if terms["cancelled"][i]:
            out.append(divergence(teacher, student, Sample(X, Y, W_star=W_star, noise=noise),
                                  direction=direction).as_dict())
            continue
        dec = Decomposition.from_terms(
            bias=float(terms["bias"][i]), variance=float(terms["variance"][i]),
            bottleneck_mean=float(terms["bottleneck_mean"][i]),
            bottleneck_covariance=float(terms["bottleneck_covariance"][i]),
            rank_floor=float(terms["rank_floor"][i]),
            convexity_slack=float(terms["convexity_slack"][i]) if "convexity_slack" in terms
            else None)
        out.append(dec.as_dict())
    return out


def divergence_over_inputs(teacher, student, design, *, space, direction, monte_carlo,
                           seed):
    """``E_{X,Y} K_n`` by Monte Carlo over input draws: per draw the closed form over the labels
    (``expected_divergence`` of the sample) when it exists, else the exact divergence of one
    label draw. Returns a :class:`lingauss.Decomposition` with ``stderr``."""
    monte_carlo, seed = needs_draws(monte_carlo, seed, "the divergence",
                                     "deterministic_divergence")
    if space is Space.PREDICTION and design.noise == 0:
        raise LingaussError("design.noise == 0, must be > 0 when space == 'prediction' (the "
                            "label channel WX + νE needs noise).")
    student.resolve(design.d, design.k)
    closed = closed_form_obstacle(student, direction) is None
    route = expected_divergence if closed else divergence

    def one(sample, rng):
        return route(teacher, student, sample, space=space, direction=direction).as_dict()

    mean, se = expected_over_inputs(one, design, monte_carlo, seed,
                                    desc="divergence: input draws")
    names = [name for name in TERMS if name in mean]
    return Decomposition(**{n: mean[n] for n in names}, stderr={n: se[n] for n in names})
