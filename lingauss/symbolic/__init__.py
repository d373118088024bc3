"""The symbolic engine: per-mode closed forms derived with sympy from the model's definitions.

Nothing here is a hand-typed final formula. For one eigen-mode ``i`` of ``XXᵀ`` (eigenvalue
``s``) the engine

1. derives each kernel's posterior mean and variance by completing the square in the Gibbs
   energy of that mode (``∂E/∂w = 0`` gives the mean, ``1/∂²E/∂w²`` the variance);
2. marginalises the soft labels with Gaussian moment rules (``sympy.stats``);
3. pushes a coordinate forward to the prediction ``√s·w + ν e`` for prediction space;
4. derives the scalar Gaussian KL from the two log-densities and the moments of the first
   Gaussian, and splits it into a covariance part (rewritten as ``½ v(σ²/σ'²)``) and a mean part;
5. takes the expectation over the label noise (the statistic ``z = q_jᵀ Y Xᵀ u_i ~ N(s t, ν² s)``,
   ``t = q_jᵀθ_i``), and sums rows with their multiplicities: ``r`` trained and ``k − r``
   complement rows on kept modes ``i ≤ m``, all ``k`` rows on dropped modes.

The results are per-mode expressions for ``variance``, ``bias``, ``bottleneck_mean``,
``bottleneck_covariance``, ``rank_bottleneck`` and ``total`` (``derive``), for a fixed output
projector ``Q``, either *conditional* on the sample (symbols ``zQ2 = ‖Q z_i‖²``,
``zP2 = ‖(I−Q) z_i‖²``) or *expected* over the label noise (``thetaQ2 = ‖Qθ_i‖²``,
``thetaP2 = ‖(I−Q)θ_i‖²``). The derivation is written up in ``derivations/spectral.md``.

:func:`to_numeric` is the single bridge to numerics. The numeric fast path does not import
sympy: it uses code generated from these expressions (``lingauss/_generated.py``; regenerate
with ``python -m lingauss.symbolic``), which the tests hold equal to a fresh derivation.
"""

from lingauss.symbolic.codegen import (COEFF_ARGS, DOCUMENTED, MULTIPLICITIES, document_blocks,
                                       formula_block, generated_source, linear_coefficients,
                                       pieces_of, to_numeric, update_document)
from lingauss.symbolic.core import (ARGS, FLAVOURS, HYPER, LATEX_NAMES, MODE_TERMS, ONE_WAY, PIECES,
                                    REGIMES, SYMBOL_DOCS, Moments, alpha, beta_S, beta_T,
                                    complement_moments, gibbs_moments, k, kl_pieces, lambda_S,
                                    lambda_T, linear_moments, nu, nu_T, push_to_prediction, r, s,
                                    scalar_kl, student_given_soft_labels, student_moments, tau2,
                                    teacher_moments, thetaP2, thetaQ2, v, zP2, zQ2)
from lingauss.symbolic.divergence import (Forms, convexity_slack_coordinate, derive, latex,
                                          tau2_stationarity)

__all__ = [
    "COEFF_ARGS", "DOCUMENTED", "MULTIPLICITIES", "document_blocks", "formula_block",
    "generated_source", "linear_coefficients", "pieces_of", "to_numeric", "update_document",
    "ARGS", "ONE_WAY", "FLAVOURS", "HYPER", "LATEX_NAMES", "PIECES", "REGIMES",
    "SYMBOL_DOCS", "MODE_TERMS", "Moments", "alpha", "beta_S", "beta_T", "complement_moments",
    "gibbs_moments", "k", "kl_pieces", "lambda_S", "lambda_T", "linear_moments", "nu", "nu_T",
    "push_to_prediction", "r", "s", "scalar_kl", "student_given_soft_labels",
    "student_moments", "tau2", "teacher_moments", "thetaP2", "thetaQ2", "v", "zP2", "zQ2",
    "convexity_slack_coordinate", "derive", "latex", "tau2_stationarity", "Forms"]
