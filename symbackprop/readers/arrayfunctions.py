"""The NumPy functions of array mode, one handler each: ``np.dot``, ``np.sum``/``np.mean``/
``np.max`` with ``axis`` and ``keepdims``, ``np.multiply`` and friends, ``size``/``len``,
``np.eye``, ``np.clip``, ``np.matrix``. A handler gets the translator, the translated
arguments, the keyword arguments' ast and the call's node. (Elementwise functions that need
no shapes, such as ``np.where`` and ``np.maximum``, are in
:mod:`~symbackprop.readers.elementwise`, for scalar code too.)

The translator is seen through :class:`ArrayTranslator`, the protocol of what a handler may
use, so that this module needs nothing of the translator that calls it (no import circle)."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Protocol

import sympy as sp

from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir.ops import (
    T,
    colmax,
    colmax_keepdims,
    colsum,
    colsum_keepdims,
    eye,
    rowmax,
    rowmax_flat,
    rowsum,
    rowsum_flat,
    total,
    total_max,
)
from symbackprop.readers.elementwise import clip
from symbackprop.readers.whitelist import Namespace


class ArrayTranslator(Protocol):
    """What a handler uses of the translator that calls it."""

    vector: bool
    namespace: Namespace
    matrix_values: set
    space: object  # the DimSpace of vector mode

    def unsupported(self, node: ast.AST, what: str, hint: str = "") -> UnsupportedConstruct: ...
    def note(self, node: ast.AST, text: str) -> None: ...
    def checked(self, function: Callable, args: tuple, node: ast.AST) -> sp.Expr: ...
    def matmul(self, left: sp.Expr, right: sp.Expr, node: ast.AST) -> sp.Expr: ...
    def power(self, base: sp.Expr, exponent: sp.Expr, node: ast.AST) -> sp.Expr: ...
    def shape(self, expr: sp.Expr, node: ast.AST) -> tuple | None: ...
    def is_array(self, expr: sp.Expr, node: ast.AST) -> bool: ...
    def axis(self, node: ast.expr) -> int | None: ...
    def dimension(self, value: sp.Expr, axis: int | None, node: ast.AST) -> sp.Expr: ...
    def size(self, value: sp.Expr, node: ast.AST) -> sp.Expr: ...


ELEMENTWISE = {
    "multiply": operator.mul,
    "add": operator.add,
    "subtract": operator.sub,
    "divide": operator.truediv,
}


def _arity(translator: ArrayTranslator, args: list, count: int, node: ast.Call, name: str) -> None:
    if len(args) != count:
        raise translator.unsupported(
            node, f"{name}() with {len(args)} arguments", f"it takes {count}"
        )


def _dot(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 2, node, "dot")
    if keywords:
        raise tr.unsupported(node, "dot() with keyword arguments")
    if tr.vector and not (tr.is_array(args[0], node) and tr.is_array(args[1], node)):
        return tr.checked(operator.mul, tuple(args), node)  # np.dot of a scalar scales
    return tr.matmul(args[0], args[1], node)


def _outer(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 2, node, "outer")
    if keywords:
        raise tr.unsupported(node, "outer() with keyword arguments")
    if not tr.vector:
        return tr.checked(operator.mul, tuple(args), node)  # numbers: their product
    return tr.outer(args[0], args[1], node)


def _elementwise(kind: str):
    def handler(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
        _arity(tr, args, 2, node, kind)
        if keywords:
            raise tr.unsupported(node, f"{kind}() with keyword arguments")
        return tr.checked(ELEMENTWISE[kind], tuple(args), node)

    return handler


def _power(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 2, node, "power")
    return tr.power(args[0], args[1], node)


def _square(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "square")
    return tr.power(args[0], sp.Integer(2), node)


def _negative(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "negative")
    return -args[0]


def _transpose(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "transpose")
    return T(args[0]) if tr.vector and tr.is_array(args[0], node) else args[0]


def _same(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "array")
    return args[0]


def _matrix(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "matrix")
    tr.matrix_values.add(args[0])
    return args[0]


# (axis, keepdims) -> the op, for 2-d arrays; axis None is every element.
SUMS = {
    (None, False): total,
    (0, False): colsum,
    (0, True): colsum_keepdims,
    (1, False): rowsum_flat,
    (1, True): rowsum,
}
MAXIMA = {
    (None, False): total_max,
    (0, False): colmax,
    (0, True): colmax_keepdims,
    (1, False): rowmax_flat,
    (1, True): rowmax,
}


def _reduction(kind: str):
    """``np.sum``/``np.mean``/``np.max`` and their methods, with ``axis`` (0, 1, -1, None)
    and ``keepdims``; a mean is the sum divided by the number of entries summed."""

    def handler(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
        positional_axis = args[1:] and args.pop(1)
        _arity(tr, args, 1, node, kind)
        axis = keywords.get("axis")
        axis = tr.axis(axis) if axis is not None else _number(tr, positional_axis, node)
        keep = keywords.get("keepdims")
        keepdims = isinstance(keep, ast.Constant) and keep.value is True
        (value,) = args
        if not tr.vector:
            return value
        shape = tr.shape(value, node)
        ndim = 2 if shape is None else len(shape)
        if axis is None and kind == "sum" and _is_builtin_sum(node, tr) and _rows(shape):
            axis = 0  # Python's sum() adds the rows of an array
        if axis is not None and axis < 0:
            axis += ndim
        if ndim < 2 and axis in (0, None) and not keepdims:
            axis = None  # every entry of a vector (or of a number)
        op = (MAXIMA if kind == "max" else SUMS).get((axis, keepdims)) if ndim <= 2 else None
        if op is None or (axis is not None and axis >= ndim):
            raise tr.unsupported(node, f"np.{kind}() over axis {axis} with keepdims={keepdims}")
        result = tr.checked(op, (value,), node)
        return result / _count(tr, value, axis, node) if kind == "mean" else result

    return handler


def _variance(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    """``np.var(x, axis)``: the mean of the squared deviations from the mean over ``axis``
    (NumPy's default, ``ddof=0``; batchnorm's biased variance)."""
    if set(keywords) - {"axis", "keepdims"}:
        raise tr.unsupported(node, "np.var() with ddof or other options", "known: axis, keepdims")
    (value,) = args[:1] or [None]
    if value is None or not tr.vector:
        raise tr.unsupported(node, "np.var() of a number")
    kept = dict(keywords, keepdims=ast.Constant(True))
    mean = _reduction("mean")(tr, [value, *args[1:]], kept, node)
    deviation = value - mean
    return _reduction("mean")(tr, [deviation**2, *args[1:]], keywords, node)


def _rows(shape: tuple | None) -> bool:
    """Whether Python's ``sum()`` of an array of this shape adds rows (not numbers)."""
    return shape is not None and len(shape) == 2 and shape[1] != 1


