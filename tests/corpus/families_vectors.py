"""Code over 1-D vectors: per-sample loops over rows by index, a logistic regression with a
weight vector stepped in a loop, a slope and intercept fitted with np.mean, and a target
reshaped to one column with a ReLU net and an MSE."""

from __future__ import annotations

import torch

from corpus.family import Family, binary, named, normal, number, tags

N, D, H = 5, 3, 4


def _per_sample_bce(t):
    z1 = t["W1"].T @ t["x"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = t["w2"] @ a1 + t["b2"]
    p = torch.sigmoid(z2)
    loss = -(t["t"] * torch.log(p) + (1 - t["t"]) * torch.log(1 - p))
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


PER_SAMPLE_INDEX = Family(
    name="dense2 relu sigmoid, per-sample loop by index over 1-D rows, BCE",
    source="""
    import numpy as np

    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    def sgd(X, y, W1, b1, w2, b2, lr, epochs=20):
        for epoch in range(epochs):
            for i in range(len(X)):
                x = X[i]
                t = y[i]
                z1 = W1.T @ x + b1
                a1 = np.maximum(z1, 0)
                z2 = np.dot(w2, a1) + b2
                p = sigmoid(z2)
                loss = -(t * np.log(p) + (1 - t) * np.log(1 - p))
                dz2 = p - t
                da1 = dz2 * w2
                dz1 = da1 * (z1 > 0)
                W1 -= lr * np.outer(x, dz1)
                b1 -= lr * dz1
                w2 -= lr * dz2 * a1
                b2 -= lr * dz2
    """,
    torch=_per_sample_bce,
    leaves={"x": "x", "t": "t", "W1": "W1", "b1": "b1", "w2": "w2", "b2": "b2"},
    params=("W1", "b1", "w2", "b2"),
    values=named("dz2=z2 da1=a1 dz1=z1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="per-sample loop",
    idioms=tags("for i in range(n); 1-D vectors; @; .T; np.outer; np.maximum; BCE; len(X)"),
    function="sgd",
    inputs={
        "X": normal(N, D),
        "y": binary(N),
        "W1": normal(D, H),
        "b1": normal(H),
        "w2": normal(H),
        "b2": number(0.1),
        "lr": number(0.05),
    },
    call=lambda ns, v: ns["sgd"](*(v[k] for k in ("X", "y", "W1", "b1", "w2", "b2", "lr"))),
)


def _logistic_vector(t):
    z = t["X"] @ t["w"] + t["b"]
    p = torch.sigmoid(z)
    loss = -(t["y"] * torch.log(p) + (1 - t["y"]) * torch.log(1 - p)).mean()
    return {"z": z, "p": p, "loss": loss}


LOGISTIC_VECTOR = Family(
    name="logistic regression, a weight vector and a number bias stepped in a loop",
    source="""
    import numpy as np

    def fit(X, y, w, b, lr=0.1, iterations=300):
        n = X.shape[0]
        for _ in range(iterations):
            z = X.dot(w) + b
            p = 1 / (1 + np.exp(-z))
            cost = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            error = p - y
            grad_w = X.T.dot(error) / n
            grad_b = np.sum(error) / n
            w = w - lr * grad_w
            b = b - lr * grad_b
        return w, b
    """,
    torch=_logistic_vector,
    leaves={"X": "X", "y": "y", "w": "w", "b": "b"},
    params=("w", "b"),
    values=named(f"error={N}*z grad_w=w grad_b=b"),
    start="z",
    lr="lr",
    layout="rows",
    shape="function, returns weights",
    idioms=tags(".dot; .T; np.mean; np.sum; np.log; BCE; X.shape[0]; 1-D vectors; scalar bias"),
    function="fit",
    inputs={"X": normal(N, D), "y": binary(N), "w": normal(D), "b": number(0.2)},
    call=lambda ns, v: ns["fit"](v["X"], v["y"], v["w"], v["b"]),
)


def _line_mean(t):
    pred = t["slope"] * t["x"] + t["intercept"]
    loss = ((pred - t["y"]) ** 2).mean()
    return {"pred": pred, "loss": loss}


LINE_MEAN = Family(
    name="linear regression, slope and intercept with np.mean",
    source="""
    import numpy as np

    def gradient_descent(x, y, learning_rate=0.01, steps=1000):
        slope, intercept = 0.0, 0.0
        for _ in range(steps):
            pred = slope * x + intercept
            residual = pred - y
            d_slope = 2 * np.mean(residual * x)
            d_intercept = 2 * np.mean(residual)
            slope -= learning_rate * d_slope
            intercept -= learning_rate * d_intercept
        return slope, intercept
    """,
    torch=_line_mean,
    leaves={"x": "x", "y": "y", "slope": "slope", "intercept": "intercept"},
    params=("slope", "intercept"),
    values=named("d_slope=slope d_intercept=intercept"),
    start="pred",
    lr="learning_rate",
    layout="scalar",
    shape="function, returns weights",
    idioms=tags("np.mean; tuple unpacking; --loss; -=; scalar parameters"),
    function="gradient_descent",
    loss="np.mean((pred - y) ** 2)",
    inputs={"x": normal(8), "y": normal(8)},
    call=lambda ns, v: ns["gradient_descent"](v["x"], v["y"]),
)


def _relu_column_target(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    h = torch.relu(z1)
    out = h @ t["W2"] + t["b2"]
    loss = ((out - t["y"].reshape(-1, 1)) ** 2).mean()
    return {"z1": z1, "h": h, "out": out, "loss": loss}


RESHAPED_MSE = Family(
    name="dense2 relu regression, 1-D targets reshaped to a column, MSE",
    source="""
    import numpy as np

    def train(X, y, W1, b1, W2, b2, lr):
        y = y.reshape(-1, 1)
        n = len(X)
        for epoch in range(50):
            h = np.maximum(0, X @ W1 + b1)
            out = h @ W2 + b2
            loss = np.mean((out - y) ** 2)
            dout = 2 * (out - y) / n
            dW2 = h.T @ dout
            db2 = dout.sum(axis=0)
            dh = dout @ W2.T
            dh[h <= 0] = 0
            dW1 = X.T @ dh
            db1 = dh.sum(axis=0)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
    """,
    torch=_relu_column_target,
    leaves={"X": "X", "y": "y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=("W1", "b1", "W2", "b2"),
    values=named("dout=out dh=z1 dW2=W2 db2=b2 dW1=W1 db1=b1"),
    start="h",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags("reshape; reassigned names; @; .T; np.maximum; dz[z <= 0] = 0; len(X)"),
    function="train",
    inputs={
        "X": normal(N, D),
        "y": normal(N),
        "W1": normal(D, H),
        "b1": normal(H),
        "W2": normal(H, 1),
        "b2": normal(1),
        "lr": number(0.05),
    },
    call=lambda ns, v: ns["train"](*(v[k] for k in ("X", "y", "W1", "b1", "W2", "b2", "lr"))),
)


FAMILIES = [PER_SAMPLE_INDEX, LOGISTIC_VECTOR, LINE_MEAN, RESHAPED_MSE]
