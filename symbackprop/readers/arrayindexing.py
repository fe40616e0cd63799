"""Indexing in hand-written NumPy, read into array ops (never run): slices, new axes, labels.

- slices with any bounds, negative ones included: ``a[:-1]``, ``a[2:]``, ``dz[:, :H]``,
  ``dz[:, H:]``, a column ``a[:, 0]``, and reversals ``a[::-1]``, ``a[:, ::-1]``;
- new axes: ``v[:, None]``, ``v[:, np.newaxis]`` (a column), ``v[None, :]`` (a row);
- integer labels: ``probs[np.arange(N), y]`` (each row's entry at its label: the row sum of
  ``probs`` times the one-hot matrix of ``y``), ``np.eye(C)[y]`` (that one-hot matrix), and
  ``W[idx]`` (the rows of W that ``idx`` names: ``onehot(idx) @ W``);
- the writes :mod:`~symbackprop.readers.arraywrites` turns into assignments:
  ``dscores[np.arange(N), y] -= 1`` and ``np.add.at(dW, idx, dout)``.

Labels are vectors of class indices, an input of the model like any other.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Protocol

import sympy as sp

from symbackprop.errors import ShapeError, UnsupportedConstruct
from symbackprop.ir.ops import (
    T,
    col_slice,
    colsum,
    column,
    dot,
    flat,
    onehot,
    reversed_cols,
    reversed_rows,
    row_slice,
    rowsum,
    total,
)
from symbackprop.readers.arraywrites import AddAt, LabelWrite, is_range
from symbackprop.readers.dims import DimSpace
from symbackprop.readers.whitelist import Namespace, qualified_name

KNOWN = (
    "known: a[i:j], a[:, i:j] with any bounds, a[:, k], v[:, None], "
    "probs[np.arange(N), y], np.eye(C)[y], W[idx]"
)

MAX_WRITTEN_SIZE = 1000


class IndexingTranslator(Protocol):
    """What the reading of indices uses of the array translator."""

    vector: bool
    file: str
    namespace: Namespace
    space: DimSpace | None

    def visit(self, node: ast.AST) -> sp.Expr: ...
    def unsupported(self, node: ast.AST, what: str, hint: str = "") -> UnsupportedConstruct: ...
    def checked(self, function: Callable, args: tuple, node: ast.AST) -> sp.Expr: ...
    def shape(self, expr: sp.Expr, node: ast.AST) -> tuple | None: ...


# -- the parts of an index ---------------------------------------------------------------------
def _kind(tr: IndexingTranslator, part: ast.expr) -> str:
    if isinstance(part, ast.Slice):
        full = part.lower is None and part.upper is None and part.step is None
        return "all" if full else "slice"
    if (isinstance(part, ast.Constant) and part.value is None) or (
        isinstance(part, ast.Attribute) and qualified_name(part, tr.namespace) == "numpy.newaxis"
    ):
        return "new"
    if _constant_int(part) is not None:
        return "int"
    if is_range(part, tr.namespace):
        return "rows"
    return "labels"


def _constant_int(node: ast.expr) -> int | None:
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    inner = node.operand if negative else node
    if isinstance(inner, ast.Constant) and type(inner.value) is int:
        return -inner.value if negative else inner.value
    return None


def size_of(tr: IndexingTranslator, node: ast.expr) -> sp.Expr:
    """A size or a bound: a whole number, or an expression in the array dimensions."""
    number = _constant_int(node)
    value = sp.Integer(number) if number is not None else tr.visit(node)
    dims = set(tr.space.order) if tr.space is not None else set()
    if any(abs(number) > MAX_WRITTEN_SIZE for number in value.atoms(sp.Number)):
        # the checker evaluates at small sizes: a larger written one would only allocate
        raise tr.unsupported(node, f"a size or bound over {MAX_WRITTEN_SIZE} written as a number")
    if value.is_Integer or (not value.is_number and value.free_symbols <= dims):
        return value
    raise tr.unsupported(node, "a size or bound that is not a whole number or a dimension")


def shape_of(tr: IndexingTranslator, value: sp.Expr, node: ast.AST) -> tuple:
    shape = tr.shape(value, node)
    if shape is None:
        raise ShapeError("the array indexed has no shape that fits", file=tr.file, line=node.lineno)
    return shape


# -- subscripts ----------------------------------------------------------------------------------
def subscript(tr: IndexingTranslator, node: ast.Subscript) -> sp.Expr | None:
    """The value of ``node`` in array mode; None for constant element indices (``w[0]``)."""
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    kinds = [_kind(tr, part) for part in parts]
    if not tr.vector or (_elements(kinds, parts) and isinstance(node.value, ast.Name)):
        return None
    count = _eye(tr, node.value)
    if count is not None:
        if kinds != ["labels"]:
            raise tr.unsupported(node, "this index of np.eye()", "write np.eye(C)[y]")
        return tr.checked(onehot, (labels(tr, parts[0]), count), node)
    value = tr.visit(node.value)
    shape = shape_of(tr, value, node)
    reader = _READERS.get((len(shape), tuple(kinds)))
    if reader is None:
        raise tr.unsupported(node, f"this index of an array of {len(shape)} dimensions", KNOWN)
    return reader(tr, value, shape, parts, node)


def _elements(kinds: list[str], parts: list[ast.expr]) -> bool:
    """``w[0]``, ``w[1, 2]``: elements of a leaf, read by name (a negative index is not)."""
    return all(kind == "int" for kind in kinds) and all(_constant_int(p) >= 0 for p in parts)


def _eye(tr: IndexingTranslator, node: ast.expr) -> sp.Expr | None:
    """C for ``np.eye(C)`` (or ``np.identity(C)``), else None."""
    if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
        return None
    if qualified_name(node.func, tr.namespace) not in ("numpy.eye", "numpy.identity"):
        return None
    return size_of(tr, node.args[0])


def labels(tr: IndexingTranslator, node: ast.expr) -> sp.Expr:
    value = tr.visit(node)
    shape = tr.shape(value, node)
    if shape is not None and len(shape) != 1:
        raise ShapeError(
            f"labels used as an index must be a vector of class numbers, not shape {shape}",
            file=tr.file,
            line=node.lineno,
        )
    return value


def _bounds(tr: IndexingTranslator, part: ast.Slice, size: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    if part.step is not None and _constant_int(part.step) != 1:
        raise tr.unsupported(part, "a slice with a step", KNOWN)
    start = sp.S.Zero if part.lower is None else size_of(tr, part.lower)
    stop = sp.sympify(size) if part.upper is None else size_of(tr, part.upper)
    # a negative bound counts from the end, as in NumPy
    start, stop = (size + b if b.is_number and b < 0 else b for b in (start, stop))
    return start, stop


def _cut(tr, value, shape, part, axis: int, node) -> sp.Expr:
    if not isinstance(part, ast.Slice) or _kind(tr, part) == "all":
        return value
    if part.lower is None and part.upper is None and _constant_int(part.step) == -1:
        return tr.checked(reversed_rows if axis == 0 else reversed_cols, (value,), node)
    start, stop = _bounds(tr, part, sp.sympify(shape[axis]))
    return tr.checked(row_slice if axis == 0 else col_slice, (value, start, stop), node)


def _vector_slice(tr, value, shape, parts, node):
    return _cut(tr, value, shape, parts[0], 0, node)


def _matrix_slice(tr, value, shape, parts, node):
    rows = _cut(tr, value, shape, parts[0], 0, node)
    if len(parts) == 1:
        return rows
    return _cut(tr, rows, shape_of(tr, rows, node), parts[1], 1, node)


def _one_column(tr, value, shape, parts, node):
    rows = _cut(tr, value, shape, parts[0], 0, node)
    k = _position(tr, parts[1], shape[1], node)
    return tr.checked(flat, (tr.checked(col_slice, (rows, k, k + 1), node),), node)


def _one_row(tr, value, shape, parts, node):
    k = _position(tr, parts[0], shape[0], node)
    row = tr.checked(row_slice, (value, k, k + 1), node)
    if len(parts) == 2:
        row = _cut(tr, row, shape_of(tr, row, node), parts[1], 1, node)
    return tr.checked(flat, (T(row),), node)


def _position(tr, part: ast.expr, size, node) -> sp.Expr:
    k = sp.Integer(_constant_int(part))
    return sp.sympify(size) + k if k < 0 else k


def _one_element(tr, value, shape, parts, node):
    k = _position(tr, parts[0], shape[0], node)
    return tr.checked(total, (tr.checked(row_slice, (value, k, k + 1), node),), node)


def _as_column(tr, value, shape, parts, node):
    return tr.checked(column, (_cut(tr, value, shape, parts[0], 0, node),), node)


def _as_row(tr, value, shape, parts, node):
    sliced = _cut(tr, value, shape, parts[-1], 0, node)
    return tr.checked(T, (tr.checked(column, (sliced,), node),), node)


def _picked(tr, value, shape, parts, node):
    """``probs[np.arange(N), y]``: in each row, the entry in the column of its label."""
    _every_row(tr, parts[0], shape[0], node)
    chosen = tr.checked(onehot, (labels(tr, parts[1]), shape[1]), node)
    return tr.checked(flat, (rowsum(tr.checked(lambda a, b: a * b, (value, chosen), node)),), node)


def _picked_per_column(tr, value, shape, parts, node):
    """``A2[y, np.arange(m)]`` (samples as columns): in each column, the entry in the row of
    its label."""
    _every_row(tr, parts[1], shape[1], node)
    chosen = tr.checked(onehot, (labels(tr, parts[0]), shape[0]), node)
    return colsum(tr.checked(lambda a, b: a * b, (value, T(chosen)), node))


def _every_row(tr: IndexingTranslator, rows: ast.Call, count, node: ast.AST) -> None:
    """``np.arange(N)`` must name every row, in order, for a label to pick in each row."""
    if len(rows.args) != 1 or rows.keywords:
        raise tr.unsupported(rows, "rows other than np.arange(N)", KNOWN)
    named = size_of(tr, rows.args[0])
    if tr.space is not None and not tr.space.unify(named, count):
        raise ShapeError(
            f"the rows {ast.unparse(rows)} are not every row of an array of {count} rows",
            file=tr.file,
            line=node.lineno,
        )


def _gathered_rows(tr, value, shape, parts, node):
    """``W[idx]``: the rows of W that idx names, in its order (an embedding's lookup)."""
    chosen = tr.checked(onehot, (labels(tr, parts[0]), shape[0]), node)
    if len(shape) == 1:
        return tr.checked(flat, (dot(chosen, column(value)),), node)
    return tr.checked(dot, (chosen, value), node)


_READERS = {
    (1, ("slice",)): _vector_slice,
    (1, ("all", "new")): _as_column,
    (1, ("slice", "new")): _as_column,
    (1, ("new",)): _as_row,
    (1, ("new", "all")): _as_row,
    (1, ("new", "slice")): _as_row,
    (1, ("labels",)): _gathered_rows,
    (1, ("int",)): _one_element,
    (2, ("slice",)): _matrix_slice,
    (2, ("slice", "all")): _matrix_slice,
    (2, ("all", "slice")): _matrix_slice,
    (2, ("slice", "slice")): _matrix_slice,
    (2, ("all", "int")): _one_column,
    (2, ("slice", "int")): _one_column,
    (2, ("int",)): _one_row,
    (2, ("int", "all")): _one_row,
    (2, ("int", "slice")): _one_row,
    (2, ("rows", "labels")): _picked,
    (2, ("labels", "rows")): _picked_per_column,
    (2, ("labels",)): _gathered_rows,
    (2, ("labels", "all")): _gathered_rows,
}


# -- writes into arrays (made assignments by arraywrites) ------------------------------------
def label_write(tr: IndexingTranslator, node: LabelWrite) -> sp.Expr:
    """``a[np.arange(N), y] -= v`` (or ``+=``, ``=``): a changed at each row's label."""
    if not tr.vector:
        raise tr.unsupported(node, "writing into an array in scalar code")
    base = None if node.array is None else tr.visit(node.array)
    classes, samples = (0, 1) if node.columns else (1, 0)
    width = size_of(tr, node.width) if base is None else shape_of(tr, base, node)[classes]
    chosen = tr.checked(onehot, (labels(tr, node.labels), width), node)
    if node.columns:
        chosen = T(chosen)
    if base is not None:
        _every_row(tr, node.rows, shape_of(tr, base, node)[samples], node)
    value = tr.visit(node.value)
    value_shape = tr.shape(value, node)
    if value_shape is not None and len(value_shape) == 1:
        value = tr.checked(column, (value,), node)  # one value per sample
        value = T(value) if node.columns else value
    written = tr.checked(lambda a, b: a * b, (value, chosen), node)
    if base is None:
        return written
    if node.op == "set":
        return tr.checked(lambda a, o, w: a * (1 - o) + w, (base, chosen, written), node)
    sign = -1 if node.op == "sub" else 1
    return tr.checked(lambda a, w: a + sign * w, (base, written), node)


def add_at(tr: IndexingTranslator, node: AddAt) -> sp.Expr:
    """``np.add.at(dW, idx, dout)``: row ``idx[i]`` of dW gains row ``i`` of dout."""
    if not tr.vector:
        raise tr.unsupported(node, "np.add.at() in scalar code")
    base = None if node.array is None else tr.visit(node.array)
    if base is not None and not shape_of(tr, base, node):
        raise tr.unsupported(node, "np.add.at() into a value of no known shape")
    count = size_of(tr, node.rows) if base is None else shape_of(tr, base, node)[0]
    chosen = tr.checked(onehot, (labels(tr, node.indices), count), node)
    added = tr.checked(dot, (T(chosen), tr.visit(node.values)), node)
    return added if base is None else tr.checked(lambda a, b: a + b, (base, added), node)
