"""The derivation behind a verdict, in LaTeX: the chain rule from the loss down to what a line
claims to be, one adjoint a step, so a learner can read how the correct value comes about."""

from __future__ import annotations

import sympy as sp

from symbackprop.check.formula import Target
from symbackprop.check.subject import Subject
from symbackprop.printing.latex import array_shapes, latex, latex_name

MAX_STEPS = 12  # a deep chain is summarised by its last steps; the page stays readable


def derivation_steps(subject: Subject, target: Target) -> tuple[str, ...]:
    """``\\delta_{z} = ...`` for every adjoint the target's value reads (from the loss down),
    then the target itself: ``\\frac{\\partial L}{\\partial W_1} = ...`` for a gradient."""
    derivation = subject.derivation
    shapes = array_shapes(derivation)
    if target.kind == "gradient":
        final = derivation.gradient(target.name).expr
    else:
        try:
            final = derivation.adjoint(target.name).expr
        except KeyError:
            return ()
    by_symbol = {adjoint.symbol: adjoint for adjoint in derivation.adjoints}
    wanted = _adjoints_read(final, by_symbol)
    loss = latex_name(subject.model.loss.name)
    chain = [adjoint for adjoint in derivation.adjoints if adjoint.symbol in wanted]
    steps = [
        f"{latex(adjoint.symbol)} = {latex(adjoint.expr, shapes=shapes)}"
        for adjoint in chain[-MAX_STEPS:]
    ]
    if target.kind == "gradient":
        head = r"\frac{\partial %s}{\partial %s}" % (loss, latex_name(target.name))
    else:
        head = latex(derivation.adjoint(target.name).symbol)
    steps.append(f"{head} = {latex(final, shapes=shapes)}")
    return tuple(steps)


def _adjoints_read(expr: sp.Expr, by_symbol: dict) -> set[sp.Symbol]:
    """The adjoints ``expr`` reads, directly or through other adjoints."""
    found: set[sp.Symbol] = set()
    pending = [s for s in expr.free_symbols if s in by_symbol]
    while pending:
        symbol = pending.pop()
        if symbol in found:
            continue
        found.add(symbol)
        pending += [s for s in by_symbol[symbol].expr.free_symbols if s in by_symbol]
    return found
