"""Course code with loops (naive convolution and max pooling, the per-sample SVM and softmax
losses, recurrent layers stepped over time, embeddings, temporal affine, spatial batch norm):
every unit read, correct code never called wrong, and each single-line mutant caught at its
own line.

The labels come from torch autograd of a torch version of each forward, written here (the
fixture is run only by this oracle, never by the checker), not from the checker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
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

NAIVE = Path(__file__).parent / "layerfiles" / "naive_layers.py"


# -- the oracle: torch autograd of the same forward, at every configuration ----------------------
@dataclass
class Case:
    """One configuration of a unit: the forward's (or the loss's) arguments, torch's version of
    it, and which arguments the returned gradients belong to, in the order they are returned."""

    args: list
    reference: Callable  # tensors (and the non-array arguments) -> the outputs, or the loss
    wrt: tuple[int, ...]


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def _conv(n, c, h, w, f, hh, ww, stride, pad):
    def make(rng):
        args = [_normal(rng, n, c, h, w), _normal(rng, f, c, hh, ww), _normal(rng, f)]
        param = {"stride": stride, "pad": pad}
        return Case(
            [*args, param],
            lambda x, w, b, p: (F.conv2d(x, w, b, stride=p["stride"], padding=p["pad"]),),
            (0, 1, 2),
        )

    return make


def _pool(n, c, h, w, ph, pw, stride):
    def make(rng):
        param = {"pool_height": ph, "pool_width": pw, "stride": stride}
        return Case(
            [_normal(rng, n, c, h, w), param],
            lambda x, p: (F.max_pool2d(x, (p["pool_height"], p["pool_width"]), p["stride"]),),
            (0,),
        )

    return make


def _torch_svm(W, X, y, reg):
    scores = X @ W
    correct = scores.gather(1, y[:, None])
    margins = torch.clamp(scores - correct + 1, min=0)
    margins = margins * (1 - F.one_hot(y, W.shape[1]).to(W.dtype))
    return margins.sum() / X.shape[0] + reg * (W * W).sum()


def _torch_softmax(W, X, y, reg):
    return F.cross_entropy(X @ W, y) + reg * (W * W).sum()


def _loss(reference, n, d, c, reg):
    def make(rng):
        args = [_normal(rng, d, c), _normal(rng, n, d), rng.integers(0, c, size=n), reg]
        return Case(args, reference, (0,))

    return make


def _torch_rnn_step(x, prev_h, Wx, Wh, b):
    return (torch.tanh(x @ Wx + prev_h @ Wh + b),)


def _torch_rnn(x, h0, Wx, Wh, b):
    h, hs = h0, []
    for t in range(x.shape[1]):
        (h,) = _torch_rnn_step(x[:, t], h, Wx, Wh, b)
        hs.append(h)
    return (torch.stack(hs, dim=1),)


def _torch_lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    i, f, o, g = (x @ Wx + prev_h @ Wh + b).split(prev_h.shape[1], dim=1)
    next_c = torch.sigmoid(f) * prev_c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(next_c), next_c


def _torch_lstm(x, h0, Wx, Wh, b):
    h, c, hs = h0, torch.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, c = _torch_lstm_step(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
    return (torch.stack(hs, dim=1),)


def _rnn_step(n, d, h):
    def make(rng):
        args = [_normal(rng, n, d), _normal(rng, n, h)]
        args += [_normal(rng, d, h, scale=0.4), _normal(rng, h, h, scale=0.4), _normal(rng, h)]
        return Case(args, _torch_rnn_step, (0, 1, 2, 3, 4))

    return make


def _rnn(n, t, d, h, reference=_torch_rnn, gates=1):
    def make(rng):
        args = [_normal(rng, n, t, d), _normal(rng, n, h)]
        args += [_normal(rng, d, gates * h, scale=0.4), _normal(rng, h, gates * h, scale=0.4)]
        return Case([*args, _normal(rng, gates * h)], reference, (0, 1, 2, 3, 4))

    return make


def _lstm_step(n, d, h):
    def make(rng):
        args = [_normal(rng, n, d), _normal(rng, n, h), _normal(rng, n, h)]
        args += [_normal(rng, d, 4 * h, scale=0.4), _normal(rng, h, 4 * h, scale=0.4)]
        return Case([*args, _normal(rng, 4 * h)], _torch_lstm_step, (0, 1, 2, 3, 4, 5))

    return make


def _embedding(n, t, v, d):
    assert n * t > v  # some word comes twice: dW[x] += dout is wrong then

    def make(rng):
        x = rng.integers(0, v, size=(n, t))
        return Case([x, _normal(rng, v, d)], lambda x, W: (F.embedding(x, W),), (1,))

    return make


def _temporal_affine(n, t, d, m):
    def make(rng):
        args = [_normal(rng, n, t, d), _normal(rng, d, m), _normal(rng, m)]
        return Case(args, lambda x, w, b: (x @ w + b,), (0, 1, 2))

    return make


def _torch_batchnorm(x, gamma, beta, bn_param):
    return (F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5),)


def _batchnorm(*shape):
    def make(rng):
        c = shape[1]
        args = [_normal(rng, *shape, scale=2.0) + 1.0, _normal(rng, c), _normal(rng, c)]
        return Case([*args, {"mode": "train"}], _torch_batchnorm, (0, 1, 2))

    return make


# the function judged -> its configurations: stride 1 and 2, pad 0 and 1, non-square inputs and
# windows, sizes distinct within a configuration; pooling windows apart and overlapping
CONFIGS = {
    "conv_backward_naive": [
        _conv(2, 3, 5, 6, 4, 3, 2, stride=1, pad=0),
        _conv(2, 3, 5, 6, 4, 3, 2, stride=2, pad=1),
        _conv(2, 3, 6, 7, 4, 2, 3, stride=2, pad=0),
        _conv(3, 2, 4, 6, 5, 2, 3, stride=1, pad=1),
    ],
    "max_pool_backward_naive": [
        _pool(2, 3, 5, 6, 2, 2, stride=2),
        _pool(2, 3, 7, 6, 3, 3, stride=2),
        _pool(2, 3, 5, 6, 2, 2, stride=1),
        _pool(3, 2, 7, 5, 3, 2, stride=2),
    ],
    "svm_loss_naive": [_loss(_torch_svm, 6, 5, 4, 0.3), _loss(_torch_svm, 3, 7, 5, 0.05)],
    "softmax_loss_naive": [
        _loss(_torch_softmax, 6, 5, 4, 0.3),
        _loss(_torch_softmax, 3, 7, 5, 0.05),
    ],
    "rnn_step_backward": [_rnn_step(3, 4, 5), _rnn_step(2, 6, 3)],
    "rnn_backward": [_rnn(2, 3, 4, 5), _rnn(3, 4, 2, 6)],
    "lstm_step_backward": [_lstm_step(3, 4, 5), _lstm_step(2, 6, 3)],
    "lstm_backward": [
        _rnn(2, 3, 4, 5, _torch_lstm, gates=4),
        _rnn(3, 4, 2, 3, _torch_lstm, gates=4),
    ],
    "word_embedding_backward": [_embedding(2, 4, 5, 3), _embedding(3, 2, 4, 5)],
    "temporal_affine_backward": [_temporal_affine(2, 3, 4, 5), _temporal_affine(3, 2, 5, 4)],
    "batchnorm_backward": [_batchnorm(6, 4), _batchnorm(5, 3)],
    "spatial_batchnorm_backward": [_batchnorm(2, 3, 4, 5), _batchnorm(3, 2, 5, 4)],
}
LOSSES = {"svm_loss_naive", "softmax_loss_naive"}


def _tensor(value, grad: bool):
    if not isinstance(value, np.ndarray):
        return value
    return torch.tensor(value, requires_grad=grad)


def _copied(value):
    return value.copy() if isinstance(value, np.ndarray | dict) else value


@functools.cache
def _expected(function: str, index: int):
    """A configuration's arguments, upstream gradients, and torch's outputs and gradients."""
    case = CONFIGS[function][index](np.random.default_rng(100 + index))
    tensors = [_tensor(a, i in case.wrt) for i, a in enumerate(case.args)]
    outs = case.reference(*tensors)
    if function in LOSSES:
        douts, loss = [], outs
        outs = (outs,)
    else:
        rng = np.random.default_rng(200 + index)
        douts = [rng.standard_normal(tuple(out.shape)) for out in outs]
        loss = sum((out * torch.tensor(d)).sum() for out, d in zip(outs, douts, strict=True))
    grads = torch.autograd.grad(loss, [tensors[i] for i in case.wrt])
    values = [out.detach().numpy() for out in outs]
    return case.args, douts, values, [g.numpy() for g in grads]


def _agrees(got, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def _forward_name(backward: str) -> str:
    return "_".join("forward" if part == "backward" else part for part in backward.split("_"))


def _case_right(module, function: str, index: int) -> bool:
    args, douts, outs, grads = _expected(function, index)
    try:  # a mutant that crashes (an index out of range, shapes that do not fit) is wrong
        if function in LOSSES:
            got_outs, *returned = getattr(module, function)(*[_copied(a) for a in args])
            got_outs = [got_outs]
        else:
            *got_outs, cache = getattr(module, _forward_name(function))(*[_copied(a) for a in args])
            returned = getattr(module, function)(*[d.copy() for d in douts], cache)
            returned = list(returned) if isinstance(returned, tuple) else [returned]
    except Exception:
        return False
    return (
        len(got_outs) == len(outs)
        and all(_agrees(g, e) for g, e in zip(got_outs, outs, strict=True))
        and len(returned) == len(grads)
        and all(_agrees(g, e) for g, e in zip(returned, grads, strict=True))
    )


def _right(module, function: str) -> bool:
    """Whether the forward gives torch's outputs and every gradient the backward (or the loss)
    returns is torch autograd's, for sum(out * dout) (or the loss), at every configuration."""
    return all(_case_right(module, function, i) for i in range(len(CONFIGS[function])))


