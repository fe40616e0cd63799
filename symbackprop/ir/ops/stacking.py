"""Array operations that hand-written NumPy code uses around bias rows and columns.

``np.vstack((np.ones((1, m)), a))`` prepends a row of ones (a bias unit), ``sigma2[1:]`` drops
that row again; ``np.hstack`` and ``[:, 1:]`` do the same with columns. Each op keeps its shape
rule, its backward rule, its NumPy evaluation and its printed form (NumPy's spelling, in text
and in code) together.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dim,
    Dims,
    Shape,
    numpy_operand,
    show_shape,
    text_operand,
)


def _plus(dim: Dim, offset: int) -> Dim:
    if isinstance(dim, int):
        return dim + offset
    return sp.sympify(sp.Symbol(dim) if isinstance(dim, str) else dim) + offset


def _matrix(shape: Shape, what: str) -> Shape:
    if len(shape) != 2:
        raise ShapeError(f"{what} needs a 2-d array, not shape {show_shape(shape)}")
    return shape


class StackBase(ArrayOpBase):
    """An op that adds or removes the first row (axis 0) or the first column (axis 1)."""

    nargs = 1
    axis = 0
    offset = 1
    fill: int | None = None  # the value of the row added; None for ops that remove a row

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        a = _matrix(a, cls.__name__)
        if cls.offset < 0 and isinstance(a[cls.axis], int) and a[cls.axis] < 2:
            raise ShapeError(f"{cls.__name__} of shape {show_shape(a)} leaves nothing")
        sizes = list(a)
        sizes[cls.axis] = _plus(a[cls.axis], cls.offset)
        return tuple(sizes)

    @classmethod
    def evaluate(cls, math, a: np.ndarray) -> np.ndarray:
        if np.ndim(a) != 2:
            raise ValueError(f"{cls.__name__} needs a 2-d array, not shape {np.shape(a)}")
        if cls.fill is None:
            return a[1:] if cls.axis == 0 else a[:, 1:]
        extra = (1, a.shape[1]) if cls.axis == 0 else (a.shape[0], 1)
        block = np.full(extra, cls.fill, dtype=a.dtype)
        return np.concatenate((block, a), axis=cls.axis)

    def numpy_text(self, arg: str) -> str:
        raise NotImplementedError

    def text_form(self, printer) -> str:
        return self.numpy_text(text_operand(printer, self.args[0]))

    def numpy_form(self, printer) -> str:
        return self.numpy_text(numpy_operand(printer, self.args[0]))


class bias_row(StackBase):  # noqa: N801 - printed names follow NumPy's style
    """``np.vstack((np.ones((1, a.shape[1])), a))``: a row of ones on top."""

    fill = 1
    vjp = (lambda g, a: after_first_row(g),)  # the adjoint of the added row is dropped

    def numpy_text(self, arg: str) -> str:
        return f"np.vstack((np.ones((1, {arg}.shape[1])), {arg}))"


class zero_row(StackBase):  # noqa: N801
    """``np.vstack((np.zeros((1, a.shape[1])), a))``: the adjoint of dropping the first row."""

    fill = 0
    vjp = (lambda g, a: after_first_row(g),)

    def numpy_text(self, arg: str) -> str:
        return f"np.vstack((np.zeros((1, {arg}.shape[1])), {arg}))"


class after_first_row(StackBase):  # noqa: N801
    """``a[1:]``: every row but the first."""

    offset = -1
    vjp = (lambda g, a: zero_row(g),)  # the dropped row's adjoint is zero

    def numpy_text(self, arg: str) -> str:
        return f"{arg}[1:]"


class bias_column(StackBase):  # noqa: N801
    """``np.hstack((np.ones((a.shape[0], 1)), a))``: a column of ones on the left."""

    axis, fill = 1, 1
    vjp = (lambda g, a: after_first_column(g),)

    def numpy_text(self, arg: str) -> str:
        return f"np.hstack((np.ones(({arg}.shape[0], 1)), {arg}))"


class zero_column(StackBase):  # noqa: N801
    """``np.hstack((np.zeros((a.shape[0], 1)), a))``."""

    axis, fill = 1, 0
    vjp = (lambda g, a: after_first_column(g),)

    def numpy_text(self, arg: str) -> str:
        return f"np.hstack((np.zeros(({arg}.shape[0], 1)), {arg}))"


class after_first_column(StackBase):  # noqa: N801
    """``a[:, 1:]``: every column but the first."""

    axis, offset = 1, -1
    vjp = (lambda g, a: zero_column(g),)

    def numpy_text(self, arg: str) -> str:
        return f"{arg}[:, 1:]"


STACKED_OPS = (bias_row, zero_row, after_first_row, bias_column, zero_column, after_first_column)
