"""Per-sample loops, the regressions of first lessons, and weights kept in a list."""

from __future__ import annotations

import torch

from corpus.family import Family, binary, labels, named, normal, number, tags, uniform

N, D, H, C = 5, 3, 4, 3
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _per_sample(t):
    z1 = t["x"] @ t["W1"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(z2)
    loss = ((a2 - t["t"]) ** 2).sum() / 2
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


PER_SAMPLE_ROWS = Family(
    name="dense2 sigmoid, per-sample SGD loop over rows",
    source="""
    import numpy as np

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def train(X, Y, W1, b1, W2, b2, lr, epochs=10):
        n = len(X)
        for epoch in range(epochs):
            for i in range(n):
                x = X[i:i + 1]
                t = Y[i:i + 1]
                z1 = x @ W1 + b1
                a1 = sigmoid(z1)
                z2 = a1 @ W2 + b2
                a2 = sigmoid(z2)
                e = 0.5 * np.sum((a2 - t) ** 2)
                delta2 = (a2 - t) * a2 * (1 - a2)
                delta1 = delta2 @ W2.T * a1 * (1 - a1)
                W2 -= lr * a1.T @ delta2
                b2 -= lr * delta2
                W1 -= lr * x.T @ delta1
                b1 -= lr * delta1
    """,
    torch=_per_sample,
    leaves={"x": "x", "t": "t", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=TWO_LAYERS,
    values=named("delta2=z2 delta1=z1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="per-sample loop",
    idioms=tags("for i in range(n); slices; @; .T; len(X); half-SSE"),
    function="train",
    inputs={
        "X": normal(N, D),
        "Y": uniform(N, 1),
        "W1": normal(D, H),
        "b1": normal(1, H),
        "W2": normal(H, 1),
        "b2": normal(1, 1),
        "lr": number(0.5),
    },
    call=lambda ns, v: ns["train"](*(v[k] for k in ("X", "Y", *TWO_LAYERS, "lr"))),
)


def _outer(t):
    z = t["W1"].T @ t["x"] + t["b1"]
    h = torch.tanh(z)
    out = t["w2"] @ h + t["b2"]
    loss = (out - t["target"]) ** 2
    return {"z": z, "h": h, "out": out, "loss": loss}


PER_SAMPLE_OUTER = Family(
    name="dense2 tanh regression, per-sample 1-D vectors, np.outer",
    source="""
    import numpy as np

    def sgd_epoch(X, Y, W1, b1, w2, b2, lr):
        for x, target in zip(X, Y):
            h = np.tanh(W1.T @ x + b1)
            out = w2 @ h + b2
            loss = (out - target) ** 2
            dout = 2 * (out - target)
            dh = dout * w2
            dz = dh * (1 - h ** 2)
            W1 -= lr * np.outer(x, dz)
            b1 -= lr * dz
            w2 -= lr * dout * h
            b2 -= lr * dout
    """,
    torch=_outer,
    leaves={"x": "x", "target": "target", "W1": "W1", "b1": "b1", "w2": "w2", "b2": "b2"},
    params=("W1", "b1", "w2", "b2"),
    values=named("dout=out dh=h dz=z"),
    start="h",
    lr="lr",
    layout="rows",
    shape="per-sample loop",
    idioms=tags("for x, t in zip; np.outer; 1-D vectors; @; .T; np.tanh"),
    function="sgd_epoch",
    inputs={
        "X": normal(N, D),
        "Y": normal(N),
        "W1": normal(D, H),
        "b1": normal(H),
        "w2": normal(H),
        "b2": normal(1),
        "lr": number(0.05),
    },
    call=lambda ns, v: ns["sgd_epoch"](*(v[k] for k in ("X", "Y", "W1", "b1", "w2", "b2", "lr"))),
)


def _line(t):
    pred = t["m"] * t["x"] + t["c"]
    loss = ((t["y"] - pred) ** 2).mean()
    return {"pred": pred, "loss": loss}


LINEAR_SCALAR = Family(
    name="linear regression y = m x + c, scalar parameters",
    source="""
    import numpy as np

    def fit(x, y, L=0.0001, epochs=1000):
        m = 0.0
        c = 0.0
        n = float(len(x))
        for i in range(epochs):
            Y_pred = m * x + c
            D_m = (-2 / n) * sum(x * (y - Y_pred))
            D_c = (-2 / n) * sum(y - Y_pred)
            m = m - L * D_m
            c = c - L * D_c
        return m, c
    """,
    torch=_line,
    leaves={"x": "x", "y": "y", "m": "m", "c": "c"},
    params=("m", "c"),
    values=named("D_m=m D_c=c"),
    start="Y_pred",
    lr="L",
    layout="scalar",
    shape="function, returns weights",
    idioms=tags("sum(); float(len(x)); (-2 / n) *; --loss; W = W - lr * dW; scalar parameters"),
    function="fit",
    loss="np.mean((y - Y_pred) ** 2)",
    inputs={"x": normal(8), "y": normal(8)},
    call=lambda ns, v: ns["fit"](v["x"], v["y"]),
)


def _normal_equations(t):
    residual = t["X"] @ t["w"] + t["b"] - t["y"]
    loss = (residual**2).mean()
    return {"residual": residual, "loss": loss}


LINEAR_VECTOR = Family(
    name="linear regression, vectorised, 1-D weights and targets",
    source="""
    import numpy as np

    def gradient_descent(X, y, w, b, learning_rate, n_iters=500):
        n_samples, n_features = X.shape
        for _ in range(n_iters):
            y_predicted = np.dot(X, w) + b
            residual = y_predicted - y
            dw = (2 / n_samples) * np.dot(X.T, residual)
            db = (2 / n_samples) * np.sum(residual)
            w -= learning_rate * dw
            b -= learning_rate * db
        return w, b
    """,
    torch=_normal_equations,
    leaves={"X": "X", "y": "y", "w": "w", "b": "b"},
    params=("w", "b"),
    values=named("dw=w db=b"),
    start="y_predicted",
    lr="learning_rate",
    layout="rows",
    shape="function, returns weights",
    idioms=tags("np.dot; .T; np.sum; tuple unpacking; X.shape; 1-D vectors; --loss"),
    function="gradient_descent",
    loss="np.mean((y_predicted - y) ** 2)",
    inputs={
        "X": normal(N, D),
        "y": normal(N),
        "w": normal(D),
        "b": number(0.5),
        "learning_rate": number(0.01),
    },
    call=lambda ns, v: ns["gradient_descent"](v["X"], v["y"], v["w"], v["b"], v["learning_rate"]),
)


def _logistic_rows(t):
    z = t["X"] @ t["w"] + t["b"]
    p = torch.sigmoid(z)
    y = t["y"]
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    return {"z": z, "loss": loss}


LOGISTIC_ROWS = Family(
    name="logistic regression, rows, returns loss and a dict of gradients",
    source="""
    import numpy as np

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def loss_and_gradients(w, b, X, y):
        m = len(y)
        z = X @ w + b
        p = sigmoid(z)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        dz = p - y
        dw = X.T @ dz / m
        db = np.mean(dz)
        return loss, {"w": dw, "b": db}
    """,
    torch=_logistic_rows,
    leaves={"X": "X", "y": "y", "w": "w", "b": "b"},
    params=("w", "b"),
    values=named(f"dz={N}*z dw=w db=b"),
    start="z",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=tags("@; .T; np.mean; np.log; BCE; len(y); 1-D vectors; dict of gradients"),
    function="loss_and_gradients",
    inputs={"w": normal(D), "b": number(-0.2), "X": normal(N, D), "y": binary(N)},
    call=lambda ns, v: ns["loss_and_gradients"](v["w"], v["b"], v["X"], v["y"]),
    returned={"w": (1, "w"), "b": (1, "b")},
)


def _softmax_regression(t):
    scores = torch.einsum("nd,dk->nk", t["X"], t["W"])
    loss = torch.nn.functional.cross_entropy(scores, t["y"], reduction="sum")
    return {"scores": scores, "loss": loss}


SOFTMAX_REGRESSION = Family(
    name="softmax regression, integer labels, einsum, summed loss",
    source="""
    import numpy as np

    def step(X, y, W, lr):
        scores = np.einsum("nd,dk->nk", X, W)
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.sum(np.log(probs[np.arange(n), y]))
        onehot = np.zeros_like(probs)
        onehot[np.arange(n), y] = 1
        dscores = probs - onehot
        dW = np.einsum("nd,nk->dk", X, dscores)
        W -= lr * dW
        return loss
    """,
    torch=_softmax_regression,
    leaves={"X": "X", "y": "y", "W": "W"},
    params=("W",),
    values=named("dscores=scores dW=W"),
    start="scores",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags(
        "np.einsum; -=; /=; np.zeros_like; probs[np.arange(N), y]; softmax; integer labels; "
        "sum loss"
    ),
    function="step",
    inputs={"X": normal(N, D), "y": labels(N, C), "W": normal(D, C), "lr": number(0.1)},
    call=lambda ns, v: ns["step"](v["X"], v["y"], v["W"], v["lr"]),
    integer=("y",),
)


def _delta_chain(t):
    z1 = t["X"] @ t["W1"]
    z2 = torch.sigmoid(z1) @ t["W2"]
    z3 = torch.sigmoid(z2) @ t["W3"]
    loss = ((torch.sigmoid(z3) - t["Y"]) ** 2).sum() / t["X"].shape[0]
    return {"z1": z1, "z2": z2, "z3": z3, "loss": loss}


DELTA_CHAIN = Family(
    name="dense3 sigmoid without biases, one delta name, weights list",
    source="""
    import numpy as np

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def train(X, Y, weights, lr):
        m = X.shape[0]
        for epoch in range(100):
            a1 = sigmoid(X @ weights[0])
            a2 = sigmoid(a1 @ weights[1])
            a3 = sigmoid(a2 @ weights[2])
            loss = np.sum((a3 - Y) ** 2) / m
            delta = 2 * (a3 - Y) / m * a3 * (1 - a3)
            g3 = a2.T @ delta
            delta = delta @ weights[2].T * a2 * (1 - a2)
            g2 = a1.T @ delta
            delta = delta @ weights[1].T * a1 * (1 - a1)
            g1 = X.T @ delta
            weights[0] -= lr * g1
            weights[1] -= lr * g2
            weights[2] -= lr * g3
    """,
    torch=_delta_chain,
    leaves={"X": "X", "Y": "Y", "W1": "weights[0]", "W2": "weights[1]", "W3": "weights[2]"},
    params=("W1", "W2", "W3"),
    values=named("delta=z3 g3=W3 delta#2=z2 g2=W2 delta#3=z1 g1=W1"),
    start="a1",
    lr="lr",
    layout="rows",
    shape="function, weights list",
    idioms=tags("@; .T; reassigned names; weights[0]; 3 layers; X.shape[0]"),
    function="train",
    inputs={
        "X": normal(N, D),
        "Y": uniform(N, 2),
        "W1": normal(D, H),
        "W2": normal(H, H),
        "W3": normal(H, 2),
        "lr": number(0.5),
    },
    call=lambda ns, v: ns["train"](v["X"], v["Y"], [v["W1"], v["W2"], v["W3"]], v["lr"]),
)


FAMILIES = [
    PER_SAMPLE_ROWS,
    PER_SAMPLE_OUTER,
    LINEAR_SCALAR,
    LINEAR_VECTOR,
    LOGISTIC_ROWS,
    SOFTMAX_REGRESSION,
    DELTA_CHAIN,
]
