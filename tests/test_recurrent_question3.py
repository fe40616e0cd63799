"""Question 3: the Keras GRU's 0.20482421 and 0.34675306, and the asker's 0.55."""

import numpy as np
import pytest
from test_recurrent_reference import keras_gru

from symbackprop.cells.evaluate import run_sequence
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.layouts import from_keras
from symbackprop.check.blend import SWAPPED, diagnose_blend
from symbackprop.codegen.loader import load_module
from symbackprop.questions.gru import gru_walkthrough
from symbackprop.readers.examples import gru_keras

KERAS_X = np.ones((1, 2, 1))  # the asker's x
KERAS_PRINTS = np.array([[[0.20482421], [0.34675306]]])  # the asker's model.predict(x)
ONES, ZERO = np.ones((1, 1)), np.zeros((1, 1))


def known_weights():
    return gru_keras().known_input.weights


def ones_and_zero_biases(model):
    """The asker's initializers: kernels of ones, zero biases."""
    return {
        w.name: np.zeros(w.shape) if "bias" in w.kind else np.ones(w.shape)
        for w in model.cell.weights
    }


def test_gru_keras_module_gives_the_keras_output_in_float32():
    module = load_module(gru_keras())
    params = {k: v.astype(np.float32) for k, v in known_weights().items()}
    states = module.predict(params, KERAS_X.astype(np.float32))
    assert states.dtype == np.float32
    np.testing.assert_allclose(states, KERAS_PRINTS, rtol=0, atol=1e-7)


def test_the_declared_equations_give_the_keras_output():
    states = run_sequence(gru_keras(), known_weights(), KERAS_X)
    np.testing.assert_allclose(states, KERAS_PRINTS, rtol=0, atol=1e-7)


def test_known_weights_read_from_keras_layout_match_keras_own_step():
    kernel, recurrent, bias = np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3))
    reference = keras_gru(KERAS_X, kernel, recurrent, bias, reset_after=True)
    np.testing.assert_allclose(reference, KERAS_PRINTS, rtol=0, atol=1e-7)
    cell = gru_keras().cell
    loaded = from_keras(cell, kernel, recurrent, bias)
    assert all(np.array_equal(loaded[k], v) for k, v in known_weights().items())
    assert np.array_equal(gru_keras().known_input.x, KERAS_X)


def test_the_answers_d2l_formula_gives_the_same_numbers_for_this_layer():
    model = gru_cell("d2l", 1, 1)
    params = ones_and_zero_biases(model)
    np.testing.assert_allclose(run_sequence(model, params, KERAS_X), KERAS_PRINTS, atol=1e-7)


def test_the_askers_055_is_diagnosed_as_the_swapped_blend():
    finding = diagnose_blend("keras", ONES, ZERO, 0.55, known_weights())
    assert finding.kind == SWAPPED
    message = finding.message
    assert message.startswith("the claimed h = 0.55 matches the blend with z and 1 - z swapped")
    assert "h = z*h_tilde + (1 - z)*h_prev = 0.7311*0.7616 + (1 - 0.7311)*0 = 0.5568" in message
    assert "h = z*h_prev + (1 - z)*h_tilde" in message and "= 0.2048" in message


@pytest.mark.parametrize(
    ("h_prev", "keras_value"), [(ZERO, 0.20482421), (np.full((1, 1), 0.20482421), 0.34675306)]
)
def test_kerass_own_values_need_no_diagnosis(h_prev, keras_value):
    assert diagnose_blend("keras", ONES, h_prev, keras_value, known_weights()) is None


def test_a_value_no_reading_gives_is_said_to_match_none():
    finding = diagnose_blend("keras", ONES, ZERO, 0.3, known_weights())
    assert finding.matched is None and finding.kind != SWAPPED
    message = finding.message
    assert "matches no reading of the GRU" in message
    assert "0.5568" in message and "0.2048" in message


def test_pytorch_users_get_the_same_diagnosis():
    model = gru_cell("pytorch", 1, 1)
    params = ones_and_zero_biases(model)
    finding = diagnose_blend("pytorch", ONES, ZERO, 0.55, params)
    assert finding.kind == SWAPPED and "h = z*n + (1 - z)*h_prev" in finding.message


def test_walkthrough_explains_both_outputs_and_the_055_step_by_step():
    keras, first, swapped, second = gru_walkthrough()
    assert "The update gate $z$ multiplies the previous state" in keras
    assert r"$\tilde{h} = \tanh(1) = 0.7616$" in first and "= 0.2048$" in first
    assert "0.20482421" in first
    assert "= 0.5568$" in swapped and "0.55" in swapped and "0.73 \\cdot 0.76 = 0.5548" in swapped
    assert "= 0.3468$" in second and "0.34675306" in second
