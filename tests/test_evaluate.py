"""The one evaluator: exact rationals, 50-digit mpmath and float64, against values worked out
by hand (or from a closed form computed another way) and against each other."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from symbackprop.cells.evaluate import step_values
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.step import INPUT, STATE_IN
from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.evaluate import (
    EvaluationError,
    Evaluator,
    NotExact,
    Numbers,
    evaluate,
    forward_values,
)
from symbackprop.ir.ops import T, colsum, dot, softmax_xent, total

x, y, w = sp.symbols("x y w")
A, B = sp.symbols("A B")
sigmoid = ACTIVATIONS["sigmoid"]
relu = ACTIVATIONS["relu"]


def fractions(rows) -> np.ndarray:
    return np.array([[Fraction(v) for v in row] for row in rows], dtype=object)


# -- exact rationals -----------------------------------------------------------------------------
def test_field_operations_are_exact_rationals():
    # (1/3 + 1)**2 / 2 = (16/9) / 2 = 8/9; 1/(1/3) - 3 = 0
    assert Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)((x + 1) ** 2 / 2) == Fraction(8, 9)
    assert Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)(1 / x - 3) == 0


def test_array_operations_are_exact_on_rational_matrices():
    a = fractions([["1/2", 1], [0, "-1/3"]])
    b = fractions([[2, 0], [3, 1]])
    env = {A: a, B: b}
    # by hand: [[1/2*2 + 1*3, 1/2*0 + 1*1], [0*2 - 1/3*3, -1/3]] = [[4, 1], [-1, -1/3]]
    product = Evaluator(env, Numbers.EXACT)(dot(A, B))
    assert product.tolist() == [[4, 1], [-1, Fraction(-1, 3)]]
    assert Evaluator(env, Numbers.EXACT)(colsum(T(A))).tolist() == [Fraction(3, 2), Fraction(-1, 3)]
    # elementwise: [[1/2*2, 1*0], [0*3, -1/3*1]], summed: 1 - 1/3
    assert Evaluator(env, Numbers.EXACT)(total(A * B)) == Fraction(2, 3)


def test_piecewise_and_heaviside_are_exact():
    assert Evaluator({x: Fraction(-1, 2)}, Numbers.EXACT)(relu(x)) == 0
    assert Evaluator({x: Fraction(5, 2)}, Numbers.EXACT)(relu(x)) == Fraction(5, 2)
    assert Evaluator({x: Fraction(0)}, Numbers.EXACT)(sp.Heaviside(x)) == Fraction(1, 2)


def test_a_transcendental_function_is_not_exact():
    with pytest.raises(NotExact):
        Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)(sp.exp(x))


def test_division_by_zero_and_mismatched_shapes_are_evaluation_errors():
    with pytest.raises(EvaluationError, match="division by zero"):
        Evaluator({x: Fraction(0)}, Numbers.EXACT)(1 / x)
    env = {A: fractions([[1, 2]]), B: fractions([[1, 2, 3]])}
    with pytest.raises(EvaluationError) as error:
        Evaluator(env, Numbers.EXACT)(A * B)
    assert error.value.shape_problem


# -- mpmath ----------------------------------------------------------------------------------------
def test_mpmath_values_match_closed_forms_to_45_digits():
    with mpmath.workdps(60):
        e = mpmath.e
        half = mpmath.mpf(1) / 2
        env = {x: half}
        # tanh(1/2) = (e - 1)/(e + 1); sigmoid(1/2) = 1/(1 + e**-1/2); log(e**2) = 2
        tanh_half = Evaluator(env, Numbers.MPMATH)(sp.tanh(x))
        assert abs(tanh_half - (e - 1) / (e + 1)) < mpmath.mpf(10) ** -45
        sig_half = Evaluator(env, Numbers.MPMATH)(sigmoid(x))
        assert abs(sig_half - 1 / (1 + 1 / mpmath.sqrt(e))) < mpmath.mpf(10) ** -45
        assert abs(Evaluator(env, Numbers.MPMATH)(sp.log(sp.exp(4 * x))) - 2) < 1e-45


def test_a_huge_exponent_is_refused_not_computed():
    with pytest.raises(UnsupportedConstruct, match="too large"):
        Evaluator({x: mpmath.mpf(10) ** 200}, Numbers.MPMATH)(sp.exp(x))


# -- float64 ---------------------------------------------------------------------------------------
def test_float64_is_numpy_arithmetic_on_float_arrays():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    got = Evaluator({A: a, B: b}, Numbers.FLOAT64)(sigmoid(dot(A, B)))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-(a @ b))), rtol=1e-15)


def test_float64_softmax_cross_entropy_matches_the_formula_written_in_numpy():
    z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    got = Evaluator({A: z, B: t}, Numbers.FLOAT64)(softmax_xent(A, B))
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    np.testing.assert_allclose(got, -np.sum(t * log_p, axis=1, keepdims=True), rtol=1e-14)


def test_the_three_number_systems_agree_at_a_rational_point():
    expr = (x * w - y) ** 2 / 2 + relu(x - y) * w
    point = {x: Fraction(3, 7), y: Fraction(-2, 5), w: Fraction(11, 8)}
    exact = Evaluator(point, Numbers.EXACT)(expr)
    with mpmath.workdps(50):
        in_mp = Evaluator(
            {s: mpmath.mpf(v.numerator) / v.denominator for s, v in point.items()},
            Numbers.MPMATH,
        )(expr)
        assert abs(in_mp - mpmath.mpf(exact.numerator) / exact.denominator) < 1e-45
    in_float = Evaluator({s: float(v) for s, v in point.items()}, Numbers.FLOAT64)(expr)
    assert in_float == pytest.approx(float(exact), rel=1e-15)


def test_a_function_the_evaluator_does_not_know_is_evaluated_by_sympy():
    class cube(sp.Function):  # noqa: N801 - a user's own activation
        def _eval_evalf(self, prec):
            return (self.args[0] ** 3)._eval_evalf(prec)

    assert Evaluator({x: mpmath.mpf(2)}, Numbers.MPMATH)(cube(x) + 1) == 9
    got = Evaluator({A: np.array([1.0, -2.0])}, Numbers.FLOAT64)(cube(A))
    np.testing.assert_array_equal(got, [1.0, -8.0])
    with pytest.raises(NotExact):
        Evaluator({x: Fraction(2)}, Numbers.EXACT)(cube(x))


def test_a_recurrent_step_model_is_evaluated_like_any_model():
    """A cell's step is an ordinary model: float64 evaluation of its nodes gives the numbers
    the cell's own compiled evaluation gives."""
    model = gru_cell("keras", input_size=2, units=3)
    rng = np.random.default_rng(0)
    params = {w.name: rng.normal(size=w.shape) for w in model.cell.weights}
    x_in, h_prev = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    expected = step_values(model, x_in, h_prev, params)
    env = {sp.Symbol(k): v for k, v in params.items()}
    env |= {sp.Symbol(INPUT): x_in, sp.Symbol(STATE_IN): h_prev}
    for node in model.defined[:-1]:
        env[node.symbol] = Evaluator(env, Numbers.FLOAT64)(node.expr)
        np.testing.assert_allclose(env[node.symbol], expected[node.name], rtol=1e-13)


