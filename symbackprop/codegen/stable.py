"""Rewrites that make printed NumPy numerically stable, found by SymPy rather than tabulated.

``1/(1 + exp(-z))`` becomes ``sigmoid(z)`` (a helper that never overflows), ``log(1 + exp(z))``
becomes ``np.logaddexp(0, z)``, and any remaining ``exp(±z)`` beside a sigmoid of the same z is
written in that sigmoid when the result is a polynomial in it (softplus' = sigmoid,
swish' = s + z*s*(1 - s)), so that no formula divides infinity by infinity at |z| = 1e4.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp


class sigmoid(sp.Function):  # noqa: N801 - printed as the helper of the same name
    """The logistic function, printed as a call to a stable helper."""

    nargs = 1


def stabilize(expr: sp.Expr) -> sp.Expr:
    """``expr`` with overflow-prone exponentials rewritten (the value is unchanged)."""
    expr = expr.replace(_is_logistic, _as_sigmoid)
    expr = expr.replace(_is_softplus, lambda e: logaddexp(sp.S.Zero, e.args[0].args[1].args[0]))
    return _exp_through_sigmoid(expr)


def _is_logistic(e) -> bool:
    """``1/(1 + exp(a))``, in either order of the sum."""
    if not (isinstance(e, sp.Pow) and e.exp == -1 and isinstance(e.base, sp.Add)):
        return False
    terms = e.base.args
    return len(terms) == 2 and sp.S.One in terms and any(isinstance(t, sp.exp) for t in terms)


def _as_sigmoid(e) -> sp.Expr:
    exponential = next(t for t in e.base.args if isinstance(t, sp.exp))
    return sigmoid(-exponential.args[0])


def _is_softplus(e) -> bool:
    if not isinstance(e, sp.log) or not isinstance(e.args[0], sp.Add):
        return False
    terms = e.args[0].args
    return len(terms) == 2 and sp.S.One in terms and any(isinstance(t, sp.exp) for t in terms)


def _exp_through_sigmoid(expr: sp.Expr) -> sp.Expr:
    for exponential in sorted(expr.atoms(sp.exp), key=sp.default_sort_key):
        argument = exponential.args[0]
        z = -argument if argument.could_extract_minus_sign() else argument
        s = sp.Dummy("s")
        rewritten = expr.xreplace({sp.exp(z): s / (1 - s), sp.exp(-z): (1 - s) / s})
        rewritten = rewritten.xreplace({sigmoid(z): s, sigmoid(-z): 1 - s})
        numerator, denominator = sp.fraction(sp.cancel(sp.together(rewritten)))
        if s in denominator.free_symbols or rewritten.has(sp.exp(z), sp.exp(-z)):
            continue
        expr = sp.factor_terms(numerator / denominator).xreplace({s: sigmoid(z)})
    return expr
