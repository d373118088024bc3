"""The risk of a kernel against the truth (docs/model.md §7), for a teacher, a student or any
generation of a chain.

For a kernel with mean ``M`` and row covariances ``C_j`` the excess risk is

* fixed design (fresh labels at the same inputs): ``(1/n)‖(M − W⋆)X‖²`` for the estimator
  ``"mean"``, plus ``(1/n) Σ_j tr(XᵀC_jX)`` for a posterior draw (``"gibbs"``);
* population (inputs ``x ~ N(0, Σ)``): ``tr((M − W⋆)Σ(M − W⋆)ᵀ)``, plus ``Σ_j tr(C_jΣ)``,

expected over the label noise in closed form and split as ``bias² + variance`` (the
posterior draw's spread, ``posterior``, is part of the variance). Three routes, held equal by
the tests: the *spectral* closed form (``pca`` bases, fixed projectors, ``Σ`` diagonal in
the sample's eigenbasis: per-mode filters from ``lingauss._generated_chains``), the
*structured* closed form (fixed projectors, any basis and ``Σ``: the mean is a sum of
``P_h z N_h`` over the chain's paths, ``z`` the label statistic), and Monte Carlo over label
draws for the ``optimal`` rank rule (whose projector depends on the labels).
"""

from __future__ import annotations

import numpy as np

from lingauss._core.estimate import Drawn, Estimate
from lingauss._core.progress import progress
from lingauss._core.validation import LingaussError, check_array, check_finite, numerics
from lingauss.averages.inputs import expected_over_inputs, needs_draws
from lingauss.engine import generated_chains as gen
from lingauss.engine.eigen import eigen
from lingauss.engine.generations import Lineage
from lingauss.engine.kernels import classes_of
from lingauss.engine.setup import is_pca
from lingauss.engine.spectral import spectral
from lingauss.model.checks import check_design, check_draws, check_objects, problem_sizes
from lingauss.model.data import Sample, SpectralDesign
from lingauss.model.options import Estimator, RankRule, RiskKind
from lingauss.model.random_design import RandomDesign
from lingauss.model.results import Risk
from lingauss.model.student import Student

# A covariance Σ is symmetric and PSD to this multiple of its largest entry (rounding).
COVARIANCE_RTOL = 1e-10


def risk(teacher, student=None, design=None, *, kind: str = "fixed", estimator: str = "mean",
         covariance=None, monte_carlo: int | None = None, seed: int | None = None) -> Risk:
    """The excess risk of the student (or of the teacher, ``student=None``), expected over the
    label noise (docs/model.md §7).

    Parameters
    ----------
    teacher : Teacher
    student : Student, optional
        ``None``: the teacher's own risk.
    design : Sample, SpectralDesign or RandomDesign
        A sample with ``W_star`` and ``noise`` (its inputs are the fixed design), a
        spectrum (``s_i``, ``θ_i``; population risk reads ``σ_i = s_i / n``, so ``n`` is
        needed), or random inputs ``X ~ N(0, Σ)`` (:class:`lingauss.RandomDesign`:
        ``monte_carlo=N`` input draws, each with the closed form over the labels).
    kind : {"fixed", "population"}
        Fresh labels at the same inputs, or fresh inputs ``x ~ N(0, Σ)``.
    estimator : {"mean", "gibbs"}
        The kernel's mean, or a draw from it.
    covariance : array of shape (d, d), optional
        ``Σ`` of the population risk of a sample (required there; a spectral design implies
        ``diag(σ_i)``).
    monte_carlo, seed
        Label draws for the ``"optimal"`` rank rule (required there), or input draws for a
        :class:`lingauss.RandomDesign` (required there), and their seed.

    Returns
    -------
    Risk

    Examples
    --------
    >>> from lingauss import Sample, Student, Teacher
    >>> from lingauss import risk
    >>> sample = Sample.synthetic(d=6, k=2, n=20, noise=0.5, seed=0)
    >>> t = risk(Teacher(2.0, 1.0), None, sample)
    >>> s = risk(Teacher(2.0, 1.0), Student(2.0, 1.0, alpha=1.0), sample)
    >>> bool(abs(t.total - s.total) < 1e-12)      # the student is the teacher
    True
    """
    check_objects(teacher, student, student_required=False)
    if student is None:
        chain, g = Lineage(teacher, [_identity_student(teacher)]), 0
    else:
        chain, g = Lineage(teacher, [student]), 1
    return chain_risk(chain, g, design, kind=kind, estimator=estimator, covariance=covariance,
                      monte_carlo=monte_carlo, seed=seed)


def _identity_student(teacher):
    return Student(teacher.beta, teacher.ridge, alpha=1.0)