# -- a scalar model at a point, as SymPy numbers ---------------------------------------------
def _line():
    b = ModelBuilder("line")
    xs, t = b.input("x"), b.target("t")
    ws = b.parameter("w")
    y_hat = b.define("y_hat", ws * xs)
    return b.loss("loss", (y_hat - t) ** 2 / 2)


def test_forward_values_are_exact_at_a_rational_point():
    values = forward_values(
        _line(), {"x": sp.Rational(3), "t": sp.Rational(1), "w": sp.Rational(1, 2)}
    )
    # y_hat = 3/2, loss = (1/2)**2 / 2 = 1/8
    assert values[sp.Symbol("y_hat")] == sp.Rational(3, 2)
    assert values[sp.Symbol("loss")] == sp.Rational(1, 8)
    # dloss/dw = (y_hat - t) * x = 3/2
    assert evaluate((sp.Symbol("y_hat") - sp.Symbol("t")) * sp.Symbol("x"), values) == sp.Rational(
        3, 2
    )


def test_forward_values_at_a_float_point_are_floats_to_30_digits():
    values = forward_values(_line(), {"x": 0.1, "t": 0.0, "w": 3.0})
    loss = values[sp.Symbol("loss")]
    assert isinstance(loss, sp.Float)
    # float 0.1 is 3602879701896397/2**55; loss = (3*that)**2/2, exactly
    exact = sp.Rational(3602879701896397, 2**55) * 3
    assert abs(loss - exact**2 / 2) < sp.Float("1e-29")
