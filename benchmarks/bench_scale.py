"""Benchmark: the exact engine at scale, against the cost of the factorizations it needs.

(a) ``lingauss.divergence`` at growing ``d`` (``n = 2d``, ``k = 16``, width ``d/4``, rank 4),
    cold inputs (a fresh copy of the sample each call, made before the clock starts), against the *limit* measured at the same ``d`` in
    the same run: for a general basis the Gram matrix ``XXᵀ`` plus three Cholesky
    factorizations of ``d × d`` matrices (target: within 3×); for the ``pca`` basis one
    symmetric eigen-decomposition of ``XXᵀ`` (target: within 1.5× of Gram + ``eigh``).
    Prints the scaling exponent of each (a log-log fit over ``d``) and the peak memory of one
    call beyond its inputs (``X`` itself is two) in units of ``d × d`` double arrays
    (tracemalloc; numpy registers its allocations).
(b) ``expected_divergence(..., monte_carlo=200)`` (general basis, parameter space) against
    200 × the per-draw limit — the products with the labels and the solves against cached
    factors a draw cannot avoid (``YXᵀ``, two triangular solves with ``k`` right-hand sides,
    one product with the Cholesky factor) — target within 2×; against the same call by the
    engine before the inputs were shared (``--baseline PATH``: a checkout of that commit,
    e.g. ``git worktree add ../lingauss-old a24badb``), target at least 10× faster; and, for
    reference, against 200 cold calls of today's engine. The same in prediction space (the
    eigen route, a draw at a time, reusing what depends on ``X`` alone), against 200 cold
    calls.
(c) Few examples (``--few-d``, ``n = d/8``): the ``pca`` route, whose inputs are decomposed
    by the thin SVD of ``X`` when ``n <= d/4``, against Gram + ``eigh`` (the route otherwise).

Both BLAS settings (default threads and one thread, via threadpoolctl) are measured in the
same run; the machine is shared and noisy, so ratios are what count.

Run: ``python benchmarks/bench_scale.py [--d 256 512 1024 2048 4096] [--repeats 2]
[--baseline PATH]``.
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from bench_divergence import best_of, cold_call, fresh  # one timer and cold call
from scipy import linalg as sla
from threadpoolctl import threadpool_limits

import lingauss


def problem(d: int, seed: int = 0, n: int | None = None):
    n, k = 2 * d if n is None else n, 16
    m, r = max(d // 4, 1), 4
    rng = np.random.default_rng(seed)
    sample = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=seed)
    B = np.linalg.qr(rng.standard_normal((d, m)))[0]
    teacher = lingauss.Teacher(4.0, 1.0)
    general = lingauss.Student(3.0, 2.0, alpha=0.3, basis=B, rank=r, rank_rule="oracle")
    pca = lingauss.Student(3.0, 2.0, alpha=0.3, width=m, rank=r, rank_rule="oracle")
    return sample, teacher, general, pca


def limits(sample, repeats: int):
    """Gram + 3 Cholesky and Gram + eigh: each the faster of the current thread setting and
    one thread (so the limit never suffers the oversubscription the engine avoids)."""
    X = sample.X
    d = X.shape[0]

    def measure():
        t_gram, G = best_of(lambda: X @ X.T, repeats)
        A = 4.0 * G + np.eye(d)
        t_chol, _ = best_of(lambda: sla.cholesky(A, lower=True, check_finite=False), repeats)
        t_eigh, _ = best_of(lambda: sla.eigh(G, check_finite=False), repeats)
        return t_gram + 3 * t_chol, t_gram + t_eigh

    here = measure()
    with threadpool_limits(limits=1):
        one = measure()
    return min(here[0], one[0]), min(here[1], one[1])


def peak_arrays(teacher, student, sample) -> float:
    """Peak memory of one cold ``divergence`` call beyond its inputs (a fresh sample, made
    before tracing starts), in units of ``d × d`` double arrays."""
    cold = fresh(sample)
    tracemalloc.start()
    lingauss.divergence(teacher, student, cold)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (8.0 * sample.d ** 2)


def scaling(ds, times) -> float:
    return float(np.polyfit(np.log(ds), np.log(times), 1)[0])


def warm_up():
    """One small call of each route first: the symbolic engine's lambdified terms and the
    imports are built once per process and must not count against the first ``d``."""
    sample, teacher, general, pca = problem(16)
    for student in (general, pca):
        lingauss.divergence(teacher, student, fresh(sample))
    lingauss.expected_divergence(teacher, general, fresh(sample), monte_carlo=2, seed=0)


def part_a(ds, repeats):
    rows = []
    for d in ds:
        sample, teacher, general, pca = problem(d)
        reps = max(repeats, 10) if d <= 512 else repeats       # milliseconds: take more
        lim_gen, lim_pca = limits(sample, reps)
        t_gen = cold_call(teacher, general, sample, reps)[0]
        t_pca = cold_call(teacher, pca, sample, reps)[0]
        mem = peak_arrays(teacher, general, sample)
        mem_pca = peak_arrays(teacher, pca, sample)
        rows.append((d, t_gen, lim_gen, t_pca, lim_pca, mem, mem_pca))
        print(f"  d={d:5d}  general {t_gen:8.3f} s = {t_gen / lim_gen:5.2f}× the limit "
              f"{lim_gen:7.3f} s (target <= 3)   pca {t_pca:8.3f} s = "
              f"{t_pca / lim_pca:5.2f}× Gram + eigh {lim_pca:7.3f} s (target <= 1.5)   "
              f"peak memory {mem:4.1f} / {mem_pca:4.1f} d×d arrays", flush=True)
    ds_ = [row[0] for row in rows]
    if len(rows) > 1:
        print(f"  scaling exponent: general {scaling(ds_, [r[1] for r in rows]):.2f}, its "
              f"limit {scaling(ds_, [r[2] for r in rows]):.2f}; pca "
              f"{scaling(ds_, [r[3] for r in rows]):.2f}, its limit "
              f"{scaling(ds_, [r[4] for r in rows]):.2f}")
    return rows


def part_b(d, draws, repeats):
    sample, teacher, general, _ = problem(d)
    X = sample.X
    mc = lambda: lingauss.expected_divergence(teacher, general, fresh(sample),  # noqa: E731
                                              monte_carlo=draws, seed=0)
    t_mc, dec = best_of(mc, repeats)
    L = sla.cholesky(4.0 * X @ X.T + np.eye(d), lower=True)
    Y = sample.Y

    def per_draw():
        P = Y @ X.T                                                   # (k, d)
        M = sla.cho_solve((L, True), P.T, check_finite=False)        # two triangular solves
        return L.T @ M                                                # one product with L
    t_draw, _ = best_of(lambda: [per_draw() for _ in range(20)], repeats)
    with threadpool_limits(limits=1):                                 # its best setting
        t_one, _ = best_of(lambda: [per_draw() for _ in range(20)], repeats)
    t_draw = min(t_draw, t_one) / 20
    t_cold = cold_call(teacher, general, sample, repeats)[0]
    print(f"  d={d}: expected_divergence(monte_carlo={draws}) {t_mc:7.3f} s = "
          f"{t_mc / (draws * t_draw):5.2f}× {draws} × the per-draw limit "
          f"({t_draw * 1e3:.3f} ms; target <= 2) and {draws * t_cold / t_mc:6.1f}× faster "
          f"than {draws} cold calls of today's engine ({draws * t_cold:.2f} s)")
    return t_mc, t_draw, t_cold


def part_b_prediction(d, draws, repeats):
    """Prediction space, general basis (the eigen route, one draw at a time): a draw redoes
    only what depends on the labels; the rest is computed for the first draw and reused."""
    sample, teacher, general, _ = problem(d)
    mc = lambda: lingauss.expected_divergence(teacher, general, fresh(sample),  # noqa: E731
                                              monte_carlo=draws, seed=0, space="prediction")
    t_mc = best_of(mc, repeats)[0]
    t_cold = cold_call(teacher, general, sample, repeats, space="prediction")[0]
    print(f"  d={d}, prediction space: {t_mc:7.3f} s = {t_mc / draws * 1e3:.1f} ms per draw, "
          f"{draws * t_cold / t_mc:5.1f}× faster than {draws} cold calls "
          f"({t_cold * 1e3:.1f} ms each)")


def part_c(d, repeats):
    """Few examples (``n = d/8``): the ``pca`` route decomposes ``X`` by its thin SVD; against
    the Gram matrix + ``eigh`` it would otherwise need (and does for ``n > d/4``)."""
    sample, teacher, _, pca = problem(d, n=max(d // 8, 1))
    X = sample.X

    def gram_eigh():
        return sla.eigh(X @ X.T, check_finite=False)
    t_gram_eigh = best_of(gram_eigh, repeats)[0]
    with threadpool_limits(limits=1):
        t_gram_eigh = min(t_gram_eigh, best_of(gram_eigh, repeats)[0])
    t_pca = cold_call(teacher, pca, sample, repeats)[0]
    print(f"  d={d} n={sample.n}: pca divergence {t_pca:7.3f} s = {t_pca / t_gram_eigh:5.2f}× "
          f"Gram + eigh ({t_gram_eigh:.3f} s), which the thin SVD of X replaces")


BASELINE = """
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import lingauss
d, draws = int(sys.argv[2]), int(sys.argv[3])
n, k, m, r = 2 * d, 16, max(d // 4, 1), 4
rng = np.random.default_rng(0)
sample = lingauss.Sample.synthetic(d, k, n, noise=0.5, seed=0)
B = np.linalg.qr(rng.standard_normal((d, m)))[0]
student = lingauss.Student(3.0, 2.0, alpha=0.3, basis=B, rank=r, rank_rule="oracle")
t0 = time.perf_counter()
lingauss.expected_divergence(lingauss.Teacher(4.0, 1.0), student, sample, monte_carlo=draws,
                             seed=0)
print(time.perf_counter() - t0)
"""


def baseline_mc(path: str, d: int, draws: int, threads: str) -> float:
    """The same Monte Carlo expectation run by another checkout of lingauss (``--baseline``,
    e.g. the commit before the inputs were shared), in a subprocess of this run."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    if threads == "one":
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", BASELINE, path, str(d), str(draws)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    ap.add_argument("--mc-d", type=int, default=256)
    ap.add_argument("--few-d", type=int, default=2048, help="d of (c), with n = d/8")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--baseline", metavar="PATH", default=None,
                    help="a checkout of lingauss to time the same Monte Carlo with (today's)")
    args = ap.parse_args(argv)
    warm_up()
    for threads in ("default", "one"):
        limit = threadpool_limits(limits=1) if threads == "one" else None
        try:
            print(f"[{threads} BLAS threads]")
            print("(a) divergence against the factorization limit (cold inputs):")
            part_a(args.d, args.repeats)
            print("(b) Monte Carlo over label draws:")
            t_mc, _, _ = part_b(args.mc_d, args.draws, args.repeats)
            if args.baseline:
                t_old = baseline_mc(args.baseline, args.mc_d, args.draws, threads)
                print(f"  the same with {args.baseline} (the engine before the inputs were "
                      f"shared): {t_old:.3f} s — now {t_old / t_mc:.1f}× faster (target >= 10)")
            part_b_prediction(args.mc_d, args.draws, args.repeats)
            print("(c) few examples:")
            part_c(args.few_d, args.repeats)
        finally:
            if limit is not None:
                limit.unregister()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