# -- the correct file ---------------------------------------------------------------------------
def test_torch_autograd_agrees_the_naive_fixture_is_right_at_every_configuration():
    module = load_module(NAIVE)
    for function in CONFIGS:
        assert _right(module, function), function


def test_every_unit_of_the_naive_file_is_read_and_correct():
    read_correct(NAIVE, set(CONFIGS))


# -- mutants ------------------------------------------------------------------------------------
# the explicit sum ``+=`` stands for, over windows that overlap
POOL_SUM = (
    "dx[n, c, hs : hs + HH, ws : ws + WW] = dx[n, c, hs : hs + HH, ws : ws + WW] + mask * dout"
)

# (function, line as written, mutated line): wrong ones and equivalent ones alike; the oracle
# says which is which
MUTANTS = [
    # convolution: a window off by one, one only wrong at stride 2, the crop, the sums
    ("conv_backward_naive", "w_start : w_start + WW] += (", "w_start : w_start + WW + 1] += ("),
    ("conv_backward_naive", "w_start = j * stride", "w_start = j"),
    (
        "conv_backward_naive",
        "dx = dx_pad[:, :, pad : pad + H, pad : pad + W]",
        "dx = dx_pad[:, :, pad:-pad, pad:-pad]",
    ),
    (
        "conv_backward_naive",
        "dx = dx_pad[:, :, pad : pad + H, pad : pad + W]",
        "dx = dx_pad[:, :, pad : pad + W, pad : pad + H]",
    ),
    (
        "conv_backward_naive",
        "db = np.sum(dout, axis=(0, 2, 3))",
        "db = np.sum(dout, axis=(1, 2, 3))",
    ),
    (
        "conv_backward_naive",
        "dw[f] += window * dout[n, f, i, j]",
        "dw[f] += window * dout[n, f, i, j] / N",
    ),
    (
        "conv_backward_naive",
        "dw[f] += window * dout[n, f, i, j]",
        "dw[f] = window * dout[n, f, i, j]",
    ),
    ("conv_backward_naive", "w[f] * dout[n, f, i, j]", "w[f] * dout[n, f, j, i]"),
    ("conv_backward_naive", "db = np.sum(dout, axis=(0, 2, 3))", "db = dout.sum(axis=(0, 2, 3))"),
    (
        "conv_backward_naive",
        "dw[f] += window * dout[n, f, i, j]",
        "dw[f] = dw[f] + window * dout[n, f, i, j]",
    ),
    (
        "conv_backward_naive",
        "dx = dx_pad[:, :, pad : pad + H, pad : pad + W]",
        "dx = dx_pad[:, :, pad : H + pad, pad : W + pad]",
    ),
    # max pooling: assigned where overlapping windows need a sum, the mask, the stride
    ("max_pool_backward_naive", "ws + WW] += mask * dout", "ws + WW] = mask * dout"),
    ("max_pool_backward_naive", "+= mask * dout[n, c, i, j]", "+= mask"),
    ("max_pool_backward_naive", "+= mask * dout[n, c, i, j]", "+= mask * dout[n, c, j, i]"),
    (
        "max_pool_backward_naive",
        "window = x[n, c, hs : hs + HH, ws : ws + WW]",
        "window = dout[n, c, hs : hs + HH, ws : ws + WW]",
    ),
    ("max_pool_backward_naive", "hs = i * stride", "hs = i * HH"),
    (
        "max_pool_backward_naive",
        "mask = window == np.max(window)",
        "mask = window >= np.max(window)",
    ),
    ("max_pool_backward_naive", "mask = window == np.max(window)", "mask = window == window.max()"),
    ("max_pool_backward_naive", "dx[n, c, hs : hs + HH, ws : ws + WW] += mask * dout", POOL_SUM),
    # the SVM loss: the correct class's count, the regularization
    ("svm_loss_naive", "dW[:, y[i]] -= num_positive * X[i]", "dW[:, y[i]] -= X[i]"),
    (
        "svm_loss_naive",
        "dW[:, y[i]] -= num_positive * X[i]",
        "dW[:, y[i]] -= (num_classes - 1) * X[i]",
    ),
    ("svm_loss_naive", "dW += 2 * reg * W", "dW += reg * W"),
    ("svm_loss_naive", "dW += 2 * reg * W", "dW += 2 * W"),
    ("svm_loss_naive", "dW[:, j] += X[i]", "dW[:, j] += X[i] + 2 * reg * W[:, j]"),
    ("svm_loss_naive", "dW /= num_train", "dW /= num_classes"),
    ("svm_loss_naive", "dW += 2 * reg * W", "dW += reg * 2 * W"),
    ("svm_loss_naive", "if margin > 0:", "if margin >= 0:"),
    ("svm_loss_naive", "dW /= num_train", "dW = dW / num_train"),
    ("svm_loss_naive", "scores = X[i].dot(W)", "scores = np.dot(X[i], W)"),
    # the softmax loss: the correct class's -1, the regularization; unshifted is still right
    ("softmax_loss_naive", "scores -= np.max(scores)", "pass"),
    ("softmax_loss_naive", "(probs[j] - 1) * X[i]", "probs[j] * X[i]"),
    ("softmax_loss_naive", "(probs[j] - 1) * X[i]", "(1 - probs[j]) * X[i]"),
    ("softmax_loss_naive", "dW += 2 * reg * W", "dW += reg * W"),
    ("softmax_loss_naive", "dW += 2 * reg * W", "dW += 2 * W"),
    (
        "softmax_loss_naive",
        "dW[:, j] += probs[j] * X[i]",
        "dW[:, j] += probs[j] * X[i] + 2 * reg * W[:, j]",
    ),
    ("softmax_loss_naive", "dW /= num_train", "dW /= num_classes"),
    (
        "softmax_loss_naive",
        "probs = exp_scores / np.sum(exp_scores)",
        "probs = exp_scores / exp_scores.sum()",
    ),
    ("softmax_loss_naive", "dW[:, j] += probs[j] * X[i]", "dW[:, j] = dW[:, j] + probs[j] * X[i]"),
    ("softmax_loss_naive", "scores = X[i].dot(W)", "scores = np.dot(X[i], W)"),
    # a recurrent step
    ("rnn_step_backward", "dprev_h = np.dot(dz, Wh.T)", "dprev_h = np.dot(dz, Wh)"),
    ("rnn_step_backward", "dz = dnext_h * (1 - next_h**2)", "dz = dnext_h * (1 - next_h)"),
    ("rnn_step_backward", "dWh = np.dot(prev_h.T, dz)", "dWh = np.dot(dz.T, prev_h)"),
    ("rnn_step_backward", "db = np.sum(dz, axis=0)", "db = np.sum(dnext_h, axis=0)"),
    ("rnn_step_backward", "dWx = np.dot(x.T, dz)", "dWx = np.dot(x.T, dnext_h)"),
    ("rnn_step_backward", "dx = np.dot(dz, Wx.T)", "dx = dz.dot(Wx.T)"),
    (
        "rnn_step_backward",
        "dz = dnext_h * (1 - next_h**2)",
        "dz = dnext_h * (1 - next_h * next_h)",
    ),
    ("rnn_step_backward", "dWh = np.dot(prev_h.T, dz)", "dWh = np.dot(dz.T, prev_h).T"),
    # a recurrent layer over time: the carry, the order, the sums over steps
    ("rnn_backward", "(dh[:, t, :] + dprev_h, cache[t])", "(dh[:, t, :], cache[t])"),
    ("rnn_backward", "for t in reversed(range(T)):", "for t in range(T):"),
    ("rnn_backward", "dWh += dWh_t", "dWh = dWh_t"),
    ("rnn_backward", "dh0 = dprev_h", "dh0 = dh[:, 0, :]"),
    ("rnn_backward", "dWx += dWx_t", "dWx += dWx_t / T"),
    ("rnn_backward", "dx[:, t, :] = dx_t", "dx[:, t, :] += dx_t"),
    ("rnn_backward", "db += db_t", "db = db + db_t"),
    # an LSTM step: the gates' derivatives, their order, the cell's carry
    ("lstm_step_backward", "da_f = dc * prev_c * f * (1 - f)", "da_f = dc * prev_c * i * (1 - i)"),
    ("lstm_step_backward", "o * (1 - tanh_c**2)", "o * (1 - tanh_c)"),
    ("lstm_step_backward", "da_g = dc * i * (1 - g**2)", "da_g = dc * i * (1 - g)"),
    ("lstm_step_backward", "dprev_c = dc * f", "dprev_c = dnext_c * f"),
    ("lstm_step_backward", "(da_i, da_f, da_o, da_g)", "(da_i, da_f, da_g, da_o)"),
    ("lstm_step_backward", "da_o = dnext_h * tanh_c", "da_o = dc * tanh_c"),
    ("lstm_step_backward", "db = da.sum(axis=0)", "db = np.sum(da, axis=0)"),
    ("lstm_step_backward", "da_o = dnext_h * tanh_c", "da_o = dnext_h * np.tanh(next_c)"),
    ("lstm_step_backward", "dWh = prev_h.T.dot(da)", "dWh = np.dot(prev_h.T, da)"),
    ("lstm_step_backward", "da_i = dc * g * i * (1 - i)", "da_i = i * (1 - i) * g * dc"),
    # an LSTM over time
    ("lstm_backward", "dnext_h = dh[:, t] + dprev_h", "dnext_h = dh[:, t]"),
    (
        "lstm_backward",
        "(dnext_h, dprev_c, cache[t])",
        "(dnext_h, np.zeros_like(dprev_c), cache[t])",
    ),
    ("lstm_backward", "dWh += dWht", "dWh = dWht"),
    ("lstm_backward", "dh0 = dprev_h", "dh0 = dnext_h"),
    ("lstm_backward", "dWx += dWxt", "dWx = dWx + dWxt"),
    ("lstm_backward", "for t in range(T - 1, -1, -1):", "for t in reversed(range(T)):"),
    # word embeddings: a repeated word's rows add up
    ("word_embedding_backward", "np.add.at(dW, x, dout)", "dW[x] += dout"),
    ("word_embedding_backward", "dW = np.zeros_like(W)", "dW = W.copy()"),
    ("word_embedding_backward", "np.add.at(dW, x, dout)", "np.add.at(dW, x, dout / x.shape[0])"),
    (
        "word_embedding_backward",
        "np.add.at(dW, x, dout)",
        "np.add.at(dW, x.reshape(-1), dout.reshape(-1, W.shape[1]))",
    ),
    ("word_embedding_backward", "dW = np.zeros_like(W)", "dW = np.zeros(W.shape)"),
    # temporal affine: reshapes
    ("temporal_affine_backward", ".dot(w.T).reshape(N, T, D)", ".dot(w.T).reshape(T, N, D)"),
    (
        "temporal_affine_backward",
        ".dot(w.T).reshape(N, T, D)",
        ".dot(w.T).reshape(T, N, D).transpose(1, 0, 2)",
    ),
    ("temporal_affine_backward", ".dot(x.reshape(N * T, D)).T", ".dot(x.reshape(N * T, D))"),
    (
        "temporal_affine_backward",
        ".dot(x.reshape(N * T, D)).T",
        ".dot(x.transpose(1, 0, 2).reshape(N * T, D)).T",
    ),
    ("temporal_affine_backward", "db = dout.sum(axis=(0, 1))", "db = dout.sum(axis=0)"),
    (
        "temporal_affine_backward",
        "dx = dout.reshape(N * T, M).dot(w.T).reshape(N, T, D)",
        "dx = dout.dot(w.T)",
    ),
    ("temporal_affine_backward", "db = dout.sum(axis=(0, 1))", "db = dout.sum(axis=(1, 0))"),
    (
        "temporal_affine_backward",
        "dw = dout.reshape(N * T, M).T.dot(x.reshape(N * T, D)).T",
        "dw = x.reshape(N * T, D).T.dot(dout.reshape(N * T, M))",
    ),
    # batch norm: the variance's and the mean's paths (the mean's second term is zero)
    ("batchnorm_backward", "* -0.5 * std_inv**3", "* -0.5 * std_inv**2"),
    ("batchnorm_backward", "x_mu / N + dmu / N", "x_mu / N + dmu"),
    (
        "batchnorm_backward",
        "dgamma = np.sum(dout * x_hat, axis=0)",
        "dgamma = np.sum(dout, axis=0)",
    ),
    ("batchnorm_backward", "dx_hat = dout * gamma", "dx_hat = dout"),
    (
        "batchnorm_backward",
        "dmu = np.sum(-dx_hat * std_inv, axis=0) + dvar * np.mean(-2.0 * x_mu, axis=0)",
        "dmu = np.sum(-dx_hat * std_inv, axis=0)",
    ),
    ("batchnorm_backward", "dbeta = np.sum(dout, axis=0)", "dbeta = dout.sum(axis=0)"),
    # spatial batch norm: transposed there and back
    (
        "spatial_batchnorm_backward",
        "dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
        "dx_flat.reshape(N, H, W, C).transpose(0, 2, 3, 1)",
    ),
    (
        "spatial_batchnorm_backward",
        "dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
        "dx_flat.reshape(N, C, H, W)",
    ),
    (
        "spatial_batchnorm_backward",
        "dout.transpose(0, 2, 3, 1).reshape(-1, C)",
        "dout.reshape(-1, C)",
    ),
    (
        "spatial_batchnorm_backward",
        "dout.transpose(0, 2, 3, 1).reshape(-1, C)",
        "dout.transpose(0, 3, 2, 1).reshape(-1, C)",
    ),
    (
        "spatial_batchnorm_backward",
        "dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
        "dx = np.moveaxis(dx_flat.reshape(N, H, W, C), 3, 1)",
    ),
    (
        "spatial_batchnorm_backward",
        "dout.transpose(0, 2, 3, 1).reshape(-1, C)",
        "dout.transpose(0, 2, 3, 1).reshape(N * H * W, C)",
    ),
]

