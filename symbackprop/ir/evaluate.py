"""The one evaluator of SymPy expressions at a point: exact rationals, mpmath or float64.

An interpreter over the SymPy tree (never ``lambdify``, which compiles code from text), with
three number systems (:class:`Numbers`) and one walk:

- ``EXACT``: :class:`fractions.Fraction` while only field operations occur, so that "equal"
  means equal with no tolerance; the first exp, log or root raises :class:`NotExact`, and the
  caller goes on in mpmath (the checker, and explained values of a rational point);
- ``MPMATH``: 50 digits, where a relative difference below 1e-35 is far under any real bug and
  far above rounding;
- ``FLOAT64``: NumPy floats, as generated code and a hand computation see them (a cell's step,
  training diagnostics).

Arrays are NumPy arrays (object arrays of Fractions or mpfs, or float arrays), so broadcasting
and shape errors are NumPy's own. :func:`forward_values` and :func:`evaluate` are the scalar
model's entry points, returning SymPy numbers for printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from enum import Enum
from fractions import Fraction
from types import SimpleNamespace

import mpmath
import numpy as np
import sympy as sp

from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir.activations import Activation
from symbackprop.ir.model import Model
from symbackprop.ir.ops import ArrayOpBase

DIGITS = 50
MAX_EXACT_POWER = 64  # larger integer powers of rationals go to mpmath (digits grow fast)
# mpmath's time for exp, sin, cos, sinh, cosh or a power grows with the digits of the argument
# (exp of 1e100000 takes seconds; exp of exp of ... never ends): larger ones are refused.
MAX_ARGUMENT = mpmath.mpf(10) ** 100
SHOWN_DIGITS = 30  # of a SymPy Float returned for printing


class Numbers(Enum):
    EXACT = "exact rationals"
    MPMATH = "mpmath, 50 digits"
    FLOAT64 = "float64"


class NotExact(Exception):
    """The expression needs a transcendental function: evaluate in mpmath instead."""


class EvaluationError(Exception):
    """The formula cannot be evaluated at this point: shapes do not fit, or 1/0."""

    def __init__(self, message: str, shape_problem: bool = False):
        super().__init__(message)
        self.shape_problem = shape_problem


Value = object  # a Fraction, an mpf, a float, or an ndarray of them


class Evaluator:
    """Evaluates SymPy expressions over an environment of symbol values.

    >>> x = sp.Symbol("x")
    >>> Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)((x + 1) ** 2 / 2)
    Fraction(8, 9)
    """

    def __init__(self, env: Mapping[sp.Symbol, Value], numbers: Numbers):
        self.env = env
        self.numbers = numbers
        self.exact = numbers is Numbers.EXACT
        # exp and log in these numbers, for the array ops' own evaluate (symbackprop.ir.ops)
        self.math = SimpleNamespace(
            exp=lambda values: self.apply(sp.exp, values),
            log=lambda values: self.apply(sp.log, values),
        )
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
        if self.numbers is Numbers.FLOAT64:
            return float(expr)
        if isinstance(expr, sp.Rational):
            if self.exact:
                return Fraction(int(expr.p), int(expr.q))
            return mpmath.mpf(int(expr.p)) / int(expr.q)
        if self.exact:
            raise NotExact(str(expr))
        return mpmath.mpf(sp.Float(expr, DIGITS + 5))

    def args(self, expr: sp.Expr) -> list[Value]:
        return [self.value(arg) for arg in expr.args]

    def apply(self, function: type, *values: Value) -> Value:
        """An elementary function (``sp.exp``, ``sp.log``, ...) elementwise, in these numbers."""
        if self.exact:
            raise NotExact(function.__name__)
        if self.numbers is Numbers.FLOAT64:
            return _FLOAT_FUNCTIONS[function](*values)
        return self.elementwise(_MP_FUNCTIONS[function], *values)

    def elementwise(self, function: Callable, *values: Value) -> Value:
        """A scalar function over arrays of Python objects (Fractions, mpfs)."""
        if self.exact:
            raise NotExact(getattr(function, "__name__", "function"))
        if all(not isinstance(v, np.ndarray) for v in values):
            return function(*values)
        result = np.frompyfunc(function, len(values), 1)(*values)
        return result.astype(float) if self.numbers is Numbers.FLOAT64 else result


# -- arithmetic --------------------------------------------------------------------------------
def _add(ev: Evaluator, expr: sp.Add) -> Value:
    values = ev.args(expr)
    total = values[0]
    for value in values[1:]:
        total = np.add(total, value) if _mpf_and_array(total, value) else total + value
    return total


def _mul(ev: Evaluator, expr: sp.Mul) -> Value:
    values = ev.args(expr)
    product = values[0]
    for value in values[1:]:
        product = np.multiply(product, value) if _mpf_and_array(product, value) else product * value
    return product


def _mpf_and_array(left: Value, right: Value) -> bool:
    """An mpf on the left of an array: ``mpf * array`` first tries to read the array as one
    number, and mpmath's refusal formats the whole array into its message, which cost more
    than the arithmetic; NumPy's ufunc gives the same elements, ``left * element`` each."""
    return isinstance(left, mpmath.mpf) and isinstance(right, np.ndarray)


