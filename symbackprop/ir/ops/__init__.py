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
from symbackprop.ir.ops.batchnorm import batchnorm
from symbackprop.ir.ops.constants import eye, filled
from symbackprop.ir.ops.conv import channel_sum, conv2d, conv2d_input_grad, conv2d_kernel_grad
from symbackprop.ir.ops.dropout import dropout
from symbackprop.ir.ops.embedding import embedding, embedding_grad
from symbackprop.ir.ops.groupnorm import groupnorm
from symbackprop.ir.ops.hinge import svm_hinge, svm_hinge_slope
from symbackprop.ir.ops.imagenorm import (
    channel_scale,
    channel_shift,
    spatial_batchnorm,
    spatial_batchnorm_grad,
    spatial_groupnorm,
    spatial_groupnorm_grad,
)
from symbackprop.ir.ops.labels import LABEL_OPS, first_argmax, onehot
from symbackprop.ir.ops.layernorm import layernorm
from symbackprop.ir.ops.losses import sigmoid_bce, softmax_xent
from symbackprop.ir.ops.maxima import (
    MaxBase,
    colmax,
    colmax_keepdims,
    rowmax,
    rowmax_flat,
    total_max,
)
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
from symbackprop.ir.ops.pooling import maxpool2d, maxpool2d_grad
from symbackprop.ir.ops.products import T, dot
from symbackprop.ir.ops.reshape import flatten, unflatten
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
from symbackprop.ir.ops.timesteps import time_step, time_step_into, zeros_of

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
    "channel_scale",
    "channel_shift",
    "spatial_batchnorm",
    "spatial_batchnorm_grad",
    "spatial_groupnorm",
    "spatial_groupnorm_grad",
    "EXACT",
    "FLOAT_MATH",
    "LABEL_OPS",
    "RESHAPING_OPS",
    "SLICING_OPS",
    "STACKED_OPS",
    "T",
    "ArrayOpBase",
    "Dim",
    "Dims",
    "MaxBase",
    "ReductionBase",
    "MeanBase",
    "VarianceBase",
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
    "col_slice",
    "colmax",
    "colmax_keepdims",
    "cols_into",
    "colsum",
    "colsum_keepdims",
    "column",
    "concat_cols",
    "concat_rows",
    "dot",
    "eye",
    "filled",
    "first_argmax",
    "flat",
    "head_cols",
    "head_rows",
    "onehot",
    "reversed_cols",
    "reversed_rows",
    "row_slice",
    "rowmax",
    "rowmax_flat",
    "rows_into",
    "rowsum",
    "rowsum_flat",
    "axis_length",
    "batchnorm",
    "colmean",
    "colvar",
    "dropout",
    "embedding",
    "embedding_grad",
    "groupmean",
    "groupvar",
    "groupnorm",
    "layernorm",
    "rowmean",
    "rowvar",
    "shape_of",
    "show_shape",
    "sigmoid_bce",
    "softmax",
    "softmax_xent",
    "tail_cols",
    "tail_rows",
    "svm_hinge",
    "svm_hinge_slope",
    "time_step",
    "time_step_into",
    "total",
    "total_max",
    "zeros_of",
    "zero_column",
    "zero_row",
]
