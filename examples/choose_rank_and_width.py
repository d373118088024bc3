"""How small can the student be?  Choosing its rank r and input width m.

The question: for a population power-law design (d = 256 inputs, k = 16 outputs, n = 512
examples; ``SpectralDesign.power_law``), which (rank, width) pairs give an expected
distillation divergence ``E K`` within 10 % of the full-size student's (m = d, r = k), and which
of them has the fewest parameters ``r(m + k)``?

One call to ``lingauss.sweep`` evaluates every term of ``E K`` (closed form over the label
noise) on the whole grid ranks 1..k × widths k..d (step 8), with the ``oracle`` rank rule
(the student keeps the top-r output directions of W⋆) and the KL-minimising complement
variance ``τ²``.  The grid starts at m = k because a sweep needs every rank <= min(k, m).

What to look for in the output:

* the budget ``1.1·K_full`` and the smallest parameter count that meets it, with its terms;
* the smallest width at full rank and the smallest rank at full width: in this parameter-space
  KL, dropping one output direction costs a rank bottleneck of hundreds of nats (every input
  mode of that row becomes untrained), while dropping weak input modes (the spectrum decays as
  i^-2) costs little — the answer is "keep the rank, cut the width";
* the Pareto frontier of parameters against ``E K`` (``*`` marks pairs within the budget).

Run ``python examples/choose_rank_and_width.py [--out DIR]``; with ``--out`` the frontier is
saved as ``DIR/choose_rank_and_width.png``.
"""

import argparse
import pathlib

import numpy as np

import lingauss
from lingauss.explore.design import Candidate, pareto

FRACTION = 0.10          # the budget: E K <= (1 + FRACTION) · E K(full-size student)


def problem():
    """The design, the teacher, the student and the (rank, width) grid, shared with the tests."""
    design = lingauss.SpectralDesign.power_law(d=256, k=16, n=512, spectrum_exponent=2.0,
                                               signal_exponent=1.5, noise=0.5)
    teacher = lingauss.Teacher(beta=4.0, ridge=1.0)
    student = lingauss.Student(beta=4.0, ridge=1.0, rank_rule="oracle",
                               complement_variance="optimal")
    ranks = np.arange(1, design.k + 1)
    widths = np.arange(design.k, design.d + 1, 8)
    return design, teacher, student, ranks, widths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure")
    args = parser.parse_args(argv)

    design, teacher, student, ranks, widths = problem()
    d, k = design.d, design.k
    res = lingauss.sweep(teacher, student, design, rank=ranks, width=widths)   # (R, W)
    K = res["total"]

    full = Candidate(k, d, k * (d + k), float(K[-1, -1]))
    budget = (1 + FRACTION) * full.divergence
    cands = [Candidate(int(r), int(m), int(r * (m + k)), float(K[i, j]))
             for i, r in enumerate(ranks) for j, m in enumerate(widths)]
    ok = [c for c in cands if c.divergence <= budget]
    best = min(ok, key=lambda c: (c.parameters, c.divergence))
    narrowest = min((c for c in ok if c.rank == k), key=lambda c: c.width)
    lowest_rank = min((c for c in ok if c.width == d), key=lambda c: c.rank)

    def terms(c):
        i, j = c.rank - 1, int(np.flatnonzero(widths == c.width)[0])
        return ", ".join(f"{t} {res[t][i, j]:.4g}" for t in ("bias", "variance",
                                                               "rank_bottleneck"))

    print(f"design: power law, d = {d}, k = {k}, n = {design.n}, s_i = n i^-2, "
          f"|θ_i|² = i^-1.5, noise 0.5")
    print(f"teacher β_T = {teacher.beta:g}, λ_T = {teacher.ridge:g}; student β_S = "
          f"{student.beta:g}, λ_S = {student.ridge:g}, α = 0, oracle rank rule, τ² optimal")
    print(f"grid: ranks 1..{k} × widths {widths[0]}..{widths[-1]} step 8 "
          f"({K.size} students, one sweep)\n")
    print(f"full-size student (r = {k}, m = {d}, {full.parameters} parameters): "
          f"E K = {full.divergence:.6g}  ({terms(full)})")
    print(f"budget: E K <= {1 + FRACTION:g} × {full.divergence:.6g} = {budget:.6g}\n")

    print(f"conclusion: smallest r(m + k) within budget: rank = {best.rank}, "
          f"width = {best.width}, parameters = {best.parameters}, K = {best.divergence:.6g}")
    print(f"  = {best.parameters / full.parameters:.1%} of the full student's parameters; "
          f"terms: {terms(best)}")
    print(f"conclusion: smallest width at rank {k}: {narrowest.width} "
          f"(K = {narrowest.divergence:.6g})")
    below = K[:-1, -1]
    print(f"conclusion: smallest rank at width {d}: {lowest_rank.rank} "
          f"(rank {k - 1} already gives K = {below[-1]:.6g}, "
          f"{below[-1] / full.divergence:.2f} × K_full)\n")

    front = pareto(cands)
    print(f"Pareto frontier ({len(front)} pairs; * = within budget):")
    cells = [f"{'*' if c.divergence <= budget else ' '} r={c.rank:2d} m={c.width:3d} "
             f"P={c.parameters:4d} K={c.divergence:9.4g}" for c in front]
    for i in range(0, len(cells), 3):
        print("   ".join(cells[i:i + 3]))

    if args.out is not None:
        from lingauss import plots

        args.out.mkdir(parents=True, exist_ok=True)
        sizes = np.array([c.parameters for c in cands])
        divs = np.array([c.divergence for c in cands])
        fig = plots.frontier_plot(sizes, divs, recommended=cands.index(best), budget=budget)
        path = args.out / "choose_rank_and_width.png"
        plots.save(fig, path)
        print(f"\nfigure written to {path}")


if __name__ == "__main__":
    main()
