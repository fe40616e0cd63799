"""Evaluate formulas at points: exactly in rationals where they allow it, else in mpmath.

An interpreter over the SymPy tree (never ``lambdify``, which compiles code from text): numbers
are :class:`fractions.Fraction` while only field operations occur, so that "equal" means equal
with no tolerance at all; the first exp, log or root switches to 50-digit mpmath, where a
relative difference below 1e-35 is far under any real bug and far above rounding. Arrays are
NumPy object arrays of those numbers, so broadcasting and shape errors are NumPy's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir import arrays
from symbackprop.ir.activations import Activation

DIGITS = 50
TOLERANCE = mpmath.mpf("1e-35")
MAX_EXACT_POWER = 64  # larger integer powers of rationals go to mpmath (digits grow fast)
# mpmath's time for exp, sin, cos, sinh, cosh or a power grows with the digits of the argument
# (exp of 1e100000 takes seconds; exp of exp of ... never ends): larger ones are refused.
MAX_ARGUMENT = mpmath.mpf(10) ** 100


class NotExact(Exception):
    """The expression needs a transcendental function: evaluate in mpmath instead."""


class EvaluationError(Exception):
    """The formula cannot be evaluated at this point: shapes do not fit, or 1/0."""

    def __init__(self, message: str, shape_problem: bool = False):
        super().__init__(message)
        self.shape_problem = shape_problem


Value = object  # a Fraction, an mpf, or an object ndarray of them


class Evaluator:
    """Evaluates SymPy expressions over an environment of symbol values."""

    def __init__(self, env: Mapping[sp.Symbol, Value], exact: bool):
        self.env = env
        self.exact = exact
        self._memo: dict[sp.Expr, Value] = {}

    def __call__(self, expr: sp.Expr) -> Value:
        try:
            with mpmath.workdps(DIGITS):
                return self.value(expr)
        except ValueError as error:  # NumPy: operands could not be broadcast, matmul sizes
            raise EvaluationError(str(error).split("\n")[0], shape_problem=True) from None
        except ZeroDivisionError:
            raise EvaluationError("division by zero") from None

    def value(self, expr: sp.Expr) -> Value:
        known = self._memo.get(expr)
        if known is None:
            known = self._memo[expr] = self._compute(expr)
        return known

    def _compute(self, expr: sp.Expr) -> Value:
        if isinstance(expr, sp.Symbol):
            if expr not in self.env:
                raise UnsupportedConstruct(f"no value for {expr.name!r}")
            return self.env[expr]
        if expr.is_Number or expr in (sp.pi, sp.E):
            return self.number(expr)
        handler = _HANDLERS.get(type(expr))
        if handler is None:
            handler = _handler_by_kind(expr)
        return handler(self, expr)

    def number(self, expr: sp.Expr) -> Value:
        if isinstance(expr, sp.Rational):
            if self.exact:
                return Fraction(int(expr.p), int(expr.q))
            return mpmath.mpf(int(expr.p)) / int(expr.q)
        if self.exact:
            raise NotExact(str(expr))
        return mpmath.mpf(sp.Float(expr, DIGITS + 5))

    def args(self, expr: sp.Expr) -> list[Value]:
        return [self.value(arg) for arg in expr.args]

    def elementwise(self, function: Callable, *values: Value) -> Value:
        if self.exact:
            raise NotExact(getattr(function, "__name__", "function"))
        if all(not isinstance(v, np.ndarray) for v in values):
            return function(*values)
        return np.frompyfunc(function, len(values), 1)(*values)


# -- arithmetic --------------------------------------------------------------------------------
def _add(ev: Evaluator, expr: sp.Add) -> Value:
    values = ev.args(expr)
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _mul(ev: Evaluator, expr: sp.Mul) -> Value:
    values = ev.args(expr)
    product = values[0]
    for value in values[1:]:
        product = product * value
    return product


def _pow(ev: Evaluator, expr: sp.Pow) -> Value:
    base, exponent = expr.args
    if exponent.is_Integer and (not ev.exact or abs(exponent) <= MAX_EXACT_POWER):
        value, power = ev.value(base), int(exponent)
        if isinstance(value, np.ndarray):
            return np.frompyfunc(lambda v: _int_power(v, power), 1, 1)(value)
        return _int_power(value, power)
    if ev.exact:
        raise NotExact("power")
    power = _bounded(mpmath.power, "a power with exponent {}")
    return ev.elementwise(power, ev.value(base), ev.value(exponent))


def _int_power(value, power: int):
    if power < 0:
        if value == 0:
            raise ZeroDivisionError
        return 1 / value**-power
    return value**power


# -- functions ---------------------------------------------------------------------------------
_ELEMENTARY: dict[type, Callable] = {
    sp.exp: mpmath.exp,
    sp.log: mpmath.log,
    sp.tanh: mpmath.tanh,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.cosh: mpmath.cosh,
    sp.sinh: mpmath.sinh,
    sp.erf: mpmath.erf,
}


def _elementary(ev: Evaluator, expr: sp.Function) -> Value:
    function = _ELEMENTARY[type(expr)]
    if type(expr) is sp.log:
        return ev.elementwise(_checked_log, *ev.args(expr))
    if type(expr) in _GROWING:
        return ev.elementwise(_bounded(function, type(expr).__name__ + "({})"), *ev.args(expr))
    return ev.elementwise(function, *ev.args(expr))


_GROWING = {sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh}


def _bounded(function: Callable, what: str) -> Callable:
    """``function`` refusing an argument (the last one: a power's exponent) over MAX_ARGUMENT;
    ``what`` names the call in the message, ``{}`` standing for the argument."""

    def bounded(*values):
        if abs(values[-1]) > MAX_ARGUMENT:
            raise UnsupportedConstruct(
                f"a value too large to evaluate: {what.format(mpmath.nstr(values[-1], 3))} (exp, "
                "sin, cos, sinh, cosh and exponents are evaluated up to 1e100)"
            )
        return function(*values)

    return bounded


def _checked_log(value):
    if value == 0:
        raise ZeroDivisionError
    return mpmath.log(value)


def _abs(ev: Evaluator, expr: sp.Abs) -> Value:
    value = ev.value(expr.args[0])
    return np.abs(value) if isinstance(value, np.ndarray) else abs(value)


def _sign(ev: Evaluator, expr: sp.sign) -> Value:
    """|u|' = sign(u), exact: -1, 0 or 1 as the argument's own number type."""
    value = ev.value(expr.args[0])

    def sign(v):
        return Fraction((v > 0) - (v < 0)) if ev.exact else mpmath.mpf((v > 0) - (v < 0))

    return np.frompyfunc(sign, 1, 1)(value) if isinstance(value, np.ndarray) else sign(value)


def _extremum(ev: Evaluator, expr: sp.Expr) -> Value:
    pick = np.maximum if isinstance(expr, sp.Max) else np.minimum
    values = ev.args(expr)
    result = values[0]
    for value in values[1:]:
        result = pick(result, value)
    return result


def _compare(ev: Evaluator, expr: sp.core.relational.Relational) -> Value:
    left, right = ev.args(expr)
    operation = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    if expr.rel_op not in operation:
        raise UnsupportedConstruct(f"cannot evaluate the comparison {expr.rel_op}")
    return operation[expr.rel_op](left, right)


def _piecewise(ev: Evaluator, expr: sp.Piecewise) -> Value:
    *pieces, (last, condition) = expr.args
    if condition != sp.true:
        raise UnsupportedConstruct("cannot evaluate a Piecewise without an 'otherwise' piece")
    result = ev.value(last)
    for value, cond in reversed(pieces):
        result = np.where(ev.value(cond), ev.value(value), result)
    return result[()] if isinstance(result, np.ndarray) and result.ndim == 0 else result


def _heaviside(ev: Evaluator, expr: sp.Heaviside) -> Value:
    value = ev.value(expr.args[0])
    half = Fraction(1, 2) if ev.exact else mpmath.mpf(1) / 2
    result = np.where(np.greater(value, 0), 1, np.where(np.less(value, 0), 0, half))
    return result[()] if result.ndim == 0 else result.astype(object)


# -- array operations --------------------------------------------------------------------------
def _softmax(ev: Evaluator, z: Value) -> Value:
    exps = ev.elementwise(mpmath.exp, z - np.max(z, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)


def _softmax_xent(ev: Evaluator, expr: sp.Expr) -> Value:
    z, t = ev.args(expr)
    log_p = ev.elementwise(mpmath.log, _softmax(ev, z))
    return -np.sum(t * log_p, axis=1, keepdims=True)


def _sigmoid_bce(ev: Evaluator, expr: sp.Expr) -> Value:
    z, t = ev.args(expr)
    s = ev.elementwise(lambda v: 1 / (1 + mpmath.exp(-v)), z)
    return -(t * ev.elementwise(_checked_log, s) + (1 - t) * ev.elementwise(_checked_log, 1 - s))


_ARRAY_OPS: dict[type, Callable] = {
    arrays.dot: lambda ev, e: np.dot(*ev.args(e)),
    arrays.T: lambda ev, e: np.transpose(ev.value(e.args[0])),
    arrays.total: lambda ev, e: np.sum(ev.value(e.args[0])),
    arrays.colsum: lambda ev, e: np.sum(ev.value(e.args[0]), axis=0),
    arrays.colsum_keepdims: lambda ev, e: np.sum(ev.value(e.args[0]), axis=0, keepdims=True),
    arrays.rowsum: lambda ev, e: np.sum(ev.value(e.args[0]), axis=1, keepdims=True),
    arrays.softmax: lambda ev, e: _softmax(ev, ev.value(e.args[0])),
    arrays.softmax_xent: _softmax_xent,
    arrays.sigmoid_bce: _sigmoid_bce,
}

_HANDLERS: dict[type, Callable] = {
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Abs: _abs,
    sp.sign: _sign,
    sp.Max: _extremum,
    sp.Min: _extremum,
    sp.Piecewise: _piecewise,
    sp.Heaviside: _heaviside,
    **{kind: _elementary for kind in _ELEMENTARY},
    **_ARRAY_OPS,
}


def _handler_by_kind(expr: sp.Expr) -> Callable:
    if isinstance(expr, sp.core.relational.Relational):
        return _compare
    if isinstance(expr, Activation):  # its definition, at the argument's value
        return lambda ev, e: ev.value(e.written_out())
    evaluate = getattr(type(expr), "evaluate", None)
    if isinstance(expr, arrays.ArrayFunction) and evaluate is not None:
        return lambda ev, e: evaluate(*ev.args(e))
    raise UnsupportedConstruct(f"cannot evaluate {type(expr).__name__}")


# -- values ------------------------------------------------------------------------------------
def to_mp(value: Value) -> Value:
    """An exact value in mpmath (for formulas that need exp or log at an exact point)."""
    if isinstance(value, np.ndarray):
        return np.frompyfunc(to_mp, 1, 1)(value)
    if isinstance(value, Fraction):
        with mpmath.workdps(DIGITS):
            return mpmath.mpf(value.numerator) / value.denominator
    return value


def difference(expected: Value, got: Value) -> tuple | None:
    """None when equal; else the first differing index with both values there."""
    if np.shape(expected) != np.shape(got):
        return ("shape", np.shape(expected), np.shape(got))
    e_flat, g_flat = (
        np.ravel(np.asarray(expected, dtype=object)),
        np.ravel(np.asarray(got, dtype=object)),
    )
    scale = max((_magnitude(v) for v in e_flat), default=0) or 1
    for position, (e, g) in enumerate(zip(e_flat, g_flat, strict=True)):
        if not _close(e, g, scale):
            index = np.unravel_index(position, np.shape(expected)) if np.ndim(expected) else ()
            return ("value", tuple(int(i) for i in index), e, g)
    return None


def _magnitude(value) -> float:
    try:
        return float(abs(value))
    except (TypeError, OverflowError):
        return math.inf


def _close(e, g, scale) -> bool:
    if isinstance(e, Fraction) and isinstance(g, Fraction):
        return e == g
    with mpmath.workdps(DIGITS):
        try:
            return bool(abs(to_mp(e) - to_mp(g)) <= TOLERANCE * mpmath.mpf(scale))
        except (TypeError, ValueError):
            return False


def elementwise_ratio(expected: Value, got: Value) -> Value | None:
    """expected/got when it is one number for every element (and got has no zero)."""
    if np.shape(expected) != np.shape(got):
        return None
    e, g = np.ravel(np.asarray(expected, dtype=object)), np.ravel(np.asarray(got, dtype=object))
    if len(e) == 0 or any(v == 0 for v in g) or all(v == 0 for v in e):
        return None
    with mpmath.workdps(DIGITS):
        if not all(isinstance(v, Fraction) for v in (*e, *g)):
            e, g = [to_mp(v) for v in e], [to_mp(v) for v in g]
        ratios = [a / b for a, b in zip(e, g, strict=True)]
    if any(difference(ratios[0], r) is not None for r in ratios[1:]):
        return None
    return ratios[0]


def as_number(value) -> sp.Expr:
    """A ratio as a short rational where it is one (to 30 digits), else as a float."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    with mpmath.workdps(DIGITS):
        value = to_mp(value)
        guess = Fraction(mpmath.nstr(value, 40, min_fixed=-50, max_fixed=50)).limit_denominator(
            10**6
        )
        if abs(value - mpmath.mpf(guess.numerator) / guess.denominator) < 1e-30 * (1 + abs(value)):
            return sp.Rational(guess.numerator, guess.denominator)
    return sp.Float(str(value), 15)


def plain(value: Value):
    """A JSON-ready number or nested list (exact values as int/float)."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value] if value.ndim else plain(value[()])
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, mpmath.mpc):
        return str(value)
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)


def show(value: Value, digits: int = 6) -> str:
    """A short text of a number: exact rationals as fractions, others rounded."""
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return show(value[()], digits)
    try:
        return mpmath.nstr(value, digits)
    except (TypeError, ValueError):
        return str(value)