def _pow(ev: Evaluator, expr: sp.Pow) -> Value:
    base, exponent = expr.args
    if ev.numbers is Numbers.FLOAT64:
        return np.power(np.asarray(ev.value(base), dtype=float), ev.value(exponent))[()]
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


_MP_FUNCTIONS: dict[type, Callable] = {
    sp.exp: mpmath.exp,
    sp.log: _checked_log,
    sp.tanh: mpmath.tanh,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.cosh: mpmath.cosh,
    sp.sinh: mpmath.sinh,
    sp.erf: mpmath.erf,
}
_MP_FUNCTIONS |= {f: _bounded(_MP_FUNCTIONS[f], f.__name__ + "({})") for f in _GROWING}
_FLOAT_FUNCTIONS: dict[type, Callable] = {
    sp.exp: np.exp,
    sp.log: np.log,
    sp.tanh: np.tanh,
    sp.sin: np.sin,
    sp.cos: np.cos,
    sp.cosh: np.cosh,
    sp.sinh: np.sinh,
    sp.erf: np.vectorize(math.erf, otypes=[float]),
}


def _elementary(ev: Evaluator, expr: sp.Function) -> Value:
    return ev.apply(type(expr), *ev.args(expr))


def _abs(ev: Evaluator, expr: sp.Abs) -> Value:
    value = ev.value(expr.args[0])
    return np.abs(value) if isinstance(value, np.ndarray) else abs(value)


def _sign(ev: Evaluator, expr: sp.sign) -> Value:
    """|u|' = sign(u), exact: -1, 0 or 1 in the argument's own numbers."""
    value = ev.value(expr.args[0])
    one = {Numbers.EXACT: Fraction(1), Numbers.MPMATH: mpmath.mpf(1), Numbers.FLOAT64: 1.0}
    unit = one[ev.numbers]

    def sign(v):
        return unit * ((v > 0) - (v < 0))

    if isinstance(value, np.ndarray):
        result = np.frompyfunc(sign, 1, 1)(value)
        return result.astype(float) if ev.numbers is Numbers.FLOAT64 else result
    return sign(value)


def _activation(ev: Evaluator, expr: Activation) -> Value:
    """An activation is its definition at its argument (exact where the definition is)."""
    return ev.value(expr.written_out())


def _extremum(ev: Evaluator, expr: sp.Expr) -> Value:
    pick = np.maximum if isinstance(expr, sp.Max) else np.minimum
    values = ev.args(expr)
    result = values[0]
    for value in values[1:]:
        result = pick(result, value)
    return result


def _compare(ev: Evaluator, expr: sp.core.relational.Relational) -> Value:
    left, right = ev.args(expr)
    operation = {
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
        "==": np.equal,  # a maximum's indicator, np.heaviside at 0
        "!=": np.not_equal,  # np.where's condition on a mask held as numbers
    }
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
    half = ev.number(sp.S.Half)
    result = np.where(np.greater(value, 0), 1, np.where(np.less(value, 0), 0, half))
    if result.ndim == 0:
        return result[()]
    return result.astype(float if ev.numbers is Numbers.FLOAT64 else object)


