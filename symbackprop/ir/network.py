"""Vector-mode networks over a batch: fully connected ``X @ W + b`` layers and a loss, or
layers of any kind (an embedding, an LSTM over sequences, convolutions, pooling,
normalisation, dropout, flatten, dense) in the order given."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from symbackprop.errors import LayerError, ShapeError, SpecError
from symbackprop.ir import activations
from symbackprop.ir.builder import ModelBuilder, checked_reduction, checked_sizes, per_layer
from symbackprop.ir.model import Model
from symbackprop.ir.ops import (
    batchnorm,
    channel_scale,
    channel_shift,
    col_slice,
    conv2d,
    dot,
    dropout,
    embedding,
    flatten,
    groupnorm,
    layernorm,
    maxpool2d,
    sigmoid_bce,
    softmax,
    softmax_xent,
    spatial_batchnorm,
    spatial_groupnorm,
    stacked_steps,
    time_step,
    total,
)
from symbackprop.limits import check_layer_count, check_network, check_parameters
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


# -- layered networks: convolutions, pooling and dense layers in any order ----------------------
@dataclass(frozen=True)
class Conv2d:
    """``filters`` kernels of ``kernel`` x ``kernel``, every ``stride`` positions, over the
    input zero-padded by ``padding``; a bias per filter."""

    filters: int
    kernel: int
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class MaxPool:
    """The largest entry of each ``size`` x ``size`` window, windows ``stride`` apart (by
    default ``size``: windows side by side)."""

    size: int
    stride: int | None = None


@dataclass(frozen=True)
class Flatten:
    """Each sample's (C, H, W) laid out as one row, for the dense layers after it."""


@dataclass(frozen=True)
class Dense:
    """``units`` outputs ``a = activation(x @ W + b)``; no activation: ``z`` alone."""

    units: int
    activation: activations.ActivationLike | None = None


@dataclass(frozen=True)
class Apply:
    """An activation, entry by entry (``relu``, ``tanh``, ... or a user's function)."""

    activation: activations.ActivationLike


@dataclass(frozen=True)
class Norm:
    """Standardisation, then a scale ``gamma`` and shift ``beta`` per feature (per channel on
    images): ``kind`` "batchnorm" (over the samples; on images, the samples and positions, in
    training mode), "layernorm" (over each sample's features, rows only) or "groupnorm"
    (over each group of ``groups`` consecutive features or channels of a sample)."""

    kind: str
    eps: float = 1e-5
    groups: int = 1


@dataclass(frozen=True)
class Dropout:
    """Inverted dropout: each unit zeroed with probability ``p``, the rest scaled by
    ``1 / (1 - p)``; the mask is an input of the model, drawn by whoever runs it."""

    p: float


@dataclass(frozen=True)
class Embedding:
    """A table of ``vocab`` rows of ``size`` entries, looked up by the integer indices the
    input holds (the first layer only): indices (m,) give rows (m, size), (m, T) give
    (m, T, size)."""

    vocab: int
    size: int


@dataclass(frozen=True)
class Lstm:
    """An LSTM over sequences (m, T, n), as ``torch.nn.LSTM`` computes it from zero states:
    at each step t, ``z = x[:, t] @ Wx + h @ Wh + b`` (m, 4 units) split into the input,
    forget, candidate and output gates ``i, f, g, o`` (sigmoid, sigmoid, tanh, sigmoid),
    ``c = f * c + i * g`` and ``h = o * tanh(c)``; the layer gives the last ``h`` (m, units),
    or with ``sequences`` every step's, stacked (m, T, units), as nn.LSTM's output."""

    units: int
    sequences: bool = False


NORM_KINDS = ("batchnorm", "layernorm", "groupnorm")
Layer = Embedding | Lstm | Conv2d | MaxPool | Norm | Dropout | Flatten | Dense | Apply


