"""``lingauss sweep``: every term of the divergence over a grid, as a table or a data file.

The grid is the spec's problem at every (rank, width[, ridge]) given (the exact engine,
:func:`lingauss.explore.design.explore`); the table is
:func:`lingauss.report.tables.grid_rows` (the rows ``lingauss table --kind sweep`` renders
too), the netCDF file :meth:`lingauss.explore.sweep.Sweep.to_xarray` written by xarray. Grid
points that do not exist (``rank > min(k, width)``) are left out of tables and are NaN in
netCDF. With ``--gamma`` (a spec with ``[data] random = true``) the grid is ``γ = d/n`` and
the values are the proportional regime's deterministic equivalents
(:func:`lingauss.explore.gamma_sweep.gamma_sweep`).
"""

from __future__ import annotations

import numpy as np

from lingauss._core.frames import optional
from lingauss._core.validation import LingaussError
from lingauss.cli.emit import Output, Table
from lingauss.cli.options import output_format, parse_grid, problem_line, spec_of
from lingauss.explore.design import explore
from lingauss.explore.gamma_sweep import gamma_sweep
from lingauss.model.checks import check_grid
from lingauss.model.options import Direction, Space
from lingauss.report.captions import problem_caption
from lingauss.report.formats import Format
from lingauss.report.serialize import rows_json
from lingauss.report.tables import grid_rows


def sweep_command(args, ctx) -> Output:

    fmt = output_format(args)
    if fmt is Format.NETCDF:
        if args.output is None:
            raise LingaussError("--format netcdf needs -o FILE (netCDF is a binary file, not "
                                "for the terminal).")
        optional("xarray", "--format netcdf")
    if args.gamma is not None:
        return _gamma_output(args)
    rank = parse_grid(args.rank, "--rank", integer=True)
    width = parse_grid(args.width, "--width", integer=True)
    ridge = parse_grid(args.ridge, "--ridge", integer=False)
    spec = spec_of(args)
    d, k = spec.sample.d, spec.sample.k
    if width is not None:
        width = [int(w) for w in check_grid("--width", width, integer=True, low=1, high=d,
                                            high_rule="d")]
    else:
        width = [spec.student.resolve(d, k)[0]]
    if rank is not None:
        rank = [int(r) for r in check_grid("--rank", rank, integer=True, low=1, high=k,
                                           high_rule="k")]
    else:
        rank = list(range(1, min(k, min(width)) + 1))
    if ridge is not None:
        ridge = check_grid("--ridge", ridge)
    if not any(r <= min(k, w) for r in rank for w in width):
        raise LingaussError(f"--rank == {args.rank!r} with --width == {args.width!r}: no pair "
                            f"has rank <= min(k, width) (k == {k}).")
    res = explore(spec, rank=rank, width=width, ridge=ridge, missing="nan")
    missing = sum(r > min(k, w) for r in rank for w in width)
    fixed = tuple(name for name, values in res.axes.items()
                  if len(values) == 1 and getattr(args, name) is None)
    line = problem_line(spec, rank="varied")

    def dataset():
        ds = res.to_xarray()
        ds.attrs["problem"] = line
        return ds

    return Output(
        Table(*grid_rows(res, fixed),
              caption=(r"Every term of the exact divergence $K$ (nats) over the grid of "
                       + ", ".join(res.axes) + ": " + problem_caption(spec, rank="varied")
                       + "."), label="tab:lingauss-sweep-grid"),
        json=rows_json(*res.rows()), head=line,
        notes=(f"note: {missing} (rank, width) pair(s) with rank > min(k, width) do not "
               f"exist and are left out",) if missing else (),
        to=args.output, dataset=dataset,
        said=() if args.output is None else (f"wrote {args.output}",))


def parse_gamma(text) -> list:
    """``--gamma``: a list ``0.5,1,2`` or ``LO:HI:COUNT``, COUNT log-spaced values.

    >>> parse_gamma("0.1:10:3"), parse_gamma("0.5, 2")
    ([0.1, 1.0, 10.0], [0.5, 2.0])
    """
    if ":" not in str(text):
        return parse_grid(text, "--gamma", integer=False)
    bad = LingaussError(f"--gamma == {text!r}, must be a comma-separated list (0.5,1,2) or "
                        f"LO:HI:COUNT with 0 < LO <= HI and COUNT >= 1 log-spaced values "
                        f"(0.1:10:64).")
    try:
        lo, hi, count = (float(p) for p in str(text).split(":"))
    except ValueError:
        raise bad from None
    if not (0 < lo <= hi < float("inf")) or count != int(count) or not 1 <= count <= 10000:
        raise bad
    return [float(g) for g in np.geomspace(lo, hi, int(count))]


def _gamma_output(args) -> Output:
    """``--gamma``: the deterministic equivalents over γ (:func:`lingauss.gamma_sweep`)."""

    gamma = parse_gamma(args.gamma)
    others = [f"--{name}" for name in ("rank", "width", "ridge") if getattr(args, name)]
    if others:
        raise LingaussError(f"--gamma with {', '.join(others)}: --gamma sweeps the "
                            f"deterministic equivalents over γ = d/n at the spec's student; "
                            f"give one or the other.")
    spec = spec_of(args)
    if spec.design is None:
        raise LingaussError(f"--gamma needs a spec with random inputs ([data] random = true), "
                            f"not the fixed sample of {spec.path or '<default spec>'}.")
    if (spec.space, spec.direction) != (Space.PARAMETER, Direction.FORWARD):
        raise LingaussError(f"--gamma: space == {spec.space!r}, direction == "
                            f"{spec.direction!r}; the deterministic equivalent of K is derived "
                            f"for space 'parameter', direction 'forward' only "
                            f"(derivations/random_design.md §6).")
    res = gamma_sweep(spec.teacher, spec.student, spec.design, gamma)
    design = spec.design
    line = (f"{spec.path or '<default spec>'}: random design d={design.d} k={design.k}, "
            f"ridges held at n={design.n} (λ̄ = λ/(βn)); K per unit of k·d")

    def dataset():
        ds = res.to_xarray()
        ds.attrs["problem"] = line
        return ds

    header, rows = res.rows()
    return Output(
        Table(header, rows,
              caption=(r"Deterministic equivalents over $\gamma = d/n$ (risk, and $K/(kd)$ in "
                       f"nats): $d = {design.d}$, $k = {design.k}$, ridges held at "
                       f"$n = {design.n}$."), label="tab:lingauss-gamma-sweep"),
        head=line, to=args.output, dataset=dataset,
        said=() if args.output is None else (f"wrote {args.output}",))
