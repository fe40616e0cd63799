"""Slices and concatenations along the rows (axis 0) or the columns (axis 1).

``dz[:, :H]`` and ``dz[:, H:]`` take the columns a concatenation ``np.hstack((h, x))`` put
together; ``a[:-1]`` drops the last row. Bounds are sizes, written as numbers or as dimensions
(``H``, ``n - 1``), so a slice op carries them as arguments and its shape depends on them.
The adjoint of a slice puts ``g`` back where the slice came from, zeros elsewhere
(:class:`RowsInto`); the adjoint of a concatenation hands each part its own rows or columns
(:class:`HeadRows`, :class:`TailRows`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dim,
    Dims,
    Shape,
    latex_operand,
    numpy_operand,
    show_shape,
    text_operand,
)


def size(value) -> int:
    """A bound or size as the integer NumPy indexes with (exact, mpmath or float values)."""
    return int(value)


def plain(dim) -> Dim:
    dim = sp.sympify(dim)
    return int(dim) if dim.is_Integer else dim


def _axis_size(shape: Shape, axis: int, what: str) -> Dim:
    if len(shape) <= axis:
        raise ShapeError(f"{what} needs an axis {axis}, not shape {show_shape(shape)}")
    return shape[axis]


def axes(value, count: int, what: str) -> np.ndarray:
    """``value`` as an array of ``count`` axes; a ValueError (a shape problem) otherwise."""
    value = np.asarray(value)
    if value.ndim != count:
        raise ValueError(f"{what} needs {count} axes, not shape {value.shape}")
    return value


def _with(shape: Shape, axis: int, dim: Dim) -> Shape:
    sizes = list(shape)
    sizes[axis] = plain(dim)
    return tuple(sizes)


def _index(axis: int, part: str) -> str:
    return part if axis == 0 else f":, {part}"


class AxisOp(ArrayOpBase):
    """An op along ``axis``: 0 for rows (any rank), 1 for the columns of a 2-d array."""

    axis: ClassVar[int] = 0

    @classmethod
    def cut(cls, a: np.ndarray, start: int, stop: int) -> np.ndarray:
        return a[start:stop] if cls.axis == 0 else a[:, start:stop]

    def printed(self, printer, operand) -> str:
        raise NotImplementedError

    def text_form(self, printer) -> str:
        return self.printed(printer, lambda arg: text_operand(printer, arg))

    def numpy_form(self, printer) -> str:
        return self.printed(printer, lambda arg: numpy_operand(printer, arg))


# -- slices with bounds --------------------------------------------------------------------------
class SliceBase(AxisOp):
    """``a[start:stop]`` (rows) or ``a[:, start:stop]`` (columns)."""

    nargs = 3

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims) -> Shape:
        a, start, stop = shapes[0], *self.args[1:]
        _axis_size(a, self.axis, type(self).__name__)
        return _with(a, self.axis, sp.sympify(stop) - sp.sympify(start))

    @classmethod
    def evaluate(cls, math, a, start, stop):
        a = np.asarray(a)
        start, stop = size(start), size(stop)
        if a.ndim <= cls.axis or not 0 <= start <= stop <= a.shape[cls.axis]:
            raise ValueError(f"{cls.__name__} from {start} to {stop} of shape {a.shape}")
        return cls.cut(a, start, stop)

    def printed(self, printer, operand) -> str:
        a, start, stop = self.args
        first = "" if start == 0 else printer._print(start)
        return f"{operand(a)}[{_index(self.axis, f'{first}:{printer._print(stop)}')}]"

    def latex_form(self, printer) -> str:
        a, start, stop = self.args
        part = f"{printer._print(start)}:{printer._print(stop)}"
        return r"{%s}_{[%s]}" % (latex_operand(printer, a), _index(self.axis, part))


class row_slice(SliceBase):  # noqa: N801 - printed names follow NumPy's style
    """``a[start:stop]``: the rows from ``start`` to before ``stop``."""

    vjp = (lambda g, a, start, stop: rows_into(g, a, start),)


class col_slice(SliceBase):  # noqa: N801
    """``a[:, start:stop]``: the columns from ``start`` to before ``stop``."""

    axis = 1
    vjp = (lambda g, a, start, stop: cols_into(g, a, start),)


class ReversedBase(AxisOp):
    """``a[::-1]`` (rows) or ``a[:, ::-1]`` (columns): the same entries in reverse order."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        _axis_size(a, cls.axis, cls.__name__)
        return a

    @classmethod
    def evaluate(cls, math, a):
        a = np.asarray(a)
        if a.ndim <= cls.axis:
            raise ValueError(f"{cls.__name__} of shape {a.shape}")
        return a[::-1] if cls.axis == 0 else a[:, ::-1]

    def printed(self, printer, operand) -> str:
        return f"{operand(self.args[0])}[{_index(self.axis, '::-1')}]"


class reversed_rows(ReversedBase):  # noqa: N801
    """``a[::-1]``: the rows in reverse order."""

    vjp = (lambda g, a: reversed_rows(g),)


class reversed_cols(ReversedBase):  # noqa: N801
    """``a[:, ::-1]``: the columns in reverse order."""

    axis = 1
    vjp = (lambda g, a: reversed_cols(g),)


