"""A class whose training step keeps its weights in ``self.params`` and samples as columns,
with a softmax written as ``E / E.sum(axis=0)`` (no keepdims) and a variable named ``E``
beside the loss ``cost``.

Labels by hand: for one-hot columns Y, d(cost)/dZ2 = (A2 - Y) / m; the loss is ``cost``
(``E`` holds exponentials, no loss); ``dZ2 = A2 - Y`` misses the 1/m.
"""

from __future__ import annotations

from symbackprop.check.codecheck import check_text

NET = """\
import numpy as np

class TwoLayerNet:
    def __init__(self, sizes):
        self.params = {}
        self.params["W1"] = np.random.randn(sizes[1], sizes[0]) * 0.1
        self.params["b1"] = np.zeros((sizes[1], 1))
        self.params["W2"] = np.random.randn(sizes[2], sizes[1]) * 0.1
        self.params["b2"] = np.zeros((sizes[2], 1))

    def train_step(self, X, Y, learning_rate):
        m = X.shape[1]
        p = self.params
        Z1 = p["W1"] @ X + p["b1"]
        A1 = np.tanh(Z1)
        Z2 = p["W2"] @ A1 + p["b2"]
        E = np.exp(Z2 - Z2.max(axis=0))
        A2 = E / E.sum(axis=0)
        cost = -np.sum(Y * np.log(A2)) / m
        dZ2 = (A2 - Y) / m
        dW2 = dZ2 @ A1.T
        db2 = dZ2.sum(axis=1, keepdims=True)
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1 ** 2)
        dW1 = dZ1 @ X.T
        db1 = dZ1.sum(axis=1, keepdims=True)
        self.params["W1"] -= learning_rate * dW1
        self.params["b1"] -= learning_rate * db1
        self.params["W2"] -= learning_rate * dW2
        self.params["b2"] -= learning_rate * db2
        return cost
"""


def test_the_loss_is_the_sum_not_the_exponentials_named_e():
    report = check_text(NET, "net.py", "TwoLayerNet.train_step")
    assert report.loss == "cost"


def test_a_softmax_over_columns_without_keepdims_takes_one_hot_columns_and_is_right():
    report = check_text(NET, "net.py", "TwoLayerNet.train_step")
    assert report.ok, report.to_text()
    assert any("one-hot" in note for note in report.notes)


def test_its_missing_one_over_m_is_blamed_at_its_line():
    report = check_text(
        NET.replace("dZ2 = (A2 - Y) / m", "dZ2 = A2 - Y"), "net.py", "TwoLayerNet.train_step"
    )
    wrong = sorted(v.line for v in report.verdicts if v.status == "wrong")
    assert wrong[:1] == [20], report.to_text()
