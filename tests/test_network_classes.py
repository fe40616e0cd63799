"""A network class whose ``loss(X, y)`` returns ``loss, grads`` (a course's
``FullyConnectedNet``): its layers imported from the file beside it, its weights under keys made
in loops, normalisation and dropout chosen when it is made. Read by evaluating it in each
configuration; correct code never called wrong, each mutant caught at its own line.

The labels come from torch autograd of the same network written here in torch: softmax
cross-entropy plus 0.5 * reg * the squared weights, with batch normalisation (biased variance,
eps 1e-5), layer normalisation, or inverted dropout with the fixture's own seeded masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_mutants import (
    assert_judged_as_labelled,
    assert_labels_as_reviewed,
    importable,
    judged,
    load_module,
    mutant_beside,
    oracle_labels,
)

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED, NOT_READ

torch = pytest.importorskip("torch")

FC_NET = Path(__file__).parent / "layerfiles" / "fc_net.py"
LAYERS = Path(__file__).parent / "layerfiles" / "course_layers.py"  # what it imports
CONFIGURATIONS = [  # normalization, dropout_keep_ratio
    (None, 1),
    ("batchnorm", 1),
    ("layernorm", 1),
    (None, 0.7),
    ("batchnorm", 0.5),
]
SEED = 4


def _oracle(params: dict, X, y, normalization, keep, reg: float, masks: list) -> tuple:
    """The loss and its gradients for every weight, by torch autograd."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    layers = sum(k.startswith("W") for k in params)
    out = torch.tensor(X)
    for i in range(1, layers):
        out = out @ t[f"W{i}"] + t[f"b{i}"]
        if normalization == "batchnorm":
            out = torch.nn.functional.batch_norm(
                out, None, None, t[f"gamma{i}"], t[f"beta{i}"], training=True, eps=1e-5
            )
        elif normalization == "layernorm":
            out = torch.nn.functional.layer_norm(
                out, out.shape[1:], t[f"gamma{i}"], t[f"beta{i}"], eps=1e-5
            )
        out = torch.relu(out)
        if keep != 1:
            out = out * torch.tensor(masks[i - 1])
    scores = out @ t[f"W{layers}"] + t[f"b{layers}"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    loss = loss + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in range(1, layers + 1))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def _as_torch(net, X, y, want_loss: float, want: dict, **keywords) -> bool:
    """Whether ``net.loss(X, y, **keywords)`` gives torch's loss and a gradient of the same
    shape and value for every weight; one that fails does not."""
    try:
        loss, grads = net.loss(X, y, **keywords)
    except Exception:
        return False
    if not np.isclose(loss, want_loss, rtol=1e-9) or set(grads) != set(want):
        return False
    for key, expected in want.items():
        got = np.asarray(grads[key], dtype=float)
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-10):
            return False
    return True


def _masks(keep: float, widths: list[int], samples: int) -> list:
    """The fixture's dropout masks: the seed set again before each layer's draw."""
    masks = []
    for width in widths:
        np.random.seed(SEED)
        masks.append((np.random.rand(samples, width) < keep) / keep)
    return masks


def _right(module) -> bool:
    """The loss and every gradient as torch has them, in every configuration."""
    for index, (normalization, keep) in enumerate(CONFIGURATIONS):
        rng = np.random.default_rng(80 + index)
        hidden = [5, 4]
        net = module.FullyConnectedNet(
            hidden,
            input_dim=6,
            num_classes=3,
            dropout_keep_ratio=keep,
            normalization=normalization,
            reg=0.4,
            dtype=np.float64,
            seed=SEED,
        )
        for key in net.params:
            net.params[key] = rng.standard_normal(net.params[key].shape)
        X, y = rng.standard_normal((7, 6)), rng.integers(0, 3, size=7)
        params = {k: v.copy() for k, v in net.params.items()}
        masks = _masks(keep, hidden, 7)
        want = _oracle(params, X, y, normalization, keep, 0.4, masks)
        if not _as_torch(net, X, y, *want):
            return False
    return True


def _label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(FC_NET, [LAYERS], tmp_path, function, old, new, _right)


