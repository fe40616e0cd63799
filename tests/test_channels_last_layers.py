"""Course code in the other popular course's style: samples first and channels last for images
(convolution and pooling with loops and helpers, the hyperparameters in a dict), samples as
columns for the recurrent cells (the parameters in a dict, the gradients returned in one):
every unit read, correct code never called wrong, and each single-line mutant caught at its
own line.

The labels come from torch autograd of torch's own layers (``F.conv2d`` and the pools on the
channels-first copy, ``nn.RNNCell`` and ``nn.LSTMCell`` on the transposed columns), not from
the checker.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from layer_mutants import (
    assert_judged_as_labelled,
    assert_labels_as_reviewed,
    judged,
    load_module,
    mutant_file,
    mutated,
    oracle_labels,
    read_correct,
)

from symbackprop.check import check_code

torch = pytest.importorskip("torch")
F = torch.nn.functional

CHANNELS_LAST = Path(__file__).parent / "layerfiles" / "channels_last_layers.py"


# -- the oracle: torch autograd of torch's layers, at every configuration ------------------------
@dataclass
class Case:
    """One configuration of a pair: the forward's arguments, torch's version of it, what each
    returned gradient is the gradient of, and the keyword arguments of both halves.

    A gradient's source is a path: ``(2,)`` the third argument, ``(2, "Wax")`` that entry of
    the third argument's dict. ``returns`` is a tuple of paths when the backward returns a
    tuple, and a dict of them, by key, when it returns its gradients in a dict."""

    args: list
    reference: Callable  # tensors (dicts of tensors, hyperparameters) -> the outputs
    returns: tuple | dict
    options: dict = field(default_factory=dict)  # pool's mode


def _paths(case: Case) -> list[tuple]:
    return list(case.returns.values() if isinstance(case.returns, dict) else case.returns)


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def _channels_first(x):
    return x.permute(0, 3, 1, 2)


def _channels_last(x):
    return x.permute(0, 2, 3, 1)


def _torch_conv(A_prev, W, b, hparameters):
    # W[row, col, channel in, channel out] -> torch's weight[channel out, channel in, row, col]
    Z = F.conv2d(
        _channels_first(A_prev),
        W.permute(3, 2, 0, 1),
        b.reshape(-1),
        stride=hparameters["stride"],
        padding=hparameters["pad"],
    )
    return (_channels_last(Z),)


def _conv(m, n_H_prev, n_W_prev, n_C_prev, f, n_C, stride, pad):
    def make(rng):
        A_prev = _normal(rng, m, n_H_prev, n_W_prev, n_C_prev)
        W, b = _normal(rng, f, f, n_C_prev, n_C), _normal(rng, 1, 1, 1, n_C)
        return Case([A_prev, W, b, {"stride": stride, "pad": pad}], _torch_conv, ((0,), (1,), (2,)))

    return make


def _pool(m, n_H_prev, n_W_prev, n_C_prev, f, stride, mode):
    pool = {"max": F.max_pool2d, "average": F.avg_pool2d}[mode]

    def reference(A_prev, hparameters):
        A = pool(_channels_first(A_prev), hparameters["f"], hparameters["stride"])
        return (_channels_last(A),)

    def make(rng):
        A_prev = _normal(rng, m, n_H_prev, n_W_prev, n_C_prev)
        hparameters = {"f": f, "stride": stride}
        return Case([A_prev, hparameters], reference, ((0,),), {"mode": mode})

    return make


def _torch_rnn_cell(xt, a_prev, parameters):
    """``nn.RNNCell`` on the transposed columns, its weights the parameters dict's."""
    n_a, n_x = parameters["Wax"].shape
    cell = torch.nn.RNNCell(n_x, n_a, dtype=torch.float64)
    weights = {
        "weight_ih": parameters["Wax"],
        "weight_hh": parameters["Waa"],
        "bias_ih": parameters["ba"].reshape(-1),
        "bias_hh": torch.zeros(n_a, dtype=torch.float64),
    }
    a_next = torch.func.functional_call(cell, weights, (xt.T, a_prev.T))
    return (a_next.T,)


