"""Generated BPTT modules, NumPy and JAX, agree with PyTorch's nn.GRU and nn.RNN autograd
(float64)."""

import random
from functools import cache

import numpy as np
import pytest
from targets import TARGETS, target_module

from symbackprop.cells.gru import gru_cell
from symbackprop.cells.layouts import from_torch, to_torch
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.loader import load_module

torch = pytest.importorskip("torch")
TOLERANCE = 1e-10


@cache
def pytorch_module(family: str, input_size: int, units: int, target: str = "numpy"):
    build = gru_cell if family == "gru" else rnn_cell
    model = build("pytorch", input_size, units)
    return model, target_module(model, target)


def sweep(count: int = 20, seed: int = 6):
    """Random sizes: input 1-5, units 1-6, sequence 1-12, batch 1-4; both losses, both cells."""
    rng = random.Random(seed)
    return [
        (
            ("gru", "rnn")[i % 2],
            rng.randint(1, 5),
            rng.randint(1, 6),
            rng.randint(1, 12),
            rng.randint(1, 4),
            ("many-to-many", "many-to-one")[(i // 2) % 2],
            i,
        )
        for i in range(count)
    ]


def relative_error(ours, theirs) -> float:
    theirs = np.asarray(theirs)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-12))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("family", "n", "units", "steps", "batch", "loss", "seed"), sweep())
def test_outputs_and_every_gradient_agree_with_torch_autograd(
    family, n, units, steps, batch, loss, seed, target
):
    torch.manual_seed(seed)
    model, module = pytorch_module(family, n, units, target)
    network = (torch.nn.GRU if family == "gru" else torch.nn.RNN)(n, units, batch_first=True)
    network = network.double()
    X = torch.randn(batch, steps, n, dtype=torch.float64)
    Y = torch.randn(batch, steps, units, dtype=torch.float64)
    h0 = torch.randn(1, batch, units, dtype=torch.float64, requires_grad=True)
    out, _ = network(X, h0)
    scored, target = (out, Y) if loss == "many-to-many" else (out[:, -1], Y[:, -1])
    (0.5 * ((scored - target) ** 2).sum()).backward()

    params = from_torch(model.cell, network.state_dict())
    data = (X.numpy(), target.numpy())
    assert (
        relative_error(module.predict(params, X.numpy(), h0[0].detach().numpy()), out.detach())
        < TOLERANCE
    )
    grads = module.backward(
        params, module.forward(params, *data, h0[0].detach().numpy()), initial_state=True
    )
    for key, value in to_torch(model.cell, grads).items():
        assert relative_error(value, dict(network.named_parameters())[key].grad) < TOLERANCE, key
    assert relative_error(grads["h0"], h0.grad[0]) < TOLERANCE


def test_a_state_dict_loaded_into_the_pytorch_convention_reproduces_nn_gru():
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 5, batch_first=True).double()
    model, module = pytorch_module("gru", 3, 5)
    X = torch.randn(4, 7, 3, dtype=torch.float64)
    expected, last = gru(X)
    states = module.predict(from_torch(model.cell, gru.state_dict()), X.numpy())
    assert relative_error(states, expected.detach()) < TOLERANCE
    assert relative_error(states[:, -1], last[0].detach()) < TOLERANCE


def test_weights_saved_in_torch_layout_load_into_nn_gru():
    model, module = pytorch_module("gru", 2, 3)
    params = module.init_params(seed=4)
    gru = torch.nn.GRU(2, 3, batch_first=True).double()
    gru.load_state_dict({k: torch.tensor(v) for k, v in to_torch(model.cell, params).items()})
    X = np.random.default_rng(0).normal(size=(2, 5, 2))
    expected, _ = gru(torch.tensor(X))
    assert relative_error(module.predict(params, X), expected.detach()) < TOLERANCE


def test_a_recurrent_spec_file_declares_nn_gru(tmp_path):
    from symbackprop.api import load_model

    spec = tmp_path / "my_gru.toml"
    spec.write_text('[recurrent]\ncell = "gru"\nconvention = "pytorch"\ninput = 3\nunits = 4\n')
    model = load_model(str(spec))
    assert model.name == "my_gru" and model.source == str(spec)
    module = load_module(model)
    torch.manual_seed(2)
    gru = torch.nn.GRU(3, 4, batch_first=True).double()
    X = torch.randn(2, 6, 3, dtype=torch.float64)
    expected, _ = gru(X)
    states = module.predict(from_torch(model.cell, gru.state_dict()), X.numpy())
    assert relative_error(states, expected.detach()) < TOLERANCE


def test_a_swapped_gru_spec_is_nn_gru_with_its_update_gate_negated(tmp_path):
    """sigmoid(-a) = 1 - sigmoid(a): the swapped blend on weights whose update gate is
    negated is nn.GRU itself, states and gradients (the update gate's with their sign)."""
    from symbackprop.api import load_model
    from symbackprop.cells.conventions import UPDATE

    spec = tmp_path / "swapped.toml"
    spec.write_text(
        '[recurrent]\ncell = "gru"\nconvention = "pytorch"\ninput = 2\nunits = 3\nswapped = true\n'
    )
    model = load_model(str(spec))
    assert model.cell.swapped
    module = load_module(model)
    torch.manual_seed(5)
    gru = torch.nn.GRU(2, 3, batch_first=True).double()
    X = torch.randn(4, 6, 2, dtype=torch.float64)
    Y = torch.randn(4, 6, 3, dtype=torch.float64)
    out, _ = gru(X)
    (0.5 * ((out - Y) ** 2).sum()).backward()
    update = {w.name for w in model.cell.weights if w.role == UPDATE}
    sign = {name: -1.0 if name in update else 1.0 for name in (w.name for w in model.cell.weights)}
    params = {k: sign[k] * v for k, v in from_torch(model.cell, gru.state_dict()).items()}
    assert relative_error(module.predict(params, X.numpy()), out.detach()) < TOLERANCE
    grads = module.backward(params, module.forward(params, X.numpy(), Y.numpy()))
    expected = from_torch(model.cell, {k: p.grad for k, p in gru.named_parameters()})
    for name, value in grads.items():
        assert relative_error(sign[name] * value, expected[name]) < TOLERANCE, name