# Reviewed: the mutants torch autograd labels right (equivalent rewrites, or a change that
# only matters at a configuration the layer never sees); every other mutant is wrong.
EQUIVALENT = {
    ("conv_backward_naive", "db = dout.sum(axis=(0, 2, 3))"),
    ("conv_backward_naive", "dw[f] = dw[f] + window * dout[n, f, i, j]"),
    ("conv_backward_naive", "dx = dx_pad[:, :, pad : H + pad, pad : W + pad]"),
    ("max_pool_backward_naive", "mask = window >= np.max(window)"),
    ("max_pool_backward_naive", "mask = window == window.max()"),
    ("max_pool_backward_naive", POOL_SUM),
    ("svm_loss_naive", "dW += reg * 2 * W"),
    ("svm_loss_naive", "if margin >= 0:"),  # no margin is exactly 0
    ("svm_loss_naive", "dW = dW / num_train"),
    ("svm_loss_naive", "scores = np.dot(X[i], W)"),
    ("softmax_loss_naive", "pass"),  # the shift cancels in the probabilities
    ("softmax_loss_naive", "probs = exp_scores / exp_scores.sum()"),
    ("softmax_loss_naive", "dW[:, j] = dW[:, j] + probs[j] * X[i]"),
    ("softmax_loss_naive", "scores = np.dot(X[i], W)"),
    ("rnn_step_backward", "dx = dz.dot(Wx.T)"),
    ("rnn_step_backward", "dz = dnext_h * (1 - next_h * next_h)"),
    ("rnn_step_backward", "dWh = np.dot(dz.T, prev_h).T"),
    ("rnn_backward", "dx[:, t, :] += dx_t"),  # each step's slice is written once
    ("rnn_backward", "db = db + db_t"),
    ("lstm_step_backward", "db = np.sum(da, axis=0)"),
    ("lstm_step_backward", "da_o = dnext_h * np.tanh(next_c)"),
    ("lstm_step_backward", "dWh = np.dot(prev_h.T, da)"),
    ("lstm_step_backward", "da_i = i * (1 - i) * g * dc"),
    ("lstm_backward", "dWx = dWx + dWxt"),
    ("lstm_backward", "for t in reversed(range(T)):"),
    ("word_embedding_backward", "np.add.at(dW, x.reshape(-1), dout.reshape(-1, W.shape[1]))"),
    ("word_embedding_backward", "dW = np.zeros(W.shape)"),
    ("temporal_affine_backward", "dx = dout.dot(w.T)"),
    ("temporal_affine_backward", "db = dout.sum(axis=(1, 0))"),
    ("temporal_affine_backward", "dw = x.reshape(N * T, D).T.dot(dout.reshape(N * T, M))"),
    ("batchnorm_backward", "dmu = np.sum(-dx_hat * std_inv, axis=0)"),  # the other term is 0
    ("batchnorm_backward", "dbeta = dout.sum(axis=0)"),
    ("spatial_batchnorm_backward", "dx = np.moveaxis(dx_flat.reshape(N, H, W, C), 3, 1)"),
    ("spatial_batchnorm_backward", "dout.transpose(0, 2, 3, 1).reshape(N * H * W, C)"),
}

