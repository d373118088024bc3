"""The proportional regime over ``γ = d/n``: double-descent curves of the risk and of ``K``.

* :func:`gamma_sweep` — the deterministic equivalents (:func:`lingauss.random_design.risk_terms`
  and :func:`~lingauss.random_design.divergence_terms`) of the teacher's risk, the student's
  risk and ``K/(kd)`` over a grid of ``γ``, optionally with Monte Carlo points beside them (a
  :class:`lingauss.RandomDesign` with ``n = round(d/γ)`` through ``lingauss.risk`` and
  ``lingauss.expected_divergence``).
* :func:`gamma_width_grid` — the student's risk and ``K/(kd)`` over ``(γ, width)`` by Monte
  Carlo: a width below ``d`` has no deterministic equivalent here
  (derivations/random_design.md §6).

Along ``γ`` the spectrum of ``Σ``, ``W⋆``, ``ν``, ``β``, the *normalised* ridges
``λ̄ = λ/(βn)`` and ``nτ²`` are held at the design's values (the proportional regime's
scaling, derivations/random_design.md §1); the sample size is ``n = d/γ``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.frames import optional
from lingauss.averages.deterministic import divergence_terms, risk_terms
from lingauss.averages.labels import expected_divergence
from lingauss.chains.risk import risk
from lingauss.model.checks import check_draws, check_grid, check_instance, check_objects
from lingauss.model.random_design import RandomDesign

#: Columns of :meth:`GammaSweep.rows` (``K_*`` per unit of ``k·d``).
COLUMNS = ("gamma", "teacher_risk", "student_bias", "student_variance", "student_risk",
           "K_bias", "K_variance", "K_rank_bottleneck", "K")
#: Columns of :meth:`GammaSweep.monte_carlo_rows`.
MC_COLUMNS = ("gamma", "n", "teacher_risk", "se", "student_risk", "se", "K", "se")


@dataclass(frozen=True, eq=False)
class GammaSweep(TableDisplay):
    """:func:`gamma_sweep`'s answer: arrays over :attr:`gamma`.

    Attributes
    ----------
    gamma : ndarray
    teacher, student : dict
        Risk terms (``bias``, ``variance``, ``posterior``, ``total``) of the teacher and of the
        student, arrays over ``gamma``.
    divergence : dict
        ``K``'s terms per unit of ``k·d`` (``total``, ``bias``, ``variance``,
        ``rank_bottleneck``, ...), arrays over ``gamma``.
    monte_carlo : tuple of dict
        Monte Carlo points (``gamma = d/n`` at an integer ``n``; the teacher's risk, the
        student's risk and ``K/(kd)`` with standard errors ``*_se``); empty without draws.
    """

    gamma: np.ndarray
    teacher: dict
    student: dict
    divergence: dict
    monte_carlo: tuple = ()

    def rows(self) -> tuple:
        """``(header, rows)``: :data:`COLUMNS`, one row per ``γ``."""
        cols = (self.gamma, self.teacher["total"], self.student["bias"],
                self.student["variance"], self.student["total"], self.divergence["bias"],
                self.divergence["variance"], self.divergence["rank_bottleneck"],
                self.divergence["total"])
        return COLUMNS, [tuple(float(c[i]) for c in cols) for i in range(self.gamma.size)]

    def monte_carlo_rows(self) -> tuple:
        """``(header, rows)``: :data:`MC_COLUMNS`, one row per Monte Carlo point."""
        keys = ("gamma", "n", "teacher_risk", "teacher_risk_se", "student_risk",
                "student_risk_se", "K", "K_se")
        return MC_COLUMNS, [tuple(p[key] for key in keys) for p in self.monte_carlo]

    def to_xarray(self):
        """An ``xarray.Dataset`` over the dimension ``gamma`` (needs the ``data`` extra):
        ``teacher_<term>``, ``student_<term>`` and ``K_<term>`` (per ``k·d``) variables."""
        xr = optional("xarray", "GammaSweep.to_xarray")
        data = {f"{who}_{term}": ("gamma", np.asarray(values, dtype=float))
                for who, terms in (("teacher", self.teacher), ("student", self.student),
                                   ("K", self.divergence)) for term, values in terms.items()}
        return xr.Dataset(data, coords={"gamma": self.gamma}, attrs={
            "description": "deterministic equivalents over gamma = d/n; K per unit of k*d"})

    def _display_table(self) -> tuple:
        header, rows = self.rows()
        return "deterministic equivalents over γ = d/n (K per unit of k·d)", header, rows


def gamma_sweep(teacher, student, design: RandomDesign, gamma=None, *,
                monte_carlo: int | None = None, at=None, seed: int | None = None) -> GammaSweep:
    """The teacher's and the student's population risk and ``K/(kd)`` over ``γ``.

    Parameters
    ----------
    teacher : Teacher
    student : Student
        Full width, mean soft labels, a projector fixed before the labels (the equivalents'
        domain; anything else raises an error that names the reason).
    design : RandomDesign
        The spectrum, ``W⋆``, ``ν``, and the ``n`` at which the ridges are normalised.
    gamma : array_like, optional
        Values of ``γ > 0`` (default 128 values from 0.05 to 20, log-spaced).
    monte_carlo : int, optional
        Input draws per Monte Carlo point (none by default).
    at : array_like, optional
        Where the Monte Carlo points go (``n = round(d/γ)``, so ``γ`` is moved to ``d/n``);
        default 6 values log-spaced over the ``gamma`` range.
    seed : int, optional
        Seed of every Monte Carlo point (common random numbers across points).

    Returns
    -------
    GammaSweep

    Examples
    --------
    >>> from lingauss import RandomDesign, Student, Teacher
    >>> design = RandomDesign([1.0] * 40, n=80, W_star=np.full((1, 40), 0.2), noise=0.5)
    >>> sw = gamma_sweep(Teacher(1.0, 0.08), Student(1.0, 0.8, alpha=0.5), design,
    ...                  gamma=[0.5, 1.0, 2.0])                       # λ̄_T = 1e-3
    >>> int(np.argmax(sw.teacher["total"]))                           # the peak at γ = 1
    1
    """
    check_objects(teacher, student)
    check_instance(design, "design", RandomDesign)
    gamma = (np.geomspace(0.05, 20.0, 128) if gamma is None
             else check_grid("gamma", gamma, low=0))
    points = ()
    if monte_carlo is not None or at is not None:
        monte_carlo, seed = check_draws(monte_carlo, seed, required=True, why=(
            "Monte Carlo points (at=...) need {parameter:set} input draws."))
        at = (np.geomspace(gamma.min(), gamma.max(), 6) if at is None
              else check_grid("at", at, low=0))
        points = tuple(_point(teacher, student, design, g, monte_carlo, seed) for g in
                       np.unique([_n_of(design, g) for g in at])[::-1])
    return GammaSweep(gamma=gamma, teacher=risk_terms(teacher, None, design, gamma=gamma),
                      student=risk_terms(teacher, student, design, gamma=gamma),
                      divergence=divergence_terms(teacher, student, design, gamma=gamma),
                      monte_carlo=points)


def _n_of(design: RandomDesign, gamma: float) -> int:
    return max(1, int(round(design.d / gamma)))


def at_sample_size(teacher, student, design: RandomDesign, n: int) -> tuple:
    """``(teacher, student, design)`` with ``n`` examples per draw and the normalised ridges
    ``λ̄ = λ/(βn)`` and ``nτ²`` of ``design`` (the proportional regime's scaling).

    >>> from lingauss import RandomDesign, Student, Teacher
    >>> design = RandomDesign([1.0, 0.5], n=10, W_star=np.ones((1, 2)), noise=0.1)
    >>> t, s, d2 = at_sample_size(Teacher(1.0, 2.0), Student(1.0, 5.0), design, 40)
    >>> t.ridge, s.ridge, d2.n
    (8.0, 20.0, 40)
    """
    scale = n / design.n
    t = dataclasses.replace(teacher, ridge=teacher.ridge * scale)
    s = None
    if student is not None:
        cv = student.complement_variance
        s = student.replace(ridge=student.ridge * scale,
                            complement_variance=cv if isinstance(cv, str) else cv / scale)
    return t, s, RandomDesign(design.covariance, n, design.W_star, design.noise)


def _student_at(t, s, dn, draws, seed) -> tuple:
    """``(risk, its se, K/(kd), its se)`` of one student on one design, by Monte Carlo."""
    kd = dn.k * dn.d
    r = risk(t, s, dn, kind="population", monte_carlo=draws, seed=seed)
    K = expected_divergence(t, s, dn, monte_carlo=draws, seed=seed)
    return r.total, r.stderr["total"], K.total / kd, K.stderr["total"] / kd


def _point(teacher, student, design, n, draws, seed) -> dict:

    t, s, dn = at_sample_size(teacher, student, design, int(n))
    tr = risk(t, None, dn, kind="population", monte_carlo=draws, seed=seed)
    values = _student_at(t, s, dn, draws, seed)
    return {"gamma": dn.gamma, "n": dn.n, "teacher_risk": tr.total,
            "teacher_risk_se": tr.stderr["total"],
            **dict(zip(("student_risk", "student_risk_se", "K", "K_se"), values))}


@dataclass(frozen=True, eq=False)
class GammaWidthGrid(TableDisplay):
    """:func:`gamma_width_grid`'s answer: ``risk`` and ``K`` (per ``k·d``) with standard
    errors, arrays of shape ``(len(gamma), len(width))``; ``gamma = d/n`` at integer ``n``."""

    gamma: np.ndarray
    n: np.ndarray
    width: np.ndarray
    d: int
    risk: np.ndarray
    risk_se: np.ndarray
    K: np.ndarray
    K_se: np.ndarray
    draws: int

    def rows(self) -> tuple:
        """``(header, rows)``: one row per ``(γ, width)``."""
        header = ("gamma", "n", "width", "risk", "risk_se", "K", "K_se")
        return header, [(float(g), int(n), int(w), *(float(a[i, j]) for a in (
            self.risk, self.risk_se, self.K, self.K_se)))
            for i, (g, n) in enumerate(zip(self.gamma, self.n))
            for j, w in enumerate(self.width)]

    def _display_table(self) -> tuple:
        header, rows = self.rows()
        return (f"student risk and K/(kd) over (γ, width), {self.draws} input draws per cell",
                header, rows)


def gamma_width_grid(teacher, student, design: RandomDesign, gamma, width, *,
                     monte_carlo: int = 16, seed: int | None = 0) -> GammaWidthGrid:
    """The student's population risk and ``K/(kd)`` over ``(γ, width)`` by Monte Carlo.

    Each cell is :func:`lingauss.risk` and :func:`lingauss.expected_divergence` on the design
    at ``n = round(d/γ)`` (ridges held as :func:`at_sample_size` holds them) with the
    student's ``width`` replaced; every cell uses the same ``seed`` (common random numbers,
    so differences between cells are not noise of different draws).

    Parameters
    ----------
    teacher, student, design
        As for :func:`gamma_sweep` (any width, basis and rank rule the exact routes take).
    gamma : array_like
        ``γ > 0`` (moved to ``d/n`` at an integer ``n``; duplicates are merged).
    width : array_like of int
        Student widths ``1..d``.
    monte_carlo : int, default 16
        Input draws per cell.
    seed : int, default 0

    Returns
    -------
    GammaWidthGrid

    Examples
    --------
    >>> from lingauss import RandomDesign, Student, Teacher
    >>> design = RandomDesign.power_law(d=6, k=1, n=12)
    >>> grid = gamma_width_grid(Teacher(1.0, 1.0), Student(1.0, 1.0), design, [0.5, 1.0],
    ...                         [2, 6], monte_carlo=4)
    >>> grid.K.shape, grid.gamma.tolist()
    ((2, 2), [0.5, 1.0])
    """
    check_objects(teacher, student)
    check_instance(design, "design", RandomDesign)
    width = check_grid("width", width, integer=True, low=1, low_inclusive=True,
                       high=design.d, high_rule="d")
    gamma = check_grid("gamma", gamma, low=0)
    monte_carlo, seed = check_draws(monte_carlo, seed, required=True)
    ns = np.unique([_n_of(design, g) for g in gamma])[::-1]
    shape = (ns.size, width.size)
    names = ("risk", "risk_se", "K", "K_se")
    out = {name: np.empty(shape) for name in names}
    for i, n in enumerate(ns):
        t, s, dn = at_sample_size(teacher, student, design, int(n))
        for j, m in enumerate(width):
            sm = s.replace(width=int(m), rank=None if s.rank is None else min(s.rank, int(m)))
            for name, value in zip(names, _student_at(t, sm, dn, monte_carlo, seed)):
                out[name][i, j] = value
    return GammaWidthGrid(gamma=design.d / ns, n=ns, width=width, d=design.d, draws=monte_carlo,
                          **out)
