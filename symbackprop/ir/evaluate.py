"""Numeric evaluation of a scalar model's forward pass and of formulas over its nodes."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from symbackprop.ir.model import Model


def forward_values(model: Model, leaves: Mapping[str, float]) -> dict[sp.Symbol, float]:
    """Every node's value, from the leaves' values, computed in forward order."""
    missing = [node.name for node in model.nodes if node.kind.is_leaf and node.name not in leaves]
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    values: dict[sp.Symbol, float] = {sp.Symbol(k): v for k, v in leaves.items()}
    for node in model.defined:
        values[node.symbol] = _number(node.expr.xreplace(values))
    return values


def evaluate(expr: sp.Expr, values: Mapping[sp.Symbol, float]) -> float:
    """A formula over node symbols at the given node values."""
    return _number(sp.sympify(expr).xreplace(dict(values)))


def _number(expr):
    expr = sp.sympify(expr)
    return expr if expr.is_Rational else expr.evalf(30)