def design_weights(design, kind: str, covariance):
    """``(s, Θ, Σ_e, n)`` in eigen coordinates: the eigenvalues, the truth, the risk's input
    covariance (``diag(s)/n`` for fixed design) and ``n``."""
    spec = spectral(design)
    n = design.n
    if RiskKind.parse(kind, "kind") is RiskKind.FIXED:
        if n is None:
            raise LingaussError("fixed-design risk of a SpectralDesign needs its n "
                                "(the weights are s_i / n): design.n is None.")
        return spec, np.diag(spec.s / n)
    if covariance is not None:
        if isinstance(design, SpectralDesign):
            raise LingaussError("Ambiguous arguments: a SpectralDesign implies its population "
                                "covariance diag(s_i / n); do not give covariance.")
        cov = check_array(covariance, "covariance", ndim=2,
                          shape=((design.d, "d"), (design.d, "d")))
        top = float(np.max(np.abs(cov)))
        asym = float(np.max(np.abs(cov - cov.T)))
        if asym > COVARIANCE_RTOL * max(1.0, top):
            raise LingaussError(f"covariance is not symmetric (max |Σ − Σᵀ| == {asym:.3g}), "
                                f"must be a population covariance Σ (d, d).")
        low = float(np.min(np.linalg.eigvalsh(0.5 * (cov + cov.T))))
        if low < -COVARIANCE_RTOL * top:
            raise LingaussError(f"covariance has a negative eigenvalue ({low:.3g}), must be "
                                f"positive semi-definite (a population covariance Σ (d, d)).")
        U = eigen(design.X).U
        return spec, U.T @ cov @ U
    if n is None:
        raise LingaussError("population risk of a SpectralDesign needs its n "
                            "(σ_i = s_i / n): design.n is None.")
    if isinstance(design, Sample):
        raise LingaussError("population risk of a Sample needs Σ: covariance is None; pass "
                            "covariance=Σ (d, d), or kind='fixed' for fresh labels at the same "
                            "inputs.")
    return spec, np.diag(spec.s / n)


def label_design(design):
    """A sample in eigen coordinates whose inputs are the design's (noise-free labels)."""
    if isinstance(design, Sample):
        return design
    X = np.diag(np.sqrt(design.eigenvalues))
    return Sample(X, design.signal @ X, W_star=design.signal, noise=design.noise)


def chain_risk(chain, g: int, design, *, kind: str, estimator: str, covariance=None,
               monte_carlo=None, seed=None, route: str = "auto") -> Risk:
    """The risk of generation ``g`` of ``chain`` (see :func:`risk`); ``route`` forces the
    ``"spectral"`` or ``"structured"`` closed form (for the tests that hold them equal)."""
    if isinstance(design, RandomDesign):                        # Monte Carlo over X
        return risk_over_inputs(chain, g, design, kind=kind, estimator=estimator,
                                covariance=covariance, monte_carlo=monte_carlo, seed=seed)
    kind, estimator = RiskKind.parse(kind, "kind"), Estimator.parse(estimator, "estimator")
    check_design(design, truth=True, noise=True, what="the risk")
    if isinstance(design, SpectralDesign) and design.signal.ndim == 1:
        raise LingaussError("design.signal has shape (d,) (energies only): the risk splits θ_i "
                            "by output rows; give the vectors θ_i as a (k, d) signal.")
    if covariance is not None and kind is RiskKind.FIXED:
        raise LingaussError("covariance is set but kind == 'fixed': fixed-design risk uses "
                            "the sample's inputs; pass kind='population'.")
    optimal = label_dependent(chain.students[:g], design.d, design.k)
    monte_carlo, seed = check_draws(
        monte_carlo, seed, required=optimal,
        why="rank_rule == 'optimal' depends on the labels, so the expected risk has no closed "
            "form: pass {parameter:set} to average over N label draws, or use "
            "rank_rule='oracle' or a fixed (k, r) matrix.")
    sizes = problem_sizes(chain.teacher, chain.students[-1], design)
    with numerics("the risk", sizes):
        spec, cov = design_weights(design, kind, covariance)
        sample = label_design(design)
        if monte_carlo is None and route in ("auto", "spectral") and \
                spectral_eligible(chain, g, design, kind, covariance):
            out = _spectral_closed_form(chain, g, sample, spec, cov, estimator)
        elif monte_carlo is None:
            out = _closed_form(chain, g, sample, spec, cov, estimator)
        else:
            out = _monte_carlo(chain, g, sample, spec, cov, estimator, monte_carlo, seed)
        result = Risk.from_terms(**out, kind=kind, estimator=estimator)
    check_finite(result.as_dict(), "the risk", sizes)
    return result