def test_torch_autograd_agrees_the_network_is_right_and_it_is_read_so():
    with importable(FC_NET.parent, LAYERS.stem):
        assert _right(load_module(FC_NET))
    (unit,) = check_code(FC_NET).units
    assert unit.function == "FullyConnectedNet.loss"
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    keys = {v.name for v in unit.report.verdicts}
    weights = {f"{kind}{layer}" for kind in ("W", "b") for layer in (1, 2, 3)}
    weights |= {f"{kind}{layer}" for kind in ("gamma", "beta") for layer in (1, 2)}
    assert keys == {f"grads[{k!r}]" for k in weights}
    # each verdict at the line that fills its entry, not at the return
    lines = {v.name: v.line for v in unit.report.verdicts}
    text = FC_NET.read_text().splitlines()
    assert 'grads["gamma" + str(i + 1)]' in text[lines["grads['gamma1']"] - 1]
    assert 'grads["W" + str(i + 1)]' in text[lines["grads['W1']"] - 1]


LOSS = "FullyConnectedNet.loss"
MUTANTS = [
    (LOSS, 'dW + self.reg * self.params["W" + str(i + 1)]', "dW"),
    (
        LOSS,
        'dW + self.reg * self.params["W" + str(self.num_layers)]',
        'dW + self.params["W" + str(self.num_layers)]',
    ),
    (
        LOSS,
        "dout, dgamma, dbeta = batchnorm_backward(",
        "dout, dbeta, dgamma = batchnorm_backward(",
    ),
    (LOSS, "affine_backward(dscores, last_cache)", "affine_backward(2 * dscores, last_cache)"),
    (LOSS, "range(self.num_layers - 2, -1, -1)", "range(self.num_layers - 2, 0, -1)"),
    (LOSS, "dout = relu_backward(dout, relu_cache)", "dout = dout"),
    (
        LOSS,
        "dout = dropout_backward(dout, drop_cache)",
        'dout = dropout_backward(dout, drop_cache) / self.dropout_param["p"]',
    ),
    (LOSS, "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)"),
    (LOSS, 'grads["b" + str(i + 1)] = db', 'grads["b" + str(i + 1)] = db / X.shape[0]'),
    (
        LOSS,
        'dW + self.reg * self.params["W" + str(i + 1)]',
        'self.reg * self.params["W" + str(i + 1)] + dW',
    ),
    (
        LOSS,
        "dout, dgamma, dbeta = layernorm_backward(",
        "dout, dbeta, dgamma = layernorm_backward(",
    ),
]
EQUIVALENT = {(LOSS, 'self.reg * self.params["W" + str(i + 1)] + dW')}
# Caught, but blamed at another line, each for its reason.
BLAMED_ELSEWHERE = {
    # a delta wrong in a turn of the loop has no target of its own (``dout`` is every
    # layer's): blamed at the first line that makes a gradient from it
    (LOSS, "dout = dout"),
    (LOSS, 'dout = dropout_backward(dout, drop_cache) / self.dropout_param["p"]'),
    # a loss whose penalty is twice the one its gradients add: the gradients are blamed, as
    # their loss says they are wrong
    (LOSS, "loss += self.reg * np.sum(W * W)"),
}


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_mutant_is_judged_as_the_oracle_says_at_its_own_line(tmp_path, function, old, new):
    path, line, right = _label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in BLAMED_ELSEWHERE)


def test_a_network_that_fails_at_the_checkers_sizes_is_said_not_read_at_its_line(tmp_path):
    """The ReLU's backward handed the affine's input for its own: a broadcast error when run,
    said with the line that calls it, never judged."""
    old, new = "relu_backward(dout, relu_cache)", "relu_backward(dout, fc_cache[0])"
    path, line, right = _label(tmp_path, LOSS, old, new)
    assert not right
    (unit,) = check_code(path).units
    assert unit.status == NOT_READ
    assert f":{line}: " in unit.message and "fails at the checker's sizes" in unit.message


# -- a convolutional network: conv - relu - 2x2 max pool - affine - relu - affine - softmax ------
CNN = Path(__file__).parent / "layerfiles" / "cnn.py"
NAIVE = Path(__file__).parent / "layerfiles" / "naive_layers.py"  # its conv and pool layers


