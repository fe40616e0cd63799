"""Plain-text printing of formulas, in the model's own names (``w[4]``, ``h1out``)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from symbackprop.ir.indicator import indicator_condition
from symbackprop.printing.ordering import AdjointTimesLocal, PositiveTermsFirst


class TextPrinter(AdjointTimesLocal, PositiveTermsFirst, StrPrinter):
    """SymPy's str printer with positive terms first (``zout - t``, ``1 - h1out``)."""

    _default_settings = {**StrPrinter._default_settings, "order": "none"}

    def _print_ArrayOpBase(self, expr) -> str:
        """Vector mode: each array op says how NumPy writes it (``a @ b``, ``a.T``)."""
        return expr.text_form(self)

    def _print_Piecewise(self, expr) -> str:
        condition = indicator_condition(expr)
        if condition is not None:
            return self._indicator(condition)
        if len(expr.args) == 2 and expr.args[1].cond == sp.true:
            # leaky ReLU's derivative as NumPy writes it: np.where(z > 0, 1, 1/100)
            (then, when), (otherwise, _) = expr.args
            parts = (self._print(when), self._print(then), self._print(otherwise))
            return "np.where({}, {}, {})".format(*parts)
        # StrPrinter has no Piecewise method of its own: it prints it as any function call
        return self._print_Function(expr)

    def _print_Heaviside(self, expr) -> str:
        return self._indicator(indicator_condition(expr))

    def _print_Equality(self, expr) -> str:
        # NumPy's spelling (a maximum's mask), not SymPy's Eq(a, b)
        return f"{self._print(expr.lhs)} == {self._print(expr.rhs)}"

    def _print_Unequality(self, expr) -> str:
        return f"{self._print(expr.lhs)} != {self._print(expr.rhs)}"

    def _indicator(self, condition) -> str:
        """``(z > 0)``: 1 where the condition holds, else 0 (ReLU's derivative), written as the
        mask NumPy multiplies by, so that a corrected line runs as it reads."""
        return f"({self._print(condition)})"


def text(expr: sp.Expr) -> str:
    """``expr`` as a one-line formula: ``text(delta_z*w[4])`` gives ``'delta_z*w[4]'``."""
    return TextPrinter().doprint(expr)
