"""Programs of every shape: gradients returned, weights in a dict or on ``self``, module-level
training loops, per-sample loops, and the regressions of first lessons."""

from __future__ import annotations

import torch

from corpus.family import Family, labels, named, normal, onehot, tags, uniform

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
    values=named(
        "dscores=scores grads['W2']=W2 grads['b2']=b2 dh=z1 grads['W1']=W1 grads['b1']=b1"
    ),
    start="h",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=tags(
        ".dot; .T; .sum(axis); np.maximum; probs[np.arange(N), y]; -= 1; dz[z <= 0] = 0; "
        ".copy(); tuple unpacking; params['W1']; dict of gradients; softmax; integer labels"
    ),
    function="loss_and_grads",
    inputs={
        "X": normal(N, D),
        "y": labels(N, C),
        "W1": normal(D, H),
        "b1": normal(H),
        "W2": normal(H, C),
        "b2": normal(C),
    },
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
    values=named("d_out=a2 d_z2=z2 d_W2=W2 d_b2=b2 d_a1=a1 d_z1=z1 d_W1=W1 d_b1=b1"),
    start="out",
    lr="lr",
    layout="rows",
    shape="class",
    idioms=tags("@; .T; np.sum axis keepdims; self.W1; np.mean; out.size; method"),
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
    values=named("dZ2=z2 dW2=W2 db2=b2 dZ1=z1 dW1=W1 db1=b1"),
    start="Z1",
    lr="learning_rate",
    layout="columns",
    shape="class",
    idioms=tags(
        "@; .T; .sum(axis, keepdims); np.tanh; softmax; one-hot; self.params['W1']; "
        "alias of a dict; X.shape[1]"
    ),
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
    values=named("da2=a2 dW2=W2 db2=b2 dz1=z1 dW1=W1 db1=b1"),
    start="a1",
    lr="1.0",
    layout="rows",
    shape="function, returns gradients",
    idioms=tags("@; .T; .sum(axis); np.tanh; tuple of gradients; --loss; X.shape[0]"),
    function="backward",
    loss="np.mean((a2 - y) ** 2)",
    inputs={
        "X": normal(N, D),
        "y": normal(N, 1),
        "W1": normal(D, H),
        "b1": normal(H),
        "W2": normal(H, 1),
        "b2": normal(1),
    },
    call=lambda ns, v: ns["backward"](*(v[k] for k in ("X", "y", *TWO_LAYERS))),
    returned={"W1": (0,), "b1": (1,), "W2": (2,), "b2": (3,)},
)


def _trask(t):
    z1 = t["l0"] @ t["syn0"]
    l1 = torch.sigmoid(z1)
    z2 = l1 @ t["syn1"]
    l2 = torch.sigmoid(z2)
    loss = ((t["y"] - l2) ** 2).sum() / 2
    return {"z1": z1, "l1": l1, "z2": z2, "l2": l2, "loss": loss}


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
    values=named("l2_error=-1.0*l2 l2_delta=-1.0*z2 l1_error=-1.0*l1 l1_delta=-1.0*z1"),
    start="l1",
    lr="1",
    layout="rows",
    shape="module-level loop",
    idioms=tags("np.dot; .dot; .T; helper with deriv flag; +=; np.array; --loss"),
    loss="np.sum((y - l2) ** 2) / 2",
)


FAMILIES = [
    LOSS_AND_GRADS,
    CLASS_NET,
    CLASS_COLUMNS,
    RETURNS_TUPLE,
    XOR_MODULE,
]