class IntoBase(AxisOp):
    """An array shaped like ``like``, zero but for ``g`` placed from ``start`` along the axis:
    the adjoint of a slice."""

    nargs = 3

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims) -> Shape:
        g, like = shapes[0], shapes[1]
        if len(g) != len(like):
            raise ShapeError(f"cannot place {show_shape(g)} into {show_shape(like)}")
        for axis, (a, b) in enumerate(zip(g, like, strict=True)):
            if axis != self.axis and not dims.unify(a, b):
                raise ShapeError(f"cannot place {show_shape(g)} into {show_shape(like)}")
        return like

    @classmethod
    def evaluate(cls, math, g, like, start):
        like = np.asarray(like)
        g = axes(g, like.ndim, cls.__name__)
        begin = size(start)
        if like.ndim <= cls.axis or _with(g.shape, cls.axis, like.shape[cls.axis]) != like.shape:
            raise ValueError(f"cannot place shape {g.shape} into {like.shape}")
        if begin + g.shape[cls.axis] > like.shape[cls.axis]:
            raise ValueError(f"cannot place shape {g.shape} into {like.shape} at {begin}")
        result = np.zeros(like.shape, dtype=np.result_type(g, like))
        if cls.axis == 0:
            result[begin : begin + g.shape[0]] = g
        else:
            result[:, begin : begin + g.shape[1]] = g
        return result

    def printed(self, printer, operand) -> str:
        g, like, start = self.args
        name = "rows" if self.axis == 0 else "columns"
        return f"{name}_into({printer._print(g)}, {printer._print(like)}, {printer._print(start)})"


class rows_into(IntoBase):  # noqa: N801
    """The rows of ``g`` put into zeros shaped like ``like``, from row ``start``."""


class cols_into(IntoBase):  # noqa: N801
    """The columns of ``g`` put into zeros shaped like ``like``, from column ``start``."""

    axis = 1


# -- concatenations ----------------------------------------------------------------------------
class PartBase(AxisOp):
    """The first (``HeadRows``) or last (``TailRows``) rows of ``g``, as many as ``like`` has:
    the adjoint of one part of a concatenation."""

    nargs = 2
    from_end: ClassVar[bool] = False

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        g, like = shapes
        return _with(g, self.axis, _axis_size(like, self.axis, type(self).__name__))

    @classmethod
    def evaluate(cls, math, g, like):
        like = np.asarray(like)
        g = axes(g, like.ndim, cls.__name__)
        count, total = like.shape[cls.axis], g.shape[cls.axis]
        if count > total:
            raise ValueError(f"{cls.__name__}: {count} of {total}")
        return cls.cut(g, total - count, total) if cls.from_end else cls.cut(g, 0, count)

    def printed(self, printer, operand) -> str:
        g, like = self.args
        count = f"{operand(like)}.shape[{self.axis}]"
        part = f"-{count}:" if self.from_end else f":{count}"
        return f"{operand(g)}[{_index(self.axis, part)}]"


class head_rows(PartBase):  # noqa: N801
    """``g[:like.shape[0]]``."""


class tail_rows(PartBase):  # noqa: N801
    """``g[-like.shape[0]:]``."""

    from_end = True


class head_cols(PartBase):  # noqa: N801
    """``g[:, :like.shape[1]]``."""

    axis = 1


class tail_cols(PartBase):  # noqa: N801
    """``g[:, -like.shape[1]:]``."""

    axis, from_end = 1, True


class ConcatBase(AxisOp):
    """``np.concatenate((a, b), axis=...)`` of two arrays."""

    nargs = 2
    head: ClassVar[type] = head_rows
    tail: ClassVar[type] = tail_rows

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        a, b = shapes
        if len(a) != len(b) or len(a) <= self.axis:
            raise ShapeError(f"cannot concatenate {show_shape(a)} and {show_shape(b)}")
        for axis, (x, y) in enumerate(zip(a, b, strict=True)):
            if axis != self.axis and not dims.unify(x, y):
                raise ShapeError(f"cannot concatenate {show_shape(a)} and {show_shape(b)}")
        return _with(a, self.axis, sp.sympify(a[self.axis]) + sp.sympify(b[self.axis]))

    @classmethod
    def evaluate(cls, math, a, b):
        return np.concatenate((np.asarray(a), np.asarray(b)), axis=cls.axis)

    def printed(self, printer, operand) -> str:
        a, b = (printer._print(arg) for arg in self.args)
        return f"np.concatenate(({a}, {b}), axis={self.axis})"

    def latex_form(self, printer) -> str:
        a, b = (printer._print(arg) for arg in self.args)
        joint = r" \\ " if self.axis == 0 else " & "
        return r"\begin{bmatrix} %s%s%s \end{bmatrix}" % (a, joint, b)


class concat_rows(ConcatBase):  # noqa: N801
    """``np.vstack((a, b))``: the rows of ``a``, then those of ``b``."""

    vjp = (lambda g, a, b: head_rows(g, a), lambda g, a, b: tail_rows(g, b))


class concat_cols(ConcatBase):  # noqa: N801
    """``np.hstack((a, b))`` of 2-d arrays: the columns of ``a``, then those of ``b``."""

    axis = 1
    vjp = (lambda g, a, b: head_cols(g, a), lambda g, a, b: tail_cols(g, b))


SLICING_OPS = (
    row_slice,
    col_slice,
    reversed_rows,
    reversed_cols,
    rows_into,
    cols_into,
    head_rows,
    tail_rows,
    head_cols,
    tail_cols,
    concat_rows,
    concat_cols,
)
