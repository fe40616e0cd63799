"""Scalars, as in hand derivations: a 2-2-1 net with six weights written out one by one, and
a regression whose loss averages per-sample sums (``np.ones_like`` for a leaky slope)."""

from __future__ import annotations

import torch

from corpus.family import Family, dense_inputs, named, normal, number, tags

N, D, H = 5, 3, 4
SCALARS = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")


def _tiny(t):
    z1 = t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b1"]
    z2 = t["w3"] * t["x1"] + t["w4"] * t["x2"] + t["b2"]
    h1, h2 = torch.sigmoid(z1), torch.sigmoid(z2)
    z3 = t["w5"] * h1 + t["w6"] * h2 + t["b3"]
    loss = 0.5 * (t["target"] - torch.sigmoid(z3)) ** 2
    return {"z1": z1, "z2": z2, "h1": h1, "h2": h2, "z3": z3, "loss": loss}


TINY_SCALAR = Family(
    name="2-2-1 sigmoid net, every weight a scalar, derivatives written out",
    source="""
    import math

    def sigmoid(v):
        return 1 / (1 + math.exp(-v))

    def step(x1, x2, target, w1, w2, w3, w4, w5, w6, b1, b2, b3, lr=0.5):
        h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
        h2 = sigmoid(w3 * x1 + w4 * x2 + b2)
        out = sigmoid(w5 * h1 + w6 * h2 + b3)
        E = 0.5 * (target - out) ** 2
        d_out = -(target - out) * out * (1 - out)
        d_h1 = d_out * w5
        d_h2 = d_out * w6
        d_z1 = d_h1 * h1 * (1 - h1)
        d_z2 = d_h2 * h2 * (1 - h2)
        w5 = w5 - lr * d_out * h1
        w6 = w6 - lr * d_out * h2
        b3 = b3 - lr * d_out
        w1 = w1 - lr * d_z1 * x1
        w2 = w2 - lr * d_z1 * x2
        b1 = b1 - lr * d_z1
        w3 = w3 - lr * d_z2 * x1
        w4 = w4 - lr * d_z2 * x2
        b2 = b2 - lr * d_z2
        return w1, w2, w3, w4, w5, w6, b1, b2, b3
    """,
    torch=_tiny,
    leaves={"x1": "x1", "x2": "x2", "target": "target"} | {w: w for w in SCALARS},
    params=SCALARS,
    values=named("d_out=z3 d_h1=h1 d_h2=h2 d_z1=z1 d_z2=z2"),
    start="h1",
    lr="lr",
    layout="scalar",
    shape="function, returns weights",
    idioms=tags("scalar parameters; math.exp; W = W - lr * dW; half-SSE; helper function"),
    function="step",
    inputs={"x1": number(0.35), "x2": number(0.9), "target": number(0.5)}
    | {w: number(0.3 * (-1) ** k + 0.05 * k) for k, w in enumerate(SCALARS)},
    call=lambda ns, v: ns["step"](*(v[k] for k in ("x1", "x2", "target", *SCALARS))),
)


def _leaky_sum_mean(t):
    z1 = t["X"] @ t["W1"] + t["b1"]
    a1 = torch.nn.functional.leaky_relu(z1, 0.2)
    out = a1 @ t["W2"] + t["b2"]
    loss = ((out - t["Y"]) ** 2).sum(dim=1).mean()
    return {"z1": z1, "a1": a1, "out": out, "loss": loss}


SUM_THEN_MEAN = Family(
    name="dense2 leaky relu regression, loss a mean of per-sample sums, ones_like",
    source="""
    import numpy as np

    def train(X, Y, W1, b1, W2, b2, lr=0.01, epochs=100):
        n = X.shape[0]
        for epoch in range(epochs):
            z1 = X @ W1 + b1
            a1 = np.where(z1 > 0, z1, 0.2 * z1)
            out = a1 @ W2 + b2
            loss = np.mean(np.sum((out - Y) ** 2, axis=1))
            grad_out = 2 * (out - Y) / n
            grad_W2 = a1.T @ grad_out
            grad_b2 = grad_out.sum(axis=0, keepdims=True)
            grad_a1 = grad_out @ W2.T
            slope = np.ones_like(z1)
            slope[z1 < 0] = 0.2
            grad_z1 = grad_a1 * slope
            grad_W1 = X.T @ grad_z1
            grad_b1 = grad_z1.sum(axis=0, keepdims=True)
            W1 -= lr * grad_W1
            b1 -= lr * grad_b1
            W2 -= lr * grad_W2
            b2 -= lr * grad_b2
    """,
    torch=_leaky_sum_mean,
    leaves={"X": "X", "Y": "Y", "W1": "W1", "b1": "b1", "W2": "W2", "b2": "b2"},
    params=("W1", "b1", "W2", "b2"),
    values=named("grad_out=out grad_W2=W2 grad_b2=b2 grad_a1=a1 grad_z1=z1 grad_W1=W1 grad_b1=b1"),
    start="z1",
    lr="lr",
    layout="rows",
    shape="function, in place",
    idioms=tags(
        "@; .T; .sum(axis, keepdims); np.sum axis; np.mean; np.where; np.ones_like; "
        "boolean indexing; leaky relu; X.shape[0]"
    ),
    function="train",
    inputs=dense_inputs([D, H, 2], normal(N, 2)),
    call=lambda ns, v: ns["train"](*(v[k] for k in ("X", "Y", "W1", "b1", "W2", "b2"))),
)


FAMILIES = [TINY_SCALAR, SUM_THEN_MEAN]
