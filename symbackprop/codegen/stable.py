"""Rewrites that make printed NumPy numerically stable, found by SymPy rather than tabulated.

The sigmoid activation prints as the module's stable helper; every other activation is written
out as its definition first, so that the rewrites below apply to it. Derivatives and formulas a
user wrote out hold exponentials too: ``1/(1 + exp(-z))`` becomes ``sigmoid(z)`` (a helper
that never overflows), ``log(1 + exp(z))`` becomes ``np.logaddexp(0, z)``, and any remaining
``exp(±z)`` beside a sigmoid of the same z is written in that sigmoid when the result is a
polynomial in it (softplus' = sigmoid, swish' = s + z*s*(1 - s)), so that no formula divides
infinity by infinity at |z| = 1e4.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

from symbackprop.ir.activations import Activation, sigmoid
from symbackprop.ir.model import Model


def stabilize(expr: sp.Expr) -> sp.Expr:
    """``expr`` with overflow-prone exponentials rewritten (the value is unchanged)."""
    expr = _written_out_but_sigmoid(expr)
    expr = expr.replace(_is_logistic, _as_sigmoid)
    expr = expr.replace(_is_softplus, lambda e: logaddexp(sp.S.Zero, e.args[0].args[1].args[0]))
    return _exp_through_sigmoid(expr)


def _written_out_but_sigmoid(expr: sp.Expr) -> sp.Expr:
    def other(e) -> bool:
        return isinstance(e, Activation) and not isinstance(e, sigmoid)

    while expr.has(Activation) and any(other(e) for e in sp.preorder_traversal(expr)):
        expr = expr.replace(other, lambda e: e.written_out())
    return expr


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


def stable_model(model: Model) -> Model:
    """``model`` with every log of a sigmoid read from the sigmoid's argument (same values).

    For a = sigmoid(z), log(a) = z - log(1 + exp(z)) and log(1 - a) = -log(1 + exp(z)): a is
    exactly 0 or 1 in float64 long before |z| = 1e4, where log(a) and the delta t/a are NaN.
    Through z, the binary cross-entropy is vector mode's fused log(1 + exp(z)) - t*z, and the
    derivative SymPy finds for it is sigmoid(z) - t, finite for every z.
    """
    logistic = {n.symbol: _logistic_argument(n.expr, {}) for n in model.defined}
    logistic = {a: z for a, z in logistic.items() if z is not None}
    nodes = tuple(
        replace(n, expr=_logs_through_argument(n.expr, logistic)) if n.expr is not None else n
        for n in model.nodes
    )
    return model if nodes == model.nodes else replace(model, nodes=nodes)


def _logistic_argument(e: sp.Expr, logistic: dict) -> sp.Expr | None:
    """z when ``e`` is sigmoid(z), written out or as a node holding it; otherwise None."""
    if e in logistic:
        return logistic[e]
    if isinstance(e, sigmoid):
        return e.args[0]
    return _as_sigmoid(e).args[0] if _is_logistic(e) else None


def _logs_through_argument(expr: sp.Expr, logistic: dict) -> sp.Expr:
    def through_argument(log: sp.log) -> sp.Expr:
        z = _logistic_argument(log.args[0], logistic)
        if z is not None:
            return z - logaddexp(sp.S.Zero, z)
        z = _logistic_argument(1 - log.args[0], logistic)
        return log if z is None else -logaddexp(sp.S.Zero, z)

    rewritten = expr.replace(lambda e: isinstance(e, sp.log), through_argument)
    softplus = rewritten.atoms(logaddexp) - expr.atoms(logaddexp)
    return rewritten.replace(lambda e: e.is_Add and e.has(*softplus), _collecting(softplus))


def _collecting(softplus: set):
    """-t*(z - s) + (1 - t)*s collected into s - t*z: bce's derivative is then one sigmoid."""

    def collected(add: sp.Add) -> sp.Expr:
        terms = [
            sp.expand_mul(term)
            if any(f.is_Add and f.has(*softplus) for f in sp.Mul.make_args(term))
            else term
            for term in add.args
        ]
        return sp.collect(sp.Add(*terms), sorted(softplus, key=sp.default_sort_key))

    return collected
