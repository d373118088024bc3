"""The foundation every layer stands on: nothing here knows the model.

Errors and value checks (:mod:`~lingauss._core.validation`), option values
(:mod:`~lingauss._core.options`), Monte Carlo estimates (:mod:`~lingauss._core.estimate`),
memory and work limits (:mod:`~lingauss._core.resources`), BLAS threads, progress bars, time
limits, short-lived memos, notebook display, data frames and LaTeX primitives. It imports no
other part of lingauss (docs/contributing.md).
"""
