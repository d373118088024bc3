"""The algebra behind the proportional-regime equivalents (``lingauss/proportional.py``).

Derived with sympy from the model and checked here; the numerics do not import this module.
Notation of derivations/random_design.md: ``x`` an eigenvalue of ``Σ̂ = XXᵀ/n`` (``s = n x``),
normalised ridges ``λ̄ = λ/(β n)``, ``κ`` the root of Silverstein's equation, ``σ`` an
eigenvalue of ``Σ``, ``γ = d/n``.

* :func:`normalised_terms` — the engine's per-mode expected divergence and the chain filter,
  rewritten in ``x`` and ``λ̄`` (the integrands the equivalents average);
* :func:`partial_fractions` — the one-step student's estimator and bias operator as
  combinations of two resolvents;
* :func:`confluent_identities` — the divergence's rational integrands as confluent divided
  differences of ``λ^j/(x + λ)`` in the ridge;
* :func:`fixed_point_identities` — on a spectrum of ``p`` symbolic modes: the divided
  difference of ``κ``, the variance block ``τ/(1 − τ)`` and the log-determinant's stationarity;
* :func:`isotropic_kappa`, :func:`bayes_ridge` — Marchenko–Pastur's closed form and the
  ridge that minimises the isotropic teacher risk.
"""

from __future__ import annotations

import functools

import sympy as sp

from lingauss.symbolic.chains import alpha_g, beta_g, f_prev, generation_step, lambda_g
from lingauss.symbolic.core import alpha, beta_S, beta_T, lambda_S, lambda_T, nu, s, tau2
from lingauss.symbolic.divergence import derive

x = sp.Symbol("x", positive=True)             # eigenvalue of Σ̂ = XXᵀ/n
n = sp.Symbol("n", positive=True)
lam, lam0, lam1 = sp.symbols("lambda lambda_0 lambda_1", positive=True)   # normalised ridges
kap, kap0, kap1 = sp.symbols("kappa kappa_0 kappa_1", positive=True)
gam = sp.Symbol("gamma", positive=True)
sig = sp.Symbol("sigma", positive=True)
r2 = sp.Symbol("r2", positive=True)            # ‖w⋆‖² of one output
tau_bar = sp.Symbol("taubar2", positive=True)  # n τ²


@functools.lru_cache(maxsize=None)
def normalised_terms() -> dict:
    """The expected per-mode divergence (parameter space, mean soft labels, forward, kept
    modes) and the one-step filter, at ``s = n x``, ``λ_T = β_T n λ̄₀``, ``λ_S = β_S n λ̄₁``,
    ``τ² = τ̄²/n``.

    >>> terms = normalised_terms()
    >>> sp.factor(terms["filter"])
    x*(alpha*lambda_0 + x)/((lambda_0 + x)*(lambda_1 + x))
    """
    subs = {s: n * x, lambda_T: beta_T * n * lam0, lambda_S: beta_S * n * lam1,
            tau2: tau_bar / n}
    forms = derive("parameter", "mean", "forward", "expected")["kept"]
    out = {name: sp.simplify(expr.subs(subs)) for name, expr in forms.items()}
    teacher = generation_step().subs({alpha_g: 1, f_prev: 0, beta_g: beta_T,
                                      lambda_g: lambda_T})
    student = generation_step().subs({f_prev: teacher, alpha_g: alpha, beta_g: beta_S,
                                      lambda_g: lambda_S})
    out["filter"] = sp.simplify(student.subs(subs))
    return out


def partial_fractions() -> dict:
    """``F(x) = f(x)/x = c₁/(x + λ̄₁) + c₀/(x + λ̄₀)`` and ``1 − f = c₁λ̄₁/(x + λ̄₁) +
    c₀λ̄₀/(x + λ̄₀)`` with ``c₀ = (1 − α)λ̄₀/(λ̄₀ − λ̄₁)``, ``c₁ = 1 − c₀`` (the student's
    estimator of the least-squares statistic and its bias operator); returns ``c₀, c₁`` after
    checking both expansions against the derived filter.

    >>> pf = partial_fractions()
    >>> sp.simplify(pf["c0"] - (1 - alpha) * lam0 / (lam0 - lam1))
    0
    """
    f = normalised_terms()["filter"]
    F = sp.apart(sp.factor(f / x), x)
    c0 = sp.simplify(sp.residue(F, x, -lam0))
    c1 = sp.simplify(sp.residue(F, x, -lam1))
    assert sp.simplify(c0 + c1 - 1) == 0
    assert sp.simplify(F - c1 / (x + lam1) - c0 / (x + lam0)) == 0
    assert sp.simplify(1 - f - c1 * lam1 / (x + lam1) - c0 * lam0 / (x + lam0)) == 0
    return {"c0": c0, "c1": c1}


def divided(g, nodes):
    """The divided difference of ``g(λ)`` over ``nodes`` (a repeated node is a derivative)."""
    if len(nodes) == 1:
        return g.subs(lam, nodes[0])
    if nodes[0] == nodes[-1]:
        return sp.diff(g, lam, len(nodes) - 1).subs(lam, nodes[0]) / sp.factorial(len(nodes) - 1)
    return (divided(g, nodes[:-1]) - divided(g, nodes[1:])) / (nodes[0] - nodes[-1])


