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
from symbackprop.ir.ops.batchnorm import batchnorm
from symbackprop.ir.ops.dropout import dropout
from symbackprop.ir.ops.embedding import embedding, embedding_grad
from symbackprop.ir.ops.groupnorm import groupnorm
from symbackprop.ir.ops.hinge import svm_hinge, svm_hinge_slope
from symbackprop.ir.ops.layernorm import layernorm
from symbackprop.ir.ops.losses import sigmoid_bce, softmax_xent
from symbackprop.ir.ops.moments import (
    MeanBase,
    VarianceBase,
    axis_length,
    colmean,
    colvar,
    groupmean,
    groupvar,
    rowmean,
    rowvar,
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
from symbackprop.ir.ops.sums import SumBase, colsum, colsum_keepdims, rowsum, total

__all__ = [
    "EXACT",
    "FLOAT_MATH",
    "STACKED_OPS",
    "ArrayOpBase",
    "Dim",
    "Dims",
    "MeanBase",
    "VarianceBase",
    "Rule",
    "Shape",
    "StackBase",
    "SumBase",
    "T",
    "after_first_column",
    "after_first_row",
    "axis_length",
    "batchnorm",
    "bias_column",
    "bias_row",
    "broadcast",
    "colmean",
    "colsum",
    "colsum_keepdims",
    "colvar",
    "dot",
    "dropout",
    "embedding",
    "embedding_grad",
    "groupmean",
    "groupvar",
    "groupnorm",
    "layernorm",
    "rowmean",
    "rowsum",
    "rowvar",
    "shape_of",
    "show_shape",
    "sigmoid_bce",
    "softmax",
    "softmax_xent",
    "svm_hinge",
    "svm_hinge_slope",
    "total",
    "zero_column",
    "zero_row",
]
