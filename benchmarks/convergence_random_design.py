"""Monte Carlo approaching the deterministic equivalents as ``d`` grows (``γ = d/n`` fixed), and
the double-descent curves of the equivalents (issue 13; derivations/random_design.md §7).

(a) Isotropic ``Σ``, ``γ = 0.5``: the Wishart spectrum from the Dumitriu–Edelman bidiagonal
    model, each draw's risk and divergence written from the per-mode definitions (exact for
    any ``W⋆`` of the given norm by rotation invariance); ``|MC − DE|`` with ``±2`` standard
    errors against ``d = 50 … 800``, the fitted log-log slopes (1/d: −1; 1/√d: −0.5).
(b) Anisotropic ``Σ`` (eigenvalues ``0.25 + 2.75u²`` at ``d`` quantiles, ``γ = 0.5``, a fixed
    ``W⋆``): ``lingauss.risk(teacher, student, RandomDesign, monte_carlo=40)`` with ``±2``
    standard errors, and ``deterministic_risk`` at each ``d`` and at ``d = 8192``. With a
    fixed ``W⋆`` a draw's risk spreads like ``1/√d``, so 40 draws bracket the equivalent
    ever more tightly but do not resolve its ``O(1/d)`` error; (a) does.
(c) The equivalents against ``γ`` (isotropic, ``‖w⋆‖² = 1``, ``ν = 0.5``): the teacher's risk
    at three ridges (the interpolation peak at ``γ = 1`` as the ridge vanishes) and the
    one-step student's (``α = 0``, the same ridge), with Monte Carlo points at ``d = 100``.

Writes ``OUT/random-design-convergence.png`` (default ``docs/img``) and prints the tables.
Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/convergence_random_design.py [--out DIR]``
(about half a minute).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np
from scipy.linalg import eigvalsh_tridiagonal

import lingauss
from lingauss.averages.deterministic import deterministic_risk
from lingauss.averages.equivalents import divergence_equivalent, risk_equivalent
from lingauss.model.random_design import RandomDesign

ROOT = pathlib.Path(__file__).resolve().parents[1]


def wishart_eigenvalues(d, n, rng):
    """Eigenvalues of ``ZZᵀ`` (Z: d × n) from the bidiagonal β = 1 model (Dumitriu–Edelman)."""
    p, q = min(d, n), max(d, n)
    a = np.sqrt(rng.chisquare(q - np.arange(p)))
    b = np.sqrt(rng.chisquare(p - 1 - np.arange(p - 1)))
    diag = a ** 2 + np.concatenate([[0.0], b ** 2])
    return np.concatenate([eigvalsh_tridiagonal(diag, a[:-1] * b), np.zeros(d - p)])


def per_draw(x, d, n, lam0, lam1, alpha, nu, k):
    """Teacher and student risk (‖w⋆‖² = 1 per output) and K's bias per k·d, Σ = I."""
    f0 = x / (x + lam0)
    f = x / (x + lam1) * (alpha + (1 - alpha) * f0)
    pos = x > 0
    teacher = np.sum((1 - f0) ** 2) / d * k + k * nu ** 2 / n * np.sum(f0[pos] ** 2 / x[pos])
    student = np.sum((1 - f) ** 2) / d * k + k * nu ** 2 / n * np.sum(f[pos] ** 2 / x[pos])
    s, bT = n * x, 1.0
    a, b = bT * s + bT * n * lam0, bT * s + bT * n * lam1
    h, g = bT / a, bT * (alpha + (1 - alpha) * bT * s / a) / b
    K_bias = np.sum(0.5 * a * (h - g) ** 2 * (s ** 2 / d + nu ** 2 * s)) / d
    return teacher, student, K_bias


def panel_a(rng, sizes=(50, 100, 200, 400, 800), draws=400):
    g, lam0, lam1, alpha, nu, k = 0.5, 0.3, 0.8, 0.3, 0.7, 1
    de = [float(risk_equivalent(g, lam0, eigenvalues=[1.0], signal=[1.0], noise=nu)["total"]),
          float(risk_equivalent(g, lam0, eigenvalues=[1.0], signal=[1.0], noise=nu,
                                student_ridge=lam1, alpha=alpha)["total"]),
          float(divergence_equivalent(g, lam0, lam1, eigenvalues=[1.0], signal=[1.0], noise=nu,
                                      beta=1.0, student_beta=1.0, alpha=alpha)["bias"])]
    rows = []
    for d in sizes:
        n = int(round(d / g))
        vals = np.array([per_draw(wishart_eigenvalues(d, n, rng) / n, d, n, lam0, lam1, alpha,
                                  nu, k) for _ in range(draws)])
        rows.append((d, vals.mean(0) - de, vals.std(0, ddof=1) / np.sqrt(draws)))
    return rows, de


