"""The leaves of hand-written code: data, initial weights, arguments, globals and sizes.

A leaf is made by a constructor (``np.array([[0, 0, 1], ...])``, ``2*np.random.random((3,
hidden_dim)) - 1``, ``random.rand(n2, n1 + 1)``), or is an argument or a global the step reads.
Its shape comes from the constructor's sizes, evaluated from constants (``hidden_dim = 4``)
and other sizes (``n1 = size(X, 1)``); every size other than 1 becomes a dimension symbol, so
that trials can change it. An argument of vectorised code is a 2-d array of unknown shape.
"""

from __future__ import annotations

import ast

import sympy as sp

from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Kind
from symbackprop.naming import indexed_name
from symbackprop.readers.leaforder import declare_leaves
from symbackprop.readers.pysource import literal_number, module_literals
from symbackprop.readers.whitelist import ARRAY_CONSTRUCTORS, FUNCTIONS, qualified_name

_LITERAL_ARRAYS = {"numpy.array", "numpy.matrix", "numpy.asarray"}
_SIZE_FIRST = {
    "numpy.zeros",
    "numpy.ones",
    "numpy.empty",
    "numpy.random.random",
    "numpy.random.random_sample",
    "numpy.random.standard_normal",
}
_SIZE_POSITIONAL = {"numpy.random.rand", "numpy.random.randn"}
_SIZE_THIRD = {"numpy.random.uniform", "numpy.random.normal"}
MAX_LITERAL_ELEMENTS = 100_000


