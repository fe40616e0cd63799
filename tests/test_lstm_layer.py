"""An LSTM as a [[layer]] of a spec, over sequences of numbers (m, T, n) or after an embedding
of index sequences, through every verb: the generated NumPy and JAX modules' losses and
gradients against torch's nn.LSTM (batch first, zero initial states) followed by the same
layers in float64; finite differences; the derivation's adjoints joined by gate and by step;
the explanation; the spec's errors; and training on index columns."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from lint import module_complaints
from one_line import refused
from targets import TARGETS, initial_params, target_module

from symbackprop import api
from symbackprop.cli import main
from symbackprop.explain.api import explain
from symbackprop.explain.katex import katex_errors, node
from symbackprop.readers.spec import read_spec_text

NUMBERS = """\
[network]
name = "sequence-net"
input = [4, 3]
loss = "softmax_ce"

[[layer]]
type = "lstm"
units = 5

[[layer]]
type = "dense"
units = 3
activation = "softmax"
"""
WORDS = """\
[network]
name = "word-lstm"
input = [6]
loss = "mse"

[[layer]]
type = "embedding"
vocab = 7
size = 3

[[layer]]
type = "lstm"
units = 4

[[layer]]
type = "dense"
units = 2
activation = "tanh"
"""
ONE_STEP = """\
[network]
name = "one-step"
input = [1, 2]
loss = "mse"

[[layer]]
type = "lstm"
units = 3

[[layer]]
type = "dense"
units = 1
"""
STACKED = """\
[network]
name = "stacked-lstm"
input = [3, 2]
loss = "mse"

[[layer]]
type = "lstm"
units = 4
sequences = true

[[layer]]
type = "lstm"
units = 3
sequences = true

[[layer]]
type = "flatten"

[[layer]]
type = "dense"
units = 2
"""
SPECS = {
    "sequence-net": NUMBERS,
    "word-lstm": WORDS,
    "one-step": ONE_STEP,
    "stacked-lstm": STACKED,
}
M = 5
RNG = np.random.default_rng(11)
DATA = {
    "sequence-net": {
        "X": RNG.normal(size=(M, 4, 3)),
        "Y": np.eye(3)[RNG.integers(0, 3, size=M)],
    },
    "word-lstm": {"X": RNG.integers(0, 7, size=(M, 6)), "Y": RNG.normal(size=(M, 2))},
    "one-step": {"X": RNG.normal(size=(M, 1, 2)), "Y": RNG.normal(size=(M, 1))},
    "stacked-lstm": {"X": RNG.normal(size=(M, 3, 2)), "Y": RNG.normal(size=(M, 2))},
}


def torch_lstm(torch, params: dict, number: int):
    """nn.LSTM with Wx = weight_ih.T, Wh = weight_hh.T, the bias as bias_ih (bias_hh zero)."""
    Wx, Wh, b = (params[f"{key}{number}"] for key in ("Wx", "Wh", "b"))
    lstm = torch.nn.LSTM(Wx.shape[0], Wh.shape[0], batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(Wx.T))
        lstm.weight_hh_l0.copy_(torch.tensor(Wh.T))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
    return lstm


def lstm_gradients(lstm, number: int) -> dict:
    return {
        f"Wx{number}": lstm.weight_ih_l0.grad.numpy().T,
        f"Wh{number}": lstm.weight_hh_l0.grad.numpy().T,
        f"b{number}": lstm.bias_ih_l0.grad.numpy(),
    }


def torch_network(name: str, params: dict) -> tuple[float, dict]:
    """The spec's network in PyTorch, nn.LSTM for each LSTM layer; its loss and every
    parameter's gradient."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    data = DATA[name]
    numbers = [1, 2] if name == "stacked-lstm" else [2] if name == "word-lstm" else [1]
    lstms = {number: torch_lstm(torch, params, number) for number in numbers}
    last = numbers[-1] + 1
    dense = {key: torch.tensor(params[f"{key}{last}"], requires_grad=True) for key in "Wb"}
    if name == "word-lstm":
        table = torch.tensor(params["We1"], requires_grad=True)
        sequences = table[torch.tensor(data["X"])]
    else:
        sequences = torch.tensor(data["X"])
    for lstm in lstms.values():
        sequences, _ = lstm(sequences)
    if name == "stacked-lstm":
        z = sequences.flatten(1) @ dense["W"] + dense["b"]
    else:
        z = sequences[:, -1] @ dense["W"] + dense["b"]
    if name == "sequence-net":
        loss = F.cross_entropy(z, torch.tensor(data["Y"].argmax(axis=1)))
    elif name == "word-lstm":
        loss = F.mse_loss(torch.tanh(z), torch.tensor(data["Y"]))
    else:
        loss = F.mse_loss(z, torch.tensor(data["Y"]))
    loss.backward()
    grads = {f"{key}{last}": value.grad.numpy() for key, value in dense.items()}
    for number, lstm in lstms.items():
        grads.update(lstm_gradients(lstm, number))
    if name == "word-lstm":
        grads["We1"] = table.grad.numpy()
    return loss.item(), grads


