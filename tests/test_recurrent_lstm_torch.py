"""The generated LSTM modules, NumPy and JAX, agree with PyTorch's nn.LSTM autograd (float64,
CPU): every step's output, every parameter's gradient and both initial states' gradients, to
1e-10.

The Keras convention is checked against the same nn.LSTM through a hand mapping written here:
Keras packs the gates i, f, c, o side by side in columns (``kernel`` (input, 4u)), PyTorch
stacks i, f, g, o in rows (``weight_ih_l0`` (4u, input)), so Keras's kernel is PyTorch's
weight transposed, and Keras's one bias is the sum of PyTorch's two.
"""

from functools import cache

import numpy as np
import pytest
from targets import TARGETS, target_module

from symbackprop.api import load_model
from symbackprop.cells.layouts import from_keras, from_torch, to_keras, to_torch
from symbackprop.cells.lstm import lstm_cell
from symbackprop.codegen.loader import load_module

torch = pytest.importorskip("torch")
TOLERANCE = 1e-10

# (batch, time, input, units): all four distinct in every row, so that no transposition or
# axis mix-up can go unseen.
SIZES = [(2, 5, 3, 4), (4, 3, 1, 2), (3, 7, 5, 6), (1, 4, 2, 3), (5, 2, 6, 1)]


@cache
def lstm_module(key: str, input_size: int, units: int, target: str = "numpy"):
    model = lstm_cell(key, input_size, units)
    return model, target_module(model, target)


def relative_error(ours, theirs) -> float:
    theirs = np.asarray(theirs)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-12))


def torch_run(batch, steps, n, units, loss, seed):
    """nn.LSTM's outputs and gradients on a random sequence from random initial states."""
    torch.manual_seed(seed)
    network = torch.nn.LSTM(n, units, batch_first=True).double()
    X = torch.randn(batch, steps, n, dtype=torch.float64)
    Y = torch.randn(batch, steps, units, dtype=torch.float64)
    h0 = torch.randn(1, batch, units, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, batch, units, dtype=torch.float64, requires_grad=True)
    out, _ = network(X, (h0, c0))
    scored, target = (out, Y) if loss == "many-to-many" else (out[:, -1], Y[:, -1])
    (0.5 * ((scored - target) ** 2).sum()).backward()
    return network, X.numpy(), target.numpy(), h0, c0, out.detach().numpy()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("loss", ["many-to-many", "many-to-one"])
@pytest.mark.parametrize(("batch", "steps", "n", "units"), SIZES)
def test_outputs_and_every_gradient_agree_with_nn_lstm(batch, steps, n, units, loss, target):
    network, X, scored, h0, c0, out = torch_run(batch, steps, n, units, loss, seed=units)
    model, module = lstm_module("pytorch", n, units, target)
    params = from_torch(model.cell, network.state_dict())
    initial = (h0[0].detach().numpy(), c0[0].detach().numpy())
    assert relative_error(module.predict(params, X, *initial), out) < TOLERANCE
    cache_ = module.forward(params, X, scored, *initial)
    grads = module.backward(params, cache_, initial_state=True)
    torch_grads = {name: p.grad for name, p in network.named_parameters()}
    packed = to_torch(model.cell, grads)
    assert packed.keys() == torch_grads.keys()
    for key, value in packed.items():
        assert relative_error(value, torch_grads[key]) < TOLERANCE, key
    assert relative_error(grads["h0"], h0.grad[0]) < TOLERANCE
    assert relative_error(grads["c0"], c0.grad[0]) < TOLERANCE