# Caught, but blamed at another line, each for its reason. In a loop the first wrong version in
# the order the loop runs is the one to blame: a loss's wrong ``dW[:, y[i]] -= ...`` there, not
# the ``dW[:, j] += X[i]`` above it that only carries the error into the next sample.
BLAMED_ELSEWHERE = {
    # an index is no adjoint: blamed where the window it starts is used
    ("max_pool_backward_naive", "hs = i * HH"),
    # the values a mask is taken from are no adjoint: blamed where the mask is used
    ("max_pool_backward_naive", "window = dout[n, c, hs : hs + HH, ws : ws + WW]"),
    # a value built in place (``dW =``, then ``np.add.at(dW, ...)``) is judged as its last version
    ("word_embedding_backward", "dW = W.copy()"),
    # a loop's order is wrong in the values its body makes
    ("rnn_backward", "for t in range(T):"),
    # Within one loop, two lines adding into the same gradient: the reader has each line's
    # total change but not its change per turn, so the first line of the loop is blamed
    ("svm_loss_naive", "dW[:, y[i]] -= X[i]"),
    ("svm_loss_naive", "dW[:, y[i]] -= (num_classes - 1) * X[i]"),
    ("softmax_loss_naive", "dW[:, j] += probs[j] * X[i] + 2 * reg * W[:, j]"),
    # a step's carry left out (``dnext_h = dh[:, t]``) is blamed at the step call it feeds:
    # ``dnext_h`` is reassigned every turn, so it has no one value to be held to
    ("lstm_backward", "dnext_h = dh[:, t]"),
    # the formula reader names a gate's adjoint at the concatenation of the four (``da``);
    # a gate line is no named forward value of its own
    ("lstm_step_backward", "da_f = dc * prev_c * i * (1 - i)"),
    ("lstm_step_backward", "da_g = dc * i * (1 - g)"),
    ("lstm_step_backward", "da_o = dc * tanh_c"),
    # batchnorm's helper sums (``dvar``, ``dx_hat`` beside ``dvar``) are blamed where the
    # formula reader finds the adjoint they feed, ``dx``
    ("batchnorm_backward", "* -0.5 * std_inv**2"),
    ("batchnorm_backward", "dx_hat = dout"),
}


