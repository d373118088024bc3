"""Mean or sampled soft labels: what does drawing the teacher's labels cost the student?

The teacher can hand the student its mean predictions ``Ŷ = M_T X`` ("mean"), the
predictions of one weight draw ``Ŷ = W_T X``, ``W_T ~ P_T`` ("sampled"), or those plus fresh
noise ``ν_T E'`` ("sampled+noise").  The student kernel marginalises the draw of ``Ŷ``
(docs/model.md §3), so a draw leaves the mean unchanged and widens the student's covariance: it
adds **variance** and nothing else.  The paper bounds a KL against the label mixture by
convexity; for sampled labels lingauss reports that bound,
``E_Ŷ KL(P_S(·|Ŷ) ‖ P_T) = K + I(Ŷ; W_S)``, and its slack: in the forward direction the mutual
information between the drawn labels and the student's weights.

On one problem — the README's default: ``Sample.synthetic(d=32, k=8, n=64)``, teacher
β_T = 4, λ_T = 1; student β_S = 4, λ_S = 2, width 16, full rank 8, oracle projector,
KL-optimal ``τ²`` — the script prints, side by side for the
three modes, the exact ``divergence`` given this sample and the ``expected_divergence`` over
the label noise (closed form): K, its terms, the convexity bound and the slack.  It checks
the slack against I(Ŷ; W_S) computed independently here from the eigenvalues of XXᵀ:
``I = (r/2) Σ_{i<=m} log(1 + (1−α)² β_S² h_i / b_i)``, ``b_i = β_S s_i + λ_S``,
``h_i = s_i²/a_i (+ ν_T² s_i)`` the variance of ``Ŷ`` seen through mode i.

The expectation is also held against a Monte Carlo mean of the exact engine over 400 label
draws (``monte_carlo=400``; |z| should be small).

What to look for: bias and rank bottleneck identical in the three columns; the variance, the
slack and the bound growing from mean to sampled to sampled+noise; the slack equal to I
(and the same given the sample and in expectation: it does not depend on the labels).

Run ``python examples/mean_vs_sampled_soft_labels.py [--out DIR]``; with ``--out`` the
expected decomposition against the rank, per mode, is saved as
``DIR/mean_vs_sampled_soft_labels.png``.
"""

import argparse
import pathlib

import numpy as np

import lingauss

MODES = {"mean": 0.0, "sampled": 0.0, "sampled+noise": 0.5}     # soft labels: ν_T
ROWS = ("total", "bias", "variance", "rank_bottleneck", "convexity_bound", "convexity_slack")


def problem():
    """The sample, the teacher and the student (soft labels "mean"), shared with the tests
    (the embedded default problem, ``lingauss demo``, with the oracle projector)."""
    sample = lingauss.Sample.synthetic(d=32, k=8, n=64, noise=0.5, signal_exponent=1.5,
                                       seed=0)
    teacher = lingauss.Teacher(beta=4.0, ridge=1.0)
    student = lingauss.Student(beta=4.0, ridge=2.0, width=16, rank=8, rank_rule="oracle",
                               complement_variance="optimal")
    return sample, teacher, student


def mutual_information(teacher, student, sample):
    """I(Ŷ; W_S) for the pca basis, from the eigenvalues of XXᵀ (independent of lingauss)."""
    m, r = student.width, student.rank
    s = np.linalg.eigvalsh(sample.X @ sample.X.T)[::-1][:m]             # top-m eigenvalues
    a = teacher.beta * s + teacher.ridge
    b = student.beta * s + student.ridge
    h = s ** 2 / a + student.soft_label_noise ** 2 * s                  # Var of Ŷ in mode i
    if student.soft_labels == "mean":
        return 0.0
    return 0.5 * r * float(np.sum(np.log1p((1 - student.alpha) ** 2 * student.beta ** 2
                                           * h / b)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure")
    args = parser.parse_args(argv)

    sample, teacher, base = problem()
    students = {mode: base.replace(soft_labels=mode, soft_label_noise=nu_t)
                for mode, nu_t in MODES.items()}
    print(f"sample: synthetic d = {sample.d}, k = {sample.k}, n = {sample.n}, noise "
          f"{sample.noise:g}; teacher β_T = {teacher.beta:g}, λ_T = {teacher.ridge:g}; "
          f"student β_S = {base.beta:g}, λ_S = {base.ridge:g}, m = {base.width}, "
          f"r = {base.rank}, α = {base.alpha:g}; ν_T = {MODES['sampled+noise']:g} for "
          f"sampled+noise")

    results = {}
    for label, compute in (("exact, given this sample (divergence)", lingauss.divergence),
                           ("expected over the label noise (expected_divergence)",
                            lingauss.expected_divergence)):
        decs = {mode: compute(teacher, st, sample).as_dict() for mode, st in students.items()}
        results[label] = decs
        print(f"\n{label}")
        print(f"{'term':<17}" + "".join(f"{mode:>15}" for mode in MODES))
        for row in ROWS:
            cells = [decs[mode].get(row) for mode in MODES]
            print(f"{row:<17}" + "".join(f"{'—':>15}" if v is None else f"{v:15.6g}"
                                         for v in cells))

    # the closed-form expectation against a Monte Carlo mean of the exact engine
    draws = 400
    mc = {mode: lingauss.expected_divergence(teacher, st, sample, monte_carlo=draws, seed=1)
          for mode, st in students.items()}
    cells = [f"{mc[m].total:.5g}±{mc[m].stderr['total']:.2g}" for m in MODES]
    print(f"{f'total, MC {draws}':<17}" + "".join(f"{c:>15}" for c in cells))
    expected = results["expected over the label noise (expected_divergence)"]
    z = max(abs(mc[m].total - expected[m]["total"]) / mc[m].stderr["total"] for m in MODES)
    print(f"(closed form vs Monte Carlo over {draws} label draws: largest |z| = {z:.2f})")

    exact = results["exact, given this sample (divergence)"]
    print()
    for mode in ("sampled", "sampled+noise"):
        info = mutual_information(teacher, students[mode], sample)
        dec = exact[mode]
        extra = dec["variance"] - exact["mean"]["variance"]
        print(f"conclusion: {mode}: extra variance over mean = {extra:.6g}, "
              f"convexity slack = {dec['convexity_slack']:.6g}, I(Ŷ; W_S) = {info:.6g} "
              f"({'equal' if np.isclose(dec['convexity_slack'], info, rtol=1e-9) else 'DIFFERENT'}"
              f"), bound = K + slack = {dec['total']:.6g} + {dec['convexity_slack']:.6g} = "
              f"{dec['convexity_bound']:.6g}")
    same = all(np.isclose(exact[mode][t], exact["mean"][t], rtol=1e-12)
               for mode in MODES for t in ("bias", "rank_bottleneck"))
    print(f"conclusion: bias and rank bottleneck identical across the modes: {same}")

    if args.out is not None:
        from lingauss import plots

        args.out.mkdir(parents=True, exist_ok=True)
        sweeps = {mode: lingauss.sweep(teacher, st, sample, rank=range(1, sample.k + 1))
                  for mode, st in students.items()}
        fig = plots.soft_labels_plot(sweeps, "rank")
        path = args.out / "mean_vs_sampled_soft_labels.png"
        plots.save(fig, path)
        print(f"\nfigure written to {path}")


if __name__ == "__main__":
    main()
