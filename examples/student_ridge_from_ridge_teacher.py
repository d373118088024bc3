"""Which ridge should a student use when its teacher is itself a ridge regression?

The teacher is the Gibbs posterior of ridge regression with ridge λ_T; the student learns from
the teacher's mean soft labels (plus a weight α of hard labels) with its own ridge λ_S.  Per
eigen-mode of XXᵀ (docs/model.md §5, derived by ``lingauss derive``) the two costs on the trained
coordinates are

* bias ∝ (α β_S λ_T − β_T λ_S)²: the student shrinks labels the teacher already shrank
  (compounded shrinkage), and the bias vanishes — in every mode at once — at
  λ_S* = α β_S λ_T / β_T (never, for λ_S > 0, when α = 0);
* variance = (r/2) v(a_i / b_i), a_i = β_T s_i + λ_T, b_i = β_S s_i + λ_S: a covariance
  mismatch, zero in every mode only when λ_S = λ_T and β_S = β_T.

``lingauss.sweep`` evaluates the expected divergence (closed form over the label noise) over
a log grid of λ_S (λ_T · 2^(j/4), so α λ_T and λ_T lie on it) × α ∈ {0, 0.25, 0.5, 1}, for a
full-size student (no rank bottleneck), with β_S = β_T and then β_S = β_T / 2.

What to look for in the output: per α, the predicted λ_S*, the grid argmin of the bias (it
sits exactly at λ_S*), the argmin of the variance (λ_T), and the best λ_S for the total — a
compromise between the two, between α λ_T and λ_T; with β_S ≠ β_T the variance never
reaches 0.

Run ``python examples/student_ridge_from_ridge_teacher.py [--out DIR]``; with ``--out`` the
bias (per α) and the variance against λ_S are saved as
``DIR/student_ridge_from_ridge_teacher.png``.
"""

import argparse
import pathlib

import numpy as np

import lingauss

RIDGES_OVER_LT = 2.0 ** (np.arange(-40, 17) / 4)   # λ_S / λ_T from 2^-10 to 2^4
ALPHAS = np.array([0.0, 0.25, 0.5, 1.0])