class Leaves:
    """The leaves one reader meets, with their shapes."""

    def __init__(self, reader):
        self.reader = reader
        self.leaf_shapes: dict[str, tuple] = {}
        self.constant_dims: dict[str, sp.Symbol] = {}
        self.unknown: set[str] = set()  # leaves whose shape the code does not state
        self.row_dims: dict[str, tuple] = {}  # of each array read a sample at a time, a row's
        self.sample_leaves: dict[tuple, str] = {}  # (X, 0): the leaf of that sample, ``x``
        self.globals = module_literals(reader.tree) if not reader.body.module_level else {}

    # -- names nobody assigned -----------------------------------------------------------------
    def free_name(self, name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
        reader = self.reader
        updated = (indexed_name(name, *index) if index else name) in reader.updated_names
        number = literal_number(self.globals.get(name)) if not index and not updated else None
        if number is not None:
            return sp.Rational(repr(number))
        namespace = reader.translator.namespace
        if name in reader.body.helpers or name in FUNCTIONS or name in namespace.modules:
            raise reader.translator.unsupported(
                node, f"using the function or module {name!r} as a value"
            )
        if index and reader.vector and not updated:  # ``weights[0]`` updated: a weight
            if len(index) == 1 and name in reader.body.arguments and reader.sample_rows:
                return self.sample(name, index[0], getattr(node, "sample_name", None))
            raise reader.translator.unsupported(node, f"indexing the array {name!r}")
        return self.element(name, index, node)

    def sample(self, name: str, number: int, shown: str | None = None) -> sp.Symbol:
        """``X[0]``, a per-sample loop's sample: a leaf with the shape of one row of X, named
        ``shown`` (the loop's own name for it, ``x``) where the loop is read at one sample."""
        full = self.sample_leaves.get((name, number))
        if full is None:
            taken = set(self.leaf_shapes) | set(self.reader.body.arguments)
            free = shown is not None and shown not in taken
            full = self.sample_leaves[name, number] = shown if free else indexed_name(name, number)
        if full not in self.leaf_shapes:
            if name not in self.row_dims:
                layout = self.reader.layouts.get(name, "2d")
                vector = layout in ("row", "scalar")  # a sample of a vector is a number
                width = () if vector else (self.reader.space.fresh(f"{name}.shape[1]"),)
                self.row_dims[name] = width
            self._add(full, self.row_dims[name])
        return sp.Symbol(full)

    def element(self, name: str, index: tuple[int, ...], node: ast.AST) -> sp.Symbol:
        full = indexed_name(name, *index) if index else name
        if full not in self.leaf_shapes:
            self._add(full, self._unknown_shape(full))
        return sp.Symbol(full)

    def _unknown_shape(self, name: str) -> tuple:
        """An argument's shape: 2-d unless it is a bias, a number, or its update says otherwise."""
        if not self.reader.vector:
            return ()
        layout = self.reader.layouts.get(name, "2d")
        if layout == "scalar":  # a number by its name (reg, eps) or a config entry
            return ()
        self.unknown.add(name)
        space = self.reader.space
        dims = [space.fresh(f"{name}.shape[{axis}]") for axis in range(2)]
        return {"2d": tuple(dims), "row": (dims[0],), "1k": (1, dims[1]), "k1": (dims[0], 1)}[
            layout
        ]

    def _add(self, name: str, shape: tuple, matrix: bool = False) -> None:
        self.leaf_shapes[name] = shape
        if self.reader.vector:
            self.reader.shapes[name] = shape
        if matrix or name in self.reader.matrix:
            self.reader.translator.matrix_names.add(name)

    def is_rate(self, name: str) -> bool:
        """An argument or global never used as data: a learning rate, when it scales a step."""
        return name not in self.leaf_shapes

    def shapes(self) -> dict[str, tuple]:
        if not self.reader.vector:
            return {}
        return {name: self.reader.space.resolve_shape(s) for name, s in self.leaf_shapes.items()}

    # -- the model's leaves --------------------------------------------------------------------
    def declare(
        self,
        builder: ModelBuilder,
        nodes: list,
        loss_value: sp.Expr,
        updated: set[str],
        backward_reads: frozenset[str] = frozenset(),
    ):
        """Inputs, targets, then parameters, each in the order the code met them; sizes the
        backward lines alone read (``np.ones((1, m))``) are inputs too, so trials give them."""
        reader = self.reader
        forward_reads = {s.name for _, expr, _ in nodes for s in expr.free_symbols}
        used = forward_reads | {s.name for s in loss_value.free_symbols}
        if reader.vector:
            used |= backward_reads & {s.name for s in reader.space.order}
        dims = {s.name for s in reader.space.order} if reader.vector else set()
        names = [n for n in self.leaf_shapes if n in used]
        names += sorted(n for n in used & dims if n not in self.leaf_shapes)
        shapes = self.shapes()  # empty in scalar mode, where leaves have no shape
        kinds = {n: _kind(n, updated, dims, forward_reads) for n in names}
        shape = {n: shapes.get(n, ()) if reader.vector else None for n in names}
        declare_leaves(builder, [(n, kinds[n], {"shape": shape[n]}) for n in names])


def _kind(name: str, updated: set[str], dims: set[str], forward_reads: set[str]) -> Kind:
    if name in updated:
        return Kind.PARAMETER
    if name in dims or name in forward_reads:
        return Kind.INPUT
    return Kind.TARGET  # read by the loss alone: what the output is compared with


# -- constructors ------------------------------------------------------------------------------
def constructor(reader, name: str, value: ast.expr) -> sp.Symbol | None:
    """The leaf ``name = <array constructor>`` makes, or None for a computation."""
    found = _constructor_call(reader, value)
    if found is None:
        return None
    call, qualified, transposed = found
    if name in reader.leaves.leaf_shapes:
        return sp.Symbol(name)  # initialised again: still the same leaf
    shape = _sizes(reader, name, call, qualified)
    if shape is None:
        return None
    if transposed:
        shape = tuple(reversed(shape))
    dims = tuple(_dim(reader, name, axis, size) for axis, size in enumerate(shape))
    reader.leaves._add(name, dims if reader.vector else (), matrix=qualified == "numpy.matrix")
    return sp.Symbol(name)


def _constructor_call(reader, value: ast.expr):
    namespace = reader.translator.namespace
    calls = [
        n
        for n in ast.walk(value)
        if isinstance(n, ast.Call) and qualified_name(n.func, namespace) in ARRAY_CONSTRUCTORS
    ]
    if len(calls) != 1:
        return None
    call = calls[0]
    inside = {id(n) for n in ast.walk(call)}
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and id(node) not in inside:
            binding = reader.env.get(node.id)
            if node.id not in namespace.modules and (binding is None or binding.kind != "const"):
                return None  # arithmetic with data: a computation, not a constructor
    transposed = isinstance(value, ast.Attribute) and value.attr == "T" and value.value is call
    return call, qualified_name(call.func, namespace), transposed


def _sizes(reader, name: str, call: ast.Call, qualified: str):
    """The sizes a constructor call asks for: ints for literals, ast nodes otherwise."""
    keywords = {k.arg: k.value for k in call.keywords}
    if qualified in _LITERAL_ARRAYS:
        # np.array(dA, copy=True) copies a value: a computation, no new leaf
        literal = call.args and isinstance(call.args[0], ast.List | ast.Tuple)
        return _literal_shape(call.args[0]) if literal else None
    if qualified in _SIZE_POSITIONAL:
        return list(call.args)
    if qualified in _SIZE_FIRST:
        size = call.args[0] if call.args else keywords.get("size", keywords.get("shape"))
    else:
        size = call.args[2] if len(call.args) > 2 else keywords.get("size")
    if size is None:
        return []
    return list(size.elts) if isinstance(size, ast.Tuple | ast.List) else [size]


def _literal_shape(node: ast.expr) -> list[int] | None:
    shape: list[int] = []
    count = 1
    while isinstance(node, ast.List | ast.Tuple):
        if not node.elts:
            return None
        shape.append(len(node.elts))
        count *= len(node.elts)
        if count > MAX_LITERAL_ELEMENTS:
            return None
        lengths = {len(e.elts) if isinstance(e, ast.List | ast.Tuple) else -1 for e in node.elts}
        if len(lengths) != 1:
            return None  # ragged
        node = node.elts[0]
    return shape


def _dim(reader, name: str, axis: int, size) -> sp.Expr:
    """One size as a dimension: 1 stays 1, a number or a constant becomes a symbol."""
    if not reader.vector:
        return sp.S.One
    space = reader.space
    if isinstance(size, int) or (isinstance(size, ast.Constant) and type(size.value) is int):
        value = size if isinstance(size, int) else size.value
        return sp.S.One if value == 1 else space.fresh(f"{name}.shape[{axis}]", written=value)
    return reader.translator.expression(size, lambda n, i, node: _size_name(reader, n, i, node))


def _size_name(reader, name: str, index: tuple, node: ast.AST) -> sp.Expr:
    binding = reader.env.get(name)
    if binding is not None and binding.kind == "const" and binding.value.is_Integer:
        if binding.value == 1:
            return sp.S.One
        dims = reader.leaves.constant_dims
        if name not in dims:
            dims[name] = reader.space.fresh(name, written=int(binding.value), named=True)
        return dims[name]
    return reader.resolve(name, index, node)


def layout_of(shape: tuple | None) -> str | None:
    """How an array of ``shape`` is laid out: a row vector, a 1-row or 1-column matrix, 2-d."""
    if shape is None or not shape:
        return None
    if len(shape) == 1:
        return "row"
    if shape[0] == 1:
        return "1k"
    return "k1" if shape[1] == 1 else "2d"
