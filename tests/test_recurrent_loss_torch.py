"""A [recurrent] spec's ``loss`` and ``last`` keys: the generated module's loss (NumPy and JAX),
every parameter's gradient and the initial states' gradients agree with torch autograd (float64,
CPU, to 1e-10) on nn.GRU, nn.LSTM and nn.RNN scored the same way: ``half_sse`` is
0.5 * ((out - Y) ** 2).sum(), ``mse`` is torch.nn.MSELoss() (the mean over every element), over
every step's output, or with ``last = true`` over the last step's only (many-to-one)."""

import numpy as np
import pytest
from targets import TARGETS, target_module

from symbackprop.api import load_model
from symbackprop.cells.layouts import from_torch, to_torch
from symbackprop.cli import main
from symbackprop.codegen.loader import load_module

torch = pytest.importorskip("torch")
TOLERANCE = 1e-10
NETWORKS = {"gru": "GRU", "lstm": "LSTM", "rnn": "RNN"}
# (cell, batch, time, input, units): all four sizes distinct in every row
CASES = [("gru", 3, 5, 2, 4), ("lstm", 2, 6, 3, 5), ("rnn", 4, 3, 5, 2)]


def spec_text(cell: str, units: int, n: int, loss: str, last: bool) -> str:
    return (
        f'[recurrent]\ncell = "{cell}"\nconvention = "pytorch"\ninput = {n}\nunits = {units}\n'
        f'loss = "{loss}"\nlast = {str(last).lower()}\n'
    )


def relative_error(ours, theirs) -> float:
    theirs = np.asarray(theirs)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-12))


def torch_loss(loss: str, scored, target):
    if loss == "mse":
        return torch.nn.MSELoss()(scored, target)  # reduction "mean": over every element
    return 0.5 * ((scored - target) ** 2).sum()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("loss", ["half_sse", "mse"])
@pytest.mark.parametrize(("cell", "batch", "steps", "n", "units"), CASES)
def test_loss_and_every_gradient_agree_with_torch_autograd(
    tmp_path, cell, batch, steps, n, units, loss, last, target
):
    spec = tmp_path / "cell.toml"
    spec.write_text(spec_text(cell, units, n, loss, last))
    model = load_model(str(spec))
    module = target_module(model, target)
    torch.manual_seed(batch * steps + units)
    network = getattr(torch.nn, NETWORKS[cell])(n, units, batch_first=True).double()
    X = torch.randn(batch, steps, n, dtype=torch.float64)
    Y = torch.randn(batch, steps, units, dtype=torch.float64)
    initial = [torch.randn(1, batch, units, dtype=torch.float64, requires_grad=True)]
    if cell == "lstm":
        initial.append(torch.randn(1, batch, units, dtype=torch.float64, requires_grad=True))
    out, _ = network(X, tuple(initial) if cell == "lstm" else initial[0])
    scored, target = (out[:, -1], Y[:, -1]) if last else (out, Y)
    expected = torch_loss(loss, scored, target)
    expected.backward()

    params = from_torch(model.cell, network.state_dict())
    states = [s[0].detach().numpy() for s in initial]
    # many-to-one reads Y as (batch, units), or the last step of (batch, time, units)
    targets = [target.numpy(), Y.numpy()] if last else [Y.numpy()]
    for y in targets:
        assert abs(module.loss(params, X.numpy(), y, *states) - expected.item()) < TOLERANCE * max(
            1.0, abs(expected.item())
        )
        cache = module.forward(params, X.numpy(), y, *states)
        grads = module.backward(params, cache, initial_state=True)
        torch_grads = {name: p.grad for name, p in network.named_parameters()}
        for key, value in to_torch(model.cell, grads).items():
            assert relative_error(value, torch_grads[key]) < TOLERANCE, key
        for name, state in zip(("h0", "c0"), initial, strict=False):
            assert relative_error(grads[name], state.grad[0]) < TOLERANCE, name


@pytest.mark.parametrize(("loss", "last"), [("mse", False), ("mse", True), ("half_sse", True)])
def test_verify_passes_for_every_scoring(folder, capsys, loss, last):
    (folder / "cell.toml").write_text(spec_text("lstm", 3, 2, loss, last))
    assert main(["verify", "cell.toml"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")


def test_the_default_scoring_is_half_sse_over_every_step(tmp_path):
    spec = tmp_path / "cell.toml"
    spec.write_text('[recurrent]\ncell = "rnn"\nconvention = "pytorch"\ninput = 1\nunits = 2\n')
    module = load_module(load_model(str(spec)))
    params = module.init_params(1)
    X = np.array([[[1.0], [-2.0]]])
    Y = np.array([[[0.5, 0.0], [0.0, -0.5]]])
    h = module.predict(params, X)
    assert module.loss(params, X, Y) == pytest.approx(0.5 * np.sum((h - Y) ** 2), abs=1e-14)
