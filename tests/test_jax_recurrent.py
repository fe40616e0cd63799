"""Recurrent cells in the JAX target: the generated module (a lax.scan forward and a derived
BPTT backward in jax.numpy) gives the NumPy module's numbers, PyTorch autograd's (nn.GRU,
nn.RNN, nn.LSTM on CPU in float64) and jax.grad's of its own loss, and trains as the NumPy
module does, in one compiled loop.

The Keras conventions are matched against PyTorch through a gate-by-gate mapping written here:
Keras's GRU(reset_after=True) and LSTM compute PyTorch's cells with the gates in another
order (z, r, h against r, z, n; i, f, c, o against i, f, g, o), and Keras's LSTM has one bias
where PyTorch has two, whose sum it is.
"""

import ast
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from devices import run_on_devices

from symbackprop import api
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.layouts import from_torch, to_torch
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cli import main
from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.readers.examples import RECURRENT_EXAMPLES, builtin
from symbackprop.readers.spec import read_spec_text

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
BATCH, STEPS = 5, 6  # unlike every case's input and units
SPEC_GRU = (
    '[recurrent]\ncell = "gru"\nconvention = "pytorch"\ninput = 3\nunits = 2\n'
    'loss = "mse"\nlast = true\n'
)
# The cells below, by the PyTorch layer that computes the same function; the Keras ones at
# sizes where a transposed or swapped gate would show (the built-ins are 1 by 1).
CASES = {
    "gru-keras": ("GRU", lambda: gru_cell("keras", 3, 4)),
    "rnn": ("RNN", lambda: builtin("rnn")),
    "lstm": ("LSTM", lambda: builtin("lstm")),
    "lstm-keras": ("LSTM", lambda: lstm_cell("keras", 3, 4)),
    "gru-spec": ("GRU", lambda: read_spec_text(SPEC_GRU, "gru_spec.toml")),  # many-to-one, mse
}
TORCH_ROWS = {"GRU": "rzn", "LSTM": "ifgo"}  # PyTorch's gate blocks, in its row order
KERAS_GATE = {"z": "z", "r": "r", "h": "n", "i": "i", "f": "f", "c": "g", "o": "o"}


@cache
def modules(name: str):
    """The case's model, its NumPy module and its JAX module (float64)."""
    model = CASES[name][1]()
    return model, load_module(model), load_module(model, module_text(model, target="jax"))


def relative(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-300))


def sequence(model, seed: int = 0) -> tuple:
    """Random X, Y (the last step's only where the loss scores only it) and initial states."""
    rng = np.random.default_rng(seed)
    cell = model.cell
    X = rng.normal(size=(BATCH, STEPS, cell.input_size))
    scored = (BATCH, cell.units) if model.scoring.last else (BATCH, STEPS, cell.units)
    initial = [rng.normal(size=(BATCH, cell.units)) for _ in cell.states]
    return X, rng.normal(size=scored), initial


def everything(module, params, X, Y, initial) -> dict:
    """Every number the module gives: outputs, loss, every gradient (states, inputs too)."""
    cache_ = module.forward(params, X, Y, *initial)
    numbers = module.backward(params, cache_, initial_state=True, inputs=True)
    return {
        **numbers,
        "outputs": module.predict(params, X, *initial),
        "loss": module.loss_of(cache_, params),
    }


@pytest.mark.parametrize("name", CASES)
def test_the_jax_module_gives_the_numpy_modules_numbers(name):
    model, numpy_module, jax_module = modules(name)
    X, Y, initial = sequence(model)
    params = numpy_module.init_params(3, "uniform")
    expected = everything(numpy_module, params, X, Y, initial)
    got = everything(jax_module, jax_module.init_params(3, "uniform"), X, Y, initial)
    assert got.keys() == expected.keys()
    for key in expected:
        assert relative(got[key], expected[key]) < 1e-12, key


