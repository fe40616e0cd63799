"""The array ops of vector mode, one class each (see :mod:`symbackprop.ir.ops.base`).

A new op is one class in one file: subclass :class:`ArrayOpBase`, give it ``shape``,
``vjp``, ``evaluate`` and the printing forms it needs, and use it in a model.
"""

from symbackprop.ir.ops.base import (
    EXACT,
    FLOAT_MATH,
    ArrayOpBase,
    Dim,
    Dims,
    Rule,
    Shape,
    broadcast,
    operand_shapes,
    shape_of,
    show_shape,
)
from symbackprop.ir.ops.conv import channel_sum, conv2d, conv2d_input_grad, conv2d_kernel_grad
from symbackprop.ir.ops.losses import sigmoid_bce, softmax_xent
from symbackprop.ir.ops.pooling import maxpool2d, maxpool2d_grad
from symbackprop.ir.ops.products import T, dot
from symbackprop.ir.ops.reshape import flatten, unflatten
from symbackprop.ir.ops.softmax import softmax
from symbackprop.ir.ops.stacking import (
    STACKED_OPS,
    StackBase,
    after_first_column,
    after_first_row,
    bias_column,
    bias_row,
    zero_column,
    zero_row,
)
from symbackprop.ir.ops.sums import SumBase, colsum, colsum_keepdims, rowsum, total

__all__ = [
    "operand_shapes",
    "unflatten",
    "flatten",
    "maxpool2d_grad",
    "maxpool2d",
    "conv2d_kernel_grad",
    "conv2d_input_grad",
    "conv2d",
    "channel_sum",
    "EXACT",
    "FLOAT_MATH",
    "STACKED_OPS",
    "ArrayOpBase",
    "Dim",
    "Dims",
    "Rule",
    "Shape",
    "StackBase",
    "SumBase",
    "T",
    "after_first_column",
    "after_first_row",
    "bias_column",
    "bias_row",
    "broadcast",
    "colsum",
    "colsum_keepdims",
    "dot",
    "rowsum",
    "shape_of",
    "show_shape",
    "sigmoid_bce",
    "softmax",
    "softmax_xent",
    "total",
    "zero_column",
    "zero_row",
]
