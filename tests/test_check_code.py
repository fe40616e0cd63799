"""Code mode beyond the six questions: biases, tanh, mean losses, loops, rates and signs in updates.

The expected verdicts are derived by hand from each fixture's loss; for the buggy net,
loss = sum((A2 - Y)**2)/(2m), so dloss/dZ2 = (A2 - Y)*A2*(1 - A2)/m, and A1 = tanh(Z1) has
the derivative 1 - A1**2.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from symbackprop.check import check_code
from symbackprop.errors import SpecError, SymbackpropError

FIXTURES = Path(__file__).parent / "fixtures"


def verdicts(report) -> dict:
    return {v.name: v for v in report.verdicts}


def test_a_correct_dense_net_with_row_vector_biases_is_all_correct():
    report = check_code(FIXTURES / "check_dense_net.py", "train")
    assert report.ok
    assert set(verdicts(report)) == {"dZ2", "dW2", "db2", "dZ1", "dW1", "db1"}
    assert verdicts(report)["db1"].claim == "dloss/db1"


def test_row_biases_summed_with_keepdims_are_checked():
    report = verdicts(check_code(FIXTURES / "check_row_biases.py", loss="np.sum((out - y)**2)/2"))
    assert report["the step of b2"].correct  # np.sum(out_delta, axis=0, keepdims=True)
    wrong = report["the step of b1"]  # np.sum(h_delta): a scalar for a (1, 4) row
    assert not wrong.correct
    assert wrong.diagnosis.kind == "wrong axis"
    assert wrong.correct_formula.endswith("h_delta.sum(axis=0, keepdims=True)")


@pytest.fixture(scope="module")
def buggy():
    return verdicts(check_code(FIXTURES / "check_dense_net_bug.py", "train"))


def test_a_mean_loss_without_its_1_over_m_is_a_constant_scale(buggy):
    diagnosis = buggy["dZ2"].diagnosis
    assert diagnosis.kind == "constant scale"
    assert diagnosis.message.startswith("constant scale: missing factor 1/X.shape[0]")


def test_the_sigmoid_derivative_used_for_tanh_is_named(buggy):
    diagnosis = buggy["dZ1"].diagnosis
    assert diagnosis.kind == "wrong activation derivative"
    assert "A1*(1 - A1) where 1 - A1**2 belongs" in diagnosis.message


def test_a_bias_gradient_summed_over_the_wrong_axis_is_a_wrong_axis(buggy):
    # dZ1.sum(axis=1, keepdims=True) where dZ1.sum(axis=0) belongs
    assert buggy["db1"].diagnosis.kind == "wrong axis"
    assert "sum(axis=1, keepdims=True)" in buggy["db1"].diagnosis.message


def test_lines_right_for_a_wrong_delta_they_read_follow_its_line(buggy):
    # dW2 = A1.T @ dZ2 is the right formula for dloss/dW2 given dZ2 is dloss/dZ2, but dZ2
    # (line 12) lacks its 1/m, so dW2's value is wrong: it follows line 12, it is not correct
    for name in ("dW2", "db2"):
        assert (buggy[name].status, buggy[name].follows.line) == ("follows", 12)
    # dW1 reads dZ1, itself wrong at line 15: it follows the nearest wrong line it reads
    assert (buggy["dW1"].status, buggy["dW1"].follows.line) == ("follows", 15)


def test_parameters_started_at_zero_and_negated_rates_are_read_as_steps():
    report = check_code(FIXTURES / "check_line_fit.py", "step")
    assert report.ok
    assert [(v.name, v.claim) for v in report.verdicts] == [
        ("grad_m", "dloss/dm"),
        ("grad_c", "dloss/dc"),
    ]


def write(tmp_path, source: str):
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(source))
    return path


def test_an_update_with_the_wrong_sign_is_a_sign_error(tmp_path):
    path = write(
        tmp_path,
        """
        def f(x, t, w, lr):
            y = w * x
            loss = (y - t) ** 2
            w += lr * 2 * (y - t) * x
        """,
    )
    (verdict,) = check_code(path, "f").verdicts
    assert verdict.name == "the step of w"
    assert verdict.diagnosis.kind == "sign"


def test_a_delta_no_update_uses_gets_its_role_from_its_name(tmp_path):
    path = write(
        tmp_path,
        """
        import numpy as np
        def f(X, Y, W, lr):
            out = np.tanh(X @ W)
            loss = np.sum((out - Y) ** 2) / 2
            out_delta = (out - Y) * (1 - out ** 2)
            W -= lr * X.T @ ((out - Y) * (1 - out ** 2))
        """,
    )
    report = verdicts(check_code(path, "f"))
    assert report["out_delta"].claim == "dloss/d(X @ W)"
    assert report["out_delta"].correct


def test_a_loss_the_code_does_not_compute_is_an_error_naming_the_option(tmp_path):
    path = write(
        tmp_path,
        """
        def f(x, w, lr):
            y = w * x
            w -= lr * y
        """,
    )
    with pytest.raises(SpecError, match="--loss"):
        check_code(path, "f")


def test_code_without_updates_is_an_error(tmp_path):
    path = write(tmp_path, "def f(x, w):\n    loss = (w * x) ** 2\n")
    with pytest.raises(SymbackpropError, match="no parameter updates"):
        check_code(path, "f")


MAIN_GUARDED_XOR = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


if __name__ == "__main__":
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    W1 = 2 * np.random.random((3, 4)) - 1
    W2 = 2 * np.random.random((4, 1)) - 1
    for j in range(60000):
        a1 = sigmoid(np.dot(X, W1))
        a2 = sigmoid(np.dot(a1, W2))
        d2 = (a2 - y) * (a2 * (1 - a2))
        d1 = d2.dot(W2.T) * (a1 * (1 - a1))
        W2 -= 0.5 * a1.T.dot(d2)
        W1 -= 0.5 * X.T.dot(d1)
"""


