"""The paper's qualitative guidance, checked row by row against lingauss's numbers.

Li & He split the distillation divergence K into bias, variance and rank-bottleneck costs;
qualitative design advice follows from that split.  This script states each piece of advice
as a checkable claim, computes the numbers that bear on it (expected divergences over the
label noise, closed form, on one power-law design: d = 64, k = 8, n = 128; teacher β_T = 4,
λ_T = 1; students with the oracle projector and the KL-optimal complement variance), and
decides ✓ or ✗ *from those numbers* — nothing in the last column is typed.

Rows:

* smaller rank → larger rank bottleneck (the bottleneck is non-increasing in r);
* narrower width → larger rank bottleneck (non-increasing in m; the input width is an option
  of this model, docs/model.md §3, so the row is marked as ours);
* larger student ridge than the teacher's → bias (increasing in λ_S >= λ_T; 0 at λ_S = λ_T
  only with hard labels, α = 1 — with α = 0 the shrinkage compounds);
* temperature mismatch → variance (0 at β_S = β_T, > 0 on both sides);
* sampled soft labels → extra variance and a convexity slack I(Ŷ; W_S) > 0, bias and
  bottleneck unchanged;
* a heuristic that is *not* the paper's, to show a ✗: "more hard-label weight α always
  lowers the bias" — false when λ_S < λ_T (the bias then vanishes at α = λ_S/λ_T);
* the model's sanity check (docs/model.md §4): the student that is the teacher has K = 0.

What to look for: the Markdown table (``lingauss.tables.render``) and its ✓/✗ column.

Run ``python examples/paper_guidance_table.py [--out DIR]``; with ``--out`` the
decomposition against the rank is saved as ``DIR/paper_guidance_table.png`` and the table
as ``DIR/paper_guidance_table.md``.
"""

import argparse
import pathlib

import numpy as np

import lingauss
from lingauss.report.render import render


def problem():
    """The design, the teacher and the base student, shared with the tests."""
    design = lingauss.SpectralDesign.power_law(d=64, k=8, n=128, spectrum_exponent=1.0,
                                               signal_exponent=1.5, noise=0.5)
    teacher = lingauss.Teacher(beta=4.0, ridge=1.0)
    student = lingauss.Student(beta=4.0, ridge=1.0, rank=design.k, rank_rule="oracle",
                               complement_variance="optimal")
    return design, teacher, student


def g(x) -> str:
    return f"{float(x):.4g}"


def non_increasing(x) -> bool:
    x = np.asarray(x, dtype=float)
    return bool(np.all(np.diff(x) <= 1e-9 * np.abs(x).max()) and x[0] > x[-1])


def strictly_increasing(x) -> bool:
    return bool(np.all(np.diff(np.asarray(x, dtype=float)) > 0))


