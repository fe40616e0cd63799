"""Samples as rows (``X @ W + b``): the dense nets of tutorials and course notebooks."""

from __future__ import annotations

import torch

from corpus.family import (
    Family,
    dense_inputs,
    labels,
    named,
    normal,
    onehot,
    tags,
    uniform,
)

N, D, H, C = 5, 3, 4, 3
ROWS = {"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"}
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _args(*names):
    return lambda ns, v: ns["train"](*(v[n] for n in names))


def _dense2_sigmoid_mse(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(z2)
    loss = ((a2 - t["Y"]) ** 2).sum() / (2 * t["X"].shape[0])
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss}


DENSE2_SIGMOID_MSE = Family(
    name="dense2 sigmoid mse, function in place",
    source="""
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
            dA2 = (A2 - Y) / m
            dZ2 = dA2 * A2 * (1 - A2)
            dW2 = np.dot(A1.T, dZ2)
            db2 = np.sum(dZ2, axis=0, keepdims=True)
            dA1 = np.dot(dZ2, W2.T)
            dZ1 = dA1 * A1 * (1 - A1)
            dW1 = np.dot(X.T, dZ1)
            db1 = np.sum(dZ1, axis=0, keepdims=True)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
        return W1, b1, W2, b2
    """,
    torch=_dense2_sigmoid_mse,
    leaves={"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=("W1", "b1", "W2", "b2"),
    values=named("dA2=a2 dZ2=z2 dW2=W2 db2=b2 dA1=a1 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags("np.dot; .T; np.sum axis keepdims; X.shape[0]; np.exp; helper function"),
    function="train",
    inputs=dense_inputs([D, H, 1], uniform(N, 1), lr=0.1),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _tanh_sigmoid_half_sse(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(z2)
    loss = 0.5 * ((a2 - t["Y"]) ** 2).sum()
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss}


TANH_SIGMOID_HALF_SSE = Family(
    name="dense2 tanh sigmoid half-SSE, 1-D biases",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr):
        for it in range(1000):
            h = np.tanh(X @ W1 + b1)
            out = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
            loss = 0.5 * np.sum((out - Y) ** 2)
            out_delta = (out - Y) * out * (1 - out)
            h_delta = out_delta @ W2.T * (1 - h ** 2)
            W2 -= lr * h.T @ out_delta
            b2 -= lr * out_delta.sum(axis=0)
            W1 -= lr * X.T @ h_delta
            b1 -= lr * h_delta.sum(axis=0)
    """,
    torch=_tanh_sigmoid_half_sse,
    leaves=ROWS,
    params=TWO_LAYERS,
    values=named("out_delta=z2 h_delta=z1"),
    start="h",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags("@; .T; .sum(axis); np.tanh; np.exp; 1-D bias"),
    function="train",
    inputs=dense_inputs([D, H, 1], uniform(N, 1), bias="flat", lr=0.5),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _relu_softmax_onehot(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    loss = -(t["Y"] * torch.log_softmax(z2, dim=1)).sum() / t["X"].shape[0]
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


RELU_SOFTMAX_ONEHOT = Family(
    name="dense2 relu softmax cross-entropy, one-hot, mean",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr):
        N = len(X)
        for epoch in range(200):
            z1 = X @ W1 + b1
            a1 = np.maximum(0, z1)
            z2 = a1 @ W2 + b2
            exps = np.exp(z2 - np.max(z2, axis=1, keepdims=True))
            probs = exps / np.sum(exps, axis=1, keepdims=True)
            loss = -np.sum(Y * np.log(probs)) / N
            dz2 = (probs - Y) / N
            dW2 = a1.T @ dz2
            db2 = np.sum(dz2, axis=0, keepdims=True)
            da1 = dz2 @ W2.T
            dz1 = da1 * (z1 > 0)
            dW1 = X.T @ dz1
            db1 = np.sum(dz1, axis=0, keepdims=True)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
    """,
    torch=_relu_softmax_onehot,
    leaves=ROWS,
    params=TWO_LAYERS,
    values=named("dz2=z2 dW2=W2 db2=b2 da1=a1 dz1=z1 dW1=W1 db1=b1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags("@; .T; np.sum axis keepdims; np.maximum; mask (z > 0); len(X); softmax; one-hot"),
    function="train",
    inputs=dense_inputs([D, H, C], onehot(N, C), lr=0.1),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _cs231n(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    scores = torch.relu(z1) @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(scores, t["y"])
    loss = loss + 0.5 * 0.1 * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    return {"z1": z1, "scores": scores, "loss": loss}


CS231N_INTEGER_LABELS = Family(
    name="dense2 relu softmax, integer labels, L2 (course assignment)",
    source="""
    import numpy as np

    def train(X, y, W1, b1, W2, b2, learning_rate=1e-1, reg=0.1):
        num_examples = X.shape[0]
        for i in range(100):
            hidden_layer = np.maximum(0, np.dot(X, W1) + b1)
            scores = np.dot(hidden_layer, W2) + b2
            exp_scores = np.exp(scores)
            probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
            correct_logprobs = -np.log(probs[range(num_examples), y])
            data_loss = np.sum(correct_logprobs) / num_examples
            reg_loss = 0.5 * reg * np.sum(W1 * W1) + 0.5 * reg * np.sum(W2 * W2)
            loss = data_loss + reg_loss
            dscores = probs
            dscores[range(num_examples), y] -= 1
            dscores /= num_examples
            dW2 = np.dot(hidden_layer.T, dscores)
            db2 = np.sum(dscores, axis=0, keepdims=True)
            dhidden = np.dot(dscores, W2.T)
            dhidden[hidden_layer <= 0] = 0
            dW = np.dot(X.T, dhidden)
            db = np.sum(dhidden, axis=0, keepdims=True)
            dW2 += reg * W2
            dW += reg * W1
            W1 += -learning_rate * dW
            b1 += -learning_rate * db
            W2 += -learning_rate * dW2
            b2 += -learning_rate * db2
    """,
    torch=_cs231n,
    leaves={"X": "X", "y": "y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=TWO_LAYERS,
    values=named("dscores=scores dW2=W2 db2=b2 dhidden=z1 dW=W1 db=b1"),
    start="hidden_layer",
    lr="learning_rate",
    layout="rows",
    shape="function, in place",
    idioms=tags(
        "np.dot; .T; np.sum axis keepdims; np.maximum; probs[range(N), y]; -= 1; dz[z <= 0] = 0; "
        "+=; X.shape[0]; softmax; integer labels"
    ),
    function="train",
    inputs=dense_inputs([D, H, C], labels(N, C), target_name="y"),
    call=_args("X", "y", "W1", "b1", "W2", "b2"),
    integer=("y",),
)


def _leaky_mse(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.nn.functional.leaky_relu(z1, 0.01)
    out = a1 @ t["W2"] + t["b2"]
    loss = ((out - t["Y"]) ** 2).mean()
    return {"z1": z1, "a1": a1, "out": out, "loss": loss}


LEAKY_MSE = Family(
    name="dense2 leaky relu, linear output, MSE mean",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr=0.01):
        for epoch in range(50):
            z1 = X.dot(W1) + b1
            a1 = np.where(z1 > 0, z1, 0.01 * z1)
            out = a1.dot(W2) + b2
            loss = np.mean((out - Y) ** 2)
            d_out = 2 * (out - Y) / Y.size
            dW2 = a1.T.dot(d_out)
            db2 = d_out.sum(axis=0)
            d_a1 = d_out.dot(W2.T)
            d_z1 = d_a1 * np.where(z1 > 0, 1.0, 0.01)
            dW1 = X.T.dot(d_z1)
            db1 = d_z1.sum(axis=0)
            W2 -= lr * dW2
            b2 -= lr * db2
            W1 -= lr * dW1
            b1 -= lr * db1
    """,
    torch=_leaky_mse,
    leaves=ROWS,
    params=TWO_LAYERS,
    values=named("d_out=out dW2=W2 db2=b2 d_a1=a1 d_z1=z1 dW1=W1 db1=b1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags(".dot; .T; .sum(axis); np.where; leaky relu; np.mean; Y.size"),
    function="train",
    inputs=dense_inputs([D, H, 2], normal(N, 2), bias="flat"),
    call=_args("X", "Y", "W1", "b1", "W2", "b2"),
)


FAMILIES = [
    DENSE2_SIGMOID_MSE,
    TANH_SIGMOID_HALF_SSE,
    RELU_SOFTMAX_ONEHOT,
    CS231N_INTEGER_LABELS,
    LEAKY_MSE,
]
