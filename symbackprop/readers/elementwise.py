"""The elementwise NumPy of hand-written backprop, as SymPy: masks, casts, clips and maxima.

``np.maximum(0, z)`` and ``np.where(z > 0, z, 0.01 * z)`` are activations written out, read
as the built-in activation whose definition they are (``relu(z)``, ``leaky_relu(z)``), so
that derivations name them; ``np.where`` and ``np.heaviside`` are piecewise; a cast of a mask
(``(z > 0).astype(float)``) is the mask itself. Each function takes and returns SymPy
expressions (a comparison already read as an indicator, see
:mod:`~symbackprop.ir.indicator`).
"""

from __future__ import annotations

import sympy as sp

from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.indicator import indicator, indicator_condition, truth

# Built-in activations that hand-written code spells as a piecewise choice.
_PIECEWISE_ACTIVATIONS = tuple(ACTIVATIONS[name] for name in ("relu", "leaky_relu"))


def named_activation(expr: sp.Expr) -> sp.Expr:
    """``Piecewise((z, z > 0), (0, True))`` -> ``relu(z)``: a built-in activation that
    ``expr`` writes out; else ``expr`` as it is."""
    if not isinstance(expr, sp.Piecewise):
        return expr
    condition = expr.args[0][1]
    if not isinstance(condition, sp.StrictGreaterThan) or condition.rhs != 0:
        return expr
    for activation in _PIECEWISE_ACTIVATIONS:
        if activation.definition(condition.lhs) == expr:
            return activation(condition.lhs)
    return expr


def maximum(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``np.maximum(a, b)``: ReLU for ``(0, z)``, a leaky ReLU for ``(z, c*z)`` with
    ``0 < c < 1``; else the elementwise maximum."""
    for x, y in ((a, b), (b, a)):
        if x.is_number:
            continue
        slope, rest = y.as_coeff_Mul()
        if y == 0 or (rest == x and 0 < slope < 1):
            return named_activation(sp.Piecewise((x, x > 0), (y, True)))
    return sp.Max(a, b)


def where(condition: sp.Expr, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``np.where(condition, a, b)``, the condition a comparison or a mask."""
    return named_activation(sp.Piecewise((a, truth(condition)), (b, True)))


def heaviside(x: sp.Expr, at_zero: sp.Expr) -> sp.Expr:
    """``np.heaviside(x, at_zero)``: 1 for x > 0, ``at_zero`` at 0, 0 below."""
    if at_zero == 0:
        return indicator(x > 0)
    if at_zero == 1:
        return indicator(x >= 0)
    return sp.Piecewise((1, x > 0), (at_zero, sp.Eq(x, 0, evaluate=False)), (0, True))


def clip(a: sp.Expr, low: sp.Expr, high: sp.Expr) -> sp.Expr:
    """``np.clip(a, low, high)``: exact, so that a clip that never binds changes nothing."""
    return sp.Min(sp.Max(a, low), high)


def product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``np.dot(a, b)`` or ``np.multiply(a, b)`` of numbers (array mode reads them first)."""
    return a * b


def log1p(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + x)


def expm1(x: sp.Expr) -> sp.Expr:
    return sp.exp(x) - 1


def logaddexp(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``np.logaddexp(0, z)``: softplus where one side is 0."""
    for x, y in ((a, b), (b, a)):
        if x == 0:
            return ACTIVATIONS["softplus"](y)
    return sp.log(sp.exp(a) + sp.exp(b))


def square(x: sp.Expr) -> sp.Expr:
    return x**2


def same(x: sp.Expr) -> sp.Expr:
    """A copy, a float cast, or a sum or mean of one number: the value itself."""
    return x


def whole(x: sp.Expr) -> sp.Expr:
    """An integer (or boolean) cast: the value itself where it is a mask of 0s and 1s."""
    if indicator_condition(x) is None and x not in (0, 1):
        raise TypeError("an integer cast of a value that is not a mask of 0s and 1s")
    return x
