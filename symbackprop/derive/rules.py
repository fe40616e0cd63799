"""Backward rules of the array operations, one registry, one line each where possible.

``VJP_RULES[op]`` holds one function per argument: given the adjoint ``g`` of the operation's
result and the operation's arguments, it returns the adjoint flowing into that argument
(autograd's ``defvjp``). Elementwise arithmetic needs no rule: SymPy differentiates it.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.errors import MissingRule
from symbackprop.ir.activations import sigmoid
from symbackprop.ir.arrays import (
    T,
    colsum,
    colsum_keepdims,
    dot,
    rowsum,
    sigmoid_bce,
    softmax,
    softmax_xent,
    total,
)

Rule = Callable[..., sp.Expr]
VJP_RULES: dict[type, tuple[Rule | None, ...]] = {}


def defvjp(op: type, *rules: Rule | None) -> None:
    """Register the backward rule of each argument of ``op`` (None: not differentiable)."""
    VJP_RULES[op] = rules


def rule_for(op: type, argument: int) -> Rule:
    rules = VJP_RULES.get(op) or getattr(op, "vjp", None)  # an op may hold its own rules
    if rules is None:
        raise MissingRule(f"no backward rule registered for {op.__name__}")
    rule = rules[argument] if argument < len(rules) else None
    if rule is None:
        raise MissingRule(f"{op.__name__} is not differentiable in argument {argument + 1}")
    return rule


# -- linear algebra ---------------------------------------------------------------------------
defvjp(dot, lambda g, a, b: dot(g, T(b)), lambda g, a, b: dot(T(a), g))
defvjp(T, lambda g, a: T(g))

# -- reductions: the adjoint of a sum spreads back by broadcasting -----------------------------
defvjp(total, lambda g, a: g)
defvjp(colsum, lambda g, a: g)
defvjp(colsum_keepdims, lambda g, a: g)
defvjp(rowsum, lambda g, a: g)

# -- softmax and the fused losses -------------------------------------------------------------
defvjp(softmax, lambda g, z: softmax(z) * (g - rowsum(g * softmax(z))))
defvjp(softmax_xent, lambda g, z, t: g * (softmax(z) - t), None)
defvjp(sigmoid_bce, lambda g, z, t: g * (sigmoid(z) - t), None)
