"""check --state: a hand-computed GRU state is judged, and the asker's 0.55 is recognised as the
blend with the gates swapped (numbers from question 3)."""

import pytest

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
