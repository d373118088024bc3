"""The risk of a kernel and distillation chains (docs/model.md §7–8).

* :mod:`~lingauss.chains.risk` — :func:`lingauss.risk`: the excess risk of the teacher, a
  student or any generation of a chain (a student is generation 1 of a one-step chain);
* :mod:`~lingauss.chains.chain` — :class:`lingauss.Chain`: divergences between generations,
  their risk and filters;
* :mod:`~lingauss.chains.weights` — :func:`lingauss.optimal_weights`;
* :mod:`~lingauss.chains.report` — a chain generation by generation, and how many
  generations to distil.
"""
