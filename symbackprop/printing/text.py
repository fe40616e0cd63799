"""Plain-text printing of formulas, in the model's own names (``w[4]``, ``h1out``)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from symbackprop.printing.ordering import PositiveTermsFirst


class TextPrinter(PositiveTermsFirst, StrPrinter):
    """SymPy's str printer with positive terms first (``zout - t``, ``1 - h1out``)."""

    _default_settings = {**StrPrinter._default_settings, "order": "none"}


def text(expr: sp.Expr) -> str:
    """``expr`` as a one-line formula: ``text(delta_z*w[4])`` gives ``'delta_z*w[4]'``."""
    return TextPrinter().doprint(expr)
