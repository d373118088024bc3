"""Tables of distillation chains and the risk (docs/model.md §7–8), in every format of
:func:`lingauss.tables.render`:

* :func:`risk_table` — the per-mode closed forms of the risk (derived by
  ``lingauss.symbolic.chains``: the generation step and the bias and variance of a filter)
  and their values at a spec's last generation (``lingauss table SPEC --kind risk``);
* :func:`report_table` — a :class:`~lingauss.chains.report.ChainReport`, one row per
  generation (``lingauss chain SPEC``);
* :func:`plan_table` — a :class:`~lingauss.chains.report.GenerationPlan`
  (``lingauss chain SPEC --up-to G``).
"""

from __future__ import annotations

from lingauss.report.captions import problem_caption
from lingauss.report.render import render, table_format

REPORT_HEADER = ("generation", "alpha", "risk", "bias", "variance", "K to teacher",
                 "K to previous")


def risk_table(spec, fmt: str = "md") -> str:
    """The risk's per-mode closed forms and their values for the spec's last generation.

    Examples
    --------
    >>> from lingauss.spec import default_spec
    >>> print(risk_table(default_spec(), "csv").splitlines()[0])
    term,per-mode form,value at the spec
    """
    import sympy as sp

    from lingauss.symbolic import chains as C
    from lingauss.symbolic.core import s

    fmt = table_format(fmt)
    chain = spec.chain
    risk = chain.risk(spec.sample)
    names = {C.f_prev: "f_{g-1}", C.alpha_g: r"\alpha_g", C.f: "f_g", C.weight: "w_i",
             C.theta2: r"\theta_{ij}^2", C.beta_g: r"\beta_g", C.lambda_g: r"\lambda_g",
             s: "s_i"}

    def tex(expr):
        return sp.latex(expr, symbol_names=names)
    h = C.teacher_filter()
    # the step over h_g, simplified from the derived step (not typed): α(1 − f_{g−1}) + f_{g−1}
    step = sp.collect(sp.expand(sp.simplify(C.generation_step() / h)), C.alpha_g)
    bias, variance = C.risk_pieces()
    rows = [("h_g", tex(h), None),
            ("f_g (generation step)", r"h_g \left(" + tex(step) + r"\right)", None),
            ("bias", tex(bias), risk.bias),
            ("variance", tex(variance), risk.variance),
            ("total", r"\mathrm{bias} + \mathrm{variance}", risk.total)]
    caption = (r"Per-mode closed forms of the excess risk (fixed design, expected over the "
               r"label noise) of generation $g$ of a chain, derived by the symbolic engine: "
               r"the filter $f_g$ of mode $i$ acts on the least-squares coefficient "
               r"$z_i/s_i$ ($f_0 = h_0$, the teacher's); $w_i = s_i/n$ and "
               r"$\theta_{ij}^2 = (q_j^\top W_\star u_i)^2$ for output row $j$. Values: "
               rf"generation $G = {chain.generations}$ of the spec ({problem_caption(spec)}).")
    return render(("term", "per-mode form", "value at the spec"), rows, fmt,
                  math_columns=(1,), caption=caption, label="tab:lingauss-risk")


def report_table(report, fmt: str = "md", *, caption: str = "") -> str:
    """One row per generation of a :class:`~lingauss.chains.report.ChainReport`.

    >>> from lingauss import Chain, Sample, Student, Teacher
    >>> from lingauss.chains.report import chain_report
    >>> rep = chain_report(Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0)]),
    ...                    Sample.synthetic(d=4, k=1, n=8, noise=0.5, seed=0))
    >>> report_table(rep, "csv").splitlines()[0]
    'generation,alpha,risk,bias,variance,K to teacher,K to previous'
    """
    header, rows, caption, label = report_table_parts(report, caption=caption)
    return render(header, rows, table_format(fmt), caption=caption, label=label)


def report_table_parts(report, *, caption: str = "") -> tuple:
    """``(header, rows, caption, label)`` of :func:`report_table` (for a renderer of one's
    own: the command line's emitter)."""
    rows = [tuple(row[c] for c in ("generation", "alpha", "risk", "bias", "variance",
                                   "K_teacher", "K_previous")) for row in report.rows]
    caption = caption or (rf"Risk ({report.kind} design, estimator {report.estimator}) and "
                          rf"divergences $K$ (nats; {report.space} space, {report.direction} "
                          rf"direction) per generation of a distillation chain.")
    return REPORT_HEADER, rows, caption, "tab:lingauss-chain"


def plan_table(plan, fmt: str = "md", *, caption: str = "") -> str:
    """One row per chain length ``G`` of a :class:`~lingauss.chains.report.GenerationPlan`."""
    header, rows, caption, label = plan_table_parts(plan, caption=caption)
    return render(header, rows, table_format(fmt), caption=caption, label=label)


def plan_table_parts(plan, *, caption: str = "") -> tuple:
    """``(header, rows, caption, label)`` of :func:`plan_table`."""
    rows = [(row["generations"], row["risk"], row["bias"], row["variance"], row["K_teacher"],
             ", ".join(f"{a:.4g}" for a in row["alpha"]),
             "best" if row["generations"] == plan.best else "") for row in plan.rows]
    caption = caption or (rf"Chains of $G$ copies of the student with jointly optimal weights "
                          rf"$\alpha_1, \ldots, \alpha_G$: risk and $K$ of generation $G$ to "
                          rf"the teacher; best: the fewest generations within "
                          rf"{100 * plan.tolerance:g}\% of the lowest risk.")
    return (("G", "risk", "bias", "variance", "K to teacher", "optimal alpha", ""), rows,
            caption, "tab:lingauss-generations")
