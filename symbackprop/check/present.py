"""Formulas printed the way the user wrote them: their names, NumPy spellings, chain order."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from symbackprop.printing.derivation import chain_form
from symbackprop.printing.text import TextPrinter


def formula_text(subject, expr: sp.Expr, names: Mapping[sp.Symbol, str] | None = None) -> str:
    """``expr`` as text, pre-activations written out and symbols renamed to the user's names."""
    expr = subject.readable(sp.sympify(expr))
    if names:
        expr = expr.xreplace({symbol: sp.Symbol(name) for symbol, name in names.items()})
    return TextPrinter().doprint(expr)


def correct_form(subject, target_expr: sp.Expr, terms, names: Mapping[sp.Symbol, str]) -> sp.Expr:
    """The correct value in the user's vocabulary.

    Adjoints the user has a name for stay symbols (printed with that name); the others are
    written out until only named adjoints and forward values remain. Without named adjoints a
    scalar gradient prints as its chain of local factors, the way ``e1`` is written by hand.
    """
    named = {s for s in names if s in subject.adjoint_symbols}
    if not named and not subject.is_vector and terms is not None:
        chain = chain_form(subject.derivation, terms)
        if chain is not None:
            return chain
    values = {a.symbol: a.expr for a in subject.derivation.adjoints if a.symbol not in named}
    expr = target_expr
    for _ in range(len(values) + 1):
        written = expr.xreplace(values)
        if written == expr:
            break
        expr = written
    return expr
