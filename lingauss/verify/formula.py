"""Checking a user's own per-mode formula against the derived one (``lingauss check-formula``).

:func:`check_formula` parses a candidate (sympy syntax, a fixed set of names — no injected
code is ever executed: Python's ``ast`` vets the text first), compares it with the derived
term at random points with 40-digit arithmetic, and tries a sympy proof. The work is bounded:
the text is at most :data:`MAX_LENGTH` characters, integer powers at most
:data:`MAX_EXPONENT` in size (power towers refused up front), at most
:data:`lingauss._resources.MAX_POINTS` points, and one time limit covers the evaluation and
the proof (SIGALRM: on the main thread of a POSIX process).

Sympy is imported only when a check runs (never by ``import lingauss``).
"""

from __future__ import annotations

import ast
import math
import time
from dataclasses import dataclass, field

import numpy as np

from lingauss._core.display import TableDisplay
from lingauss._core.resources import MAX_POINTS
from lingauss._core.timeout import with_timeout
from lingauss._core.validation import LingaussError, check_int, check_option, check_real
from lingauss.model.options import Direction, Flavour, Regime, SoftLabels, Space

#: Longest candidate formula accepted (characters).
MAX_LENGTH = 2000
#: Largest numeric exponent in a candidate formula (in absolute value).
MAX_EXPONENT = 1000
_MAX_DEPTH = 60

@dataclass(frozen=True)
class FormulaCheck(TableDisplay):
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

    def _display_table(self) -> tuple:
        """Caption, header and rows of the notebook display (:mod:`lingauss._display`)."""
        rows = [("verdict", self.verdict), ("points compared", self.points),
                ("message", self.message)]
        return "check_formula: the candidate against the derived term", ("", ""), rows


#: Functions a candidate formula may use besides the symbols.
FORMULA_FUNCTIONS = ("v", "log", "log1p", "exp", "sqrt")


def formula_names(flavour: str = "expected") -> tuple[str, ...]:
    """The symbol names a formula may use (those ``lingauss derive`` prints).

    >>> formula_names()[:3]
    ('s', 'beta_T', 'lambda_T')
    """
    from lingauss import symbolic

    return tuple(a.name for a in symbolic.ARGS[flavour])


def _parse(candidate: str, flavour: str):
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations

    from lingauss import symbolic

    if not isinstance(candidate, str) or not candidate.strip():
        raise LingaussError(f"candidate == {candidate!r}, must be a non-empty formula string.")
    allowed = {a.name: a for a in symbolic.ARGS[flavour]}
    funcs = {"v": symbolic.v, "log": sp.log, "log1p": sp.log1p if hasattr(sp, "log1p")
             else (lambda x: sp.log(1 + x)), "exp": sp.exp, "sqrt": sp.sqrt}
    names = ", ".join(list(allowed) + [f"{f}()" for f in FORMULA_FUNCTIONS])
    if "__" in candidate or any(ch in candidate for ch in ";\\`'\""):
        raise LingaussError(f"could not parse the formula {candidate!r}: it may use numbers, "
                            f"+ - * / ** ( ) and the names {names}.")
    _vet(candidate, names)
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