def confluent_identities() -> bool:
    """``x²/((x + λ̄₀)(x + λ̄₁)²) = (λ²/(x + λ))[λ̄₀, λ̄₁, λ̄₁]`` and
    ``x/((x + λ̄₀)(x + λ̄₁)²) = −(λ/(x + λ))[λ̄₀, λ̄₁, λ̄₁]``: the signal and noise parts of the
    divergence's bias are second divided differences of ``λ² wᵀ(Σ̂ + λ)⁻¹w`` and
    ``λ tr(Σ̂ + λ)⁻¹``, whose equivalents are first order.

    >>> confluent_identities()
    True
    """
    nodes = (lam0, lam1, lam1)
    one = sp.simplify(divided(lam ** 2 / (x + lam), nodes)
                      - x ** 2 / ((x + lam0) * (x + lam1) ** 2)) == 0
    two = sp.simplify(divided(lam / (x + lam), nodes)
                      + x / ((x + lam0) * (x + lam1) ** 2)) == 0
    return one and two


def _modes(p: int):
    sigmas = sp.symbols(f"sigma_1:{p + 1}", positive=True)
    mean = lambda f: sp.Add(*[f(sg) for sg in sigmas]) / p  # noqa: E731
    return sigmas, mean


def fixed_point_identities(p: int = 3) -> dict:
    """On a spectrum of ``p`` symbolic modes, with ``λ̄(κ) = κ(1 − γ·mean σ/(σ + κ))``
    (Silverstein's equation solved for the ridge):

    * ``slope``: ``(λ̄(κ₀) − λ̄(κ₁))/(κ₀ − κ₁) = 1 − τ₀₁``, ``τ₀₁ = γ·mean σ²/((σ+κ₀)(σ+κ₁))``;
    * ``variance``: ``(κ_a/λ̄_a − 1) − (κ_aκ_b/λ̄_a)·γ·mean σ/((σ+κ_a)(σ+κ_b))/(1 − τ_ab)
      = τ_ab/(1 − τ_ab)`` — ``(1/n)tr(R_aΣ̂R_bΣ)`` from ``R_aΣ̂R_b = R_a − λ̄_bR_aR_b``;
    * ``log_det``: ``Φ = mean log(σ + κ) + ((1 − γ)/γ) log(κ/λ) + (λ/κ − 1)/γ`` is stationary
      in ``κ`` exactly at the root, and ``∂Φ/∂λ = (κ/λ)·mean 1/(σ + κ)`` there.

    >>> all(fixed_point_identities(2).values())
    True
    """
    sigmas, mean = _modes(p)
    lam_of = lambda k: k * (1 - gam * mean(lambda sg: sg / (sg + k)))  # noqa: E731
    tau01 = gam * mean(lambda sg: sg ** 2 / ((sg + kap0) * (sg + kap1)))
    slope = sp.simplify((lam_of(kap0) - lam_of(kap1)) / (kap0 - kap1) - (1 - tau01)) == 0
    la = lam_of(kap0)
    S1 = gam * mean(lambda sg: sg / ((sg + kap0) * (sg + kap1)))
    variance = sp.simplify((kap0 / la - 1) - kap0 * kap1 / la * S1 / (1 - tau01)
                           - tau01 / (1 - tau01)) == 0
    phi = (mean(lambda sg: sp.log(sg + kap)) + (1 - gam) / gam * sp.log(kap / lam)
           + (lam / kap - 1) / gam)
    on_root = {lam: lam_of(kap)}
    stationary = sp.simplify(sp.diff(phi, kap).subs(on_root)) == 0
    trace = sp.simplify((sp.diff(phi, lam) - kap / lam * mean(lambda sg: 1 / (sg + kap)))
                        .subs(on_root)) == 0
    return {"slope": slope, "variance": variance, "log_det": stationary and trace}


def isotropic_kappa() -> sp.Expr:
    """``κ`` for ``Σ = σI`` (Marchenko–Pastur): the positive root of
    ``κ = λ + γκσ/(σ + κ)``.

    >>> sp.simplify(isotropic_kappa().subs(sig, 1) - (lam + gam - 1
    ...     + sp.sqrt((lam + gam - 1) ** 2 + 4 * lam)) / 2)
    0
    """
    roots = sp.solve(sp.Eq(kap, lam + gam * kap * sig / (sig + kap)), kap)
    positive = [root for root in roots if sp.simplify(root.subs(
        {lam: 1, gam: sp.Rational(1, 2), sig: 1})) > 0]
    assert len(positive) == 1
    return positive[0]


def isotropic_teacher_risk() -> sp.Expr:
    """The teacher's risk equivalent for ``Σ = I``, ``‖w⋆‖² = r2``, in terms of ``κ``:
    ``κ² q/(1 − t) + ν² t/(1 − t)`` with ``q = r2/(1 + κ)²``, ``t = γ/(1 + κ)²``.

    >>> sp.simplify(isotropic_teacher_risk()
    ...             - (kap ** 2 * r2 + gam * nu ** 2) / ((1 + kap) ** 2 - gam))
    0
    """
    t = gam / (1 + kap) ** 2
    return sp.simplify((kap ** 2 * r2 / (1 + kap) ** 2 + nu ** 2 * t) / (1 - t))


def bayes_ridge() -> sp.Expr:
    """The normalised ridge that minimises :func:`isotropic_teacher_risk`: the stationary
    ``κ`` mapped back through ``λ̄ = κ − γκ/(1 + κ)`` (``λ̄`` increases with ``κ``).

    >>> bayes_ridge()
    gamma*nu**2/r2
    """
    risk = isotropic_teacher_risk()
    stationary = sp.solve(sp.numer(sp.together(sp.diff(risk, kap))), kap)
    ridges = {sp.simplify(k - gam * k / (1 + k)) for k in stationary}
    ridges = [rg for rg in ridges if rg.subs({gam: 1, nu: 1, r2: 1}).is_positive]
    assert len(ridges) == 1
    return sp.factor(ridges[0])
