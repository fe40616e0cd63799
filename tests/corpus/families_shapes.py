"""Programs of every shape: gradients returned, weights in a dict or on ``self``, module-level
training loops, per-sample loops, and the regressions of first lessons."""

from __future__ import annotations

import torch

from corpus.family import Family, binary, labels, normal, number, onehot, uniform

N, D, H, C = 5, 3, 4, 3
TWO_LAYERS = ("W1", "b1", "W2", "b2")


def _softmax_int(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    scores = torch.relu(z1) @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(scores, t["y"])
    return {"z1": z1, "scores": scores, "loss": loss}


LOSS_AND_GRADS = Family(
    name="dense2 relu softmax, params dict, returns loss, grads",
    source="""
    import numpy as np

    def loss_and_grads(X, y, params):
        W1, b1 = params['W1'], params['b1']
        W2, b2 = params['W2'], params['b2']
        N, D = X.shape
        h = np.maximum(0, X.dot(W1) + b1)
        scores = h.dot(W2) + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        probs = np.exp(log_probs)
        loss = -log_probs[np.arange(N), y].mean()
        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads['W2'] = h.T.dot(dscores)
        grads['b2'] = dscores.sum(axis=0)
        dh = dscores.dot(W2.T)
        dh[h <= 0] = 0
        grads['W1'] = X.T.dot(dh)
        grads['b1'] = dh.sum(axis=0)
        return loss, grads
    """,
    torch=_softmax_int,
    leaves={"X": "X", "y": "y"} | {k: f"params[{k!r}]" for k in TWO_LAYERS},
    params=TWO_LAYERS,
    values={"dscores": "scores", "grads['W2']": "W2", "grads['b2']": "b2", "dh": "z1",
            "grads['W1']": "W1", "grads['b1']": "b1"},
    start="h",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=(".dot", ".T", ".sum(axis)", "np.maximum", "probs[np.arange(N), y]", "-= 1",
            "dz[z <= 0] = 0", ".copy()", "tuple unpacking", "params['W1']", "dict of gradients",
            "softmax", "integer labels"),
    function="loss_and_grads",
    inputs={"X": normal(N, D), "y": labels(N, C), "W1": normal(D, H), "b1": normal(H),
            "W2": normal(H, C), "b2": normal(C)},
    call=lambda ns, v: ns["loss_and_grads"](v["X"], v["y"], {k: v[k] for k in TWO_LAYERS}),
    returned={p: (1, p) for p in TWO_LAYERS},
    integer=("y",),
)


def _class_net(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ t["W2"] + t["b2"]
    a2 = torch.sigmoid(z2)
    loss = ((a2 - t["Y"]) ** 2).mean()
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": loss}


CLASS_NET = Family(
    name="dense2 sigmoid MSE, class with forward and train_step",
    source="""
    import numpy as np

    class Net:
        def __init__(self, n_in, n_hidden, n_out):
            self.W1 = np.random.randn(n_in, n_hidden) * 0.5
            self.b1 = np.zeros((1, n_hidden))
            self.W2 = np.random.randn(n_hidden, n_out) * 0.5
            self.b2 = np.zeros((1, n_out))

        def sigmoid(self, x):
            return 1 / (1 + np.exp(-x))

        def forward(self, X):
            self.z1 = X @ self.W1 + self.b1
            self.a1 = self.sigmoid(self.z1)
            self.z2 = self.a1 @ self.W2 + self.b2
            self.a2 = self.sigmoid(self.z2)
            return self.a2

        def train_step(self, X, Y, lr=0.5):
            out = self.forward(X)
            loss = np.mean((out - Y) ** 2)
            d_out = 2 * (out - Y) / out.size
            d_z2 = d_out * out * (1 - out)
            d_W2 = self.a1.T @ d_z2
            d_b2 = np.sum(d_z2, axis=0, keepdims=True)
            d_a1 = d_z2 @ self.W2.T
            d_z1 = d_a1 * self.a1 * (1 - self.a1)
            d_W1 = X.T @ d_z1
            d_b1 = np.sum(d_z1, axis=0, keepdims=True)
            self.W2 -= lr * d_W2
            self.b2 -= lr * d_b2
            self.W1 -= lr * d_W1
            self.b1 -= lr * d_b1
            return loss
    """,
    torch=_class_net,
    leaves={"X": "X", "Y": "Y"} | {k: f"self.{k}" for k in TWO_LAYERS},
    params=TWO_LAYERS,
    values={"d_out": "a2", "d_z2": "z2", "d_W2": "W2", "d_b2": "b2", "d_a1": "a1",
            "d_z1": "z1", "d_W1": "W1", "d_b1": "b1"},
    start="out",
    lr="lr",
    layout="rows",
    shape="class",
    idioms=("@", ".T", "np.sum axis keepdims", "self.W1", "np.mean", "out.size", "method"),
    function="Net.train_step",
    inputs={"X": normal(N, D), "Y": uniform(N, 1)},
    call=lambda ns, v: ns["Net"](D, H, 1).train_step(v["X"], v["Y"]),
)


def _class_columns(t):
    z1 = t["W1"] @ t["X"] + t["b1"]
    a1 = torch.tanh(z1)
    z2 = t["W2"] @ a1 + t["b2"]
    loss = -(t["Y"] * torch.log_softmax(z2, dim=0)).sum() / t["X"].shape[1]
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss}


CLASS_COLUMNS = Family(
    name="dense2 tanh softmax, class, columns, weights in self.params",
    source="""
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
    """,
    torch=_class_columns,
    leaves={"X": "X", "Y": "Y"} | {k: f"self.params[{k!r}]" for k in TWO_LAYERS},
    params=TWO_LAYERS,
    values={"dZ2": "z2", "dW2": "W2", "db2": "b2", "dZ1": "z1", "dW1": "W1", "db1": "b1"},
    start="Z1",
    lr="learning_rate",
    layout="columns",
    shape="class",
    idioms=("@", ".T", ".sum(axis, keepdims)", "np.tanh", "softmax", "one-hot",
            "self.params['W1']", "alias of a dict", "X.shape[1]"),
    function="TwoLayerNet.train_step",
    inputs={"X": normal(D, N), "Y": onehot(N, C, columns=True)},
    call=lambda ns, v: ns["TwoLayerNet"]([D, H, C]).train_step(v["X"], v["Y"], 0.1),
)


def _tuple_mse(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.tanh(z1)
    a2 = a1 @ t["W2"] + t["b2"]
    loss = ((a2 - t["y"]) ** 2).mean()
    return {"z1": z1, "a1": a1, "a2": a2, "loss": loss}


RETURNS_TUPLE = Family(
    name="dense2 tanh regression, backward returns a tuple, no loss in the code",
    source="""
    import numpy as np

    def backward(X, y, W1, b1, W2, b2):
        n = X.shape[0]
        a1 = np.tanh(X @ W1 + b1)
        a2 = a1 @ W2 + b2
        da2 = 2 * (a2 - y) / n
        dW2 = a1.T @ da2
        db2 = da2.sum(axis=0)
        dz1 = (da2 @ W2.T) * (1 - a1 * a1)
        dW1 = X.T @ dz1
        db1 = dz1.sum(axis=0)
        return dW1, db1, dW2, db2
    """,
    torch=_tuple_mse,
    leaves={"X": "X", "y": "y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=TWO_LAYERS,
    values={"da2": "a2", "dW2": "W2", "db2": "b2", "dz1": "z1", "dW1": "W1", "db1": "b1"},
    start="a1",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=("@", ".T", ".sum(axis)", "np.tanh", "tuple of gradients", "--loss", "X.shape[0]"),
    function="backward",
    loss="np.mean((a2 - y) ** 2)",
    inputs={"X": normal(N, D), "y": normal(N, 1), "W1": normal(D, H), "b1": normal(H),
            "W2": normal(H, 1), "b2": normal(1)},
    call=lambda ns, v: ns["backward"](*(v[k] for k in ("X", "y", *TWO_LAYERS))),
    returned={"W1": (0,), "b1": (1,), "W2": (2,), "b2": (3,)},
)


def _trask(t):
    l1 = torch.sigmoid(t["l0"] @ t["syn0"])
    l2 = torch.sigmoid(l1 @ t["syn1"])
    loss = ((t["y"] - l2) ** 2).sum() / 2
    return {"l1": l1, "l2": l2, "loss": loss}


XOR_MODULE = Family(
    name="xor net, module-level loop, errors as y - out (blog tutorial)",
    source="""
    import numpy as np

    def nonlin(x, deriv=False):
        if deriv == True:
            return x * (1 - x)
        return 1 / (1 + np.exp(-x))

    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    for j in range(60000):
        l0 = X
        l1 = nonlin(np.dot(l0, syn0))
        l2 = nonlin(np.dot(l1, syn1))
        l2_error = y - l2
        if j % 10000 == 0:
            print("Error:" + str(np.mean(np.abs(l2_error))))
        l2_delta = l2_error * nonlin(l2, deriv=True)
        l1_error = l2_delta.dot(syn1.T)
        l1_delta = l1_error * nonlin(l1, deriv=True)
        syn1 += l1.T.dot(l2_delta)
        syn0 += l0.T.dot(l1_delta)
    """,
    torch=_trask,
    leaves={"l0": "X", "y": "y", "syn0": "syn0", "syn1": "syn1"},
    params=("syn0", "syn1"),
    values={"l2_error": ("l2", -1.0), "l1_error": ("l1", -1.0)},
    start="l1",
    lr="1",
    layout="rows",
    shape="module-level loop",
    idioms=("np.dot", ".dot", ".T", "helper with deriv flag", "+=", "np.array", "--loss"),
    loss="np.sum((y - l2) ** 2) / 2",
)


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
    values={"delta2": "z2", "delta1": "z1"},
    start="z1",
    lr="lr",
    layout="rows",
    shape="per-sample loop",
    idioms=("for i in range(n)", "slices", "@", ".T", "len(X)", "half-SSE"),
    function="train",
    inputs={"X": normal(N, D), "Y": uniform(N, 1), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, 1), "b2": normal(1, 1), "lr": number(0.5)},
    call=lambda ns, v: ns["train"](*(v[k] for k in ("X", "Y", *TWO_LAYERS, "lr"))),
)


def _outer(t):
    h = torch.tanh(t["W1"].T @ t["x"] + t["b1"])
    out = t["w2"] @ h + t["b2"]
    loss = (out - t["target"]) ** 2
    return {"h": h, "out": out, "loss": loss}


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
    values={"dout": "out", "dh": "h"},
    start="h",
    lr="lr",
    layout="rows",
    shape="per-sample loop",
    idioms=("for x, t in zip", "np.outer", "1-D vectors", "@", ".T", "np.tanh"),
    function="sgd_epoch",
    inputs={"X": normal(N, D), "Y": normal(N), "W1": normal(D, H), "b1": normal(H),
            "w2": normal(H), "b2": normal(1), "lr": number(0.05)},
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
    values={"D_m": "m", "D_c": "c"},
    start="Y_pred",
    lr="L",
    layout="scalar",
    shape="function, returns weights",
    idioms=("sum()", "float(len(x))", "(-2 / n) *", "--loss", "W = W - lr * dW",
            "scalar parameters"),
    function="fit",
    loss="np.mean((y - Y_pred) ** 2)",
    inputs={"x": normal(8), "y": normal(8)},
    call=lambda ns, v: ns["fit"](v["x"], v["y"]),
)


