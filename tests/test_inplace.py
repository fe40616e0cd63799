"""Statements written into kept arrays compute what SymPy's own lambdify computes, step after
step, and fall back to ordinary code outside their grammar."""

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

from symbackprop.codegen.formatter import Formatter
from symbackprop.codegen.inplace import lower
from symbackprop.codegen.printer import NumpyCodePrinter
from symbackprop.ir.activations import sigmoid
from symbackprop.ir.ops import T, colsum, dot, shape_of

NAMES = ["A", "B", "C", "W", "b", "s"]
A, B, C, W, b, s = sp.symbols(NAMES)
OUT = sp.Symbol("out_value")
SHAPES = {"A": ("m", 4), "B": ("m", 4), "C": ("m", 4), "W": (4, 4), "b": (4,)}
CASES = {
    "sigmoid derivative": A * B * (1 - B),
    "tanh derivative": A * (1 - B**2),
    "scaled difference": s * (A - B) / 3,
    "negated first term": -(A**2) + B,
    "negated sum": -A - B,
    "bias add": dot(A, W) + b,
    "transposed product": dot(A, T(W)),
    "function of a sum": sp.tanh(A + b),
    "nested function": sp.exp(-sp.tanh(A) * B),
    "helper": sigmoid(dot(B, W) + b),
    "softplus": logaddexp(0, A),
    "gelu-like": A * (sp.tanh(sp.Rational(1, 2) * A + A**3) + 1) / 2,
    "reciprocal": 1 / (1 + A**2),
    "square root": sp.sqrt(A**2 + 1),
    "cube": (A + B) ** 3,
    "two computed factors": (A - B) * (B - C) * (C + A),
    "broadcast row first": b * (A - B),
    "column sum": colsum(A),
}


def _numpy_module() -> dict:
    def sigmoid_helper(z, out=None):
        return np.divide(1.0, 1.0 + np.exp(-z), out=out)

    return {"np": np, "sigmoid": sigmoid_helper}


def _run(statements, names, work):
    lines = Formatter(NumpyCodePrinter()).lines(statements, depth=0)
    scope = {**_numpy_module(), **names, "reuse": work.get}
    exec("\n".join(lines), scope)  # noqa: S102 - the test runs code the module would contain
    return scope


@pytest.mark.parametrize("name", sorted(CASES))
def test_lowered_statement_computes_the_expression_in_kept_arrays(name):
    expr = CASES[name]
    lowered = lower(OUT, expr, lambda e: shape_of(e, SHAPES), taken=set())
    assert lowered is not None, name
    lines, kept = lowered
    rng = np.random.default_rng(0)
    values = {
        "A": rng.uniform(0.2, 0.9, (5, 4)),
        "B": rng.uniform(0.2, 0.9, (5, 4)),
        "C": rng.uniform(0.2, 0.9, (5, 4)),
        "W": rng.normal(size=(4, 4)),
        "b": rng.normal(size=4),
        "s": 0.7,
    }
    numeric = {**_numpy_module(), "tanh": np.tanh, "exp": np.exp}
    oracle = sp.lambdify(
        list(sp.symbols(NAMES)),
        expr.replace(dot, lambda x, y: sp.Function("matmul")(x, y))
        .replace(T, lambda x: sp.Function("transpose")(x))
        .replace(colsum, lambda x: sp.Function("colsum")(x))
        .replace(sigmoid, lambda x: 1 / (1 + sp.exp(-x)))
        .replace(logaddexp, lambda x, y: sp.log(sp.exp(x) + sp.exp(y))),
        modules=[
            {"matmul": np.matmul, "transpose": np.transpose, "colsum": lambda x: x.sum(axis=0)},
            numeric,
            "numpy",
        ],
    )
    expected = oracle(*(values[k] for k in NAMES))
    work: dict = {}
    first = _run(lines, values, work)
    np.testing.assert_allclose(first["out_value"], expected, rtol=1e-12, atol=1e-14)
    work.update({k: first[k] for k in kept})
    # The next step writes into the same arrays, from other numbers.
    values = {k: v * 1.1 if k != "s" else v for k, v in values.items()}
    again = _run(lines, values, work)
    for array in kept:
        assert again[array] is work[array], array
    np.testing.assert_allclose(
        again["out_value"],
        oracle(*(values[k] for k in NAMES)),
        rtol=1e-12,
        atol=1e-14,
    )


