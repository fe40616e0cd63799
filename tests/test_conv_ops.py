"""Convolution, max pooling and flatten: each op's value and every backward rule against
PyTorch's autograd in float64, its shape rule against its value, and each rule as the adjoint
of the op's own evaluation (<g, J v> = <J^T g, v> by central differences, in mpmath)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symbackprop.derive.rules import rule_for
from symbackprop.ir.evaluate import Evaluator, Numbers
from symbackprop.ir.ops import FLOAT_MATH, conv2d, flatten, maxpool2d, shape_of

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(11)

# (input shape, kernel shape, stride, padding): strides 1 and 2, paddings 0 and 1, and sizes
# where the last window does not fit (8 + 0 - 3 is odd: one row of the input is never used).
CONVS = [
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 0),
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 1),
    ((2, 2, 8, 7), (3, 2, 3, 2), 2, 0),
    ((2, 2, 7, 8), (3, 2, 3, 3), 2, 1),
]
# (input shape, window, stride): non-overlapping, overlapping, and a window left over
POOLS = [((2, 3, 4, 6), 2, 2), ((2, 2, 5, 5), 3, 1), ((2, 2, 7, 6), 3, 2)]


def evaluated(expr: sp.Expr, values: dict) -> np.ndarray:
    env = {sp.Symbol(name): value for name, value in values.items()}
    return np.asarray(Evaluator(env, Numbers.FLOAT64)(expr), dtype=float)


def backward(op, position: int, g: np.ndarray, names: list[str], values: dict, settings):
    """The op's rule for argument ``position``, applied to ``g`` and evaluated."""
    symbols = [sp.Symbol(n) for n in names]
    rule = rule_for(op, position)(sp.Symbol("g"), *symbols, *map(sp.Integer, settings))
    return evaluated(rule, {**values, "g": g})


def with_torch(values: dict, forward):
    """``forward`` of torch leaves made from ``values``, its output, and the leaves' gradients
    for the cotangent G (a fixed random array of the output's shape)."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    out = forward(**leaves)
    g = RNG.normal(size=tuple(out.shape))
    out.backward(torch.tensor(g))
    return out.detach().numpy(), g, {k: leaf.grad.numpy() for k, leaf in leaves.items()}


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    assert got.shape == expected.shape
    return float(np.max(np.abs(got - expected))) <= 1e-10 * max(1.0, np.max(np.abs(expected)))


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONVS)
def test_conv2d_and_its_three_adjoints_agree_with_torch(x_shape, w_shape, stride, padding):
    values = {"x": RNG.normal(size=x_shape), "w": RNG.normal(size=w_shape)}
    values["b"] = RNG.normal(size=w_shape[:1])
    out, g, grads = with_torch(
        values, lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding)
    )
    call = conv2d(*sp.symbols("x w b"), stride, padding)
    assert close(evaluated(call, values), out)
    for position, name in enumerate("xwb"):
        got = backward(conv2d, position, g, ["x", "w", "b"], values, (stride, padding))
        assert close(got, grads[name]), name


@pytest.mark.parametrize(("x_shape", "size", "stride"), POOLS)
def test_maxpool2d_and_its_adjoint_agree_with_torch(x_shape, size, stride):
    values = {"x": RNG.normal(size=x_shape)}
    out, g, grads = with_torch(values, lambda x: F.max_pool2d(x, size, stride))
    assert close(evaluated(maxpool2d(sp.Symbol("x"), size, stride), values), out)
    assert close(backward(maxpool2d, 0, g, ["x"], values, (size, stride)), grads["x"])


def test_overlapping_windows_add_up_their_adjoints_at_a_shared_maximum():
    # one large entry in the middle of a 3x3 image is the maximum of all four 2x2 windows
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    got = backward(maxpool2d, 0, g, ["x"], {"x": x}, (2, 1))
    assert got[0, 0, 1, 1] == 10.0 and np.sum(got) == 10.0


def test_a_tie_sends_the_adjoint_to_the_first_maximum_in_row_major_order():
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    got = backward(maxpool2d, 0, np.array([[[[7.0]]]]), ["x"], {"x": x}, (2, 2))
    assert got.tolist() == [[[[0.0, 7.0], [0.0, 0.0]]]]


def test_flatten_and_its_adjoint_agree_with_torch():
    values = {"x": RNG.normal(size=(3, 2, 4, 5))}
    out, g, grads = with_torch(values, lambda x: torch.flatten(x, 1))
    assert close(evaluated(flatten(sp.Symbol("x")), values), out)
    assert close(backward(flatten, 0, g, ["x"], values, ()), grads["x"])


# -- each rule against the op's own evaluation, in mpmath (object arrays) ------------------------
ADJOINT_CASES = [
    *((conv2d, [x, w, w[:1]], (s, p), i) for x, w, s, p in CONVS for i in range(3)),
    *((maxpool2d, [x], (k, s), 0) for x, k, s in POOLS),
    (flatten, [(2, 3, 2, 2)], (), 0),
]


@pytest.mark.parametrize(("op", "shapes", "settings", "position"), ADJOINT_CASES)
def test_backward_rule_is_the_adjoint_of_the_evaluation(op, shapes, settings, position):
    values = [RNG.normal(size=s) for s in shapes]
    symbols = sp.symbols(f"a0:{len(shapes)}")
    named = {s.name: shape for s, shape in zip(symbols, shapes, strict=True)}
    output = op.evaluate(FLOAT_MATH, *values, *settings)
    assert shape_of(op(*symbols, *settings), named) == output.shape
    g, direction = RNG.normal(size=output.shape), RNG.normal(size=shapes[position])

    def along(step: float) -> float:
        moved = [*values]
        moved[position] = values[position] + step * direction
        return float(np.sum(g * op.evaluate(FLOAT_MATH, *moved, *settings)))

    h = 1e-6
    expected = (along(h) - along(-h)) / (2 * h)
    g_symbol = sp.Symbol("g")
    adjoint = rule_for(op, position)(g_symbol, *symbols, *map(sp.Integer, settings))
    as_mp = np.frompyfunc(mpmath.mpf, 1, 1)
    env = {s: as_mp(v) for s, v in zip(symbols, values, strict=True)}
    env[g_symbol] = as_mp(g)
    got = np.asarray(Evaluator(env, Numbers.MPMATH)(adjoint), dtype=float)
    assert got.shape == shapes[position]
    assert float(np.sum(got * direction)) == pytest.approx(expected, rel=1e-7, abs=1e-9)