def _unguarded(text: str) -> str:
    """The script without its ``if __name__ == "__main__":`` line, its body dedented."""
    lines = text.splitlines()
    at = lines.index('if __name__ == "__main__":')
    return "\n".join(lines[:at] + [line.removeprefix("    ") for line in lines[at + 1 :]]) + "\n"


def _judged_lines(path: Path, loss: str) -> tuple[bool, list[tuple[str, str, str]]]:
    """Whether all is right, and each verdict as (name, status, the statement it is at)."""
    report = check_code(path, loss=loss)
    text = path.read_text().splitlines()
    verdicts = [(v.name, v.status, text[v.line - 1].strip()) for v in report.verdicts]
    return report.ok, sorted(verdicts)


def test_a_script_under_if_name_main_is_read_as_the_script(tmp_path):
    """``if __name__ == "__main__":`` holds the script's own code: read as if it were not
    there, the same verdicts at the same statements, right and wrong alike. The gradients of
    0.5 * sum((a2 - y)**2), derived by hand: d2 = (a2 - y) * a2(1 - a2), d1 = d2 W2^T *
    a1(1 - a1), dW2 = a1^T d2, dW1 = X^T d1, as the script has them."""
    loss = "0.5 * np.sum((a2 - y)**2)"
    wrong = MAIN_GUARDED_XOR.replace(" * (a1 * (1 - a1))", "")  # sigmoid' dropped from d1
    for text, right in ((MAIN_GUARDED_XOR, True), (wrong, False)):
        guarded, plain = tmp_path / "guarded.py", tmp_path / "plain.py"
        guarded.write_text(text)
        plain.write_text(_unguarded(text))
        ok, verdicts = _judged_lines(guarded, loss)
        assert ok is right
        assert (ok, verdicts) == _judged_lines(plain, loss)
        assert {name for name, _, _ in verdicts} >= {"d2", "d1"}
