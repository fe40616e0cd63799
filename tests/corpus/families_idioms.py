"""Samples as rows, in less common NumPy: matmul and transpose, astype, einsum, zeros_like
and boolean indexing, a bias column by concatenate, reshape and cosh, three layers."""

from __future__ import annotations

import torch

from corpus.family import (
    Family,
    binary,
    dense_inputs,
    named,
    normal,
    number,
    onehot,
    tags,
    uniform,
)

N, D, H, C = 5, 3, 4, 3
ROWS = {"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"}
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _args(*names):
    return lambda ns, v: ns["train"](*(v[n] for n in names))


def _dense3_bce(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.tanh(z2)
    z3 = a2 @ t["W3"] + t["b3"]
    a3 = torch.sigmoid(z3)
    y = t["Y"]
    loss = -(y * torch.log(a3) + (1 - y) * torch.log(1 - a3)).mean()
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3, "loss": loss}


DENSE3_TANH_BCE = Family(
    name="dense3 tanh tanh sigmoid, binary cross-entropy, mean",
    source="""
    import numpy as np

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def train(X, Y, W1, b1, W2, b2, W3, b3, alpha):
        n = X.shape[0]
        for step in range(500):
            Z1 = X @ W1 + b1
            A1 = np.tanh(Z1)
            Z2 = A1 @ W2 + b2
            A2 = np.tanh(Z2)
            Z3 = A2 @ W3 + b3
            A3 = sigmoid(Z3)
            cost = -np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3))
            dZ3 = (A3 - Y) / n
            dW3 = A2.T @ dZ3
            db3 = dZ3.sum(axis=0, keepdims=True)
            dA2 = dZ3 @ W3.T
            dZ2 = dA2 * (1 - A2 ** 2)
            dW2 = A1.T @ dZ2
            db2 = dZ2.sum(axis=0, keepdims=True)
            dA1 = dZ2 @ W2.T
            dZ1 = dA1 * (1 - np.tanh(Z1) ** 2)
            dW1 = X.T @ dZ1
            db1 = dZ1.sum(axis=0, keepdims=True)
            W3 -= alpha * dW3
            b3 -= alpha * db3
            W2 -= alpha * dW2
            b2 -= alpha * db2
            W1 -= alpha * dW1
            b1 -= alpha * db1
    """,
    torch=_dense3_bce,
    leaves=ROWS | {"W3": "W3", "b3": "b3"},
    params=(*TWO_LAYERS, "W3", "b3"),
    values=named("dZ3=z3 dW3=W3 db3=b3 dA2=a2 dZ2=z2 dW2=W2 db2=b2 dA1=a1 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="alpha",
    layout="rows",
    shape="function, in place",
    idioms=tags("@; .T; .sum(axis, keepdims); np.tanh; np.log; np.mean; BCE; X.shape[0]; 3 layers"),
    function="train",
    inputs=dense_inputs([D, H, H, 1], binary(N, 1), alpha=0.05),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "W3", "b3", "alpha"),
)


def _relu3(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.relu(z2)
    out = a2 @ t["W3"] + t["b3"]
    loss = ((out - t["Y"]) ** 2).sum() / (2 * t["X"].shape[0])
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "out": out, "loss": loss}


