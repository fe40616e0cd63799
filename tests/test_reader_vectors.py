"""Code over 1-D vectors: a per-sample loop whose samples are rows (``for x, t in zip(X, Y)``
with ``W1.T @ x`` and ``np.outer``), a slope and intercept fitted to vectors with Python's
``sum`` and ``len``, a target reshaped to one column, and a sigmoid output whose hand-written
``1 / (1 - A2)`` needs values small enough not to round it to 1/0.

Labels by hand, written beside each program: the gradient each line should hold, so the tests
know which line is the first wrong one without asking the checker.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpus.families_idioms import FAMILIES as IDIOMS
from corpus.families_loops import LINEAR_SCALAR, PER_SAMPLE_OUTER

from symbackprop.check.codecheck import check_text
from symbackprop.check.numeric import difference


def wrong(report) -> set[int]:
    return {v.line for v in report.verdicts if not v.correct}


def first_wrong(report) -> int:
    lines = wrong(report)
    assert lines, report.to_text()
    return min(lines)


# loss = mean((y - (m x + c))^2): dL/dm = -2/n sum(x (y - pred)), dL/dc = -2/n sum(y - pred)
LINE_FIT = LINEAR_SCALAR.source


def test_a_slope_and_intercept_fitted_with_python_sum_and_len_are_right():
    report = check_text(LINE_FIT, "fit.py", "fit", LINEAR_SCALAR.loss)
    assert report.ok, report.to_text()
    assert len(report.verdicts) == 2
    # read over vectors of samples, never at one sample (that would hide a missing 1/n)
    assert "(n) = (7)" in report.to_text()


@pytest.mark.parametrize(
    ("old", "new", "line", "diagnosis"),
    [
        ("(-2 / n) * sum(x * (y - Y_pred))", "(-1 / n) * sum(x * (y - Y_pred))", 9, "factor 2"),
        ("(-2 / n) * sum(y - Y_pred)", "(2 / n) * sum(y - Y_pred)", 10, "sign"),
        ("sum(x * (y - Y_pred))", "sum(y - Y_pred)", 9, ""),
    ],
)
def test_a_wrong_slope_or_intercept_gradient_is_blamed_at_its_line(old, new, line, diagnosis):
    report = check_text(LINE_FIT.replace(old, new), "fit.py", "fit", LINEAR_SCALAR.loss)
    assert first_wrong(report) == line, report.to_text()
    assert diagnosis in report.to_text()


# one sample x (D,), target t: h = tanh(W1.T x + b1), out = w2 . h + b2, L = (out - t)^2;
# dout = 2 (out - t), dh = dout w2, dz = dh (1 - h^2), dW1 = outer(x, dz), dw2 = dout h
PER_SAMPLE = PER_SAMPLE_OUTER.source


def test_a_per_sample_loop_over_rows_with_outer_products_is_right():
    report = check_text(PER_SAMPLE, "sgd.py", "sgd_epoch")
    assert report.ok, report.to_text()
    claimed = {v.line for v in report.verdicts}
    assert {8, 10, 11, 13} <= claimed  # dout, dz, the steps of W1 and w2


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("dz = dh * (1 - h ** 2)", "dz = dh * (1 - h)", 10),
        ("np.outer(x, dz)", "np.outer(dz, x)", 11),
        ("dh = dout * w2", "dh = w2", 9),
        ("dout = 2 * (out - target)", "dout = out - target", 8),
        ("w2 -= lr * dout * h", "w2 -= lr * dout * x", 13),
    ],
)
def test_a_wrong_line_in_a_per_sample_loop_is_blamed_there(old, new, line):
    assert old in PER_SAMPLE
    report = check_text(PER_SAMPLE.replace(old, new), "sgd.py", "sgd_epoch")
    assert first_wrong(report) == line, report.to_text()


def test_a_transposed_outer_product_is_diagnosed_as_transposed():
    text = PER_SAMPLE.replace("np.outer(x, dz)", "np.outer(dz, x)")
    assert "transpose" in check_text(text, "sgd.py", "sgd_epoch").to_text()


# y reshaped to (m, 1); p = sigmoid(a1 w2 + b2) with one output; mean BCE:
# dz2 = (p - y)/m, db2 = sum(dz2) (b2 a number), dz1 = dz2 w2^T / cosh(z1)^2
RESHAPED = next(f for f in IDIOMS if "reshaped" in f.name).source


def test_a_target_reshaped_to_one_column_fixes_the_output_width():
    report = check_text(RESHAPED, "train.py", "train")
    assert report.ok, report.to_text()
    assert "one output" not in report.to_text()  # known from y, not guessed afterwards


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("dz2 = (p - y) / m", "dz2 = (p - y)", 12),
        ("/ np.cosh(z1) ** 2", "* np.cosh(z1) ** 2", 15),
        ("db1 = np.sum(dz1, axis=0)", "db1 = np.sum(dz1, axis=1)", 17),
    ],
)
def test_a_wrong_line_after_a_reshaped_target_is_blamed_there(old, new, line):
    assert old in RESHAPED
    report = check_text(RESHAPED.replace(old, new), "train.py", "train")
    assert first_wrong(report) == line, report.to_text()


def test_a_number_and_a_one_entry_array_are_the_same_value():
    assert difference(np.array([2.5], dtype=object), 2.5) is None
    assert difference(np.array([[2.5]], dtype=object), 2.5) is None
    assert difference(np.array([2.5], dtype=object), 3.5) is not None
    assert difference(np.array([1.0, 2.0], dtype=object), 1.0)[0] == "shape"


# dA2 = -(Y/A2 - (1-Y)/(1-A2)) by hand: at random weights a sigmoid of a sum of products of
# size ~5 numbers is 1 to 50 digits, so the points are drawn again, smaller
SATURATING = """\
import numpy as np

def update(W1, b1, W2, b2, X, Y, lr):
    Z1 = np.dot(W1, X) + b1
    A1 = np.maximum(0, Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
    s = 1 / (1 + np.exp(-Z2))
    dZ2 = dA2 * s * (1 - s)
    m = X.shape[1]
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (Z1 > 0)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    W1 = W1 - lr * dW1
    b1 = b1 - lr * db1
    W2 = W2 - lr * dW2
    b2 = b2 - lr * db2
    return W1, b1, W2, b2
"""


def test_a_hand_written_sigmoid_cross_entropy_derivative_is_read_at_smaller_values():
    report = check_text(SATURATING, "net.py", "update")
    assert report.ok, report.to_text()


def test_a_wrong_line_of_it_is_still_blamed():
    text = SATURATING.replace("np.divide(1 - Y, 1 - A2)", "np.divide(1 - Y, A2)")
    assert first_wrong(check_text(text, "net.py", "update")) == 9


def test_a_sample_is_shown_under_the_loops_own_names():
    text = PER_SAMPLE.replace("dout = 2 * (out - target)", "dout = out - target")
    report = check_text(text, "sgd.py", "sgd_epoch")
    (first,) = [v for v in report.verdicts if v.line == 8]
    assert first.correct_formula == "2*(out - target)", report.to_text()
    assert "Y[0]" not in report.to_text() and "X[0]" not in report.to_text()
