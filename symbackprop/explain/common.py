"""What scalar and vector explanations share: parameter choice, the forward pass, values."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symbackprop.derive import Derivation
from symbackprop.errors import SpecError
from symbackprop.explain.document import Section, SectionBuilder
from symbackprop.explain.graph import computation_graph
from symbackprop.explain.notation import Notation, show_shape
from symbackprop.ir.activations import activations_in
from symbackprop.ir.evaluate import evaluate, forward_values
from symbackprop.ir.model import Kind, Model
from symbackprop.limits import MAX_SHOWN_NODES, tree_size_at_most
from symbackprop.naming import BATCH_SIZE, split_indexed

_U = sp.Symbol("u")
LEAF_OPS_SHOWN = 30  # a gradient in leaves is shown only while it stays this short


class UnknownParameter(SpecError):
    """``--param`` names no parameter of the model."""


def chosen_parameters(model: Model, param: str | Sequence[str] | None) -> list[str]:
    """The parameters to explain: all, one or several by name, or every element of an indexed
    base, in the order asked and each once.

    >>> from symbackprop.readers.examples import tiny221
    >>> chosen_parameters(tiny221(), "b")
    ['b[0]', 'b[1]', 'b[2]']
    >>> chosen_parameters(tiny221(), ["w[5]", "b[2]", "w[5]"])
    ['w[5]', 'b[2]']
    """
    names = [node.name for node in model.parameters]
    if param is None:
        return names
    if not isinstance(param, str):
        chosen = [name for one in param for name in chosen_parameters(model, one)]
        return list(dict.fromkeys(chosen))
    param = param.strip()
    if param in names:
        return [param]
    elements = [name for name in names if (split_indexed(name) or ("",))[0] == param]
    if elements:
        return elements
    raise UnknownParameter(
        f"{param!r} is not a parameter of {model.name!r} (parameters: {', '.join(names)})"
    )


def on_the_way(derivation: Derivation, params: list[str]) -> list[str]:
    """Nodes whose adjoints the chosen parameters' gradients use, loss side first."""
    return [a.node for a in derivation.for_parameters(params).adjoints]


def point_values(derivation: Derivation) -> dict | None:
    """Every node's value when the model gives a value to every leaf (torch-scalar), else None."""
    model = derivation.model
    leaves = [node.name for node in model.nodes if node.kind.is_leaf]
    if model.is_vector or not model.values or any(name not in model.values for name in leaves):
        return None
    leaf_values = {name: sp.sympify(value) for name, value in model.values.items()}
    return forward_values(model, leaf_values)


def value_tex(derivation: Derivation, expr: sp.Expr, values: dict, notation: Notation) -> str:
    """The number ``expr`` (over nodes and adjoints) takes at the model's point."""
    value = sp.sympify(evaluate(derivation.expanded(expr), values))
    if value.is_Rational:
        return notation.tex(value)
    return notation.tex(sp.Float(float(value), 6))


def in_leaves(derivation: Derivation, expr: sp.Expr) -> sp.Expr | None:
    """``expr`` in inputs, targets and parameters only, or None when that is too long to read."""
    expanded = derivation.in_leaves(expr)
    if not tree_size_at_most(MAX_SHOWN_NODES, expanded):
        return None  # far too long, and factoring it could take minutes
    leaves = sp.factor_terms(expanded)
    return leaves if sp.count_ops(leaves) <= LEAF_OPS_SHOWN else None


# -- the forward pass -------------------------------------------------------------------------
_LEAF_KINDS = ((Kind.INPUT, "inputs"), (Kind.TARGET, "targets"), (Kind.PARAMETER, "parameters"))


def forward_section(model: Model, notation: Notation) -> Section:
    section = SectionBuilder("1. The forward pass")
    section.say(
        "The model computes each node from earlier ones, in this order. Every derivative below "
        "is read off one of these definitions."
    )
    section.items(
        [
            _leaf_line(model, notation, kind, label)
            for kind, label in _LEAF_KINDS
            if _leaves(model, kind)
        ]
    )
    if model.is_vector:
        section.say(
            f"Rows are samples: ${notation.name(BATCH_SIZE)}$ is the number of samples in the "
            "batch. The shape of every array is written under it; a vector added to a matrix is "
            "added to every row (NumPy broadcasting)."
        )
    section.show(*[_definition_row(node, notation, model) for node in model.defined])
    used = [a(_U) for a in activations_in(*(node.expr for node in model.defined))]
    if used:  # each activation's definition, once: a reader's own one is no mystery
        where = ", ".join(f"${notation.tex(a)} = {notation.tex(a.written_out())}$" for a in used)
        section.say(f"where {where}" + (", elementwise." if model.is_vector else "."))
    loss = model.loss
    section.say(f"The last node, `{loss.name}`, is the loss: the number training makes small.")
    section.figure(
        computation_graph(model, notation),
        "The computation graph: each arrow runs from a value to a node computed from it; "
        "backpropagation walks the arrows backwards, from the loss to every parameter.",
    )
    return section.build()


def _leaves(model: Model, kind: Kind) -> list[str]:
    return [n.name for n in model.of_kind(kind) if not (model.is_vector and n.name == BATCH_SIZE)]


def _leaf_line(model: Model, notation: Notation, kind: Kind, label: str) -> str:
    shown = []
    for name in _leaves(model, kind):
        shape = model.shapes.get(name, ()) if model.is_vector else ()
        shown.append(f"${notation.name(name)}$" + (f" ${show_shape(shape)}$" if shape else ""))
    return f"{label.capitalize()}: " + ", ".join(shown)


def _definition_row(node, notation: Notation, model: Model) -> str:
    lhs = notation.name(node.name)
    if not model.is_vector:
        return f"{lhs} &= {notation.tex(node.expr)}"
    return f"{notation.under(lhs, model.shapes[node.name])} &= {notation.shaped(node.expr)}"
