"""Vectors as columns and columns as vectors: ``v[:, None]``, ``v.reshape(-1, 1)``,
``a.ravel()``. A row vector needs no op: ``(n,)`` broadcasts as ``(1, n)`` does, and
``v[None, :]`` is the transpose of the column."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    numpy_operand,
    show_shape,
    text_operand,
)
from symbackprop.ir.ops.labels import onehot
from symbackprop.ir.ops.slicing import axes
from symbackprop.ir.ops.sums import rowsum


class column(ArrayOpBase):  # noqa: N801 - printed names follow NumPy's style
    """``v[:, None]``: a vector ``(n,)`` as a column ``(n, 1)``."""

    nargs = 1
    vjp = (lambda g, v: flat(g),)
    moves_entries = True  # only where entries sit changes: a total sees through it

    @classmethod
    def eval(cls, v):
        return v.args[0] if isinstance(v, flat) else None  # a vector made a column again

    @classmethod
    def shape(cls, v: Shape, dims: Dims = EXACT) -> Shape:
        if len(v) != 1:
            raise ShapeError(f"only a vector becomes a column, not shape {show_shape(v)}")
        return (v[0], 1)

    @classmethod
    def evaluate(cls, math, v):
        return np.reshape(axes(v, 1, "column"), (-1, 1))

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}[:, None]"

    def latex_form(self, printer) -> str:  # a vector is a column in mathematics already
        return printer._print(self.args[0])

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}[:, None]"


class flat(ArrayOpBase):  # noqa: N801
    """``a.ravel()`` of a column ``(n, 1)``: the vector ``(n,)``."""

    nargs = 1
    vjp = (lambda g, a: column(g),)
    moves_entries = True

    @classmethod
    def eval(cls, a):
        return a.args[0] if isinstance(a, column) else None  # a column made a vector again

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        if len(a) != 2 or not dims.unify(a[1], 1):
            raise ShapeError(f"only a column becomes a vector here, not shape {show_shape(a)}")
        return (a[0],)

    @classmethod
    def evaluate(cls, math, a):
        a = axes(a, 2, "flat")
        if a.shape[1] != 1:
            raise ValueError(f"only a column becomes a vector here, not shape {a.shape}")
        return np.reshape(a, (-1,))

    def picked(self) -> tuple[sp.Expr, sp.Expr] | None:
        """(a, y) when this is ``a[np.arange(N), y]``: the row sum of a times onehot(y)."""
        summed = self.args[0]
        if not (isinstance(summed, rowsum) and isinstance(summed.args[0], sp.Mul)):
            return None
        factors = summed.args[0].args
        hots = [f for f in factors if isinstance(f, onehot)]
        if len(factors) != 2 or len(hots) != 1:
            return None
        other = factors[0] if factors[1] is hots[0] else factors[1]
        return other, hots[0].args[0]

    def printed(self, printer, operand) -> str:
        picked = self.picked()
        if picked is None:
            return f"{operand(self.args[0])}.ravel()"
        a, labels = operand(picked[0]), printer._print(picked[1])
        return f"{a}[np.arange({a}.shape[0]), {labels}]"

    def text_form(self, printer) -> str:
        return self.printed(printer, lambda arg: text_operand(printer, arg))

    def latex_form(self, printer) -> str:
        picked = self.picked()
        if picked is None:
            return printer._print(self.args[0])
        a, labels = (printer._print(part) for part in picked)
        return r"{%s}_{[i,\, %s_{i}]}" % (a, labels)

    def numpy_form(self, printer) -> str:
        return self.printed(printer, lambda arg: numpy_operand(printer, arg))


RESHAPING_OPS = (column, flat)
