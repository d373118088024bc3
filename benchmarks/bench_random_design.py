"""Benchmark: a deterministic-equivalent sweep over 256 values of γ × 64 ridges, against
Monte Carlo over random inputs at matched accuracy (issue 13).

Timed (best of ``--repeats``; the machine is shared and noisy, 2 cores):

(1) ``lingauss.proportional.risk_equivalent`` on the 256 × 64 grid (``γ`` in [0.1, 10],
    normalised ridge in [1e-3, 10]): the teacher's risk and a one-step student's (its own
    ridge ``2λ̄``, ``α = 0.3``), for isotropic ``Σ`` (Marchenko–Pastur closed form of ``κ``)
    and for a general ``Σ`` given by ``--modes`` eigenvalues (Newton on Silverstein's
    equation); also ``divergence_equivalent`` (the divergence's terms) on the same grid.
(2) Monte Carlo at matched accuracy: at one grid point (``d = --d``, ``γ = 1``,
    ``λ̄ = 0.3``, the general ``Σ``) the equivalent's error against a long Monte Carlo run
    is measured; the draws a Monte Carlo estimate needs for a standard error equal to that
    error follow from the per-draw spread, and its time from the time per draw of
    ``lingauss.risk(teacher, student, RandomDesign, monte_carlo=N)``. Two extrapolations
    to the grid: the library route (one run per grid point), and an optimistic one that
    shares every draw's factorization over the 64 ridges of a ``γ``.

Target: (1) under one second for the general ``Σ`` (reported PASS/MISS; the exit status is
non-zero only when a value is not finite).

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_random_design.py [--modes 256
--d 200 --repeats 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import lingauss
from lingauss.averages.deterministic import deterministic_risk
from lingauss.averages.equivalents import divergence_equivalent, risk_equivalent
from lingauss.model.random_design import RandomDesign


def spectrum(p: int):
    """A fixed limiting spectrum sampled at ``p`` quantiles: ``σ = 0.25 + 2.75 u²``, and a
    signal decaying over it (total energy 1)."""
    u = (np.arange(p) + 0.5) / p
    sigma = 0.25 + 2.75 * u ** 2
    theta2 = np.exp(-3 * u)
    return sigma, theta2 / theta2.sum()


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", type=int, default=256)
    ap.add_argument("--d", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, default=200, help="Monte Carlo draws of (2)")
    args = ap.parse_args(argv)
    gamma = np.geomspace(0.1, 10, 256)[:, None]
    ridge = np.geomspace(1e-3, 10, 64)[None, :]
    ok = True
    print(f"(1) equivalents on 256 gamma x 64 ridges ({gamma.size * ridge.size} points)")
    general = spectrum(args.modes)
    for name, (sigma, theta2) in (("isotropic", (np.ones(1), np.ones(1))),
                                  (f"general, {args.modes} modes", general)):
        for what, fn in (
                ("teacher risk", lambda: risk_equivalent(
                    gamma, ridge, eigenvalues=sigma, signal=theta2, noise=0.5)),
                ("student risk", lambda: risk_equivalent(
                    gamma, ridge, eigenvalues=sigma, signal=theta2, noise=0.5,
                    student_ridge=2 * ridge, alpha=0.3)),
                ("divergence", lambda: divergence_equivalent(
                    gamma, ridge, 2 * ridge, eigenvalues=sigma, signal=theta2, noise=0.5,
                    beta=1.0, student_beta=1.0, alpha=0.3, outputs=2, rank=1,
                    signal_outside=theta2))):
            t, out = best(fn, args.repeats)
            finite = bool(np.all(np.isfinite(out["total"])))
            ok &= finite
            flag = "" if name == "isotropic" else \
                ("  PASS (< 1 s)" if t < 1.0 else "  MISS (>= 1 s)")
            print(f"    {name:22s} {what:13s} {1e3 * t:8.1f} ms  finite={finite}{flag}")
    grid_time = best(lambda: risk_equivalent(gamma, ridge, eigenvalues=general[0],
                                             signal=general[1], noise=0.5,
                                             student_ridge=2 * ridge, alpha=0.3),
                     args.repeats)[0]

    # (2) Monte Carlo at matched accuracy, one grid point
    d = args.d
    sigma, theta2 = spectrum(d)
    design = RandomDesign(sigma, n=d, W_star=np.sqrt(theta2)[None, :], noise=0.5)
    lam = 0.3
    teacher = lingauss.Teacher(1.0, lam * d)
    student = lingauss.Student(1.0, 2 * lam * d, alpha=0.3)
    de = deterministic_risk(teacher, student, design).total
    t0 = time.perf_counter()
    mc = lingauss.risk(teacher, student, design, kind="population", monte_carlo=args.draws,
                       seed=0)
    per_draw = (time.perf_counter() - t0) / args.draws
    spread = mc.stderr["total"] * np.sqrt(args.draws)
    error = abs(mc.total - de)
    target = max(error, 2 * mc.stderr["total"])        # the error is resolved only above 2 se
    need = int(np.ceil((spread / target) ** 2))
    print(f"(2) d = {d}, gamma = 1, ridge = {lam}: equivalent {de:.6f}, Monte Carlo "
          f"{mc.total:.6f} +- {mc.stderr['total']:.2g} ({args.draws} draws, "
          f"{1e3 * per_draw:.1f} ms/draw)")
    print(f"    |MC - DE| = {error:.2g} (relative {error / de:.2g}); matched accuracy "
          f"{target:.2g} needs {need} draws = {need * per_draw:.2f} s per grid point")
    library = need * per_draw * gamma.size * ridge.size
    shared = need * per_draw * gamma.size           # one factorization shared by 64 ridges
    print(f"    grid by Monte Carlo: library route {library:.3g} s "
          f"({library / grid_time:.3g}x the equivalent's {grid_time:.3f} s); "
          f"sharing draws over ridges {shared:.3g} s ({shared / grid_time:.3g}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
