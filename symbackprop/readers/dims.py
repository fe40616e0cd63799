"""Array dimensions as symbols: which must be equal, and sizes at which none coincide.

The ``xor`` example has 4 samples and 4 hidden units, so a formula that broadcasts a (4, 1)
array against a (4, 4) one runs without complaint. To see such bugs, every dimension of a model
becomes a symbol; shape rules unify the symbols that must be equal (a product's inner sizes,
broadcast operands), and trials then pick sizes at which all remaining dimensions differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.model import Model
from symbackprop.ir.ops import ArrayOpBase, Shape, operand_shapes, show_shape
from symbackprop.naming import BATCH_SIZE

# Sizes tried for the free dimensions, one row per trial: small (fast exact arithmetic),
# pairwise different, and a batch size (the first free dimension) unlike any layer width.
_SIZE_POOLS = ((7, 3, 5, 2, 11, 13, 17, 19, 23, 29), (11, 5, 2, 3, 7, 13, 17, 19, 23, 29))
_EXTRA = range(31, 200)


class DimSpace:
    """Dimension symbols and the equalities found between them (a substitution)."""

    def __init__(self) -> None:
        self.bindings: dict[sp.Symbol, sp.Expr] = {}
        self.written: dict[sp.Symbol, int] = {}  # the size as the code or model wrote it
        self.named: set[sp.Symbol] = set()  # symbols a person named (m, n1): kept as roots
        self.order: list[sp.Symbol] = []
        self.frozen = False  # frozen: free dimensions stay independent (nothing is unified)

    def copy(self, frozen: bool | None = None) -> DimSpace:
        """An independent copy, so that unifying there leaves this space as it is."""
        other = DimSpace()
        other.bindings = dict(self.bindings)
        other.written = dict(self.written)
        other.named = set(self.named)
        other.order = list(self.order)
        other.frozen = self.frozen if frozen is None else frozen
        return other

    def fresh(self, name: str, written: int | None = None, named: bool = False) -> sp.Symbol:
        symbol = sp.Symbol(name)
        while symbol in self.order:
            symbol = sp.Symbol(symbol.name + "'")
        self.order.append(symbol)
        if written is not None:
            self.written[symbol] = written
        if named:
            self.named.add(symbol)
        return symbol

    def resolve(self, dim) -> sp.Expr:
        return sp.sympify(dim).xreplace(self.bindings)

    def resolve_shape(self, shape: Iterable) -> tuple:
        return tuple(_plain(self.resolve(d)) for d in shape)

    def unify(self, a, b) -> bool:
        """Make dimensions ``a`` and ``b`` equal; False when they cannot be."""
        difference = sp.expand(self.resolve(a) - self.resolve(b))
        if difference == 0:
            return True
        if self.frozen:
            return False
        free = sorted(difference.free_symbols, key=self._binding_preference)
        for symbol in free:
            coefficient = difference.coeff(symbol)
            if coefficient in (1, -1) and not (difference - coefficient * symbol).has(symbol):
                value = sp.expand(symbol - difference / coefficient)
                if self._bindable(symbol, value):
                    self._bind(symbol, value)
                    return True
        return False

    def _bindable(self, symbol: sp.Symbol, value: sp.Expr) -> bool:
        """A size a person named or wrote down is never equated with another one: the code
        would only run where they happen to coincide, and that is a bug to report."""
        if symbol in self.named:
            return False
        written = self.written.get(symbol)
        if written is None:
            return True
        known = {s: self.written.get(s) for s in value.free_symbols}
        if None in known.values():
            return True
        return value.xreplace(known) == written

    def rename(self, dim, name: str) -> sp.Expr:
        """Give a person's name (``m = size(a1, 1)``) to a dimension that is one symbol."""
        value = self.resolve(dim)
        if not isinstance(value, sp.Symbol) or value in self.named:
            return value
        named = self.fresh(name, self.written.get(value), named=True)
        self._bind(value, named)
        return named

    def _binding_preference(self, symbol: sp.Symbol) -> tuple:
        # Bind the newest unnamed symbol; a named or early one stays a root.
        position = self.order.index(symbol) if symbol in self.order else -1
        return (symbol in self.named, -position)

    def _bind(self, symbol: sp.Symbol, value: sp.Expr) -> None:
        for key, bound in self.bindings.items():
            self.bindings[key] = sp.expand(bound.xreplace({symbol: value}))
        self.bindings[symbol] = value
        if isinstance(value, sp.Symbol) and symbol in self.written:
            self.written.setdefault(value, self.written[symbol])

    # -- shapes -------------------------------------------------------------------------------
    def broadcast(self, *shapes: Shape) -> Shape:
        """NumPy broadcasting, unifying dimensions that must match; 1 stretches."""
        width = max((len(s) for s in shapes), default=0)
        result = []
        for axis in range(-width, 0):
            dims = [self.resolve(s[axis]) for s in shapes if len(s) >= -axis]
            wide = [d for d in dims if d != 1]
            for other in wide[1:]:
                if not self.unify(wide[0], other):
                    raise ShapeError(
                        f"shapes {', '.join(map(show_shape, shapes))} do not broadcast"
                    )
            result.append(self.resolve(wide[0]) if wide else sp.S.One)
        return tuple(_plain(d) for d in result)

    def shape(self, expr: sp.Expr, shapes: Mapping[str, Shape]) -> Shape:
        """The shape of ``expr``, unifying dimensions as its operations require."""
        if isinstance(expr, sp.Symbol):
            return self.resolve_shape(shapes.get(expr.name, ()))
        if not expr.args or expr.is_number:
            return ()
        if isinstance(expr, ArrayOpBase):  # the op's own rule, unifying through this space
            operands = operand_shapes(expr, lambda arg: self.shape(arg, shapes))
            return self.resolve_shape(expr.shape_at(tuple(operands), self))
        return self.broadcast(*[self.shape(arg, shapes) for arg in expr.args])

    # -- trials -------------------------------------------------------------------------------
    def roots(self, shapes: Iterable[Shape]) -> list[sp.Symbol]:
        found = {s for shape in shapes for d in shape for s in self.resolve(d).free_symbols}
        # The batch size first, so that it gets the first (and largest) sizes of each pool.
        return sorted(
            found,
            key=lambda s: (s.name != BATCH_SIZE, s not in self.named, self._position(s), s.name),
        )

    def _position(self, symbol: sp.Symbol) -> int:
        return self.order.index(symbol) if symbol in self.order else len(self.order)

    def sizes(self, shapes: Iterable[Shape], trial: int) -> dict[sp.Symbol, int]:
        """Sizes for every free dimension such that all dimensions differ (and exceed 1)."""
        shapes = list(shapes)
        roots = self.roots(shapes)
        dims = {self.resolve(d) for shape in shapes for d in shape} - {sp.S.One}
        pool = list(_SIZE_POOLS[trial % len(_SIZE_POOLS)]) + list(_EXTRA)
        if trial >= len(_SIZE_POOLS):
            pool = pool[trial:] + pool[:trial]
        chosen: dict[sp.Symbol, int] = {}
        for root in roots:
            fitting = (v for v in pool if _fits(chosen | {root: v}, dims, root))
            chosen[root] = next(fitting, pool[0])  # no size avoids every coincidence: accept one
            pool.remove(chosen[root])
        return chosen


