"""check --state: a hand-computed GRU state is judged, and the asker's 0.55 is recognised as the
blend with the gates swapped (numbers from question 3); an LSTM's state is judged alike."""

import math

import pytest

from symbackprop.cells.evaluate import run_sequence
from symbackprop.check.blend import SWAPPED
from symbackprop.check.states import check_state
from symbackprop.cli import main
from symbackprop.errors import SpecError
from symbackprop.readers.examples import builtin


def test_the_askers_055_is_the_swapped_blend(capsys):
    assert main(["check", "gru-keras", "--state", "0.55"]) == 1
    out = capsys.readouterr().out
    assert f"diagnosis: {SWAPPED}" in out
    assert "correct: h_1 = 0.2048242" in out  # Keras prints 0.20482421


def test_keras_own_first_output_is_correct():
    (verdict,) = check_state(builtin("gru-keras"), 0.20482421).verdicts
    assert verdict.correct


def test_a_number_no_gru_gives_is_wrong_without_the_swap_diagnosis():
    (verdict,) = check_state(builtin("gru-keras"), 0.3).verdicts
    assert not verdict.correct and verdict.diagnosis.kind != SWAPPED


def test_state_claims_need_a_recurrent_example():
    with pytest.raises(SpecError, match="recurrent"):
        check_state(builtin("xor"), 0.5)


def test_state_claims_need_a_model_with_a_known_input():
    with pytest.raises(SpecError, match="no known input"):
        check_state(builtin("rnn"), 0.5)


def lstm_keras_first_state() -> float:
    """keras.layers.LSTM(1) with kernels of ones, zero biases but the forget gate's 1
    (unit_forget_bias), on x = 1 from h_0 = c_0 = 0, by hand: every gate's pre-activation is
    x = 1 (the forget gate's 1 + 1 = 2, unused since c_0 = 0), so c_1 = sigmoid(1) * tanh(1)
    and h_1 = sigmoid(1) * tanh(c_1)."""
    sigmoid = 1 / (1 + math.exp(-1))
    return sigmoid * math.tanh(sigmoid * math.tanh(1))


def test_an_lstms_hand_computed_state_is_judged_on_its_known_input(capsys):
    (verdict,) = check_state(builtin("lstm-keras"), round(lstm_keras_first_state(), 4)).verdicts
    assert verdict.correct and verdict.name == "h_1"
    assert main(["check", "lstm-keras", "--state", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"correct: h_1 = {lstm_keras_first_state():.8f}" in out
    assert "is not what Keras LSTM computes" in out


def test_the_known_lstm_runs_with_kerass_forget_bias_of_one():
    """The second step by hand: every pre-activation is 1 + h_1, the forget gate's 2 + h_1."""
    states = run_sequence(builtin("lstm-keras"), *_known("lstm-keras")).ravel()
    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    h1 = lstm_keras_first_state()
    c1 = s(1) * math.tanh(1)
    a = 1 + h1
    c2 = s(a + 1) * c1 + s(a) * math.tanh(a)
    assert states == pytest.approx([h1, s(a) * math.tanh(c2)], abs=1e-12)


def _known(name):
    known = builtin(name).known_input
    return known.weights, known.x
