"""Built-in activations and losses, each one SymPy definition and nothing else.

Their derivatives are never typed in: the derivation differentiates these definitions, and a
user-supplied SymPy function works the same way with no new code.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.errors import SpecError

_u = sp.Symbol("u")
_y, _t = sp.Symbol("y"), sp.Symbol("t")

ACTIVATIONS: dict[str, sp.Lambda] = {
    "identity": sp.Lambda(_u, _u),
    "sigmoid": sp.Lambda(_u, 1 / (1 + sp.exp(-_u))),
    "tanh": sp.Lambda(_u, sp.tanh(_u)),
    "relu": sp.Lambda(_u, sp.Piecewise((_u, _u > 0), (0, True))),
    "leaky_relu": sp.Lambda(_u, sp.Piecewise((_u, _u > 0), (_u / 100, True))),
    "softplus": sp.Lambda(_u, sp.log(1 + sp.exp(_u))),
    "swish": sp.Lambda(_u, _u / (1 + sp.exp(-_u))),
    "gelu": sp.Lambda(
        _u,
        _u / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (_u + sp.Rational(44715, 1000000) * _u**3))),
    ),
}
ACTIVATIONS["silu"] = ACTIVATIONS["swish"]

# Per-output losses of a prediction y against a target t; a reduction sums or averages them.
LOSSES: dict[str, sp.Lambda] = {
    "half_sse": sp.Lambda((_y, _t), (_t - _y) ** 2 / 2),
    "sse": sp.Lambda((_y, _t), (_t - _y) ** 2),
    "mse": sp.Lambda((_y, _t), (_t - _y) ** 2),
    "bce": sp.Lambda((_y, _t), -(_t * sp.log(_y) + (1 - _t) * sp.log(1 - _y))),
}
REDUCTIONS = ("sum", "mean")

ActivationLike = str | sp.Lambda | Callable[[sp.Expr], sp.Expr]


def activation(spec: ActivationLike) -> sp.Lambda:
    """An activation as a one-argument Lambda: a built-in name, a Lambda or a Python callable."""
    if isinstance(spec, sp.Lambda):
        return spec
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec]
        except KeyError:
            known = ", ".join(sorted(ACTIVATIONS))
            raise SpecError(f"unknown activation {spec!r} (known: {known})") from None
    return sp.Lambda(_u, spec(_u))


def loss(spec: str | sp.Lambda) -> sp.Lambda:
    """A per-output loss as a Lambda of (prediction, target)."""
    if isinstance(spec, sp.Lambda):
        return spec
    try:
        return LOSSES[spec]
    except KeyError:
        raise SpecError(f"unknown loss {spec!r} (known: {', '.join(sorted(LOSSES))})") from None
