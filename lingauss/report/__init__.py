"""Tables for papers: one renderer for every table format (:mod:`~lingauss.report.render`),
closed-form, sweep, asymptotic and risk tables (:mod:`~lingauss.report.tables`,
:mod:`~lingauss.report.chain_tables`) and their LaTeX (:mod:`~lingauss.report.latex_tables`).
"""
