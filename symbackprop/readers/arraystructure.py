"""NumPy calls that rearrange arrays, read into array ops (never run): ``np.einsum`` with the
subscripts layers use, ``reshape``/``ravel``/``flatten``/``np.expand_dims`` of vectors and
columns, ``np.concatenate``/``np.vstack``/``np.hstack`` of arrays, ``copy``, and a row maximum
``np.max(a, axis=1, keepdims=True)`` (the shift of a softmax written out).

Each reader gets the translator, the call's ast (these calls hold strings, tuples of sizes or
lists of arrays, which are not values) and the translated subject of a method call.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops import (
    T,
    colsum,
    column,
    concat_cols,
    concat_rows,
    dot,
    flat,
    rowsum,
    total,
)
from symbackprop.readers.arrayindexing import IndexingTranslator, shape_of, size_of

# -- einsum --------------------------------------------------------------------------------------
# Keyed by subscripts with their letters renamed in order of appearance ('ab,bc->ac' is
# 'ij,jk->ik'); each builds the op from the operands.
_mul = operator.mul
_EINSUM: dict[str, Callable[..., sp.Expr]] = {
    "ij,jk->ik": dot,
    "ij,kj->ik": lambda a, b: dot(a, T(b)),
    "ij,ik->jk": lambda a, b: dot(T(a), b),
    "ij,jk->ki": lambda a, b: T(dot(a, b)),
    "ij,kj->ki": lambda a, b: dot(b, T(a)),
    "ij,ik->kj": lambda a, b: dot(T(b), a),
    "ij,j->i": lambda a, b: flat(dot(a, column(b))),
    "i,ij->j": lambda a, b: flat(dot(T(column(a)), b)),
    "ij->j": colsum,
    "ij->i": lambda a: flat(rowsum(a)),
    "ij->": total,
    "i->": total,
    "ij->ji": T,
    "ij->ij": lambda a: a,
    "ij,ij->": lambda a, b: total(a * b),
    "ij,ij->i": lambda a, b: flat(rowsum(a * b)),
    "ij,ij->j": lambda a, b: colsum(a * b),
    "ij,ij->ij": _mul,
    "i,i->": lambda a, b: total(a * b),
    "i,i->i": _mul,
    "i,j->ij": lambda a, b: column(a) * b,
}
_LETTERS = "ijklmnopqrstuvwxyzabcdefgh"


def renamed(subscripts: str) -> str:
    """``'ab,bc->ac'`` -> ``'ij,jk->ik'``: letters in order of first appearance."""
    names: dict[str, str] = {}
    for letter in subscripts:
        if letter.isalpha() and letter not in names:
            names[letter] = _LETTERS[len(names) % len(_LETTERS)]
    return "".join(names.get(c, c) for c in subscripts.replace(" ", ""))


_KNOWN_EINSUM = "known: " + ", ".join(sorted({k for k in _EINSUM if renamed(k) == k}))


def _einsum(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    first = node.args[0] if node.args else None
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)) or node.keywords:
        raise tr.unsupported(node, "np.einsum() without a subscripts string first")
    subscripts = first.value.replace(" ", "")
    build = _EINSUM.get(renamed(subscripts))
    operands = [tr.visit(arg) for arg in node.args[1:]]
    inputs = subscripts.split("->")[0].split(",")
    if build is None or "->" not in subscripts or len(inputs) != len(operands):
        raise tr.unsupported(node, f"np.einsum('{subscripts}')", _KNOWN_EINSUM)
    for operand, letters in zip(operands, inputs, strict=True):
        shape = tr.shape(operand, node)
        if shape is not None and len(shape) != len(letters):
            raise ShapeError(
                f"np.einsum('{subscripts}'): '{letters}' names {len(letters)} axes of an "
                f"array of shape {shape}",
                file=tr.file,
                line=node.lineno,
            )
    return tr.checked(build, tuple(operands), node)


# -- reshaping -----------------------------------------------------------------------------------
def _reshape(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    args = list(node.args)
    if subject is None:  # np.reshape(a, sizes)
        if not args:
            raise tr.unsupported(node, "np.reshape() without an array")
        subject = tr.visit(args.pop(0))
    if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
        args = list(args[0].elts)
    if len(args) == 1 and isinstance(args[0], ast.Starred):  # reshape(*x.shape)
        args = [args[0].value]
    if len(args) == 1 and isinstance(args[0], ast.Attribute) and args[0].attr == "shape":
        # ``dx.reshape(x.shape)``: back to the shape of another array
        like = shape_of(tr, tr.visit(args[0].value), node)
        return _reshaped(tr, subject, list(like), node)
    if node.keywords or not 1 <= len(args) <= 2:
        raise tr.unsupported(node, "this reshape", "known: reshape(-1), reshape(N, -1)")
    sizes = [size_of(tr, arg) for arg in args]
    return _reshaped(tr, subject, sizes, node)


def _reshaped(tr: IndexingTranslator, value: sp.Expr, sizes: list, node: ast.AST) -> sp.Expr:
    shape = shape_of(tr, value, node)
    if len(sizes) == 1:
        return _flattened(tr, value, shape, node)
    if len(shape) == 1:  # a vector as a column (n, 1) or a row (1, n)
        if sizes[1] == 1 or (sizes[0] != 1 and _fits(tr, sizes[0], shape[0])):
            return tr.checked(column, (value,), node)
        if sizes[0] == 1:
            return tr.checked(T, (tr.checked(column, (value,), node),), node)
    if len(shape) == 2 and all(
        size == -1 or _fits(tr, size, dim) for size, dim in zip(sizes, shape, strict=True)
    ):
        return value  # the same shape: nothing moves
    raise tr.unsupported(
        node,
        f"reshaping an array of shape {shape} to {tuple(sizes)}",
        "known: a vector to (-1, 1) or (1, -1), a column or row to (-1,), a matrix to its shape",
    )


def _fits(tr: IndexingTranslator, size, dim) -> bool:
    """Whether ``size`` is ``dim``, or can be made so (in the forward pass)."""
    return tr.space is None or tr.space.unify(size, dim)


def _flattened(tr: IndexingTranslator, value: sp.Expr, shape: tuple, node: ast.AST) -> sp.Expr:
    if len(shape) == 1:
        return value
    # samples are rows: an array of one free column is taken for a column, as it must be
    if len(shape) == 2 and _fits(tr, shape[1], 1):
        return tr.checked(flat, (value,), node)
    if len(shape) == 2 and _fits(tr, shape[0], 1):
        return tr.checked(flat, (tr.checked(T, (value,), node),), node)
    raise tr.unsupported(
        node, f"flattening an array of shape {shape}", "known: a column (n, 1) or a row (1, n)"
    )


def _ravel(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    args = [tr.visit(arg) for arg in node.args]
    if subject is not None:
        args.insert(0, subject)
    if len(args) != 1 or node.keywords:
        raise tr.unsupported(node, "ravel() or flatten() with arguments")
    return _flattened(tr, args[0], shape_of(tr, args[0], node), node)


def _squeeze(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    """``np.squeeze(cost)`` of a number (a loss summed to one value): the number itself."""
    args = [tr.visit(arg) for arg in node.args]
    if subject is not None:
        args.insert(0, subject)
    if len(args) != 1 or node.keywords or shape_of(tr, args[0], node) != ():
        raise tr.unsupported(node, "np.squeeze() of anything but a single number")
    return args[0]


def _expand_dims(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    keywords = {k.arg: k.value for k in node.keywords}
    args = list(node.args)
    if len(args) == 1 and set(keywords) == {"axis"}:
        args.append(keywords["axis"])
    elif keywords or len(args) != 2:
        raise tr.unsupported(node, "this np.expand_dims()", "write np.expand_dims(v, 1)")
    value, axis = tr.visit(args[0]), size_of(tr, args[1])
    if len(shape_of(tr, value, node)) != 1 or axis not in (0, 1, -1):
        raise tr.unsupported(node, "np.expand_dims() of anything but a vector")
    made = tr.checked(column, (value,), node)
    return made if axis != 0 else tr.checked(T, (made,), node)


def _constant_axis(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


# -- concatenation -------------------------------------------------------------------------------
def _concatenate(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
    keywords = {k.arg: k.value for k in node.keywords}
    axis_node = keywords.pop("axis", node.args[1] if len(node.args) == 2 else None)
    if keywords or not 1 <= len(node.args) <= 2:
        raise tr.unsupported(node, "this np.concatenate()", "write np.concatenate((a, b), axis=1)")
    axis = 0 if axis_node is None else _constant_axis(axis_node)
    return join(tr, node, node.args[0], axis)


def join(
    tr: IndexingTranslator,
    node: ast.Call,
    parts_node: ast.expr,
    axis: int | None,
    stacked: bool = False,
):
    """The arrays listed in ``parts_node`` joined along ``axis`` (``np.hstack`` of vectors
    joins them along their only axis)."""
    if not isinstance(parts_node, ast.Tuple | ast.List) or len(parts_node.elts) < 2:
        raise tr.unsupported(node, "joining anything but a tuple or list of arrays")
    parts = [tr.visit(part) for part in parts_node.elts]
    rank = len(shape_of(tr, parts[0], node))
    if rank == 1 and axis == 1:
        axis = 0
    elif rank == 1 and stacked:  # np.vstack makes vectors the rows of a new matrix
        raise tr.unsupported(node, "np.vstack() of vectors", "stack columns: np.hstack")
    if axis not in (0, 1) or rank <= axis:
        raise tr.unsupported(node, f"joining arrays of {rank} dimensions along axis {axis}")
    op = concat_rows if axis == 0 else concat_cols
    joined = parts[0]
    for part in parts[1:]:
        joined = tr.checked(op, (joined, part), node)
    return joined


def _stack(axis: int):
    def reader(tr: IndexingTranslator, node: ast.Call, subject) -> sp.Expr:
        if node.keywords or len(node.args) != 1:
            raise tr.unsupported(node, "this stacking call", "write np.hstack((a, b))")
        return join(tr, node, node.args[0], axis, stacked=axis == 0)

    return reader


CALL_READERS: dict[str, Callable] = {
    "einsum": _einsum,
    "reshape": _reshape,
    "ravel": _ravel,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "concatenate": _concatenate,
    "vstack": _stack(0),
    "hstack": _stack(1),
}