def _cnn_oracle(params: dict, X, y, reg: float) -> tuple:
    """The loss and its gradients for every weight, by torch autograd."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    size = params["W1"].shape[2]
    out = torch.nn.functional.conv2d(torch.tensor(X), t["W1"], t["b1"], padding=(size - 1) // 2)
    out = torch.nn.functional.max_pool2d(torch.relu(out), 2, 2).flatten(1)
    out = torch.relu(out @ t["W2"] + t["b2"])
    scores = out @ t["W3"] + t["b3"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    loss = loss + 0.5 * reg * sum((t[f"W{i}"] ** 2).sum() for i in (1, 2, 3))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def _cnn_right(module) -> bool:
    """The loss and every gradient as torch has them, at two sizes."""
    for index, (channels, side, filters, size) in enumerate([(2, 4, 3, 3), (1, 6, 2, 5)]):
        rng = np.random.default_rng(90 + index)
        net = module.ThreeLayerConvNet(
            input_dim=(channels, side, side),
            num_filters=filters,
            filter_size=size,
            hidden_dim=4,
            num_classes=3,
            reg=0.2,
            dtype=np.float64,
        )
        for key in net.params:
            net.params[key] = rng.standard_normal(net.params[key].shape)
        X, y = rng.standard_normal((3, channels, side, side)), rng.integers(0, 3, size=3)
        params = {k: v.copy() for k, v in net.params.items()}
        want = _cnn_oracle(params, X, y, 0.2)
        if not _as_torch(net, X, y, *want):
            return False
    return True


def _cnn_label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(CNN, [LAYERS, NAIVE], tmp_path, function, old, new, _cnn_right)


def test_torch_autograd_agrees_the_convolutional_network_is_right_and_it_is_read_so():
    with importable(CNN.parent, LAYERS.stem, NAIVE.stem):
        assert _cnn_right(load_module(CNN))
    units = {u.function: u for u in check_code(CNN).units}
    assert set(units) == {
        "conv_relu_pool_backward",
        "affine_relu_backward",
        "ThreeLayerConvNet.loss",
    }
    for unit in units.values():
        assert unit.status == CHECKED, unit.message
        assert unit.report.ok, unit.report.to_text()
    verdicts = units["ThreeLayerConvNet.loss"].report.verdicts
    assert {v.name for v in verdicts} == {f"grads['{k}{i}']" for k in "Wb" for i in (1, 2, 3)}


CNN_LOSS = "ThreeLayerConvNet.loss"
CNN_MUTANTS = [
    (CNN_LOSS, 'grads["W1"] = dW1 + self.reg * W1', 'grads["W1"] = dW1'),
    (CNN_LOSS, 'grads["b2"] = db2', 'grads["b2"] = db3'),
    (
        CNN_LOSS,
        "conv_relu_pool_backward(dout1, cache1)",
        "conv_relu_pool_backward(dout1 / 2, cache1)",
    ),
    (CNN_LOSS, "dout2, dW3, db3 = affine_backward(", "dout2, db3, dW3 = affine_backward("),
    ("conv_relu_pool_backward", "da = relu_backward(ds, relu_cache)", "da = ds"),
    (
        "conv_relu_pool_backward",
        "dx, dw, db = conv_backward_naive(",
        "dx, db, dw = conv_backward_naive(",
    ),
]
CNN_EQUIVALENT: set = set()
CNN_ELSEWHERE: set = set()  # caught, but blamed at another line: none


def test_every_convolutional_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_cnn_label, tmp_path, CNN_MUTANTS)
    assert_labels_as_reviewed(labels, CNN_EQUIVALENT, CNN_ELSEWHERE, len(CNN_MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), CNN_MUTANTS, ids=lambda v: str(v)[:40])
def test_a_convolutional_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _cnn_label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in CNN_ELSEWHERE)


def test_a_configuration_that_fails_is_said_and_left_out(tmp_path):
    """A pad of 1 is right at filter size 3 and fails at 5 (the affine after the pool is sized
    for a same-size convolution): judged at 3, the size 5 said as failing, with its line."""
    path, _, right = _cnn_label(tmp_path, CNN_LOSS, '"pad": (filter_size - 1) // 2', '"pad": 1')
    assert not right
    report = judged(check_code(path, CNN_LOSS))
    (note,) = [n for n in report.notes if n.startswith("not judged as")]
    assert "filter_size=5" in note and "fails there at line" in note


FAST_LAYERS = """
import numpy as np

from .im2col_cython import col2im_cython, im2col_cython


