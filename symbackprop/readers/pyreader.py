"""Read a plain Python forward computation into a scalar :class:`Model`, never running it.

The file is opened as every verb opens code (:mod:`~symbackprop.readers.pysource`); the loss
and the statements it depends on are found by the one slicer,
:mod:`~symbackprop.readers.pyslice`; those are translated by :mod:`~symbackprop.readers.translate`
through the whitelist in :mod:`~symbackprop.readers.whitelist`. Everything after the loss
(hand-written backprop, updates) is left for the checker. Stages:

    # source text -> ast, the body                (pysource.read_body)
    # ast -> statements up to the loss            (find_loss)
    # -> the statements the loss needs            (needed_statements)
    # -> SymPy, leaves collected                  (Translator, _Reader.resolve)
    # -> Model                                    (_Reader.build)
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.inputs import read_input
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Kind, Model
from symbackprop.naming import indexed_name
from symbackprop.readers.leaforder import LEAF_RANK, declare_leaves
from symbackprop.readers.programshapes import claimed_weights, named_entries
from symbackprop.readers.pyslice import Statement, find_loss, needed_statements
from symbackprop.readers.pysource import (
    Body,
    literal_number,
    module_literals,
    read_body,
    requires_grad,
    too_deep,
)
from symbackprop.readers.translate import Translator
from symbackprop.readers.whitelist import FUNCTIONS, Namespace


def read_python(
    path: str | Path,
    function: str | None = None,
    loss: str | None = None,
    params: Sequence[str] = (),
) -> Model:
    """Read the forward computation in ``path``: one function's body, or the module's statements.

    >>> model = read_python("net.py", "forward")  # doctest: +SKIP
    >>> [node.name for node in model.inputs]  # doctest: +SKIP
    ['x', 'y']
    """
    text = read_input(path)
    return read_python_source(text, str(path), function, loss, params)


def read_python_source(
    text: str,
    filename: str = "<string>",
    function: str | None = None,
    loss: str | None = None,
    params: Sequence[str] = (),
) -> Model:
    """Like :func:`read_python`, for source text; ``filename`` is used in messages.

    ``params`` names arguments that are weights (``forward(x, w)``): by default a function's
    arguments are data, and its parameters are the globals it reads and the names it updates
    or returns gradients of.
    """
    tree, body = read_body(text, filename, function)
    claimed = claimed_weights(body, params, loss)
    body = named_entries(body)
    try:
        statements = find_loss(body, loss)
        needed = needed_statements(body, statements)
        return _Reader(tree, body, filename, tuple(params), claimed).read(needed)
    except RecursionError:  # a last guard; the translator reports depth with a line itself
        raise too_deep(filename, 1) from None


def _versions(needed: list[Statement]) -> dict[int, str]:
    """The node each assignment makes: its name for the last one, ``h@7`` for an earlier
    one (as a training step's versions are named), and for any one of a name that is also
    read as an argument or a global."""
    last = {s.target: s.position for s in needed}
    assigned: set[str] = set()
    read_unassigned: set[str] = set()
    for statement in needed:
        read_unassigned |= {n for n in statement.reads if n in last and n not in assigned}
        assigned.add(statement.target)
    return {
        s.position: s.target
        if last[s.target] == s.position and s.target not in read_unassigned
        else f"{s.target}@{s.line}"
        for s in needed
    }


def _element(node: ast.expr, index: tuple[int, ...]) -> float | None:
    """The literal value of ``w[1, 2]`` in ``w = [[...], [...]]``, where written out."""
    for position in index:
        if not isinstance(node, ast.List | ast.Tuple) or position >= len(node.elts):
            return None
        node = node.elts[position]
    return literal_number(node)


# -- leaves ------------------------------------------------------------------------------------
@dataclass
class _Leaf:
    name: str
    origin: str  # "argument", "declared" (module-level tensor or number) or "global"
    position: int  # argument or statement position, so leaves keep the user's order
    line: int | None
    trainable: bool = False
    value: float | None = None
    users: set[int] = field(default_factory=set)  # positions of the statements reading it


class _Reader:
    """Translates the needed statements in order and collects the leaves they use."""

    def __init__(
        self, tree: ast.Module, body: Body, filename: str, params: tuple = (), claimed=frozenset()
    ):
        self.params = set(params)
        self.claimed = set(claimed)  # updated, or returned gradients of: weights too
        self.body = body
        self.file = filename
        self.globals = {} if body.module_level else module_literals(tree)
        self.leaves: dict[str, _Leaf] = {}
        self.defined: dict[str, str] = {}  # a name -> the node of its current version
        self.declared: dict[str, Statement] = {}
        self.current = -1
        resolve_global = self.resolve if body.module_level else self.resolve_module_global
        self.translator = Translator(
            filename, Namespace.from_imports(tree), body.helpers, resolve_global
        )

    def read(self, needed: list[Statement]) -> Model:
        nodes: list[tuple[str, sp.Expr, int]] = []
        versions = _versions(needed)
        for statement in needed:
            self.current = statement.position
            if self.body.module_level and statement.is_leaf_declaration:
                self.declared[statement.target] = statement
                continue
            expr = self.translator.expression(statement.value, self.resolve)
            self.defined[statement.target] = versions[statement.position]
            nodes.append((versions[statement.position], expr, statement.line))
        if not nodes:
            loss = needed[-1]
            raise SpecError(
                f"the loss {loss.target!r} is a constant, not a computation",
                file=self.file,
                line=loss.line,
            )
        return self.build(nodes, loss_position=needed[-1].position)

    # -- name resolution -----------------------------------------------------------------------
    def resolve(self, name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
        """A name read by a statement of the body: an earlier node, or a leaf."""
        if name in self.defined:
            if index:
                raise self._unsupported(node, f"indexing the computed value {name!r}")
            return sp.Symbol(self.defined[name])
        if name in self.body.arguments:
            return self._leaf(name, index, "argument", node)
        if name in self.declared:
            return self._leaf(name, index, "declared", node)
        return self.resolve_module_global(name, index, node)

    def resolve_module_global(self, name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
        """A free name: a module-level global, which the forward pass treats as a parameter."""
        namespace = self.translator.namespace
        if name in self.body.helpers or name in FUNCTIONS or name in namespace.modules:
            raise self._unsupported(node, f"using the function or module {name!r} as a value")
        return self._leaf(name, index, "global", node)

    def _leaf(self, base: str, index: tuple[int, ...], origin: str, node: ast.AST) -> sp.Symbol:
        name = indexed_name(base, *index) if index else base
        leaf = self.leaves.get(name)
        if leaf is None:
            leaf = self.leaves[name] = self._new_leaf(name, base, index, origin)
        elif leaf.origin != origin:
            # Only a helper's global can meet an argument of the same name: Python reads the
            # module's global there, which this model cannot tell apart from the argument.
            raise SpecError(
                f"{name!r} is both an argument of {self.body.name}() and a global that a "
                "helper reads; rename one of them",
                file=self.file,
                line=getattr(node, "lineno", None),
            )
        leaf.users.add(self.current)
        return sp.Symbol(name)

    def _new_leaf(self, name: str, base: str, index: tuple[int, ...], origin: str) -> _Leaf:
        if origin == "argument":
            value = None if index else self.body.arguments[base]
            position = list(self.body.arguments).index(base)
            return _Leaf(name, origin, position, self.body.line, value=value)
        if origin == "declared":
            statement = self.declared[base]
            if index:
                raise self._unsupported(statement.node, f"indexing the scalar {base!r}")
            value, trainable = literal_number(statement.value), requires_grad(statement.value)
            return _Leaf(name, origin, statement.position, statement.line, trainable, value)
        literal = self.globals.get(base)
        value = None if literal is None else _element(literal, index)
        return _Leaf(name, origin, 0, None, trainable=True, value=value)

    def _unsupported(self, node: ast.AST, what: str) -> UnsupportedConstruct:
        return UnsupportedConstruct(
            f"{what} is not supported", file=self.file, line=getattr(node, "lineno", None)
        )

    # -- the model -----------------------------------------------------------------------------
    def kind(self, leaf: _Leaf, loss_position: int) -> Kind:
        """Globals and ``requires_grad`` tensors are parameters; the loss's own data, targets."""
        base = leaf.name.split("[", 1)[0]
        if leaf.trainable or base in self.params or leaf.name in self.claimed:
            return Kind.PARAMETER
        return Kind.TARGET if leaf.users == {loss_position} else Kind.INPUT

    def _check_parameters(self, kinds: dict[str, Kind]) -> None:
        bases = {name.split("[", 1)[0] for name in kinds}
        unused = sorted(self.params - bases)
        if unused:
            raise SpecError(
                f"--params names {', '.join(unused)}, which the loss does not use",
                file=self.file,
                line=self.body.line,
            )

    def build(self, nodes: list[tuple[str, sp.Expr, int]], loss_position: int) -> Model:
        # Leaves: inputs, then targets, then parameters, each in the user's order; globals in
        # the order the forward pass first uses them (dicts keep insertion order).
        kinds = {leaf.name: self.kind(leaf, loss_position) for leaf in self.leaves.values()}
        self._check_parameters(kinds)
        ordered = sorted(
            self.leaves.values(), key=lambda leaf: (LEAF_RANK[kinds[leaf.name]], leaf.position)
        )
        builder = ModelBuilder(self.body.name, source=self.file)
        declare_leaves(
            builder, [(leaf.name, kinds[leaf.name], {"line": leaf.line}) for leaf in ordered]
        )
        for name, expr, line in nodes[:-1]:
            builder.define(name, expr, line)
        name, expr, line = nodes[-1]
        values = {leaf.name: leaf.value for leaf in ordered if leaf.value is not None}
        return builder.loss(name, expr, line, values=values, description=f"read from {self.file}")