RELU3_TRANSPOSE = Family(
    name="dense3 relu relu linear, np.transpose and astype",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, W3, b3, lr):
        m = X.shape[0]
        for epoch in range(100):
            Z1 = np.matmul(X, W1) + b1
            A1 = np.maximum(Z1, 0)
            Z2 = np.matmul(A1, W2) + b2
            A2 = np.maximum(Z2, 0)
            out = np.matmul(A2, W3) + b3
            loss = np.sum(np.square(out - Y)) / (2 * m)
            d_out = (out - Y) / m
            dW3 = np.matmul(np.transpose(A2), d_out)
            db3 = np.sum(d_out, axis=0, keepdims=True)
            dZ2 = np.matmul(d_out, np.transpose(W3)) * (Z2 > 0).astype(float)
            dW2 = np.matmul(np.transpose(A1), dZ2)
            db2 = np.sum(dZ2, axis=0, keepdims=True)
            dZ1 = np.matmul(dZ2, np.transpose(W2)) * (Z1 > 0).astype(float)
            dW1 = np.matmul(np.transpose(X), dZ1)
            db1 = np.sum(dZ1, axis=0, keepdims=True)
            W1 = W1 - lr * dW1
            b1 = b1 - lr * db1
            W2 = W2 - lr * dW2
            b2 = b2 - lr * db2
            W3 = W3 - lr * dW3
            b3 = b3 - lr * db3
        return W1, b1, W2, b2, W3, b3
    """,
    torch=_relu3,
    leaves=ROWS | {"W3": "W3", "b3": "b3"},
    params=(*TWO_LAYERS, "W3", "b3"),
    values=named("d_out=out dW3=W3 db3=b3 dZ2=z2 dW2=W2 db2=b2 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="rows",
    shape="function, returns weights",
    idioms=tags(
        "np.matmul; np.transpose; np.sum axis keepdims; np.maximum; .astype(float); "
        "mask (z > 0); np.square; W = W - lr * dW; 3 layers"
    ),
    function="train",
    inputs=dense_inputs([D, H, H, 1], normal(N, 1), lr=0.05),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "W3", "b3", "lr"),
)


def _einsum_bce_sum(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    p = torch.sigmoid(z2)
    y = t["Y"]
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum()
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


EINSUM_BCE_SUM = Family(
    name="dense2 sigmoid, BCE summed, einsum",
    source="""
    import numpy as np

    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def train(X, Y, W1, b1, W2, b2, eta):
        for _ in range(300):
            z1 = np.einsum("nd,dh->nh", X, W1) + b1
            a1 = sigmoid(z1)
            z2 = np.einsum("nh,ho->no", a1, W2) + b2
            p = sigmoid(z2)
            loss = -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p))
            dz2 = p - Y
            dW2 = np.einsum("nh,no->ho", a1, dz2)
            db2 = dz2.sum(0)
            da1 = np.einsum("no,ho->nh", dz2, W2)
            dz1 = da1 * a1 * (1 - a1)
            dW1 = np.einsum("nd,nh->dh", X, dz1)
            db1 = dz1.sum(0)
            W2 -= eta * dW2
            b2 -= eta * db2
            W1 -= eta * dW1
            b1 -= eta * db1
    """,
    torch=_einsum_bce_sum,
    leaves=ROWS,
    params=TWO_LAYERS,
    values=named("dz2=z2 dW2=W2 db2=b2 da1=a1 dz1=z1 dW1=W1 db1=b1"),
    start="z1",
    lr="eta",
    layout="rows",
    shape="function, in place",
    idioms=tags("np.einsum; .sum(0); np.log; BCE; sum loss; 1-D bias"),
    function="train",
    inputs=dense_inputs([D, H, 1], binary(N, 1), bias="flat", eta=0.1),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "eta"),
)


def _zeros_like_relu(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    loss = -(t["Y"] * torch.log_softmax(z2, dim=1)).sum() / len(t["X"])
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


ZEROS_LIKE_RELU = Family(
    name="dense2 relu softmax, zeros_like and boolean indexing",
    source="""
    import numpy as np

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def train(X, Y, W1, b1, W2, b2, lr):
        for epoch in range(100):
            z1 = X @ W1 + b1
            a1 = z1 * (z1 > 0)
            z2 = a1 @ W2 + b2
            y_hat = softmax(z2)
            loss = -np.sum(Y * np.log(y_hat)) / len(X)
            delta2 = (y_hat - Y) / len(X)
            grad_W2 = a1.T @ delta2
            grad_b2 = delta2.sum(axis=0, keepdims=True)
            delta1 = np.zeros_like(z1)
            delta1[z1 > 0] = (delta2 @ W2.T)[z1 > 0]
            grad_W1 = X.T @ delta1
            grad_b1 = delta1.sum(axis=0, keepdims=True)
            W1 -= lr * grad_W1
            b1 -= lr * grad_b1
            W2 -= lr * grad_W2
            b2 -= lr * grad_b2
    """,
    torch=_zeros_like_relu,
    leaves=ROWS,
    params=TWO_LAYERS,
    values=named("delta2=z2 grad_W2=W2 grad_b2=b2 delta1=z1 grad_W1=W1 grad_b1=b1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags(
        "@; .T; .sum(axis, keepdims); np.zeros_like; boolean indexing; len(X); softmax; one-hot; "
        "helper function"
    ),
    function="train",
    inputs=dense_inputs([D, H, C], onehot(N, C), lr=0.1),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _concat_bias(t):
    n = t["X"].shape[0]
    xb = torch.cat([t["X"], torch.ones(n, 1, dtype=torch.float64)], dim=1)
    z1 = xb @ t["W1"]
    hb = torch.cat([torch.sigmoid(z1), torch.ones(n, 1, dtype=torch.float64)], dim=1)
    out = torch.sigmoid(hb @ t["W2"])
    loss = ((out - t["Y"]) ** 2).sum() / 2
    return {"z1": z1, "hb": hb, "out": out, "loss": loss}


CONCAT_BIAS = Family(
    name="dense2 sigmoid, bias column by concatenate, slices",
    source="""
    import numpy as np

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def train(X, Y, W1, W2, lr):
        ones = np.ones((X.shape[0], 1))
        Xb = np.concatenate([X, ones], axis=1)
        for epoch in range(1000):
            h = sigmoid(Xb @ W1)
            hb = np.concatenate([h, ones], axis=1)
            out = sigmoid(hb @ W2)
            error = out - Y
            loss = np.sum(error ** 2) / 2
            out_delta = error * out * (1 - out)
            hb_delta = out_delta @ W2.T
            h_delta = hb_delta[:, :-1] * h * (1 - h)
            W2 -= lr * hb.T @ out_delta
            W1 -= lr * Xb.T @ h_delta
    """,
    torch=_concat_bias,
    leaves={"X": "X", "Y": "Y", "W1": "W1", "W2": "W2"},
    params=("W1", "W2"),
    values=named("hb_delta=hb h_delta=z1"),
    start="h",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags("np.concatenate; np.ones; slices; @; .T; half-SSE"),
    function="train",
    inputs={
        "X": normal(N, D),
        "Y": uniform(N, 1),
        "W1": normal(D + 1, H),
        "W2": normal(H + 1, 1),
        "lr": number(0.5),
    },
    call=_args("X", "Y", "W1", "W2", "lr"),
)


def _reshape_cosh(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = a1 @ t["w2"] + t["b2"]
    p = torch.sigmoid(z2)
    y = t["y"].reshape(-1, 1)
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


RESHAPE_COSH = Family(
    name="dense2 tanh logistic, 1-D targets reshaped, cosh",
    source="""
    import numpy as np

    def train(X, y, W1, b1, w2, b2, lr):
        y = y.reshape(-1, 1)
        m = y.shape[0]
        for epoch in range(100):
            z1 = X @ W1 + b1
            a1 = np.tanh(z1)
            z2 = a1 @ w2 + b2
            p = 1 / (1 + np.exp(-z2))
            loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            dz2 = (p - y) / m
            dw2 = a1.T @ dz2
            db2 = np.sum(dz2)
            dz1 = (dz2 @ w2.T) / np.cosh(z1) ** 2
            dW1 = X.T @ dz1
            db1 = np.sum(dz1, axis=0)
            W1 -= lr * dW1
            b1 -= lr * db1
            w2 -= lr * dw2
            b2 -= lr * db2
    """,
    torch=_reshape_cosh,
    leaves={"X": "X", "y": "y", "W1": "W1", "b1": "b1", "w2": "w2", "b2": "b2"},
    params=("W1", "b1", "w2", "b2"),
    values=named("dz2=z2 dw2=w2 db2=b2 dz1=z1 dW1=W1 db1=b1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags(
        "reshape; np.cosh; np.tanh; @; .T; np.sum; np.mean; BCE; scalar bias; reassigned names"
    ),
    function="train",
    inputs={"X": normal(N, D), "y": binary(N), "W1": normal(D, H), "b1": normal(H)}
    | {"w2": normal(H, 1), "b2": number(0.0), "lr": number(0.1)},
    call=_args("X", "y", "W1", "b1", "w2", "b2", "lr"),
)


FAMILIES = [
    DENSE3_TANH_BCE,
    RELU3_TRANSPOSE,
    EINSUM_BCE_SUM,
    ZEROS_LIKE_RELU,
    CONCAT_BIAS,
    RESHAPE_COSH,
]