def conv_forward_strides(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    p = pad
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    H += 2 * pad
    W += 2 * pad
    out_h = (H - HH) // stride + 1
    out_w = (W - WW) // stride + 1
    shape = (C, HH, WW, N, out_h, out_w)
    strides = (H * W, W, 1, C * H * W, stride * W, stride)
    strides = x.itemsize * np.array(strides)
    x_stride = np.lib.stride_tricks.as_strided(x_padded, shape=shape, strides=strides)
    x_cols = np.ascontiguousarray(x_stride)
    x_cols.shape = (C * HH * WW, N * out_h * out_w)
    res = w.reshape(F, -1).dot(x_cols) + b.reshape(-1, 1)
    res.shape = (F, N, out_h, out_w)
    out = res.transpose(1, 0, 2, 3)
    out = np.ascontiguousarray(out)
    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_strides(dout, cache):
    x, w, b, conv_param, x_cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, out_h, out_w = dout.shape
    db = np.sum(dout, axis=(0, 2, 3))
    dout_reshaped = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = dout_reshaped.dot(x_cols.T).reshape(w.shape)
    dx_cols = w.reshape(F, -1).T.dot(dout_reshaped)
    dx_cols.shape = (C, HH, WW, N, out_h, out_w)
    dx = col2im_6d_cython(dx_cols, N, C, H, W, HH, WW, pad, stride)
    return dx, dw, db


conv_forward_fast = conv_forward_strides
conv_backward_fast = conv_backward_strides


def max_pool_forward_fast(x, pool_param):
    out, reshape_cache = max_pool_forward_reshape(x, pool_param)
    cache = ("reshape", reshape_cache)
    return out, cache


def max_pool_backward_fast(dout, cache):
    method, real_cache = cache
    return max_pool_backward_reshape(dout, real_cache)
"""

FAST_UTILS = """
from .layers import *
from .fast_layers import *


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db
"""


def test_a_course_package_with_compiled_fast_layers_reads_them_as_the_naive_ones(tmp_path):
    """cs231n/fast_layers.py's convolution and pooling (strides, im2col in Cython) are read
    as layers.py's naive ones, forward and backward alike, and said so."""
    package = tmp_path / "cs231n"
    (package / "classifiers").mkdir(parents=True)
    naive = NAIVE.read_text().split("import numpy as np", 1)[1]
    (package / "layers.py").write_text(LAYERS.read_text() + "\n\n" + naive)
    (package / "fast_layers.py").write_text(FAST_LAYERS)
    (package / "layer_utils.py").write_text(FAST_UTILS)
    network = CNN.read_text()
    network = network[network.index("class ThreeLayerConvNet") :]
    head = "import numpy as np\n\nfrom ..layers import *\nfrom ..fast_layers import *\n"
    head += "from ..layer_utils import *\n\n\n"
    (package / "classifiers" / "cnn.py").write_text(head + network)
    (unit,) = check_code(package / "classifiers" / "cnn.py").units
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    notes = "\n".join(unit.report.notes)
    assert "conv_forward_fast() read as conv_forward_naive()" in notes
    assert "max_pool_backward_fast() read as max_pool_backward_naive()" in notes
    utils = {u.function: u for u in check_code(package / "layer_utils.py").units}
    pair = utils["conv_relu_pool_backward"]
    assert pair.status == CHECKED and pair.report.ok, pair.message or pair.report.to_text()


UNKNOWN_LAYERS = """
import numpy as np


class Net(object):
    def __init__(self, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = np.random.randn(4, 3)
        self.params["W2"] = np.random.randn(3, 2)

    def loss(self, X, y=None):
        W1, W2 = self.params["W1"], self.params["W2"]
        h, cache1 = mystery_forward(X, W1)
        scores = h @ W2
        loss = np.sum(scores)
        grads = {}
        dh = np.ones_like(scores) @ W2.T
        dX, dW1 = mystery_backward(dh, cache1)
        grads["W1"] = dW1
        grads["W2"] = h.T @ np.ones_like(scores)
        return loss, grads
"""


def test_a_layer_nowhere_to_be_read_leaves_the_network_not_read_never_wrong(tmp_path):
    """``mystery_forward`` is neither in the file nor beside it: what it makes from W1 is no
    data, and the gradients read through it would be nonsense (by hand, grads["W2"] =
    h^T ones is right whatever h is); the network is said not read, at the call."""
    path = tmp_path / "net.py"
    path.write_text(UNKNOWN_LAYERS)
    (unit,) = check_code(path).units
    assert unit.status == NOT_READ
    line = next(n for n, t in enumerate(UNKNOWN_LAYERS.splitlines(), 1) if "mystery_forward(" in t)
    assert f":{line}: mystery_forward() is called with the weights" in unit.message


# -- the first assignment's two-layer network: reg an argument of loss -------------------------
NEURAL_NET = Path(__file__).parent / "layerfiles" / "neural_net.py"
TWO_LAYER = "TwoLayerNet.loss"


def _two_layer_right(module) -> bool:
    """The loss and every gradient as torch has them, at two strengths and sizes."""
    for index, (inputs, hidden, classes, reg) in enumerate([(5, 4, 3, 0.3), (3, 6, 4, 0.05)]):
        rng = np.random.default_rng(100 + index)
        net = module.TwoLayerNet(inputs, hidden, classes)
        for key in net.params:
            net.params[key] = rng.standard_normal(net.params[key].shape)
        X, y = rng.standard_normal((7, inputs)), rng.integers(0, classes, size=7)
        t = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
        h = torch.relu(torch.tensor(X) @ t["W1"] + t["b1"])
        scores = h @ t["W2"] + t["b2"]
        want = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
        want = want + reg * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
        want.backward()
        grads = {k: v.grad.numpy() for k, v in t.items()}
        if not _as_torch(net, X, y, want.item(), grads, reg=reg):
            return False
    return True


def _two_layer_label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(NEURAL_NET, [], tmp_path, function, old, new, _two_layer_right)


def test_torch_autograd_agrees_the_two_layer_network_is_right_and_it_is_read_so():
    assert _two_layer_right(load_module(NEURAL_NET))
    (unit,) = check_code(NEURAL_NET).units
    assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    assert {v.name for v in unit.report.verdicts} == {f"grads['{k}']" for k in TWO_LAYER_KEYS}


def test_a_penalty_term_off_by_its_strength_is_named(tmp_path):
    """``+ reg * W2`` for a penalty ``reg * sum(W2 * W2)``: by hand, off by -1 * reg * W2."""
    old, new = "h1.T.dot(dscores) + 2 * reg * W2", "h1.T.dot(dscores) + reg * W2"
    path, _, right = _two_layer_label(tmp_path, TWO_LAYER, old, new)
    assert not right
    (wrong,) = judged(check_code(path, TWO_LAYER)).wrong
    assert wrong.diagnosis.kind == "regularisation"
    assert wrong.diagnosis.message.startswith("off by -1 * reg * self.params['W2']")


TWO_LAYER_KEYS = ("W1", "b1", "W2", "b2")
TWO_LAYER_MUTANTS = [
    (TWO_LAYER, "h1.T.dot(dscores) + 2 * reg * W2", "h1.T.dot(dscores) + reg * W2"),
    (TWO_LAYER, "dh1[h1 <= 0] = 0", "dh1[h1 < 0] = 0"),
    (TWO_LAYER, "dscores /= N", "dscores /= D"),
    (TWO_LAYER, "dscores[np.arange(N), y] -= 1", "dscores[np.arange(N), y] += 1"),
    (TWO_LAYER, 'grads["b1"] = np.sum(dh1, axis=0)', 'grads["b1"] = np.sum(dh1, axis=1)'),
    (TWO_LAYER, "dh1 = dscores.dot(W2.T)", "dh1 = dscores.dot(W2.T) * h1"),
]
TWO_LAYER_EQUIVALENT: set = set()
# Caught, but blamed at another line, each for its reason.
TWO_LAYER_ELSEWHERE = {
    # the mask's edge: h1 is 0 exactly where it was clipped, entries whose adjoint is left open
    # (a constant's); the mask < 0 keeps their gradient, seen first in grads["W1"]
    (TWO_LAYER, "dh1[h1 < 0] = 0"),
    # scores is shifted in place (``scores -= max``): no one value to hold dscores to, so a
    # wrong dscores is blamed at the first gradient made from it
    (TWO_LAYER, "dscores /= D"),
    (TWO_LAYER, "dscores[np.arange(N), y] += 1"),
}


def test_every_two_layer_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_two_layer_label, tmp_path, TWO_LAYER_MUTANTS)
    assert_labels_as_reviewed(
        labels, TWO_LAYER_EQUIVALENT, TWO_LAYER_ELSEWHERE, len(TWO_LAYER_MUTANTS)
    )


@pytest.mark.parametrize(("function", "old", "new"), TWO_LAYER_MUTANTS, ids=lambda v: str(v)[:40])
def test_a_two_layer_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _two_layer_label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in TWO_LAYER_ELSEWHERE)
