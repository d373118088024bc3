"""A sweep's grid as rows, a pandas DataFrame or an xarray Dataset (the data ``extra``).

One flattening of a grid for every output: :func:`grid_rows` (one row per grid point, axes
then terms; points whose terms are all NaN — configurations that do not exist, such as a
rank above the width — are left out) feeds the command line's CSV, JSON, Markdown and
LaTeX tables; :func:`long_frame` and :func:`dataset` are the pandas and xarray views.
pandas and xarray are optional (``pip install 'lingauss[data]'``); :func:`optional` turns
their absence into one :class:`lingauss.LingaussError` naming the extra.
"""

from __future__ import annotations

import importlib
import itertools

import numpy as np

from lingauss._core.validation import LingaussError

#: The optional dependencies of the data exports and the extra that installs them.
EXTRA = "data"


def optional(module: str, what: str):
    """Import ``module`` or raise a :class:`LingaussError` naming the extra that installs it.

    >>> optional("no_such_module_xyz", "Sweep.to_pandas")
    Traceback (most recent call last):
    ...
    lingauss.LingaussError: Sweep.to_pandas needs the optional package 'no_such_module_xyz', which is not installed: pip install 'lingauss[data]'.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise LingaussError(f"{what} needs the optional package {module!r}, which is not "
                            f"installed: pip install 'lingauss[{EXTRA}]'.") from None


def _scalar(value):
    """A grid value as a Python int or float (JSON and CSV friendly)."""
    value = value.item() if isinstance(value, np.generic) else value
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(
        value, bool) else float(value)


def grid_rows(axes: dict, terms: dict) -> tuple[tuple, list]:
    """``(header, rows)``: one row per grid point (C order), the axis values then the terms.

    >>> header, rows = grid_rows({"rank": np.array([1, 2])},
    ...                          {"total": np.array([2.0, np.nan])})
    >>> header, rows
    (('rank', 'total'), [(1, 2.0)])
    """
    header = tuple(axes) + tuple(terms)
    rows = []
    values = [list(v) for v in axes.values()]
    arrays = [np.asarray(a, dtype=float) for a in terms.values()]
    for index in itertools.product(*(range(len(v)) for v in values)):
        cells = tuple(float(a[index]) for a in arrays)
        if all(np.isnan(c) for c in cells):
            continue
        rows.append(tuple(_scalar(v[i]) for v, i in zip(values, index)) + cells)
    return header, rows


def long_frame(axes: dict, terms: dict):
    """A pandas DataFrame in long format: columns ``*axes, "term", "value"``.

    One row per grid point and term, in the grid's C order, terms in the order of ``terms``;
    points that do not exist (NaN) are left out.
    """
    pd = optional("pandas", "Sweep.to_pandas")
    header, rows = grid_rows(axes, terms)
    n_axes = len(axes)
    names = header[n_axes:]
    records = [row[:n_axes] + (name, value) for row in rows
               for name, value in zip(names, row[n_axes:]) if not np.isnan(value)]
    frame = pd.DataFrame.from_records(records, columns=list(axes) + ["term", "value"])
    frame["term"] = pd.Categorical(frame["term"], categories=list(names))
    return frame


def dataset(axes: dict, terms: dict, attrs: dict | None = None):
    """An xarray Dataset: one dimension per axis (its values the coordinate), one data
    variable per term (NaN where a configuration does not exist), ``units = "nats"``."""
    xr = optional("xarray", "Sweep.to_xarray")
    dims = tuple(axes)
    coords = {name: np.asarray(values) for name, values in axes.items()}
    data = {name: (dims, np.asarray(value, dtype=float),
                   {"units": "nats", "long_name": name.replace("_", " ")})
            for name, value in terms.items()}
    return xr.Dataset(data, coords=coords, attrs=dict(attrs or {}))


def write_netcdf(ds, path) -> None:
    """Write ``ds`` as netCDF (the engine xarray finds: netCDF4, h5netcdf or scipy)."""
    ds.to_netcdf(path)
