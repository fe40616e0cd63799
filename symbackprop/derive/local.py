"""Local partial derivatives of one node, expressed through the node's own output.

A node like ``h1out = sigmoid(h1)`` (or ``1/(1 + exp(-h1))``, as a user may write it) is an
outer function F applied to an inner expression A (here A = h1). Its local partial is
F'(A) * dA/dv. When F' can be written as a polynomial G of F itself (sigmoid' = a(1 - a),
tanh' = 1 - a**2, exp' = a), SymPy finds G here and the partial becomes G(h1out) * dA/dv: the
form people write by hand. Nothing is tabulated per activation, so a user's own activation gets
the same treatment.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from symbackprop.ir.activations import written_out

_U = sp.Dummy("u", real=True)
_A = sp.Dummy("a", real=True)
_MAX_DEGREE = 3
# Sample points for fitting G: irrational-ish, both signs, where common activations are smooth.
_FIT_POINTS = ("0.3141", "-0.7183", "1.4142", "-1.7320", "0.5772", "-0.2718", "2.2360", "0.9")


def split_outer(expr: sp.Expr) -> tuple[sp.Lambda, sp.Expr] | None:
    """Split ``expr`` as F(A): A is the smallest subexpression holding every free symbol.

    Returns None when no such split exists other than the identity (F(u) = u).
    """
    symbols = expr.free_symbols
    candidates = [
        sub
        for sub in sp.preorder_traversal(expr)
        if isinstance(sub, sp.Expr) and sub is not expr and sub.free_symbols == symbols
    ]
    for inner in sorted(candidates, key=sp.count_ops):
        outer = expr.xreplace({inner: _U})
        if outer.free_symbols == {_U}:
            break
    else:
        return None
    if inner.could_extract_minus_sign():
        # exp(-x*w - b): take the pre-activation x*w + b as A, so F is the familiar sigmoid.
        inner, outer = -inner, outer.xreplace({_U: -_U})
    return sp.Lambda(_U, outer), inner


def output_form(outer: sp.Lambda) -> sp.Lambda | None:
    """G with F'(u) == G(F(u)) for polynomial G of low degree, or None when there is none."""
    return _output_form(outer(_U))


@lru_cache(maxsize=256)
def _output_form(f: sp.Expr) -> sp.Lambda | None:
    derivative = sp.diff(f, _U)
    if derivative.has(sp.Piecewise, sp.Heaviside, sp.DiracDelta, sp.Derivative):
        return None
    samples = _sample(f, derivative)
    if samples is None:
        return None
    for degree in range(_MAX_DEGREE + 1):
        coefficients = _fit(samples, degree)
        if coefficients is None:
            continue
        poly = sum(c * _A**k for k, c in enumerate(coefficients))
        if _identical(f, derivative, poly):
            return sp.Lambda(_A, _tidy(poly))
    return None


def _sample(f: sp.Expr, derivative: sp.Expr) -> list[tuple] | None:
    with mpmath.workdps(40):
        points = []
        for text in _FIT_POINTS:
            u = mpmath.mpf(text)
            try:
                value = sp.N(f.subs(_U, sp.Float(text, 40)), 40)
                slope = sp.N(derivative.subs(_U, sp.Float(text, 40)), 40)
            except (TypeError, ValueError, ZeroDivisionError):
                return None
            if not (value.is_real and slope.is_real and value.is_finite and slope.is_finite):
                return None
            points.append((u, mpmath.mpf(str(value)), mpmath.mpf(str(slope))))
    return points


def _fit(samples: list[tuple], degree: int) -> list[sp.Rational] | None:
    """Coefficients of G fitted at the first points, checked at all points, as rationals."""
    with mpmath.workdps(40):
        head = samples[: degree + 1]
        matrix = mpmath.matrix([[value**k for k in range(degree + 1)] for _, value, _ in head])
        rhs = mpmath.matrix([slope for _, _, slope in head])
        try:
            solution = mpmath.lu_solve(matrix, rhs)
        except ZeroDivisionError:
            return None
        for _, value, slope in samples:
            fitted = sum(solution[k] * value**k for k in range(degree + 1))
            if abs(fitted - slope) > mpmath.mpf("1e-25") * (1 + abs(slope)):
                return None
        coefficients = [
            sp.nsimplify(sp.Float(str(c), 30), rational=True, tolerance=1e-20) for c in solution
        ]
    return coefficients


def _identical(f: sp.Expr, derivative: sp.Expr, poly: sp.Expr) -> bool:
    """Symbolic confirmation that F' - G(F) vanishes (the numeric fit only proposed G)."""
    difference = written_out(derivative - poly.subs(_A, f))
    return sp.simplify(difference.rewrite(sp.exp)) == 0


def _tidy(poly: sp.Expr) -> sp.Expr:
    """The readable form of G: factored with positive leading signs unless expanded is shorter."""
    expanded = sp.expand(poly)
    factored = positive_factors(sp.factor(expanded))
    return factored if sp.count_ops(factored) <= sp.count_ops(expanded) else expanded


def positive_factors(expr: sp.Expr) -> sp.Expr:
    """Absorb a leading minus sign into a sum factor: ``-a*(a - 1)`` becomes ``a*(1 - a)``."""
    if not isinstance(expr, sp.Mul) or not expr.could_extract_minus_sign():
        return expr
    coefficient, factors = expr.as_coeff_mul()
    for position, factor in enumerate(factors):
        if isinstance(factor, sp.Add):
            flipped = sp.Add(*[-term for term in factor.args])
            rest = factors[:position] + (flipped,) + factors[position + 1 :]
            return sp.Mul(-coefficient, *rest)
    return expr


def local_partial(expr: sp.Expr, output: sp.Symbol | None, wrt: sp.Symbol) -> sp.Expr:
    """d(expr)/d(wrt) for the node ``output = expr``, through ``output`` where possible.

    ``output`` None: ``expr`` is part of a node, not a node, so no output symbol exists.
    """
    split = split_outer(expr)
    if split is None:
        return _product(real_diff(expr, wrt))
    outer, inner = split
    inner_partial = real_diff(inner, wrt)
    if inner_partial == 0:
        return sp.S.Zero
    through_output = output_form(outer) if output is not None else None
    if through_output is not None:
        return _product(through_output(output), inner_partial)
    return _product(sp.diff(outer.expr, _U).xreplace({_U: inner}), inner_partial)


# Functions whose derivative depends on whether their argument is real.
_COMPLEX_AWARE = (sp.Abs, sp.sign, sp.re, sp.im, sp.conjugate, sp.arg)


def real_diff(expr: sp.Expr, wrt: sp.Symbol) -> sp.Expr:
    """d(expr)/d(wrt) with every symbol taken as real, as every value of a network is:
    ``abs(u)`` then differentiates to ``sign(u)`` rather than to complex parts."""
    if not expr.has(*_COMPLEX_AWARE):
        return sp.diff(expr, wrt)  # realness can't change the result; skip two rewrites
    reals = {s: sp.Dummy(s.name, real=True) for s in expr.free_symbols if s.is_real is None}
    back = {dummy: s for s, dummy in reals.items()}
    return sp.diff(expr.xreplace(reals), reals.get(wrt, wrt)).xreplace(back)


def _product(*factors: sp.Expr) -> sp.Expr:
    # factor_terms keeps hand-written shapes: 2*(y_hat - y) rather than 2*y_hat - 2*y.
    return sp.factor_terms(sp.Mul(*factors))
