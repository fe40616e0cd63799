"""What a model is made of, as training diagnostics need it: its activation units, its
prediction, and its parameters grouped by layer.

Activations are recognised by their SymPy expressions (compared with the definitions in
:data:`symbackprop.ir.activations.ACTIVATIONS`), never by node names, so ``h1out`` of
``tiny221`` and ``a1`` of a dense network are found alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.arrays import softmax, softmax_xent
from symbackprop.ir.evaluate import EvaluationError, evaluate
from symbackprop.ir.model import Kind, Model
from symbackprop.naming import identifier, split_indexed

RECOGNISED = ("sigmoid", "tanh", "relu")


@dataclass(frozen=True)
class Unit:
    """An activation node ``node = activation(pre_activation)``; both are named nodes."""

    node: str
    activation: str
    pre_activation: str


def activation_units(model: Model) -> list[Unit]:
    """Every node that applies a recognised activation to one earlier node, in forward order."""
    units = []
    for node in model.of_kind(Kind.INTERMEDIATE):
        argument = _single_symbol(node.expr)
        if argument is None or argument.name not in model.by_name:
            continue
        for name in RECOGNISED:
            if _same(node.expr, ACTIVATIONS[name](argument)):
                units.append(Unit(node.name, name, argument.name))
                break
    return units


def _single_symbol(expr: sp.Expr) -> sp.Symbol | None:
    symbols = expr.free_symbols
    return next(iter(symbols)) if len(symbols) == 1 else None


# Points where an activation written another way must take the definition's values.
_PROBES = (sp.Rational(-5, 2), sp.Rational(-1, 3), sp.Rational(1, 4), sp.Rational(7, 3))


def _same(expr: sp.Expr, definition: sp.Expr) -> bool:
    """Whether ``expr`` is ``definition`` written another way: equal values at a few points to
    25 digits. (simplify could prove it, but ran for minutes on ``u**1000 - tanh(u)``.)"""
    if expr == definition:
        return True
    (symbol,) = definition.free_symbols
    return all(_close(expr, definition, {symbol: point}) for point in _PROBES)


def _close(expr: sp.Expr, definition: sp.Expr, point: dict) -> bool:
    try:
        value, expected = (evaluate(e, point) for e in (expr, definition))
    except (EvaluationError, UnsupportedConstruct, TypeError, ValueError):
        return False  # undefined or complex there: not the definition
    if not (value.is_extended_real and value.is_finite):
        return False
    return bool(abs(value - expected) <= sp.Float("1e-25") * max(1, abs(expected)))


def prediction_node(model: Model) -> str:
    """The model's output: its last intermediate (``a2``, ``zout``, ``layer_2``)."""
    intermediates = model.of_kind(Kind.INTERMEDIATE)
    return intermediates[-1].name if intermediates else model.loss.name


def output_is_softmax(model: Model) -> bool:
    node = model.node(prediction_node(model))
    return node.expr.has(softmax) or model.loss.expr.has(softmax_xent)


def parameter_layers(model: Model) -> dict[str, list[str]]:
    """Parameters grouped by the node that first uses them: ``{"z1": ["W1", "b1"], ...}``,
    or for tiny221 ``{"h1": ["w[0]", "w[1]", "b[0]"], ...}``, in forward order."""
    layers: dict[str, list[str]] = {}
    for node in model.parameters:
        users = model.consumers[node.name]
        if users:
            layers.setdefault(users[0].name, []).append(node.name)
    order = {node.name: i for i, node in enumerate(model.nodes)}
    return dict(sorted(layers.items(), key=lambda item: order[item[0]]))


def leaf_value(values: dict, leaf: str) -> np.ndarray:
    """A parameter's value (or gradient) in a generated module's dict: ``w[4]`` is
    ``values["w"][4]``, ``W1`` is ``values["W1"]``."""
    indexed = split_indexed(leaf)
    if indexed is None:
        return np.asarray(values[identifier(leaf)], dtype=float)
    base, index = indexed
    return np.asarray(values[identifier(base)][index], dtype=float)
