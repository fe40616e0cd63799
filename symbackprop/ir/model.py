"""The IR: a model is an ordered graph of named nodes.

Scalar mode: every defined node (intermediate or loss) is a SymPy expression of the symbols of
earlier nodes. Leaves are inputs, targets and parameters; an indexed parameter element such as
``w[4]`` is a leaf whose name carries its index.

Vector mode: the same graph, but the model gives every leaf a shape (rows are samples, ``"m"``
the batch size) and each symbol stands for a whole array. Elementwise arithmetic stays plain
SymPy; matrix products, sums and softmax are the functions of :mod:`symbackprop.ir.ops`.
Shapes of defined nodes are inferred and checked when the model is built.

Each node's symbol is ``Symbol(name)``, so the same name always means the same symbol across
readers, the derivation and the checker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import sympy as sp

from symbackprop.errors import ShapeError, SpecError
from symbackprop.ir.ops import Shape, shape_of, show_shape


class Kind(StrEnum):
    INPUT = "input"
    TARGET = "target"
    PARAMETER = "parameter"
    INTERMEDIATE = "intermediate"
    LOSS = "loss"

    @property
    def is_leaf(self) -> bool:
        return self in (Kind.INPUT, Kind.TARGET, Kind.PARAMETER)


@dataclass(frozen=True)
class Node:
    """One named value of the forward pass."""

    name: str
    kind: Kind
    expr: sp.Expr | None = None
    line: int | None = None

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name)


def symbol(name: str) -> sp.Symbol:
    """The symbol of the node called ``name`` (the one convention used everywhere)."""
    return sp.Symbol(name)


@dataclass(frozen=True, eq=False)
class Model:
    """An ordered forward graph ending in one scalar loss."""

    name: str
    nodes: tuple[Node, ...]
    source: str = "built-in"
    description: str = ""
    values: Mapping[str, float] = field(default_factory=dict)
    leaf_shapes: Mapping[str, Shape] = field(default_factory=dict)
    # parameters that start at one value whatever the initialisation scheme (gamma at 1)
    starts: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self.nodes, self.source)
        if self.leaf_shapes:
            _ = self.shapes  # infer and check every shape now, not at first use
        unknown = set(self.values) - {n.name for n in self.nodes if n.kind.is_leaf}
        if unknown:
            raise SpecError(
                f"values given for unknown leaves: {', '.join(sorted(unknown))}", file=self.source
            )

    # -- look-ups ---------------------------------------------------------------------------
    @cached_property
    def by_name(self) -> dict[str, Node]:
        return {node.name: node for node in self.nodes}

    def node(self, name: str) -> Node:
        try:
            return self.by_name[name]
        except KeyError:
            raise SpecError(f"model {self.name!r} has no node {name!r}") from None

    def of_kind(self, *kinds: Kind) -> list[Node]:
        return [node for node in self.nodes if node.kind in kinds]

    @property
    def parameters(self) -> list[Node]:
        return self.of_kind(Kind.PARAMETER)

    @property
    def inputs(self) -> list[Node]:
        return self.of_kind(Kind.INPUT)

    @property
    def targets(self) -> list[Node]:
        return self.of_kind(Kind.TARGET)

    @property
    def defined(self) -> list[Node]:
        """Intermediates and the loss, in forward order."""
        return self.of_kind(Kind.INTERMEDIATE, Kind.LOSS)

    @property
    def loss(self) -> Node:
        return self.nodes[-1]

    @cached_property
    def consumers(self) -> dict[str, list[Node]]:
        """For each node name, the defined nodes whose expression uses it, in forward order."""
        users: dict[str, list[Node]] = {node.name: [] for node in self.nodes}
        for node in self.defined:
            for sym in sorted(node.expr.free_symbols, key=str):
                users[sym.name].append(node)
        return users

    # -- vector mode ------------------------------------------------------------------------
    @property
    def is_vector(self) -> bool:
        return bool(self.leaf_shapes)

    @cached_property
    def shapes(self) -> dict[str, Shape]:
        """Every node's shape (empty tuples in scalar mode)."""
        shapes: dict[str, Shape] = {}
        for node in self.nodes:
            if node.kind.is_leaf:
                shapes[node.name] = tuple(self.leaf_shapes.get(node.name, ()))
                continue
            try:
                shapes[node.name] = shape_of(node.expr, shapes)
            except ShapeError as error:
                raise ShapeError(
                    f"{node.name}: {error.message}", file=self.source, line=node.line
                ) from None
        if self.is_vector and shapes[self.loss.name] != ():
            raise ShapeError(
                f"the loss {self.loss.name!r} must be a scalar, not "
                f"{show_shape(shapes[self.loss.name])}",
                file=self.source,
            )
        return shapes

    # -- forward substitution -----------------------------------------------------------------
    @cached_property
    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """Every defined node's expression in leaves only (intermediates substituted away)."""
        expanded: dict[sp.Symbol, sp.Expr] = {}
        for node in self.defined:
            expanded[node.symbol] = node.expr.xreplace(expanded)
        return expanded

    def in_leaves(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every intermediate replaced by its definition in leaves."""
        return sp.sympify(expr).xreplace(self.definitions)


def require_parameters(model: Model) -> None:
    """Raise SpecError for a model with nothing to learn: no gradient to derive or train."""
    if model.parameters:
        return
    data = ", ".join(n.name for n in model.nodes if n.kind.is_leaf) or "none"
    raise SpecError(
        f"{model.name}: no parameters to differentiate: every leaf ({data}) is data; "
        "for a .py function, name the weights with --params, e.g. --params w",
        file=model.source if model.source != "built-in" else None,
    )


def _validate(nodes: Iterable[Node], source: str) -> None:
    seen: set[str] = set()
    nodes = list(nodes)
    for position, node in enumerate(nodes):
        where = {"file": source, "line": node.line}
        if node.name in seen:
            raise SpecError(f"node {node.name!r} is defined twice", **where)
        if node.kind.is_leaf and node.expr is not None:
            raise SpecError(f"{node.kind.value} {node.name!r} cannot have a definition", **where)
        if not node.kind.is_leaf:
            _validate_definition(node, seen, where)
        if node.kind is Kind.LOSS and position != len(nodes) - 1:
            raise SpecError(f"the loss {node.name!r} must be the last node", **where)
        seen.add(node.name)
    if not nodes or nodes[-1].kind is not Kind.LOSS:
        raise SpecError("the model has no loss node", file=source)


def _validate_definition(node: Node, seen: set[str], where: dict) -> None:
    if node.expr is None:
        raise SpecError(f"{node.kind.value} {node.name!r} has no definition", **where)
    undefined = sorted(s.name for s in node.expr.free_symbols if s.name not in seen)
    if undefined:
        raise SpecError(f"{node.name!r} uses {', '.join(undefined)} before it is defined", **where)