def _normal_equations(t):
    residual = t["X"] @ t["w"] + t["b"] - t["y"]
    loss = (residual ** 2).mean()
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
    values={"dw": "w", "db": "b"},
    start="y_predicted",
    lr="learning_rate",
    layout="rows",
    shape="function, returns weights",
    idioms=("np.dot", ".T", "np.sum", "tuple unpacking", "X.shape", "1-D vectors", "--loss"),
    function="gradient_descent",
    loss="np.mean((y_predicted - y) ** 2)",
    inputs={"X": normal(N, D), "y": normal(N), "w": normal(D), "b": number(0.5),
            "learning_rate": number(0.01)},
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
    values={"dz": ("z", N), "dw": "w", "db": "b"},
    start="z",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=("@", ".T", "np.mean", "np.log", "BCE", "len(y)", "1-D vectors", "dict of gradients"),
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
    values={"dscores": "scores", "dW": "W"},
    start="scores",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("np.einsum", "-=", "/=", "np.zeros_like", "probs[np.arange(N), y]", "softmax",
            "integer labels", "sum loss"),
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
    values={"delta": "z3", "g3": "W3", "delta#2": "z2", "g2": "W2", "delta#3": "z1",
            "g1": "W1"},
    start="a1",
    lr="lr",
    layout="rows",
    shape="function, weights list",
    idioms=("@", ".T", "reassigned names", "weights[0]", "3 layers", "X.shape[0]"),
    function="train",
    inputs={"X": normal(N, D), "Y": uniform(N, 2), "W1": normal(D, H), "W2": normal(H, H),
            "W3": normal(H, 2), "lr": number(0.5)},
    call=lambda ns, v: ns["train"](v["X"], v["Y"], [v["W1"], v["W2"], v["W3"]], v["lr"]),
)


FAMILIES = [
    LOSS_AND_GRADS,
    CLASS_NET,
    CLASS_COLUMNS,
    RETURNS_TUPLE,
    XOR_MODULE,
    PER_SAMPLE_ROWS,
    PER_SAMPLE_OUTER,
    LINEAR_SCALAR,
    LINEAR_VECTOR,
    LOGISTIC_ROWS,
    SOFTMAX_REGRESSION,
    DELTA_CHAIN,
]
