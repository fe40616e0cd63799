"""The matrix product and the transpose."""

from __future__ import annotations

import numpy as np
from sympy.printing.precedence import PRECEDENCE

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    latex_operand,
    numpy_operand,
    show_shape,
    text_operand,
)


class T(ArrayOpBase):  # noqa: N801 - printed names follow NumPy
    """Transpose ``A.T``."""

    nargs = 1
    vjp = (lambda g, a: T(g),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return tuple(reversed(a))

    @classmethod
    def evaluate(cls, math, a):
        return np.transpose(a)

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.T"

    def latex_form(self, printer) -> str:
        (arg,) = self.args
        if arg.is_Symbol:
            return r"{%s}^{\top}" % printer._print(arg)
        return r"\left(%s\right)^{\top}" % printer._print(arg)

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}.T"


class dot(ArrayOpBase):  # noqa: N801
    """Matrix product ``A @ B``."""

    nargs = 2
    infix = True
    # Printed as an operator of the same precedence as '*', so printers parenthesize it
    # inside products: (a @ b) * c, never a @ b * c.
    precedence = PRECEDENCE["Mul"] - 1
    vjp = (lambda g, a, b: dot(g, T(b)), lambda g, a, b: dot(T(a), g))

    @classmethod
    def shape(cls, a: Shape, b: Shape, dims: Dims = EXACT) -> Shape:
        if len(a) != 2 or len(b) != 2 or not dims.unify(a[1], b[0]):
            raise ShapeError(f"cannot multiply {show_shape(a)} by {show_shape(b)}")
        return (a[0], b[1])

    @classmethod
    def evaluate(cls, math, a, b):
        return np.dot(a, b)

    def text_form(self, printer) -> str:
        left, right = (printer.parenthesize(a, PRECEDENCE["Mul"]) for a in self.args)
        return f"{left} @ {right}"

    def latex_form(self, printer) -> str:
        return r"%s\, %s" % tuple(latex_operand(printer, arg) for arg in self.args)

    def numpy_form(self, printer) -> str:
        left, right = self.args
        left_text = printer._print(left) if isinstance(left, dot) else numpy_operand(printer, left)
        return f"{left_text} @ {numpy_operand(printer, right)}"
