"""The fused train_step(): the asker's update, no batch-sized allocation once warm, any batch
size and any data type, stable at 1e4."""

import tracemalloc
import warnings

import numpy as np
import pytest
from numeric import q1_training

from symbackprop.codegen.loader import load_module
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import builtin


def test_xor_step_is_the_question_1_step_on_integer_data():
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    module = load_module(builtin("xor"))
    params = module.init_params(3)
    synapse_0, synapse_1 = params["synapse_0"].copy(), params["synapse_1"].copy()
    work: dict = {}
    for _ in range(5):
        module.train_step(params, X, y, 0.5, work)
    q1_training(synapse_0, synapse_1, X, y, 0.5, iterations=5)
    np.testing.assert_allclose(params["synapse_0"], synapse_0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(params["synapse_1"], synapse_1, rtol=0, atol=1e-14)


def test_a_warm_step_allocates_nothing_batch_sized():
    model = dense_network([64, 128, 10], "sigmoid", loss="half_sse", reduction="sum")
    module = load_module(model)
    params = module.init_params(0, "glorot")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(1000, 64)), rng.uniform(size=(1000, 10))
    work: dict = {}
    module.train_step(params, X, Y, 0.01, work)
    tracemalloc.start()
    try:
        module.train_step(params, X, Y, 0.01, work)
        _, warm_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        grads = module.backward(params, module.forward(params, X, Y))
        module.sgd_step(params, grads, {}, 0.01)
        _, plain_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    hidden_batch = 1000 * 128 * 8  # bytes of one hidden-layer array of the batch
    assert plain_peak > 2 * hidden_batch  # the measurement sees NumPy's allocations
    assert warm_peak < hidden_batch / 8


def test_minibatches_of_two_sizes_keep_arrays_for_each():
    module = load_module(builtin("digits"))
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(50, 64)), np.eye(10)[rng.integers(0, 10, 50)]
    fused, plain = module.init_params(2), module.init_params(2)
    work: dict = {}
    for _epoch in range(3):
        for rows in (slice(0, 32), slice(32, 50)):  # a full batch, then the smaller rest
            module.train_step(fused, X[rows], Y[rows], 0.3, work)
            grads = module.backward(plain, module.forward(plain, X[rows], Y[rows]))
            module.sgd_step(plain, grads, {}, 0.3)
    assert sorted(key for key in work if isinstance(key, int)) == [18, 32]
    for name in plain:
        np.testing.assert_allclose(fused[name], plain[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("size", [10, 100_000])  # the tanh path and the exp path
def test_the_sigmoid_helper_is_quiet_and_exact_for_any_z(size):
    import math

    module = load_module(builtin("xor"))
    z = np.linspace(-1e4, 1e4, size)
    z[: size // 2] = np.linspace(-40, 40, size // 2)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        value = module.sigmoid(z)
        out = np.empty_like(z)
        assert module.sigmoid(z, out=out) is out
    expected = np.array(
        [1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)) for x in z]
    )
    np.testing.assert_allclose(value, expected, rtol=1e-14, atol=1e-16)
    np.testing.assert_array_equal(out, value)


def test_a_large_batch_at_1e4_trains_without_warnings():
    module = load_module(dense_network([3, 64, 2], ["sigmoid", "sigmoid"], loss="bce"))
    params = module.init_params(0, "glorot")
    rng = np.random.default_rng(0)
    X = rng.choice([-1e4, 1e4], size=(512, 3))
    Y = np.eye(2)[rng.integers(0, 2, size=512)]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value = module.train_step(params, X, Y, 0.1, {}, report_loss=True)
    assert np.isfinite(value)
    assert all(np.all(np.isfinite(p)) for p in params.values())
