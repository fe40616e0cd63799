"""A network whose backward takes no upstream gradient, its gradients of a cost: the one its
forward returns first (``forward_propagation_n(X, Y, parameters) -> (cost, cache)``), or the
file's cost of its output (``compute_cost(A2, Y)``). What its backward is called with, by the
names it takes them."""

from __future__ import annotations

import ast

from symbackprop.errors import UnsupportedConstruct
from symbackprop.readers.concrete.interpreter import plain

# A regulariser's strength (the course's ``lambd``): distinct, away from 0 and 1, so that a
# term dropped, doubled or taken at the wrong strength changes the gradient.
STRENGTHS = (0.7, 0.3, 1.3)


def cost_name(forward: ast.FunctionDef) -> str:
    """The name of the cost a forward returns first (``cost``)."""
    first = forward.body[-1].value.elts[0]
    return first.id if isinstance(first, ast.Name) else "cost"


def output_names(forward, output, labels, cost) -> dict:
    """What a backward may take by name beside the forward's arguments: the output as the
    forward returns it (``AL``) and the labels as the cost takes them (``Y``)."""
    first = forward.body[-1].value.elts[0]
    names = {cost.args.args[1].arg: labels}
    if isinstance(first, ast.Name):
        names[first.id] = plain(output)
    return names


def cost_pair_arguments(forward, backward, arguments: dict, cache: list) -> list:
    """What ``backward_propagation_n(X, Y, cache)`` is called with: the forward's arguments by
    their names, then what the forward returned after its cost, in order."""
    rest = iter(cache)
    return [
        plain(arguments[name]) if name in arguments else next(rest, None)
        for name in (a.arg for a in backward.args.args)
    ]


def cost_numbers(cost: ast.FunctionDef, forward: ast.FunctionDef) -> dict[str, float]:
    """The numbers a cost takes beyond its output, its labels and the forward's arguments
    (``compute_cost_with_regularization(A3, Y, parameters, lambd)``'s ``lambd``), each at a
    strength of its own."""
    taken = {a.arg for a in forward.args.args}
    extra = [a.arg for a in cost.args.args[2:] if a.arg not in taken]
    return dict(zip(extra, STRENGTHS, strict=False))


def cost_arguments(cost: ast.FunctionDef, output, labels, named: dict) -> list:
    """What the cost is called with: the output, the labels, then its other arguments by
    their names among the forward's arguments and :func:`cost_numbers`."""
    rest = [a.arg for a in cost.args.args[2:]]
    missing = [name for name in rest if name not in named]
    if missing:
        raise UnsupportedConstruct(f"cannot tell what {cost.name}() takes as {missing[0]}")
    return [output, labels, *(named[name] for name in rest)]