def _count(tr: ArrayTranslator, value: sp.Expr, axis: int | None, node: ast.AST) -> sp.Expr:
    """How many entries a mean over ``axis`` averages."""
    if axis is not None:
        return tr.dimension(value, axis, node)
    shape = tr.shape(value, node)
    if shape is None:
        raise tr.unsupported(node, "the mean of an array whose shape does not fit")
    return sp.Mul(*[sp.sympify(tr.dimension(value, a, node)) for a in range(len(shape))])


def _is_builtin_sum(node: ast.Call, tr: ArrayTranslator) -> bool:
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == "sum"
        and "sum" not in tr.namespace.functions
    )


def _number(tr: ArrayTranslator, value, node: ast.AST) -> int | None:
    if value in (None, []):
        return None
    if isinstance(value, sp.Integer) and -8 <= value < 8:
        return int(value)
    raise tr.unsupported(node, "an axis that is not a small constant integer")


def _size(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    if not tr.vector or not 1 <= len(args) <= 2 or keywords:
        raise tr.unsupported(node, "this use of size()")
    if len(args) == 1:
        return tr.size(args[0], node)
    return tr.dimension(args[0], _number(tr, args[1], node), node)


def _eye(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "eye")
    (size,) = args
    if not tr.vector:
        raise tr.unsupported(node, "np.eye() in scalar code")
    if not (size.is_Integer or size.free_symbols <= set(tr.space.order)):
        raise tr.unsupported(node, "np.eye() of a size that is not a dimension")
    return eye(size)


GUARD = sp.Rational(1, 10**6)  # a clip bound this close to 0 or 1 only keeps a log finite


def _clip(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    """``np.clip(p, 1e-12, 1 - 1e-12)`` before a log is a guard that never binds where the
    loss is finite: read as ``p`` (with a note), so derivations stay as people write them.
    Any other clip is read exactly."""
    _arity(tr, args, 3, node, "clip")
    value, low, high = args
    if low.is_number and high.is_number and 0 <= low <= GUARD and abs(high - 1) <= GUARD:
        read = ast.unparse(node.args[0]) if node.args else str(value)
        tr.note(node, f"{ast.unparse(node)} is read as {read}: a guard that keeps a log finite")
        return value
    return clip(value, low, high)


def _len(tr: ArrayTranslator, args: list, keywords: dict, node: ast.Call) -> sp.Expr:
    _arity(tr, args, 1, node, "len")
    if not tr.vector:
        raise tr.unsupported(node, "len() of a scalar")
    return tr.dimension(args[0], 0, node)


HANDLERS: dict[str, Callable] = {
    "dot": _dot,
    "outer": _outer,
    "power": _power,
    "square": _square,
    "negative": _negative,
    "transpose": _transpose,
    **{kind: _reduction(kind) for kind in ("sum", "mean", "max")},
    "var": _variance,
    "size": _size,
    "len": _len,
    "eye": _eye,
    "clip": _clip,
    "array": _same,
    "matrix": _matrix,
    **{kind: _elementwise(kind) for kind in ELEMENTWISE},
}
