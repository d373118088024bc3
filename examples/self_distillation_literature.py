"""The self-distillation literature in linear/ridge models, reproduced claim by claim.

Each row states a published claim in our notation (derivations/chains.md gives our reading
of each paper; their full texts were not available to us), the setting where its assumptions
hold — or, for the rows marked "fails", where the paper says they do not — lingauss's
numbers, and ✓ or ✗ decided *from those numbers*:

* Pareek, Du & Oh (NeurIPS 2024, arXiv:2407.04600): with distinct singular values and W⋆
  along one eigenvector, the best d-step self-distillation beats the best one-step by a
  factor that grows linearly in d; with equal singular values, or W⋆ spread evenly, there
  is no gain over ridge;
* Borup & Andersen (NeurIPS 2021, arXiv:2102.13088): the authors' toy table (kernel ridge as
  a linear model), infinitely many steps = one ridge fit with λ/α, and the per-step optimal
  weight;
* Mobahi, Farajtabar & Bartlett (NeurIPS 2020, arXiv:2002.05715): with α = 0 the filter is
  ∏ h_g and the effective number of modes falls;
* Dang, Patil & Rinaldo (arXiv:2602.17565): sign(ξ*) = −sign(R'(λ)) and a strict improvement
  over the teacher wherever R'(λ) ≠ 0, on a grid of λ.

Run ``python examples/self_distillation_literature.py [--out DIR]``; with ``--out`` the
filters of a Mobahi chain are saved as ``DIR/self_distillation_literature.png`` and the
table as ``DIR/self_distillation_literature.md``.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np
from scipy import optimize

import lingauss
from lingauss import Chain, Sample, SpectralDesign, Student, Teacher, optimal_weights, plots
from lingauss.chains.weights import one_step_xi
from lingauss.report.render import render


def best_over_lambda(fn, lo=1e-3, hi=1e6):
    res = optimize.minimize_scalar(lambda x: fn(np.exp(x)), bounds=(np.log(lo), np.log(hi)),
                                   method="bounded", options=dict(xatol=1e-9))
    return float(res.fun), float(np.exp(res.x))


def sd_risk(design, lam, steps):
    """The best risk of `steps`-step self-distillation at a shared ridge λ (0: ridge)."""
    if steps == 0:
        return lingauss.risk(Teacher(1.0, lam), None, design).total
    return optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)] * steps, design).risk.total


def pareek_design(r, *, equal=False, spread=False, n=100, nu=1.0, tau=3.0):
    s = np.full(r, 1.5 * n) if equal else n * (1 + np.arange(r)[::-1] / r)
    theta = np.full((1, r), tau / np.sqrt(r)) if spread else np.eye(1, r) * tau
    return SpectralDesign(s, theta, noise=nu, k=1, n=n)


def pareek_rows():
    gains = {}
    for r in (2, 4, 8, 16):
        design = pareek_design(r)
        one = best_over_lambda(lambda lam: sd_risk(design, lam, 1))[0]
        gains[r] = one / sd_risk(design, 100.0, r)
    slope = np.polyfit(list(gains), list(gains.values()), 1)[0]
    grows = all(b > a for a, b in zip(list(gains.values()), list(gains.values())[1:]))
    yield ("Pareek et al.", "best d-step / best 1-step risk grows linearly in d",
           "distinct s_i, W* on u_1, G = d",
           ", ".join(f"d={r}: {g:.3g}" for r, g in gains.items()) + f"; slope {slope:.2f}",
           grows and slope > 0.4)
    for case, kw in (("equal s_i", dict(equal=True)), ("W* spread evenly", dict(spread=True))):
        design = pareek_design(8, **kw)
        ridge = best_over_lambda(lambda lam: sd_risk(design, lam, 0))[0]
        eight = best_over_lambda(lambda lam: sd_risk(design, lam, 8))[0]
        yield ("Pareek et al.", "fails: no gain over ridge without the assumptions",
               f"{case}, d = G = 8", f"best 8-step / best ridge = {eight / ridge:.6f}",
               abs(eight / ridge - 1) < 1e-6)


def borup_rows():
    y = np.array([[0.38476636465198066, 1.2333967683416893, 1.33232242218057,
                   0.69201594888895180, -0.29756145531871736, -0.24189291901377769,
                   -0.7964485769175675, -0.9616480167034174, -0.49672509509916934,
                   -0.3469066003991437, 0.5589512650600734]])
    x_train, x_test = np.arange(0, 1.1, 0.1), np.arange(0, 1.01, 0.01)
    rbf = (lambda a, b: np.exp(-80.0 * (a[:, None] - b[None, :]) ** 2))
    vals, vecs = np.linalg.eigh(rbf(x_train, x_train))
    sample = Sample((vecs * np.sqrt(vals)) @ vecs.T, y)               # XᵀX = K
    phi = (vecs / np.sqrt(vals)) @ vecs.T @ rbf(x_test, x_train).T     # W φ(x) = kernel fit
    published = [0.16477, 0.15424, 0.15089, 0.14983, 0.14954, 0.14948]
    means = Chain(Teacher(1.0, 0.2), [Student(1.0, 0.2, alpha=0.35)] * 5).means(sample)
    ours = [round(float(np.mean((M @ phi - np.sin(2 * np.pi * x_test)) ** 2)), 5)
            for M in means]
    yield ("Borup & Andersen", "the authors' toy table (α = 0.35, steps 1-6)",
           "RBF kernel ridge as a linear model, λ = 0.2", " ".join(f"{v:.5f}" for v in ours),
           ours == published)
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    far = Chain(Teacher(1.0, 30.0), [Student(1.0, 30.0, alpha=0.35)] * 200).risk(design)
    ridge = lingauss.risk(Teacher(1.0, 30.0 / 0.35), None, design)
    yield ("Borup & Andersen", "infinitely many steps = one ridge with λ/α",
           "power law d = 30, λ = 30, α = 0.35, G = 200",
           f"R_200 = {far.total:.6g}, ridge(λ/α) = {ridge.total:.6g}",
           abs(far.total / ridge.total - 1) < 1e-9)
    greedy = optimal_weights(Teacher(1.0, 30.0), [Student(1.0, 30.0)] * 3, design,
                             method="greedy")
    xi = one_step_xi(Teacher(1.0, 30.0), design)
    yield ("Borup & Andersen", "a closed-form optimal weight at each step",
           "power law, λ = 30, greedy over 3 steps",
           "α* = " + ", ".join(f"{a:.4g}" for a in greedy.alpha)
           + f"; 1 − α_1* = ξ* = {xi:.4g}", abs(1 - greedy.alpha[0] - xi) < 1e-9)


def mobahi_chain():
    design = SpectralDesign.power_law(d=30, k=1, n=120, noise=1.0)
    return design, Chain(Teacher(1.0, 30.0), [Student(1.0, 30.0, alpha=0.0)] * 6)


def mobahi_rows():
    design, chain = mobahi_chain()
    s = design.eigenvalues
    f = chain.filters(s)
    h = s / (s + 30.0)
    product = np.allclose(f, [h ** (g + 1) for g in range(7)], rtol=1e-12)
    effective = f.sum(axis=1) / f.max(axis=1)
    yield ("Mobahi et al.", "α = 0: the filter is ∏ h_g; fewer effective modes each round",
           "power law d = 30, λ = 30, 6 rounds",
           "Σf/max f = " + ", ".join(f"{e:.3g}" for e in effective),
           product and bool(np.all(np.diff(effective) < 0)))


def dang_rows():
    design = SpectralDesign.power_law(d=40, k=1, n=80, noise=0.8, signal_exponent=1.2)

    def R(lam):
        return lingauss.risk(Teacher(1.0, lam), None, design).total
    lam_star = best_over_lambda(R)[1]
    signs = gains = total = 0
    for lam in np.geomspace(1e-2, 1e4, 40):
        if abs(np.log(lam / lam_star)) < 0.05:
            continue
        total += 1
        dR = (R(lam * (1 + 1e-5)) - R(lam * (1 - 1e-5))) / (2e-5 * lam)
        signs += np.sign(one_step_xi(Teacher(1.0, lam), design)) == -np.sign(dR)
        gains += optimal_weights(Teacher(1.0, lam), [Student(1.0, lam)],
                                 design).risk.total < R(lam)
    yield ("Dang, Patil & Rinaldo", "sign(ξ*) = −sign(R'(λ)); strict gain where R' ≠ 0",
           f"power law d = 40, {total} λ in [1e-2, 1e4]",
           f"sign rule {signs}/{total}, gain {gains}/{total}",
           signs == total and gains == total)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure and table")
    args = parser.parse_args(argv)
    rows = [(paper, claim, setting, numbers, "✓" if holds else "✗")
            for rows in (pareek_rows(), borup_rows(), mobahi_rows(), dang_rows())
            for paper, claim, setting, numbers, holds in rows]
    table = render(("paper", "claim", "setting", "lingauss", "holds"), rows, "md")
    print(table)
    held = sum(row[-1] == "✓" for row in rows)
    print(f"conclusion: {held} of {len(rows)} claims hold")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        design, chain = mobahi_chain()
        path = args.out / "self_distillation_literature.png"
        plots.save(plots.filters_plot(design.eigenvalues, chain.filters(design.eigenvalues),
                                      held="Mobahi et al.: α = 0, λ = 30"), path)
        (args.out / "self_distillation_literature.md").write_text(table + "\n",
                                                                  encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
