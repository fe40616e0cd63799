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
    shape_of,
    show_shape,
)
from symbackprop.ir.ops.constants import eye, filled
from symbackprop.ir.ops.losses import sigmoid_bce, softmax_xent
from symbackprop.ir.ops.maxima import (
    MaxBase,
    colmax,
    colmax_keepdims,
    rowmax,
    rowmax_flat,
    total_max,
)
from symbackprop.ir.ops.products import T, dot
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
from symbackprop.ir.ops.sums import (
    ReductionBase,
    SumBase,
    as_column,
    colsum,
    colsum_keepdims,
    rowsum,
    rowsum_flat,
    total,
)

__all__ = [
    "EXACT",
    "FLOAT_MATH",
    "STACKED_OPS",
    "T",
    "ArrayOpBase",
    "Dim",
    "Dims",
    "MaxBase",
    "ReductionBase",
    "Rule",
    "Shape",
    "StackBase",
    "SumBase",
    "after_first_column",
    "after_first_row",
    "as_column",
    "bias_column",
    "bias_row",
    "broadcast",
    "colmax",
    "colmax_keepdims",
    "colsum",
    "colsum_keepdims",
    "dot",
    "eye",
    "filled",
    "rowmax",
    "rowmax_flat",
    "rowsum",
    "rowsum_flat",
    "shape_of",
    "show_shape",
    "sigmoid_bce",
    "softmax",
    "softmax_xent",
    "total",
    "total_max",
    "zero_column",
    "zero_row",
]
