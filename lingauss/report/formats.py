"""The output formats, defined once: every table format and the data file (netCDF).

>>> Format.parse("md", "format").is_table, Format.NETCDF.is_table
(True, False)
>>> TABLE_FORMATS
('text', 'md', 'latex', 'csv', 'json')
"""

from __future__ import annotations

from lingauss._core.options import Option


class Format(Option):
    """How a result is written: a table (text, Markdown, LaTeX, CSV, JSON) or a data file."""

    TEXT = "text"
    MD = "md"
    LATEX = "latex"
    CSV = "csv"
    JSON = "json"
    NETCDF = "netcdf"

    @property
    def is_table(self) -> bool:
        """Whether this format renders a table (netCDF is a data file of arrays)."""
        return self is not Format.NETCDF


#: The table formats, in order (``--format`` of every command that prints a table).
TABLE_FORMATS = tuple(f.value for f in Format if f.is_table)
#: Every format (``lingauss sweep`` also writes netCDF).
FORMATS = Format.values()
