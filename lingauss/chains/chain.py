"""Distillation chains: a teacher (generation 0) and students ``1..G`` (docs/model.md §8).

Generation ``g`` is trained by the student rule of docs/model.md §3 on
``Ỹ_g = α_g Y + (1 − α_g) Ŷ_{g−1}``, ``Ŷ_{g−1}`` the soft labels of generation ``g − 1``
(its mean predictions, or a draw from its kernel — with a generation's complement, drawn
from ``N(0, τ²)``, included). Every generation has its own ``β``, ridge, ``α`` (any real),
width, rank, basis and rank rule. :class:`Chain` gives

* :meth:`Chain.divergence` — the KL divergence between any two generations (the teacher is
  0), with the decomposition of docs/model.md §4 (``lingauss._kernels``);
* :meth:`Chain.risk` — a generation's risk (``lingauss.risk``);
* :meth:`Chain.filters` — the per-mode filters ``f_g(s)`` of a ``pca``, full-rank chain.

``complement_variance="optimal"`` in a chain minimises each generation's divergence to its
own teacher (generation ``g − 1``) in the space and direction asked for (for the risk: the
forward, parameter-space one). A one-step chain is :func:`lingauss.divergence`.
"""

from __future__ import annotations

import numpy as np

from lingauss._core.threads import blas_threads
from lingauss._core.validation import LingaussError, check_finite, numerics
from lingauss.chains.risk import chain_risk
from lingauss.engine import generated_chains as gen
from lingauss.engine.generations import Lineage
from lingauss.engine.kernels import pair_kl, rank_floor
from lingauss.engine.setup import is_pca
from lingauss.model.checks import check_space_direction, problem_sizes
from lingauss.model.data import Sample
from lingauss.model.results import Decomposition


class Chain(Lineage):
    """A teacher and the students distilled from it in turn.

    Parameters
    ----------
    teacher : Teacher
        Generation 0.
    students : sequence of Student
        Generations ``1..G``; generation ``g`` learns from generation ``g − 1``.

    Examples
    --------
    >>> from lingauss import Chain, Sample, Student, Teacher, divergence
    >>> sample = Sample.synthetic(d=6, k=2, n=10, noise=0.5, seed=0)
    >>> teacher, student = Teacher(2.0, 1.0), Student(2.0, 2.0, width=4)
    >>> one = Chain(teacher, [student]).divergence(sample, first=1, second=0)
    >>> bool(abs(one.total - divergence(teacher, student, sample).total) < 1e-9)
    True
    >>> Chain(teacher, [student, student]).generations
    2
    """

    # ----------------------------------------------------------------------------------------
    def divergence(self, sample: Sample, *, first: int | None = None, second: int = 0,
                   space: str = "parameter", direction: str = "forward") -> Decomposition:
        """The divergence ``KL(P_first ‖ P_second)`` between two generations (0: the teacher).

        Split over the trained coordinates of the later of the two (the student of the
        pair); the convexity terms describe the later generation's draw of soft labels.

        Parameters
        ----------
        sample : Sample
        first, second : int
            Generations (default: the last, and the teacher); they may be equal only to give
            0.
        space, direction : str
            As in :func:`lingauss.divergence`.

        Returns
        -------
        Decomposition
        """
        check_space_direction(space, direction)
        g = self._generation(first, "first")
        h = self._generation(second, "second")
        sizes = problem_sizes(self.teacher, self.students[-1], sample)
        with blas_threads(sample.d), numerics("the chain's divergence", sizes):
            kernels, O, patterns, index, eig = self.kernels(sample, space=space,
                                                            direction=direction)
            P, Pp = kernels[g], kernels[h]
            later, earlier = (P, Pp) if g >= h else (Pp, P)
            if g == h:
                zero = dict(bias=0.0, variance=0.0, bottleneck_mean=0.0,
                            bottleneck_covariance=0.0)
                return Decomposition.from_terms(**zero, rank_floor=0.0)
            terms = pair_kl(P, Pp, later, O, patterns, index, s=eig.s, rho=eig.rho,
                            space=space, direction=direction, noise=sample.noise)
            slack = terms.pop("slack")
            floor = rank_floor(earlier, later, O, patterns, index, s=eig.s, rho=eig.rho,
                               space=space, noise=sample.noise)
            dec = Decomposition.from_terms(**terms, rank_floor=floor, convexity_slack=slack)
        check_finite(dec.as_dict(), "the chain's divergence", sizes)
        return dec

    def risk(self, design, *, generation: int | None = None, kind: str = "fixed",
             estimator: str = "mean", covariance=None, monte_carlo: int | None = None,
             seed: int | None = None):
        """The risk of one generation (docs/model.md §7): see :func:`lingauss.risk`."""
        g = self._generation(generation, "generation")
        return chain_risk(self, g, design, kind=kind, estimator=estimator,
                          covariance=covariance, monte_carlo=monte_carlo, seed=seed)

    def filters(self, s) -> np.ndarray:
        """``f_g(s)`` for ``g = 0..G`` (G + 1, len(s)): the mean of each generation over the
        least-squares coefficient, mode by mode — for ``pca`` students at full rank, whose
        dropped modes (``i >= m``) have filter 0. Evaluated from the derived recursion
        (``lingauss._generated_chains``).

        >>> import numpy as np
        >>> from lingauss import Chain, Student, Teacher
        >>> f = Chain(Teacher(1.0, 1.0), [Student(1.0, 1.0)] * 2).filters(np.array([1.0]))
        >>> np.round(f[:, 0], 6).tolist()     # α = 0: h, h², h³ with h = 1/2
        [0.5, 0.25, 0.125]
        """
        s = np.asarray(s, dtype=float)
        out = [gen.teacher_filter(s, self.teacher.beta, self.teacher.ridge)]
        for g, student in enumerate(self.students, start=1):
            if not is_pca(student):
                basis = student.basis
                shown = repr(basis) if isinstance(basis, str) else f"<array {basis.shape}>"
                raise LingaussError(f"students[{g - 1}] (generation {g}) has basis == {shown}, "
                                    f"must be 'pca' for filters (every mode separates).")
            step = gen.generation_step(s, student.beta, student.ridge, student.alpha, out[-1])
            if student.width is not None:
                step = np.where(np.arange(s.shape[-1]) < student.width, step, 0.0)
            out.append(step)
        return np.array(out)
