"""A hand-written softmax cross-entropy's P - Y holds for one-hot targets only: check takes
cross-entropy targets as one-hot (and says so), as torch's cross_entropy takes class labels."""

from __future__ import annotations

import numpy as np
import pytest

from symbackprop.check.codecheck import check_text

torch = pytest.importorskip("torch")

SOFTMAX = """\
import numpy as np


def train(X, Y, W, b, lr):
    N = X.shape[0]
    scores = X @ W + b
    exps = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    P = exps / np.sum(exps, axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(P)) / N
    dscores = (P - Y) / N
    dW = X.T @ dscores
    db = np.sum(dscores, axis=0)
    W -= lr * dW
    b -= lr * db
"""


def test_p_minus_y_is_the_gradient_torch_gives_for_class_labels():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    labels = rng.integers(0, 4, 5)
    Y = np.eye(4)[labels]
    namespace: dict = {}
    exec(SOFTMAX, namespace)  # the test runs its own fixture
    moved = {"W": W.copy(), "b": b.copy()}
    namespace["train"](X, Y, moved["W"], moved["b"], 1.0)
    Wt, bt = (torch.tensor(v, requires_grad=True) for v in (W, b))
    torch.nn.functional.cross_entropy(torch.tensor(X) @ Wt + bt, torch.tensor(labels)).backward()
    assert np.allclose(W - moved["W"], Wt.grad.numpy()) and np.allclose(b - moved["b"], bt.grad)

    report = check_text(SOFTMAX, "softmax.py", "train")
    assert report.ok
    assert any("Y is taken to hold one-hot targets" in note for note in report.notes)


def test_a_forgotten_minus_y_is_still_wrong_with_one_hot_targets():
    report = check_text(SOFTMAX.replace("(P - Y) / N", "P / N"), "softmax.py", "train")
    wrong = [v for v in report.verdicts if v.status == "wrong"]
    assert [v.name for v in wrong] == ["dscores"]
