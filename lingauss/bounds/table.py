"""Every bound beside the truth it bounds (derivations/bounds.md §4–7, §9).

:func:`bounds_table` evaluates, for one student, every bound of bounds.md with the exact
``Δ = E gap_student − E gap_teacher``, the slack and a ``violated`` flag;
:func:`bounds_over_ranks` does it at every rank, at the student's width and the full width,
for every soft-label mode (what ``lingauss bounds`` prints).

The divergence is the one asked for (``space``, ``direction``; a spec's ``[divergence]``
section). The Donsker–Varadhan bounds hold for each: with ``P`` the first argument of the KL
and ``Q`` the second, ``λ(E_P g − E_Q g) <= KL(P‖Q) + log E_Q e^{λ(g − E_Q g)}``, and the gap
is Gaussian under either kernel given the sample (it is affine in ``W``), so the
sub-Gaussian constant is the conditional variance of ``g`` under ``Q`` — the teacher for
``"forward"``, the student for ``"reverse"``, the smaller of the two for ``"symmetric"``
(``K_sym`` bounds both one-sided divergences). In prediction space the variable is
``WX + νE'`` and the gap a linear function of ``WX``, so the constant gains ``ν²‖H‖²``
(``H = (2/n)(Y − W⋆X)``). The joint-CGF, central and sharpness rows are derived for
``KL(P_S‖P_T)`` in parameter space only and are left out elsewhere (``BoundsTable.notes``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg as sla

from lingauss._core.display import TableDisplay
from lingauss._core.estimate import Drawn, Estimate
from lingauss._core.progress import progress
from lingauss._core.validation import LingaussError, check_option, check_real
from lingauss.averages.labels import closed_form_obstacle, expected_divergence
from lingauss.bounds.cgf import gap_cgf
from lingauss.bounds.gaps import Gaps, Maps, exact_gaps, label_draws, maps, need, teacher_gap
from lingauss.bounds.inequalities import (central_lower_bound, dv_bound, exact_cgf_bound,
                                          largest_eta, sharpness_bound, tightness_radius)
from lingauss.engine.divergence import divergence
from lingauss.engine.eigen import eigen
from lingauss.model.checks import check_draws, check_objects, check_space_direction
from lingauss.model.data import Sample
from lingauss.model.options import Direction, Space
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

ON_VIOLATION = ("warn", "raise")
#: A bound counts as violated when the truth passes it by more than this (relative, on top of
#: ``Z_MAX`` Monte Carlo standard errors).
VIOLATION_RTOL = 1e-9
#: Standard errors a Monte Carlo row may miss its bound by before it is flagged.
Z_MAX = 4.0


class BoundViolationWarning(UserWarning):
    """A bound of :func:`bounds_table` is beaten by the exact value (a theorem failed)."""


@dataclass(frozen=True)
class BoundRow:
    """One bound beside the exact value it bounds.

    ``side``: ``"abs"`` (``|Δ| <= bound``), ``"lower"`` (``Δ >= bound``) or ``"upper"``
    (``Δ <= bound``). ``slack >= 0`` when the bound holds; ``stderr`` is the Monte Carlo error
    of ``slack`` (0 for closed forms).
    """

    name: str
    statement: str
    side: str
    bound: float
    exact: float
    slack: float
    stderr: float
    violated: bool


@dataclass(frozen=True)
class BoundsTable(TableDisplay):
    """:func:`bounds_table`'s result: rows, and every input the bounds used.

    Attributes
    ----------
    rows : tuple of BoundRow
    gaps : Gaps
        The exact gaps (``Δ = gaps.difference``).
    kl, kl_stderr : float
        ``K = E_S K_n(S)`` (closed form, or Monte Carlo with its error).
    sigma2 : float
        ``σ̄²`` of the averaged CGF (the smallest valid sub-Gaussian constant).
    eta, c : float
        ``η* = largest_eta`` and the ``c`` of the central condition.
    gradient, radius, radius_stderr, curvature : float
        ``γ``, ``ρ = √(E_S ‖M_S − M_T‖²)`` and ``h = 0`` of the sharpness bound.
    tightness_radius : float
        ``ρ₀``; ``sharpness_tighter`` is ``radius < tightness_radius``.
    hessian_top : float
        ``λ_max(∇²L_S) = 2 s_1 / n``: the teacher loss's sharpness.
    joint_domain : tuple
        ``(λ_−, λ_+)`` of the joint CGF.
    space, direction : str
        The divergence ``K`` is (the rows that hold only for parameter-space forward are
        left out otherwise, and ``notes`` says so).
    draws : dict
        Per label draw: ``kl`` (``K_n(S)``), ``sigma2`` (``σ_S²`` of the exact-CGF row;
        ``sigma2_teacher``, ``sigma2_student`` under each kernel), ``difference``
        (``Δ_S``), ``displacement2`` (``‖M_S − M_T‖²``), ``mean_part``
        (``½ Σ_j δ_j A_T δ_jᵀ``).
    """

    rows: tuple
    gaps: Gaps
    kl: float
    kl_stderr: float
    sigma2: float
    eta: float
    c: float
    gradient: float
    radius: float
    radius_stderr: float
    curvature: float
    tightness_radius: float
    sharpness_tighter: bool
    hessian_top: float
    joint_domain: tuple
    draws: dict = field(repr=False)
    space: str = "parameter"
    direction: str = "forward"
    notes: tuple = ()

    def __getitem__(self, name: str) -> BoundRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        caption = (f"bounds beside the exact gap difference Δ = {self.gaps.difference:.6g} "
                   f"(K = {self.kl:.6g})")
        return caption, ("bound", "side", "bound value", "exact", "slack", "holds"), [
            (r.name, r.side, r.bound, r.exact, r.slack, "VIOLATED" if r.violated else "yes")
            for r in self.rows]

    def __str__(self) -> str:
        head = f"{'bound':<12}{'side':<7}{'bound':>13}{'exact':>13}{'slack':>13}  ok"
        lines = [f"Δ = E gap_student − E gap_teacher = {self.gaps.difference:.6g}; "
                 f"K = E K_n = {self.kl:.6g}", head]
        for r in self.rows:
            lines.append(f"{r.name:<12}{r.side:<7}{r.bound:>13.6g}{r.exact:>13.6g}"
                         f"{r.slack:>13.6g}  {'VIOLATED' if r.violated else 'yes'}")
        return "\n".join(lines)


def _row(name, statement, side, bound, exact, stderr, scale):
    slack = {"abs": bound - abs(exact), "lower": exact - bound, "upper": bound - exact}[side]
    violated = slack < -(VIOLATION_RTOL * scale + Z_MAX * stderr)
    return BoundRow(name, statement, side, float(bound), float(exact), float(slack),
                    float(stderr), bool(violated))


def _student_variance(mp: Maps, student: Student, G: np.ndarray, Ur: np.ndarray) -> float:
    """``tr(G Σ_S Gᵀ)``: the gap's variance under the student kernel given ``S``.

    Rows of ``G`` in the output basis: trained rows see ``B Σ_w Bᵀ + τ²(I − BBᵀ)`` with
    ``Σ_w = K⁻¹`` plus, for sampled soft labels, ``(1−α)²β_S² K⁻¹BᵀXΣ_ŶXᵀBK⁻¹``
    (``Σ_Ŷ = XᵀA_T⁻¹X (+ ν_T² I)``); complement rows see ``τ² I``.
    """
    g_tr = Ur.T @ G                                                     # (r, d)
    inside = g_tr @ mp.B                                                # (r, m)
    # τ² on every direction outside the trained block: complement rows, and B⊥ columns
    outside = float(np.sum(G ** 2) - np.sum(inside ** 2))
    var = mp.tau2 * max(outside, 0.0)
    KinvBg = sla.cho_solve((mp.LK, True), inside.T)                    # (m, r) K⁻¹Bᵀgᵀ
    var += float(np.sum(inside.T * KinvBg))                            # g B K⁻¹ Bᵀ gᵀ
    if student.soft_labels.sampled:
        XBK = mp.X.T @ (mp.B @ KinvBg)                                  # (n, r) XᵀBK⁻¹Bᵀgᵀ
        c = (1 - student.alpha) * student.beta
        spread = float(np.sum(sla.solve_triangular(mp.LA, mp.X @ XBK, lower=True) ** 2))
        if student.soft_labels.noisy:
            spread += student.soft_label_noise ** 2 * float(np.sum(XBK ** 2))
        var += (c * math.sqrt(max(spread, 0.0))) ** 2       # c² spread, no overflow of c²
    return var


def bounds_table(teacher: Teacher, student: Student, sample: Sample, *,
                 monte_carlo: int = 200, seed: int | None = 0, c: float = 1.0,
                 on_violation: str = "warn", space: str = "parameter",
                 direction: str = "forward") -> BoundsTable:
    """Every bound of bounds.md beside the exact ``Δ = E gap_student − E gap_teacher``.

    Rows (bounds.md §4–6):

    * ``subgaussian``: ``|Δ| <= √(2σ̄²K)``, ``σ̄²`` the smallest valid constant;
    * ``exact_cgf``: ``|Δ| <= E_S √(2σ_S² K_n(S))`` (exact conditional CGF, ``λ`` optimised
      per sample; Monte Carlo over ``S``);
    * ``joint_cgf``: ``|Δ| <=`` the Donsker–Varadhan bound with the exact CGF of the gap under
      the teacher's joint law of ``(S, W)`` (quadratic in a Gaussian);
    * ``central``: ``Δ >= −c E gap_T − K/η*``, ``η* = c n β_T``;
    * ``sharpness``: ``|Δ| <= γρ``.

    The last three are derived for ``KL(P_S‖P_T)`` in parameter space and are left out for
    other spaces and directions (see the module docstring for the first two there).
    Closed forms are used where they exist (``Δ``, ``ρ`` for a fixed projector; ``K`` for the
    ``pca`` basis and a fixed projector); the rest, and the ``exact_cgf`` row, average over
    ``monte_carlo`` label draws ``Y = W⋆X + νE`` (the same draws for everything).

    Parameters
    ----------
    teacher, student, sample
        ``sample`` needs ``W_star`` and ``noise > 0``.
    monte_carlo : int, default 200
        Label draws (>= 2).
    seed : int or None, default 0
    c : float, default 1
        The central condition's ``c ∈ (0, 1]``.
    on_violation : {"warn", "raise"}
        A violated bound (beaten by more than ``Z_MAX`` standard errors) warns with
        :class:`BoundViolationWarning` or raises :class:`LingaussError`.
    space, direction : str
        The divergence ``K`` (as in :func:`lingauss.divergence`).

    Returns
    -------
    BoundsTable

    Examples
    --------
    >>> from lingauss import Teacher, Student, Sample
    >>> sample = Sample.synthetic(d=6, k=3, n=10, noise=0.5, seed=0)
    >>> student = Student(2.0, 1.0, width=4, rank=2, rank_rule="oracle")
    >>> table = bounds_table(Teacher(2.0, 1.0), student, sample, monte_carlo=50)
    >>> [row.name for row in table.rows]
    ['subgaussian', 'exact_cgf', 'joint_cgf', 'central', 'sharpness']
    >>> any(row.violated for row in table.rows)
    False
    >>> table["exact_cgf"].bound <= table["subgaussian"].bound <= table["joint_cgf"].bound
    True
    >>> rev = bounds_table(Teacher(2.0, 1.0), student, sample, monte_carlo=50,
    ...                    direction="reverse")
    >>> [row.name for row in rev.rows], any(row.violated for row in rev.rows)
    (['subgaussian', 'exact_cgf'], False)
    """
    check_objects(teacher, student)
    space, direction = check_space_direction(space, direction)
    monte_carlo, seed = check_draws(monte_carlo, seed)
    c = check_real(c, "c", low=0, high=1)
    check_option(on_violation, "on_violation", ON_VIOLATION)
    need(sample, "bounds_table", truth=True, positive_noise=True)
    mp = maps(teacher, student, sample, space=space, direction=direction)
    X, nu, n, k = sample.X, sample.noise, sample.n, sample.k
    fixed = mp.Ur is not None
    classic = space is Space.PARAMETER and direction is Direction.FORWARD

    # --- per label draw: K_n(S), σ_S², Δ_S, ‖δ_S‖², ½ Σ δ A_T δᵀ ------------------------------
    rng = np.random.default_rng(seed)
    E, Ys = label_draws(sample, rng, monte_carlo)
    A = teacher.beta * (X @ X.T) + teacher.ridge * np.eye(X.shape[0])
    per = {name: np.empty(monte_carlo)
           for name in ("kl", "sigma2", "sigma2_teacher", "sigma2_student", "difference",
                        "displacement2", "mean_part")}
    for i, Y in progress(list(enumerate(Ys)), desc="bounds: label draws"):
        drawn = Sample(X, Y, W_star=sample.W_star, noise=nu)
        per["kl"][i] = divergence(teacher, student, drawn, space=space,
                                  direction=direction).total
        G = 2.0 / n * (Y - sample.W_star @ X) @ X.T                        # ∇g_S (k, d)
        # the gap's conditional variance under the teacher and under the student; in
        # prediction space the variable is WX + νE', which adds ν²‖H‖², H = (2/n)(Y − W⋆X)
        extra = nu ** 2 * float(np.sum((2.0 / n * (Y - sample.W_star @ X)) ** 2)) \
            if space is Space.PREDICTION else 0.0
        var_t = float(np.sum(sla.solve_triangular(mp.LA, G.T, lower=True) ** 2)) + extra
        var_s = (_student_variance(mp, student, G, mp.basis(Y)) + extra
                 if direction is not Direction.FORWARD else np.nan)
        per["sigma2_teacher"][i], per["sigma2_student"][i] = var_t, var_s
        per["sigma2"][i] = {Direction.FORWARD: var_t, Direction.REVERSE: var_s,
                            Direction.SYMMETRIC: min(var_t, var_s)}[direction]
        delta = mp.student_mean(Y) - Y @ mp.LT                             # M_S − M_T
        per["difference"][i] = np.sum(G * delta)                           # Δ_S = ⟨G_S, δ_S⟩
        per["displacement2"][i] = np.sum(delta ** 2)
        per["mean_part"][i] = 0.5 * np.sum((delta @ A) * delta)

    def mc(x):
        return tuple(Estimate.of(x, drawn=Drawn.LABELS))

    # --- the truth -----------------------------------------------------------------------
    if fixed:
        gaps = exact_gaps(teacher, student, sample)
        diff, diff_se = gaps.difference, 0.0
    else:
        diff, diff_se = mc(per["difference"])
        tg = teacher_gap(mp, nu)
        gaps = Gaps(tg, tg + diff, diff, stderr={"teacher": 0.0, "student": diff_se,
                                                 "difference": diff_se},
                    method="monte carlo", draws=monte_carlo)
    # --- K = E_S K_n(S) ------------------------------------------------------------------
    if fixed and closed_form_obstacle(student, direction) is None:
        kl, kl_se = expected_divergence(teacher, student, sample, space=space,
                                        direction=direction).total, 0.0
    else:
        kl, kl_se = mc(per["kl"])
    # --- constants -----------------------------------------------------------------------
    avg = gap_cgf(teacher, sample, law="averaged")
    if classic:
        sigma2, sigma2_se = avg.variance, 0.0
    elif direction is Direction.SYMMETRIC:      # K_sym bounds both one-sided divergences: the
        sigma2, sigma2_se = min(mc(per["sigma2_teacher"]), mc(per["sigma2_student"]))  # smaller
    else:
        sigma2, sigma2_se = mc(per[f"sigma2_{'teacher' if direction is Direction.FORWARD else 'student'}"])
    s = eigen(X).s
    gradient = math.sqrt(2 * nu ** 2 * k / n * float(np.sum(2 * s / n)))    # (2ν²k/n) tr ∇²L_S
    if fixed:
        radius2, radius2_se = _mean_displacement2(mp, sample), 0.0
    else:
        radius2, radius2_se = mc(per["displacement2"])
    radius = math.sqrt(max(radius2, 0.0))          # a closed form can round below 0
    radius_se = radius2_se / (2 * radius) if radius > 0 else 0.0
    rho0 = tightness_radius(kl, sigma2=sigma2, gradient=gradient)

    # --- rows ----------------------------------------------------------------------------
    scale = max(abs(diff), avg.mean, 1e-300)
    sub = dv_bound(kl, sigma2=sigma2)
    sub_se = math.sqrt(2 * sigma2) * kl_se / (2 * math.sqrt(kl)) if kl > 0 else 0.0
    if sigma2_se > 0 and sigma2 > 0:
        sub_se = math.hypot(sub_se, math.sqrt(2 * kl) * sigma2_se / (2 * math.sqrt(sigma2)))
    exact_per = np.sqrt(2 * per["sigma2"] * per["kl"])
    ex, ex_se = mc(exact_per)
    combine = lambda a: math.sqrt(a ** 2 + diff_se ** 2)  # noqa: E731
    which = {"forward": "P_T", "reverse": "P_S", "symmetric": "the tighter of P_T, P_S"}
    rows = [
        _row("subgaussian", f"|Δ| <= √(2σ̄² E K_n), σ̄² under {which[direction]}", "abs",
             sub, diff, combine(sub_se), scale),
        _row("exact_cgf", "|Δ| <= E_S √(2σ_S² K_n(S))", "abs", ex, diff, combine(ex_se),
             scale),
    ]
    notes = ()
    joint_domain = (math.nan, math.nan)
    eta = largest_eta(avg, c=c)
    if classic:
        joint = gap_cgf(teacher, sample, law="joint")
        joint_domain = joint.domain
        jb = exact_cgf_bound(kl, joint)
        # d(inf_λ (K + ψ(λ))/λ)/dK = 1/λ* (envelope theorem)
        lam_side = jb.lambda_upper if jb.upper >= -jb.lower else jb.lambda_lower
        joint_se = kl_se / lam_side if kl_se > 0 and lam_side > 0 else 0.0
        central = central_lower_bound(kl, eta=eta, c=c, teacher_gap=avg.mean) if eta > 0 \
            else -math.inf
        central_se = kl_se / eta if eta > 0 else 0.0
        sharp = sharpness_bound(radius, gradient=gradient)
        rows += [
            _row("joint_cgf", "|Δ| <= DV bound with the joint CGF of the gap", "abs",
                 jb.absolute, diff, combine(joint_se), scale),
            _row("central", f"Δ >= −c E gap_T − E K_n/η*, c = {c:g}, η* = {eta:.6g}", "lower",
                 central, diff, combine(central_se), scale),
            _row("sharpness", "|Δ| <= γρ, γ² = (2ν²k/n) tr ∇²L_S", "abs", sharp, diff,
                 combine(gradient * radius_se), scale),
        ]
    else:
        notes = (f"joint_cgf, central and sharpness are derived for KL(P_S‖P_T) in parameter "
                 f"space (derivations/bounds.md §9): not shown for space={space}, "
                 f"direction={direction}.",)
    table = BoundsTable(rows=tuple(rows), gaps=gaps, kl=kl, kl_stderr=kl_se, sigma2=sigma2,
                        eta=eta, c=c, gradient=gradient, radius=radius,
                        radius_stderr=radius_se, curvature=0.0, tightness_radius=rho0,
                        sharpness_tighter=radius < rho0, hessian_top=2 * float(s[0]) / n,
                        joint_domain=joint_domain, draws=per, space=space,
                        direction=direction, notes=notes)
    bad = [r for r in rows if r.violated]
    if bad:
        msg = "; ".join(f"{r.name} ({r.statement}) is violated: bound {r.bound:.6g}, exact "
                        f"{r.exact:.6g}, slack {r.slack:.3g} (stderr {r.stderr:.3g})"
                        for r in bad)
        msg = f"bound violated — a theorem of derivations/bounds.md failed: {msg}."
        if on_violation == "raise":
            raise LingaussError(msg)
        warnings.warn(msg, BoundViolationWarning, stacklevel=2)
    return table


def _mean_displacement2(mp: Maps, sample: Sample) -> float:
    """``E_S ‖M_S − M_T‖²`` for a fixed projector (bounds.md §6).

    With ``Y = F + νE`` (``F = W⋆X``), ``L_S = J Bᵀ``, ``L_T``:
    ``‖Q F L_S − F L_T‖² + ν² [‖Q‖² ‖L_S‖² − 2 tr(Q) tr(L_Sᵀ L_T) + k ‖L_T‖²]``.
    """
    Q = mp.Ur @ mp.Ur.T
    F = sample.W_star @ sample.X
    LS = mp.J @ mp.B.T                                                     # (n, d)
    mean_part = np.sum((Q @ F @ LS - F @ mp.LT) ** 2)
    noise_part = (np.sum(Q ** 2) * np.sum(LS ** 2) - 2 * np.trace(Q) * np.sum(LS * mp.LT)
                  + mp.k * np.sum(mp.LT ** 2))
    return float(mean_part + sample.noise ** 2 * noise_part)
