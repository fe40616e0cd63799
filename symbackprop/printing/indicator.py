"""Indicators: ReLU's derivative reads as ``(z > 0)`` (in LaTeX ``\\mathbf{1}[z > 0]``), not
as a table of cases.

SymPy differentiates ``Piecewise((u, u > 0), (0, True))`` into ``Piecewise((1, u > 0),
(0, True))`` and ``Max(u, 0)`` into ``Heaviside(u)``; both are the indicator of one condition
(Iverson's bracket), which is how people write them by hand.
"""

from __future__ import annotations

import sympy as sp


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
