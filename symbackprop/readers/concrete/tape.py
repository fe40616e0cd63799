"""Numbers that remember how they were computed, so that a loss built from them can be
differentiated exactly (reverse mode, one number at a time).

The concrete reader evaluates a forward function on arrays of :class:`Tracked` numbers (NumPy
object arrays); :func:`adjoints` then gives the exact derivative of the loss with respect to
every number that went into it. Comparisons, ``max`` and masks see the values, so the derivative
is the one of the branch the values take, as autograd frameworks do.
"""

from __future__ import annotations

import math

import numpy as np

from symbackprop.errors import UnsupportedConstruct


class Tracked:
    """A float with the numbers it was computed from and the partial derivative by each."""

    __slots__ = ("value", "parents")

    def __init__(self, value: float, parents: tuple = ()):
        self.value = float(value)
        self.parents = parents  # ((Tracked, partial), ...)

    def __repr__(self) -> str:
        return f"Tracked({self.value!r})"

    # arithmetic
    def __add__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tracked):
            return Tracked(self.value + other.value, ((self, 1.0), (other, 1.0)))
        return Tracked(self.value + _number(other), ((self, 1.0),))

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tracked):
            return Tracked(self.value - other.value, ((self, 1.0), (other, -1.0)))
        return Tracked(self.value - _number(other), ((self, 1.0),))

    def __rsub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Tracked(_number(other) - self.value, ((self, -1.0),))

    def __mul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tracked):
            return Tracked(self.value * other.value, ((self, other.value), (other, self.value)))
        other = _number(other)
        return Tracked(self.value * other, ((self, other),))

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tracked):
            q = self.value / other.value
            return Tracked(q, ((self, 1.0 / other.value), (other, -q / other.value)))
        other = _number(other)
        return Tracked(self.value / other, ((self, 1.0 / other),))

    def __rtruediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        q = _number(other) / self.value
        return Tracked(q, ((self, -q / self.value),))

    def __pow__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tracked):
            value = self.value**other.value
            return Tracked(
                value,
                (
                    (self, other.value * self.value ** (other.value - 1)),
                    (other, value * math.log(self.value) if self.value > 0 else 0.0),
                ),
            )
        other = _number(other)
        return Tracked(self.value**other, ((self, other * self.value ** (other - 1)),))

    def __rpow__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        base = _number(other)
        value = base**self.value
        return Tracked(value, ((self, value * math.log(base) if base > 0 else 0.0),))

    def __neg__(self):
        return Tracked(-self.value, ((self, -1.0),))

    def __pos__(self):
        return self

    def __abs__(self):
        return Tracked(abs(self.value), ((self, math.copysign(1.0, self.value)),))

    # comparisons see the value: branches and masks follow it
    def __lt__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value < _value(other)

    def __le__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value <= _value(other)

    def __gt__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value > _value(other)

    def __ge__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value >= _value(other)

    def __eq__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value == _value(other)

    def __ne__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self.value != _value(other)

    def __hash__(self):
        return id(self)

    def __bool__(self):
        return self.value != 0.0

    # NumPy calls these by name on an object array's elements
    def exp(self):
        value = math.exp(self.value)
        return Tracked(value, ((self, value),))

    def log(self):
        return Tracked(math.log(self.value), ((self, 1.0 / self.value),))

    def sqrt(self):
        value = math.sqrt(self.value)
        return Tracked(value, ((self, 0.5 / value),))

    def tanh(self):
        value = math.tanh(self.value)
        return Tracked(value, ((self, 1.0 - value * value),))

    def conjugate(self):
        return self

    def __float__(self):
        # a cast would drop the tape silently: the reader says so instead
        raise UnsupportedConstruct("a computed value cast to a plain number")

    def __index__(self):
        raise UnsupportedConstruct("a computed value used as an index")


def _number(other) -> float:
    return float(other)


def _value(other) -> float:
    return other.value if isinstance(other, Tracked) else other


def value_of(item):
    """A plain float for a Tracked number, anything else unchanged."""
    return item.value if isinstance(item, Tracked) else item


class Constant(Tracked):
    """A constant entry of a named array given a node of its own (a padding's zero, a ReLU's
    clipped zero): the loss's sensitivity to it is defined, but where it ties in a max with
    others, its share is any backward's choice."""

    __slots__ = ()


def adjoints(loss: Tracked) -> dict[int, float]:
    """d loss / d node for every node ``loss`` was computed from, keyed by ``id(node)``."""
    order: list[Tracked] = []
    seen: set[int] = set()
    stack: list[tuple[Tracked, bool]] = [(loss, False)]
    while stack:  # depth first, children before parents, without recursion
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent, _ in node.parents if id(parent) not in seen)
    grads = {id(loss): 1.0}
    for node in reversed(order):
        grad = grads.get(id(node), 0.0)
        if grad == 0.0:
            continue
        for parent, partial in node.parents:
            grads[id(parent)] = grads.get(id(parent), 0.0) + grad * partial
    return grads
