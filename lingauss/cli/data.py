"""``lingauss sweep``: every term of the divergence over a grid, as a table or a data file.

The grid is the spec's problem at every (rank, width[, ridge]) given (the exact engine,
:func:`lingauss.design.explore`); the table is :func:`lingauss.tables.grid_table` (the one
rendering ``lingauss table --kind sweep`` uses too), the netCDF file
:meth:`lingauss.sweep.Sweep.to_xarray` written by xarray. Grid points that do not exist
(``rank > min(k, width)``) are left out of tables and are NaN in netCDF. With ``--gamma`` (a
spec with ``[data] random = true``) the grid is ``γ = d/n`` and the values are the
proportional regime's deterministic equivalents (:func:`lingauss.gamma_sweep.gamma_sweep`).
"""

from __future__ import annotations

import numpy as np

from lingauss._core.frames import optional, write_netcdf
from lingauss._core.validation import LingaussError
from lingauss.cli.options import latex_out, output_format, parse_grid, problem_line, spec_of
from lingauss.explore.design import explore
from lingauss.explore.gamma_sweep import gamma_sweep
from lingauss.model.checks import check_grid
from lingauss.report.captions import problem_caption
from lingauss.report.render import render
from lingauss.report.tables import grid_table


def sweep_command(args, ctx) -> None:
    fmt = output_format(args)
    if fmt == "netcdf":
        if args.output is None:
            raise LingaussError("--format netcdf needs -o FILE (netCDF is a binary file, not "
                                "for the terminal).")
        optional("xarray", "--format netcdf")
    if args.gamma is not None:
        return _gamma_command(args, ctx, fmt)
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
    caption = (r"Every term of the exact divergence $K$ (nats) over the grid of "
               + ", ".join(res.axes) + ": " + problem_caption(spec, rank="varied") + ".")
    if fmt == "netcdf":
        ds = res.to_xarray()
        ds.attrs["problem"] = problem_line(spec, rank="varied")
        ctx.files.add(args.output, lambda path: write_netcdf(ds, path))
        ctx.write(f"wrote {args.output}\n")
        return
    if fmt == "json":
        header, rows = res.rows()
        text = render(header, rows, "json") + "\n"
    else:
        text = grid_table(res, fmt, caption=caption, label="tab:lingauss-sweep-grid",
                          fixed=fixed).rstrip("\n") + "\n"
        if fmt == "latex":
            text = latex_out(text, args)
        elif fmt == "text":
            text = problem_line(spec, rank="varied") + "\n" + text
            if missing:
                text += (f"note: {missing} (rank, width) pair(s) with rank > min(k, width) do "
                         f"not exist and are left out\n")
    _emit(ctx, args, text)


def _emit(ctx, args, text: str) -> None:
    if args.output is None:
        ctx.write(text)
        return
    ctx.files.add(args.output, lambda path: path.write_text(text, encoding="utf-8"))
    ctx.write(f"wrote {args.output}\n")


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


def _gamma_command(args, ctx, fmt: str) -> None:
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
    if (spec.space, spec.direction) != ("parameter", "forward"):
        raise LingaussError(f"--gamma: space == {spec.space!r}, direction == "
                            f"{spec.direction!r}; the deterministic equivalent of K is derived "
                            f"for space 'parameter', direction 'forward' only "
                            f"(derivations/random_design.md §6).")
    res = gamma_sweep(spec.teacher, spec.student, spec.design, gamma)
    design = spec.design
    line = (f"{spec.path or '<default spec>'}: random design d={design.d} k={design.k}, "
            f"ridges held at n={design.n} (λ̄ = λ/(βn)); K per unit of k·d")
    if fmt == "netcdf":
        ds = res.to_xarray()
        ds.attrs["problem"] = line
        ctx.files.add(args.output, lambda path: write_netcdf(ds, path))
        ctx.write(f"wrote {args.output}\n")
        return
    header, rows = res.rows()
    caption = (r"Deterministic equivalents over $\gamma = d/n$ (risk, and $K/(kd)$ in nats): "
               f"$d = {design.d}$, $k = {design.k}$, ridges held at $n = {design.n}$.")
    text = render(header, rows, fmt, caption=caption, label="tab:lingauss-gamma-sweep")
    text = text.rstrip("\n") + "\n"
    if fmt == "latex":
        text = latex_out(text, args)
    elif fmt == "text":
        text = line + "\n" + text
    _emit(ctx, args, text)

