"""Files in and out: problem files (TOML specs, :mod:`~lingauss.io.spec`), the arrays they name
(:mod:`~lingauss.io.arrays`) and output written all at once or not at all
(:mod:`~lingauss.io.output`).
"""
