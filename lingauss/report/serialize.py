"""The one JSON serializer of lingauss's results: every value a result holds, as JSON data.

Results serialise themselves (``as_dict()``); this turns what they hold — numpy scalars and
arrays, option values, tuples, paths, nested results — into JSON's numbers, strings, lists
and objects, the same way for every command (``lingauss ... --format json``).

>>> import numpy as np
>>> to_json({"total": np.float64(1.5), "rank": np.int64(2), "ok": np.bool_(True),
...          "rows": (1, 2)})
{'total': 1.5, 'rank': 2, 'ok': True, 'rows': [1, 2]}
>>> dumps([{"a": 1.0}])
'[{"a": 1.0}]'
"""

from __future__ import annotations

import json
import numbers
import os

import numpy as np


def to_json(value):
    """``value`` as JSON data: results by their ``as_dict()``, numpy scalars as Python
    numbers, arrays and tuples as lists, option values and paths as text; anything else
    that JSON cannot hold as its ``str``."""
    if value is None or type(value) in (bool, str, int, float):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):                    # an option value: its text
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json(v) for v in value]
    if hasattr(value, "as_dict"):
        return to_json(value.as_dict())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def dumps(value) -> str:
    """JSON text of ``value`` (:func:`to_json`), on one line."""
    return json.dumps(to_json(value))


def rows_json(header, rows) -> list:
    """A table as JSON data: one object per row, keyed by the header."""
    return [{h: v for h, v in zip(header, row)} for row in rows]
