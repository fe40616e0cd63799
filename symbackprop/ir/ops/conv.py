"""Two-dimensional convolution over NCHW batches, and the arrays its backward rule makes.

``conv2d(x, W, b, stride, padding)`` is what deep-learning frameworks call a convolution: a
cross-correlation (the kernel is not flipped) of ``x`` (m, C, H, W) zero-padded by ``padding``
on every side, with kernels ``W`` (F, C, KH, KW), sampled every ``stride`` positions, plus one
bias per filter ``b`` (F,). Its backward rule makes three arrays, each an op of this family:

- the input's adjoint is the *full* correlation of ``g`` (spread out by the stride) with the
  kernel flipped in both spatial axes and with its F and C axes swapped;
- the kernel's adjoint is the correlation of the (padded) input with ``g``;
- the bias's adjoint is ``g`` summed over the samples and the positions.

Numbers here take the same route as the generated module (``templates/_conv.py.j2``): a view
of every window (im2col without a copy until the product) and one tensor product, for float
and for exact object arrays alike.
"""

from __future__ import annotations

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    fixed_size,
    latex_operand,
    numpy_operand,
    show_shape,
    text_operand,
)


def windows(x, height: int, width: int, stride: int):
    """Every (height, width) window of ``x``'s last two axes, ``stride`` apart: a view of
    shape (m, C, OH, OW, height, width)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (height, width), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def padded(x, padding: int):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def correlate(x, kernel, stride: int, padding: int):
    """``x`` (m, C, H, W) correlated with ``kernel`` (F, C, KH, KW): (m, F, OH, OW)."""
    _, _, height, width = kernel.shape
    cols = windows(padded(x, padding), height, width, stride)
    return np.tensordot(cols, kernel, axes=((1, 4, 5), (1, 2, 3))).transpose(0, 3, 1, 2)


def output_size(size, kernel, stride: int, padding: int) -> int:
    """Positions of a kernel along an axis of ``size``: ``(size + 2 padding - kernel) // stride
    + 1``, as the frameworks count them (a last partial window is dropped)."""
    size, kernel = fixed_size(size), fixed_size(kernel)
    if size is None or kernel is None:
        raise ShapeError("a convolution or pooling needs fixed image and kernel sizes")
    if stride < 1 or padding < 0 or size + 2 * padding < kernel:
        raise ShapeError(
            f"a window of {kernel} with stride {stride} and padding {padding} does not fit "
            f"in {size}"
        )
    return (size + 2 * padding - kernel) // stride + 1


def settings(stride, padding) -> str:
    return f"stride={stride}, padding={padding}"


class conv2d(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """``conv2d(x, W, b, stride, padding)``: (m, C, H, W) -> (m, F, OH, OW)."""

    nargs = 5
    settings = 2  # the stride and padding are numbers
    fixed_sizes = True
    vjp = (
        lambda g, x, w, b, s, p: conv2d_input_grad(g, w, x, s, p),
        lambda g, x, w, b, s, p: conv2d_kernel_grad(x, g, w, s, p),
        lambda g, x, w, b, s, p: channel_sum(g),
        None,
        None,
    )
    backward_story = tuple(
        "${node}$ ${out}$ slides each kernel of ${args[1]}$ ${shapes[1]}$ over ${args[0]}$ "
        "${shapes[0]}$ zero-padded by ${args[4]}$, with stride ${args[3]}$, and adds one bias "
        "of ${args[2]}$ ${shapes[2]}$ per filter. " + why + " For $g$ ${out}$ the adjoint "
        "arriving at the convolution, the adjoint of ${wrt}$ is ${rule}$ ${wrt_shape}$."
        for why in (
            "Each input entry meets every kernel entry whose window covers it, so its adjoint "
            "sums $g$ times those kernel entries: the full correlation of $g$ (spread out by "
            "the stride, padded by the kernel size less one) with the kernel flipped in both "
            "spatial axes, its filter and channel axes swapped, cropped to the input.",
            "Each kernel entry meets every sample at every position, so its adjoint sums the "
            "input entries it met times $g$ there: the correlation of the padded input with "
            "$g$.",
            "Each bias entry is added at every sample and position of its filter, so its "
            "adjoint is $g$ summed over the samples and the positions.",
        )
    )

    @classmethod
    def shape(cls, x: Shape, w: Shape, b: Shape, stride: int, padding: int, dims: Dims = EXACT):
        if len(x) != 4 or len(w) != 4 or len(b) != 1:
            raise ShapeError(
                f"conv2d needs an input (m, C, H, W), kernels (F, C, KH, KW) and biases (F,), "
                f"not {show_shape(x)}, {show_shape(w)}, {show_shape(b)}"
            )
        if not dims.unify(x[1], w[1]) or not dims.unify(w[0], b[0]):
            raise ShapeError(
                f"conv2d: kernels {show_shape(w)} do not fit an input {show_shape(x)} "
                f"with biases {show_shape(b)}"
            )
        rows, cols = (output_size(n, k, stride, padding) for n, k in zip(x[2:], w[2:], strict=True))
        return (x[0], w[0], rows, cols)

    @classmethod
    def evaluate(cls, math, x, w, b, stride, padding):
        return correlate(x, w, int(stride), int(padding)) + b[:, None, None]

    def text_form(self, printer) -> str:
        x, w, b, s, p = (printer._print(a) for a in self.args)
        return f"conv2d({x}, {w}, {b}, {settings(s, p)})"

    def latex_form(self, printer) -> str:
        x, w, b, s, p = (printer._print(a) for a in self.args)
        return r"\operatorname{conv}_{%s,%s}\left(%s, %s\right) + %s" % (s, p, x, w, b)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("conv2d", self)


class conv2d_input_grad(ArrayOpBase):  # noqa: N801
    """``conv2d_input_grad(g, W, x, stride, padding)``: the adjoint of a convolution's input
    ``x`` (only its shape is read), the full correlation of ``g`` with the flipped kernel."""

    nargs = 5
    settings = 2  # the stride and padding are numbers
    fixed_sizes = True

    @classmethod
    def shape(cls, g: Shape, w: Shape, x: Shape, stride: int, padding: int, dims: Dims = EXACT):
        return x

    @classmethod
    def evaluate(cls, math, g, w, x, stride, padding):
        return input_grad(g, w, x.shape, int(stride), int(padding))

    def text_form(self, printer) -> str:
        g, w, x, s, p = (printer._print(a) for a in self.args)
        return f"conv2d_input_grad({g}, {w}, {x}.shape, {settings(s, p)})"

    def latex_form(self, printer) -> str:
        g, w, _, s, p = (printer._print(a) for a in self.args)
        flipped = r"\operatorname{flip}\left(%s\right)" % w
        full = r"\operatorname{conv}^{\mathrm{full}}_{%s,%s}" % (s, p)
        return r"%s\left(%s, %s\right)" % (full, g, flipped)

    def numpy_form(self, printer) -> str:
        printer.helpers_used.add("conv2d_input_grad")
        g, w, x, s, p = (printer._print(a) for a in self.args)
        return f"conv2d_input_grad({g}, {w}, {x}.shape, {s}, {p})"


def input_grad(g, w, shape: tuple, stride: int, padding: int):
    """The full correlation of ``g`` with ``w`` flipped: ``g`` is spread out by the stride
    (zeros between its entries), padded by the kernel's size less one (and by what the last,
    dropped partial window covered), correlated, and cropped back to the unpadded input."""
    m, filters, rows, cols = g.shape
    _, _, kh, kw = w.shape
    height, width = shape[2:]
    spread = np.zeros((m, filters, (rows - 1) * stride + 1, (cols - 1) * stride + 1), g.dtype)
    spread[:, :, ::stride, ::stride] = g
    extra_rows = height + 2 * padding - ((rows - 1) * stride + kh)
    extra_cols = width + 2 * padding - ((cols - 1) * stride + kw)
    around = ((0, 0), (0, 0), (kh - 1, kh - 1 + extra_rows), (kw - 1, kw - 1 + extra_cols))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    full = correlate(np.pad(spread, around), flipped, 1, 0)
    return full[:, :, padding : padding + height, padding : padding + width]


class conv2d_kernel_grad(ArrayOpBase):  # noqa: N801
    """``conv2d_kernel_grad(x, g, W, stride, padding)``: the adjoint of a convolution's kernels
    ``W`` (only their shape is read), the correlation of the padded input with ``g``."""

    nargs = 5
    settings = 2  # the stride and padding are numbers
    fixed_sizes = True

    @classmethod
    def shape(cls, x: Shape, g: Shape, w: Shape, stride: int, padding: int, dims: Dims = EXACT):
        return w

    @classmethod
    def evaluate(cls, math, x, g, w, stride, padding):
        cols = windows(padded(x, int(padding)), *w.shape[2:], int(stride))
        return np.tensordot(g, cols, axes=((0, 2, 3), (0, 2, 3)))

    def text_form(self, printer) -> str:
        x, g, w, s, p = (printer._print(a) for a in self.args)
        return f"conv2d_kernel_grad({x}, {g}, {w}.shape, {settings(s, p)})"

    def latex_form(self, printer) -> str:
        x, g, _, s, p = (printer._print(a) for a in self.args)
        return r"\operatorname{conv}_{%s,%s}\left(%s, %s\right)" % (s, p, x, g)

    def numpy_form(self, printer) -> str:
        printer.helpers_used.add("conv2d_kernel_grad")
        x, g, w, s, p = (printer._print(a) for a in self.args)
        return f"conv2d_kernel_grad({x}, {g}, {w}.shape, {s}, {p})"


class channel_sum(ArrayOpBase):  # noqa: N801
    """``g`` (m, F, OH, OW) summed over samples and positions: (F,), a conv bias's adjoint."""

    nargs = 1

    @classmethod
    def shape(cls, g: Shape, dims: Dims = EXACT) -> Shape:
        return (g[1],)

    @classmethod
    def evaluate(cls, math, g):
        return np.sum(g, axis=(0, 2, 3))

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.sum(axis=(0, 2, 3))"

    def latex_form(self, printer) -> str:
        return r"\sum_{\text{samples, positions}} %s" % latex_operand(printer, self.args[0])

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}.sum(axis=(0, 2, 3))"