def rows(design, teacher, student):
    """``[(guidance, source, evidence, holds)]`` and the rank sweep (for the figure)."""
    k, d = design.k, design.d
    out = []

    by_rank = lingauss.sweep(teacher, student, design, rank=range(1, k + 1))
    rb = by_rank["rank_bottleneck"]
    out.append(("smaller rank → larger rank bottleneck", "paper",
                f"rank bottleneck at r = 1, {k // 2}, {k}: {g(rb[0])}, {g(rb[k // 2 - 1])}, "
                f"{g(rb[-1])} (m = {d})", non_increasing(rb)))

    widths = [8, 16, 32, 64]
    rw = lingauss.sweep(teacher, student, design, width=widths)["rank_bottleneck"]
    out.append(("narrower width → larger rank bottleneck", "this model (width option)",
                "rank bottleneck at m = " + ", ".join(map(str, widths)) + ": "
                + ", ".join(map(g, rw)) + f" (r = {k})", non_increasing(rw)))

    ratios = np.array([1.0, 2.0, 4.0, 8.0])
    bias = lingauss.sweep(teacher, student, design, ridge=teacher.ridge * ratios,
                          alpha=[0.0, 1.0])["bias"]                         # (λ_S, α)
    out.append(("larger student ridge than teacher → bias", "paper",
                "bias at λ_S/λ_T = 1, 2, 4, 8: α = 1: " + ", ".join(map(g, bias[:, 1]))
                + "; α = 0: " + ", ".join(map(g, bias[:, 0])),
                strictly_increasing(bias[:, 0]) and strictly_increasing(bias[:, 1])
                and bias[0, 1] <= 1e-12))

    betas = teacher.beta * np.array([0.5, 1.0, 2.0])
    temp = lingauss.sweep(teacher, student.replace(alpha=1.0), design, beta=betas)
    var = temp["variance"]
    out.append(("temperature mismatch → variance", "paper",
                "variance at β_S/β_T = 0.5, 1, 2: " + ", ".join(map(g, var))
                + " (α = 1, λ_S = λ_T; bias " + ", ".join(map(g, temp["bias"])) + ")",
                bool(var[1] <= 1e-12 and var[0] > 0 and var[2] > 0)))

    modes = {"mean": 0.0, "sampled": 0.0, "sampled+noise": 0.5}
    decs = {mode: lingauss.expected_divergence(
        teacher, student.replace(soft_labels=mode, soft_label_noise=nu), design)
        for mode, nu in modes.items()}
    v = [decs[m].variance for m in modes]
    slack = [decs[m].convexity_slack for m in ("sampled", "sampled+noise")]
    unchanged = all(np.isclose(getattr(decs[m], t), getattr(decs["mean"], t), rtol=1e-12)
                    for m in modes for t in ("bias", "rank_bottleneck"))
    out.append(("sampled soft labels → extra variance / convexity slack", "paper",
                "variance mean, sampled, sampled+noise (ν_T = 0.5): " + ", ".join(map(g, v))
                + "; slack I(Ŷ; W_S): " + ", ".join(map(g, slack))
                + f"; bias, bottleneck unchanged: {unchanged}",
                strictly_increasing(v) and min(slack) > 0 and unchanged))

    alphas = np.array([0.0, 0.25, 0.5, 1.0])
    hard = lingauss.sweep(teacher, student, design, ridge=teacher.ridge * np.array([0.25, 1.0]),
                          alpha=alphas)["bias"]                            # (λ_S, α)
    out.append(("more hard-label weight α → less bias", "heuristic (not the paper's)",
                "bias at α = 0, 0.25, 0.5, 1: λ_S = λ_T/4: " + ", ".join(map(g, hard[0]))
                + "; λ_S = λ_T: " + ", ".join(map(g, hard[1])),
                bool(np.all(np.diff(hard, axis=1) < 0))))

    same = lingauss.Student(beta=teacher.beta, ridge=teacher.ridge, alpha=1.0,
                            rank_rule="oracle")
    K0 = lingauss.expected_divergence(teacher, same.replace(rank=k), design).total
    out.append(("student = teacher (α = 1, equal β, λ, full size) → K = 0", "docs/model.md §4",
                f"K = {g(K0)}", abs(K0) <= 1e-12))
    return out, by_rank


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure and table")
    args = parser.parse_args(argv)

    design, teacher, student = problem()
    table_rows, by_rank = rows(design, teacher, student)
    print(f"design: power law, d = {design.d}, k = {design.k}, n = {design.n}, noise "
          f"{design.noise:g}; teacher β_T = {teacher.beta:g}, λ_T = {teacher.ridge:g}; "
          f"base student β_S = {student.beta:g}, λ_S = {student.ridge:g}, α = 0, full size, "
          f"oracle projector, τ² optimal; expected divergences (nats)\n")
    table = render(("guidance", "source", "evidence from lingauss", "holds"),
                   [(claim, source, evidence, "✓" if ok else "✗")
                    for claim, source, evidence, ok in table_rows], "md")
    print(table)
    held = sum(ok for *_, ok in table_rows)
    print(f"\nconclusion: {held} of {len(table_rows)} claims hold on these numbers")

    if args.out is not None:
        from lingauss import plots

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "paper_guidance_table.md").write_text(table + "\n", encoding="utf-8")
        path = args.out / "paper_guidance_table.png"
        plots.save(plots.terms_plot(by_rank, "rank"), path)
        print(f"\nfigure written to {path}; table to {args.out / 'paper_guidance_table.md'}")


if __name__ == "__main__":
    main()
