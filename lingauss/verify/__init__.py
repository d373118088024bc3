"""Checking by independent routes: the route checks of ``lingauss check``
(:mod:`~lingauss.verify.routes`, against the dense ``kd``-dimensional reference of
:mod:`~lingauss.verify.dense`) and the formula checker :func:`lingauss.check_formula`
(:mod:`~lingauss.verify.formula`).
"""
