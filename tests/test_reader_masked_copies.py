"""Two ReLU backward idioms of course code: a mask written from a masked value of the same
mask, ``delta1[z1 > 0] = (delta2 @ W2.T)[z1 > 0]`` on a zeros array, and a copy made by
``np.array(dA, copy=True)`` before ``dZ[Z <= 0] = 0``.

Labels by hand: both compute ``(delta2 @ W2.T) * (z1 > 0)``, the ReLU's adjoint; halving the
value written, or doubling the copy, is a constant factor at that line.
"""

from __future__ import annotations

from corpus.families_idioms import ZEROS_LIKE_RELU

from symbackprop.check.codecheck import check_text

ZEROS_AND_MASK = ZEROS_LIKE_RELU.source  # the corpus's own program, labelled there by torch

COPY_THEN_MASK = """\
import numpy as np

def relu_backward(dA, Z):
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ

def step(X, Y, W1, b1, W2, b2, lr):
    m = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(0, Z1)
    Z2 = A1 @ W2 + b2
    loss = np.sum((Z2 - Y) ** 2) / (2 * m)
    dZ2 = (Z2 - Y) / m
    dW2 = A1.T @ dZ2
    db2 = np.sum(dZ2, axis=0)
    dA1 = dZ2 @ W2.T
    dZ1 = relu_backward(dA1, Z1)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2
"""


def wrong(report) -> set[int]:
    return {v.line for v in report.verdicts if not v.correct}


def test_a_mask_written_from_the_same_mask_is_the_relu_adjoint():
    report = check_text(ZEROS_AND_MASK, "train.py", "train")
    assert report.ok, report.to_text()
    assert "delta1" in {v.name for v in report.verdicts}


def test_a_wrong_value_written_through_the_mask_is_blamed_there():
    text = ZEROS_AND_MASK.replace("(delta2 @ W2.T)[z1 > 0]", "(delta2 @ W2.T / 2)[z1 > 0]")
    report = check_text(text, "train.py", "train")
    assert min(wrong(report)) == 18, report.to_text()


def test_a_copy_by_np_array_then_a_mask_is_the_relu_adjoint():
    report = check_text(COPY_THEN_MASK, "step.py", "step")
    assert report.ok, report.to_text()


def test_a_doubled_copy_is_wrong_at_its_line():
    text = COPY_THEN_MASK.replace("np.array(dA, copy=True)", "np.array(2 * dA, copy=True)")
    report = check_text(text, "step.py", "step")
    assert min(wrong(report)) == 4, report.to_text()
