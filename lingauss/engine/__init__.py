"""The exact engine: one problem set-up and the divergence computed from it (docs/model.md §2–5).

* :mod:`~lingauss.engine.setup` — what every route needs about one problem, computed once
  (eigen coordinates, bases, both kernels' moments, the projector, ``τ²``);
* :mod:`~lingauss.engine.eigen`, :mod:`~lingauss.engine.linalg` — the inputs' factorizations
  and the few stable primitives (``v(x) = x − 1 − log x``, Cholesky, the chain-rule KL);
* :mod:`~lingauss.engine.divergence` — :func:`lingauss.divergence`, with the Gram route of a
  general basis (:mod:`~lingauss.engine.gram`);
* :mod:`~lingauss.engine.spectral` — the per-mode route (``pca`` basis), evaluating the code
  the symbolic engine generated (:mod:`~lingauss.engine.generated`);
* :mod:`~lingauss.engine.kernels`, :mod:`~lingauss.engine.generations` — row-structured
  kernels of every generation of a chain and the divergence between any two.

Never a ``kd × kd`` matrix. Imports ``lingauss.model`` and ``lingauss._core`` only.
"""
