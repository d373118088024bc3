"""Design exploration (issue 5): design answers are checked against brute force over the
grid; tuning beats a grid."""


import numpy as np
import pytest

from lingauss import LingaussError, divergence
from lingauss.engine.divergence import kernel_set_up
from lingauss.explore import design as D
from lingauss.explore import tuning as Tn
from lingauss.io.spec import loads_spec
from tests.specs import SMALL as SMALL_TEXT

SMALL = loads_spec(SMALL_TEXT)


def brute_force(spec):
    d, k = spec.sample.d, spec.sample.k
    out = {}
    for m in range(1, d + 1):
        for r in range(1, min(k, m) + 1):
            out[r, m] = divergence(spec.teacher, spec.student.replace(rank=r, width=m),
                                   spec.sample).total
    return out



def test_explore_equals_a_loop_of_the_engine():
    res = D.explore(SMALL, rank=[1, 2], width=[3, 6], ridge=[0.5, 2.0])
    assert list(res.axes) == ["rank", "width", "ridge"] and res.shape == (2, 2, 2)
    for i, r in enumerate([1, 2]):
        for j, m in enumerate([3, 6]):
            for l, lam in enumerate([0.5, 2.0]):
                want = divergence(SMALL.teacher, SMALL.student.replace(rank=r, width=m,
                                                                       ridge=lam),
                                  SMALL.sample).as_dict()
                for name in want:
                    assert res[name][i, j, l] == want[name]


@pytest.mark.parametrize("kwargs", [dict(fraction=0.1), dict(fraction=2.0),
                                    dict(budget=25.0), dict(budget=0.0)])
def test_recommend_agrees_with_brute_force(kwargs):
    K = brute_force(SMALL)
    d, k = SMALL.sample.d, SMALL.sample.k
    rec = D.recommend(SMALL, **kwargs)
    full = K[min(k, d), d]
    budget = kwargs.get("budget", (1 + kwargs.get("fraction", 0)) * full)
    assert rec.budget == pytest.approx(budget)
    ok = {key: v for key, v in K.items() if v <= budget}
    ranks = sorted(r for (r, m) in ok if m == d)
    widths = sorted(m for (r, m) in ok if r == min(k, m))
    params = sorted((r * (m + k), v) for (r, m), v in ok.items())
    assert (rec.smallest_rank.rank if rec.smallest_rank else None) == (ranks[0] if ranks
                                                                       else None)
    assert (rec.smallest_width.width if rec.smallest_width else None) == (
        widths[0] if widths else None)
    if params:
        assert (rec.smallest_parameters.parameters,
                rec.smallest_parameters.divergence) == pytest.approx(params[0])
    else:
        assert rec.smallest_parameters is None
    # the frontier: exactly the candidates no other candidate dominates
    cands = [(r * (m + k), v) for (r, m), v in K.items()]
    dominated = {c for c in cands if any((o[0] <= c[0] and o[1] < c[1]) or
                                         (o[0] < c[0] and o[1] <= c[1]) for o in cands)}
    assert sorted((c.parameters, c.divergence) for c in rec.frontier) == \
        sorted(set(cands) - dominated)


def test_recommend_rejects_ambiguous_budgets():
    with pytest.raises(LingaussError, match="Ambiguous arguments: give budget or fraction"):
        D.recommend(SMALL, budget=1.0, fraction=0.1)


@pytest.mark.parametrize("direction", ["forward", "reverse", "symmetric"])
def test_stationary_tau2_is_the_engines_optimal_tau2(direction):
    """Two routes: the symbolic stationary point of K in τ² (parameter space, derived per mode
    and summed) and the engine's closed form (forward τ²* = dim 𝒞 / tr(teacher precision
    on 𝒞), reverse S/N, symmetric √(S/T); issue 10: "optimal" minimises the divergence asked
    for)."""
    spec = SMALL.replace(direction=direction)
    student = spec.student.replace(rank=2)
    got = Tn.stationary_tau2(spec, student)
    _, want = kernel_set_up(spec.teacher, student.replace(complement_variance="optimal"),
                            spec.sample, direction=direction)
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("direction", ["reverse", "symmetric"])
def test_stationary_tau2_minimises_the_divergence(direction):
    spec = SMALL.replace(direction=direction)
    student = spec.student.replace(rank=2)
    t = Tn.stationary_tau2(spec, student)
    K = [divergence(spec.teacher, student.replace(complement_variance=t * f), spec.sample,
                    direction=direction).total for f in (0.97, 1.0, 1.03)]
    assert K[1] < K[0] and K[1] < K[2]


def test_best_hyperparameters_beats_a_grid():
    opt = Tn.best_hyperparameters(SMALL, rank=2, width=6, optimize_over=("ridge", "tau2"))
    assert opt.divergence.total <= opt.start.total
    assert opt.method == {"ridge": "bounded L-BFGS-B", "tau2": "closed form (stationary point)"}
    grid = []
    for lam in np.geomspace(0.05, 20, 25):
        st = SMALL.student.replace(rank=2, width=6, ridge=lam)
        st = st.replace(complement_variance=Tn.stationary_tau2(SMALL, st))
        grid.append(divergence(SMALL.teacher, st, SMALL.sample).total)
    assert opt.divergence.total <= min(grid) * (1 + 1e-6)


def test_best_hyperparameters_errors():
    with pytest.raises(LingaussError) as info:
        Tn.best_hyperparameters(SMALL, optimize_over=("temperature",))
    assert str(info.value) == ("Unknown value for optimize_over: 'temperature'. Possible "
                               "values: ('beta', 'ridge', 'alpha', 'tau2').")


def test_tune_is_best_hyperparameters_at_every_rank():
    rows = Tn.tune(SMALL, rank=[1, 3], optimize_over=("ridge",))
    assert [(r, m) for r, m, _ in rows] == [(1, 6), (3, 6)]
    for r, m, opt in rows:
        single = Tn.best_hyperparameters(SMALL, rank=r, width=m, optimize_over=("ridge",))
        assert opt.values == single.values
        assert opt.divergence.total <= opt.start.total
