"""Array operations of vector mode, as SymPy functions, with their shapes.

In vector mode a node's symbol stands for a whole array (rows are samples). SymPy's own
arithmetic on such symbols is read elementwise, exactly as NumPy broadcasts it, so activations
and losses stay ordinary SymPy expressions. Only the operations that are not elementwise are
functions here; each one's backward rule is registered in :mod:`symbackprop.derive.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symbackprop.errors import ShapeError

Dim = int | str  # "m" is the batch size, unknown until run time
Shape = tuple[Dim, ...]


class ArrayFunction(sp.Function):
    """An array operation that is not elementwise."""

    @classmethod
    def shape(cls, *shapes: Shape) -> Shape:
        raise NotImplementedError


class dot(ArrayFunction):  # noqa: N801 - printed names follow NumPy
    """Matrix product ``A @ B``."""

    nargs = 2
    # Printed as an operator of the same precedence as '*', so printers parenthesize it
    # inside products: (a @ b) * c, never a @ b * c.
    precedence = PRECEDENCE["Mul"] - 1

    @classmethod
    def shape(cls, a: Shape, b: Shape) -> Shape:
        if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            raise ShapeError(f"cannot multiply {_show(a)} by {_show(b)}")
        return (a[0], b[1])


class T(ArrayFunction):  # noqa: N801
    """Transpose ``A.T``."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return tuple(reversed(a))


class total(ArrayFunction):  # noqa: N801
    """Sum of every element: a scalar."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return ()


class colsum(ArrayFunction):  # noqa: N801
    """Sum over the samples (axis 0): ``(m, k) -> (k,)``, the gradient of a broadcast bias."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return a[1:]


class colsum_keepdims(ArrayFunction):  # noqa: N801
    """Sum over the samples keeping a row: ``(m, k) -> (1, k)``, the gradient of a bias kept
    as a ``(1, k)`` row, as much hand-written NumPy does."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return (1, a[1])


class rowsum(ArrayFunction):  # noqa: N801
    """Sum over each row, keeping it a column: ``(m, k) -> (m, 1)``."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return (a[0], 1)


class softmax(ArrayFunction):  # noqa: N801
    """Row-wise softmax."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape) -> Shape:
        return a


class softmax_xent(ArrayFunction):  # noqa: N801
    """Per-sample cross-entropy of softmax(Z) against target rows T: shape ``(m, 1)``.

    Fused so that the backward pass is the short and stable ``softmax(Z) - T`` (for target rows
    that sum to one, as one-hot labels do) and the forward pass never takes log of 0.
    """

    nargs = 2

    @classmethod
    def shape(cls, z: Shape, t: Shape) -> Shape:
        broadcast(z, t)
        return (z[0], 1)


class sigmoid_bce(ArrayFunction):  # noqa: N801
    """Elementwise binary cross-entropy of sigmoid(Z) against T, computed from Z stably."""

    nargs = 2

    @classmethod
    def shape(cls, z: Shape, t: Shape) -> Shape:
        return broadcast(z, t)


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcasting of shapes; a ShapeError when they do not fit."""
    width = max(len(s) for s in shapes)
    result: list[Dim] = []
    for axis in range(-width, 0):
        dims = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(dims) > 1:
            raise ShapeError(f"shapes {', '.join(map(_show, shapes))} do not broadcast")
        result.append(dims.pop() if dims else 1)
    return tuple(result)


def shape_of(expr: sp.Expr, shapes: Mapping[str, Shape]) -> Shape:
    """The shape of ``expr``, given the shapes of its symbols (absent symbols are scalars)."""
    if isinstance(expr, sp.Symbol):
        return tuple(shapes.get(expr.name, ()))
    if not expr.args or expr.is_number:
        return ()
    arg_shapes = [shape_of(arg, shapes) for arg in expr.args]
    if isinstance(expr, ArrayFunction):
        return expr.shape(*arg_shapes)
    return broadcast(*arg_shapes)


def _show(shape: Shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def show_shape(shape: Shape) -> str:
    """``(m, 4)`` as people write it."""
    return _show(shape)
