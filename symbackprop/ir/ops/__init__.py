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
from symbackprop.ir.ops.labels import LABEL_OPS, first_argmax, onehot, rowmax
from symbackprop.ir.ops.losses import sigmoid_bce, softmax_xent
from symbackprop.ir.ops.products import T, dot
from symbackprop.ir.ops.reshaping import RESHAPING_OPS, column, flat
from symbackprop.ir.ops.slicing import (
    SLICING_OPS,
    col_slice,
    cols_into,
    concat_cols,
    concat_rows,
    head_cols,
    head_rows,
    reversed_cols,
    reversed_rows,
    row_slice,
    rows_into,
    tail_cols,
    tail_rows,
)
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
    "EXACT",
    "FLOAT_MATH",
    "LABEL_OPS",
    "RESHAPING_OPS",
    "SLICING_OPS",
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
    "col_slice",
    "cols_into",
    "colsum",
    "colsum_keepdims",
    "column",
    "concat_cols",
    "concat_rows",
    "dot",
    "first_argmax",
    "flat",
    "head_cols",
    "head_rows",
    "onehot",
    "reversed_cols",
    "reversed_rows",
    "row_slice",
    "rowmax",
    "rows_into",
    "rowsum",
    "shape_of",
    "show_shape",
    "sigmoid_bce",
    "softmax",
    "softmax_xent",
    "tail_cols",
    "tail_rows",
    "total",
    "zero_column",
    "zero_row",
]
