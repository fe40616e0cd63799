"""Term order shared by the text and LaTeX printers: positive terms first (``zout - t``).

The printers run with ``order="none"`` so that a product keeps its factors in the order it was
built (chain order, loss first); sums are ordered here instead.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symbackprop.naming import ADJOINT_PREFIX


class PositiveTermsFirst:
    """Printer mixin: a sum lists its positive terms, then its negative ones."""

    def _as_ordered_terms(self, expr, order=None):
        terms = expr.as_ordered_terms()
        return sorted(terms, key=lambda term: term.could_extract_minus_sign())


class AdjointTimesLocal:
    """Printer mixin: a product with one adjoint prints as ``adjoint*(local factors)``.

    ``delta_z*(zout*(1 - zout))`` reads as the chain rule's "adjoint times local derivative",
    and evaluates in the same order as hand-written backprop does.
    """

    def _print_Mul(self, expr):
        adjoints = [f for f in expr.args if f.is_Symbol and f.name.startswith(ADJOINT_PREFIX)]
        if len(adjoints) != 1 or expr.could_extract_minus_sign():
            return super()._print_Mul(expr)
        rest = [f for f in expr.args if f is not adjoints[0]]
        local = sp.Mul(*rest)
        if len(rest) > 1 and not local.is_Number:
            local_text = f"({self._print(local)})"
        else:
            local_text = self.parenthesize(local, PRECEDENCE["Mul"])
        return f"{self._print(adjoints[0])}*{local_text}"
