"""Arithmetic on divided differences: a number known at two nodes and its divided difference.

A :class:`Divided` ``f`` over the nodes ``(x₀, x₁)`` holds ``f(x₀)``, ``f(x₁)`` and
``f[x₀, x₁] = (f(x₀) − f(x₁))/(x₀ − x₁)`` (``f'(x₀)`` when the nodes coincide). Sums,
products and quotients of such numbers follow the Leibniz rules

    (fg)[x₀, x₁] = f[x₀, x₁] g(x₁) + f(x₀) g[x₀, x₁],     (1/f)[x₀, x₁] = −f[x₀, x₁]/(f(x₀) f(x₁)),

which never subtract two nearly equal values: a rational function of a quantity whose divided
difference is known in closed form (the ridge's ``κ``, derivations/random_design.md §3) gets
its own divided difference to full precision, for distinct, close or equal nodes. This is the
2 × 2 case of Opitz's theorem (``f`` of the bidiagonal matrix ``[[x₀, 1], [0, x₁]]``).

Nesting gives more: a :class:`Divided` whose components are themselves :class:`Divided` of a
lower ``level`` is a function of two variables (the bivariate divided differences of the risk),
or, with nodes ``(x₀, μ)`` where ``μ`` is itself divided over ``(x₁, x₁)``, the confluent
second divided difference ``f[x₀, x₁, x₁]``. Components are numbers or numpy arrays
(broadcast); an operand of a lower level is a constant at this level.
"""

from __future__ import annotations

import numpy as np


class Divided:
    """``(f(x₀), f(x₁), f[x₀, x₁])`` at one ``level`` of nesting.

    >>> x = Divided(3.0, 1.0, 1.0)          # the variable x over the nodes (3, 1)
    >>> y = (x * x).reciprocal()            # 1/x²: (1/9 − 1)/(3 − 1) = −4/9
    >>> y.a, y.b, round(y.d, 12)
    (0.1111111111111111, 1.0, -0.444444444444)
    """

    __slots__ = ("a", "b", "d", "level")
    __array_priority__ = 100                # numpy defers to our reflected operators

    def __init__(self, a, b, d, level: int = 1):
        self.a, self.b, self.d, self.level = a, b, d, level

    def _same(self, other) -> bool:
        return isinstance(other, Divided) and other.level == self.level

    def _higher(self, other) -> bool:
        return isinstance(other, Divided) and other.level > self.level

    # -- arithmetic (an operand of a lower level, or a number, is a constant here) --------------
    def __add__(self, other):
        if self._higher(other):
            return NotImplemented
        if self._same(other):
            return Divided(self.a + other.a, self.b + other.b, self.d + other.d, self.level)
        return Divided(self.a + other, self.b + other, self.d, self.level)

    __radd__ = __add__

    def __neg__(self):
        return Divided(-self.a, -self.b, -self.d, self.level)

    def __sub__(self, other):
        if self._higher(other):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if self._higher(other):
            return NotImplemented
        if self._same(other):
            # (fg)[x₀, x₁] = f[x₀, x₁] g(x₁) + f(x₀) g[x₀, x₁]
            return Divided(self.a * other.a, self.b * other.b,
                           self.d * other.b + self.a * other.d, self.level)
        return Divided(self.a * other, self.b * other, self.d * other, self.level)

    __rmul__ = __mul__

    def reciprocal(self) -> "Divided":
        """``1/f``, with ``(1/f)[x₀, x₁] = −f[x₀, x₁]/(f(x₀) f(x₁))``."""
        ia, ib = _reciprocal(self.a), _reciprocal(self.b)
        return Divided(ia, ib, -(self.d * ia) * ib, self.level)

    def __truediv__(self, other):
        if self._higher(other):
            return NotImplemented
        return self * (other.reciprocal() if self._same(other) else _reciprocal(other))

    def __rtruediv__(self, other):
        return self.reciprocal() * other

    def map(self, fn) -> "Divided":
        """``fn`` applied to every array at the bottom of the nesting (a linear map over the
        modes, such as a weighted sum, commutes with every divided difference).

        >>> Divided(1.0, 2.0, 3.0).map(lambda c: 2 * c).d
        6.0
        """
        return Divided(*(c.map(fn) if isinstance(c, Divided) else fn(c)
                         for c in (self.a, self.b, self.d)), self.level)



def _reciprocal(x):
    return x.reciprocal() if isinstance(x, Divided) else 1.0 / x


def variable(x0, x1, level: int = 1) -> Divided:
    """The identity function over the nodes ``(x₀, x₁)``: ``(x₀, x₁, 1)``.

    >>> v = variable(2.0, 2.0)
    >>> float((v * v).d)          # d(x²)/dx at 2
    4.0
    """
    return Divided(x0, x1, 1.0 + 0.0 * (np.asarray(x0) - x1), level)


def symmetric(f00, f11, f01, f0d, f1d, fdd) -> Divided:
    """A symmetric function of two variables over the nodes ``(x₀, x₁)`` in each, from its
    values, mixed values and divided differences (``f0d = f(x₀; [x₀, x₁])``, …).

    >>> f = symmetric(1.0, 4.0, 2.0, 1.0, 2.0, 1.0)      # f(x, y) = xy over the nodes (1, 2)
    >>> f.b.a, f.d.d
    (2.0, 1.0)
    """
    return Divided(Divided(f00, f01, f0d, 1), Divided(f01, f11, f1d, 1),
                   Divided(f0d, f1d, fdd, 1), 2)


def weighted(x, weights):
    """``Σ_i w_i x_i`` over the modes (the last axis) of an array or of every array of a
    :class:`Divided` (a sum commutes with divided differences), for (p, c) ``weights``.

    >>> weighted(Divided(np.ones((1, 2)), np.ones((1, 2)), np.zeros((1, 2))),
    ...          np.array([[1.0], [2.0]])).a
    array([[3.]])
    """
    return x.map(lambda c: c @ weights) if isinstance(x, Divided) else x @ weights
