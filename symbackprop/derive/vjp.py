"""The adjoint flowing from one node into one of its symbols, in scalar or vector mode.

A node's expression is elementwise arithmetic around array operations (``sigmoid(X @ W + b)``).
The array operations are set aside as placeholders, SymPy differentiates the elementwise rest
(through the node's output, as in scalar mode), and each operation's registered rule carries
the adjoint on into its arguments. Where a smaller array was broadcast (a bias, a scalar), its
adjoint is summed back to its own shape.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.derive.local import local_partial
from symbackprop.derive.rules import rule_for
from symbackprop.errors import ShapeError
from symbackprop.ir.ops import (
    ArrayOpBase,
    Shape,
    colsum,
    colsum_keepdims,
    rowsum,
    show_shape,
    total,
)

ShapeOf = Callable[[sp.Expr], Shape]


def vjp(
    expr: sp.Expr, wrt: sp.Symbol, g: sp.Expr, shape: ShapeOf, output: sp.Symbol | None = None
) -> sp.Expr:
    """d(loss)/d(wrt) through ``expr`` whose own adjoint is ``g``."""
    calls = _outermost_calls(expr)
    placeholders = {call: sp.Dummy(f"op{i}") for i, call in enumerate(calls)}
    elementwise = expr.xreplace(placeholders)
    # a local partial may hold other operations (d(op0 / op1)/d(op1) holds op0): put them back
    calls_back = {placeholder: call for call, placeholder in placeholders.items()}
    out_shape = shape(expr)
    total_adjoint = sp.S.Zero
    if wrt in elementwise.free_symbols:
        local = local_partial(elementwise, output, wrt).xreplace(calls_back)
        total_adjoint += unbroadcast(g * local, out_shape, shape(wrt))
    for call, placeholder in placeholders.items():
        if not call.has(wrt):
            continue
        local = local_partial(elementwise, output, placeholder).xreplace(calls_back)
        g_call = unbroadcast(g * local, out_shape, shape(call))
        for position, argument in enumerate(call.args):
            if argument.has(wrt):
                g_argument = rule_for(type(call), position)(g_call, *call.args)
                total_adjoint += vjp(argument, wrt, g_argument, shape)
    return total_adjoint


def _outermost_calls(expr: sp.Expr) -> list[ArrayOpBase]:
    """Array operations in ``expr`` that are not inside another array operation."""
    if isinstance(expr, ArrayOpBase):
        return [expr]
    calls: list[ArrayOpBase] = []
    for arg in expr.args:
        for call in _outermost_calls(arg):
            if call not in calls:
                calls.append(call)
    return calls


def unbroadcast(adjoint: sp.Expr, from_shape: Shape, to_shape: Shape) -> sp.Expr:
    """Sum ``adjoint`` (shaped like the broadcast result) back to the operand's shape."""
    if from_shape == to_shape or adjoint == 0:
        return adjoint
    if to_shape == ():
        return total(adjoint)
    if len(from_shape) == 2 and to_shape == from_shape[1:]:
        return colsum(adjoint)
    if len(from_shape) == 2 and to_shape == (from_shape[0], 1):
        return rowsum(adjoint)
    if len(from_shape) == 2 and to_shape == (1, from_shape[1]):
        return colsum_keepdims(adjoint)
    if all(d == 1 for d in from_shape) or from_shape == ():
        return adjoint  # a scalar adjoint broadcasts into the operand as it is
    raise ShapeError(
        f"cannot sum an adjoint of shape {show_shape(from_shape)} back to {show_shape(to_shape)}"
    )
