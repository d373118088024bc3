"""The best student hyper-parameters at one size: ``λ_S``, ``β_S``, ``α``, ``τ²``.

:func:`best_hyperparameters` minimises the divergence at one rank and width — ``τ²`` in
closed form where the symbolic engine finds a stationary point
(:func:`stationary_tau2`), the others by bounded optimisation — and :func:`tune` does it at
every size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from lingauss._core.validation import LingaussError
from lingauss.engine.divergence import kernel_set_up
from lingauss.engine.setup import is_pca
from lingauss.engine.spectral import conditional_inputs
from lingauss.explore.design import TRIVIAL_RTOL
from lingauss.explore.problem import evaluate, grid_values
from lingauss.model.checks import renamed
from lingauss.model.options import Direction, Space, complement_variance
from lingauss.model.results import Decomposition

#: Student hyper-parameters :func:`best_hyperparameters` can optimise.
HYPERPARAMETERS = ("beta", "ridge", "alpha", "tau2")
#: Search box of the bounded optimisation (``β``, ``λ`` on a log scale).
BOUNDS = {"beta": (1e-3, 1e3), "ridge": (1e-4, 1e4), "alpha": (0.0, 1.0),
          "tau2": (1e-6, 1e6)}


# --------------------------------------------------------------------------------------------
# Best hyper-parameters at one size
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Optimum:
    """The best student hyper-parameters found at one (rank, width) and the divergence."""

    values: dict
    divergence: Decomposition
    start: Decomposition
    method: dict
    #: The unconstrained optimum when it reproduces the teacher itself (``K = 0``): not a
    #: distillation design; ``values`` then hold the best constrained one (``notes`` say how).
    trivial: "Optimum | None" = None
    notes: tuple = ()

    def as_dict(self) -> dict:
        return dict(values=self.values, divergence=self.divergence.as_dict(),
                    start=self.start.as_dict(), method=self.method,
                    trivial=None if self.trivial is None else self.trivial.as_dict(),
                    notes=list(self.notes))


def stationary_tau2(spec, student) -> float | None:
    """``τ²`` where ``∂K/∂τ² = 0``, in closed form from the derived per-mode terms.

    The symbolic engine finds ``τ⁴ ∂K_i/∂τ² = A_i τ⁴ + B_i τ² + C_i`` in parameter space
    (:func:`lingauss.symbolic.tau2_stationarity`); summed over the modes of the ``pca`` basis
    the stationary points are the positive roots of ``(ΣA) x² + (ΣB) x + ΣC`` — e.g. forward
    ``τ²* = Σ(k_i)/Σ(k_i a_i)``. Returns the root with the smaller divergence, or ``None``
    where there is no closed form (prediction space, other bases) or no positive root.
    """
    if Space.parse(spec.space, "space") is not Space.PARAMETER or not is_pca(student):
        return None
    from lingauss import symbolic

    inputs, _ = conditional_inputs(spec.teacher, student, spec.sample, spec.space,
                                   spec.direction)
    directions = Direction.parse(spec.direction, "direction").parts
    sums = np.zeros(3)
    order = symbolic.ARGS["conditional"]
    for direction in directions:
        for regime in symbolic.REGIMES:
            coef = symbolic.tau2_stationarity(direction, student.soft_labels, regime)
            if coef is None:
                return None
            args = inputs.args(spec.teacher, student, regime)
            for j, c in enumerate(coef):
                f = symbolic.to_numeric(c, order)
                sums[j] += float(np.sum(np.broadcast_to(f(*(args[a.name] for a in order)),
                                                        np.shape(args["s"]))))
    roots = [x.real for x in np.roots(sums) if abs(x.imag) <= 1e-12 * abs(x) and x.real > 0] \
        if np.any(sums) else []
    if not roots:
        return None
    return min(roots, key=lambda x: evaluate(
        spec, student.replace(complement_variance=float(x))).total)


def best_hyperparameters(spec, *, rank: int | None = None, width: int | None = None,
                         optimize_over=("ridge",)) -> Optimum:
    """Minimise the divergence over some student hyper-parameters at one rank and width.

    ``τ²``: the closed-form stationary point of :func:`stationary_tau2` when it exists
    (parameter space, ``pca`` basis), else a bounded 1-D search. The others (and ``τ²``
    without a closed form): bounded L-BFGS-B on ``log β``, ``log λ``, ``α ∈ [0, 1]``,
    ``log τ²`` within :data:`BOUNDS`, from the spec's values; with a closed-form ``τ²`` it is
    re-solved at every step (a profile optimisation).

    Parameters
    ----------
    spec : Spec
    rank, width : int, optional
        Default: the spec's.
    optimize_over : sequence of {"beta", "ridge", "alpha", "tau2"}

    Returns
    -------
    Optimum

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> opt = best_hyperparameters(default_spec(), optimize_over=("tau2",))
    >>> opt.method["tau2"], opt.divergence.total <= opt.start.total
    ('closed form (stationary point)', True)
    """
    names = tuple(optimize_over)
    if not names:
        raise LingaussError("optimize_over is empty, must name at least one of "
                            f"{HYPERPARAMETERS}.")
    for name in names:
        if name not in HYPERPARAMETERS:
            raise LingaussError(f"Unknown value for optimize_over: {name!r}. Possible values: "
                                f"{HYPERPARAMETERS}.")
    d, k = spec.sample.d, spec.sample.k
    m0, r0 = spec.student.resolve(d, k)
    base = spec.student.replace(rank=r0 if rank is None else rank,
                                width=m0 if width is None else width)
    base.resolve(d, k)
    start = evaluate(spec, base)
    free = [n for n in names if n != "tau2"]
    tau_closed = "tau2" in names and stationary_tau2(spec, base) is not None

    def with_tau2(student):
        if "tau2" in names and tau_closed:
            t = stationary_tau2(spec, student)
            if t is not None:
                return student.replace(complement_variance=t)
        return student

    log_scale = {"beta": True, "ridge": True, "alpha": False, "tau2": True}
    searched = free + (["tau2"] if "tau2" in names and not tau_closed else [])

    def current(name, student):
        if name == "tau2":
            return float(complement_variance(student.complement_variance, ridge=student.ridge,
                                             optimal=lambda: _default_tau2(spec, student)))
        return getattr(student, name)

    def build(x):
        changes = {}
        for name, value in zip(searched, x):
            value = math.exp(value) if log_scale[name] else value
            changes["complement_variance" if name == "tau2" else name] = value
        return with_tau2(base.replace(**changes))

    method = {}
    if searched:
        x0 = [math.log(current(n, base)) if log_scale[n] else current(n, base)
              for n in searched]
        bounds = [tuple(math.log(b) for b in BOUNDS[n]) if log_scale[n] else BOUNDS[n]
                  for n in searched]
        x0 = [min(max(x, lo), hi) for x, (lo, hi) in zip(x0, bounds)]
        res = optimize.minimize(lambda x: evaluate(spec, build(x)).total, x0,
                                method="L-BFGS-B", bounds=bounds)
        best = build(res.x)
        for n in searched:
            method[n] = "bounded L-BFGS-B"
    else:
        best = with_tau2(base)
    if tau_closed:
        method["tau2"] = "closed form (stationary point)"
    dec = evaluate(spec, best)
    if dec.total > start.total:          # never report a worse point than the start
        best, dec = base, start
    values = {n: current(n, best) for n in names}
    found = Optimum(values=values, divergence=dec, start=start, method=method)
    if dec.total > TRIVIAL_RTOL * max(start.total, 1e-300):
        return found
    # The optimum is the teacher itself (α = 1 at full size with the teacher's β and λ):
    # flag it and give the best design that keeps the spec's hard-label weight.
    if "alpha" in names and len(names) > 1:
        rest = tuple(n for n in names if n != "alpha")
        constrained = best_hyperparameters(spec, rank=rank, width=width, optimize_over=rest)
        note = (f"the unconstrained optimum reproduces the teacher itself (K = "
                f"{dec.total:.3g}, alpha = {values['alpha']:.6g}): not a distillation design; "
                f"shown instead: the best over {', '.join(rest)} at the spec's alpha = "
                f"{spec.student.alpha:g}.")
        return Optimum(values=dict(constrained.values, alpha=spec.student.alpha),
                       divergence=constrained.divergence, start=start,
                       method=dict(constrained.method, alpha="fixed (see notes)"),
                       trivial=found, notes=(note,))
    note = (f"the optimum reproduces the teacher itself (K = {dec.total:.3g}): at this size, "
            f"with these options, the student can be the teacher; choose a smaller size or "
            f"alpha < 1 for a distillation design.")
    return Optimum(values=values, divergence=dec, start=start, method=method, trivial=found,
                   notes=(note,))


def tune(spec, *, rank=None, width=None, optimize_over=("ridge",), ranks=None,
         widths=None) -> list:
    """:func:`best_hyperparameters` at every (rank, width): ``[(rank, width, Optimum)]``.

    Defaults: every rank ``1..min(k, m)`` at the spec's width ``m``.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> rows = tune(default_spec(), rank=[1, 2], optimize_over=("tau2",))
    >>> [(r, m) for r, m, _ in rows]
    [(1, 24), (2, 24)]
    """
    ranks = renamed(rank, ranks, old="ranks", new="rank", where="tune")
    widths = renamed(width, widths, old="widths", new="width", where="tune")
    d, k = spec.sample.d, spec.sample.k
    m0, _ = spec.student.resolve(d, k)
    widths = grid_values([m0] if widths is None else widths, "width", d, "d")
    ranks = grid_values(range(1, min(k, int(widths.max())) + 1) if ranks is None else ranks,
                         "rank", k, "k")
    return [(int(r), int(m), best_hyperparameters(spec, rank=int(r), width=int(m),
                                                  optimize_over=optimize_over))
            for m in widths for r in ranks if r <= min(k, m)]


def _default_tau2(spec, student) -> float:
    """The ``τ²`` the engine uses for this student (its rule, in the spec's divergence)."""
    return kernel_set_up(spec.teacher, student, spec.sample, space=spec.space,
                         direction=spec.direction)[1]

