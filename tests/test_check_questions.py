"""The six questions, asked through the ``check`` command.

Expected verdicts come from the askers' own answers and from derivations by hand: for question 4
dloss/dw = 2*(w*x - y)*x = 16 at x = y = 2, w = 3; for question 6 dJ/dz3 = (H - y)/m, so the
code's sigma3 = H - y is m times that adjoint and delta2 = sigma3 * a2.T / m is the gradient.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import pytest
from conftest import Q5_NET

from symbackprop.check.cli import EXAMPLES, add_parser, run

FIXTURES = Path(__file__).parent / "fixtures"
XOR_ALIASES = ["--as", "layer_2_delta=delta_layer_2_in", "--as", "layer_1_delta=delta_layer_1_in"]
XOR_LOSS = ["--loss", "np.sum((layer_2 - y)**2)/2"]
CODE_LAYER_1_DELTA = "layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1-layer_1))"
ASKER_LAYER_1_DELTA = "layer_1_delta = layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))"
Q5_FORMULAS = {
    "e5": "(zout-t) * (zout * (1 - zout)) * h1out",
    "e6": "(zout-t) * (zout * (1 - zout)) * h2out",
    "e1": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * x",
    "e2": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * y",
    "e3": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * x",
    "e4": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * y",
    "be3": "(zout-t) * (zout * (1 - zout))",
    "be1": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out))",
    "be2": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out))",
}
Q5_TARGETS = {
    "e1": "w[0]",
    "e2": "w[1]",
    "e3": "w[2]",
    "e4": "w[3]",
    "e5": "w[4]",
    "e6": "w[5]",
    "be1": "b[0]",
    "be2": "b[1]",
    "be3": "b[2]",
}


def check(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    code = run(parser.parse_args(["check", *argv]))
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, _ = check(capsys, *argv, "--format", "json")
    return code, json.loads(out)


def by_name(data: dict) -> dict[str, dict]:
    return {v["name"]: v for v in data["verdicts"]}


# -- question 1: the XOR net ---------------------------------------------------------------------
def test_q1_codes_line_is_the_adjoint_of_the_layer_1_pre_activation(capsys):
    code, data = check_json(capsys, "xor", *XOR_ALIASES, "--formula", CODE_LAYER_1_DELTA)
    assert code == 0
    assert data["verdicts"][0]["verdict"] == "correct"


def test_q1_askers_line_is_a_broadcast_bug_hidden_by_four_samples_and_four_units(capsys):
    code, data = check_json(capsys, "xor", *XOR_ALIASES, "--formula", ASKER_LAYER_1_DELTA)
    (verdict,) = data["verdicts"]
    assert code == 1
    assert verdict["diagnosis"]["kind"] == "shape or broadcast"
    assert "only fits when m == synapse_0.shape[1]" in verdict["diagnosis"]["message"]
    assert verdict["correct_formula"] == "layer_1*(1 - layer_1)*(layer_2_delta @ synapse_1.T)"
    # the counterexample uses a batch size unlike the hidden width
    sizes = verdict["counterexample"]["sizes"]
    assert sizes["m"] != sizes["synapse_0.shape[1]"]


def test_q1_code_as_written_in_question_1_is_all_correct(capsys):
    code, data = check_json(capsys, str(FIXTURES / "q1_xor.py"), *XOR_LOSS)
    verdicts = by_name(data)
    assert code == 0
    assert set(verdicts) == {
        "layer_2_delta",
        "layer_1_delta",
        "the step of synapse_1",
        "the step of synapse_0",
    }
    # the deltas' roles come from the update lines: adjoints of the inline pre-activations
    assert verdicts["layer_2_delta"]["claim"] == "dloss/d(layer_1 @ synapse_1)"
    assert verdicts["layer_1_delta"]["claim"] == "dloss/d(X @ synapse_0)"


def test_q1_code_with_the_askers_line_flags_that_line_only(capsys):
    code, data = check_json(capsys, str(FIXTURES / "q1_xor_asker.py"), *XOR_LOSS)
    wrong = [v for v in data["verdicts"] if v["verdict"] == "wrong"]
    assert code == 1
    assert [v["name"] for v in wrong] == ["layer_1_delta"]
    (verdict,) = wrong
    assert verdict["line"] == 13
    assert verdict["diagnosis"]["kind"] == "shape or broadcast"
    assert "hidden_dim == X.shape[0] (as written, both are 4" in verdict["diagnosis"]["message"]


# -- question 2: linear regression by SGD ---------------------------------------------------------
def test_q2_grad_m_and_grad_c_are_correct(capsys):
    code, out, _ = check(
        capsys,
        "linreg",
        "--as",
        "grad_m=m",
        "--as",
        "grad_c=c",
        "--formula",
        "grad_m = - 2 * x * (y - (m*x + c))",
        "--formula",
        "grad_c = - 2 * (y - (m*x + c))",
    )
    assert code == 0
    assert "2 formulas, all correct" in out


# -- question 4: PyTorch's 16 ---------------------------------------------------------------------
def test_q4_the_answer_is_correct_and_worth_16_at_the_askers_values(capsys):
    code, out, _ = check(
        capsys, "torch-scalar", "--as", "dloss_dw=w", "--formula", "dloss_dw = 2 * (w * x - y) * x"
    )
    assert code == 0
    assert "CORRECT" in out and "16 at x = 2, y = 2, w = 3" in out


def test_q4_the_askers_8_is_missing_the_chain_rules_factor_x(capsys):
    code, data = check_json(
        capsys, "torch-scalar", "--as", "dloss_dw=w", "--formula", "dloss_dw = 2*(w*x - y)"
    )
    (verdict,) = data["verdicts"]
    assert code == 1
    assert verdict["diagnosis"]["kind"] == "missing factor"
    assert verdict["diagnosis"]["factor"] == "x"
    counterexample = verdict["counterexample"]
    assert (counterexample["expected"], counterexample["got"]) == ("16", "8")
    assert counterexample["inputs"] == {"x": 2, "y": 2, "w": 3}


# -- question 5: the 2-2-1 net's e1..e6, be1..be3 -------------------------------------------------
def test_q5_all_nine_hand_derived_formulas_are_correct(capsys):
    argv = []
    for name, target in Q5_TARGETS.items():
        argv += ["--as", f"{name}={target}"]
    for name, formula in Q5_FORMULAS.items():
        argv += ["--formula", f"{name} = {formula}"]
    code, data = check_json(capsys, "tiny221", *argv)
    assert code == 0
    assert [v["verdict"] for v in data["verdicts"]] == ["correct"] * 9
    assert by_name(data)["e1"]["claim"] == "de/dw[0]"


def test_q5_code_mode_reads_the_nine_formulas_from_the_updates(capsys):
    code, data = check_json(capsys, str(Q5_NET) + ":Net")
    verdicts = by_name(data)
    assert code == 0
    assert set(verdicts) == set(Q5_TARGETS)
    for name, target in Q5_TARGETS.items():
        assert verdicts[name]["claim"] == f"de/d{target}"
        assert verdicts[name]["verdict"] == "correct"


# -- question 6: the digits classifier with numpy.matrix ------------------------------------------
def test_q6_delta1_and_delta2_are_the_gradients_of_the_cost_j(capsys):
    code, data = check_json(capsys, str(FIXTURES / "q6_digits.py") + ":backPro", "--matrix", "X,y")
    verdicts = by_name(data)
    assert code == 0
    assert data["loss"] == "J"
    assert verdicts["delta1"]["claim"] == "dJ/dtheta1"
    assert verdicts["delta2"]["claim"] == "dJ/dtheta2"


def test_q6_sigma3_and_sigma2_are_m_times_the_adjoints_and_the_m_is_compensated(capsys):
    code, data = check_json(capsys, str(FIXTURES / "q6_digits.py") + ":backPro", "--matrix", "X,y")
    verdicts = by_name(data)
    assert verdicts["sigma3"]["claim"] == "m * dJ/dz3"
    assert verdicts["sigma2[1:]"]["claim"] == "m * dJ/dz2"
    for name in ("sigma3", "sigma2[1:]"):
        assert verdicts[name]["verdict"] == "correct"
        assert "compensated" in verdicts[name]["note"]


def test_q6_without_matrix_semantics_the_products_do_not_fit_and_the_error_says_why(capsys):
    code, out, err = check(capsys, str(FIXTURES / "q6_digits.py") + ":backPro")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "q6_digits.py:29:" in err and "--matrix" in err


# -- the command itself ---------------------------------------------------------------------------
def test_text_output_names_the_mistake_and_gives_the_correct_formula(capsys):
    code, out, _ = check(capsys, "torch-scalar", "--as", "g=w", "--formula", "g = 2*(w*x - y)")
    assert code == 1
    assert "diagnosis: missing factor x" in out
    assert "correct: g = 2*s*x = 2*x*(w*x - y)" in out


def epilog_examples() -> list[str]:
    """The epilog's example commands, continuation lines joined as a shell joins them."""
    commands = EXAMPLES.replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in commands if line.startswith("  symbackprop")]