def test_a_gru_resetting_before_the_product_gives_the_numpy_modules_numbers():
    """d2l's GRU, (r*h_prev) @ U, declared with the update gate on the candidate: statements
    of another shape through the same scans (no framework layer computes it)."""
    model = gru_cell("d2l", 3, 2, swapped=True)
    numpy_module = load_module(model)
    jax_module = load_module(model, module_text(model, target="jax"))
    X, Y, initial = sequence(model, seed=8)
    params = numpy_module.init_params(1, "uniform")
    expected = everything(numpy_module, params, X, Y, initial)
    got = everything(jax_module, params, X, Y, initial)
    for key in expected:
        assert relative(got[key], expected[key]) < 1e-12, key


# --- against PyTorch autograd ---------------------------------------------------------------


def torch_numbers(model, layer: str, X, Y, initial, seed: int = 0):
    """The PyTorch layer's state_dict and, from autograd, every number ``everything`` gives."""
    torch.manual_seed(seed)
    network = getattr(torch.nn, layer)(model.cell.input_size, model.cell.units, batch_first=True)
    network = network.double()
    X_t = torch.tensor(X, requires_grad=True)
    states = [torch.tensor(s[np.newaxis], requires_grad=True) for s in initial]
    out, _ = network(X_t, tuple(states) if layer == "LSTM" else states[0])
    scored = out[:, -1] if model.scoring.last else out
    target = torch.tensor(Y)
    if model.scoring.loss == "mse":
        loss = torch.nn.MSELoss()(scored, target)
    else:
        loss = 0.5 * ((scored - target) ** 2).sum()
    loss.backward()
    numbers = {"outputs": out.detach().numpy(), "loss": loss.item(), "X": X_t.grad.numpy()}
    for state, tensor in zip(model.cell.states, states, strict=True):
        numbers[state.initial] = tensor.grad[0].numpy()
    weights = {key: value.detach().numpy() for key, value in network.state_dict().items()}
    grads = {key: p.grad.numpy() for key, p in network.named_parameters()}
    return weights, grads, numbers


def gates_from_torch(cell, packed: dict, gradient: bool) -> dict:
    """Keras-convention per-gate arrays from PyTorch's packed ones, by hand. Keras's one
    LSTM bias is the sum of PyTorch's two; its gradient is the gradient of either."""
    w_ih, w_hh, b_ih, b_hh = (
        packed[key] for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    )
    order = TORCH_ROWS["LSTM" if len(cell.convention.gate_order) == 4 else "GRU"]
    units = cell.units
    params = {}
    for role in cell.convention.gate_order:
        gate = cell.weight(role, "kernel").name.removeprefix("W_")  # z, r, h; i, f, c, o
        k = order.index(KERAS_GATE[gate])
        block = slice(k * units, (k + 1) * units)
        params[f"W_{gate}"] = w_ih[block].T
        params[f"U_{gate}"] = w_hh[block].T
        if cell.convention.two_biases:
            params[f"b_i{gate}"], params[f"b_h{gate}"] = b_ih[block], b_hh[block]
        else:
            params[f"b_{gate}"] = b_ih[block] if gradient else b_ih[block] + b_hh[block]
    return params


@pytest.mark.parametrize("name", CASES)
def test_the_jax_module_gives_torch_autograds_numbers(name):
    model, _, jax_module = modules(name)
    X, Y, initial = sequence(model, seed=1)
    layer = CASES[name][0]
    weights, torch_grads, expected = torch_numbers(model, layer, X, Y, initial)
    keras = model.cell.convention.layout == "keras"
    params = (
        gates_from_torch(model.cell, weights, False) if keras else from_torch(model.cell, weights)
    )
    got = everything(jax_module, params, X, Y, initial)
    for key, value in expected.items():
        assert relative(got[key], value) < 1e-10, key
    if keras:
        expected_grads = gates_from_torch(model.cell, torch_grads, True)
        got_grads = {key: got[key] for key in expected_grads}
    else:
        expected_grads, got_grads = torch_grads, to_torch(model.cell, got)
    assert got_grads.keys() == expected_grads.keys()
    for key, value in expected_grads.items():
        assert relative(got_grads[key], value) < 1e-10, key