def _by_evalf(ev: Evaluator, expr: sp.Function) -> Value:
    """A function this module does not know (a user's or a new activation class): SymPy's own
    numeric evaluation of it, one element at a time."""
    if ev.exact:
        raise NotExact(type(expr).__name__)

    def one(*values):
        result = type(expr)(*(sp.Float(str(v), DIGITS) for v in values)).evalf(DIGITS)
        if not result.is_Number:
            raise UnsupportedConstruct(f"cannot evaluate {type(expr).__name__}")
        return float(result) if ev.numbers is Numbers.FLOAT64 else mpmath.mpf(str(result))

    return ev.elementwise(one, *ev.args(expr))


# -- array operations: each op of symbackprop.ir.ops evaluates itself ----------------------------
def _array_op(ev: Evaluator, expr: ArrayOpBase) -> Value:
    return type(expr).evaluate(ev.math, *ev.args(expr))


_HANDLERS: dict[type, Callable] = {
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Abs: _abs,
    sp.Max: _extremum,
    sp.Min: _extremum,
    sp.Piecewise: _piecewise,
    sp.Heaviside: _heaviside,
    sp.sign: _sign,
    **{kind: _elementary for kind in _MP_FUNCTIONS},
}


def _handler_by_kind(expr: sp.Expr) -> Callable:
    if isinstance(expr, sp.core.relational.Relational):
        return _compare
    if isinstance(expr, ArrayOpBase):
        return _array_op
    if isinstance(expr, Activation):
        return _activation
    if isinstance(expr, sp.Function):
        return _by_evalf
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


def exactly_or_in_mpmath(env: Mapping[sp.Symbol, Value], expr: sp.Expr) -> Value:
    """``expr`` in exact rationals where it and the values allow it, else in mpmath."""
    if _all_exact(env):
        try:
            return Evaluator(env, Numbers.EXACT)(expr)
        except NotExact:
            pass
    return Evaluator({s: to_mp(v) for s, v in env.items()}, Numbers.MPMATH)(expr)


def _all_exact(env: Mapping[sp.Symbol, Value]) -> bool:
    return all(isinstance(value, Fraction) for value in env.values())


# -- a scalar model at a point, as SymPy numbers (for printing) -----------------------------------
def forward_values(model: Model, leaves: Mapping[str, float]) -> dict[sp.Symbol, sp.Expr]:
    """Every node's value, from the leaves' values, computed in forward order: exact where the
    leaves are rationals and the model needs no exp or log, else to 30 digits."""
    missing = [node.name for node in model.nodes if node.kind.is_leaf and node.name not in leaves]
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    given = {sp.Symbol(k): v for k, v in leaves.items()}
    env = {symbol: _from_sympy(value) for symbol, value in given.items()}
    try:
        if not _all_exact(env):
            raise NotExact("a leaf value that is not a rational")
        _evaluate_nodes(model, env, Numbers.EXACT)
    except NotExact:
        env = {symbol: to_mp(_from_sympy(value)) for symbol, value in given.items()}
        _evaluate_nodes(model, env, Numbers.MPMATH)
    nodes = {node.symbol: _to_sympy(env[node.symbol]) for node in model.defined}
    return given | nodes


def _evaluate_nodes(model: Model, env: dict, numbers: Numbers) -> None:
    for node in model.defined:
        env[node.symbol] = Evaluator(env, numbers)(node.expr)


def evaluate(expr: sp.Expr, values: Mapping[sp.Symbol, float]) -> sp.Expr:
    """A formula over node symbols at the given node values, as a SymPy number."""
    env = {symbol: _from_sympy(value) for symbol, value in values.items()}
    return _to_sympy(exactly_or_in_mpmath(env, sp.sympify(expr)))


def _from_sympy(value) -> Value:
    number = sp.sympify(value)
    if isinstance(number, sp.Rational):
        return Fraction(int(number.p), int(number.q))
    with mpmath.workdps(DIGITS):
        return mpmath.mpf(sp.Float(number, DIGITS + 5))


def _to_sympy(value: Value) -> sp.Expr:
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    with mpmath.workdps(DIGITS):
        return sp.Float(mpmath.nstr(value, DIGITS), SHOWN_DIGITS)
