"""For every network: the JAX module of a random fully connected network (any sizes, hidden
activations, loss and reduction; the 200 test_generated_gradients proves the NumPy modules
of by finite differences) gives torch autograd's loss and gradients to 1e-10 in float64,
from backward() and from the fused step, and the NumPy module's numbers to 1e-12."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networks import networks
from torch_reference import torch_dense_loss, torch_loss_and_gradients

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data

jax = pytest.importorskip("jax")

LR = 0.25


def relative(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-12))


def jax_numbers(module, params: dict, data: list) -> tuple:
    """The loss, backward()'s gradients, the fused step's moves over LR and the loss it
    reports, run op by op. Compiled, each network's program would cost a compilation (most
    of a second); op by op, jax compiles each operation once for its shapes, and the shapes
    of these small networks recur, so that after a few dozen networks little is compiled.
    The derived formulas are the same statements either way; the compiled programs are
    proven on the built-ins (tests/test_jax_target.py)."""
    with jax.disable_jit():
        cache = module.forward(params, *data)
        stepped, reported = module.fused_step(params, *data, LR)
        moves = {name: (params[name] - stepped[name]) / LR for name in params}
        return module.loss_of(cache, params), module.backward(params, cache), moves, reported


@settings(max_examples=200, deadline=None, derandomize=True)
@given(network=networks(), seed=st.integers(0, 1000))
def test_random_networks_give_torch_autograds_numbers_and_the_numpy_modules(network, seed):
    model = network.model()
    module = load_module(model, module_text(model, target="jax"))  # float64
    params = {name: np.asarray(value) for name, value in module.init_params(seed).items()}
    data = sample_data(model, np.random.default_rng(seed))

    def in_torch(p, X, Y):
        return torch_dense_loss(p, X, Y, network.activations, network.loss, network.reduction)

    expected_loss, expected = torch_loss_and_gradients(in_torch, params, data)
    value, grads, moves, reported = jax_numbers(module, params, data)
    assert relative(value, expected_loss) < 1e-10
    assert float(reported) == float(value)
    assert grads.keys() == expected.keys()
    for name, gradient in expected.items():
        assert relative(grads[name], gradient) < 1e-10, name
        assert relative(moves[name], gradient) < 1e-10, name

    numpy_module = load_module(model)
    by_numpy = numpy_module.backward(params, numpy_module.forward(params, *data))
    assert relative(value, numpy_module.loss(params, *data)) < 1e-12
    for name, gradient in by_numpy.items():
        assert relative(grads[name], gradient) < 1e-12, name
