"""Every generation of a distillation chain as a row-structured kernel (docs/model.md §8).

Generation ``g`` is trained by the student rule of docs/model.md §3 on
``Ỹ_g = α_g Y + (1 − α_g) Ŷ_{g−1}``, ``Ŷ_{g−1}`` the soft labels of generation ``g − 1``
(its mean predictions, or a draw from its kernel — with a generation's complement, drawn
from ``N(0, τ²)``, included). :class:`Lineage` builds every generation's kernel on a sample
(:mod:`lingauss.engine.kernels`) and their means; the divergence between two of them, their
risk and filters are :class:`lingauss.Chain`'s.

``complement_variance="optimal"`` in a chain minimises each generation's divergence to its
own teacher (generation ``g − 1``) in the space and direction asked for (for the risk: the
forward, parameter-space one).
"""

from __future__ import annotations

import numpy as np

from lingauss._core.validation import LingaussError, check_int
from lingauss.engine.eigen import complete, eigen, statistic
from lingauss.engine.kernels import Kernel, common_classes, optimal_tau2
from lingauss.engine.linalg import chol
from lingauss.engine.setup import is_pca, needs_truth, output_basis
from lingauss.model.checks import check_design, check_instance
from lingauss.model.data import Sample
from lingauss.model.options import complement_variance
from lingauss.model.student import Student
from lingauss.model.teacher import Teacher


