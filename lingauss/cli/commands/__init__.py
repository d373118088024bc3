"""The commands of ``lingauss``: each parses its options, calls the library and returns an
:class:`lingauss.cli.emit.Output` (no domain logic, no output format).

A command ``run(args, ctx)`` takes the parsed arguments and a
:class:`lingauss.cli.app.Context` (for the files it writes: ``ctx.files``). Bad input raises
:class:`lingauss.LingaussError`. The modules are imported only when their command runs
(:data:`lingauss.cli.parser.COMMANDS`).
"""
