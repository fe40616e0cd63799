"""A learning rate inside a gradient, a weight stepped too early, and a regression written
for one output.

Labels by hand: ``dW = lr * X.T @ d`` is ``lr`` times dL/dW, so it is wrong at its own line
(an extra factor), however the update uses it; the update ``W -= lr * dW`` around a right
``dW`` is right. A regression with 1-D weights has one output: a mistake in its bias line is
blamed there, not at the residual that is right for one output.
"""

from __future__ import annotations

from corpus.families_loops import LINEAR_VECTOR

from symbackprop.check.codecheck import check_text

TRAIN = """\
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def train(X, Y, W1, b1, W2, b2, lr, epochs=100):
    m = X.shape[0]
    for epoch in range(epochs):
        Z1 = np.dot(X, W1) + b1
        A1 = sigmoid(Z1)
        Z2 = np.dot(A1, W2) + b2
        A2 = sigmoid(Z2)
        loss = np.sum((A2 - Y) ** 2) / (2 * m)
        dZ2 = (A2 - Y) / m * A2 * (1 - A2)
        dW2 = np.dot(A1.T, dZ2)
        db2 = np.sum(dZ2, axis=0)
        dZ1 = np.dot(dZ2, W2.T) * A1 * (1 - A1)
        dW1 = np.dot(X.T, dZ1)
        db1 = np.sum(dZ1, axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
"""


def wrong_lines(report) -> set[tuple[str, int]]:
    return {(v.name, v.line) for v in report.verdicts if not v.correct}


def test_the_step_with_its_rate_outside_is_right():
    assert check_text(TRAIN, "train.py", "train").ok


def test_a_rate_inside_a_gradient_is_an_extra_factor_at_that_line():
    text = TRAIN.replace("dW1 = np.dot(X.T, dZ1)", "dW1 = lr * np.dot(X.T, dZ1)")
    report = check_text(text, "train.py", "train")
    assert wrong_lines(report) == {("dW1", 18)}, report.to_text()
    verdict = next(v for v in report.verdicts if v.name == "dW1")
    assert "extra factor lr" in verdict.diagnosis.message
    # every update is still read with its rate taken out
    assert all(v.correct for v in report.verdicts if v.line >= 20)


def test_a_rate_named_otherwise_is_found_the_same_way():
    text = TRAIN.replace("lr", "eta").replace("db2 = np.sum", "db2 = eta * np.sum")
    report = check_text(text, "train.py", "train")
    assert wrong_lines(report) == {("db2", 16)}, report.to_text()


REGRESSION = LINEAR_VECTOR.source  # the corpus's own program, labelled there by torch
LOSS = "np.mean((y_predicted - y) ** 2)"


def test_a_one_output_regression_is_right_as_written():
    report = check_text(REGRESSION, "fit.py", "gradient_descent", LOSS)
    assert report.ok, report.to_text()


def test_a_mistake_in_a_one_output_regression_is_blamed_at_its_own_line():
    text = REGRESSION.replace("db = (2 / n_samples)", "db = (4 / n_samples)")
    report = check_text(text, "fit.py", "gradient_descent", LOSS)
    assert wrong_lines(report) == {("db", 9)}, report.to_text()
    assert any("one output" in note for note in report.notes)


def test_a_weight_stepped_before_a_line_reads_it_is_blamed_at_that_line():
    # W2 -= lr * dW2 moved above dZ1: dZ1 reads the stepped W2, not the one the loss used
    lines = TRAIN.splitlines()
    step = lines.pop(lines.index("        W2 -= lr * dW2"))
    reader = next(i for i, line in enumerate(lines) if line.strip().startswith("dZ1 ="))
    lines.insert(reader, step)
    report = check_text("\n".join(lines) + "\n", "train.py", "train")
    first = min(wrong_lines(report), key=lambda item: item[1])
    assert first == ("dZ1", reader + 2), report.to_text()
    verdict = next(v for v in report.verdicts if v.name == "dZ1")
    assert verdict.diagnosis.kind == "read after its update"
    assert f"stepped at line {reader + 1}" in verdict.diagnosis.message


def test_a_step_of_the_rate_alone_is_missing_its_gradient():
    text = TRAIN.replace("W2 -= lr * dW2", "W2 -= lr")
    report = check_text(text, "train.py", "train")
    (verdict,) = [v for v in report.verdicts if v.status == "wrong"]
    assert verdict.line == 22
    assert verdict.diagnosis.kind == "missing factor"
    assert "the gradient itself" in verdict.diagnosis.message


# every other step takes lr: ``W2 -= dW2`` steps by dW2 = lr^-1 times the step the others take
def test_a_step_that_leaves_out_the_rate_the_others_take_is_wrong_at_its_line():
    report = check_text(TRAIN.replace("W2 -= lr * dW2", "W2 -= dW2"), "train.py", "train")
    wrong = [v for v in report.verdicts if not v.correct]
    assert [v.line for v in wrong] == [22], report.to_text()
    assert "the learning rate lr" in wrong[0].diagnosis.message


def test_steps_that_all_leave_the_rate_out_are_steps_of_rate_one():
    text = TRAIN
    for name in ("W1", "b1", "W2", "b2"):
        text = text.replace(f"{name} -= lr * d{name}", f"{name} -= d{name}")
    report = check_text(text, "train.py", "train")
    assert report.ok, report.to_text()


def test_a_step_with_a_number_of_its_own_keeps_it():
    # a bias stepped at a rate of its own: 0.5 times dL/db2 is a step, not a mistake
    report = check_text(TRAIN.replace("b2 -= lr * db2", "b2 -= 0.5 * db2"), "train.py", "train")
    assert report.ok, report.to_text()


def test_a_rate_taken_inside_a_product_of_the_step_is_the_rate():
    # (lr * A1).T @ dZ2 is lr * dW2: a right step, its rate inside the product
    text = TRAIN.replace("W2 -= lr * dW2", "W2 -= (lr * A1).T @ dZ2")
    report = check_text(text, "train.py", "train")
    assert report.ok, report.to_text()


def test_a_rate_inside_a_wrong_product_is_no_missing_rate():
    text = TRAIN.replace("W2 -= lr * dW2", "W2 -= dZ2 @ (lr * A1).T")
    report = check_text(text, "train.py", "train")
    wrong = [v for v in report.verdicts if not v.correct]
    assert [v.line for v in wrong] == [22], report.to_text()
    assert "learning rate" not in wrong[0].diagnosis.message
