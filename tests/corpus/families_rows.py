"""Samples as rows (``X @ W + b``): the dense nets of tutorials and course notebooks."""

from __future__ import annotations

import torch

from corpus.family import Family, binary, labels, normal, number, onehot, uniform

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
    values={"dA2": "a2", "dZ2": "z2", "dW2": "W2", "db2": "b2", "dA1": "a1", "dZ1": "z1",
            "dW1": "W1", "db1": "b1"},
    start="Z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("np.dot", ".T", "np.sum axis keepdims", "X.shape[0]", "np.exp", "helper function"),
    function="train",
    inputs={"X": normal(N, D), "Y": uniform(N, 1), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, 1), "b2": normal(1, 1), "lr": number(0.1)},
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
    values={"out_delta": "z2", "h_delta": "z1"},
    start="h",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("@", ".T", ".sum(axis)", "np.tanh", "np.exp", "1-D bias"),
    function="train",
    inputs={"X": normal(N, D), "Y": uniform(N, 1), "W1": normal(D, H), "b1": normal(H),
            "W2": normal(H, 1), "b2": normal(1), "lr": number(0.5)},
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
    values={"dz2": "z2", "dW2": "W2", "db2": "b2", "da1": "a1", "dz1": "z1", "dW1": "W1",
            "db1": "b1"},
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("@", ".T", "np.sum axis keepdims", "np.maximum", "mask (z > 0)", "len(X)",
            "softmax", "one-hot"),
    function="train",
    inputs={"X": normal(N, D), "Y": onehot(N, C), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, C), "b2": normal(1, C), "lr": number(0.1)},
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
    values={"dscores": "scores", "dW2": "W2", "db2": "b2", "dhidden": "z1", "dW": "W1",
            "db": "b1"},
    start="hidden_layer",
    lr="learning_rate",
    layout="rows",
    shape="function, in place",
    idioms=("np.dot", ".T", "np.sum axis keepdims", "np.maximum", "probs[range(N), y]",
            "-= 1", "dz[z <= 0] = 0", "+=", "X.shape[0]", "softmax", "integer labels"),
    function="train",
    inputs={"X": normal(N, D), "y": labels(N, C), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, C), "b2": normal(1, C)},
    call=_args("X", "y", "W1", "b1", "W2", "b2"),
    integer=("y",),
)


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
    values={"dZ3": "z3", "dW3": "W3", "db3": "b3", "dA2": "a2", "dZ2": "z2", "dW2": "W2",
            "db2": "b2", "dA1": "a1", "dZ1": "z1", "dW1": "W1", "db1": "b1"},
    start="Z1",
    lr="alpha",
    layout="rows",
    shape="function, in place",
    idioms=("@", ".T", ".sum(axis, keepdims)", "np.tanh", "np.log", "np.mean", "BCE",
            "X.shape[0]", "3 layers"),
    function="train",
    inputs={"X": normal(N, D), "Y": binary(N, 1), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, H), "b2": normal(1, H), "W3": normal(H, 1), "b3": normal(1, 1),
            "alpha": number(0.05)},
    call=_args("X", "Y", "W1", "b1", "W2", "b2", "W3", "b3", "alpha"),
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
    values={"d_out": "out", "dW2": "W2", "db2": "b2", "d_a1": "a1", "d_z1": "z1",
            "dW1": "W1", "db1": "b1"},
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=(".dot", ".T", ".sum(axis)", "np.where", "leaky relu", "np.mean", "Y.size"),
    function="train",
    inputs={"X": normal(N, D), "Y": normal(N, 2), "W1": normal(D, H), "b1": normal(H),
            "W2": normal(H, 2), "b2": normal(2)},
    call=_args("X", "Y", "W1", "b1", "W2", "b2"),
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
    values={"d_out": "out", "dW3": "W3", "db3": "b3", "dZ2": "z2", "dW2": "W2", "db2": "b2",
            "dZ1": "z1", "dW1": "W1", "db1": "b1"},
    start="Z1",
    lr="lr",
    layout="rows",
    shape="function, returns weights",
    idioms=("np.matmul", "np.transpose", "np.sum axis keepdims", "np.maximum", ".astype(float)",
            "mask (z > 0)", "np.square", "W = W - lr * dW", "3 layers"),
    function="train",
    inputs={"X": normal(N, D), "Y": normal(N, 1), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, H), "b2": normal(1, H), "W3": normal(H, 1), "b3": normal(1, 1),
            "lr": number(0.05)},
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
    values={"dz2": "z2", "dW2": "W2", "db2": "b2", "da1": "a1", "dz1": "z1", "dW1": "W1",
            "db1": "b1"},
    start="z1",
    lr="eta",
    layout="rows",
    shape="function, in place",
    idioms=("np.einsum", ".sum(0)", "np.log", "BCE", "sum loss", "1-D bias"),
    function="train",
    inputs={"X": normal(N, D), "Y": binary(N, 1), "W1": normal(D, H), "b1": normal(H),
            "W2": normal(H, 1), "b2": normal(1), "eta": number(0.1)},
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
    values={"delta2": "z2", "grad_W2": "W2", "grad_b2": "b2", "delta1": "z1",
            "grad_W1": "W1", "grad_b1": "b1"},
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("@", ".T", ".sum(axis, keepdims)", "np.zeros_like", "boolean indexing", "len(X)",
            "softmax", "one-hot", "helper function"),
    function="train",
    inputs={"X": normal(N, D), "Y": onehot(N, C), "W1": normal(D, H), "b1": normal(1, H),
            "W2": normal(H, C), "b2": normal(1, C), "lr": number(0.1)},
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
    values={"hb_delta": "hb", "h_delta": "z1"},
    start="h",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("np.concatenate", "np.ones", "slices", "@", ".T", "half-SSE"),
    function="train",
    inputs={"X": normal(N, D), "Y": uniform(N, 1), "W1": normal(D + 1, H),
            "W2": normal(H + 1, 1), "lr": number(0.5)},
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
    values={"dz2": "z2", "dw2": "w2", "db2": "b2", "dz1": "z1", "dW1": "W1", "db1": "b1"},
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=("reshape", "np.cosh", "np.tanh", "@", ".T", "np.sum", "np.mean", "BCE",
            "scalar bias", "reassigned names"),
    function="train",
    inputs={"X": normal(N, D), "y": binary(N), "W1": normal(D, H), "b1": normal(H),
            "w2": normal(H, 1), "b2": number(0.0), "lr": number(0.1)},
    call=_args("X", "y", "W1", "b1", "w2", "b2", "lr"),
)


FAMILIES = [
    DENSE2_SIGMOID_MSE,
    TANH_SIGMOID_HALF_SSE,
    RELU_SOFTMAX_ONEHOT,
    CS231N_INTEGER_LABELS,
    DENSE3_TANH_BCE,
    LEAKY_MSE,
    RELU3_TRANSPOSE,
    EINSUM_BCE_SUM,
    ZEROS_LIKE_RELU,
    CONCAT_BIAS,
    RESHAPE_COSH,
]