def _torch_lstm_cell(xt, a_prev, c_prev, parameters):
    """``nn.LSTMCell`` on the transposed columns: its gates in torch's order (input, forget,
    cell, output), each gate's weight split at the concatenation's ``a_prev`` rows."""
    n_a, n_x = a_prev.shape[0], xt.shape[0]
    cell = torch.nn.LSTMCell(n_x, n_a, dtype=torch.float64)
    gates = ("i", "f", "c", "o")
    weights = {
        "weight_ih": torch.cat([parameters[f"W{g}"][:, n_a:] for g in gates]),
        "weight_hh": torch.cat([parameters[f"W{g}"][:, :n_a] for g in gates]),
        "bias_ih": torch.cat([parameters[f"b{g}"].reshape(-1) for g in gates]),
        "bias_hh": torch.zeros(4 * n_a, dtype=torch.float64),
    }
    a_next, c_next = torch.func.functional_call(cell, weights, (xt.T, (a_prev.T, c_prev.T)))
    return a_next.T, c_next.T


def _rnn_cell(n_x, n_a, m):
    def make(rng):
        parameters = {
            "Wax": _normal(rng, n_a, n_x, scale=0.4),
            "Waa": _normal(rng, n_a, n_a, scale=0.4),
            "ba": _normal(rng, n_a, 1),
        }
        args = [_normal(rng, n_x, m), _normal(rng, n_a, m), parameters]
        returns = {"dxt": (0,), "da_prev": (1,)}
        returns |= {f"d{name}": (2, name) for name in parameters}
        return Case(args, _torch_rnn_cell, returns)

    return make


def _lstm_cell(n_x, n_a, m):
    def make(rng):
        parameters = {}
        for gate in ("f", "i", "c", "o"):
            parameters[f"W{gate}"] = _normal(rng, n_a, n_a + n_x, scale=0.4)
            parameters[f"b{gate}"] = _normal(rng, n_a, 1)
        args = [_normal(rng, n_x, m), _normal(rng, n_a, m), _normal(rng, n_a, m), parameters]
        returns = {"dxt": (0,), "da_prev": (1,), "dc_prev": (2,)}
        returns |= {f"d{name}": (3, name) for name in parameters}
        return Case(args, _torch_lstm_cell, returns)

    return make


# the function judged -> its configurations: stride 1 and 2, pad 0, 1 and 2, windows of 2 and 3,
# pooling windows apart and overlapping in both modes, sizes distinct within a configuration
CONFIGS = {
    "conv_backward": [
        _conv(3, 5, 6, 4, 3, 2, stride=1, pad=0),
        _conv(3, 5, 6, 4, 3, 2, stride=2, pad=1),
        _conv(3, 5, 6, 4, 3, 2, stride=1, pad=2),
        _conv(2, 7, 6, 3, 2, 5, stride=2, pad=0),
    ],
    "pool_backward": [
        _pool(3, 5, 6, 4, 2, stride=2, mode="max"),
        _pool(3, 5, 6, 4, 3, stride=1, mode="max"),
        _pool(2, 6, 5, 3, 2, stride=1, mode="max"),
        _pool(3, 5, 6, 4, 2, stride=2, mode="average"),
        _pool(3, 5, 6, 4, 3, stride=1, mode="average"),
        _pool(2, 6, 5, 3, 2, stride=1, mode="average"),
    ],
    "rnn_cell_backward": [_rnn_cell(4, 5, 3), _rnn_cell(6, 2, 5)],
    "lstm_cell_backward": [_lstm_cell(4, 5, 3), _lstm_cell(3, 2, 6)],
}

# helpers only the backward calls -> the pair they are judged in
UNIT = {
    "create_mask_from_window": "pool_backward",
    "distribute_value": "pool_backward",
    "conv_single_step": "conv_backward",
}


def _torch_args(args: list, paths: list[tuple]) -> list:
    """The arguments as tensors, the ones a gradient is returned for requiring it; a dict of
    arrays becomes a dict of tensors, a dict of hyperparameters stays as it is."""
    tensors = []
    for i, value in enumerate(args):
        if isinstance(value, np.ndarray):
            value = torch.tensor(value, requires_grad=(i,) in paths)
        elif isinstance(value, dict):
            value = {
                key: torch.tensor(v, requires_grad=(i, key) in paths)
                if isinstance(v, np.ndarray)
                else v
                for key, v in value.items()
            }
        tensors.append(value)
    return tensors


