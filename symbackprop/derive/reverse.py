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

from symbackprop.derive.local import local_partial
from symbackprop.model.ir import Kind, Model, Node
from symbackprop.naming import adjoint_name


@dataclass(frozen=True)
class Term:
    """One path's contribution: ``adjoint(consumer) * local``."""

    consumer: str
    local: sp.Expr


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

    @cached_property
    def _adjoint_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Each adjoint symbol's expression in forward symbols only (adjoints substituted)."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for adjoint in self.adjoints:  # consumers come first, so their values are ready
            values[adjoint.symbol] = adjoint.expr.xreplace(values)
        return values

    def expanded(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with adjoints substituted: only forward nodes (``h1out``, ``zout``) remain.

        This is the seed's ``e1 = (zout-t)*(zout*(1-zout))*w[4]*(h1out*(1-h1out))*x`` form.
        """
        return expr.xreplace(self._adjoint_values)

    def in_leaves(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` in inputs, targets and parameters only."""
        return self.model.in_leaves(self.expanded(expr))


def derive(model: Model) -> Derivation:
    """Derive the adjoint of every intermediate and the gradient of every parameter."""
    contributions: dict[str, list[Term]] = defaultdict(list)
    adjoint_symbols: dict[str, sp.Expr] = {model.loss.name: sp.S.One}
    adjoints: list[Adjoint] = []
    for node in reversed(model.defined):
        if node.kind is Kind.INTERMEDIATE:
            adjoint = _adjoint(node, contributions[node.name], adjoint_symbols)
            if adjoint is None:
                continue  # the loss does not depend on this node
            adjoints.append(adjoint)
            adjoint_symbols[node.name] = adjoint.symbol
        for sym in _sorted_symbols(node.expr):
            local = local_partial(node.expr, node.symbol, sym)
            if local != 0:
                contributions[sym.name].append(Term(node.name, local))
    gradients = [_gradient(p, contributions[p.name], adjoint_symbols) for p in model.parameters]
    return Derivation(model, tuple(adjoints), tuple(gradients))


def _sum_of_paths(terms: list[Term], adjoint_symbols: dict[str, sp.Expr]) -> sp.Expr:
    return sp.Add(*[adjoint_symbols[term.consumer] * term.local for term in terms])


def _adjoint(node: Node, terms: list[Term], adjoint_symbols) -> Adjoint | None:
    if not terms:
        return None
    expr = _sum_of_paths(terms, adjoint_symbols)
    return Adjoint(node.name, sp.Symbol(adjoint_name(node.name)), expr, tuple(terms))


def _gradient(param: Node, terms: list[Term], adjoint_symbols) -> Gradient:
    return Gradient(param.name, _sum_of_paths(terms, adjoint_symbols), tuple(terms))


def _sorted_symbols(expr: sp.Expr) -> list[sp.Symbol]:
    return sorted(expr.free_symbols, key=lambda s: s.name)