def _label(tmp_path: Path, function: str, old: str, new: str) -> tuple[Path, int, bool]:
    path, line = mutant_file(NAIVE, tmp_path, function, old, new)
    return path, line, _right(load_module(path), function)


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    """The oracle's side alone: each mutant changes one line of its function, the file still
    parses, the label is computed without error, and it is the reviewed one."""
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


# mutants right at some configurations and wrong at others: why every configuration counts
PARTLY_RIGHT = {
    ("conv_backward_naive", "w_start = j"): "right at stride 1 only",
    ("conv_backward_naive", "dx = dx_pad[:, :, pad:-pad, pad:-pad]"): "right at pad 1 only",
    ("max_pool_backward_naive", "ws + WW] = mask * dout"): "right where windows do not overlap",
    ("max_pool_backward_naive", "hs = i * HH"): "right where the stride is the window's height",
}


def test_a_mutant_right_at_some_configurations_is_labelled_wrong(tmp_path):
    olds = {(function, new): old for function, old, new in MUTANTS}
    for (function, new), why in PARTLY_RIGHT.items():
        text, _ = mutated(NAIVE, function, olds[(function, new)], new)
        path = tmp_path / f"partly_{abs(hash(new))}.py"
        path.write_text(text)
        module = load_module(path)
        each = [_case_right(module, function, i) for i in range(len(CONFIGS[function]))]
        assert any(each) and not all(each), (new, why, each)


def test_every_unit_has_wrong_and_equivalent_mutants():
    counts = {function: sum(m[0] == function for m in MUTANTS) for function in CONFIGS}
    assert min(counts.values()) >= 5, counts
    assert {f for f, _ in EQUIVALENT} == set(CONFIGS)


@pytest.mark.parametrize(("function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_naive_mutant_is_judged_as_the_oracle_says_at_its_own_line(tmp_path, function, old, new):
    path, line, right = _label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in BLAMED_ELSEWHERE)
