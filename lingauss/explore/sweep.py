"""Sweeps: every term of an expected divergence over grids of hyper-parameters, at once.

With the ``pca`` basis and a fixed output projector the expected divergence is a sum over
eigen-modes of per-mode terms linear in ``(r, k − r, ‖Qθ_i‖², ‖Q⊥θ_i‖²)``
(derivations/spectral.md); :func:`sweep` evaluates the generated coefficient functions once
on arrays broadcast over every grid axis and the modes, and reads widths and ranks off
prefix sums — no loop over configurations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.frames import dataset, grid_rows, long_frame
from lingauss._core.resources import check_memory
from lingauss._core.validation import LingaussError, check_finite, numerics
from lingauss.averages.labels import closed_form_obstacle, expected_tau2
from lingauss.engine.spectral import (coefficients, expected_floor, is_zero, mode_terms, spectral,
                                      teacher_weight)
from lingauss.model.checks import (check_design, check_grid, check_objects, check_space_direction,
                                   problem_sizes)
from lingauss.model.data import SpectralDesign
from lingauss.model.options import Regime, is_optimal_tau2
from lingauss.model.results import TERMS, Decomposition
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher

#: Hyper-parameters a sweep can vary, with the object and attribute they replace.
SWEEPABLE = {
    "rank": ("student", "rank"), "width": ("student", "width"),
    "beta": ("student", "beta"), "ridge": ("student", "ridge"),
    "alpha": ("student", "alpha"), "tau2": ("student", "complement_variance"),
    "soft_label_noise": ("student", "soft_label_noise"),
    "teacher_beta": ("teacher", "beta"), "teacher_ridge": ("teacher", "ridge"),
    "n": ("design", "n"),
}


@dataclass(frozen=True)
class Sweep(TableDisplay):
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

    def rows(self) -> tuple[tuple, list]:
        """``(header, rows)``: one row per grid point, the axis values then every term.

        Grid points that do not exist (NaN: a rank above the width) are left out.

        >>> res = Sweep(axes={"rank": np.array([1, 2])},
        ...             terms={"total": np.array([3.0, 1.0]), "bias": np.array([0.5, 0.25])})
        >>> res.rows()
        (('rank', 'total', 'bias'), [(1, 3.0, 0.5), (2, 1.0, 0.25)])
        """
        return grid_rows(self.axes, self.terms)

    def to_pandas(self):
        """The sweep as a pandas DataFrame in long format (needs ``lingauss[data]``).

        Columns: one per axis (its value), ``term`` and ``value``; one row per grid point and
        term (grid points that do not exist are left out).

        Examples
        --------
        >>> res = Sweep(axes={"rank": np.array([1, 2])},
        ...             terms={"total": np.array([3.0, 1.0]), "bias": np.array([0.5, 0.25])})
        >>> res.to_pandas()
           rank   term  value
        0     1  total   3.00
        1     1   bias   0.50
        2     2  total   1.00
        3     2   bias   0.25
        """
        return long_frame(self.axes, self.terms)

    def to_xarray(self):
        """The sweep as an xarray Dataset (needs ``lingauss[data]``).

        One dimension per axis with its values as the coordinate, one data variable per term
        (``units = "nats"``; NaN where a grid point does not exist).
        ``sweep.to_xarray().to_netcdf("sweep.nc")`` writes it for other tools.

        Examples
        --------
        >>> res = Sweep(axes={"rank": np.array([1, 2]), "width": np.array([4, 8])},
        ...             terms={"total": np.array([[3.0, 2.0], [1.0, 0.5]])})
        >>> ds = res.to_xarray()
        >>> float(ds["total"].sel(rank=2, width=4))
        1.0
        """
        return dataset(self.axes, self.terms, {"title": "lingauss sweep: every term of the "
                                                        "divergence (nats) over the grid"})

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        header, rows = self.rows()
        grid = " × ".join(f"{name} ({len(v)})" for name, v in self.axes.items())
        return f"sweep over {grid} (nats)", header, rows


def _check_grid(name, values, design):
    """One sweep grid, checked by the rule of the hyper-parameter it replaces."""
    if name in ("rank", "n"):
        return check_grid(name, values, integer=True, low=1)
    if name == "width":
        return check_grid(name, values, integer=True, low=1, high=design.d, high_rule="d")
    if name == "alpha":
        return check_grid(name, values, low=None)
    if name == "soft_label_noise":
        return check_grid(name, values, low=0, low_inclusive=True)
    return check_grid(name, values)


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
    check_objects(teacher, student)
    check_space_direction(space, direction)
    for name in grids:
        if name not in SWEEPABLE:
            raise LingaussError(f"Unknown value for grid: {name!r}. Possible values: "
                                f"{tuple(SWEEPABLE)}.")
    obstacle = closed_form_obstacle(student, direction, "the sweep")
    if obstacle:
        raise LingaussError(f"{obstacle[0]}: {obstacle[1]}.")
    check_design(design, truth=True, noise=True, space=space, what="a sweep")
    student.check_matrices(design.d, design.k)
    grids = {name: _check_grid(name, values, design) for name, values in grids.items()}
    if "n" in grids and (not isinstance(design, SpectralDesign) or design.n is None):
        raise LingaussError("an n grid needs a SpectralDesign with n (eigenvalues n·σ_i), "
                            "e.g. SpectralDesign.power_law.")
    if "rank" in grids and isinstance(student.rank_rule, np.ndarray):
        raise LingaussError(f"a rank grid needs rank_rule='oracle': the rank_rule matrix "
                            f"fixes rank == {student.rank}.")
    _check_sweep_memory(student, design, grids)
    spec = spectral(design)
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
    sizes = problem_sizes(teacher, student, design)
    sizes.update({f"the {name} grid": values for name, values in grids.items()})
    if ranks is None:
        out = _sweep_default_rank(teacher, student, design, space, direction, grids, widths, k)
    else:
        bad = ranks[:, None] > np.minimum(k, widths)[None, :]
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise LingaussError(f"rank == {ranks[i]} with width == {widths[j]}, must be <= "
                                f"min(k, width) == {min(k, widths[j])}.")
        with numerics("the sweep", sizes):
            out = _sweep(teacher, student, spec, space, direction, grids, widths, ranks)
    check_finite(out.terms, "the sweep", sizes)
    return out


def _check_sweep_memory(student, design, grids) -> None:
    """The sweep's arrays: the per-mode coefficients over every grid axis but rank and width
    (rank and width are read off prefix sums), with a (width, mode) mask and a (width, k)
    product per point; a τ² that varies with rank and width ("optimal") evaluates the modes
    at every (rank, width)."""
    d, k = design.d, design.k
    lengths = {name: len(np.atleast_1d(v)) for name, v in grids.items()}
    other = float(np.prod([n for name, n in lengths.items() if name not in ("rank", "width")]))
    R, W = float(lengths.get("rank", 1)), float(lengths.get("width", 1))
    per = 24.0 * d + 4.0 * W * d + 4.0 * W * k + 4.0 * R * W
    if is_optimal_tau2(student.complement_variance) and "tau2" not in grids:
        per += 12.0 * R * W * d
    size = int(other * R * W)
    check_memory(8.0 * other * per, "the sweep", {"grid points": size, "d": d, "k": k})


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
    for regime in Regime:
        kept = regime is Regime.KEPT
        for name, (A, B, C, D) in coefficients(space, student.soft_labels, direction,
                                               "expected", regime, **args).items():
            total = terms.get(name, 0.0)
            if not is_zero(A):
                total = total + r_arr * mode_sums(A, kept)
            if not is_zero(B):
                total = total + (k - r_arr) * mode_sums(B, kept)
            if not is_zero(C):
                total = total + energy_sums(C, kept)[0]
            if not is_zero(D):
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
    if "tau2" in grids:
        tau2 = place("tau2", grids["tau2"])
    else:       # "optimal" depends on (rank, width), the teacher and n
        tau2 = expected_tau2(student.complement_variance, ridge=hyper("ridge", student.ridge),
                             beta_T=beta_T, lambda_T=lambda_T, s=s, k=k,
                             m=place("width", widths), r=r, space=space, nu=spec.noise)
    args = dict(s=s, beta_T=beta_T, lambda_T=lambda_T, beta_S=hyper("beta", student.beta),
                lambda_S=hyper("ridge", student.ridge), alpha=hyper("alpha", student.alpha),
                nu=spec.noise, nu_T=hyper("soft_label_noise", student.soft_label_noise),
                tau2=tau2, k=k, r=r)
    soft = student.soft_labels
    tshape = (1,) * (nax + 1 - np.ndim(tau2)) + np.shape(tau2)
    tau2_varies = tshape[w_ax] > 1 or tshape[r_ax] > 1
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
    weight = teacher_weight(space, beta_T, lambda_T, s, spec.noise)
    weight = np.broadcast_to(weight, np.broadcast_shapes(np.shape(weight), lead + (d,)))
    floor = expected_floor(spec, weight, widths.astype(int), ranks.astype(int),
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
