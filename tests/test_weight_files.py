"""`symbackprop convert`: a recurrent cell's weights from the files torch, Keras 3 and d2l's
code save, into the generated module, and back; the framework itself is the oracle (the same
weights must give the same outputs)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from one_line import refused

from symbackprop.api import load_model
from symbackprop.cli import main
from symbackprop.codegen.loader import load_module

torch = pytest.importorskip("torch")

GRU_KERAS_SPEC = """[recurrent]
cell = "gru"
convention = "keras"
input = 2
units = 3
"""
GRU_D2L_SPEC = GRU_KERAS_SPEC.replace('"keras"', '"d2l"')


def convert(*argv) -> None:
    assert main(["convert", *map(str, argv)]) == 0


def module_params(path) -> dict:
    with np.load(path) as saved:
        return {key: saved[key] for key in saved.files}


class WithHead(torch.nn.Module):
    """A whole model, as people save it: the LSTM is one layer among others."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, 3, batch_first=True)
        self.head = torch.nn.Linear(3, 1)


def test_an_lstm_inside_a_torch_model_is_read_by_its_layer_name(tmp_path):
    torch.manual_seed(0)
    network = WithHead().double()
    torch.save(network.state_dict(), tmp_path / "model.pt")
    convert("lstm", tmp_path / "model.pt", "--layer", "lstm", "-o", tmp_path / "p.npz")
    convert("lstm", tmp_path / "model.pt", "-o", tmp_path / "q.npz")  # the only one: found
    X = np.random.default_rng(1).normal(size=(4, 5, 2))
    expected = network.lstm(torch.tensor(X))[0].detach().numpy()
    module = load_module(load_model("lstm"))
    for name in ("p.npz", "q.npz"):
        assert np.allclose(module.predict(module_params(tmp_path / name), X), expected, atol=1e-12)


def test_module_arrays_written_as_a_state_dict_load_into_nn_rnn(tmp_path):
    module = load_module(load_model("rnn"))
    params = module.init_params(3)
    np.savez(tmp_path / "p.npz", **params)
    convert("rnn", tmp_path / "p.npz", "-o", tmp_path / "rnn.pt")
    network = torch.nn.RNN(2, 3, batch_first=True).double()
    network.load_state_dict(torch.load(tmp_path / "rnn.pt", weights_only=True))
    X = np.random.default_rng(2).normal(size=(3, 4, 2))
    expected = network(torch.tensor(X))[0].detach().numpy()
    assert np.allclose(module.predict(params, X), expected, atol=1e-12)


def test_d2l_params_saved_in_their_order_run_as_d2l_writes_its_gru(tmp_path):
    spec = tmp_path / "gru.toml"
    spec.write_text(GRU_D2L_SPEC)
    rng = np.random.default_rng(3)
    shapes = [(2, 3), (3, 3), (3,)] * 3 + [(3, 1), (1,)]  # W_xz, W_hz, b_z, ... then W_hq, b_q
    params = [rng.normal(size=shape) for shape in shapes]
    np.savez(tmp_path / "d2l.npz", *params)
    convert(spec, tmp_path / "d2l.npz", "-o", tmp_path / "p.npz")
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h = params[:9]
    X = rng.normal(size=(4, 5, 2))
    H, outputs = np.zeros((4, 3)), []
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731 - d2l's gru(), step by step
    for x in np.swapaxes(X, 0, 1):
        Z = sigmoid(x @ W_xz + H @ W_hz + b_z)
        R = sigmoid(x @ W_xr + H @ W_hr + b_r)
        H_tilde = np.tanh(x @ W_xh + (R * H) @ W_hh + b_h)
        H = Z * H + (1 - Z) * H_tilde
        outputs.append(H)
    module = load_module(load_model(str(spec)))
    got = module.predict(module_params(tmp_path / "p.npz"), X)
    assert np.allclose(got, np.swapaxes(np.array(outputs), 0, 1), atol=1e-12)


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("jax")
    pytest.importorskip("h5py")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_a_keras_gru_saved_by_keras_is_read(tmp_path, keras, suffix):
    spec = tmp_path / "gru.toml"
    spec.write_text(GRU_KERAS_SPEC)
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.GRU(3, return_sequences=True)])
    model.layers[0].set_weights([w + 0.1 for w in model.layers[0].get_weights()])  # biases too
    saved = tmp_path / f"model{suffix}"
    model.save_weights(saved) if suffix == ".weights.h5" else model.save(saved)
    convert(spec, saved, "-o", tmp_path / "p.npz")
    X = np.random.default_rng(5).normal(size=(4, 5, 2)).astype("float32")
    expected = np.asarray(model(X), dtype=float)
    module = load_module(load_model(str(spec)))
    got = module.predict(module_params(tmp_path / "p.npz"), X.astype(float))
    assert np.allclose(got, expected, atol=1e-5)  # Keras computes in float32


def test_module_arrays_written_as_keras_weights_load_into_keras(tmp_path, keras):
    spec = tmp_path / "gru.toml"
    spec.write_text(GRU_KERAS_SPEC)
    module = load_module(load_model(str(spec)))
    params = module.init_params(6)
    np.savez(tmp_path / "p.npz", **params)
    convert(spec, tmp_path / "p.npz", "--layer", "gru", "-o", tmp_path / "gru.weights.h5")
    layer = keras.layers.GRU(3, return_sequences=True, name="gru")
    model = keras.Sequential([keras.Input((5, 2)), layer])
    model.load_weights(tmp_path / "gru.weights.h5")
    X = np.random.default_rng(7).normal(size=(4, 5, 2))
    expected = np.asarray(model(X.astype("float32")), dtype=float)
    assert np.allclose(module.predict(params, X), expected, atol=1e-5)


def test_bad_weight_files_are_one_line_and_write_nothing(tmp_path, capsys):
    (tmp_path / "w.txt").write_text("not weights")
    out = str(tmp_path / "p.npz")
    txt, missing = str(tmp_path / "w.txt"), str(tmp_path / "missing.pt")
    refused(capsys, ["convert", "lstm", txt, "-o", out], txt, "cannot read weights")
    refused(capsys, ["convert", "lstm", missing, "-o", out], missing, "no such file")
    refused(capsys, ["convert", "xor", txt, "-o", out], "xor is not a recurrent cell")
    two = torch.nn.ModuleDict({"a": torch.nn.LSTM(2, 3), "b": torch.nn.LSTM(2, 3)})
    torch.save(two.state_dict(), tmp_path / "two.pt")
    two_path = str(tmp_path / "two.pt")
    refused(capsys, ["convert", "lstm", two_path, "-o", out], two_path, "layers with", "a, b")
    assert not (tmp_path / "p.npz").exists()