def keras_weights_by_hand(state_dict, units: int) -> tuple:
    """nn.LSTM's weights as keras.layers.LSTM holds them, gate block by gate block."""
    w_ih, w_hh, b_ih, b_hh = (
        state_dict[k].numpy() for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    )
    torch_rows = {"i": 0, "f": 1, "g": 2, "o": 3}  # PyTorch's order, in rows
    keras_columns = {"i": "i", "f": "f", "c": "g", "o": "o"}  # Keras's gate -> PyTorch's

    def block(array, gate):
        start = torch_rows[gate] * units
        return array[start : start + units]

    kernel = np.hstack([block(w_ih, keras_columns[k]).T for k in "ifco"])
    recurrent = np.hstack([block(w_hh, keras_columns[k]).T for k in "ifco"])
    bias = np.concatenate(
        [block(b_ih, keras_columns[k]) + block(b_hh, keras_columns[k]) for k in "ifco"]
    )
    return kernel, recurrent, bias


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("batch", "steps", "n", "units"), SIZES[:3])
def test_the_keras_convention_with_hand_mapped_weights_agrees_with_nn_lstm(
    batch, steps, n, units, target
):
    network, X, scored, h0, c0, out = torch_run(batch, steps, n, units, "many-to-many", seed=n)
    model, module = lstm_module("keras", n, units, target)
    kernel, recurrent, bias = keras_weights_by_hand(network.state_dict(), units)
    params = from_keras(model.cell, kernel, recurrent, bias)
    initial = (h0[0].detach().numpy(), c0[0].detach().numpy())
    assert relative_error(module.predict(params, X, *initial), out) < TOLERANCE
    # Keras's one bias gets the gradient both of PyTorch's biases get.
    grads = module.backward(params, module.forward(params, X, scored, *initial), True)
    packed = to_keras(model.cell, grads)
    expected = keras_weights_by_hand(
        {name: p.grad for name, p in network.named_parameters()}, units
    )
    for ours, theirs in zip((packed["kernel"], packed["recurrent_kernel"]), expected, strict=False):
        assert relative_error(ours, theirs) < TOLERANCE
    assert relative_error(packed["bias"], expected[2] / 2) < TOLERANCE
    assert relative_error(grads["c0"], c0.grad[0]) < TOLERANCE


def test_keras_and_torch_layouts_of_one_lstm_agree_gate_by_gate():
    """from_torch and from_keras read one network's numbers into the same gates."""
    torch.manual_seed(3)
    network = torch.nn.LSTM(3, 2, batch_first=True).double()
    state_dict = network.state_dict()
    by_torch = from_torch(lstm_cell("pytorch", 3, 2).cell, state_dict)
    keras_cell = lstm_cell("keras", 3, 2).cell
    by_keras = from_keras(keras_cell, *keras_weights_by_hand(state_dict, 2))
    for torch_gate, keras_gate in (("i", "i"), ("f", "f"), ("g", "c"), ("o", "o")):
        assert np.array_equal(by_torch[f"W_{torch_gate}"], by_keras[f"W_{keras_gate}"])
        assert np.array_equal(by_torch[f"U_{torch_gate}"], by_keras[f"U_{keras_gate}"])
        both = by_torch[f"b_i{torch_gate}"] + by_torch[f"b_h{torch_gate}"]
        assert np.array_equal(both, by_keras[f"b_{keras_gate}"])
    again = to_keras(keras_cell, by_keras)
    for ours, theirs in zip(again.values(), keras_weights_by_hand(state_dict, 2), strict=True):
        assert np.array_equal(ours, theirs)


def test_weights_saved_in_torch_layout_load_into_nn_lstm():
    model, module = lstm_module("pytorch", 2, 3)
    params = module.init_params(seed=4)
    network = torch.nn.LSTM(2, 3, batch_first=True).double()
    network.load_state_dict({k: torch.tensor(v) for k, v in to_torch(model.cell, params).items()})
    X = np.random.default_rng(0).normal(size=(4, 5, 2))
    expected, _ = network(torch.tensor(X))
    assert relative_error(module.predict(params, X), expected.detach()) < TOLERANCE


def test_a_recurrent_spec_file_declares_nn_lstm(tmp_path):
    spec = tmp_path / "my_lstm.toml"
    spec.write_text('[recurrent]\ncell = "lstm"\nconvention = "pytorch"\ninput = 3\nunits = 4\n')
    model = load_model(str(spec))
    assert model.name == "my_lstm" and model.source == str(spec)
    torch.manual_seed(2)
    network = torch.nn.LSTM(3, 4, batch_first=True).double()
    X = torch.randn(2, 6, 3, dtype=torch.float64)
    expected, _ = network(X)
    states = load_module(model).predict(from_torch(model.cell, network.state_dict()), X.numpy())
    assert relative_error(states, expected.detach()) < TOLERANCE
