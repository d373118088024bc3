"""The per-mode closed forms of the divergence (steps 5 and after of
:mod:`lingauss.symbolic`): the expectation over the label noise, the sums over rows, the
convexity slack, :func:`derive`, the stationary point in ``τ²``, and LaTeX with the model's
names."""

from __future__ import annotations

import functools

import sympy as sp
from sympy.codegen.cfunctions import log1p

from lingauss._core.display import latex_equations
from lingauss.model.options import Direction, Flavour, SoftLabels, Space
from lingauss.symbolic.core import (LATEX_NAMES, Moments, complement_moments, k, kl_pieces, nu,
                                    push_to_prediction, r, s, student_given_soft_labels,
                                    student_moments, tau2, teacher_moments, thetaP2, thetaQ2,
                                    z_stat, zP2, zQ2)

# --------------------------------------------------------------------------------------------
# Step 5: expectation over the label noise, and the sums over rows
# --------------------------------------------------------------------------------------------

_t = sp.Symbol("t", real=True)   # q_jᵀ θ_i for one row


def sum_rows(piece: sp.Expr, flavour: str, rows: sp.Expr, energy: sp.Expr) -> sp.Expr:
    """``Σ_rows`` of a per-coordinate piece ``c₀ + c₂ z²`` (checked: no linear term in ``z``).

    The constant sums to ``c₀ · rows``. Conditional: ``Σ_j c₂ z_j² = c₂ ‖·z‖²``. Expected: with
    ``z_j ~ N(s t_j, ν² s)`` the second-moment rule ``E z² = (E z)² + Var z`` is a polynomial
    ``p₂ t_j² + p₀``, and ``Σ_j t_j² = ‖·θ‖²``, so ``Σ_j E[c₂ z_j²] = c₂ (p₂ ‖·θ‖² + p₀ · rows)``.
    """
    if not piece.has(z_stat):
        return rows * piece
    # Taylor coefficients in z (exact for a polynomial of degree <= 2; checked below).
    c0 = piece.subs(z_stat, 0)
    c1 = sp.cancel(sp.diff(piece, z_stat).subs(z_stat, 0))
    c2 = sp.diff(piece, z_stat, 2) / 2
    if c1 != 0 or sp.cancel(sp.diff(piece, z_stat, 3)) != 0:
        raise AssertionError(f"piece is not c0 + c2 z²: {piece}")
    if Flavour.parse(flavour, "flavour") is Flavour.CONDITIONAL:
        return c2 * energy + rows * c0
    mean_z, var_z = s * _t, nu ** 2 * s
    second = sp.Poly(sp.expand(mean_z ** 2 + var_z), _t)
    if second.coeff_monomial(_t) != 0:
        raise AssertionError("odd moment survived the expectation")
    return (c2 * (second.coeff_monomial(_t ** 2) * energy + second.coeff_monomial(1) * rows)
            + rows * c0)


def expect_quadratic(expr: sp.Expr, x: sp.Symbol, m: Moments) -> sp.Expr:
    """``E[expr]`` for ``expr`` a polynomial of degree <= 2 in ``x ~ (mean, var)``."""
    poly = sp.Poly(sp.expand(expr), x)
    if poly.degree() > 2:
        raise AssertionError(f"{expr} is not quadratic in {x}")
    moments = {0: sp.S.One, 1: m.mean, 2: m.mean ** 2 + m.var}
    return sum((c * moments[deg[0]] for deg, c in poly.terms()), sp.S.Zero)


_M = sp.Symbol("M", real=True)  # the student's mean for one draw of the soft labels


@functools.lru_cache(maxsize=None)
def slack_abstract(direction: str) -> sp.Expr:
    """``E_M D(N(M, c), N(m_T, v_T)) − D(N(E M, c + V), N(m_T, v_T))`` for ``M ~ (E M, V)``.

    Derived on abstract symbols (``c, V, v_T > 0``) and returned in terms of ``ρ = V/c``,
    ``c``, ``v_T`` and the mean gap ``g = m_T − E M``, with ``log(1 + ρ)`` as ``log1p(ρ)``.
    """
    c_, V_, vT_, rho = sp.symbols("c V v_T rho", positive=True)
    mT_, Em_, g_ = sp.symbols("m_T EM g", real=True)
    teacher = Moments(mT_, vT_)
    draw = Moments(_M, c_)
    marginal = Moments(Em_, c_ + V_)
    forward = Direction.parse(direction, "direction") is Direction.FORWARD
    pair = (draw, teacher) if forward else (teacher, draw)
    cov, mean = kl_pieces(*pair)
    bound = cov + expect_quadratic(mean, _M, Moments(Em_, V_))
    pair = (marginal, teacher) if forward else (teacher, marginal)
    kl = sum(kl_pieces(*pair), sp.S.Zero)
    slack = (bound - kl).rewrite(sp.log).subs({V_: rho * c_, Em_: mT_ - g_})
    slack = sp.expand(sp.expand_log(sp.simplify(slack), force=True))
    slack = sp.collect(sp.simplify(sp.logcombine(slack, force=True)), g_)
    return slack.replace(lambda e: isinstance(e, sp.log),
                         lambda e: log1p(sp.simplify(e.args[0] - 1)))