@pytest.fixture(scope="module", params=list(SPECS))
def name(request):
    return request.param


@pytest.fixture(scope="module")
def model(name):
    return read_spec_text(SPECS[name], f"{name}.toml")


def test_the_layer_has_three_arrays_and_names_every_step(model, name):
    if name == "sequence-net":
        assert [p.name for p in model.parameters] == ["Wx1", "Wh1", "b1", "W2", "b2"]
        assert [model.shapes[k] for k in ("Wx1", "Wh1", "b1")] == [(3, 20), (5, 20), (20,)]
        defined = {node.name for node in model.defined}
        assert {"z1_1", "i1_1", "g1_1", "o1_1", "c1_1", "h1_1", "f1_2", "h1_4"} <= defined
        assert "f1_1" not in defined  # the cell starts at zero: nothing to forget at step 1
        assert model.shapes["h1_4"] == ("m", 5)


@pytest.mark.parametrize("target", TARGETS)
def test_the_modules_compute_torchs_loss_and_gradients(model, name, target):
    module = target_module(model, target)
    params = initial_params(module, 4, "glorot")
    params = {key: value + 0.1 * RNG.normal(size=value.shape) for key, value in params.items()}
    expected_loss, expected = torch_network(name, params)
    data = DATA[name]
    assert float(module.loss(params, **data)) == pytest.approx(expected_loss, rel=1e-10)
    gradients = module.backward(params, module.forward(params, **data))
    assert gradients.keys() == expected.keys()
    stepped = {key: np.array(value) for key, value in params.items()}
    module.train_step(stepped, *data.values(), 0.5, {})
    for key, value in expected.items():
        scale = max(float(np.max(np.abs(value))), 1.0)  # one step: Wh's gradient is zeros
        assert np.shape(gradients[key]) == value.shape, key
        assert float(np.max(np.abs(np.asarray(gradients[key]) - value))) / scale < 1e-10, key
        moved = (params[key] - np.asarray(stepped[key])) / 0.5
        assert np.max(np.abs(moved - value)) / scale < 1e-10, key


def test_derive_joins_the_gates_adjoints_and_stacks_the_steps(model, name):
    derived = api.derive(model).to_text()
    if name != "sequence-net":
        return
    assert "delta_z1_2 = concatenate((delta_i1_2*" in derived
    # step 1 has no forget gate: its block of the adjoint is zeros
    assert "zeros_like(z1_1[:, 5:10])" in derived
    assert "dE/dWh1 = h1_1.T @ delta_z1_2 + h1_2.T @ delta_z1_3 + h1_3.T @ delta_z1_4" in derived
    assert "delta_c1_3 = delta_c1_4*f1_4 + delta_h1_3*(o1_3*(1 - tanh(c1_3)**2))" in derived


def test_the_word_models_input_adjoint_is_its_steps_stacked(name, model):
    if name != "word-lstm":
        return
    text = api.generate(model)
    assert "delta_e1 = np.stack(" in text and "time_step_into" not in text
    assert "e1 = We1[X]" in text and "z2_2 = b2 + h2_1 @ Wh2 + e1[:, 1] @ Wx2" in text
    assert api.generate(model) == text


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("target", TARGETS)
def test_the_generated_modules_are_lint_clean_and_formatted(model, target, tmp_path):
    if target == "jax":
        pytest.importorskip("jax")
    assert module_complaints(api.generate(model, target=target), tmp_path) == []