_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant,
               ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _vet(candidate: str, names: str) -> None:
    """Refuse, before sympy sees it, a formula that is not plain arithmetic or whose powers
    could run without end (numeric exponents beyond :data:`MAX_EXPONENT`, numeric powers
    beyond 1e300, power towers)."""
    shown = candidate if len(candidate) <= 80 else candidate[:77] + "..."
    if len(candidate) > MAX_LENGTH:
        raise LingaussError(f"the formula has {len(candidate)} characters, must have at most "
                            f"{MAX_LENGTH}.")
    try:
        tree = ast.parse(candidate.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return                                  # parse_expr reports syntax errors
    limit = (f"numeric exponents must be at most {MAX_EXPONENT} in size and numeric powers "
             f"at most 1e300 (power towers are refused)")

    def const(node, depth=0):
        """The value of a numeric subexpression (None if it has a name), within limits."""
        if depth > _MAX_DEPTH:
            raise LingaussError(f"the formula {shown!r} is nested more than {_MAX_DEPTH} "
                                f"levels deep.")
        plain = isinstance(node, _ARITHMETIC) and not (
            isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                                or not isinstance(node.value, (int, float))))
        if not plain:
            raise LingaussError(f"could not parse the formula {shown!r}: it may use numbers, "
                                f"+ - * / ** ( ) and the names {names}.")
        if isinstance(node, ast.Constant):
            return float(node.value) if abs(node.value) < 1e308 else math.inf
        if isinstance(node, ast.Name):
            return None
        if isinstance(node, ast.UnaryOp):
            v = const(node.operand, depth + 1)
            return None if v is None else -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call):
            for arg in node.args:
                const(arg, depth + 1)
            if node.keywords or not isinstance(node.func, ast.Name):
                raise LingaussError(f"could not parse the formula {shown!r}: it may use "
                                    f"numbers, + - * / ** ( ) and the names {names}.")
            return None
        left, right = const(node.left, depth + 1), const(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            if right is not None and not abs(right) <= MAX_EXPONENT:
                raise LingaussError(f"the formula {shown!r} has a power with exponent "
                                    f"{right:g}: {limit}.")
            if left is None or right is None:
                return None
            if left != 0 and right * math.log10(abs(left)) > 300:
                raise LingaussError(f"the formula {shown!r} has a power of about "
                                    f"1e{right * math.log10(abs(left)):.0f}: {limit}.")
            try:
                return float(abs(left) ** right)
            except (OverflowError, ZeroDivisionError):
                return math.inf
        if left is None or right is None:
            return None
        try:
            return {ast.Add: left + right, ast.Sub: left - right,
                    ast.Mult: left * right}.get(type(node.op), left / right if right else
                                                math.inf)
        except OverflowError:
            return math.inf

    const(tree.body)
    if _tower(tree.body) >= 3:
        raise LingaussError(f"the formula {shown!r} has a tower of three powers or exponentials "
                            f"(a**(b**(c**d)), exp(exp(exp(x))), ...): {limit}.")


def _tower(node) -> int:
    """Depth of the deepest tower of powers and exponentials: ``x**y`` and ``exp(y)`` add one
    to the depth of ``y``."""
    if isinstance(node, ast.BinOp):
        here = _tower(node.right) + 1 if isinstance(node.op, ast.Pow) else _tower(node.right)
        return max(here, _tower(node.left))
    if isinstance(node, ast.UnaryOp):
        return _tower(node.operand)
    if isinstance(node, ast.Call):
        inner = max((_tower(a) for a in node.args), default=0)
        return inner + 1 if isinstance(node.func, ast.Name) and node.func.id == "exp" else inner
    return 0


def _random_points(flavour: str, count: int, seed: int):
    from lingauss import symbolic

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
    """The value at ``point`` with ``digits`` digits, as an mpmath number (no overflow: its
    exponent is unbounded); ``None`` when it is not finite there (a pole, infinity)."""
    import mpmath
    import sympy as sp

    from lingauss import symbolic

    value = expr.subs({s: sp.nsimplify(v) if isinstance(v, int) else sp.Float(v, digits)
                       for s, v in point.items()})
    value = value.replace(symbolic.v, lambda x: x - 1 - sp.log(x))
    try:
        num = sp.N(value, digits)
        if not num.is_number or num.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or \
                num.is_finite is False:
            return None
        re, im = num.as_real_imag()
        bits = int(digits * 3.33) + 8
        return mpmath.mpc(sp.Float(re, digits)._to_mpmath(bits),
                          sp.Float(im, digits)._to_mpmath(bits))
    except (OverflowError, ValueError, TypeError, ZeroDivisionError) as exc:
        raise LingaussError(f"check_formula cannot evaluate the formulas at "
                            f"{_shown(point)} with {digits} digits ({type(exc).__name__}: "
                            f"{' '.join(str(exc).split())[:80]}): their values are beyond "
                            f"what can be computed.") from None


def _shown(point) -> str:
    return ", ".join(f"{s.name}={v:.6g}" for s, v in point.items())


def _prove_zero(diff, seconds: float) -> bool:
    """``simplify(diff) == 0`` within ``seconds`` (see :func:`lingauss._timeout.with_timeout`)."""
    import sympy as sp

    from lingauss import symbolic

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
        at 40 digits before a proof is attempted (at most ``MAX_POINTS``).
    seed : int
    timeout : float
        Seconds allowed for the whole check — parsing, the numeric comparison and the sympy
        proof (at most 3600). Running out during the comparison raises
        :class:`lingauss.LingaussError`; during the proof, the verdict is "agrees
        numerically".

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
    import mpmath

    from lingauss import symbolic

    space = Space.parse(space, "space")
    soft_labels = SoftLabels.parse(soft_labels, "soft_labels")
    direction = Direction.parse(direction, "direction")
    regime = Regime.parse(regime, "regime")
    flavour = Flavour.parse(flavour, "flavour")
    points = check_int(points, "points", low=1, high=MAX_POINTS, high_rule="the stated limit")
    seed = check_int(seed, "seed", low=0)
    timeout = check_real(timeout, "timeout", low=0, high=3600)
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        return max(deadline - time.monotonic(), 1e-3)

    def out_of_time(done: int) -> LingaussError:
        return LingaussError(
            f"check_formula stopped at its time limit of {timeout:g} s after {done} of {points} "
            f"points: raise the timeout (--timeout on the command line), lower the points, or "
            f"simplify the formula.")

    forms = symbolic.derive(space, soft_labels, direction, flavour)
    check_option(term, "term", tuple(forms[regime]))
    derived = forms[regime][term]
    finished, expr = with_timeout(lambda: _parse(candidate, flavour), remaining())
    if not finished:
        raise out_of_time(0)
    where = (f"{term} ({regime} modes; space={space}, soft_labels={soft_labels}, "
             f"direction={direction}, flavour={flavour})")
    for i, point in enumerate(_random_points(flavour, points, seed)):
        if time.monotonic() >= deadline:
            raise out_of_time(i)
        finished, pair = with_timeout(lambda: (_evaluate(expr, point), _evaluate(derived, point)),
                                      remaining())
        if not finished:
            raise out_of_time(i)
        a, b = pair
        if a is None or b is None:
            which = "the candidate" if a is None else f"the derived {term}"
            raise LingaussError(f"check_formula cannot compare at {_shown(point)}: {which} is "
                                f"not finite there.")
        if not (abs(a - b) <= mpmath.mpf("1e-25") * max(abs(a), abs(b), 1)):
            used = expr.free_symbols | derived.free_symbols
            shown = {s.name: v for s, v in point.items() if s in used}
            ce = dict(values=shown, candidate=_plain(a), derived=_plain(b))
            vals = ", ".join(f"{k}={v:.6g}" for k, v in shown.items())
            return FormulaCheck(
                "not equal",
                f"not equal: at {vals} the candidate is {_fmt(ce['candidate'])} but the "
                f"derived {where} is {_fmt(ce['derived'])}.", points, ce)
    if time.monotonic() < deadline and _prove_zero(expr - derived, remaining()):
        return FormulaCheck("equal", f"equal: the candidate equals the derived {where}, "
                                     f"proved by sympy.", points)
    return FormulaCheck("agrees numerically",
                        f"agrees numerically at {points} random points (not proved): the "
                        f"candidate and the derived {where} agree to 25 digits, but sympy "
                        f"could not prove the identity within {timeout:g} s.", points)


def _plain(z):
    """An mpmath value as a float (or complex) when it is one, else as text."""
    import mpmath

    if z.imag == 0:
        x = float(z.real)
        return x if np.isfinite(x) else mpmath.nstr(z.real, 12)
    return complex(z) if np.isfinite(complex(z)).all() else mpmath.nstr(z, 12)


def _fmt(x) -> str:
    return f"{x:.12g}" if isinstance(x, float) else str(x)
