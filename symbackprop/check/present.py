"""Formulas printed the way the user wrote them: their names, NumPy spellings, chain order."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from symbackprop.ir.ops import ArrayOpBase
from symbackprop.limits import tree_size_at_most
from symbackprop.printing.derivation import chain_form
from symbackprop.printing.text import TextPrinter

MAX_SIMPLIFIED_OPS = 120  # larger parts are shown as derived: cancel's gcds grow fast
Name = str | sp.Expr  # the user's name for an adjoint, or a multiple of it


def formula_text(subject, expr: sp.Expr, names: Mapping[sp.Symbol, Name] | None = None) -> str:
    """``expr`` as text, pre-activations written out and symbols renamed to the user's names
    (a name may stand for a multiple: ``dZ2/m`` where the code's dZ2 is m times an adjoint)."""
    expr = subject.readable(sp.sympify(expr))
    if names:
        expr = expr.xreplace({symbol: _named(name) for symbol, name in names.items()})
        if not all(isinstance(name, str) for name in names.values()):
            expr = scalars_out(expr, lambda s: _is_scalar(subject, s))
    return TextPrinter().doprint(expr)


def _named(name: Name) -> sp.Expr:
    return sp.Symbol(name) if isinstance(name, str) else name


def _is_scalar(subject, symbol: sp.Symbol) -> bool:
    if not subject.is_vector:
        return True
    sizes = {s.name for s in subject.trials[0].sizes}
    return symbol.name in sizes or subject.shapes.get(symbol.name, None) == ()


def scalars_out(expr: sp.Expr, is_scalar) -> sp.Expr:
    """Scalar factors taken out of sums, matrix products and transposes, where a reader looks
    for them: ``dZ2.sum(axis=1, keepdims=True)/m``, not ``(dZ2/m).sum(axis=1, keepdims=True)``."""
    if not expr.args or expr.is_Atom:
        return expr
    args = [scalars_out(a, is_scalar) for a in expr.args]
    if not isinstance(expr, ArrayOpBase):
        return expr.func(*args)
    pulled = []
    for index, arg in enumerate(args):
        scalar, rest = _split_scalar(arg, is_scalar)
        pulled.append(scalar)
        args[index] = rest
    return sp.Mul(*pulled) * expr.func(*args)


def _split_scalar(expr: sp.Expr, is_scalar) -> tuple[sp.Expr, sp.Expr]:
    scalar, rest = [], []
    for factor in sp.Mul.make_args(expr):
        if factor.is_number or all(is_scalar(s) for s in factor.free_symbols):
            scalar.append(factor)
        else:
            rest.append(factor)
    if not rest:
        return sp.S.One, expr
    return sp.Mul(*scalar), sp.Mul(*rest)


def simplified(subject, expr: sp.Expr) -> sp.Expr:
    """Elementwise parts cancelled where that shortens them: sigmoid's derivative times the
    cross-entropy's is ``A2 - Y``. Matrix products, sums and activations are kept as they are."""
    if expr.is_Atom:
        return expr
    args = [simplified(subject, a) for a in expr.args]
    expr = expr.func(*args)
    if isinstance(expr, ArrayOpBase) or not isinstance(expr, sp.Add | sp.Mul | sp.Pow):
        return expr
    if not tree_size_at_most(MAX_SIMPLIFIED_OPS, expr):
        return expr
    try:
        shorter = sp.factor_terms(sp.cancel(expr))
    except (sp.PolynomialError, TypeError, ValueError):
        return expr
    return shorter if sp.count_ops(shorter) < sp.count_ops(expr) else expr


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