def problem():
    """The design, the teacher, the student and the grids shared with the tests."""
    design = lingauss.SpectralDesign.power_law(d=64, k=8, n=128, spectrum_exponent=1.0,
                                               signal_exponent=1.5, noise=0.5)
    teacher = lingauss.Teacher(beta=4.0, ridge=1.0)
    # full size: width d (the default) and rank k, so there is no rank bottleneck
    student = lingauss.Student(beta=4.0, ridge=1.0, rank=design.k, rank_rule="oracle")
    return design, teacher, student, teacher.ridge * RIDGES_OVER_LT, ALPHAS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure")
    args = parser.parse_args(argv)

    design, teacher, student, ridges, alphas = problem()
    print(f"design: power law, d = {design.d}, k = {design.k}, n = {design.n}, noise "
          f"{design.noise:g}; teacher β_T = {teacher.beta:g}, λ_T = {teacher.ridge:g}; "
          f"full-size student, mean soft labels")
    print(f"grid: λ_S = λ_T · 2^(j/4), {ridges[0]:.4g}..{ridges[-1]:g} ({len(ridges)} values)"
          f" × α ∈ {{{', '.join(f'{a:g}' for a in alphas)}}}")

    for beta_s in (teacher.beta, teacher.beta / 2):
        res = lingauss.sweep(teacher, student.replace(beta=beta_s), design, ridge=ridges,
                             alpha=alphas)                                  # (λ_S, α)
        if beta_s == teacher.beta:
            figure_sweep = res
        print(f"\nβ_S = {beta_s:g} (β_T = {teacher.beta:g})")
        print(f"{'α':>5} {'λ_S* (bias 0)':>14} {'argmin bias':>12} {'min bias':>10} "
              f"{'argmin var':>11} {'min var':>9} {'best λ_S':>9} {'K':>9} {'bias':>9} "
              f"{'variance':>9}")
        conclusions = []
        for j, alpha in enumerate(alphas):
            bias, var, total = (res[t][:, j] for t in ("bias", "variance", "total"))
            star = alpha * beta_s * teacher.ridge / teacher.beta     # α β_S λ_T = β_T λ_S
            ib, iv, it = np.argmin(bias), np.argmin(var), np.argmin(total)
            print(f"{alpha:5g} {star:14.4g} {ridges[ib]:12.4g} {bias[ib]:10.3g} "
                  f"{ridges[iv]:11.4g} {var[iv]:9.3g} {ridges[it]:9.4g} {total[it]:9.4g} "
                  f"{bias[it]:9.4g} {var[it]:9.4g}")
            # the stated conclusions, checked on the numbers just computed
            if star > 0:
                where, bias_ok = f"at λ_S* = {star:g}", np.isclose(ridges[ib], star)
            else:
                where, bias_ok = "nowhere for λ_S > 0 (it falls as λ_S → 0)", ib == 0
            line = (f"conclusion: beta_S = {beta_s:g}, alpha = {alpha:g}: the bias vanishes "
                    f"{where}; swept argmin {ridges[ib]:.6g} "
                    f"({'agrees' if bias_ok else 'DISAGREES'}); best lambda_S = "
                    f"{ridges[it]:.6g} (K = {total[it]:.6g})")
            if beta_s == teacher.beta:
                lo, hi = sorted((star, teacher.ridge))
                line += (", between α λ_T and λ_T" if lo <= ridges[it] <= hi
                         else ", NOT between α λ_T and λ_T")
            conclusions.append(line)
        variance = res["variance"]     # it does not depend on α (mean soft labels)
        if beta_s == teacher.beta:
            conclusions.append(
                f"conclusion: beta_S = beta_T: the variance is 0 only at λ_S = "
                f"{ridges[np.flatnonzero(variance[:, 0] <= 1e-12)].tolist()} (= λ_T); "
                f"elsewhere it is > 0 (e.g. {variance[-1, 0]:.4g} at λ_S = {ridges[-1]:g})")
        else:
            conclusions.append(
                f"conclusion: beta_S = {beta_s:g} != beta_T: the variance never vanishes; its "
                f"minimum over the grid is {variance.min():.6g} > 0 (at λ_S = "
                f"{ridges[np.argmin(variance[:, 0])]:g})")
        print("\n".join(conclusions))

    if args.out is not None:
        from lingauss import plots

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "student_ridge_from_ridge_teacher.png"
        plots.save(figure(figure_sweep, ridges, alphas, teacher), path)
        print(f"\nfigure written to {path}")


def figure(res, ridges, alphas, teacher):
    """Bias per α (its zero λ_S* dotted) and the variance against λ_S, log–log."""
    from matplotlib.figure import Figure

    from lingauss.plots import COLOURS

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    positive = lambda x: np.where(x > 0, x, np.nan)      # noqa: E731  (log axes skip zeros)
    for j, alpha in enumerate(alphas):
        (line,) = ax.plot(ridges, positive(res["bias"][:, j]), label=f"bias, α = {alpha:g}")
        if alpha > 0:
            ax.axvline(alpha * teacher.ridge, color=line.get_color(), linestyle=":")
    ax.plot(ridges, positive(res["variance"][:, 0]), color=COLOURS["variance"], linewidth=3,
            linestyle="--", label="variance (any α)")
    ax.axvline(teacher.ridge, color="black", linewidth=0.8, label="λ_S = λ_T")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-4)
    ax.set_xlabel("student ridge λ_S")
    ax.set_ylabel("divergence term (nats)")
    ax.set_title("Bias vanishes at λ_S = α λ_T (dotted), variance at λ_S = λ_T\n"
                 f"(β_S = β_T = {teacher.beta:g}, λ_T = {teacher.ridge:g})")
    ax.legend(fontsize="small")
    return fig

if __name__ == "__main__":
    main()