def _at(tensors: list, path: tuple):
    value = tensors[path[0]]
    return value[path[1]] if len(path) > 1 else value


@functools.cache
def _expected(function: str, index: int):
    """A configuration's case, upstream gradients, and torch's outputs and gradients."""
    case = CONFIGS[function][index](np.random.default_rng(100 + index))
    paths = _paths(case)
    tensors = _torch_args(case.args, paths)
    outs = case.reference(*tensors)
    rng = np.random.default_rng(200 + index)
    douts = [rng.standard_normal(tuple(out.shape)) for out in outs]
    loss = sum((out * torch.tensor(d)).sum() for out, d in zip(outs, douts, strict=True))
    grads = torch.autograd.grad(loss, [_at(tensors, p) for p in paths])
    values = [out.detach().numpy() for out in outs]
    return case, douts, values, [g.numpy() for g in grads]


def _agrees(got, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def _forward_name(backward: str) -> str:
    return "_".join("forward" if part == "backward" else part for part in backward.split("_"))


def _returned_right(returned, case: Case, grads: list[np.ndarray]) -> bool:
    if isinstance(case.returns, dict):  # the gradients by key, every key there and no other
        keys = list(case.returns)
        return (
            isinstance(returned, dict)
            and set(returned) == set(keys)
            and all(_agrees(returned[k], g) for k, g in zip(keys, grads, strict=True))
        )
    returned = list(returned) if isinstance(returned, tuple) else [returned]
    return len(returned) == len(grads) and all(
        _agrees(g, e) for g, e in zip(returned, grads, strict=True)
    )


def _case_right(module, function: str, index: int) -> bool:
    case, douts, outs, grads = _expected(function, index)
    try:  # a mutant that crashes (an index out of range, shapes that do not fit) is wrong
        forward = getattr(module, _forward_name(function))
        *got_outs, cache = forward(*copy.deepcopy(case.args), **case.options)
        returned = getattr(module, function)(*[d.copy() for d in douts], cache, **case.options)
    except Exception:
        return False
    return (
        len(got_outs) == len(outs)
        and all(_agrees(g, e) for g, e in zip(got_outs, outs, strict=True))
        and _returned_right(returned, case, grads)
    )


def _right(module, function: str) -> bool:
    """Whether the forward gives torch's outputs and every gradient the backward returns is
    torch autograd's, for sum(out * dout) over the outputs, at every configuration."""
    return all(_case_right(module, function, i) for i in range(len(CONFIGS[function])))


# -- the correct file ---------------------------------------------------------------------------
def test_torch_autograd_agrees_the_channels_last_fixture_is_right_at_every_configuration():
    module = load_module(CHANNELS_LAST)
    for function in CONFIGS:
        assert _right(module, function), function


def test_every_unit_of_the_channels_last_file_is_read_and_correct():
    read_correct(CHANNELS_LAST, set(CONFIGS))


# -- mutants ------------------------------------------------------------------------------------
CROP = "da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]"
WINDOW = "vert_start:vert_end, horiz_start:horiz_end"
# the explicit sum ``+=`` stands for, over windows that overlap
POOL_SUM = f"{WINDOW}, c] = dA_prev[i, {WINDOW}, c] + ("
DCCT = "dcct = (dc_next * it + ot * (1 - np.tanh(c_next) ** 2) * it * da_next) * (1 - cct**2)"
DC_PREV = "dc_prev = dc_next * ft + ot * (1 - np.tanh(c_next) ** 2) * ft * da_next"

# (function, line as written, mutated line): wrong ones and equivalent ones alike; the oracle
# says which is which. A helper's line is judged in the pair whose backward calls it (UNIT).
MUTANTS = [
    # the bias of one window, a (1, 1, 1) array made a number (``float(b)``, as the course
    # writes it, is an error in the NumPy this oracle runs: see test_concrete_reader)
    ("conv_single_step", "Z = Z + b.item()", "Z = Z + np.squeeze(b)"),
    # convolution: the slices of dW and db, the window's end and stride, the crop, the sums
    (
        "conv_backward",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]",
        "dW += a_slice * dZ[i, h, w, c]",
    ),
    ("conv_backward", "db[:, :, :, c] += dZ[i, h, w, c]", "db += dZ[i, h, w, :]"),
    ("conv_backward", "vert_end = vert_start + f", "vert_end = vert_start + f + 1"),
    ("conv_backward", "horiz_start = stride * w", "horiz_start = w"),
    ("conv_backward", CROP, "da_prev_pad[pad:-pad, pad:-pad, :]"),
    ("conv_backward", CROP, "da_prev_pad[pad : pad + n_W_prev, pad : pad + n_H_prev, :]"),
    ("conv_backward", "horiz_start:horiz_end, :] += (", "horiz_start:horiz_end, :] = ("),
    ("conv_backward", "W[:, :, :, c] * dZ[i, h, w, c]", "W[:, :, :, c] * dZ[i, w, h, c]"),
    ("conv_backward", "a_slice = a_prev_pad[", "a_slice = da_prev_pad["),
    (
        "conv_backward",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c] / m",
    ),
    (
        "conv_backward",
        "dA_prev_pad = zero_pad(dA_prev, pad)",
        "dA_prev_pad = zero_pad(A_prev, pad)",
    ),
    (
        "conv_backward",
        "dW[:, :, :, c] += a_slice * dZ[i, h, w, c]",
        "dW[:, :, :, c] = dW[:, :, :, c] + a_slice * dZ[i, h, w, c]",
    ),
    ("conv_backward", "db[:, :, :, c] += dZ[i, h, w, c]", "db[0, 0, 0, c] += dZ[i, h, w, c]"),
    (
        "conv_backward",
        f"dA_prev[i, :, :, :] = {CROP}",
        "dA_prev[i] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev]",
    ),
    ("conv_backward", "vert_end = vert_start + f", "vert_end = stride * h + f"),
    ("conv_backward", f"a_slice = a_prev_pad[{WINDOW}, :]", f"a_slice = a_prev_pad[{WINDOW}]"),
    ("conv_backward", "dW[:, :, :, c] += a_slice", "dW[..., c] += a_slice"),
    (
        "conv_backward",
        "W[:, :, :, c] * dZ[i, h, w, c]",
        "np.multiply(W[:, :, :, c], dZ[i, h, w, c])",
    ),
    (
        "conv_backward",
        CROP,
        "da_prev_pad[pad : pad + A_prev.shape[1], pad : pad + A_prev.shape[2], :]",
    ),
    # pooling: assigned where overlapping windows need a sum, the mask, the average's share
    ("pool_backward", f"{WINDOW}, c] += (", f"{WINDOW}, c] = ("),
    ("pool_backward", "c] += distributed", "c] = distributed"),
    ("create_mask_from_window", "mask = x == np.max(x)", "mask = x < np.max(x)"),
    ("create_mask_from_window", "mask = x == np.max(x)", "mask = x >= np.max(x)"),
    ("create_mask_from_window", "mask = x == np.max(x)", "mask = x == x.max()"),
    ("distribute_value", "average = dz / (n_H * n_W)", "average = dz / n_H"),
    ("distribute_value", "average = dz / (n_H * n_W)", "average = dz / n_H / n_W"),
    ("distribute_value", "a = np.ones(shape) * average", "a = np.full(shape, average)"),
    ("distribute_value", "a = np.ones(shape) * average", "a = np.ones(shape) * dz"),
    ("pool_backward", "shape = (f, f)", "shape = (stride, stride)"),
    ("pool_backward", "a_prev_slice = a_prev[", "a_prev_slice = dA[i, "),
    ("pool_backward", "vert_start = h * stride", "vert_start = h * f"),
    ("pool_backward", "mask * dA[i, h, w, c]", "mask"),
    ("pool_backward", "da = dA[i, h, w, c]", "da = dA[i, h, w, c] / (f * f)"),
    ("pool_backward", "distribute_value(da, shape)", "distribute_value(dA[i, h, w, c], shape)"),
    ("pool_backward", "mask * dA[i, h, w, c]", "np.multiply(mask, dA[i, h, w, c])"),
    ("pool_backward", 'if mode == "max":', 'if mode != "average":'),
    ("pool_backward", "dA_prev = np.zeros(A_prev.shape)", "dA_prev = np.zeros_like(A_prev)"),
    ("pool_backward", f"{WINDOW}, c] += (", POOL_SUM),
    (
        "pool_backward",
        "mask = create_mask_from_window(a_prev_slice)",
        "mask = a_prev_slice == np.max(a_prev_slice)",
    ),
    # a recurrent cell over columns: tanh's derivative, the transposes, the bias's axis
    ("rnn_cell_backward", "dtanh = (1 - a_next**2) * da_next", "dtanh = (1 - a_next) * da_next"),
    ("rnn_cell_backward", "dWax = np.dot(dtanh, xt.T)", "dWax = np.dot(dtanh, xt)"),
    ("rnn_cell_backward", "axis=1, keepdims=True)", "axis=0, keepdims=True)"),
    ("rnn_cell_backward", "axis=1, keepdims=True)", "axis=1)"),
    ("rnn_cell_backward", "da_prev = np.dot(Waa.T, dtanh)", "da_prev = np.dot(Waa, dtanh)"),
    ("rnn_cell_backward", "dWaa = np.dot(dtanh, a_prev.T)", "dWaa = np.dot(a_prev, dtanh.T)"),
    ("rnn_cell_backward", "dxt = np.dot(Wax.T, dtanh)", "dxt = np.dot(Wax.T, da_next)"),
    ("rnn_cell_backward", '"dWax": dWax, "dWaa": dWaa', '"dWax": dWaa, "dWaa": dWax'),
    (
        "rnn_cell_backward",
        "dtanh = (1 - a_next**2) * da_next",
        "dtanh = da_next * (1 - np.square(a_next))",
    ),
    ("rnn_cell_backward", "dWax = np.dot(dtanh, xt.T)", "dWax = dtanh @ xt.T"),
    ("rnn_cell_backward", "dWaa = np.dot(dtanh, a_prev.T)", "dWaa = np.dot(a_prev, dtanh.T).T"),
    (
        "rnn_cell_backward",
        "dba = np.sum(dtanh, axis=1, keepdims=True)",
        "dba = dtanh.sum(axis=1).reshape(-1, 1)",
    ),
    ("rnn_cell_backward", "dxt = np.dot(Wax.T, dtanh)", "dxt = np.dot(dtanh.T, Wax).T"),
    # an LSTM cell over columns: the gates' derivatives, the cell's carry, the concatenation
    ("lstm_cell_backward", "* cct * da_next) * it * (1 - it)", "* cct * da_next) * ft * (1 - ft)"),
    ("lstm_cell_backward", "dc_prev = dc_next * ft + ot", "dc_prev = dc_next * it + ot"),
    ("lstm_cell_backward", DC_PREV, "dc_prev = dc_next * ft"),
    (
        "lstm_cell_backward",
        "(dc_next * it + ot * (1 - np.tanh(c_next) ** 2) * it",
        "(dc_next * it + ot * it",
    ),
    (
        "lstm_cell_backward",
        "(dc_next * c_prev + ot * (1 - np.tanh(c_next) ** 2) * c_prev",
        "(dc_next * c_prev + ot * c_prev",
    ),
    ("lstm_cell_backward", "dot = da_next * np.tanh(c_next) * ot", "dot = da_next * c_next * ot"),
    ("lstm_cell_backward", "* (1 - cct**2)", "* (1 - cct)"),
    (
        "lstm_cell_backward",
        "concat = np.concatenate((a_prev, xt), axis=0)",
        "concat = np.concatenate((xt, a_prev), axis=0)",
    ),
    (
        "lstm_cell_backward",
        "dbf = np.sum(dft, axis=1, keepdims=True)",
        "dbf = np.sum(dft, axis=0, keepdims=True)",
    ),
    (
        "lstm_cell_backward",
        'np.dot(parameters["Wi"][:, :n_a].T, dit)',
        'np.dot(parameters["Wi"][:, n_a:].T, dit)',
    ),
    (
        "lstm_cell_backward",
        'np.dot(parameters["Wo"][:, n_a:].T, dot)',
        'np.dot(parameters["Wo"][:, n_a:].T, dit)',
    ),
    ("lstm_cell_backward", '"dWc": dWc,', '"dWc": dWo,'),
    ("lstm_cell_backward", "* ot * (1 - ot)", "* (ot - ot**2)"),
    ("lstm_cell_backward", "dWf = np.dot(dft, concat.T)", "dWf = dft @ concat.T"),
    (
        "lstm_cell_backward",
        "dbo = np.sum(dot, axis=1, keepdims=True)",
        "dbo = dot.sum(axis=1, keepdims=True)",
    ),
    (
        "lstm_cell_backward",
        DC_PREV,
        "dc_prev = dc_next * ft + ot * (1 - np.square(np.tanh(c_next))) * ft * da_next",
    ),
    ("lstm_cell_backward", "n_a, m = a_next.shape", "n_a = a_prev.shape[0]"),
    (
        "lstm_cell_backward",
        "concat = np.concatenate((a_prev, xt), axis=0)",
        "concat = np.vstack((a_prev, xt))",
    ),
    (
        "lstm_cell_backward",
        DCCT,
        "dcct = (dc_next + ot * (1 - np.tanh(c_next) ** 2) * da_next) * it * (1 - cct**2)",
    ),
    (
        "lstm_cell_backward",
        'np.dot(parameters["Wf"][:, :n_a].T, dft)',
        'np.dot(parameters["Wf"][:, 0:n_a].T, dft)',
    ),
]

