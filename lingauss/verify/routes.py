"""Checking derivations: the verification suite behind ``lingauss check`` (a user's own
per-mode formula is checked by :mod:`lingauss.formula`).

Sympy is imported only when a check runs (never by ``import lingauss``).

Route pairs of :func:`verify` (each row: the largest discrepancy over the terms, the
tolerance, pass/fail/skipped):

* *symbolic vs structured*: the derived expressions (lambdified fresh from
  :func:`lingauss.symbolic.derive`) summed over the modes of the sample, against the exact
  engine with the ``pca`` basis;
* *generated code vs structured*: the same through the generated fast functions;
* *structured vs dense*: the engine against an independent dense ``kd``-dimensional
  reference (``lingauss/dense.py``), when ``kd`` and ``kn`` are small enough;
* *closed form vs Monte Carlo*: :func:`lingauss.expected_divergence` in closed form against
  the mean of the exact engine over label draws (z-score; the rank floor's closed form is an
  upper bound and is checked as one);
* *double vs mpmath*: the engine in double precision against the derived expressions
  evaluated with 50-digit mpmath arithmetic.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from lingauss._core.progress import progress
from lingauss._core.validation import check_int, check_option
from lingauss.averages.labels import expected_divergence
from lingauss.engine.divergence import divergence, kernel_set_up
from lingauss.engine.setup import is_pca
from lingauss.engine.spectral import conditional_inputs, spectral_route
from lingauss.model.options import Basis, Direction, RankRule, SoftLabels, Space, is_optimal_tau2
from lingauss.model.results import TERMS
from lingauss.verify import dense

LEVELS = ("quick", "full")
#: Relative tolerance between two double-precision routes.
ROUTE_RTOL = 1e-9
#: Monte Carlo label draws per level, and the z-score a check must stay within.
MC_DRAWS = {"quick": 200, "full": 2000}
Z_MAX = 4.0
#: Largest ``k·max(d, n)`` for the dense route, per level.
DENSE_LIMIT = {"quick": 600, "full": 2000}


@dataclass(frozen=True)
class RouteCheck:
    """One row of the verification table."""

    routes: str
    case: str
    discrepancy: float | None
    tolerance: float
    status: str                    # "pass", "fail" or "skipped"
    detail: str = ""

    def as_dict(self) -> dict:
        return dict(routes=self.routes, case=self.case, discrepancy=self.discrepancy,
                    tolerance=self.tolerance, status=self.status, detail=self.detail)


def _relative(got: dict, want: dict, names) -> tuple[float, str]:
    """Largest ``|a − b| / max(|b|, 1e-12·scale)`` over ``names``, and the worst term."""
    scale = max([abs(want[n]) for n in names] + [1.0])
    worst, which = 0.0, ""
    for n in names:
        err = abs(got[n] - want[n]) / max(abs(want[n]), 1e-12 * scale)
        if err > worst:
            worst, which = err, n
    return worst, which


def _row(routes, case, err, tol, which, extra=""):
    detail = (f"worst term: {which}" if which else "") + (f"; {extra}" if extra else "")
    return RouteCheck(routes, case, float(err), tol, "pass" if err <= tol else "fail",
                      detail.strip("; "))


# --------------------------------------------------------------------------------------------
# Evaluating the derived expressions (sympy) at a sample
# --------------------------------------------------------------------------------------------

def _symbolic_terms(teacher, student, sample, space, direction, *, digits=None) -> dict:
    """Terms of the derived conditional forms summed over the modes of ``sample``.

    ``digits=None``: lambdified to numpy (double). Otherwise evaluated in mpmath with that
    many digits (the double inputs taken as exact).
    """
    import mpmath

    from lingauss import symbolic

    inputs, _ = conditional_inputs(teacher, student, sample, space, direction)
    forms = symbolic.derive(space, student.soft_labels, direction, "conditional")
    out = {}
    for regime, terms in forms.items():
        args = inputs.args(teacher, student, regime)
        order = symbolic.ARGS["conditional"]
        for name, expr in terms.items():
            if name in ("rank_bottleneck", "total"):
                continue
            if digits is None:
                f = symbolic.to_numeric(expr, order)
                val = float(np.sum(np.broadcast_to(f(*(args[a.name] for a in order)),
                                                   np.shape(args["s"]))))
            else:
                f = _to_mpmath(expr, order)
                with mpmath.workdps(digits):
                    cols = [np.broadcast_to(np.asarray(args[a.name], dtype=float),
                                            np.shape(args["s"])) for a in order]
                    val = mpmath.fsum(f(*(mpmath.mpf(float(c[i])) for c in cols))
                                      for i in range(np.size(args["s"])))
            out[name] = out.get(name, 0) + val
    out["rank_bottleneck"] = out["bottleneck_mean"] + out["bottleneck_covariance"]
    out["total"] = out["bias"] + out["variance"] + out["rank_bottleneck"]
    return out


_MP_CACHE: dict = {}


def _to_mpmath(expr, order):
    """Lambdify to mpmath (``v`` as ``x − 1 − log x`` in mpmath arithmetic), cached."""
    import mpmath
    import sympy as sp

    key = (expr, order)
    if key not in _MP_CACHE:
        _MP_CACHE[key] = sp.lambdify(
            order, expr, modules=[{"v": lambda x: x - 1 - mpmath.log(x),
                                   "log1p": mpmath.log1p}, "mpmath"])
    return _MP_CACHE[key]


# --------------------------------------------------------------------------------------------
# The verification suite
# --------------------------------------------------------------------------------------------

def _cases(spec, level):
    """(student, space, direction, label) to check: the spec's own, or every option (full)."""
    base = spec.student
    if level == "quick":
        yield base, spec.space, spec.direction, "spec"
        return
    spaces = tuple(Space) if spec.sample.noise else (Space.PARAMETER,)
    for space, direction, soft in itertools.product(spaces, Direction, SoftLabels):
        student = base.replace(soft_labels=soft, soft_label_noise=(
            base.soft_label_noise or 0.3) if soft.noisy else 0.0)
        yield student, space, direction, f"{space}/{direction}/{soft}"


