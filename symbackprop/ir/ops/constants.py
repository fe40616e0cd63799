"""Constant arrays: of one value (``np.ones((1, m))``, ``np.full((n, k), 0.5)``,
``np.ones_like(z)``) and the identity matrix (``np.eye(n)``).

Hand-written code sums a batch with ``np.ones((1, m)) @ delta`` and starts masks from
``np.ones_like(z)``, so such an array must keep its shape, which its arguments give: the
value, then one size per axis (dimension symbols, or numbers). It is a constant: no adjoint
flows into it.
"""

from __future__ import annotations

import numpy as np

from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape


class filled(ArrayOpBase):  # noqa: N801 - printed names follow NumPy's style
    """``np.full((d0, d1), value)``: an array of ``value`` whose sizes are the other arguments."""

    @classmethod
    def eval(cls, value, *sizes):
        if not sizes:
            return value  # no axes: the value itself
        return None

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        return tuple(int(size) if size.is_Integer else size for size in self.args[1:])

    @classmethod
    def evaluate(cls, math, value, *sizes):
        shape = tuple(int(size) for size in sizes)
        dtype = float if isinstance(value, float | np.floating) else object
        return np.full(shape, value, dtype=dtype)

    def numpy_text(self, printer) -> str:
        value, *sizes = (printer._print(arg) for arg in self.args)
        shape = "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"
        if self.args[0] in (0, 1):
            return f"np.{'ones' if self.args[0] == 1 else 'zeros'}({shape})"
        return f"np.full({shape}, {value})"

    text_form = numpy_form = numpy_text

    def latex_form(self, printer) -> str:
        value = self.args[0]
        ones = r"\mathbf{1}"
        return ones if value == 1 else r"%s\,%s" % (printer._print(value), ones)


class eye(ArrayOpBase):  # noqa: N801
    """``np.eye(n)``: the identity matrix of size ``n`` (its argument)."""

    nargs = 1

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        (size,) = self.args
        return (int(size), int(size)) if size.is_Integer else (size, size)

    @classmethod
    def evaluate(cls, math, size):
        result = np.zeros((int(size), int(size)), dtype=object)
        np.fill_diagonal(result, 1)
        return result

    def numpy_text(self, printer) -> str:
        return f"np.eye({printer._print(self.args[0])})"

    text_form = numpy_form = numpy_text

    def latex_form(self, printer) -> str:
        return r"I_{%s}" % printer._print(self.args[0])
