"""Averages of the exact quantities: over the label noise, over random inputs, and their
deterministic equivalents in the proportional regime (docs/model.md §5, §9).

* :mod:`~lingauss.averages.labels` — :func:`lingauss.expected_divergence` (closed form, or
  Monte Carlo over label draws);
* :mod:`~lingauss.averages.inputs` — Monte Carlo over input draws of a random design;
* :mod:`~lingauss.averages.equivalents` and :mod:`~lingauss.averages.deterministic` — the
  deterministic equivalents (``κ``, risk, divergence) over ``γ = d/n``.
"""