def sources(chain, g: int, kernels, s) -> list:
    """``[(P_j, N_j)]`` for ``j = 0..g``: generation ``g``'s mean is ``Σ_j ω_j P_j z N_j``
    (eigen coordinates), ``j`` the generation whose fresh labels ``Y`` enter (0: the
    teacher's) and ``ω`` the :func:`mixing` weights."""
    t = chain.teacher
    out = [(np.eye(kernels[0].mean.shape[0]), np.diag(t.beta / (t.beta * s + t.ridge)))]
    for h in range(1, g + 1):
        K, student = kernels[h], chain.students[h - 1]
        T = student.beta * K.Bt @ np.linalg.solve(
            student.beta * (K.Bt.T * s) @ K.Bt + student.ridge * np.eye(K.m), K.Bt.T)
        out = [(K.Q @ P, (N * s) @ T) for P, N in out] + [(K.Q, T)]
    return out


def mixing(alphas) -> np.ndarray:
    """``ω_j = α_j ∏_{l>j} (1 − α_l)`` (``α_0 = 1``, the teacher): the weight of generation
    ``j``'s labels in the last generation's mean; ``Σ_j ω_j = 1``.

    >>> mixing([0.5, 0.0]).tolist()
    [0.5, 0.5, 0.0]
    """
    alphas = np.concatenate([[1.0], np.asarray(alphas, dtype=float)])
    tail = np.concatenate([np.cumprod((1 - alphas[1:])[::-1])[::-1], [1.0]])
    return alphas * tail


def _paths(chain, g: int, kernels, s) -> list:
    """``[(P, ω N)]``: generation ``g``'s mean is the sum of ``P z (ω N)`` over the paths."""
    omega = mixing([st.alpha for st in chain.students[:g]])
    return [(P, w * N) for w, (P, N) in zip(omega, sources(chain, g, kernels, s))]


def _posterior(kernels, g, O, patterns, index, cov) -> float:

    K = kernels[g]
    total = 0.0
    for pattern, rows in classes_of(patterns).items():
        idx = index[id(K)]
        member = True if idx is None else pattern[idx]
        total += len(rows) * float(np.sum(K.row_cov(pattern, member) * cov))
    return total


def _closed_form(chain, g, sample, spec, cov, estimator) -> dict:
    """The structured closed form: bias from the noise-free statistic, variance from
    ``E‖Σ_h P_h Z S^{1/2} N_h‖²_Σ = Σ_{h,h'} tr(P_hᵀP_h') tr(N_hᵀ S N_h' Σ)``."""
    kernels, O, patterns, index, eig = chain.kernels(sample)
    s, theta = spec.s, spec.theta
    paths = _paths(chain, g, kernels, s)
    mean = sum(P @ (theta * s) @ N for P, N in paths)                    # M(ΘS)
    gap = mean - theta
    bias = float(np.sum((gap @ cov) * gap))
    variance = 0.0
    for P, N in paths:
        for P2, N2 in paths:
            variance += float(np.sum(P * P2)) * float(np.sum((N.T * s) @ N2 * cov))
    variance *= spec.noise ** 2
    post = _posterior(kernels, g, O, patterns, index, cov) if estimator is Estimator.GIBBS else 0.0
    return dict(bias=bias, variance=variance + post, posterior=post)


def _spectral_closed_form(chain, g, sample, spec, cov, estimator) -> dict:
    """Every mode separates (``pca`` bases, fixed projectors, ``Σ`` diagonal in the sample's
    eigenbasis): per row class, the derived filter recursion and the derived per-mode risk
    (``lingauss._generated_chains``), summed over the modes."""
    kernels, O, patterns, index, eig = chain.kernels(sample)
    s, theta, nu = spec.s, spec.theta, spec.noise
    w = np.diag(cov)                                                     # (d,) mode weights
    pos = s > 0
    t = chain.teacher
    bias = variance = 0.0
    for pattern, rows in classes_of(patterns).items():
        energy = np.sum((O[:, rows].T @ theta) ** 2, axis=0)              # (d,) class signal
        f = gen.teacher_filter(s, t.beta, t.ridge)
        for h, student in enumerate(chain.students[:g], start=1):
            m = kernels[h].m
            step = gen.generation_step(s, student.beta, student.ridge, student.alpha, f)
            member = pattern[index[id(kernels[h])]]
            f = np.where((np.arange(s.size) < m) & member, step, 0.0)
        bias += float(np.sum(gen.risk_bias(s, f, w, energy, nu)))
        var = np.where(pos, gen.risk_variance(np.where(pos, s, 1.0), f, w, energy, nu), 0.0)
        variance += len(rows) * float(np.sum(var))
    post = _posterior(kernels, g, O, patterns, index, cov) if estimator is Estimator.GIBBS else 0.0
    return dict(bias=bias, variance=variance + post, posterior=post)