def verify(spec, *, level: str = "quick", seed: int = 0) -> list[RouteCheck]:
    """Run every route pair on the problem of ``spec``; see the module docstring.

    Parameters
    ----------
    spec : Spec
        The problem (``lingauss.load_spec`` or ``lingauss.spec.default_spec()``).
    level : {"quick", "full"}
        ``quick``: the spec's own options, 200 Monte Carlo draws (a few seconds). ``full``:
        every space × direction × soft-label mode, 2000 draws, a larger dense limit.
    seed : int
        Seed of the Monte Carlo draws.

    Returns
    -------
    list of RouteCheck

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> rows = verify(default_spec())
    >>> sorted({row.status for row in rows})
    ['pass']
    """
    check_option(level, "level", LEVELS)
    seed = check_int(seed, "seed", low=0)
    teacher, sample = spec.teacher, spec.sample
    rows = []
    cases = list(_cases(spec, level))
    for student, space, direction, case in progress(cases, desc="check: cases", min_total=2):
        pca = student if is_pca(student) else student.replace(basis=Basis.PCA)
        note = "" if pca is student else "basis replaced by 'pca'"
        engine = divergence(teacher, pca, sample, space=space, direction=direction).as_dict()
        names = [n for n in TERMS if n in engine and n not in ("rank_floor",
                                                               "convexity_bound")]
        # symbolic (fresh derivation, lambdified) vs structured engine
        sym = _symbolic_terms(teacher, pca, sample, space, direction)
        core = [n for n in names if n in sym]
        err, which = _relative(sym, engine, core)
        rows.append(_row("symbolic vs structured", case, err, ROUTE_RTOL, which, note))
        # generated code vs structured engine
        gen = spectral_route(teacher, pca, sample, space=space, direction=direction).as_dict()
        err, which = _relative(gen, engine, [n for n in TERMS if n in engine])
        rows.append(_row("generated code vs structured", case, err, ROUTE_RTOL, which, note))
        # structured vs dense kd-dimensional
        rows.append(_dense_row(teacher, student, sample, space, direction, case, level))
        # double vs mpmath (50 digits)
        mp = _symbolic_terms(teacher, pca, sample, space, direction, digits=50)
        mp = {n: float(v) for n, v in mp.items()}
        err, which = _relative(engine, mp, core)
        rows.append(_row("double vs mpmath (50 digits)", case, err, ROUTE_RTOL, which, note))
        # closed form vs Monte Carlo
        rows.append(_mc_row(teacher, student, sample, space, direction, case, level, seed))
    return rows