def panel_b(rng_seed=0, sizes=(50, 100, 200, 400)):
    teacher_ridge, student_ridge, g = 0.4, 0.9, 0.5

    def design(d):
        u = (np.arange(d) + 0.5) / d
        W = np.sqrt(np.exp(-3 * u) / np.exp(-3 * u).sum())[None, :]
        return RandomDesign(0.25 + 2.75 * u ** 2, n=int(d / g), W_star=W, noise=0.6)

    def models(dsg):
        return (lingauss.Teacher(1.0, teacher_ridge * dsg.n),
                lingauss.Student(1.0, student_ridge * dsg.n, alpha=0.25))

    limit = deterministic_risk(*models(design(8192)), design(8192)).total
    rows = []
    for d in sizes:
        dsg = design(d)
        mc = lingauss.risk(*models(dsg), dsg, kind="population", monte_carlo=40,
                           seed=rng_seed)
        rows.append((d, mc.total, mc.stderr["total"], deterministic_risk(*models(dsg), dsg).total))
    return rows, limit


def panel_c(rng):
    gammas = np.geomspace(0.1, 10, 200)
    curves = {}
    for lam in (1e-3, 0.05, 0.3):
        curves[f"teacher, ridge {lam:g}"] = risk_equivalent(
            gammas, lam, eigenvalues=[1.0], signal=[1.0], noise=0.5)["total"]
    curves["student (alpha 0), ridge 0.05"] = risk_equivalent(
        gammas, 0.05, eigenvalues=[1.0], signal=[1.0], noise=0.5, alpha=0.0)["total"]
    points = []
    for g in (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0):
        d = 100
        n = int(round(d / g))
        vals = [per_draw(wishart_eigenvalues(d, n, rng) / n, d, n, 0.05, 0.05, 1.0, 0.5, 1)[0]
                for _ in range(200)]
        points.append((d / n, np.mean(vals), np.std(vals, ddof=1) / np.sqrt(200)))
    return gammas, curves, points


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = ap.parse_args(argv)
    rng = np.random.default_rng(2026)
    rows_a, de_a = panel_a(rng)
    names = ("teacher risk", "student risk", "K bias / kd")
    print("(a) isotropic, gamma = 0.5: MC - DE (+- se), 400 draws per d")
    for d, err, se in rows_a:
        print(f"    d = {d:4d}: " + ", ".join(f"{nm} {e:+.2e} (+-{s:.1e})"
                                              for nm, e, s in zip(names, err, se)))
    sizes = np.array([r[0] for r in rows_a])
    slopes = [np.polyfit(np.log(sizes), np.log(np.abs([r[1][j] for r in rows_a])), 1)[0]
              for j in range(3)]
    print("    log-log slopes: " + ", ".join(f"{nm} {s:.2f}" for nm, s in zip(names, slopes)))
    rows_b, limit = panel_b()
    print(f"(b) anisotropic, library Monte Carlo vs deterministic_risk (limit {limit:.5f})")
    for d, m, se, de in rows_b:
        print(f"    d = {d:4d}: MC {m:.5f} +- {se:.1e}, DE {de:.5f}, MC - DE {m - de:+.1e}")
    gammas, curves, points = panel_c(rng)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    from lingauss.plots import save, use_style

    with use_style("paper"):
        fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.7))
        ax = axes[0]
        for j, nm in enumerate(names):
            err = np.abs([r[1][j] for r in rows_a])
            se = [r[2][j] for r in rows_a]
            ax.errorbar(sizes, err, yerr=2 * np.array(se), marker="o", ms=3, capsize=2,
                        label=f"{nm} ({slopes[j]:.2f})")
        ref = np.abs(rows_a[0][1][0]) * sizes[0] / sizes
        ax.plot(sizes, ref, "k--", lw=0.8, label="1/d")
        ax.plot(sizes, np.abs(rows_a[0][1][0]) * np.sqrt(sizes[0] / sizes), "k:", lw=0.8,
                label="1/√d")
        ax.set(xscale="log", yscale="log", xlabel="d (γ = 0.5)", ylabel="|MC − DE|",
               title="(a) isotropic Σ")
        ax.legend(fontsize=5)
        ax = axes[1]
        for a in axes[:2]:
            a.set_xscale("log")
            a.set_xticks(sizes if a is axes[0] else [50, 100, 200, 400])
            a.xaxis.set_major_formatter(ScalarFormatter())
            a.xaxis.set_minor_formatter(NullFormatter())
        db = [r[0] for r in rows_b]
        ax.errorbar(db, [r[1] for r in rows_b], yerr=[2 * r[2] for r in rows_b], marker="o",
                    ms=3, capsize=2, label="Monte Carlo (lingauss.risk)")
        ax.plot(db, [r[3] for r in rows_b], "s-", ms=3, label="deterministic_risk at d")
        ax.axhline(limit, color="k", ls="--", lw=0.8, label="equivalent, d = 8192")
        ax.set(xlabel="d (γ = 0.5)", ylabel="student risk",
               title="(b) anisotropic Σ")
        ax.legend(fontsize=5)
        ax = axes[2]
        for label, y in curves.items():
            ax.plot(gammas, y, label=label)
        ax.errorbar([p[0] for p in points], [p[1] for p in points],
                    yerr=[2 * p[2] for p in points], fmt="ko", ms=2, capsize=2,
                    label="MC, d = 100, ridge 0.05")
        ax.set(xscale="log", yscale="log", xlabel="γ = d/n", ylabel="risk (‖w⋆‖² = 1)",
               title="(c) double descent")
        ax.legend(fontsize=5)
        fig.tight_layout()
        out = pathlib.Path(args.out) / "random-design-convergence.png"
        save(fig, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