@functools.lru_cache(maxsize=None)
def convexity_slack_coordinate(space: str, soft_labels: str, direction: str) -> sp.Expr:
    """Per trained coordinate: ``E_Ŷ D(P_S(·|Ŷ), P_T) − D(P_S, P_T)`` (a function of ``z``).

    ``P_S(·|Ŷ)`` has the conditional variance ``c`` (``1/b``, pushed forward in prediction
    space) and a mean ``M`` that varies with the draw of ``Ŷ``, with ``Var M = V`` = marginal
    variance − ``c``; the general slack (:func:`slack_abstract`) is evaluated at the model's
    moments.
    """
    teacher = in_space(teacher_moments(), space)
    marg = in_space(student_moments(soft_labels), space)
    cond = in_space(student_given_soft_labels(), space)
    c_, vT_, rho = sp.symbols("c v_T rho", positive=True)
    g_ = sp.Symbol("g", real=True)
    ratio = sp.factor(sp.cancel((marg.var - cond.var) / cond.var))
    return slack_abstract(direction).subs(
        {rho: ratio, c_: cond.var, vT_: teacher.var, g_: sp.factor(sp.cancel(teacher.mean - marg.mean))})


def in_space(m: Moments, space: str) -> Moments:
    return push_to_prediction(m) if Space.parse(space, "space") is Space.PREDICTION else m


class Forms(dict):
    """``{regime: {term: expr}}`` (or one regime's ``{term: expr}``) that a notebook shows as
    LaTeX: one ``aligned`` block with the model's symbol names (:func:`latex`).

    >>> forms = derive("parameter", "mean", "forward", "expected")
    >>> isinstance(forms["kept"], Forms), forms._repr_latex_().startswith("$$")
    (True, True)
    """

    def _repr_latex_(self) -> str:
        headings = {"kept": "kept modes (i <= m)", "dropped": "dropped modes (i > m)"}
        if all(isinstance(v, dict) for v in self.values()):
            groups = [(headings.get(regime, regime), list(terms.items()))
                      for regime, terms in self.items()]
        else:
            groups = [("", list(self.items()))]
        return latex_equations([(heading, [(name, latex(expr)) for name, expr in rows])
                                for heading, rows in groups])


