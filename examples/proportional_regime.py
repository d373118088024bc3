"""Distillation in the proportional regime: where a nearly-interpolating teacher's double descent
hurts, and where a distilled student repairs it.

The question: inputs are drawn afresh (``lingauss.RandomDesign``, a power-law ``Σ`` with
d = 100 inputs and k = 2 outputs); as ``γ = d/n`` moves through 1, how does the population risk
of a nearly-interpolating ridge teacher (normalised ridge ``λ̄_T = λ_T/(β_T n) = 0.005``)
compare with that of a student distilled from it (``λ̄_S = 0.2``, hard-label weight
``α = 0.3``), and what does the distillation divergence ``K/(kd)`` do there?

Everything is from the deterministic equivalents (``lingauss.gamma_sweep``, exact as
``d, n → ∞``; derivations/random_design.md), with Monte Carlo points at d = 100 beside them
(60 input draws each, seed 0) to show they hold at this size.

What to look for in the output:

* the teacher's risk has a local maximum near ``γ = 1`` (double descent), the student's
  has none;
* the interval of ``γ`` where the student's risk is below the teacher's;
* the Monte Carlo points agree with the equivalents within a few standard errors (and a
  few per cent: the equivalents' error at finite ``d`` is ``O(1/d)``).

Run ``python examples/proportional_regime.py [--out DIR]``; with ``--out`` the curves are saved
as ``DIR/proportional_regime.png``.
"""

import argparse
import pathlib

import numpy as np

import lingauss
from lingauss.explore.gamma_sweep import gamma_sweep
from lingauss.plots.gamma import gamma_plot


def problem():
    """The design, the teacher, the student and the γ grid, shared with the tests."""
    design = lingauss.RandomDesign.power_law(d=100, k=2, n=200, spectrum_exponent=0.5,
                                             signal_exponent=1.0, noise=0.5)
    teacher = lingauss.Teacher(beta=1.0, ridge=0.005 * design.n)          # λ̄_T = 0.005
    student = lingauss.Student(beta=1.0, ridge=0.2 * design.n, alpha=0.3)  # λ̄_S = 0.2
    return design, teacher, student, np.geomspace(0.1, 10.0, 241)


def local_maxima(x, y) -> list:
    """The ``x`` of interior grid points where ``y`` is above both neighbours."""
    inner = (y[1:-1] > y[:-2]) & (y[1:-1] > y[2:])
    return [float(v) for v in x[1:-1][inner]]


def better_interval(sweep):
    """The γ range (first and last grid point) where the student's risk is below the
    teacher's, or None."""
    below = sweep.gamma[sweep.student["total"] < sweep.teacher["total"]]
    return (float(below[0]), float(below[-1])) if below.size else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="folder for the figure")
    args = parser.parse_args(argv)

    design, teacher, student, gammas = problem()
    sweep = gamma_sweep(teacher, student, design, gammas, monte_carlo=60, seed=0,
                        at=[0.25, 1.0, 4.0])
    print(f"design: power law, d = {design.d}, k = {design.k}, noise {design.noise:g}; "
          f"ridges held at λ̄_T = 0.005, λ̄_S = 0.2; α = {student.alpha:g}")
    print(f"{'γ':>7} {'teacher risk':>13} {'student risk':>13} {'K/(kd)':>9}")
    for g in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0):
        i = int(np.argmin(np.abs(sweep.gamma - g)))
        print(f"{sweep.gamma[i]:7.3g} {sweep.teacher['total'][i]:13.6g} "
              f"{sweep.student['total'][i]:13.6g} {sweep.divergence['total'][i]:9.4g}")
    for who in ("teacher", "student"):
        peaks = local_maxima(sweep.gamma, sweep.__getattribute__(who)["total"])
        where = ", ".join(f"{g:.6g}" for g in peaks) if peaks else "none"
        print(f"conclusion: local maxima of the {who}'s risk over gamma: {where}")
    interval = better_interval(sweep)
    if interval:
        print(f"conclusion: the student's risk is below the teacher's for gamma in "
              f"[{interval[0]:.6g}, {interval[1]:.6g}]")
    else:
        print("conclusion: the student's risk is never below the teacher's on the grid")
    print(f"Monte Carlo at d = {design.d} (60 input draws) against the equivalents:")
    worst = relative = 0.0
    for p in sweep.monte_carlo:
        g = np.array([p["gamma"]])
        de = {"teacher": lingauss.random_design.risk_terms(teacher, None, design, gamma=g),
              "student": lingauss.random_design.risk_terms(teacher, student, design, gamma=g)}
        for who in ("teacher", "student"):
            z = (p[f"{who}_risk"] - de[who]["total"][0]) / p[f"{who}_risk_se"]
            worst = max(worst, abs(z))
            relative = max(relative, abs(p[f"{who}_risk"] / de[who]["total"][0] - 1))
            print(f"  γ = {p['gamma']:.4g} (n = {p['n']}): {who} {p[f'{who}_risk']:.5g} ± "
                  f"{p[f'{who}_risk_se']:.2g} vs {de[who]['total'][0]:.5g} ({z:+.1f} s.e.)")
    print(f"conclusion: the largest Monte Carlo deviation is {worst:.2f} standard errors, "
          f"{100 * relative:.2g}% of the value (the equivalents are exact as d → ∞; at finite "
          f"d their error is O(1/d))")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / "proportional_regime.png"
        gamma_plot(sweep, held="d = 100, λ̄_T = 0.005, λ̄_S = 0.2, α = 0.3").savefig(target)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