def _fits(chosen: dict, dims: set, newest: sp.Symbol) -> bool:
    values = []
    for dim in dims:
        if dim.free_symbols <= set(chosen):
            value = dim.xreplace(chosen)
            if value < 2:
                return False
            values.append(value)
    return len(values) == len(set(values))


def _plain(dim: sp.Expr):
    return int(dim) if dim.is_Integer else dim


def generalized(model: Model) -> tuple[DimSpace, dict[str, Shape]]:
    """Every dimension of a vector model as a symbol, unified through the model's operations.

    A size written as a number (the XOR net's hidden width 4) becomes ``synapse_0.shape[1]``,
    free to take other values wherever the model does not tie it to another dimension.
    """
    space = DimSpace()
    shapes: dict[str, Shape] = {}
    fixed = _fixed_leaves(model)
    for node in model.nodes:
        if node.kind.is_leaf:
            shapes[node.name] = tuple(
                dim
                if node.name in fixed and isinstance(dim, int)
                else _leaf_dim(space, node.name, axis, dim)
                for axis, dim in enumerate(model.leaf_shapes.get(node.name, ()))
            )
    for node in model.defined:
        shapes[node.name] = space.shape(node.expr, shapes)
    return space, {name: space.resolve_shape(shape) for name, shape in shapes.items()}


def _fixed_leaves(model: Model) -> set[str]:
    """Leaves whose written sizes an op's shape rule computes with (a convolution's input and
    kernels): they stay as written, since other sizes would not fit the op's arithmetic."""
    calls = {c for n in model.defined for c in n.expr.atoms(ArrayOpBase) if c.fixed_sizes}
    return {arg.name for call in calls for arg in call.args if isinstance(arg, sp.Symbol)}


def _leaf_dim(space: DimSpace, leaf: str, axis: int, dim) -> sp.Expr:
    if isinstance(dim, int):
        return 1 if dim == 1 else space.fresh(f"{leaf}.shape[{axis}]", written=dim)
    if isinstance(dim, str):
        existing = next((s for s in space.order if s.name == dim), None)
        return existing if existing is not None else space.fresh(dim, named=True)
    return space.resolve(dim)
