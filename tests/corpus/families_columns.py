"""Samples as columns (``W @ X + b``, ``np.sum(dZ, axis=1, keepdims=True) / m``): course style."""

from __future__ import annotations

import torch

from corpus.family import Family, binary, dense_inputs, named, normal, number, onehot, tags, uniform

M, D, H, C = 5, 3, 4, 3
COLUMNS = {"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"}
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _args(*names, function="train"):
    return lambda ns, v: ns[function](*(v[n] for n in names))


def _inputs(out=1, target=binary):
    return dense_inputs([D, H, out], target(out, M), n=M, columns=True, lr=0.1)


def _bce(a, y):
    return -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum() / y.shape[1]


def _tanh_sigmoid(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    a2 = torch.sigmoid(z2)
    return {"z1": z1, "a1": a1, "z2": z2, "loss": _bce(a2, t["Y"])}


PLANAR = Family(
    name="dense2 tanh sigmoid BCE, columns, parameters dict (course notebook)",
    source="""
    import numpy as np

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def train_step(X, Y, parameters, learning_rate=1.2):
        m = X.shape[1]
        W1 = parameters["W1"]
        b1 = parameters["b1"]
        W2 = parameters["W2"]
        b2 = parameters["b2"]
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = sigmoid(Z2)
        logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
        cost = -np.sum(logprobs) / m
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        parameters["W1"] = W1 - learning_rate * dW1
        parameters["b1"] = b1 - learning_rate * db1
        parameters["W2"] = W2 - learning_rate * dW2
        parameters["b2"] = b2 - learning_rate * db2
        return parameters, cost
    """,
    torch=_tanh_sigmoid,
    leaves={"X": "X", "Y": "Y"} | {k: f"parameters[{k!r}]" for k in TWO_LAYERS},
    params=TWO_LAYERS,
    values=named(f"dZ2={M}*z2 dW2=W2 db2=b2 dZ1={M}*z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="learning_rate",
    layout="columns",
    shape="function, parameters dict",
    idioms=tags(
        "np.dot; .T; np.sum axis keepdims; np.multiply; np.power; np.tanh; np.log; BCE; "
        "X.shape[1]; params['W1']; (1 / m) *"
    ),
    function="train_step",
    inputs=_inputs(),
    call=lambda ns, v: ns["train_step"](v["X"], v["Y"], {k: v[k] for k in TWO_LAYERS}),
)


def _relu_sigmoid(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    a2 = torch.sigmoid(z2)
    return {"z1": z1, "a1": a1, "z2": z2, "loss": _bce(a2, t["Y"])}


RELU_SIGMOID = Family(
    name="dense2 relu sigmoid BCE, columns, @ and masks",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr, num_iterations=1000):
        m = X.shape[1]
        for i in range(num_iterations):
            Z1 = W1 @ X + b1
            A1 = np.maximum(0, Z1)
            Z2 = W2 @ A1 + b2
            A2 = 1 / (1 + np.exp(-Z2))
            cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
            dZ2 = (A2 - Y) / m
            dW2 = dZ2 @ A1.T
            db2 = np.sum(dZ2, axis=1, keepdims=True)
            dA1 = W2.T @ dZ2
            dZ1 = dA1 * (Z1 > 0)
            dW1 = dZ1 @ X.T
            db1 = np.sum(dZ1, axis=1, keepdims=True)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
    """,
    torch=_relu_sigmoid,
    leaves=COLUMNS,
    params=TWO_LAYERS,
    values=named("dZ2=z2 dW2=W2 db2=b2 dA1=a1 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="columns",
    shape="function, in place",
    idioms=tags("@; .T; np.sum axis keepdims; np.maximum; mask (z > 0); np.log; BCE; X.shape[1]"),
    function="train",
    inputs=_inputs(),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _softmax3(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.relu(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    a2 = torch.relu(z2)
    z3 = t["W3"] @ a2 + t["b3"]
    loss = -(t["Y"] * torch.log_softmax(z3, dim=0)).sum() / t["X"].shape[1]
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3, "loss": loss}


SOFTMAX3 = Family(
    name="dense3 relu relu softmax, columns, one-hot columns",
    source="""
    import numpy as np

    def relu(Z):
        return np.maximum(0, Z)

    def softmax(Z):
        expZ = np.exp(Z - np.max(Z, axis=0, keepdims=True))
        return expZ / np.sum(expZ, axis=0, keepdims=True)

    def train(X, Y, W1, b1, W2, b2, W3, b3, lr):
        m = X.shape[1]
        for epoch in range(100):
            Z1 = W1 @ X + b1
            A1 = relu(Z1)
            Z2 = W2 @ A1 + b2
            A2 = relu(Z2)
            Z3 = W3 @ A2 + b3
            A3 = softmax(Z3)
            cost = -np.sum(Y * np.log(A3)) / m
            dZ3 = A3 - Y
            dW3 = dZ3 @ A2.T / m
            db3 = np.sum(dZ3, axis=1, keepdims=True) / m
            dA2 = W3.T @ dZ3
            dZ2 = dA2 * (Z2 > 0)
            dW2 = dZ2 @ A1.T / m
            db2 = np.sum(dZ2, axis=1, keepdims=True) / m
            dA1 = W2.T @ dZ2
            dZ1 = dA1 * (Z1 > 0)
            dW1 = dZ1 @ X.T / m
            db1 = np.sum(dZ1, axis=1, keepdims=True) / m
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
            W3 -= lr * dW3
            b3 -= lr * db3
    """,
    torch=_softmax3,
    leaves=COLUMNS | {"W3": "W3", "b3": "b3"},
    params=(*TWO_LAYERS, "W3", "b3"),
    values=named(
        f"dZ3={M}*z3 dW3=W3 db3=b3 dA2={M}*a2 dZ2={M}*z2 dW2=W2 db2=b2 "
        f"dA1={M}*a1 dZ1={M}*z1 dW1=W1 db1=b1"
    ),
    start="Z1",
    lr="lr",
    layout="columns",
    shape="function, in place",
    idioms=tags(
        "@; .T; np.sum axis keepdims; np.maximum; mask (z > 0); softmax; one-hot; X.shape[1]; "
        "3 layers; helper function"
    ),
    function="train",
    inputs=dense_inputs([D, H, H, C], onehot(M, C, columns=True), n=M, columns=True, lr=0.1),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "W3", "b3", "lr"),
)


def _logistic_columns(t):
    a = torch.sigmoid(t["w"].T @ t["X"] + t["b"])
    return {"a": a, "loss": _bce(a, t["Y"])}


PROPAGATE = Family(
    name="logistic regression, columns, returns (grads, cost)",
    source="""
    import numpy as np

    def sigmoid(z):
        s = 1 / (1 + np.exp(-z))
        return s

    def propagate(w, b, X, Y):
        m = X.shape[1]
        A = sigmoid(np.dot(w.T, X) + b)
        cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        dw = 1 / m * np.dot(X, (A - Y).T)
        db = 1 / m * np.sum(A - Y)
        grads = {"dw": dw, "db": db}
        return grads, cost
    """,
    torch=_logistic_columns,
    leaves={"X": "X", "Y": "Y", "w": "w", "b": "b"},
    params=("w", "b"),
    values=named("dw=w db=b"),
    start="A",
    lr="1.0",
    layout="columns",
    shape="function, returns gradients",
    idioms=tags(
        "np.dot; .T; np.sum; np.log; BCE; X.shape[1]; dict of gradients; scalar bias; -1 / m *"
    ),
    function="propagate",
    inputs={"w": normal(D, 1), "b": number(0.3), "X": normal(D, M), "Y": binary(1, M)},
    call=lambda ns, v: ns["propagate"](v["w"], v["b"], v["X"], v["Y"]),
    returned={"w": (0, "dw"), "b": (0, "db")},
)


def _mse_columns(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.nn.functional.leaky_relu(z1, 0.1)
    out = t["W2"] @ a1 + t["b2"]
    loss = ((out - t["Y"]) ** 2).mean()
    return {"z1": z1, "a1": a1, "out": out, "loss": loss}


LEAKY_COLUMNS = Family(
    name="dense2 leaky relu regression, columns, .dot",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr):
        m = X.shape[1]
        for it in range(100):
            Z1 = W1.dot(X) + b1
            A1 = np.where(Z1 > 0, Z1, 0.1 * Z1)
            out = W2.dot(A1) + b2
            loss = np.mean((out - Y) ** 2)
            dout = 2 * (out - Y) / out.size
            dW2 = dout.dot(A1.T)
            db2 = np.sum(dout, axis=1, keepdims=True)
            dA1 = W2.T.dot(dout)
            dZ1 = dA1 * np.where(Z1 > 0, 1, 0.1)
            dW1 = dZ1.dot(X.T)
            db1 = np.sum(dZ1, axis=1, keepdims=True)
            W2 -= lr * dW2
            b2 -= lr * db2
            W1 -= lr * dW1
            b1 -= lr * db1
    """,
    torch=_mse_columns,
    leaves=COLUMNS,
    params=TWO_LAYERS,
    values=named("dout=out dW2=W2 db2=b2 dA1=a1 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="columns",
    shape="function, in place",
    idioms=tags(".dot; .T; np.sum axis keepdims; np.where; leaky relu; np.mean; out.size"),
    function="train",
    inputs=_inputs(2, normal),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _sigmoid_half_sse_columns(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    a2 = torch.sigmoid(z2)
    loss = ((a2 - t["Y"]) ** 2).sum() / 2
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss}


REASSIGNED_DELTA = Family(
    name="dense2 sigmoid half-SSE, columns, one name for both deltas",
    source="""
    import numpy as np

    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def train(X, Y, W1, b1, W2, b2, lr):
        for epoch in range(2000):
            a1 = sigmoid(W1 @ X + b1)
            a2 = sigmoid(W2 @ a1 + b2)
            loss = 0.5 * np.sum((a2 - Y) ** 2)
            delta = (a2 - Y) * a2 * (1 - a2)
            dW2 = delta @ a1.T
            db2 = delta.sum(axis=1, keepdims=True)
            delta = (W2.T @ delta) * a1 * (1 - a1)
            dW1 = delta @ X.T
            db1 = delta.sum(axis=1, keepdims=True)
            W2 -= lr * dW2
            b2 -= lr * db2
            W1 -= lr * dW1
            b1 -= lr * db1
    """,
    torch=_sigmoid_half_sse_columns,
    leaves=COLUMNS,
    params=TWO_LAYERS,
    values=named("delta=z2 dW2=W2 db2=b2 delta#2=z1 dW1=W1 db1=b1"),
    start="a1",
    lr="lr",
    layout="columns",
    shape="function, in place",
    idioms=tags("@; .T; .sum(axis, keepdims); reassigned names; half-SSE"),
    function="train",
    inputs=_inputs(1, uniform),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


def _mean_columns(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    loss = ((z2 - t["Y"]) ** 2).sum() / (2 * t["X"].shape[1])
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


MEAN_KEEPDIMS = Family(
    name="dense2 sigmoid regression, columns, np.mean with axis and keepdims",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr):
        n_x, m = X.shape
        for i in range(100):
            Z1 = np.dot(W1, X) + b1
            A1 = 1 / (1 + np.exp(-Z1))
            Z2 = np.dot(W2, A1) + b2
            cost = np.sum((Z2 - Y) ** 2) / (2 * m)
            dZ2 = Z2 - Y
            dW2 = np.dot(dZ2, A1.T) / m
            db2 = np.mean(dZ2, axis=1, keepdims=True)
            dA1 = np.dot(W2.T, dZ2)
            dZ1 = dA1 * A1 * (1 - A1)
            dW1 = np.dot(dZ1, X.T) / m
            db1 = np.mean(dZ1, axis=1, keepdims=True)
            W1 = W1 - lr * dW1
            b1 = b1 - lr * db1
            W2 = W2 - lr * dW2
            b2 = b2 - lr * db2
        return W1, b1, W2, b2
    """,
    torch=_mean_columns,
    leaves=COLUMNS,
    params=TWO_LAYERS,
    values=named(f"dZ2={M}*z2 dW2=W2 db2=b2 dA1={M}*a1 dZ1={M}*z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="lr",
    layout="columns",
    shape="function, returns weights",
    idioms=tags(
        "np.dot; .T; np.mean axis keepdims; tuple unpacking; X.shape; W = W - lr * dW; half-SSE"
    ),
    function="train",
    inputs=_inputs(2, normal),
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "lr"),
)


FAMILIES = [
    PLANAR,
    RELU_SIGMOID,
    SOFTMAX3,
    PROPAGATE,
    LEAKY_COLUMNS,
    REASSIGNED_DELTA,
    MEAN_KEEPDIMS,
]