# Reviewed: the mutants torch autograd labels right (equivalent rewrites, or a change that
# only matters at a configuration the layer never sees); every other mutant is wrong.
EQUIVALENT = {
    ("conv_single_step", "Z = Z + np.squeeze(b)"),
    ("conv_backward", "dW[:, :, :, c] = dW[:, :, :, c] + a_slice * dZ[i, h, w, c]"),
    ("conv_backward", "db[0, 0, 0, c] += dZ[i, h, w, c]"),
    ("conv_backward", "dA_prev[i] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev]"),
    ("conv_backward", "vert_end = stride * h + f"),
    ("conv_backward", f"a_slice = a_prev_pad[{WINDOW}]"),
    ("conv_backward", "dW[..., c] += a_slice"),
    ("conv_backward", "np.multiply(W[:, :, :, c], dZ[i, h, w, c])"),
    ("conv_backward", "da_prev_pad[pad : pad + A_prev.shape[1], pad : pad + A_prev.shape[2], :]"),
    ("create_mask_from_window", "mask = x >= np.max(x)"),  # no window holds a tie
    ("create_mask_from_window", "mask = x == x.max()"),
    ("distribute_value", "average = dz / n_H / n_W"),
    ("distribute_value", "a = np.full(shape, average)"),
    ("pool_backward", "distribute_value(dA[i, h, w, c], shape)"),
    ("pool_backward", "np.multiply(mask, dA[i, h, w, c])"),
    ("pool_backward", 'if mode != "average":'),  # the only modes are "max" and "average"
    ("pool_backward", "dA_prev = np.zeros_like(A_prev)"),
    ("pool_backward", POOL_SUM),
    ("pool_backward", "mask = a_prev_slice == np.max(a_prev_slice)"),
    ("rnn_cell_backward", "dtanh = da_next * (1 - np.square(a_next))"),
    ("rnn_cell_backward", "dWax = dtanh @ xt.T"),
    ("rnn_cell_backward", "dWaa = np.dot(a_prev, dtanh.T).T"),
    ("rnn_cell_backward", "dba = dtanh.sum(axis=1).reshape(-1, 1)"),
    ("rnn_cell_backward", "dxt = np.dot(dtanh.T, Wax).T"),
    ("lstm_cell_backward", "* (ot - ot**2)"),
    ("lstm_cell_backward", "dWf = dft @ concat.T"),
    ("lstm_cell_backward", "dbo = dot.sum(axis=1, keepdims=True)"),
    (
        "lstm_cell_backward",
        "dc_prev = dc_next * ft + ot * (1 - np.square(np.tanh(c_next))) * ft * da_next",
    ),
    ("lstm_cell_backward", "n_a = a_prev.shape[0]"),
    ("lstm_cell_backward", "concat = np.vstack((a_prev, xt))"),
    (
        "lstm_cell_backward",
        "dcct = (dc_next + ot * (1 - np.tanh(c_next) ** 2) * da_next) * it * (1 - cct**2)",
    ),
    ("lstm_cell_backward", 'np.dot(parameters["Wf"][:, 0:n_a].T, dft)'),
}