@functools.lru_cache(maxsize=None)
def derive(space: str = "parameter", soft_labels: str = "mean", direction: str = "forward",
           flavour: str = "expected") -> dict:
    """Per-mode closed forms of every term, derived from the model.

    Parameters
    ----------
    space : {"parameter", "prediction"}
    soft_labels : {"mean", "sampled", "sampled+noise"}
    direction : {"forward", "reverse", "symmetric"}
        ``KL(P_S‖P_T)``, ``KL(P_T‖P_S)``, or their sum (term by term).
    flavour : {"expected", "conditional"}
        Expected over the label noise (symbols ``thetaQ2``, ``thetaP2``), or given the sample
        (symbols ``zQ2``, ``zP2``).

    Returns
    -------
    Forms
        A dict ``{regime: {term: expr}}`` (shown as LaTeX in a notebook) with regimes ``"kept"`` (mode ``i <= m``) and ``"dropped"``
        (``i > m``), terms ``variance, bias, bottleneck_mean, bottleneck_covariance,
        rank_bottleneck, total``. The divergence is the sum over modes. Argument order for
        numerics: :data:`ARGS`.

    Examples
    --------
    >>> forms = derive("parameter", "mean", "forward", "expected")
    >>> forms["kept"]["variance"]
    r*v((beta_T*s + lambda_T)/(beta_S*s + lambda_S))/2
    >>> forms["kept"]["bias"]
    (alpha*beta_S*lambda_T - beta_T*lambda_S)**2*(nu**2*r*s + s**2*thetaQ2)/(2*(beta_S*s + lambda_S)**2*(beta_T*s + lambda_T))
    >>> forms["dropped"]["bias"]
    0
    """
    space = Space.parse(space, "space")
    soft_labels = SoftLabels.parse(soft_labels, "soft_labels")
    direction = Direction.parse(direction, "direction")
    flavour = Flavour.parse(flavour, "flavour")
    if direction is Direction.SYMMETRIC:    # KL(P_S‖P_T) + KL(P_T‖P_S), term by term
        fwd, rev = (derive(space, soft_labels, dr, flavour) for dr in direction.parts)
        return Forms({regime: Forms({name: fwd[regime][name] + rev[regime][name]
                                     for name in fwd[regime]}) for regime in fwd})
    teacher = in_space(teacher_moments(), space)
    trained = in_space(student_moments(soft_labels), space)
    compl = in_space(complement_moments(), space)

    def pieces(student):
        pair = (student, teacher) if direction is Direction.FORWARD else (teacher, student)
        return kl_pieces(*pair)

    cov_tr, mean_tr = pieces(trained)
    cov_c, mean_c = pieces(compl)
    in_Q, out_Q = (thetaQ2, thetaP2) if flavour is Flavour.EXPECTED else (zQ2, zP2)
    kept = dict(
        variance=sum_rows(cov_tr, flavour, r, in_Q),
        bias=sum_rows(mean_tr, flavour, r, in_Q),
        bottleneck_mean=sum_rows(mean_c, flavour, k - r, out_Q),
        bottleneck_covariance=sum_rows(cov_c, flavour, k - r, out_Q),
    )
    dropped = dict(
        variance=sp.S.Zero,
        bias=sp.S.Zero,
        bottleneck_mean=sum_rows(mean_c, flavour, k, in_Q + out_Q),
        bottleneck_covariance=sum_rows(cov_c, flavour, k, in_Q + out_Q),
    )
    if soft_labels.sampled:
        slack = convexity_slack_coordinate(space, soft_labels, direction)
        kept["convexity_slack"] = sum_rows(slack, flavour, r, in_Q)
        dropped["convexity_slack"] = sp.S.Zero
    out = {}
    for regime, terms in (("kept", kept), ("dropped", dropped)):
        terms["rank_bottleneck"] = terms["bottleneck_mean"] + terms["bottleneck_covariance"]
        # K = (bias + variance) + rank_bottleneck
        terms["total"] = terms["bias"] + terms["variance"] + terms["rank_bottleneck"]
        out[regime] = Forms(terms)
    return Forms(out)


@functools.lru_cache(maxsize=None)
def tau2_stationarity(direction: str, soft_labels: str = "mean", regime: str = "kept"):
    """``(A, B, C)`` with ``τ⁴ ∂K_i/∂τ² = A τ⁴ + B τ² + C`` for one mode (parameter space).

    Derived from the conditional per-mode total; ``None`` when ``τ⁴ ∂K_i/∂τ²`` is not a
    polynomial of degree <= 2 in ``τ²``. Summed over the modes, the stationary points of
    ``K`` in ``τ²`` are the positive roots of ``(ΣA) x² + (ΣB) x + ΣC``.

    >>> from lingauss.symbolic import beta_T, lambda_T
    >>> A, B, C = tau2_stationarity("forward")
    >>> sp.simplify(A - (k - r) * (beta_T * s + lambda_T) / 2), sp.simplify(B + (k - r) / 2), C
    (0, 0, 0)
    """
    total = derive("parameter", soft_labels, direction, "conditional")[regime]["total"]
    expr = sp.cancel(sp.diff(total, tau2) * tau2 ** 2)
    num, den = sp.fraction(expr)
    if den.has(tau2):
        return None
    poly = sp.Poly(sp.expand(num), tau2)
    if poly.degree() > 2:
        return None
    return tuple(sp.factor(poly.coeff_monomial(tau2 ** j)) / den for j in (2, 1, 0))


def latex(expr: sp.Expr) -> str:
    """LaTeX with the model's names (``\\beta_T``, ``s_i``, ``\\tau^2`` …).

    >>> latex(tau2 * s)
    's_i \\\\tau^2'
    """
    return sp.latex(expr, symbol_names=LATEX_NAMES)


