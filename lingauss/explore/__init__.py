"""Exploring a problem: sweeps over grids, the smallest student within a budget, tuning, advice
and curves over ``γ = d/n`` (:mod:`~lingauss.explore.sweep`, :mod:`~lingauss.explore.design`,
:mod:`~lingauss.explore.tuning`, :mod:`~lingauss.explore.advice`,
:mod:`~lingauss.explore.gamma_sweep`; :mod:`~lingauss.explore.problem` is the problem they
share).
"""
