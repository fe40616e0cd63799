"""Independent forward passes written with torch.nn.functional, differentiated by torch
autograd (float64, CPU): the reference numbers the oracle tests hold every target to."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH_ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "softplus": F.softplus,
    "swish": F.silu,
    "gelu": lambda z: F.gelu(z, approximate="tanh"),
}


def torch_dense_loss(params, X, Y, activations, loss, reduction):
    """The loss of ``dense_network(sizes, activations, loss, reduction)`` at params."""
    a, z = X, None
    for layer, activation in enumerate(activations, start=1):
        z = a @ params[f"W{layer}"] + params[f"b{layer}"]
        a = torch.softmax(z, dim=1) if activation == "softmax" else TORCH_ACTIVATIONS[activation](z)
    per_element = {
        "half_sse": lambda: 0.5 * (a - Y) ** 2,
        "sse": lambda: (a - Y) ** 2,
        "mse": lambda: (a - Y) ** 2,
        "bce": lambda: F.binary_cross_entropy_with_logits(z, Y, reduction="none"),
        "softmax_ce": lambda: -Y * F.log_softmax(z, dim=1),
    }[loss]()
    samples, outputs = X.shape[0], Y.shape[1]
    if reduction == "sum":
        return per_element.sum()
    if reduction == "sample_mean" or loss == "softmax_ce":  # a sample's classes already summed
        return per_element.sum() / samples
    return per_element.sum() / (samples * outputs)  # "mean": over every element


def torch_loss_and_gradients(loss_fn, params: dict, data: list) -> tuple[float, dict]:
    """loss_fn(params, *data) and its gradient for every parameter, by autograd."""
    leaves = {
        k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()
    }
    tensors = [torch.tensor(np.asarray(d)) for d in data]
    value = loss_fn(leaves, *tensors)
    value.backward()
    return value.item(), {k: v.grad.numpy() for k, v in leaves.items()}


def torch_gradients(loss_fn, params: dict, data: list) -> dict:
    return torch_loss_and_gradients(loss_fn, params, data)[1]
