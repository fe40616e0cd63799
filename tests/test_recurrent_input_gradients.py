"""backward(..., inputs=True) gives the gradient for every step's input, in X's own
(batch, time, input) layout, as torch's autograd gives X.grad (float64, CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop.cells.gru import gru_cell
from symbackprop.cells.layouts import from_torch
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.loader import load_module

torch = pytest.importorskip("torch")

CELLS = {
    "gru": (gru_cell, torch.nn.GRU),
    "rnn": (rnn_cell, torch.nn.RNN),
    "lstm": (lstm_cell, torch.nn.LSTM),
}


@pytest.mark.parametrize("last", [False, True], ids=["many-to-many", "many-to-one"])
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_the_gradient_for_every_input_step_is_torchs(kind, last):
    build, layer = CELLS[kind]
    batch, steps, n, units = 3, 5, 2, 4  # all distinct
    torch.manual_seed(7)
    network = layer(n, units, batch_first=True).double()
    X = torch.randn(batch, steps, n, dtype=torch.float64, requires_grad=True)
    Y = torch.randn(batch, steps, units, dtype=torch.float64)
    out, _ = network(X)
    scored, target = (out[:, -1], Y[:, -1]) if last else (out, Y)
    (0.5 * ((scored - target) ** 2).sum()).backward()

    model = build("pytorch", n, units)
    module = load_module(model)
    params = from_torch(model.cell, network.state_dict())
    cache = module.forward(params, X.detach().numpy(), target.numpy())
    grads = module.backward(params, cache, inputs=True)
    expected = X.grad.numpy()
    assert grads["X"].shape == expected.shape
    assert np.max(np.abs(grads["X"] - expected)) < 1e-10 * max(np.max(np.abs(expected)), 1)
    assert "X" not in module.backward(params, cache)  # only when asked for
