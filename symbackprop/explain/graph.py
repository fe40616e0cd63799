"""The computation graph of a model, laid out in columns: leaves on the left, the loss on the
right, each node one column after the last of its inputs, and each leaf just before its first
use. Nodes are named as the derivation names them (their LaTeX); nothing here draws.

A scalar network of many weights is drawn by arrays (``W1`` for every ``W1[i, j]``), since
hundreds of boxes show nothing a reader can follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbackprop.explain.notation import Notation, node_latex
from symbackprop.ir.model import Kind, Model
from symbackprop.naming import BATCH_SIZE, split_indexed

MAX_NODES = 30  # more scalar nodes than this are drawn by the arrays they are entries of


@dataclass(frozen=True)
class GraphNode:
    name: str
    label: str  # LaTeX, math mode
    kind: str  # "input", "target", "parameter", "intermediate" or "loss"
    column: int
    row: int


@dataclass(frozen=True)
class Graph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]  # (from, to) by node name

    @property
    def columns(self) -> int:
        return 1 + max(node.column for node in self.nodes)

    @property
    def rows(self) -> int:
        return 1 + max(node.row for node in self.nodes)


def computation_graph(model: Model, notation: Notation) -> Graph:
    """The model's nodes and the edges from each node to the nodes computed from it."""
    group = _grouping(model)
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    edges: dict[tuple[str, str], None] = {}
    for node in model.nodes:
        if node.name == BATCH_SIZE and model.is_vector:
            continue  # the batch size divides a mean: a number, not a value on a path
        name = group(node.name)
        kinds.setdefault(name, node.kind.value)
        labels.setdefault(name, notation.name(node.name) if name == node.name else node_latex(name))
        if node.expr is None:
            continue
        for symbol in sorted(node.expr.free_symbols, key=str):
            if symbol.name in model.by_name and not (model.is_vector and symbol.name == BATCH_SIZE):
                edges[(group(symbol.name), name)] = None
    edges = {edge: None for edge in edges if edge[0] != edge[1]}
    columns = _columns(list(kinds), list(edges), kinds)
    rows = _rows(list(kinds), columns)
    nodes = tuple(
        GraphNode(name, labels[name], kinds[name], columns[name], rows[name]) for name in kinds
    )
    return Graph(nodes, tuple(edges))


def _grouping(model: Model):
    if model.is_vector or len(model.nodes) <= MAX_NODES:
        return lambda name: name
    return lambda name: (split_indexed(name) or (name,))[0]


def _columns(names: list[str], edges: list[tuple[str, str]], kinds: dict[str, str]) -> dict:
    """Computed nodes one column after their last input; leaves just before their first use."""
    inputs: dict[str, list[str]] = {name: [] for name in names}
    for source, target in edges:
        inputs[target].append(source)
    leaf_kinds = {kind.value for kind in Kind if kind.is_leaf}
    column: dict[str, int] = {}
    for name in names:  # the model's order is a topological one
        if kinds[name] in leaf_kinds:
            column[name] = 0
        else:
            column[name] = 1 + max((column[i] for i in inputs[name] if i in column), default=0)
    for name in names:
        users = [column[t] for s, t in edges if s == name]
        if kinds[name] in leaf_kinds and users:
            column[name] = min(users) - 1
    return column


def _rows(names: list[str], columns: dict[str, int]) -> dict:
    """Each node below the earlier ones of its column."""
    seen: dict[int, int] = {}
    rows = {}
    for name in names:
        rows[name] = seen.get(columns[name], 0)
        seen[columns[name]] = rows[name] + 1
    return rows
