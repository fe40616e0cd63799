"""Reverse accumulation with named adjoints over a scalar model.

The loop knows nothing about sigmoid or squares: every local partial comes from
:func:`symbackprop.derive.local.local_partial`. Walking the nodes from the loss backwards, the
adjoint of a node is the sum, over the nodes that use it, of the user's adjoint times the local
partial; a parameter's gradient is the same sum. Adjoints are named (``delta_h1``) and gradients
are written through them, so formulas share sub-expressions instead of swelling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from symbackprop.derive.joins import joined
from symbackprop.derive.local import local_partial
from symbackprop.derive.vjp import vjp
from symbackprop.errors import SpecError
from symbackprop.ir.model import Kind, Model, Node
from symbackprop.ir.ops import shape_of, zeros_of
from symbackprop.naming import adjoint_name
from symbackprop.progress import progress

PROGRESS_FROM = 50  # nodes: a derivation this large takes seconds, worth a bar


@dataclass(frozen=True)
class Term:
    """One path's contribution to an adjoint, through the node ``consumer``.

    In scalar mode ``contribution == adjoint(consumer) * local``; in vector mode the
    contribution comes from the array rules and ``local`` is None.
    """

    consumer: str
    contribution: sp.Expr
    local: sp.Expr | None = None


@dataclass(frozen=True)
class Adjoint:
    """dLoss/d(node) for one intermediate, written through its consumers' adjoints."""

    node: str
    symbol: sp.Symbol
    expr: sp.Expr
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Gradient:
    """dLoss/d(parameter), written through adjoints."""

    param: str
    expr: sp.Expr
    terms: tuple[Term, ...]


@dataclass(frozen=True, eq=False)
class Derivation:
    """Every adjoint (loss first) and every parameter's gradient of one model."""

    model: Model
    adjoints: tuple[Adjoint, ...]
    gradients: tuple[Gradient, ...]

    def gradient(self, param: str) -> Gradient:
        for gradient in self.gradients:
            if gradient.param == param:
                return gradient
        self.model.node(param)  # raises SpecError for an unknown name
        raise KeyError(f"{param!r} is not a parameter of {self.model.name!r}")

    def adjoint(self, node: str) -> Adjoint:
        for adjoint in self.adjoints:
            if adjoint.node == node:
                return adjoint
        raise KeyError(f"{node!r} has no adjoint in {self.model.name!r}")

    def for_parameters(self, wanted: list[str]) -> Derivation:
        """Only the gradients of ``wanted`` (exact names, or a base: ``w`` for ``w[0]``...)
        and the adjoints they are built from."""
        chosen = [g for g in self.gradients if g.param in wanted or _base(g.param) in wanted]
        if not chosen:
            known = ", ".join(g.param for g in self.gradients)
            raise SpecError(
                f"no parameter {', '.join(wanted)} in {self.model.name!r} (parameters: {known})"
            )
        needed: set[str] = set()
        pending = [t.consumer for g in chosen for t in g.terms]
        while pending:
            name = pending.pop()
            if name in needed or name == self.model.loss.name:
                continue
            needed.add(name)
            pending += [t.consumer for t in self.adjoint(name).terms]
        adjoints = tuple(a for a in self.adjoints if a.node in needed)
        return Derivation(self.model, adjoints, tuple(chosen))

    @cached_property
    def _adjoint_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Each adjoint symbol's expression in forward symbols only (adjoints substituted)."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for adjoint in self.adjoints:  # consumers come first, so their values are ready
            values[adjoint.symbol] = adjoint.expr.xreplace(values)
        return values

    def expanded(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with adjoints substituted: only forward nodes (``h1out``, ``zout``) remain.

        This is the hand-written ``e1 = (zout-t)*(zout*(1-zout))*w[4]*(h1out*(1-h1out))*x`` form.
        """
        return expr.xreplace(self._adjoint_values)

    def in_leaves(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` in inputs, targets and parameters only."""
        return self.model.in_leaves(self.expanded(expr))


def derive(model: Model, seed: sp.Expr = sp.S.One, show_progress: bool = False) -> Derivation:
    """Derive the adjoint of every intermediate and the gradient of every parameter.

    ``seed`` is the loss's own adjoint: every adjoint and gradient is linear in it, so a seed
    ``lr`` gives them already multiplied by a learning rate.
    """
    contributions: dict[str, list[Term]] = defaultdict(list)
    adjoint_symbols: dict[str, sp.Expr] = {model.loss.name: seed}
    adjoints: list[Adjoint] = []
    inputs = {node.name for node in model.of_kind(Kind.INPUT, Kind.TARGET)}
    nodes = reversed(model.defined)
    if show_progress:
        nodes = progress(nodes, f"derive {model.name}", unit="node", at_least=PROGRESS_FROM)
    for node in nodes:
        if node.kind is Kind.INTERMEDIATE:
            adjoint = _adjoint(node, contributions[node.name], model)
            if adjoint is None:
                continue  # the loss does not depend on this node
            adjoints.append(adjoint)
            adjoint_symbols[node.name] = adjoint.symbol
        for sym in _sorted_symbols(node.expr):
            if sym.name in inputs:
                continue  # nothing is learnt about inputs and targets
            term = _term(model, node, sym, adjoint_symbols[node.name])
            if term.contribution != 0:
                contributions[sym.name].append(term)
    gradients = [_gradient(p, contributions[p.name], model) for p in model.parameters]
    return Derivation(model, tuple(adjoints), tuple(gradients))


def _term(model: Model, node: Node, sym: sp.Symbol, adjoint: sp.Expr) -> Term:
    if not model.is_vector:
        local = local_partial(node.expr, node.symbol, sym)
        return Term(node.name, adjoint * local, local)
    contribution = vjp(node.expr, sym, adjoint, _shape_function(model), node.symbol)
    return Term(node.name, _through_forward_nodes(model, contribution))


def _shape_function(model: Model):
    return lambda expr: shape_of(expr, model.shapes)


def _through_forward_nodes(model: Model, expr: sp.Expr) -> sp.Expr:
    """Name forward values a rule rebuilt: ``softmax(z2) - t`` becomes ``a2 - t``."""
    return expr.xreplace({node.expr: node.symbol for node in model.defined})


def _sum_of_paths(terms: list[Term], model: Model) -> sp.Expr:
    total = sp.Add(*[term.contribution for term in terms])
    return joined(total, _shape_function(model)) if model.is_vector else total


def _adjoint(node: Node, terms: list[Term], model: Model) -> Adjoint | None:
    if not terms:
        return None
    symbol = sp.Symbol(adjoint_name(node.name))
    return Adjoint(node.name, symbol, _sum_of_paths(terms, model), tuple(terms))


def _gradient(param: Node, terms: list[Term], model: Model) -> Gradient:
    if not terms and model.is_vector:  # the loss does not use it (an LSTM's Wh over one step)
        return Gradient(param.name, zeros_of(param.symbol), ())
    return Gradient(param.name, _sum_of_paths(terms, model), tuple(terms))


def _base(name: str) -> str:
    return name.split("[", 1)[0]


def _sorted_symbols(expr: sp.Expr) -> list[sp.Symbol]:
    return sorted(expr.free_symbols, key=lambda s: s.name)
