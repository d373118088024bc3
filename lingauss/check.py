"""Checking derivations: the verification suite behind ``lingauss check`` and a checker for a
user's own per-mode formula (:func:`check_formula`).

Sympy is imported only when a check runs (never by ``import lingauss``).

Route pairs of :func:`verify` (each row: the largest discrepancy over the terms, the
tolerance, pass/fail/skipped):

* *symbolic vs structured*: the derived expressions (lambdified fresh from
  :func:`lingauss.symbolic.derive`) summed over the modes of the sample, against the exact
  engine with the ``pca`` basis;
* *generated code vs structured*: the same through the generated fast functions;
* *structured vs dense*: the engine against an independent dense ``kd``-dimensional
  reference (``lingauss/_dense.py``), when ``kd`` and ``kn`` are small enough;
* *closed form vs Monte Carlo*: :func:`lingauss.expected_divergence` in closed form against
  the mean of the exact engine over label draws (z-score; the rank floor's closed form is an
  upper bound and is checked as one);
* *double vs mpmath*: the engine in double precision against the derived expressions
  evaluated with 50-digit mpmath arithmetic.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ._timeout import with_timeout
from ._validation import LingaussError, check_int, check_option
from .divergence import TERMS, divergence, kernel_set_up
from .model import DIRECTIONS, SOFT_LABELS, SPACES
from .numeric import conditional_inputs, expected_divergence, spectral_route

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

    from . import symbolic

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
    spaces = SPACES if spec.sample.noise else ("parameter",)
    for space, direction, soft in itertools.product(spaces, DIRECTIONS, SOFT_LABELS):
        student = base.replace(soft_labels=soft, soft_label_noise=(
            base.soft_label_noise or 0.3) if soft == "sampled+noise" else 0.0)
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
    for student, space, direction, case in _cases(spec, level):
        pca = student if (isinstance(student.basis, str) and student.basis == "pca") \
            else student.replace(basis="pca")
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
    from . import _dense

    size = sample.k * max(sample.d, sample.n)
    if size > DENSE_LIMIT[level]:
        return RouteCheck("structured vs dense", case, None, ROUTE_RTOL, "skipped",
                          f"k·max(d, n) == {size} > {DENSE_LIMIT[level]} (too large)")
    engine = divergence(teacher, student, sample, space=space, direction=direction).as_dict()
    ref = _dense.reference(teacher, student, sample, space=space, direction=direction)
    names = [n for n in TERMS if n in engine and ref.get(n) is not None]
    err, which = _relative(engine, {n: float(ref[n]) for n in names}, names)
    return _row("structured vs dense", case, err, ROUTE_RTOL, which)


def _mc_row(teacher, student, sample, space, direction, case, level, seed):
    if sample.W_star is None or sample.noise is None:
        return RouteCheck("closed form vs Monte Carlo", case, None, Z_MAX, "skipped",
                          "the sample has no W_star/noise to draw labels from")
    fixed = student
    notes = []
    if isinstance(student.rank_rule, str) and student.rank_rule == "optimal":
        fixed = fixed.replace(rank_rule="oracle")
        notes.append("rank_rule replaced by 'oracle'")
    if not (isinstance(student.basis, str) and student.basis == "pca"):
        fixed = fixed.replace(basis="pca")
        notes.append("basis replaced by 'pca'")
    if fixed.complement_variance == "optimal" and direction != "forward":
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
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FormulaCheck:
    """The verdict on a candidate formula.

    Attributes
    ----------
    verdict : {"equal", "not equal", "agrees numerically"}
    message : str
        One readable sentence (``str(result)``).
    counterexample : dict or None
        For "not equal": the parameter values, and the candidate's and the derived values.
    points : int
        Random points compared numerically.
    """

    verdict: str
    message: str
    points: int
    counterexample: dict | None = field(default=None)

    def __str__(self) -> str:
        return self.message


#: Functions a candidate formula may use besides the symbols.
FORMULA_FUNCTIONS = ("v", "log", "log1p", "exp", "sqrt")


def formula_names(flavour: str = "expected") -> tuple[str, ...]:
    """The symbol names a formula may use (those ``lingauss derive`` prints).

    >>> formula_names()[:3]
    ('s', 'beta_T', 'lambda_T')
    """
    from . import symbolic

    return tuple(a.name for a in symbolic.ARGS[flavour])


def _parse(candidate: str, flavour: str):
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations

    from . import symbolic

    if not isinstance(candidate, str) or not candidate.strip():
        raise LingaussError(f"candidate == {candidate!r}, must be a non-empty formula string.")
    allowed = {a.name: a for a in symbolic.ARGS[flavour]}
    funcs = {"v": symbolic.v, "log": sp.log, "log1p": sp.log1p if hasattr(sp, "log1p")
             else (lambda x: sp.log(1 + x)), "exp": sp.exp, "sqrt": sp.sqrt}
    names = ", ".join(list(allowed) + [f"{f}()" for f in FORMULA_FUNCTIONS])
    if "__" in candidate or any(ch in candidate for ch in ";\\`'\""):
        raise LingaussError(f"could not parse the formula {candidate!r}: it may use numbers, "
                            f"+ - * / ** ( ) and the names {names}.")
    unknown = {}

    def name_guard(tokens, local_dict, global_dict):
        from tokenize import NAME
        for tok, val in tokens:
            if tok == NAME and val not in allowed and val not in funcs and \
                    val not in ("E", "pi", "Integer", "Float", "Rational", "Symbol"):
                unknown[val] = True
        return tokens

    glob = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
            "Symbol": sp.Symbol, "pi": sp.pi, "E": sp.E, "__builtins__": {}}
    try:
        expr = parse_expr(candidate, local_dict={**allowed, **funcs}, global_dict=glob,
                          transformations=(name_guard,) + standard_transformations,
                          evaluate=True)
    except Exception as exc:            # SyntaxError, TokenError, TypeError, ...
        if unknown:
            raise LingaussError(
                f"unknown name(s) in the formula: {', '.join(sorted(unknown))}. "
                f"Allowed names: {names}.") from None
        raise LingaussError(f"could not parse the formula {candidate!r} "
                            f"({type(exc).__name__}). Allowed names: {names}.") from None
    if unknown:
        raise LingaussError(f"unknown name(s) in the formula: {', '.join(sorted(unknown))}. "
                            f"Allowed names: {names}.")
    if not isinstance(expr, sp.Expr):
        raise LingaussError(f"the formula {candidate!r} is not an expression. "
                            f"Allowed names: {names}.")
    return expr


def _random_points(flavour: str, count: int, seed: int):
    from . import symbolic

    rng = np.random.default_rng(seed)
    for _ in range(count):
        point = {}
        for sym in symbolic.ARGS[flavour]:
            if sym.name == "alpha":
                point[sym] = float(rng.uniform(0, 1))
            elif sym.name == "r":
                point[sym] = int(rng.integers(1, 5))
            elif sym.name == "k":
                point[sym] = None
            else:
                point[sym] = float(np.exp(rng.uniform(np.log(0.1), np.log(10.0))))
        r_sym = next(s for s in point if s.name == "r")
        k_sym = next(s for s in point if s.name == "k")
        point[k_sym] = point[r_sym] + int(rng.integers(0, 5))
        yield point


def _evaluate(expr, point, digits=40):
    import sympy as sp

    from . import symbolic

    value = expr.subs({s: sp.nsimplify(v) if isinstance(v, int) else sp.Float(v, digits)
                       for s, v in point.items()})
    value = value.replace(symbolic.v, lambda x: x - 1 - sp.log(x))
    return complex(sp.N(value, digits))


def _prove_zero(diff, seconds: float) -> bool:
    """``simplify(diff) == 0`` within ``seconds`` (see :func:`lingauss._timeout.with_timeout`)."""
    import sympy as sp

    from . import symbolic

    expr = diff.replace(symbolic.v, lambda x: x - 1 - sp.log(x))

    def attempt():
        if sp.simplify(expr) == 0:
            return True
        return sp.simplify(sp.expand_log(expr, force=True)) == 0

    done, proved = with_timeout(attempt, seconds)
    return bool(done and proved)


def check_formula(candidate: str, *, term: str, space: str = "parameter",
                  soft_labels: str = "mean", direction: str = "forward",
                  regime: str = "kept", flavour: str = "expected", points: int = 20,
                  seed: int = 0, timeout: float = 20.0) -> FormulaCheck:
    """Is a candidate per-mode formula equal to the derived one?

    Parameters
    ----------
    candidate : str
        A formula in sympy syntax using the per-mode names of :func:`formula_names`
        (``s, beta_T, lambda_T, beta_S, lambda_S, alpha, nu, nu_T, tau2, k, r`` and
        ``thetaQ2, thetaP2`` — or ``zQ2, zP2`` with ``flavour="conditional"``) and the
        functions ``v`` (``x − 1 − log x``), ``log``, ``log1p``, ``exp``, ``sqrt``.
    term : str
        ``variance``, ``bias``, ``bottleneck_mean``, ``bottleneck_covariance``,
        ``rank_bottleneck``, ``total`` (``convexity_slack`` for sampled soft labels).
    space, soft_labels, direction, regime, flavour
        Which derived form: see :func:`lingauss.symbolic.derive`; ``regime`` is ``"kept"``
        (mode inside the width) or ``"dropped"``.
    points : int
        Random points (log-uniform in [0.1, 10], ``α`` in [0, 1], ``1 <= r <= k``) compared
        at 40 digits before a proof is attempted.
    seed : int
    timeout : float
        Seconds allowed for the sympy proof.

    Returns
    -------
    FormulaCheck
        ``equal`` (proved by sympy), ``not equal`` with a counterexample, or
        ``agrees numerically`` at ``points`` points (not proved).

    Examples
    --------
    >>> from lingauss import check_formula
    >>> print(check_formula("r/2*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))",
    ...                     term="variance"))
    equal: the candidate equals the derived variance (kept modes; space=parameter, soft_labels=mean, direction=forward, flavour=expected), proved by sympy.
    >>> wrong = check_formula("r/2*v((beta_T*s + lambda_T)/(beta_S*s))", term="variance")
    >>> wrong.verdict, sorted(wrong.counterexample["values"])
    ('not equal', ['beta_S', 'beta_T', 'lambda_S', 'lambda_T', 'r', 's'])
    """
    from . import symbolic

    check_option(space, "space", SPACES)
    check_option(soft_labels, "soft_labels", SOFT_LABELS)
    check_option(direction, "direction", DIRECTIONS)
    check_option(regime, "regime", symbolic.REGIMES)
    check_option(flavour, "flavour", symbolic.FLAVOURS)
    points = check_int(points, "points", low=1)
    seed = check_int(seed, "seed", low=0)
    forms = symbolic.derive(space, soft_labels, direction, flavour)
    check_option(term, "term", tuple(forms[regime]))
    derived = forms[regime][term]
    expr = _parse(candidate, flavour)
    where = (f"{term} ({regime} modes; space={space}, soft_labels={soft_labels}, "
             f"direction={direction}, flavour={flavour})")
    for point in _random_points(flavour, points, seed):
        a, b = _evaluate(expr, point), _evaluate(derived, point)
        if not (abs(a - b) <= 1e-25 * max(abs(a), abs(b), 1.0)):
            used = expr.free_symbols | derived.free_symbols
            shown = {s.name: v for s, v in point.items() if s in used}
            ce = dict(values=shown, candidate=a.real if a.imag == 0 else a,
                      derived=b.real if b.imag == 0 else b)
            vals = ", ".join(f"{k}={v:.6g}" for k, v in shown.items())
            return FormulaCheck(
                "not equal",
                f"not equal: at {vals} the candidate is {_fmt(ce['candidate'])} but the "
                f"derived {where} is {_fmt(ce['derived'])}.", points, ce)
    if _prove_zero(expr - derived, timeout):
        return FormulaCheck("equal", f"equal: the candidate equals the derived {where}, "
                                     f"proved by sympy.", points)
    return FormulaCheck("agrees numerically",
                        f"agrees numerically at {points} random points (not proved): the "
                        f"candidate and the derived {where} agree to 25 digits, but sympy "
                        f"could not prove the identity within {timeout:g} s.", points)


def _fmt(x) -> str:
    return f"{x:.12g}" if isinstance(x, float) else str(x)
