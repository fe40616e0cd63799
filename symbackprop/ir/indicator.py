"""Indicators: ReLU's derivative reads as ``(z > 0)`` (in LaTeX ``\\mathbf{1}[z > 0]``), not
as a table of cases.

SymPy differentiates ``Piecewise((u, u > 0), (0, True))`` into ``Piecewise((1, u > 0),
(0, True))`` and ``Max(u, 0)`` into ``Heaviside(u)``; both are the indicator of one condition
(Iverson's bracket), which is how people write them by hand. Hand-written code makes them
from comparisons: ``(z > 0)``, ``(h > 0).astype(float)``, ``np.heaviside(z, 0)``.
"""

from __future__ import annotations

import sympy as sp


def indicator(condition: sp.Basic) -> sp.Expr:
    """1 where ``condition`` holds, 0 elsewhere: ``(z > 0)`` read as a number."""
    return sp.Piecewise((1, condition), (0, True))


def indicator_condition(expr: sp.Basic) -> sp.Basic | None:
    """The condition of ``expr`` when it is 1 where the condition holds and 0 elsewhere.

    ``Piecewise((1, z > 0), (0, True))`` and ``Heaviside(z)`` give ``z > 0``; anything else
    gives None.
    """
    if isinstance(expr, sp.Heaviside):
        return sp.StrictGreaterThan(expr.args[0], 0, evaluate=False)
    if isinstance(expr, sp.Piecewise) and len(expr.args) == 2:
        (one, condition), (zero, otherwise) = expr.args
        if one == 1 and zero == 0 and otherwise == sp.true:
            return condition
    return None


def truth(expr: sp.Expr) -> sp.Basic:
    """Where ``expr`` counts as true, as ``np.where`` reads a mask: its condition when it is an
    indicator, else where it is nonzero."""
    condition = indicator_condition(expr)
    return condition if condition is not None else sp.Ne(expr, 0, evaluate=False)
