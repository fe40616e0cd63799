"""Diagnoses from a variant of the model: a blend whose gate and complement are swapped.

A blend ``h = z*h_prev + (1 - z)*h_tilde`` (a GRU's update, a highway layer's carry) is written
the other way round by half the literature: PyTorch and Keras put ``z`` on ``h_prev``, the
original paper and many courses on ``h_tilde``. A formula derived under the other convention is
right for the swapped model, so the swapped model is derived and the formula tried against it.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.check.blend import SWAPPED
from symbackprop.check.probe import Diagnosis, Probe
from symbackprop.check.subject import Subject
from symbackprop.derive import Derivation, derive
from symbackprop.ir.model import Model, Node

# What a formula claims, under a given derivation (the claim's target, times its scale).
ExpectedIn = Callable[[Derivation], sp.Expr]


def swapped_blend(subject: Subject, probe: Probe, expected_in: ExpectedIn) -> Diagnosis | None:
    """The formula is the derivative of the model with one blend's gate and complement
    swapped."""
    model = subject.model
    for node in model.defined:
        swapped = blend_swapped(node.expr)
        if swapped is None:
            continue
        variant = _replaced(model, Node(node.name, node.kind, swapped, node.line))
        derivation = derive(variant)
        value = _forward_written(variant, node, derivation.expanded(expected_in(derivation)))
        if probe.matches(value):
            return Diagnosis(
                SWAPPED,
                f"{SWAPPED}: the formula is right for {node.name} = {probe.text(swapped)}, "
                f"but the model blends {node.name} = {probe.text(node.expr)}",
                factor=node.expr,
                written=swapped,
            )
    return None


def blend_swapped(expr: sp.Expr) -> sp.Expr | None:
    """``(1 - z)*a + z*b`` for ``z*a + (1 - z)*b``; None for anything else."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2:
        return None
    for first, second in (expr.args, expr.args[::-1]):
        for gate in sp.Mul.make_args(first):
            if gate.is_Number or 1 - gate not in sp.Mul.make_args(second):
                continue
            return (1 - gate) * (first / gate) + gate * (second / (1 - gate))
    return None


def _replaced(model: Model, node: Node) -> Model:
    nodes = tuple(node if n.name == node.name else n for n in model.nodes)
    return Model(
        model.name,
        nodes,
        model.source,
        model.description,
        dict(model.values),
        dict(model.leaf_shapes),
    )


def _forward_written(model: Model, changed: Node, expr: sp.Expr) -> sp.Expr:
    """``expr`` with the changed node, and the nodes computed from it, written out: their
    values at the trial points are the original model's."""
    after: dict[sp.Symbol, sp.Expr] = {}
    for node in model.defined:
        if node.name == changed.name or node.expr.has(*after):
            after[node.symbol] = model.by_name[node.name].expr
    for _ in range(len(after) + 1):
        written = expr.xreplace(after)
        if written == expr:
            break
        expr = written
    return expr
