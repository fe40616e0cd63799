"""Flattening each sample of an NCHW batch into one row, and its inverse for the adjoint."""

from __future__ import annotations

from math import prod

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, fixed_size, show_shape


class flatten(ArrayOpBase):  # noqa: N801 - printed names follow NumPy
    """``flatten(x)``: (m, C, H, W) -> (m, C*H*W), each sample's entries in row-major order."""

    nargs = 1
    fixed_sizes = True
    vjp = (lambda g, x: unflatten(g, x),)
    backward_story = (
        "${node}$ ${out}$ lays each sample of ${args[0]}$ ${shapes[0]}$ out as one row, moving "
        "entries without changing them, so the adjoint is $g$ laid back out in the shape of "
        "${args[0]}$: ${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, dims: Dims = EXACT) -> Shape:
        sizes = [fixed_size(d) for d in x[1:]]
        if len(x) < 2 or None in sizes:
            raise ShapeError(f"flatten needs a batch of fixed-size samples, not {show_shape(x)}")
        return (x[0], prod(sizes))

    @classmethod
    def evaluate(cls, math, x):
        return x.reshape(x.shape[0], -1)

    def text_form(self, printer) -> str:
        return f"flatten({printer._print(self.args[0])})"

    def latex_form(self, printer) -> str:
        return r"\operatorname{flatten}\left(%s\right)" % printer._print(self.args[0])

    def numpy_form(self, printer) -> str:
        x = printer._print(self.args[0])
        return f"{x}.reshape({x}.shape[0], -1)"


class unflatten(ArrayOpBase):  # noqa: N801
    """``unflatten(g, x)``: rows ``g`` laid back out in the shape of ``x`` (only its shape is
    read), the adjoint of :class:`flatten`."""

    nargs = 2
    fixed_sizes = True

    @classmethod
    def shape(cls, g: Shape, x: Shape, dims: Dims = EXACT) -> Shape:
        return x

    @classmethod
    def evaluate(cls, math, g, x):
        return g.reshape(x.shape)

    def text_form(self, printer) -> str:
        g, x = (printer._print(a) for a in self.args)
        return f"{g}.reshape({x}.shape)"

    def latex_form(self, printer) -> str:
        g, x = (printer._print(a) for a in self.args)
        return r"\operatorname{reshape}_{%s}\left(%s\right)" % (x, g)

    def numpy_form(self, printer) -> str:
        return self.text_form(printer)