def _dense_row(teacher, student, sample, space, direction, case, level):

    size = sample.k * max(sample.d, sample.n)
    if size > DENSE_LIMIT[level]:
        return RouteCheck("structured vs dense", case, None, ROUTE_RTOL, "skipped",
                          f"k·max(d, n) == {size} > {DENSE_LIMIT[level]} (too large)")
    engine = divergence(teacher, student, sample, space=space, direction=direction).as_dict()
    ref = dense.reference(teacher, student, sample, space=space, direction=direction)
    names = [n for n in TERMS if n in engine and ref.get(n) is not None]
    err, which = _relative(engine, {n: float(ref[n]) for n in names}, names)
    return _row("structured vs dense", case, err, ROUTE_RTOL, which)


def _mc_row(teacher, student, sample, space, direction, case, level, seed):
    if sample.W_star is None or sample.noise is None:
        return RouteCheck("closed form vs Monte Carlo", case, None, Z_MAX, "skipped",
                          "the sample has no W_star/noise to draw labels from")
    fixed = student
    notes = []
    if student.rank_rule is RankRule.OPTIMAL:
        fixed = fixed.replace(rank_rule=RankRule.ORACLE)
        notes.append("rank_rule replaced by 'oracle'")
    if not is_pca(student):
        fixed = fixed.replace(basis=Basis.PCA)
        notes.append("basis replaced by 'pca'")
    if is_optimal_tau2(fixed.complement_variance) and \
            Direction.parse(direction, "direction") is not Direction.FORWARD:
        tau2 = kernel_set_up(teacher, fixed, sample, space=space, direction=direction)[1]
        if tau2 == 0.0:
            return RouteCheck("closed form vs Monte Carlo", case, None, Z_MAX, "skipped",
                              "the optimal τ² is the limit τ² → 0, not a kernel to draw from")
        fixed = fixed.replace(complement_variance=tau2)
        notes.append(f"complement_variance replaced by the sample's optimum {tau2:.4g}")
    exact = expected_divergence(teacher, fixed, sample, space=space,
                                direction=direction).as_dict()
    mc = expected_divergence(teacher, fixed, sample, space=space, direction=direction,
                             monte_carlo=MC_DRAWS[level], seed=seed)
    worst, which = 0.0, ""
    scale = max(abs(mc.total), abs(exact["total"]))
    for name, value in exact.items():
        se, mean = mc.stderr[name], getattr(mc, name)
        if name == "rank_floor":            # an upper bound of the expected floor
            z = max(0.0, (mean - value) / se) if se > 0 else 0.0
        elif se > 1e-12 * scale:
            z = abs(value - mean) / se
        else:       # does not depend on the labels (or vanishes): equal up to rounding
            z = 0.0 if abs(value - mean) <= ROUTE_RTOL * scale else math.inf
        if z > worst:
            worst, which = z, name
    notes.append(f"{MC_DRAWS[level]} draws, max |z|")
    return _row("closed form vs Monte Carlo", case, worst, Z_MAX, which, "; ".join(notes))


def table(rows: list[RouteCheck]) -> list[tuple]:
    """Rows for a text table: route pair, case, discrepancy, tolerance, status, detail."""
    return [(r.routes, r.case, "" if r.discrepancy is None else f"{r.discrepancy:.2e}",
             f"{r.tolerance:g}", r.status, r.detail) for r in rows]


# --------------------------------------------------------------------------------------------
# Checking a user's formula
