"""Generated recurrent modules: golden files, numpy only, lint-clean, readable, trainable."""

import ast
import shutil
from pathlib import Path

import numpy as np
import pytest
from lint import ruff_complaints

from symbackprop.cells.conventions import CONVENTIONS, LSTM_CONVENTIONS
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.recurrent_generate import generate_all_recurrent, module_text
from symbackprop.codegen.verify import verify
from symbackprop.readers.examples import RECURRENT_EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
MODELS = [gru_cell(key, 2, 3) for key in CONVENTIONS] + [rnn_cell("keras", 2, 3)]
MODELS += [lstm_cell(key, 2, 3) for key in LSTM_CONVENTIONS]


def test_generated_folder_holds_the_current_recurrent_modules():
    assert generate_all_recurrent(ROOT / "generated", check=True) == []


def test_generate_all_writes_the_stale_files_and_then_finds_none(tmp_path):
    written = generate_all_recurrent(tmp_path)
    assert sorted(p.name for p in written) == [
        "gru_keras.py",
        "lstm.py",
        "lstm_keras.py",
        "rnn.py",
    ]
    (tmp_path / "rnn.py").write_text("# edited by hand\n")
    assert generate_all_recurrent(tmp_path, check=True) == [tmp_path / "rnn.py"]
    generate_all_recurrent(tmp_path)
    assert generate_all_recurrent(tmp_path, check=True) == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_regeneration_is_byte_identical(model):
    assert module_text(model) == module_text(model)


@pytest.mark.parametrize("name", RECURRENT_EXAMPLES)
def test_generated_module_imports_numpy_only(name):
    tree = ast.parse((ROOT / "generated" / f"{name.replace('-', '_')}.py").read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imported == ["numpy"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_every_conventions_module_is_lint_clean_and_formatted(tmp_path):
    for model in MODELS:
        (tmp_path / f"{model.name.replace('-', '_')}.py").write_text(module_text(model))
    for name in RECURRENT_EXAMPLES:
        shutil.copy(ROOT / "generated" / f"{name.replace('-', '_')}.py", tmp_path)
    assert ruff_complaints(tmp_path) == []


def test_header_names_the_source_the_derived_formulas_the_recursion_and_the_command():
    header = ast.get_docstring(ast.parse((ROOT / "generated" / "gru_keras.py").read_text()))
    prose = " ".join(header.split())
    assert "Regenerate with: symbackprop generate --all" in header
    assert (
        "the update gate z multiplies h_prev in the blend h = z*h_prev + (1 - z)*h_tilde" in prose
    )
    assert "    delta_z_pre = delta_z*(z*(1 - z))" in header
    assert "    dE/dU_h = h_prev.T @ delta_h_tilde_rec" in header
    assert "dh_t = (h - y)_t + d_h_prev_(t+1)" in header


def test_input_terms_are_computed_once_for_all_steps_outside_the_loop():
    text = module_text(gru_cell("pytorch", 2, 3))
    forward = text.split("def forward(")[1].split("for t in range(steps):")
    assert "z_pre_from_x = b_hz + b_iz + xs @ W_z" in forward[0]
    assert "z_pre = z_pre_from_x[t] + h_prev @ U_z" in forward[1]


def test_init_params_is_seeded_and_follows_each_frameworks_scheme():
    keras, torch_like = load_module(MODELS[0]), load_module(MODELS[2])
    first, again = keras.init_params(3), keras.init_params(3)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert np.allclose(first["U_z"] @ first["U_z"].T, np.eye(3))  # orthogonal, as Keras's
    assert np.array_equal(first["b_iz"], np.zeros(3))
    uniform = torch_like.init_params(3)
    assert all(np.max(np.abs(v)) <= 1 / np.sqrt(3) for v in uniform.values())
    with pytest.raises(ValueError, match="unknown initialisation scheme"):
        keras.init_params(0, "he")


def test_clipping_scales_the_gradients_to_the_global_norm():
    module = load_module(MODELS[0])
    grads = {"a": np.array([3.0]), "b": np.array([4.0])}
    clipped = module.clip_by_global_norm(grads, 1.0)
    assert np.allclose([clipped["a"][0], clipped["b"][0]], [0.6, 0.8])
    assert module.clip_by_global_norm(grads, 10.0) is grads
    assert module.clip_by_global_norm(grads, None) is grads


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_training_by_bptt_lowers_the_loss(optimizer):
    module = load_module(MODELS[0])
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 6, 2))
    Y = np.tanh(np.cumsum(X, axis=1)[:, -1, :1] * [1, -1, 0.5])  # many-to-one: a running sum
    start = module.init_params(0)
    params, losses = module.train(start, X, Y, epochs=150, lr=0.05, optimizer=optimizer)
    assert losses[-1] < 0.3 * losses[0]
    assert set(params) == set(module.PARAMETER_SHAPES)


