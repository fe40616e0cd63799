"""Generated modules are proven by numbers: finite differences, scalar = vector, stability."""

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import networks
from numeric import central_gradient, max_relative_error

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data
from symbackprop.ir import fully_connected
from symbackprop.ir.activations import written_out
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.network import dense_network
from symbackprop.ir.ops import dot, total
from symbackprop.naming import BATCH_SIZE
from symbackprop.readers.examples import EXAMPLES, builtin


def assert_gradients_agree(model, seed=0, tolerance=1e-7):
    """backward() and the fused train_step() both agree with central differences."""
    module = load_module(model)
    rng = np.random.default_rng(seed)
    params = module.init_params(seed)
    data = sample_data(model, rng)
    grads = module.backward(params, module.forward(params, *data))
    assert set(grads) == set(params)
    recurrent = getattr(model, "cell", None) is not None  # BPTT modules have no fused step
    moves = grads if recurrent else fused_step_moves(module, params, data, lr=0.1)

    def loss(p):
        return module.loss(p, *data)

    # A kink (relu) within a step of a sample spoils a difference quotient; a second, smaller
    # step then has none within it.
    kinked = any(written_out(n.expr).has(sp.Piecewise) for n in model.defined)
    steps = (1e-3, 1e-5) if kinked else (1e-3,)
    for name in params:
        assert np.shape(grads[name]) == np.shape(params[name]), name
        numeric = [central_gradient(loss, params, name, h) for h in steps]
        assert min(max_relative_error(grads[name], n) for n in numeric) < tolerance, name
        assert min(max_relative_error(moves[name], n) for n in numeric) < tolerance, name


def fused_step_moves(module, params, data, lr):
    """How far one train_step() moves each parameter, over lr: the gradient it applied.

    Also checks that it reports the loss it started from, and that a second step from the same
    start, writing into the arrays the first one kept, moves the parameters identically."""
    work: dict = {}
    first = {name: np.array(value, dtype=float) for name, value in params.items()}
    reported = module.train_step(first, *data, lr, work, report_loss=True)
    assert reported == pytest.approx(module.loss(params, *data), rel=1e-12)
    again = {name: np.array(value, dtype=float) for name, value in params.items()}
    assert module.train_step(again, *data, lr, work) is None
    for name in params:
        np.testing.assert_array_equal(again[name], first[name])
    return {name: (params[name] - first[name]) / lr for name in params}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_builtin_module_gradients_agree_with_finite_differences(name):
    assert_gradients_agree(builtin(name))


def test_a_row_bias_gets_its_gradient_summed_with_keepdims():
    b = ModelBuilder("row-bias")
    X = b.input("X", shape=(BATCH_SIZE, 3))
    Y = b.target("Y", shape=(BATCH_SIZE, 2))
    W = b.parameter("W", shape=(3, 2))
    bias = b.parameter("b", shape=(1, 2))  # a row, as np.zeros((1, 2)) makes it
    a = b.define("a", sp.tanh(b.define("z", dot(X, W) + bias)))
    model = b.loss("E", total((a - Y) ** 2) / 2)
    assert "sum(axis=0, keepdims=True)" in module_text(model)
    assert_gradients_agree(model)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(network=networks(), seed=st.integers(0, 1000))
def test_random_networks_generate_modules_with_correct_gradients(network, seed):
    assert_gradients_agree(network.model(), seed)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
@pytest.mark.parametrize("loss", ["half_sse", "mse"])
def test_vector_and_scalar_modes_agree_on_the_same_numbers(activation, loss):
    scalar = load_module(fully_connected([2, 3, 2], activation, loss=loss, reduction="sum"))
    vector = load_module(dense_network([2, 3, 2], activation, loss=loss, reduction="sum"))
    params = vector.init_params(5)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))
    # Scalar mode: x[i] is column i of x, t[k] column k of t; W1[i, j] is element (i, j).
    scalar_cache = scalar.forward(params, X, Y)
    vector_cache = vector.forward(params, X, Y)
    assert scalar.loss_of(scalar_cache, params) == pytest.approx(
        vector.loss_of(vector_cache, params), rel=1e-13
    )
    scalar_grads = scalar.backward(params, scalar_cache)
    vector_grads = vector.backward(params, vector_cache)
    for name in params:
        np.testing.assert_allclose(scalar_grads[name], vector_grads[name], rtol=1e-12, atol=1e-15)


STABILITY_CASES = [
    ("sigmoid", "half_sse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("softplus", "half_sse"),
    ("swish", "mse"),
    ("gelu", "mse"),
    ("leaky_relu", "sse"),
    ("sigmoid", "bce"),
    ("tanh", "softmax_ce"),
]


@pytest.mark.parametrize(("hidden", "loss"), STABILITY_CASES)
def test_inputs_of_magnitude_1e4_give_no_warning_and_finite_values(hidden, loss):
    last = {"bce": "sigmoid", "softmax_ce": "softmax"}.get(loss, hidden)
    model = dense_network([3, 5, 2], [hidden, last], loss=loss)
    module = load_module(model)
    params = module.init_params(0, "glorot")
    rng = np.random.default_rng(0)
    X = rng.choice([-1e4, 1e4], size=(6, 3)) * rng.uniform(0.5, 1, size=(6, 3))
    Y = np.eye(2)[rng.integers(0, 2, size=6)]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        cache = module.forward(params, X, Y)
        grads = module.backward(params, cache)
        value = module.loss_of(cache, params)
        stepped = module.train_step(params, X, Y, 0.1, {}, report_loss=True)
    assert np.isfinite(value)
    assert stepped == value
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_builtin_digits_module_is_stable_at_1e4():
    module = load_module(builtin("digits"))
    params = module.init_params(0)
    X = np.full((4, 64), 1e4)
    Y = np.eye(10)[[1, 2, 3, 4]]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        grads = module.backward(params, module.forward(params, X, Y))
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_every_optimizer_lowers_the_xor_loss(optimizer):
    module = load_module(builtin("xor"))
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float).T
    seen = []
    lr = {"sgd": 0.5, "momentum": 0.2, "adam": 0.05}[optimizer]
    params, losses = module.train(
        module.init_params(1),
        X,
        y,
        epochs=2000,
        lr=lr,
        optimizer=optimizer,
        callback=lambda epoch, loss, params: seen.append(epoch),
    )
    assert seen == list(range(2000))
    assert losses[-1] < 0.1 * losses[0]


@pytest.mark.parametrize("scheme", ["uniform", "glorot", "he"])
def test_initialisation_is_seeded_and_has_the_scheme_scale(scheme):
    module = load_module(builtin("digits"))
    first, again = module.init_params(7, scheme), module.init_params(7, scheme)
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    weights = first["W1"]  # 64 x 10
    bound = {"uniform": 1.0, "glorot": np.sqrt(6 / 74), "he": 6 * np.sqrt(2 / 64)}[scheme]
    assert np.max(np.abs(weights)) <= bound
    assert np.std(weights) > 0.2 * bound / 6
    if scheme != "uniform":
        assert np.all(first["b1"] == 0)