# --- against jax.grad -------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_the_derived_backward_is_jax_grad_of_the_modules_own_loss(name):
    model, _, module = modules(name)
    X, Y, initial = sequence(model, seed=2)
    params = module.init_params(5, "uniform")
    states = list(range(3, 3 + len(initial)))
    by_autodiff = jax.grad(module.loss, argnums=(0, 1, *states))(params, X, Y, *initial)
    derived = module.backward(params, module.forward(params, X, Y, *initial), True, True)
    for key, value in by_autodiff[0].items():
        assert relative(derived[key], value) < 1e-12, key
    assert relative(derived["X"], by_autodiff[1]) < 1e-12
    for state, value in zip(model.cell.states, by_autodiff[2:], strict=True):
        assert relative(derived[state.initial], value) < 1e-12, state.initial


def test_a_wrong_backward_is_caught_by_verify_and_jax_grad():
    model = builtin("gru-keras")
    text = module_text(model, target="jax")
    right = "delta_z_pre = delta_z * (z * (1 - z))"
    wrong = text.replace(right, "delta_z_pre = delta_z * z", 1)
    assert wrong != text
    report = api.verify(model, text=wrong, target="jax")
    assert not report.ok
    assert report.oracle_error > 1e-3
    assert report.errors["W_z"] > 1e-3  # the gate it broke


@pytest.mark.parametrize("name", ["rnn", "lstm-keras"])  # one state, and two (gru-keras above)
def test_verify_target_jax_proves_the_recurrent_builtins(name):
    report = api.verify(name, target="jax")
    assert report.ok, report.to_text()
    assert report.oracle_error < 1e-12


# --- training -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "optimizer", "clip"), [("lstm", "adam", 0.5), ("gru-spec", "sgd", None)]
)
def test_training_in_one_compiled_loop_retraces_the_numpy_modules_training(name, optimizer, clip):
    model, numpy_module, module = modules(name)
    X, Y, initial = sequence(model, seed=4)
    options = {"epochs": 8, "lr": 0.05, "optimizer": optimizer, "clip": clip}
    options.update(
        {state.initial: value for state, value in zip(model.cell.states, initial, strict=True)}
    )
    expected, expected_losses = numpy_module.train(
        numpy_module.init_params(6, "uniform"), X, Y, **options
    )
    start = module.init_params(6, "uniform")
    trained, losses = module.train(start, X, Y, **options)
    seen = []
    by_calls, losses_by_calls = module.train(
        start, X, Y, callback=lambda epoch, loss, _: seen.append(epoch), **options
    )
    assert seen == list(range(8))
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(losses_by_calls, expected_losses, rtol=1e-12)
    for key in expected:
        assert relative(trained[key], expected[key]) < 1e-12, key
        assert relative(by_calls[key], expected[key]) < 1e-12, key
    assert losses[-1] < losses[0]
    for key, value in module.init_params(6, "uniform").items():
        assert relative(start[key], value) == 0, key  # train left them as they were


def test_clipping_scales_the_gradients_to_the_norm_asked_for():
    _, _, module = modules("rnn")
    grads = {"a": jax.numpy.array([3.0, 0.0]), "b": jax.numpy.array([[4.0]])}  # norm 5
    clipped = module.clip_by_global_norm(grads, 1.0)
    assert relative(clipped["a"], [0.6, 0.0]) < 1e-15 and relative(clipped["b"], [[0.8]]) < 1e-15
    kept = module.clip_by_global_norm(grads, 10.0)
    assert relative(kept["a"], [3.0, 0.0]) == 0 and relative(kept["b"], [[4.0]]) == 0


