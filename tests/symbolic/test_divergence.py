"""The symbolic engine's machinery (issue 3): generated code and document stay in sync with a
fresh derivation, the one bridge to numerics, the steps of the derivation, options.

The derived expressions themselves are compared with independently hand-written forms in
tests/symbolic/test_handwritten.py.
"""

import itertools
import pathlib

import mpmath
import numpy as np
import pytest
import sympy as sp

from lingauss import LingaussError
from lingauss import symbolic as S
from lingauss.engine import generated as _generated
from lingauss.engine.spectral import mode_terms

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMBOS = list(itertools.product(("parameter", "prediction"), ("mean", "sampled",
                                                                  "sampled+noise"),
                                ("forward", "reverse"), S.FLAVOURS))


def test_generated_code_equals_a_fresh_derivation():
    on_disk = (ROOT / "lingauss" / "engine" / "generated.py").read_text(encoding="utf-8")
    assert on_disk == S.generated_source(), (
        "lingauss/engine/generated.py is stale: run `python -m lingauss.symbolic "
        "derivations/spectral.md`")


def test_spectral_document_formulas_equal_a_fresh_derivation():
    text = (ROOT / "derivations" / "spectral.md").read_text(encoding="utf-8")
    blocks = S.document_blocks(text)
    assert set(blocks) == {" ".join(c) for c in S.DOCUMENTED}
    for combo in S.DOCUMENTED:
        assert blocks[" ".join(combo)] == S.formula_block(*combo), combo


@pytest.mark.parametrize("space,soft,direction,flavour", COMBOS)
def test_generated_functions_equal_lambdified_derivation(space, soft, direction, flavour):
    """Two routes from the same expressions: generated linear coefficients (cse + printer),
    recombined as r·A + (k − r)·B + Q2·C + P2·D, against lambdify of the whole term."""
    rng = np.random.default_rng(0)
    names = _generated.ARGS[flavour]
    point = {name: rng.uniform(0.2, 3.0, 5) for name in names}
    point["alpha"] = rng.uniform(0, 1, 5)
    point["k"], point["r"] = np.array([4.0]), np.array([2.0])
    forms = S.derive(space, soft, direction, flavour)
    for regime in S.REGIMES:
        key = (space, soft, direction, flavour, regime)
        assert _generated.PIECES[key] == S.pieces_of(forms, regime)
        got = mode_terms(space, soft, direction, flavour, regime, **point)
        assert tuple(got) == _generated.PIECES[key]
        for name, value in got.items():
            f = S.to_numeric(forms[regime][name], S.ARGS[flavour])
            want = f(*(point[n] for n in names))
            np.testing.assert_allclose(value, np.broadcast_to(want, (5,)), rtol=1e-12,
                                       atol=1e-300)


def test_every_term_is_linear_in_the_multiplicities():
    for space, soft, direction, flavour in COMBOS:
        for terms in S.derive(space, soft, direction, flavour).values():
            for expr in terms.values():
                A, B, C, D = S.linear_coefficients(expr, flavour)
                Q2, P2 = S.ARGS[flavour][-2:]
                point = {sym: sp.Rational(i + 3, 5) for i, sym in enumerate(S.ARGS[flavour])}
                point[S.k], point[S.r] = 7, 3
                rebuilt = S.r * A + (S.k - S.r) * B + Q2 * C + P2 * D
                diff = (expr - rebuilt).subs(point).rewrite(sp.log)
                assert abs(sp.N(diff, 40)) < 1e-30


def test_linear_coefficients_refuses_a_nonlinear_term():
    with pytest.raises(AssertionError, match="not linear"):
        S.linear_coefficients(S.r ** 2 * S.s, "expected")


def test_argument_order_is_documented_and_shared():
    for flavour in S.FLAVOURS:
        assert _generated.ARGS[flavour] == tuple(a.name for a in S.ARGS[flavour])


def test_to_numeric_is_cached_and_uses_the_stable_v():
    f = S.to_numeric(S.v(S.s), (S.s,))
    assert S.to_numeric(S.v(S.s), (S.s,)) is f
    x = 1 + 1e-9
    want = float(mpmath.mpf(x) - 1 - mpmath.log(mpmath.mpf(x)))
    assert float(f(x)) == pytest.approx(want, rel=1e-12)     # naive x-1-log x loses it all


def test_symmetric_is_the_sum_of_both_directions():
    both = S.derive("prediction", "sampled", "symmetric")
    fwd = S.derive("prediction", "sampled", "forward")
    rev = S.derive("prediction", "sampled", "reverse")
    for regime in S.REGIMES:
        for name in both[regime]:
            assert sp.simplify(both[regime][name] - fwd[regime][name] - rev[regime][name]) == 0