# Caught, but blamed at another line, each for its reason (as in test_naive_layers.py).
BLAMED_ELSEWHERE = {
    # an index, or a window's shape, is no adjoint: blamed where the window it makes is used
    ("conv_backward", "vert_end = vert_start + f + 1"),
    ("conv_backward", "horiz_start = w"),
    ("pool_backward", "vert_start = h * f"),
    ("pool_backward", "shape = (stride, stride)"),
    # the values a window or a mask is taken from are no adjoint: blamed
    # where they are used
    ("conv_backward", "a_slice = da_prev_pad["),
    ("pool_backward", "a_prev_slice = dA[i, "),
    # a helper's line is blamed at the line of the unit that calls it
    ("create_mask_from_window", "mask = x < np.max(x)"),
    ("distribute_value", "average = dz / n_H"),
    ("distribute_value", "a = np.ones(shape) * dz"),
    # a value made afresh in every turn of a loop has nothing to be held to: the line that
    # adds it into the gradient is blamed
    ("pool_backward", "da = dA[i, h, w, c] / (f * f)"),
}


def _unit(function: str) -> str:
    return UNIT.get(function, function)


def _label(tmp_path: Path, function: str, old: str, new: str) -> tuple[Path, int, bool]:
    path, line = mutant_file(CHANNELS_LAST, tmp_path, function, old, new)
    return path, line, _right(load_module(path), _unit(function))


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    """The oracle's side alone: each mutant changes one line of its function, the file still
    parses, the label is computed without error, and it is the reviewed one."""
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


