"""Vector-mode fully connected networks over a batch: ``X @ W + b`` layers and a loss."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symbackprop.errors import SpecError
from symbackprop.ir import activations
from symbackprop.ir.builder import ModelBuilder, checked_reduction, checked_sizes, per_layer
from symbackprop.ir.model import Model
from symbackprop.ir.ops import dot, sigmoid_bce, softmax, softmax_xent, total
from symbackprop.limits import check_network
from symbackprop.naming import BATCH_SIZE

VECTOR_LOSSES = ("half_sse", "sse", "mse", "bce", "softmax_ce")


def dense_network(
    sizes: Sequence[int],
    activation: activations.ActivationLike | Sequence[activations.ActivationLike] = "sigmoid",
    loss: str | sp.Lambda = "half_sse",
    reduction: str = "mean",
    name: str | None = None,
) -> Model:
    """A fully connected network on a batch of m samples.

    Names: inputs ``X`` (m, n0), targets ``Y``, weights ``W1`` (n0, n1), biases ``b1`` (n1,),
    pre-activations ``z1``, activations ``a1``, loss ``E``; ``"softmax"`` is allowed as the
    last activation, with softmax_ce (fused with it) or an elementwise loss such as mse.
    ``bce`` after a sigmoid and ``softmax_ce`` after a softmax are fused.
    """
    sizes = checked_sizes(sizes)
    check_network(sizes, scalar=False)
    acts = per_layer(activation, len(sizes) - 1, allowed=("softmax",))
    b = ModelBuilder(name or "net-" + "-".join(map(str, sizes)))
    units = b.input("X", shape=(BATCH_SIZE, sizes[0]))
    targets = b.target("Y", shape=(BATCH_SIZE, sizes[-1]))
    batch = b.input(BATCH_SIZE, shape=())
    pre = units
    for layer, (width, act) in enumerate(zip(sizes[1:], acts, strict=True), start=1):
        weights = b.parameter(f"W{layer}", shape=(sizes[layer - 1], width))
        bias = b.parameter(f"b{layer}", shape=(width,))
        pre = b.define(f"z{layer}", dot(units, weights) + bias)
        units = b.define(f"a{layer}", softmax(pre) if act == "softmax" else act(pre))
    expr = _loss(loss, acts[-1], pre, units, targets)
    per = _divisor(checked_reduction(reduction), loss, batch, sizes[-1])
    description = f"{'-'.join(map(str, sizes))} network, {_loss_name(loss)} loss, {reduction}"
    return b.loss("E", expr / per, description=description)


def _loss(loss, last_activation, pre, output, targets) -> sp.Expr:
    if loss == "softmax_ce":
        if last_activation != "softmax":
            raise SpecError("softmax_ce needs 'softmax' as the last activation")
        return total(softmax_xent(pre, targets))
    if loss == "bce":
        if last_activation is not activations.sigmoid:
            raise SpecError("bce needs 'sigmoid' as the last activation")
        return total(sigmoid_bce(pre, targets))
    return total(activations.loss(loss)(output, targets))


def _divisor(reduction: str, loss, batch: sp.Symbol, outputs: int) -> sp.Expr:
    """What the summed loss is divided by: nothing, the samples, or every element ("mean", as
    the frameworks average; softmax_ce's per-sample loss already sums over its classes)."""
    if reduction == "sum":
        return sp.Integer(1)
    if reduction == "sample_mean" or loss == "softmax_ce":
        return batch
    return batch * outputs


def _loss_name(loss) -> str:
    return loss if isinstance(loss, str) else "custom"
