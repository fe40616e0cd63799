"""Weights move between the step models and Keras's and PyTorch's packed layouts unchanged."""

import numpy as np
import pytest
from test_recurrent_reference import keras_gru

from symbackprop.cells.gru import gru_cell
from symbackprop.cells.layouts import from_keras, from_torch, to_keras, to_torch
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.loader import load_module
from symbackprop.errors import SpecError

RNG = np.random.default_rng(0)


def random_params(cell):
    return {w.name: RNG.normal(size=w.shape) for w in cell.weights}


KERAS_CELLS = [gru_cell("keras", 3, 4).cell, gru_cell("keras-reset-before", 3, 4).cell]
KERAS_CELLS += [rnn_cell("keras", 3, 4).cell, lstm_cell("keras", 3, 4).cell]
TORCH_CELLS = [gru_cell("pytorch", 3, 4).cell, rnn_cell("pytorch", 3, 4).cell]
TORCH_CELLS += [lstm_cell("pytorch", 3, 4).cell]


@pytest.mark.parametrize("cell", KERAS_CELLS, ids=lambda c: c.convention.framework)
def test_keras_layout_round_trips(cell):
    params = random_params(cell)
    packed = to_keras(cell, params)
    gates = len(cell.convention.gate_order)
    assert packed["kernel"].shape == (3, gates * 4)
    assert packed["recurrent_kernel"].shape == (4, gates * 4)
    assert packed["bias"].shape == ((2, gates * 4) if cell.convention.two_biases else (gates * 4,))
    unpacked = from_keras(cell, packed["kernel"], packed["recurrent_kernel"], packed["bias"])
    assert unpacked.keys() == params.keys()
    assert all(np.array_equal(unpacked[k], params[k]) for k in params)


@pytest.mark.parametrize("cell", TORCH_CELLS, ids=lambda c: c.convention.framework)
def test_torch_layout_round_trips(cell):
    params = random_params(cell)
    state_dict = to_torch(cell, params)
    gates = len(cell.convention.gate_order)
    assert state_dict["weight_ih_l0"].shape == (gates * 4, 3)
    assert state_dict["weight_hh_l0"].shape == (gates * 4, 4)
    unpacked = from_torch(cell, state_dict)
    assert all(np.array_equal(unpacked[k], params[k]) for k in params)
    again = to_torch(cell, unpacked)
    assert all(np.array_equal(again[k], state_dict[k]) for k in state_dict)


@pytest.mark.parametrize("reset_after", [True, False])
def test_keras_weights_give_what_kerass_own_gru_cell_computes(reset_after):
    key = "keras" if reset_after else "keras-reset-before"
    model = gru_cell(key, 3, 4)
    kernel, recurrent = RNG.normal(size=(3, 12)), RNG.normal(size=(4, 12))
    bias = RNG.normal(size=(2, 12) if reset_after else (12,))
    X = RNG.normal(size=(2, 5, 3))
    expected = keras_gru(X, kernel, recurrent, bias, reset_after)
    params = from_keras(model.cell, kernel, recurrent, bias)
    np.testing.assert_allclose(load_module(model).predict(params, X), expected, atol=1e-12)


def test_keras_weights_without_bias_load_as_zero_biases():
    cell = gru_cell("keras", 1, 2).cell
    params = from_keras(cell, np.ones((1, 6)), np.ones((2, 6)))
    assert np.array_equal(params["b_hz"], np.zeros(2)) and np.array_equal(
        params["b_ih"], np.zeros(2)
    )


def test_a_wrongly_shaped_kernel_is_a_clear_error():
    with pytest.raises(SpecError, match=r"kernel has shape \(3, 6\), expected \(3, 12\)"):
        from_keras(gru_cell("keras", 3, 4).cell, np.ones((3, 6)), np.ones((4, 12)))


def test_a_convention_without_a_packed_layout_says_so():
    with pytest.raises(SpecError, match="has no keras weight layout"):
        to_keras(gru_cell("d2l", 1, 1).cell, {})
    with pytest.raises(SpecError, match="has no torch weight layout"):
        from_torch(gru_cell("keras", 1, 1).cell, {})