# mutants right at some configurations and wrong at others: why every configuration counts
PARTLY_RIGHT = {
    ("conv_backward", "horiz_start = w"): "right at stride 1 only",
    ("conv_backward", "da_prev_pad[pad:-pad, pad:-pad, :]"): "right at pad 1 and 2, not 0",
    ("pool_backward", f"{WINDOW}, c] = ("): "right where windows do not overlap, and averaging",
    ("pool_backward", "c] = distributed"): "right where windows do not overlap, and at max",
    ("pool_backward", "vert_start = h * f"): "right where the stride is the window's size",
    ("pool_backward", "shape = (stride, stride)"): "right where the stride is the window's size",
}


def test_a_mutant_right_at_some_configurations_is_labelled_wrong(tmp_path):
    olds = {(function, new): old for function, old, new in MUTANTS}
    for (function, new), why in PARTLY_RIGHT.items():
        text, _ = mutated(CHANNELS_LAST, function, olds[(function, new)], new)
        path = tmp_path / f"partly_{abs(hash(new))}.py"
        path.write_text(text)
        module = load_module(path)
        each = [_case_right(module, function, i) for i in range(len(CONFIGS[function]))]
        assert any(each) and not all(each), (new, why, each)


def test_every_unit_has_wrong_and_equivalent_mutants():
    counts = {function: sum(_unit(m[0]) == function for m in MUTANTS) for function in CONFIGS}
    assert min(counts.values()) >= 5, counts
    assert {_unit(f) for f, _ in EQUIVALENT} == set(CONFIGS)


@pytest.mark.parametrize(("function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_channels_last_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _label(tmp_path, function, old, new)
    report = judged(check_code(path, _unit(function)))
    assert_judged_as_labelled(report, line, right, (function, new) in BLAMED_ELSEWHERE)