class Lineage:
    """A teacher and the students distilled from it in turn, and every generation's kernel on a
    sample (the engine of :class:`lingauss.Chain`, which adds the divergence, the risk and
    the filters).

    Parameters
    ----------
    teacher : Teacher
        Generation 0.
    students : sequence of Student
        Generations ``1..G``; generation ``g`` learns from generation ``g − 1``.
    """

    def __init__(self, teacher: Teacher, students):
        check_instance(teacher, "teacher", Teacher)
        given = students
        if isinstance(students, Student):
            students = [students]
        try:
            students = () if isinstance(students, (str, bytes)) else tuple(students)
        except TypeError:                                   # not a sequence at all
            students = ()
        if not students:
            shown = repr(given) if len(repr(given)) <= 80 else f"<{type(given).__name__}>"
            raise LingaussError(f"students == {shown}, must be a non-empty list of "
                                f"lingauss.Student (generations 1..G).")
        for g, student in enumerate(students, start=1):
            check_instance(student, f"students[{g - 1}] (generation {g})", Student)
        self.teacher = teacher
        self.students = students

    @property
    def generations(self) -> int:
        """``G``, the number of students."""
        return len(self.students)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(teacher={self.teacher!r}, students=[{len(self.students)} students])"

    def _generation(self, value, name: str) -> int:
        return check_int(self.generations if value is None else value, name, low=0,
                         high=self.generations, high_rule="the chain's generations")

    # ----------------------------------------------------------------------------------------
    def kernels(self, sample: Sample, *, space: str = "parameter",
                direction: str = "forward") -> tuple:
        """``(kernels, O, patterns, index, eig)``: every generation's kernel on ``sample``."""
        check_design(sample, name="sample", kinds=Sample, space=space,
                     what=f"space == {space!r}")
        for g, student in enumerate(self.students, start=1):
            student.resolve(sample.d, sample.k)
            needs_truth(student, sample.W_star)
        eig = eigen(sample.X)
        s, z = eig.s, statistic(sample, eig)
        t = self.teacher
        a = t.beta * s + t.ridge
        kernels = [Kernel(mean=t.beta * z / a, Bt=None, R=None, r=sample.k,
                          Q=np.eye(sample.k), cov_t=1.0 / a)]
        for student in self.students:
            kernels.append(self._student_kernel(student, kernels[-1], sample, eig, z))
        projectors = [K.Q for K in kernels[1:]]
        O, patterns = common_classes(projectors, sample.k)
        index = {id(kernels[0]): None}
        index.update({id(K): g for g, K in enumerate(kernels[1:])})
        for g, (K, student) in enumerate(zip(kernels[1:], self.students), start=1):
            self._spread(K, student, kernels[g - 1], patterns, index, s)
            K.tau2 = self._tau2(K, student, kernels[g - 1], O, patterns, index, s, eig.rho,
                                space, direction, sample.noise)
        return kernels, O, patterns, index, eig

    def _student_kernel(self, student, previous: Kernel, sample, eig, z) -> Kernel:
        d, k = sample.d, sample.k
        m, r = student.resolve(d, k)
        s = eig.s
        if is_pca(student):
            Bt = np.eye(d)[:, :m]
        elif isinstance(student.basis, np.ndarray):
            Bt = eig.U.T @ student.basis
        else:
            Bt = eig.U[:m, :].T.copy()
        K = student.beta * (Bt.T * s) @ Bt + student.ridge * np.eye(m)
        LK = chol(K, "a generation's width precision K = β BᵀXXᵀB + λ I")
        cond = np.linalg.solve(K, np.eye(m))
        target = student.alpha * z + (1 - student.alpha) * previous.mean * s   # (k, d)
        C = student.beta * np.linalg.solve(K, (target @ Bt).T).T            # (k, m)
        O = output_basis(student, r, whiten=C @ LK, W_star=sample.W_star)
        Q = O[:, :r] @ O[:, :r].T
        return Kernel(mean=Q @ C @ Bt.T, Bt=Bt, R=complete(Bt), r=r, Q=Q,
                      cond=0.5 * (cond + cond.T), sampled=student.soft_labels.sampled)

    @staticmethod
    def _spread(K: Kernel, student, previous: Kernel, patterns, index, s) -> None:
        """The covariance of a generation's mean over its draw of soft labels, per class."""
        K.extra = {}
        if not K.sampled:
            return
        F = ((1 - student.alpha) * student.beta) * K.cond                  # O(1)
        for pattern in set(patterns):
            idx = index[id(previous)]
            member = True if idx is None else pattern[idx]
            C = previous.row_cov(pattern, member)
            S = (K.Bt.T * s) @ C @ (s[:, None] * K.Bt)
            if student.soft_labels.noisy:
                S = S + student.soft_label_noise ** 2 * (K.Bt.T * s) @ K.Bt
            E = F @ S @ F
            K.extra[pattern] = 0.5 * (E + E.T)

    @staticmethod
    def _tau2(K, student, previous, O, patterns, index, s, rho, space, direction, noise):
        full = K.r == K.mean.shape[0] and K.m == K.mean.shape[1]     # no complement

        def optimal():
            # prediction space may give the limit τ² → 0⁺ (the noise keeps the kernel proper)
            return optimal_tau2(K, previous, O, patterns, index, s=s, rho=rho, space=space,
                                direction=direction, noise=noise)

        return float(complement_variance(student.complement_variance, ridge=student.ridge,
                                         optimal=None if full else optimal))

    def means(self, sample: Sample) -> list:
        """The mean of every generation on ``sample`` (``G + 1`` arrays (k, d); index 0 is the
        teacher), in the sample's coordinates: generation ``g`` predicts ``M_g x``.

        >>> from lingauss import Chain, Sample, Student, Teacher
        >>> sample = Sample.synthetic(d=4, k=1, n=8, noise=0.5, seed=0)
        >>> M = Chain(Teacher(1.0, 2.0), [Student(1.0, 2.0, alpha=1.0)]).means(sample)
        >>> ridge = sample.Y @ sample.X.T @ np.linalg.inv(sample.X @ sample.X.T + 2.0 * np.eye(4))
        >>> bool(np.allclose(M[0], ridge) and np.allclose(M[1], ridge))
        True
        """
        kernels, *_, eig = self.kernels(sample)
        return [K.mean @ eig.U.T for K in kernels]
