"""Plain-text printing of formulas, in the model's own names (``w[4]``, ``h1out``)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symbackprop.printing.ordering import AdjointTimesLocal, PositiveTermsFirst


class TextPrinter(AdjointTimesLocal, PositiveTermsFirst, StrPrinter):
    """SymPy's str printer with positive terms first (``zout - t``, ``1 - h1out``)."""

    _default_settings = {**StrPrinter._default_settings, "order": "none"}

    # Vector mode: array operations as NumPy writes them.
    def _print_dot(self, expr) -> str:
        left, right = (self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)
        return f"{left} @ {right}"

    def _print_T(self, expr) -> str:
        return f"{self.parenthesize(expr.args[0], PRECEDENCE['Func'])}.T"

    def _print_colsum(self, expr) -> str:
        return f"{self.parenthesize(expr.args[0], PRECEDENCE['Func'])}.sum(axis=0)"

    def _print_colsum_keepdims(self, expr) -> str:
        return f"{self.parenthesize(expr.args[0], PRECEDENCE['Func'])}.sum(axis=0, keepdims=True)"

    def _print_rowsum(self, expr) -> str:
        return f"{self.parenthesize(expr.args[0], PRECEDENCE['Func'])}.sum(axis=1, keepdims=True)"

    def _print_total(self, expr) -> str:
        return f"sum({self._print(expr.args[0])})"


def text(expr: sp.Expr) -> str:
    """``expr`` as a one-line formula: ``text(delta_z*w[4])`` gives ``'delta_z*w[4]'``."""
    return TextPrinter().doprint(expr)