@pytest.mark.parametrize("space,soft,direction,flavour", COMBOS)
def test_terms_are_their_parts_summed(space, soft, direction, flavour):
    forms = S.derive(space, soft, direction, flavour)
    for terms in forms.values():
        assert terms["rank_bottleneck"] == terms["bottleneck_mean"] + \
            terms["bottleneck_covariance"]
        assert terms["total"] == terms["bias"] + terms["variance"] + terms["rank_bottleneck"]
    assert forms["dropped"]["variance"] == 0 and forms["dropped"]["bias"] == 0


def test_flavours_use_their_own_statistics():
    expected = S.derive("parameter", "sampled", "reverse", "expected")["kept"]["total"]
    conditional = S.derive("parameter", "sampled", "reverse", "conditional")["kept"]["total"]
    assert {S.thetaQ2, S.thetaP2} <= expected.free_symbols
    assert not ({S.zQ2, S.zP2} & expected.free_symbols)
    assert {S.zQ2, S.zP2} <= conditional.free_symbols


def test_expected_is_the_conditional_averaged_over_the_label_noise():
    """E over z_j ~ N(s t_j, ν² s): substitute E‖Qz‖² = s²‖Qθ‖² + r ν² s (linear in zQ2)."""
    for space, soft, direction in itertools.product(("parameter", "prediction"),
                                                    ("mean", "sampled+noise"),
                                                    ("forward", "reverse")):
        cond = S.derive(space, soft, direction, "conditional")["kept"]["total"]
        exp = S.derive(space, soft, direction, "expected")["kept"]["total"]
        assert sp.diff(cond, S.zQ2, 2) == 0 and sp.diff(cond, S.zP2, 2) == 0
        averaged = cond.subs({S.zQ2: S.s ** 2 * S.thetaQ2 + S.r * S.nu ** 2 * S.s,
                              S.zP2: S.s ** 2 * S.thetaP2 + (S.k - S.r) * S.nu ** 2 * S.s})
        point = {sym: sp.Rational(p, 7) for sym, p in zip(
            S.ARGS["expected"], (9, 5, 3, 11, 4, 2, 6, 1, 8, 28, 14, 10, 12))}
        assert abs(sp.N((averaged - exp).subs(point).rewrite(sp.log), 40)) < 1e-30


def test_scalar_kl_is_derived_and_split():
    cov, mean = S.scalar_kl()
    m1, m2 = sp.symbols("m1 m2", real=True)
    v1, v2 = sp.symbols("v1 v2", positive=True)
    assert cov == S.v(v1 / v2) / 2
    assert sp.simplify(mean - (m1 - m2) ** 2 / (2 * v2)) == 0


def test_moments_by_completing_the_square():
    t = S.teacher_moments()
    a = S.beta_T * S.s + S.lambda_T
    z = sp.Symbol("z", real=True)
    assert sp.simplify(t.mean - S.beta_T * z / a) == 0
    assert sp.simplify(t.var - 1 / a) == 0


def test_linear_moments_refuses_a_nonlinear_expression():
    x = sp.Symbol("x")
    with pytest.raises(AssertionError, match="not affine"):
        S.linear_moments(x ** 2, {x: S.Moments(0, 1)})


def test_symbols_carry_assumptions_and_readable_latex():
    for sym in (S.beta_T, S.lambda_T, S.beta_S, S.lambda_S, S.tau2):
        assert sym.is_positive
    for sym in (S.s, S.nu, S.nu_T, S.thetaQ2, S.thetaP2, S.zQ2, S.zP2):
        assert sym.is_nonnegative
    # α is any real since issue 11 (docs/model.md §8: optimal weights leave [0, 1])
    assert S.alpha.is_real and S.alpha.is_nonnegative is None
    assert S.k.is_integer and S.r.is_integer
    text = S.latex(S.derive()["kept"]["variance"])
    for name in (r"\beta_T", r"\lambda_S", "s_i", r"v\left("):
        assert name in text
    assert r"\tau^2" in S.latex(S.derive()["kept"]["bottleneck_covariance"])
    assert set(S.SYMBOL_DOCS) == {a.name for a in S.ARGS["expected"] + S.ARGS["conditional"]}


def test_v_function():
    x = sp.Symbol("x", positive=True)
    assert S.v(1) == 0
    assert S.v(x).rewrite(sp.log) == x - 1 - sp.log(x)
    assert sp.diff(S.v(x), x) == 1 - 1 / x
    assert S.v(x).is_nonnegative


@pytest.mark.parametrize("kwargs,message", [
    (dict(space="weights"),
     "Unknown value for space: 'weights'. Possible values: ('parameter', 'prediction')."),
    (dict(direction="both"),
     "Unknown value for direction: 'both'. Possible values: ('forward', 'reverse', "
     "'symmetric')."),
    (dict(flavour="average"),
     "Unknown value for flavour: 'average'. Possible values: ('expected', 'conditional')."),
])
def test_derive_rejects_unknown_options(kwargs, message):
    with pytest.raises(LingaussError) as info:
        S.derive(**kwargs)
    assert str(info.value) == message