def test_verify_proves_the_modules_by_finite_differences_and_jax_grad(model):
    report = api.verify(model)
    assert report.ok, report.to_text()
    pytest.importorskip("jax")
    report = api.verify(model, target="jax")
    assert report.ok and report.oracle_error < 1e-10, report.to_text()


def test_verify_calls_a_backward_without_the_cells_memory_path_wrong(model, name):
    """Dropping ``delta_c * f`` (the cell's path back through time) breaks every gradient
    before the last step's, and verify says which."""
    if name != "sequence-net":
        return
    text = api.generate(model)
    wrong = text.replace("delta_c1_2 = delta_c1_3 * f1_3 + ", "delta_c1_2 = ", 1)
    assert wrong != text
    report = api.verify(model, text=wrong)
    assert not report.ok
    assert report.errors["Wx1"] > 1e-3 and report.errors["W2"] < 1e-7


def test_explain_tells_the_step_read_and_renders_in_katex(model, name):
    if name != "word-lstm":
        return
    document = explain(model)
    text = document.to_markdown()
    assert "reads one time step of every sequence of" in text
    assert r"\begin{bmatrix}" in text and r"\mathbf{0}" in text
    if node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    errors = katex_errors(sorted(set(document.formulas())))
    assert errors == [], "\n\n".join(f"{e.message}\n{e.formula}" for e in errors[:5])


# -- what a spec gets wrong: one line, exit code 2 ---------------------------------------------
LSTM = '[[layer]]\ntype = "lstm"\nunits = 2\n\n'
DENSE = '[[layer]]\ntype = "dense"\nunits = 2\n'
BAD_SPECS = [
    ('[network]\ninput = [3, 2]\n\n[[layer]]\ntype = "lstm"\n\n' + DENSE, "needs 'units'"),
    ('[network]\ninput = [3, 2]\n\n[[layer]]\ntype = "lstm"\nunits = 0\n', "units must be"),
    ("[network]\ninput = [4]\n\n" + LSTM + DENSE, "lstm needs sequences (m, T, n)"),
    ("[network]\ninput = [1, 4, 4]\n\n" + LSTM + DENSE, "lstm needs sequences (m, T, n)"),
    ("[network]\ninput = [3, 2, 1, 1]\n\n" + LSTM + DENSE, "[T, n]"),
    ("[network]\ninput = [3, 2]\n\n" + DENSE, "dense needs rows (m, n)"),
    (
        '[network]\ninput = [3, 2]\n\n[[layer]]\ntype = "lstm"\nunits = 2\nsequences = 1\n',
        "sequences must be true or false",
    ),
    (
        "[network]\ninput = [3, 2]\n\n" + LSTM.replace("2\n", "2\nsequences = true\n") + DENSE,
        "dense needs rows (m, n): put a flatten before it",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_a_wrong_lstm_spec_is_one_line_with_exit_code_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    refused(capsys, ["derive", str(path)], f"{path}:", message)


def test_train_learns_which_index_ends_a_sequence(tmp_path, capsys):
    """A word model trained on index columns: the label is whether the last index is below 3,
    which only the LSTM's last steps can tell."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 6, size=(400, 4))
    labels = (X[:, -1] < 3).astype(int)
    columns = [f"t{i}" for i in range(1, 5)]
    rows = [",".join(map(str, [*x, y])) for x, y in zip(X, labels, strict=True)]
    (tmp_path / "words.csv").write_text("\n".join([",".join([*columns, "label"]), *rows]) + "\n")
    spec = WORDS.replace("input = [6]", "input = [4]").replace('loss = "mse"', "")
    spec = spec.replace("vocab = 7", "vocab = 6").replace('"tanh"', '"softmax"')
    (tmp_path / "words.toml").write_text(spec)
    code = main(
        ["train", str(tmp_path / "words.toml"), "--data", str(tmp_path / "words.csv")]
        + ["--target", "label", "--epochs", "30", "--lr", "0.05", "--optimizer", "adam"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    accuracy = float(out.split("train accuracy")[1].split("%")[0].strip(" :="))
    assert accuracy >= 95, out
