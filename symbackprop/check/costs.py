"""A network whose backward takes no upstream gradient, its gradients of a cost: the one its
forward returns first (``forward_propagation_n(X, Y, parameters) -> (cost, cache)``), or the
file's cost of its output (``compute_cost(A2, Y)``). What its backward is called with, by the
names it takes them."""

from __future__ import annotations

import ast

from symbackprop.readers.concrete.interpreter import plain


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
