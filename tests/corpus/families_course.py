"""Samples as columns as course assignments write them: helper functions per layer that return
tuples, integer labels picked out of the columns, and a loop over the columns one at a time."""

from __future__ import annotations

import torch

from corpus.family import Family, dense_inputs, labels, named, normal, tags, uniform

M, D, H, C = 5, 3, 4, 3
COLUMNS = {"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"}
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _relu_sigmoid_bce(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    a2 = torch.sigmoid(z2)
    y = t["Y"]
    loss = -(y * torch.log(a2) + (1 - y) * torch.log(1 - a2)).sum() / y.shape[1]
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss}


HELPERS = Family(
    name="dense2 relu sigmoid BCE, columns, a backward helper per layer returning tuples",
    source="""
    import numpy as np

    def linear_backward(dZ, A_prev, W):
        m = A_prev.shape[1]
        dW = 1.0 / m * np.dot(dZ, A_prev.T)
        db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        dA_prev = np.dot(W.T, dZ)
        return dA_prev, dW, db

    def relu_backward(dA, Z):
        dZ = np.array(dA, copy=True)
        dZ[Z <= 0] = 0
        return dZ

    def sigmoid_backward(dA, Z):
        s = 1 / (1 + np.exp(-Z))
        return dA * s * (1 - s)

    def update(W1, b1, W2, b2, X, Y, learning_rate):
        Z1 = np.dot(W1, X) + b1
        A1 = np.maximum(0, Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = 1 / (1 + np.exp(-Z2))
        cost = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
        dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
        dZ2 = sigmoid_backward(dA2, Z2)
        dA1, dW2, db2 = linear_backward(dZ2, A1, W2)
        dZ1 = relu_backward(dA1, Z1)
        dA0, dW1, db1 = linear_backward(dZ1, X, W1)
        W1 = W1 - learning_rate * dW1
        b1 = b1 - learning_rate * db1
        W2 = W2 - learning_rate * dW2
        b2 = b2 - learning_rate * db2
        return W1, b1, W2, b2, cost
    """,
    torch=_relu_sigmoid_bce,
    leaves=COLUMNS,
    params=TWO_LAYERS,
    values=named(f"dA2={M}*a2 dZ2={M}*z2 dA1={M}*a1 dW2=W2 db2=b2 dZ1={M}*z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="learning_rate",
    layout="columns",
    shape="function, helpers return tuples",
    idioms=tags(
        "np.dot; .T; np.sum axis keepdims; np.maximum; np.divide; np.array(copy=True); "
        "dz[z <= 0] = 0; tuple unpacking; helper function; BCE; np.mean; W = W - lr * dW"
    ),
    function="update",
    inputs=dense_inputs([D, H, 1], uniform(1, M), n=M, columns=True, learning_rate=0.1),
    call=lambda ns, v: ns["update"](*(v[k] for k in (*TWO_LAYERS, "X", "Y", "learning_rate"))),
)


def _softmax_labels_columns(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    loss = torch.nn.functional.cross_entropy(z2.T, t["y"])
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


LABELS_COLUMNS = Family(
    name="dense2 tanh softmax, columns, integer labels picked per column",
    source="""
    import numpy as np

    def train(X, y, W1, b1, W2, b2, lr):
        m = X.shape[1]
        for epoch in range(300):
            Z1 = W1 @ X + b1
            A1 = np.tanh(Z1)
            Z2 = W2 @ A1 + b2
            expZ = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
            A2 = expZ / expZ.sum(axis=0, keepdims=True)
            loss = -np.log(A2[y, np.arange(m)]).mean()
            dZ2 = A2.copy()
            dZ2[y, np.arange(m)] -= 1
            dZ2 /= m
            dW2 = dZ2 @ A1.T
            db2 = dZ2.sum(axis=1, keepdims=True)
            dZ1 = (W2.T @ dZ2) * (1 - np.power(A1, 2))
            dW1 = dZ1 @ X.T
            db1 = dZ1.sum(axis=1, keepdims=True)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
    """,
    torch=_softmax_labels_columns,
    leaves={"X": "X", "y": "y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=TWO_LAYERS,
    values=named("dZ2=z2 dW2=W2 db2=b2 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="columns",
    shape="function, in place",
    idioms=tags(
        "@; .T; .sum(axis, keepdims); .mean(); np.power; np.tanh; softmax; integer labels; "
        "A2[y, np.arange(m)]; -= 1; /=; .copy(); X.shape[1]"
    ),
    function="train",
    inputs=dense_inputs([D, H, C], labels(M, C), n=M, columns=True, target_name="y", lr=0.1),
    call=lambda ns, v: ns["train"](*(v[k] for k in ("X", "y", *TWO_LAYERS, "lr"))),
    integer=("y",),
)


def _column_sample(t):
    z1 = t["W1"] @ t["x"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    loss = 0.5 * ((z2 - t["y"]) ** 2).sum()
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


PER_COLUMN = Family(
    name="dense2 sigmoid regression, columns, per-sample loop over columns",
    source="""
    import numpy as np

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def sgd(X, Y, W1, b1, W2, b2, eta, epochs=20):
        n_samples = X.shape[1]
        for epoch in range(epochs):
            for i in range(n_samples):
                x = X[:, i:i + 1]
                y = Y[:, i:i + 1]
                z1 = W1 @ x + b1
                a1 = sigmoid(z1)
                z2 = W2 @ a1 + b2
                error = z2 - y
                delta1 = (W2.T @ error) * a1 * (1 - a1)
                W2 -= eta * error @ a1.T
                b2 -= eta * error
                W1 -= eta * delta1 @ x.T
                b1 -= eta * delta1
    """,
    torch=_column_sample,
    leaves={"x": "x", "y": "y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=TWO_LAYERS,
    values=named("error=z2 delta1=z1"),
    start="z1",
    lr="eta",
    layout="columns",
    shape="per-sample loop",
    idioms=tags("for i in range(n); slices; @; .T; X.shape[1]; half-SSE; helper function"),
    function="sgd",
    loss="0.5 * np.sum((z2 - y) ** 2)",
    inputs=dense_inputs([D, H, 2], normal(2, M), n=M, columns=True, eta=0.05),
    call=lambda ns, v: ns["sgd"](*(v[k] for k in ("X", "Y", *TWO_LAYERS, "eta"))),
)


FAMILIES = [HELPERS, LABELS_COLUMNS, PER_COLUMN]