def test_a_float32_module_computes_and_trains_in_float32():
    model = builtin("rnn")
    text = module_text(model, target="jax", dtype="float32")
    assert "DTYPE = jnp.float32" in text and "jax_enable_x64" not in text
    module = load_module(model, text)
    X, Y, _ = sequence(model, seed=5)
    params = module.init_params(0)
    assert all(value.dtype == np.float32 for value in params.values())
    assert module.predict(params, X.astype(np.float32)).dtype == np.float32
    trained, losses = module.train(params, X, Y, epochs=5)
    assert all(value.dtype == np.float32 for value in trained.values())
    _, _, by_float64 = modules("rnn")
    expected = by_float64.train(by_float64.init_params(0), X, Y, epochs=5)[1]
    np.testing.assert_allclose(losses, expected, rtol=1e-5)


# --- the generated text -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RECURRENT_EXAMPLES))
def test_the_recurrent_jax_goldens_scan_and_derive(name):
    path = ROOT / "generated" / "jax" / f"{name.replace('-', '_')}.py"
    text = path.read_text()
    tree = ast.parse(text)
    modules_ = {
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
    }
    modules_ |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules_ == {"functools", "jax", "jax.numpy", "jax.sharding", "numpy"}
    assert text.count("jax.lax.scan(") == 3  # forward, backward (reversed) and the epochs
    assert "reverse=True" in text
    assert "jax.grad" not in text.replace("not jax.grad", "")


def test_generate_target_jax_writes_a_recurrent_module_on_the_command_line(tmp_path):
    path = tmp_path / "gru.py"
    assert main(["generate", "gru-keras", "--target", "jax", "-o", str(path)]) == 0
    assert path.read_text() == (ROOT / "generated" / "jax" / "gru_keras.py").read_text().replace(
        "symbackprop generate --all --target jax --dir generated/jax",
        f"symbackprop generate gru-keras --target jax -o {path}",
    )


# --- data-parallel training -----------------------------------------------------------------

SHARDED_CELLS = """
import sys

import jax
import numpy as np

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.readers.examples import builtin

sequences, steps = 8, 5  # 8 sequences: two on each of four devices
worst = 0.0
for name in ("lstm", "rnn", "gru-keras"):
    model = builtin(name)
    module = load_module(model, module_text(model, target="jax"))
    rng = np.random.default_rng(7)
    cell = model.cell
    X = rng.normal(size=(sequences, steps, cell.input_size))
    scored = (sequences, cell.units) if model.scoring.last else (sequences, steps, cell.units)
    Y = rng.normal(size=scored)
    initial = {s.initial: rng.normal(size=(sequences, cell.units)) for s in cell.states}
    options = {"epochs": 6, "lr": 0.05, "optimizer": "adam", "clip": 1.0, **initial}
    start = module.init_params(2, "uniform")
    one, losses_one = module.train(start, X, Y, **options)
    four, losses_four = module.train(start, X, Y, mesh=module.data_mesh(4), **options)
    assert all(len(value.sharding.device_set) == 4 for value in four.values())
    for key in one:
        scale = float(np.max(np.abs(np.asarray(one[key])))) or 1.0
        worst = max(worst, float(np.max(np.abs(np.asarray(four[key]) - one[key]))) / scale)
    worst = max(worst, max(abs(a - b) / abs(a) for a, b in zip(losses_one, losses_four)))
try:
    module.train(start, X[:6], Y[:6], epochs=1, mesh=module.data_mesh(4), **{
        k: v[:6] for k, v in initial.items()})
    uneven = "accepted"
except ValueError as error:
    uneven = "refused" if "6 sequences split unevenly over 4 devices" in str(error) else "other"
print(len(jax.devices()), worst, uneven)
"""


def test_recurrent_training_on_four_devices_retraces_one_device(tmp_path):
    """Four CPU devices (XLA's host-platform flag, set before jax starts in a fresh process):
    the sequences split across them, the parameters copied to each; LSTM, RNN and a Keras GRU
    train to the same parameters and losses as on one device, in float64."""
    done = run_on_devices(tmp_path, SHARDED_CELLS)
    assert done.returncode == 0, done.stderr[-3000:]
    devices, worst, uneven = done.stdout.split()
    assert devices == "4"
    assert float(worst) < 1e-12
    assert uneven == "refused"