def test_a_broadcast_alone_is_left_as_ordinary_code():
    column, row = sp.symbols("column row")
    shapes = {"column": ("m", 1), "row": (1, 4)}
    assert lower(OUT, column * row, lambda e: shape_of(e, shapes), taken=set()) is None


def test_extra_arrays_are_named_apart_from_existing_names():
    lines, kept = lower(
        sp.Symbol("t"), (A - B) * (B - C), lambda e: shape_of(e, SHAPES), taken={"t_part1"}
    )
    assert "t_part1" not in kept
    assert len(kept) == 2


def _lowered(expr, dead):
    return lower(
        OUT,
        expr,
        lambda e: shape_of(e, SHAPES),
        taken=set(),
        dead=frozenset(sp.Symbol(name) for name in dead),
    )


def test_an_activation_of_a_spent_value_overwrites_it():
    lines, kept = _lowered(sp.tanh(A), dead={"A"})
    values = {"A": np.linspace(-2, 2, 20).reshape(5, 4)}
    original = values["A"].copy()
    scope = _run(lines, values, {})
    assert kept == []
    assert scope["out_value"] is values["A"]
    np.testing.assert_allclose(scope["out_value"], np.tanh(original), rtol=1e-15)


def test_a_value_read_twice_in_the_statement_is_not_overwritten():
    swish_derivative = sigmoid(A) * (1 + A * (1 - sigmoid(A)))
    lines, kept = _lowered(swish_derivative, dead={"A"})
    values = {"A": np.linspace(-2, 2, 20).reshape(5, 4)}
    original = values["A"].copy()
    scope = _run(lines, values, {})
    logistic = 1 / (1 + np.exp(-original))
    np.testing.assert_allclose(
        scope["out_value"], logistic * (1 + original * (1 - logistic)), rtol=1e-13
    )
    np.testing.assert_array_equal(values["A"], original)


@pytest.mark.parametrize(
    "expr",
    [A * B * (1 - B), A * (1 - B**2), A * B * (1 - B) / C, 2 * A * sp.exp(-B)],
    ids=["sigmoid", "tanh", "divided", "scaled"],
)
def test_a_product_of_spent_values_is_computed_in_their_arrays(expr):
    lines, kept = _lowered(expr, dead={"A", "B"})
    values = {name: np.linspace(0.1, 0.9, 20).reshape(5, 4) + i for i, name in enumerate("ABC")}
    before = {name: value.copy() for name, value in values.items()}
    scope = _run(lines, values, {})
    assert kept == []  # no array of its own
    assert scope["out_value"] is values["A"]
    expected = sp.lambdify(sp.symbols("A B C"), expr, "numpy")(*before.values())
    np.testing.assert_allclose(scope["out_value"], expected, rtol=1e-14)
    np.testing.assert_array_equal(values["C"], before["C"])  # not spent: untouched


def test_a_value_still_needed_is_not_written_over():
    lines, kept = _lowered(A * B * (1 - B), dead={"A"})  # B is read after this statement
    values = {name: np.linspace(0.1, 0.9, 20).reshape(5, 4) + i for i, name in enumerate("AB")}
    before = {name: value.copy() for name, value in values.items()}
    scope = _run(lines, values, {})
    np.testing.assert_array_equal(values["B"], before["B"])
    np.testing.assert_allclose(
        scope["out_value"], before["A"] * before["B"] * (1 - before["B"]), rtol=1e-14
    )
