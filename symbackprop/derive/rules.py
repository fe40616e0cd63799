"""Where the derivation finds an op's backward rule: on the op itself.

Each array op of :mod:`symbackprop.ir.ops` holds ``vjp``, one function per argument: given the
adjoint ``g`` of the operation's result and the operation's arguments, it returns the adjoint
flowing into that argument (autograd's ``defvjp``, kept beside the op as JAX keeps a
primitive's rules). Elementwise arithmetic needs no rule: SymPy differentiates it.
"""

from __future__ import annotations

from symbackprop.errors import MissingRule
from symbackprop.ir.ops import Rule


def rule_for(op: type, argument: int) -> Rule:
    """The backward rule of ``op`` for its argument number ``argument`` (from 0)."""
    rules = getattr(op, "vjp", ())
    if not rules:
        raise MissingRule(f"no backward rule registered for {op.__name__}")
    rule = rules[argument] if argument < len(rules) else None
    if rule is None:
        raise MissingRule(f"{op.__name__} is not differentiable in argument {argument + 1}")
    return rule