def test_the_epilog_shows_three_examples():
    assert len(epilog_examples()) == 3


@pytest.mark.parametrize("example", epilog_examples())
def test_every_epilog_example_runs_as_written(capsys, example):
    argv = shlex.split(example)[2:]  # after "symbackprop check"
    code, out, err = check(capsys, *argv)
    assert code in (0, 1), err
    assert out.startswith("check ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nonexistent-model", "--formula", "w = 1"], "unknown model"),
        (["torch-scalar", "--formula", "g = 2*x"], "'g' is not a parameter"),
        (["torch-scalar", "--formula", "w = 2*q"], "unknown name 'q'"),
        (["torch-scalar", "--formula", "w == 2"], "TARGET = EXPR"),
        (["torch-scalar", "--as", "g", "--formula", "g = 2"], "NAME=TARGET"),
        (["torch-scalar", "--as", "g=h", "--formula", "g = 2"], "'h' is not a parameter"),
        (["torch-scalar", "--formula", "w = (x"], "invalid Python"),
        (["torch-scalar"], "give --formula"),
        (["missing.py"], "no such file"),
        ([str(Q5_NET) + ":Nope"], "no function 'Nope'"),
        ([str(FIXTURES / "q1_xor.py")], "pass --loss"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(capsys, argv, message):
    code, out, err = check(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err and "Traceback" not in err