@pytest.mark.parametrize("name", RECURRENT_EXAMPLES)
def test_verify_proves_each_builtins_gradients(name):
    report = verify(RECURRENT_EXAMPLES[name].build())
    assert report.ok and set(report.errors) == set(
        load_module(RECURRENT_EXAMPLES[name].build()).PARAMETER_SHAPES
    )
    assert report.taylor_slope == pytest.approx(2, abs=0.1)


def test_verify_catches_a_wrong_tanh_derivative_with_a_taylor_slope_of_one():
    model = RECURRENT_EXAMPLES["rnn"].build()
    right = "delta_h_pre = delta_h * (1 - h**2)\n"
    wrong = module_text(model).replace(right, "delta_h_pre = delta_h * (1 - h)\n")
    assert right not in wrong
    report = verify(model, text=wrong)
    assert not report.ok and report.taylor_slope == pytest.approx(1, abs=0.2)


def test_verify_catches_a_wrong_gate_derivative():
    model = RECURRENT_EXAMPLES["gru-keras"].build()
    right = "delta_z_pre = delta_z * (z * (1 - z))\n"
    wrong = module_text(model).replace(right, "delta_z_pre = delta_z * z\n")
    assert right not in wrong
    report = verify(model, text=wrong)
    assert not report.ok and min(report.errors[n] for n in ("W_z", "U_z", "b_iz")) > 1e-2


def test_an_lstm_module_carries_both_states_and_names_both_in_its_header():
    text = (ROOT / "generated" / "lstm.py").read_text()
    header = " ".join(ast.get_docstring(ast.parse(text)).split())
    assert "c = f*c_prev + i*g, h = o*tanh(c)" in header
    assert "dh_t = (h - y)_t + d_h_prev_(t+1) dc_t = d_c_prev_(t+1)" in header
    assert "dE/dc_0 = d_c_prev_1" in header
    assert "def forward(params: dict, X, Y=None, h0=None, c0=None) -> dict:" in text
    assert "        dc = d_c_prev\n" in text and "        c_prev = c\n" in text


def test_verify_catches_an_lstm_that_drops_the_gradient_carried_through_c():
    model = RECURRENT_EXAMPLES["lstm"].build()
    right = "delta_c = dc + delta_tanh_c * (1 - tanh_c**2)\n"
    wrong = module_text(model).replace(right, "delta_c = delta_tanh_c * (1 - tanh_c**2)\n")
    assert right not in wrong
    report = verify(model, text=wrong)
    assert not report.ok and report.taylor_slope == pytest.approx(1, abs=0.2)


def test_an_lstm_trains_by_bptt():
    module = load_module(MODELS[-1])
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 6, 2))
    Y = np.tanh(np.cumsum(X, axis=1)[:, -1, :1] * [1, -1, 0.5])  # many-to-one: a running sum
    params, losses = module.train(module.init_params(0), X, Y, epochs=150, lr=0.05)
    assert losses[-1] < 0.3 * losses[0]


def test_the_keras_lstm_starts_with_its_forget_gate_open_as_keras_does():
    """keras.layers.LSTM(unit_forget_bias=True), the default: the forget bias starts at 1."""
    params = load_module(RECURRENT_EXAMPLES["lstm-keras"].build()).init_params(0)
    assert np.array_equal(params["b_f"], np.ones(1))
    assert all(np.array_equal(params[b], np.zeros(1)) for b in ("b_i", "b_c", "b_o"))
    torch_like = load_module(RECURRENT_EXAMPLES["lstm"].build()).init_params(0)
    assert np.max(np.abs(torch_like["b_if"])) <= 1 / np.sqrt(3)  # PyTorch opens no gate
