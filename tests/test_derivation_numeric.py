"""Every derived gradient agrees with finite differences of the forward expression."""

import random

import pytest
import sympy as sp
from helpers import central_difference, central_difference_float64, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop import derive
from symbackprop.ir import fully_connected
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.evaluate import evaluate, forward_values
from symbackprop.readers.examples import EXAMPLES


def random_point(model, rng: random.Random) -> dict:
    point = {}
    for node in model.nodes:
        if node.kind.is_leaf:
            low, high = (0.05, 0.95) if node.kind.value == "target" else (-1.5, 1.5)
            point[node.name] = rng.uniform(low, high)
    return point


def derived_gradients(model, point) -> dict:
    result = derive(model)
    values = forward_values(model, point)
    return {g.param: float(evaluate(result.expanded(g.expr), values)) for g in result.gradients}


SCALAR_EXAMPLES = sorted(n for n, e in EXAMPLES.items() if not e.build().is_vector)


@pytest.mark.parametrize("name", SCALAR_EXAMPLES)
def test_builtin_gradients_agree_with_float64_finite_differences(name):
    model = EXAMPLES[name].build()
    rng = random.Random(7)
    for _ in range(3):
        point = random_point(model, rng)
        for param, value in derived_gradients(model, point).items():
            reference = central_difference_float64(model, point, param)
            assert relative_error(value, reference) < 1e-8 or abs(value - reference) < 1e-12


ACTIVATION_NAMES = sorted(set(ACTIVATIONS) - {"silu"})


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("loss", ["half_sse", "mse", "bce"])
def test_every_activation_and_loss_agrees_with_finite_differences(activation, loss):
    # bce needs outputs in (0, 1): a sigmoid output layer under any hidden activation.
    model = fully_connected([2, 3, 1], [activation, "sigmoid"], loss=loss, reduction="mean")
    point = random_point(model, random.Random(3))
    for param, value in derived_gradients(model, point).items():
        reference = central_difference(model, point, param)
        assert relative_error(value, reference) < 1e-8 or abs(value - reference) < 1e-12, param


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    activation=st.sampled_from(["sigmoid", "tanh", "softplus", "swish", "identity"]),
    reduction=st.sampled_from(["sum", "mean"]),
    seed=st.integers(0, 10_000),
)
def test_random_networks_agree_with_sympy_diff_of_the_expanded_loss(
    sizes, activation, reduction, seed
):
    model = fully_connected(sizes, activation, loss="half_sse", reduction=reduction)
    point = random_point(model, random.Random(seed))
    leaves = {sp.Symbol(k): v for k, v in point.items()}
    expanded_loss = model.in_leaves(model.loss.expr)
    for param, value in derived_gradients(model, point).items():
        reference = float(sp.diff(expanded_loss, sp.Symbol(param)).xreplace(leaves).evalf(30))
        assert relative_error(value, reference) < 1e-12 or abs(value - reference) < 1e-15
