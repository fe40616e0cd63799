"""Numbers at the edges of float64: training or verifying that overflows."""

import math
import subprocess
import sys
import warnings

import pytest
import sympy as sp

from symbackprop.codegen.verify import verify
from symbackprop.errors import NumericOverflow
from symbackprop.model.network import dense_network


# -- training that overflows --------------------------------------------------------------------
def run_cli(*argv, cwd=None):
    """The real command, in a fresh interpreter: what a user sees on stdout and stderr."""
    command = [sys.executable, "-m", "symbackprop", *argv]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


def test_a_learning_rate_of_1e308_stops_training_with_one_line_and_exit_2():
    done = run_cli("train", "tiny221", "--data", "sizes", "--lr", "1e308", "--epochs", "5")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("symbackprop: error: training stopped: the loss overflowed at")
    assert "epoch 1;" in lines[0] and "lower --lr (now 1e+308)" in lines[0]
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr


def test_inputs_of_1e308_that_overflow_before_any_step_are_told_to_be_standardised(tmp_path):
    data = tmp_path / "huge.csv"
    data.write_text("x1,x2,y\n1e308,1e308,1\n-1e308,-1e308,0\n1e308,1e308,1\n4,-3,0\n")
    done = run_cli("train", "tiny221", "--data", str(data), "--target", "y", "--epochs", "5")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "symbackprop: error: training stopped: the loss overflowed before training; "
        "standardise the inputs (--standardize, or standardize=True)"
    ]


def test_inputs_of_1e308_that_train_finitely_are_diagnosed_without_warnings(tmp_path):
    data = tmp_path / "huge.csv"
    data.write_text("x1,x2,y\n1e308,2,1\n-1e308,1,0\n3,1e308,1\n4,-3,0\n")
    done = run_cli("train", "sizes-net", "--data", str(data), "--target", "y", "--epochs", "5")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # x1's root mean square by hand: sqrt((2 * 1e616 + 9 + 16) / 4) = 1e308 / sqrt(2)
    assert f"input 'x1' has root mean square {1e308 / math.sqrt(2):.3g}" in done.stdout


def test_verify_of_a_module_that_overflows_stops_with_one_clear_error():
    model = dense_network([2, 3, 1], lambda u: sp.exp(sp.exp(5 * u)))  # exp(e^5u) leaves float64
    with warnings.catch_warnings(), pytest.raises(NumericOverflow) as stopped:
        warnings.simplefilter("error")
        verify(model)
    assert stopped.value.message.startswith("verify stopped: the module's values leave float64")
    assert "(overflow encountered in exp)" in stopped.value.message