def _monte_carlo(chain, g, sample, spec, cov, estimator, draws, seed) -> dict:
    """Averages over label draws of the generation's mean ``M``: the bias is
    ``‖M̄ − W⋆‖²_Σ`` less the Monte Carlo variance of ``M̄`` (unbiased), the variance the
    spread of ``M`` around ``M̄``; standard errors from the per-draw error."""
    rng = np.random.default_rng(seed)
    theta = spec.theta
    X, W_star = np.array(sample.X), sample.W_star
    X.setflags(write=False)
    base = W_star @ X
    means, posts = [], []
    for _ in progress(range(draws), desc="risk: label draws"):
        Y = base + sample.noise * rng.standard_normal(base.shape)
        kernels, O, patterns, index, eig = chain.kernels(Sample(X, Y, W_star=W_star,
                                                                noise=sample.noise))
        means.append(kernels[g].mean)
        posts.append(_posterior(kernels, g, O, patterns, index, cov)
                     if estimator is Estimator.GIBBS else 0.0)
    means = np.array(means)                                              # (N, k, d)
    mbar = means.mean(axis=0)
    dev = means - mbar
    spread = np.einsum("nkd,de,nke->n", dev, cov, dev)
    var = float(np.sum(spread) / (draws - 1))
    gap = mbar - theta
    bias = max(float(np.sum((gap @ cov) * gap)) - var / draws, 0.0)
    err = np.einsum("nkd,de,nke->n", means - theta, cov, means - theta) + np.array(posts)
    post = float(np.mean(posts))
    total = Estimate.of(err, drawn=Drawn.LABELS)
    return dict(bias=bias, variance=var + post, posterior=post, stderr={"total": total.stderr})


def spectral_eligible(chain, g, design, kind, covariance) -> bool:
    """Whether every mode separates: ``pca`` bases and fixed rank rules up to ``g``, and the
    risk's input covariance diagonal in the sample's eigenbasis."""
    students = chain.students[:g]
    if not all(is_pca(st) for st in students) or label_dependent(students, design.d, design.k):
        return False
    return RiskKind.parse(kind, "kind") is RiskKind.FIXED or covariance is None


def label_dependent(students, d: int, k: int) -> bool:
    """Whether a generation's output projector depends on the labels: the ``"optimal"`` rank
    rule below full rank (at full rank every rule gives ``Q = I``)."""
    return any(st.rank_rule is RankRule.OPTIMAL
               and st.resolve(d, k)[1] < k for st in students)


def risk_over_inputs(chain, g: int, design, *, kind: str, estimator: str, covariance,
                     monte_carlo, seed):
    """``E_{X,Y}`` of generation ``g``'s risk by Monte Carlo over input draws: per draw the
    closed form over the labels (``kind="population"`` with the design's ``Σ``); a projector
    that depends on the labels takes two label draws per input draw, with the unbiased split
    ``variance = ½‖M₁ − M₂‖²``, ``bias = ‖M̄ − W⋆‖² − variance/2``."""
    kind, estimator = RiskKind.parse(kind, "kind"), Estimator.parse(estimator, "estimator")
    if covariance is not None:
        raise LingaussError("Ambiguous arguments: a RandomDesign carries its covariance Σ; do "
                            "not give covariance.")
    monte_carlo, seed = needs_draws(monte_carlo, seed, "the risk", "deterministic_risk")
    for student in chain.students:
        student.resolve(design.d, design.k)
    cov = design.matrix if kind is RiskKind.POPULATION else None
    dependent = label_dependent(chain.students[:g], design.d, design.k)

    def one(sample, rng):
        if not dependent:
            return chain_risk(chain, g, sample, kind=kind, estimator=estimator,
                              covariance=cov).as_dict()
        X, W = sample.X, sample.W_star
        weight = cov if cov is not None else X @ X.T / sample.n
        M = [chain.means(Sample(X, W @ X + sample.noise * rng.standard_normal(
            sample.Y.shape), W_star=W, noise=sample.noise))[g] for _ in range(2)]
        norm = lambda A: float(np.sum((A @ weight) * A))  # noqa: E731  ‖A‖²_Ω
        variance = 0.5 * norm(M[0] - M[1])
        bias = norm(0.5 * (M[0] + M[1]) - W) - 0.5 * variance
        post = 0.0
        if estimator is Estimator.GIBBS:
            post = chain_risk(chain, g, sample, kind=kind, estimator=Estimator.GIBBS, covariance=cov,
                              monte_carlo=2, seed=int(rng.integers(2 ** 32))).posterior
        return {"total": bias + variance + post, "bias": bias, "variance": variance + post,
                "posterior": post}

    mean, se = expected_over_inputs(one, design, monte_carlo, seed, desc="risk: input draws")
    return Risk(total=mean["total"], bias=mean["bias"], variance=mean["variance"],
                posterior=mean["posterior"], kind=kind, estimator=estimator, stderr=se)