def layered_network(
    input_shape: Sequence[int],
    layers: Sequence[Layer],
    loss: str | sp.Lambda = "softmax_ce",
    reduction: str = "mean",
    name: str = "layered-net",
) -> Model:
    """A network of layers over a batch of m samples of ``input_shape`` ((C, H, W) images or
    (n,) rows; before an embedding, () for one index a sample or (T,) for T of them); the
    last layer must give rows (m, k), which the loss compares with ``Y``.

    Names: input ``X``, targets ``Y``; an embedding number L has the table ``WeL`` and output
    ``eL``; an LSTM number L has weights ``WxL``, ``WhL``, biases ``bL`` and at step t the
    gates' pre-activations ``zL_t``, gates ``iL_t``, ``fL_t``, ``gL_t``, ``oL_t``, cell
    ``cL_t`` and output ``hL_t``; a convolution or dense layer number L has weights ``WL``,
    biases ``bL`` and output ``zL``; the activation after it ``aL``, a pooling ``pL``, a
    flatten ``fL``; a normalisation after it ``nL`` with ``gammaL`` and ``betaL``, a dropout
    ``dL`` with its
    mask input ``maskL``; the loss ``E``.
    """
    if not layers:
        raise SpecError("a layered network needs at least one layer")
    check_layer_count(len(layers))
    _check_input(input_shape, isinstance(layers[0], Embedding))
    b = ModelBuilder(name)
    units = b.input("X", shape=(BATCH_SIZE, *input_shape))
    shape, number, pre, last_act = (BATCH_SIZE, *input_shape), 0, units, None
    taken: set[str] = set()
    for index, layer in enumerate(layers, start=1):
        number += isinstance(layer, Embedding | Lstm | Conv2d | Dense)
        node, expr, shape = _layer(b, layer, index, number, units, shape)
        before, last_act = units, _activation_of(layer)
        units = b.define(_fresh(node, index, taken), expr)
        pre = before if isinstance(layer, Apply) else units  # what the activation is of
        if isinstance(layer, Dense) and last_act is not None:
            units = b.define(_fresh(f"a{number}", index, taken), _activated(last_act, pre))
    if len(shape) != 2:
        kind = "images" if len(shape) == 4 else "sequences"
        raise LayerError(f"the last layer gives {kind}; end with a flatten and a dense", index)
    targets = b.target("Y", shape=(BATCH_SIZE, shape[1]))
    batch = b.input(BATCH_SIZE, shape=())
    expr = _loss(loss, last_act, pre, units, targets)
    per = _divisor(checked_reduction(reduction), loss, batch, shape[1])
    description = f"{' '.join(layer_name(layer) for layer in layers)}, {_loss_name(loss)} loss"
    model = b.loss("E", expr / per, description=f"{description}, {reduction}")
    count = sum(math.prod(model.shapes[p.name]) for p in model.parameters)
    check_parameters(count, "the layers", scalar=False)  # only shapes so far: no arrays
    return model


def _check_input(input_shape: Sequence[int], indices: bool) -> None:
    """A SpecError unless the input is images, sequences or rows (indices, before an
    embedding)."""
    ranks = (0, 1) if indices else (1, 2, 3)
    if len(input_shape) in ranks and all(_is_count(n) for n in input_shape):
        return
    if indices:
        raise SpecError(
            f"an embedding's input is one index a sample or (T,) indices, not {list(input_shape)}"
        )
    raise SpecError(
        f"the input is (C, H, W) images, (T, n) sequences or (n,) rows, not {list(input_shape)}"
    )


def _fresh(name: str, index: int, taken: set[str]) -> str:
    """``name``, or for a second node of that name (two poolings in a row) ``name_index``."""
    name = name if name not in taken else f"{name}_{index}"
    taken.add(name)
    return name


def _is_count(value) -> bool:
    return type(value) is int and value >= 1


def _activation_of(layer: Layer):
    """The activation a layer applies last: a class, ``"softmax"``, or None."""
    act = layer.activation if isinstance(layer, Dense | Apply) else None
    return act if act is None or act == "softmax" else activations.activation(act)


def _activated(act, units) -> sp.Expr:
    return softmax(units) if act == "softmax" else act(units)


