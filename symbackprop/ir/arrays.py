"""The vocabulary of vector mode, under its old name: shapes and the built-in array ops.

Each op is one class in :mod:`symbackprop.ir.ops`, holding its shape rule, backward rule,
numeric evaluation and printed forms; this module only gathers the names.
"""

from symbackprop.ir.ops import (
    ArrayOpBase,
    Dim,
    Shape,
    T,
    broadcast,
    colsum,
    colsum_keepdims,
    dot,
    rowsum,
    shape_of,
    show_shape,
    sigmoid_bce,
    softmax,
    softmax_xent,
    total,
)

ArrayFunction = ArrayOpBase  # the name before symbackprop.ir.ops

__all__ = [
    "ArrayFunction",
    "ArrayOpBase",
    "Dim",
    "Shape",
    "T",
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
]
