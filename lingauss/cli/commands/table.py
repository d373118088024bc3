"""``lingauss table``: a closed-form, sweep, asymptotic or risk table of the spec's problem."""

from __future__ import annotations

from lingauss._core.validation import check_option
from lingauss.cli.emit import Output
from lingauss.cli.options import output_format, spec_of
from lingauss.report.tables import KINDS, table


def table_command(args, ctx) -> Output:

    check_option(args.kind, "--kind", KINDS)
    fmt = output_format(args)
    spec = spec_of(args)
    return Output(document=table(spec, args.kind, fmt).rstrip("\n") + "\n")