def _layer(b: ModelBuilder, layer: Layer, index: int, number: int, units, shape):
    """The node a layer defines: its name, expression and shape."""
    images, rows = len(shape) == 4, len(shape) == 2
    if isinstance(layer, Embedding) and index != 1:
        raise LayerError("embedding looks up the input's indices: make it the first layer", index)
    if isinstance(layer, Lstm) and len(shape) != 3:
        raise LayerError("lstm needs sequences (m, T, n): an embedding of (T,) indices", index)
    if isinstance(layer, Conv2d | MaxPool) and not images:
        raise LayerError(f"{layer_name(layer)} needs images (m, C, H, W), not rows", index)
    if isinstance(layer, Dense) and not rows:
        raise LayerError("dense needs rows (m, n): put a flatten before it", index)
    if isinstance(layer, Flatten) and rows:
        raise LayerError("flatten needs images (m, C, H, W) or sequences, not rows", index)
    if isinstance(layer, Norm) and not rows and (layer.kind == "layernorm" or not images):
        raise LayerError(f"{layer.kind} needs rows (m, n): put a flatten before it", index)
    try:
        return _defined(b, layer, number, units, shape)
    except ShapeError as error:
        raise LayerError(error.message, index) from None


def _defined(b: ModelBuilder, layer: Layer, number: int, units, shape):
    if isinstance(layer, Embedding):
        table = b.parameter(f"We{number}", shape=(layer.vocab, layer.size))
        return f"e{number}", embedding(units, table), (*shape, layer.size)
    if isinstance(layer, Lstm):
        last = _lstm(b, layer.units, number, units, shape, layer.sequences)
        if layer.sequences:
            steps = [sp.Symbol(f"h{number}_{t}") for t in range(1, shape[1] + 1)]
            return f"h{number}", stacked_steps(*steps), (shape[0], shape[1], layer.units)
        return f"h{number}_{shape[1]}", last, (shape[0], layer.units)
    if isinstance(layer, Conv2d):
        w_shape = (layer.filters, shape[1], layer.kernel, layer.kernel)
        weights = b.parameter(f"W{number}", shape=w_shape)
        bias = b.parameter(f"b{number}", shape=(layer.filters,))
        expr = conv2d(units, weights, bias, layer.stride, layer.padding)
        out = conv2d.shape(shape, w_shape, (layer.filters,), layer.stride, layer.padding)
        return f"z{number}", expr, out
    if isinstance(layer, MaxPool):
        stride = layer.stride or layer.size
        out = maxpool2d.shape(shape, layer.size, stride)
        return f"p{number}", maxpool2d(units, layer.size, stride), out
    if isinstance(layer, Norm):
        return f"n{number}", _normalised(b, layer, number, units, shape), shape
    if isinstance(layer, Dropout):
        mask = b.input(_unused(b, f"mask{number}"), shape=shape)
        return f"d{number}", dropout(units, mask, 1 - sp.nsimplify(layer.p)), shape
    if isinstance(layer, Flatten):
        return f"f{number}", flatten(units), flatten.shape(shape)
    if isinstance(layer, Dense):
        weights = b.parameter(f"W{number}", shape=(shape[1], layer.units))
        bias = b.parameter(f"b{number}", shape=(layer.units,))
        return f"z{number}", dot(units, weights) + bias, (shape[0], layer.units)
    return f"a{number}", _activated(_activation_of(layer), units), shape


def _lstm(b: ModelBuilder, units: int, number: int, x, shape, every: bool) -> sp.Expr:
    """Every step of an LSTM but the last one's output ``hL_T`` (with ``every``, that too),
    defined in ``b``; that output's expression. The states start at zero, so step 1 has no
    ``h @ Wh`` and no ``f * c``."""
    steps, width = shape[1], shape[2]
    weights = b.parameter(f"Wx{number}", shape=(width, 4 * units))
    recurrent = b.parameter(f"Wh{number}", shape=(units, 4 * units))
    bias = b.parameter(f"b{number}", shape=(4 * units,))
    h = c = None
    for t in range(1, steps + 1):
        z = dot(time_step(x, t - 1), weights) + bias
        z = b.define(_unused(b, f"z{number}_{t}"), z if h is None else z + dot(h, recurrent))
        gates = {}
        for k, (gate, squash) in enumerate(_LSTM_GATES):
            if gate == "f" and c is None:
                continue  # nothing to forget yet
            part = col_slice(z, k * units, (k + 1) * units)
            gates[gate] = b.define(_unused(b, f"{gate}{number}_{t}"), squash(part))
        kept = gates["i"] * gates["g"]
        c = b.define(_unused(b, f"c{number}_{t}"), kept if c is None else gates["f"] * c + kept)
        output = gates["o"] * sp.tanh(c)
        if t < steps or every:
            h = b.define(_unused(b, f"h{number}_{t}"), output)
    return output


