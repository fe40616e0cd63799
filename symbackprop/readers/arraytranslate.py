"""Translate hand-written NumPy expressions into vector-mode SymPy, never running them.

The base :class:`~symbackprop.readers.translate.Translator` reads scalar code; this subclass adds
what backprop code in NumPy writes: ``a.dot(b)``, ``np.dot``, ``@`` and ``a.T``; sums, means
and maxima over an axis; ``np.multiply`` and friends; ``np.vstack((np.ones((1, m)), a))`` and
``a[1:]``; arrays of one value (``np.ones((1, m))``, ``np.zeros_like(W)``) and ``np.eye(n)``;
sizes (``a.shape[0]``, ``a.size``, ``size(a, 1)``, ``len(a)``). With ``numpy.matrix`` operands
``*`` is the matrix product, as NumPy makes it. In scalar mode the same spellings mean plain
products. Other indexing (slices, new axes, integer labels) is read by
:mod:`~symbackprop.readers.arrayindexing`, and calls that rearrange arrays (``np.einsum``,
``reshape``, concatenations) by :mod:`~symbackprop.readers.arraystructure`.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping

import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops import Shape, T, column, dot, filled, flat, total
from symbackprop.ir.ops.stacking import (
    after_first_column,
    after_first_row,
    bias_column,
    bias_row,
    zero_column,
    zero_row,
)
from symbackprop.readers.arrayfunctions import HANDLERS
from symbackprop.readers.arrayindexing import add_at, label_write, subscript
from symbackprop.readers.arraystructure import CALL_READERS
from symbackprop.readers.dims import DimSpace
from symbackprop.readers.translate import Translator
from symbackprop.readers.whitelist import (
    ARRAY_FUNCTIONS,
    ARRAY_METHODS,
    FILLS,
    Namespace,
    describe,
    qualified_name,
)

_STACKS = {("vstack", 1): bias_row, ("vstack", 0): zero_row}
_HSTACKS = {("hstack", 1): bias_column, ("hstack", 0): zero_column}


class ArrayTranslator(Translator):
    """Vector-mode translation with shapes; ``space`` None means scalar mode."""

    def __init__(
        self,
        file: str,
        namespace: Namespace,
        helpers: Mapping[str, ast.FunctionDef],
        resolve_global: Callable,
        *,
        space: DimSpace | None = None,
        shapes: Mapping[str, Shape] | None = None,
        matrices: set[str] | None = None,
        lenient: bool = False,
    ):
        super().__init__(file, namespace, helpers, resolve_global)
        self.lenient = lenient  # shapes that do not fit are left for the checker to explain
        self.space = space
        self.shapes = shapes if shapes is not None else {}
        self.matrix_names = matrices if matrices is not None else set()
        self.matrix_values: set[sp.Expr] = set()
        self.shapeless: set[str] = set()  # values whose shape did not fit (lenient mode)
        self.notes: list[str] = []  # how a line was read, where that is worth saying

    @property
    def vector(self) -> bool:
        return self.space is not None

    # -- shapes and numpy.matrix ----------------------------------------------------------------
    def shape(self, expr: sp.Expr, node: ast.AST) -> Shape | None:
        """The shape of ``expr``; None when it does not fit and this translator is lenient."""
        if not self.vector:
            return ()
        if self.shapeless and any(s.name in self.shapeless for s in expr.free_symbols):
            return None
        try:
            return self.space.shape(expr, self.shapes)
        except ShapeError as error:
            if self.lenient:
                return None
            line = getattr(node, "lineno", None)
            raise ShapeError(error.message, file=self.file, line=line) from None

    def is_array(self, expr: sp.Expr, node: ast.AST) -> bool:
        shape = self.shape(expr, node)
        return shape is None or len(shape) > 0

    def is_matrix(self, expr: sp.Expr) -> bool:
        """Whether NumPy would make ``expr`` a ``numpy.matrix`` (matrices are contagious)."""
        if expr in self.matrix_values:
            return True
        if isinstance(expr, sp.Symbol):
            return expr.name in self.matrix_names
        if expr.is_number or isinstance(expr, total):
            return False
        return any(self.is_matrix(arg) for arg in expr.args)

    def note(self, node: ast.AST, text: str) -> None:
        line = getattr(node, "lineno", None)
        noted = f"line {line}: {text}" if line is not None else text
        if noted not in self.notes:
            self.notes.append(noted)

    # -- operators ------------------------------------------------------------------------------
    def visit_BinOp(self, node: ast.BinOp) -> sp.Expr:
        if not isinstance(node.op, ast.MatMult | ast.Mult | ast.Pow):
            return super().visit_BinOp(node)
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            if self.is_matrix(left):
                raise self.unsupported(
                    node, "'**' of a numpy.matrix (a matrix power)", "use np.power"
                )
            return self.power(left, right, node)
        if isinstance(node.op, ast.MatMult) or self._matrix_product(left, right, node):
            return self.matmul(left, right, node)
        try:
            return self.checked(operator.mul, (left, right), node)
        except ShapeError as error:
            hint = (
                "; '*' multiplies elementwise: for a matrix product write @, or pass "
                "--matrix NAMES when the operands are numpy.matrix"
            )
            raise ShapeError(error.message + hint, file=error.file, line=error.line) from None

    def _matrix_product(self, left: sp.Expr, right: sp.Expr, node: ast.AST) -> bool:
        if not (self.is_matrix(left) or self.is_matrix(right)):
            return False
        shapes = [self.shape(side, node) for side in (left, right)]
        return all(shape is None or len(shape) == 2 for shape in shapes)

    def matmul(self, left: sp.Expr, right: sp.Expr, node: ast.AST) -> sp.Expr:
        if not self.vector:
            return self.apply(operator.mul, (left, right), node)
        shapes = self._shapes(left, right, node)
        ranks = [len(shape) if shape is not None else 2 for shape in shapes]
        if ranks == [2, 1]:  # A @ v: the product with v as a column, flattened back
            return self.checked(lambda a, v: flat(dot(a, column(v))), (left, right), node)
        if ranks == [1, 2]:  # v @ A = A.T @ v
            return self.checked(lambda v, a: flat(dot(T(a), column(v))), (left, right), node)
        if ranks == [1, 1]:  # u @ v: the inner product
            self.checked(operator.mul, (left, right), node)  # the lengths must agree
            return self.apply(lambda u, v: total(u * v), (left, right), node)
        return self.checked(dot, (left, right), node)

    def outer(self, left: sp.Expr, right: sp.Expr, node: ast.AST) -> sp.Expr:
        """``np.outer(u, v)``: u as a column times v as a row."""
        for shape in self._shapes(left, right, node):
            if shape is not None and len(shape) != 1:
                raise self.unsupported(node, "np.outer() of an array that is not a vector")
        return self.checked(lambda u, v: dot(column(u), T(column(v))), (left, right), node)

    def _shapes(self, left: sp.Expr, right: sp.Expr, node: ast.AST) -> list:
        return [self.shape(side, node) for side in (left, right)]

    def checked(self, function: Callable, args: tuple, node: ast.AST) -> sp.Expr:
        """Apply, then check (and unify) the result's shape, so a bad line names itself."""
        result = self.apply(function, args, node)
        self.shape(result, node)
        return result

    # -- attributes and subscripts ---------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> sp.Expr:
        if node.attr == "T" and self._module_path(node) is None:
            value = self.visit(node.value)
            return T(value) if self.vector and self.is_array(value, node) else value
        if node.attr == "size" and self.vector and self._module_path(node) is None:
            return self.size(self.visit(node.value), node)
        return super().visit_Attribute(node)

    def visit_Subscript(self, node: ast.Subscript) -> sp.Expr:
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "shape":
            return self.dimension(self.visit(value.value), self.axis(node.slice), node)
        stacked = _slice_op(node.slice)
        if stacked is not None:
            if not self.vector:
                raise self.unsupported(node, "slicing a scalar")
            sliced = self.visit(value)
            shape = self.shape(sliced, node)
            if shape is None or len(shape) == 2:  # a vector's v[1:] is a general slice
                return self.checked(stacked, (sliced,), node)
        indexed = subscript(self, node)
        if indexed is not None:
            return indexed
        if isinstance(node.slice, ast.Slice) or _has_slice(node.slice):
            raise self.unsupported(node, "this slice", "known: a[1:], a[:, 1:]")
        return super().visit_Subscript(node)

    # writes into arrays, made assignments by symbackprop.readers.arraywrites
    visit_LabelWrite = label_write
    visit_AddAt = add_at

    def axis(self, node: ast.expr) -> int | None:
        """A constant axis: ``1``, ``-1`` (counted from the last), or ``None`` (every axis)."""
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        sign = 1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            sign, node = -1, node.operand
        if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value < 8:
            return sign * node.value
        raise self.unsupported(node, "an axis that is not a small constant integer")

    def dimension(self, value: sp.Expr, axis: int | None, node: ast.AST) -> sp.Expr:
        shape = self.shape(value, node)
        if shape is None:
            raise self.unsupported(node, "the size of an array whose shape does not fit")
        if axis is None or not -len(shape) <= axis < len(shape):
            raise self.unsupported(node, f"axis {axis} of an array with {len(shape)} dimensions")
        return sp.sympify(self.space.resolve(shape[axis]))

    def size(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        """``a.size``, ``np.size(a)``: how many entries ``a`` has."""
        shape = self.shape(value, node)
        if shape is None:
            raise self.unsupported(node, "the size of an array whose shape does not fit")
        return sp.Mul(*[self.dimension(value, axis, node) for axis in range(len(shape))])

    # -- calls ----------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> sp.Expr:
        kind = self._array_kind(node.func)
        if kind is not None:
            return self._array_call(kind, node, None)
        func = node.func
        is_method = isinstance(func, ast.Attribute) and self._module_path(func) is None
        if is_method and func.attr in ARRAY_METHODS:
            subject = self.visit(func.value)
            return self._array_call(ARRAY_METHODS[func.attr], node, subject)
        return super().visit_Call(node)

    def _array_kind(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Name):
            if func.id in self.helpers or func.id in self._bindings[-1]:
                return None
            return ARRAY_FUNCTIONS.get(self.namespace.functions.get(func.id, func.id))
        if isinstance(func, ast.Attribute):
            qualified = self._module_path(func)
            return ARRAY_FUNCTIONS.get(qualified) if qualified else None
        return None

    def _array_call(self, kind: str, node: ast.Call, subject: sp.Expr | None) -> sp.Expr:
        if any(isinstance(arg, ast.Starred) for arg in node.args) and not _shape_spread(node):
            raise self.unsupported(node, "a call with starred arguments")
        if kind in ("vstack", "hstack"):
            return self._stack(kind, node)
        if kind in FILLS:
            return self._fill(kind, node, subject)
        if kind in CALL_READERS:
            if not self.vector:
                raise self.unsupported(node, f"{kind}() in scalar code")
            return CALL_READERS[kind](self, node, subject)
        keywords = {k.arg: k.value for k in node.keywords}
        if kind == "array":  # np.array(dA, copy=True): the same values, as numbers
            keywords = {k: v for k, v in keywords.items() if k != "copy"}
            if "dtype" in keywords and _is_float_type(keywords["dtype"]):
                del keywords["dtype"]
        if None in keywords or set(keywords) - {"axis", "keepdims"}:
            raise self.unsupported(node, "a call with these keyword arguments")
        if kind == "clip" and len(node.args) == 3 and subject is None:
            one_sided = _one_sided_clip(node)
            if one_sided is not None:
                return self.visit(one_sided)
        args = [self.visit(arg) for arg in node.args]
        if subject is not None:
            args.insert(0, subject)
        return HANDLERS[kind](self, args, keywords, node)

    def _fill(self, kind: str, node: ast.Call, subject: sp.Expr | None) -> sp.Expr:
        """``np.zeros_like(W)``, ``np.ones((m, 1))``, ``np.full(shape, v)``: an array of one
        value that keeps its shape (where the shape does not fit, the value alone)."""
        keywords = {k.arg for k in node.keywords}
        count = 1 + kind.startswith("full")
        if subject is not None or len(node.args) != count or keywords - {"dtype"}:
            raise self.unsupported(node, f"this call of np.{kind}()")
        value = self.visit(node.args[1]) if count == 2 else sp.Integer(FILLS[kind])
        if not self.vector or value == 0:
            return value  # zeros start sums and masks: their shape is the other term's
        if kind.endswith("_like"):
            shape = self.shape(self.visit(node.args[0]), node)
        else:
            shape = self._fill_shape(node.args[0])
        return value if shape is None else filled(value, *shape)

    def _fill_shape(self, node: ast.expr) -> tuple:
        """The sizes ``(m, 1)``, ``m`` or ``X.shape`` ask for, as dimensions."""
        if isinstance(node, ast.Attribute) and node.attr == "shape":
            return self.shape(self.visit(node.value), node)
        parts = node.elts if isinstance(node, ast.Tuple | ast.List) else [node]
        sizes = tuple(self.visit(part) for part in parts)
        if not all(size.is_integer or size.free_symbols <= set(self.space.order) for size in sizes):
            raise self.unsupported(node, "an array size that is not a dimension")
        return sizes

    def _stack(self, kind: str, node: ast.Call) -> sp.Expr:
        parts = (
            node.args[0].elts
            if len(node.args) == 1 and isinstance(node.args[0], ast.Tuple | ast.List)
            else None
        )
        if self.vector and parts and not _is_constant_block(parts[0], self.namespace):
            return CALL_READERS[kind](self, node, None)  # arrays joined, not a bias unit
        if node.keywords or parts is None or len(parts) != 2:
            raise self.unsupported(node, f"np.{kind}() of anything but (np.ones(...), array)")
        fill, block = self._constant_block(parts[0])
        op = (_STACKS if kind == "vstack" else _HSTACKS).get((kind, fill))
        if op is None:
            raise self.unsupported(node, f"np.{kind}() with a first block of {fill}s")
        value = self.visit(parts[1])
        result = self.checked(op, (value,), node)
        along = 1 if kind == "vstack" else 0
        shape = self.shape(value, node)
        fits = shape is None or self.space.unify(block[along], shape[along])
        if block[1 - along] != 1 or not fits:
            raise ShapeError(
                f"np.{kind}() of blocks whose sizes do not match", file=self.file, line=node.lineno
            )
        return result

    def _constant_block(self, node: ast.expr) -> tuple[int, tuple]:
        """``np.ones((1, m))`` -> (1, (1, m))."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and len(node.args) == 1
        ):
            name = (
                self._module_path(node.func)
                if isinstance(node.func, ast.Attribute)
                else self.namespace.functions.get(node.func.id)
            )
            fill = {"numpy.ones": 1, "numpy.zeros": 0}.get(name or "")
            if (
                fill is not None
                and isinstance(node.args[0], ast.Tuple)
                and len(node.args[0].elts) == 2
            ):
                return fill, tuple(self.visit(elt) for elt in node.args[0].elts)
        raise self.unsupported(
            node, f"{describe(node)} as a stacked block", "write np.ones((1, m))"
        )


def _is_constant_block(node: ast.expr, namespace: Namespace) -> bool:
    """``np.ones(...)`` or ``np.zeros(...)``: a block of a bias row or column."""
    return isinstance(node, ast.Call) and qualified_name(node.func, namespace) in (
        "numpy.ones",
        "numpy.zeros",
    )


def _slice_op(node: ast.expr) -> type | None:
    """``a[1:]`` and ``a[1:, :]`` drop the first row, ``a[:, 1:]`` the first column."""
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    kinds = [_slice_kind(part) for part in parts]
    if kinds in (["from1"], ["from1", "all"]):
        return after_first_row
    if kinds == ["all", "from1"]:
        return after_first_column
    return None


def _slice_kind(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Slice) or node.upper is not None or node.step is not None:
        return None
    if node.lower is None:
        return "all"
    if (
        isinstance(node.lower, ast.Constant)
        and node.lower.value == 1
        and type(node.lower.value) is int
    ):
        return "from1"
    return None


def _has_slice(node: ast.expr) -> bool:
    return isinstance(node, ast.Tuple) and any(isinstance(e, ast.Slice) for e in node.elts)


def _shape_spread(node: ast.Call) -> bool:
    """``dx.reshape(*x.shape)``: another array's shape spread as the sizes."""
    return (
        len(node.args) == 1
        and isinstance(node.args[0], ast.Starred)
        and isinstance(node.args[0].value, ast.Attribute)
        and node.args[0].value.attr == "shape"
    )


def _is_float_type(node: ast.expr) -> bool:
    """``float``, ``np.float64``, ``"float32"``: a dtype that keeps a float's value."""
    text = ast.unparse(node).strip("'\"")
    return text.split(".")[-1] in ("float", "float64", "float32", "double")


def _one_sided_clip(node: ast.Call) -> ast.Call | None:
    """``np.clip(z, 0, None)`` as ``np.maximum(z, 0)``; ``np.clip(z, None, 6)`` as
    ``np.minimum(z, 6)``; None when both bounds are given."""
    value, low, high = node.args
    none = [isinstance(b, ast.Constant) and b.value is None for b in (low, high)]
    if none == [False, True]:
        name, bound = "maximum", low
    elif none == [True, False]:
        name, bound = "minimum", high
    else:
        return None
    function = ast.Attribute(ast.Name("numpy", ast.Load()), name, ast.Load())
    return ast.copy_location(ast.Call(function, [value, bound], []), node)
