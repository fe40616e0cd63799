"""What a model is made of, as training diagnostics need it: its activation units, its
prediction, and its parameters grouped by layer.

Activations are recognised by their type (the classes of :mod:`symbackprop.ir.activations`,
and SymPy's tanh), never by node names, so ``h1out`` of ``tiny221`` and ``a1`` of a dense
network are found alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symbackprop.ir.activations import relu, sigmoid
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import softmax, softmax_xent
from symbackprop.naming import identifier, split_indexed

# The activations the diagnostics know about (saturation, dead units), by class.
RECOGNISED: dict[type, str] = {sigmoid: "sigmoid", sp.tanh: "tanh", relu: "relu"}


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
        name = RECOGNISED.get(type(node.expr))
        argument = node.expr.args[0] if name else None
        if isinstance(argument, sp.Symbol) and argument.name in model.by_name:
            units.append(Unit(node.name, name, argument.name))
    return units


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