# torch.nn.LSTM's order of the gates in z's columns, each with its squashing function
_LSTM_GATES = (
    ("i", activations.sigmoid),
    ("f", activations.sigmoid),
    ("g", sp.tanh),
    ("o", activations.sigmoid),
)


def _unused(b: ModelBuilder, name: str) -> str:
    """``name``, or ``name_2``, ``name_3``, ... for a second layer after the same one."""
    count = 1
    while b.has(name if count == 1 else f"{name}_{count}"):
        count += 1
    return name if count == 1 else f"{name}_{count}"


def _normalised(b: ModelBuilder, layer: Norm, number: int, units, shape) -> sp.Expr:
    """``gamma * xhat + beta``, ``xhat`` the standardised ``units``; gamma starts at ones."""
    features = shape[1]
    if layer.kind == "groupnorm" and features % layer.groups:
        raise ShapeError(f"groupnorm: {features} features do not split into {layer.groups} groups")
    gamma = b.parameter(_unused(b, f"gamma{number}"), shape=(features,), starts_at=1)
    beta = b.parameter(_unused(b, f"beta{number}"), shape=(features,), starts_at=0)
    eps = sp.nsimplify(layer.eps)
    if len(shape) == 4:
        if layer.kind == "batchnorm":
            xhat = spatial_batchnorm(units, eps)
        else:
            xhat = spatial_groupnorm(units, layer.groups, eps)
        return channel_shift(channel_scale(xhat, gamma), beta)
    xhat = {
        "batchnorm": lambda: batchnorm(units, eps),
        "layernorm": lambda: layernorm(units, eps),
        "groupnorm": lambda: groupnorm(units, layer.groups, eps),
    }[layer.kind]()
    return gamma * xhat + beta


def layer_name(layer: Layer) -> str:
    """How a description names the layer: ``embedding50x8``, ``conv3x3/8``, ``maxpool2``,
    ``dense10``, ``relu``."""
    if isinstance(layer, Embedding):
        return f"embedding{layer.vocab}x{layer.size}"
    if isinstance(layer, Lstm):
        return f"lstm{layer.units}" + ("-sequences" if layer.sequences else "")
    if isinstance(layer, Conv2d):
        return f"conv{layer.kernel}x{layer.kernel}/{layer.filters}"
    if isinstance(layer, MaxPool):
        return f"maxpool{layer.size}"
    if isinstance(layer, Norm):
        return layer.kind + (str(layer.groups) if layer.kind == "groupnorm" else "")
    if isinstance(layer, Dropout):
        return f"dropout{layer.p:g}"
    if isinstance(layer, Flatten):
        return "flatten"
    if isinstance(layer, Dense):
        act = layer.activation
        return f"dense{layer.units}" + (f"-{_act_name(act)}" if act is not None else "")
    return _act_name(layer.activation)


def _act_name(act) -> str:
    return act if isinstance(act, str) else getattr(act, "__name__", "custom")


def dropout_keeps(model: Model) -> dict[str, float]:
    """The inputs of ``model`` that are a dropout's mask, each with its keep probability, in
    the order of the model's nodes."""
    keeps = {
        str(call.args[1]): float(call.args[2])
        for node in model.defined
        for call in node.expr.atoms(dropout)
        if isinstance(call.args[1], sp.Symbol) and call.args[2].is_number
    }
    return {node.name: keeps[node.name] for node in model.inputs if node.name in keeps}
