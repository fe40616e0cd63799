"""Sums: of every element, over the samples (axis 0), over each row (axis 1).

A sum's adjoint spreads back by broadcasting, so each backward rule hands ``g`` on as it is
and the derivation's unbroadcasting does the rest; only a row sum that drops its axis must
stand its adjoint up as a column first (:class:`as_column`), or it would broadcast along rows.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import sympy as sp

from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    latex_operand,
    numpy_operand,
    text_operand,
)


class ReductionBase(ArrayOpBase):
    """A reduction over ``axis`` (None: every element), keeping it as a length-1 axis with
    ``keepdims``; ``method`` is NumPy's name for it, ``latex_operator`` how formulas write it
    (``\\sum_{\\text{rows}}``)."""

    nargs = 1
    axis: ClassVar[int | None] = None
    keepdims: ClassVar[bool] = False
    method: ClassVar[str] = "sum"
    latex_operator: ClassVar[str] = r"\sum"

    def latex_form(self, printer) -> str:
        (arg,) = self.args
        summand = printer._print(arg) if isinstance(arg, sp.Symbol) else latex_operand(printer, arg)
        return f"{self.latex_operator} {summand}"

    @classmethod
    def evaluate(cls, math, a):
        return getattr(np, cls.method)(a, axis=cls.axis, keepdims=cls.keepdims)

    def keywords(self) -> str:
        """``axis=0, keepdims=True``: how NumPy is told which reduction."""
        return f"axis={self.axis}" + (", keepdims=True" if self.keepdims else "")

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.{self.method}({self.keywords()})"

    def numpy_form(self, printer) -> str:
        # The method form: np.sum's Python wrapper costs a microsecond on small arrays.
        return f"{numpy_operand(printer, self.args[0])}.{self.method}({self.keywords()})"


class SumBase(ReductionBase):
    """A sum (see :class:`ReductionBase`)."""

    vjp = (lambda g, a: g,)
    backward_story = (
        "${node}$ uses ${wrt}$ through the sum ${call}$: every entry summed counts once, so "
        "the adjoint $g$ arriving at the sum spreads back to each of them by broadcasting "
        "(the rule gives ${rule}$)."
    )


class total(SumBase):  # noqa: N801 - printed names follow NumPy
    """Sum of every element: a scalar."""

    backward_story = (
        "${node}$ adds its summand up over every entry of ${wrt}$, so "
        "$\\partial {node} / \\partial {wrt}$ has one entry per entry of ${wrt}$: the "
        "derivative of the summand, entry by entry."
    )

    @classmethod
    def eval(cls, a):
        # the sum of every entry is the same however they were laid out or partly summed
        # first: sum(v.ravel()) is sum(v); and the adjoint of the sum of everything, a
        # scalar, then needs no reshaping on its way back
        if getattr(a, "moves_entries", False) or isinstance(a, SumBase):
            return cls(a.args[0])
        return None

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return ()

    def text_form(self, printer) -> str:
        return f"sum({printer._print(self.args[0])})"

    def numpy_form(self, printer) -> str:
        return f"{printer._module_format('numpy.sum')}({printer._print(self.args[0])})"


class colsum(SumBase):  # noqa: N801
    """Sum over the samples (axis 0): ``(m, k) -> (k,)``, the gradient of a broadcast bias."""

    latex_operator = r"\sum_{\text{rows}}"
    axis = 0

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a[1:]


class colsum_keepdims(SumBase):  # noqa: N801
    """Sum over the samples keeping a row: ``(m, k) -> (1, k)``, the gradient of a bias kept
    as a ``(1, k)`` row, as much hand-written NumPy does."""

    latex_operator = r"\sum_{\text{rows}}"
    axis, keepdims = 0, True

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return (1, a[1])


class rowsum(SumBase):  # noqa: N801
    """Sum over each row, keeping it a column: ``(m, k) -> (m, 1)``."""

    latex_operator = r"\sum_{\text{cols}}"
    axis, keepdims = 1, True

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return (a[0], 1)

    def numpy_form(self, printer) -> str:
        summed = printer._print(self.args[0])
        return f"{printer._module_format('numpy.sum')}({summed}, {self.keywords()})"


class rowsum_flat(SumBase):  # noqa: N801
    """Sum over each row, dropping the axis: ``(m, k) -> (m,)``."""

    latex_operator = r"\sum_{\text{cols}}"
    axis = 1
    vjp = (lambda g, a: as_column(g),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a[:1]


class as_column(ArrayOpBase):  # noqa: N801
    """A vector stood up as a column, ``v[:, None]``: ``(m,) -> (m, 1)``."""

    nargs = 1
    vjp = (lambda g, v: rowsum_flat(g),)

    @classmethod
    def shape(cls, v: Shape, dims: Dims = EXACT) -> Shape:
        return (*v, 1)

    @classmethod
    def evaluate(cls, math, v):
        return np.asarray(v)[..., None]

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}[:, None]"

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}[:, None]"
