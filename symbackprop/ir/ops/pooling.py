"""Max pooling over NCHW batches, and the routing of its adjoint back to the maxima."""

from __future__ import annotations

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, show_shape
from symbackprop.ir.ops.conv import output_size, windows


class maxpool2d(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """``maxpool2d(x, size, stride)``: the largest entry of each (size, size) window of
    ``x`` (m, C, H, W), windows ``stride`` apart: (m, C, OH, OW)."""

    nargs = 3
    settings = 2  # the window size and stride are numbers
    fixed_sizes = True
    vjp = (lambda g, x, size, stride: maxpool2d_grad(g, x, size, stride), None, None)
    backward_story = (
        "${node}$ ${out}$ keeps the largest entry of each ${args[1]}\\times {args[1]}$ window "
        "of ${args[0]}$ ${shapes[0]}$, windows ${args[2]}$ apart; only that entry moves the "
        "result, so the adjoint $g$ of each window goes back to it and the others get 0. "
        "Where windows overlap, an entry collects the adjoints of every window it is the "
        "largest of, added up; where a window has equal largest entries, its adjoint goes to "
        "the first of them in row-major order (as NumPy's argmax picks). The rule gives "
        "${rule}$ ${wrt_shape}$."
    )

    @classmethod
    def shape(cls, x: Shape, size: int, stride: int, dims: Dims = EXACT) -> Shape:
        if len(x) != 4:
            raise ShapeError(f"maxpool2d needs an input (m, C, H, W), not {show_shape(x)}")
        rows, cols = (output_size(n, size, stride, 0) for n in x[2:])
        return (x[0], x[1], rows, cols)

    @classmethod
    def evaluate(cls, math, x, size, stride):
        return windows(x, int(size), int(size), int(stride)).max(axis=(4, 5))

    def text_form(self, printer) -> str:
        x, size, stride = (printer._print(a) for a in self.args)
        return f"maxpool2d({x}, size={size}, stride={stride})"

    def latex_form(self, printer) -> str:
        x, size, stride = (printer._print(a) for a in self.args)
        return r"\operatorname{maxpool}_{%s,%s}\left(%s\right)" % (size, stride, x)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("maxpool2d", self)


class maxpool2d_grad(ArrayOpBase):  # noqa: N801
    """``maxpool2d_grad(g, x, size, stride)``: each window's adjoint in ``g`` routed to the
    first maximum of that window of ``x``, added up where windows overlap: shaped like x."""

    nargs = 4
    settings = 2  # the window size and stride are numbers
    fixed_sizes = True

    @classmethod
    def shape(cls, g: Shape, x: Shape, size: int, stride: int, dims: Dims = EXACT) -> Shape:
        return x

    @classmethod
    def evaluate(cls, math, g, x, size, stride):
        return routed_to_maxima(g, x, int(size), int(stride))

    def text_form(self, printer) -> str:
        g, x, size, stride = (printer._print(a) for a in self.args)
        return f"maxpool2d_grad({g}, {x}, size={size}, stride={stride})"

    def latex_form(self, printer) -> str:
        g, x, size, stride = (printer._print(a) for a in self.args)
        return r"\operatorname{unpool}_{%s,%s}\left(%s, %s\right)" % (size, stride, g, x)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("maxpool2d_grad", self)


def routed_to_maxima(g, x, size: int, stride: int):
    """One pass per offset in the window (size² of them, never one per sample): the entries
    at that offset that are their window's first maximum receive the window's adjoint."""
    cols = windows(x, size, size, stride)
    m, channels, rows, width = cols.shape[:4]
    first = cols.reshape(m, channels, rows, width, size * size).argmax(axis=4)
    result = np.zeros(x.shape, dtype=g.dtype)
    for i in range(size):
        for j in range(size):
            at = result[:, :, i : i + stride * rows : stride, j : j + stride * width : stride]
            at += g * (first == i * size + j)
    return result
