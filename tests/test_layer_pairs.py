"""Course-style layer files: every pair and loss function read, correct code never called
wrong, and each single-line mutant caught at its own line.

The labels come from finite differences of the fixture's own forward (an independent
oracle: the file is run here, in the test, never by the checker), not from the checker.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from layer_mutants import judged, load_module, mutated

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED, NOT_IMPLEMENTED, FileReport
from symbackprop.errors import SymbackpropError

LAYERS = Path(__file__).parent / "layerfiles" / "course_layers.py"
NET = Path(__file__).parent / "layerfiles" / "course_net.py"
STYLES = Path(__file__).parent / "layerfiles" / "course_styles.py"
N, D, M = 4, 3, 5  # distinct sizes: a transposed product cannot pass by accident
H = 2  # an LSTM's hidden size: its gates are (N, 4 H)


def _arrays(rng, *shapes):
    return [rng.standard_normal(shape) for shape in shapes]


def _labels(rng):
    return rng.integers(0, M, size=N)


# forward function -> its arguments (arrays first, in the order gradients are returned)
PAIR_INPUTS = {
    "affine": lambda r: _arrays(r, (N, D), (D, M), (M,)),
    "relu": lambda r: _arrays(r, (N, D)),
    "leaky_relu": lambda r: _arrays(r, (N, D)),
    "sigmoid": lambda r: _arrays(r, (N, D)),
    "tanh": lambda r: _arrays(r, (N, D)),
    "batchnorm": lambda r: [*_arrays(r, (N, D), (D,), (D,)), {"mode": "train"}],
    "layernorm": lambda r: [*_arrays(r, (N, D), (D,), (D,)), {}],
    "dropout": lambda r: [*_arrays(r, (N, D)), {"p": 0.6, "mode": "train", "seed": 3}],
    "rnn_step": lambda r: _arrays(r, (N, D), (N, M), (D, M), (M, M), (M,)),
    "lstm_step": lambda r: _arrays(r, (N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)),
    "affine_relu": lambda r: _arrays(r, (N, D), (D, M), (M,)),
}
LOSS_INPUTS = {
    "svm_loss": lambda r: [*_arrays(r, (N, M)), _labels(r)],
    "softmax_loss": lambda r: [*_arrays(r, (N, M)), _labels(r)],
    "softmax_loss_vectorized": lambda r: [*_arrays(r, (D, M), (N, D)), _labels(r), 0.1],
    "svm_loss_vectorized": lambda r: [*_arrays(r, (D, M), (N, D)), _labels(r), 0.1],
    "softmax_loss_naive": lambda r: [*_arrays(r, (D, M), (N, D)), _labels(r), 0.1],
    "svm_loss_naive": lambda r: [*_arrays(r, (D, M), (N, D)), _labels(r), 0.1],
}


def _central(f, array: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        keep = array[index]
        array[index] = keep + step
        up = f()
        array[index] = keep - step
        down = f()
        array[index] = keep
        grad[index] = (up - down) / (2 * step)
    return grad


def _agrees(got, expected) -> bool:
    got = np.asarray(got, dtype=float)
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-5, atol=1e-6)


def _pair_right(module, layer: str, backward: str) -> bool:
    """Whether every gradient the backward returns matches finite differences of
    sum(forward(...) * dout)."""
    rng = np.random.default_rng(7)
    args = PAIR_INPUTS[layer](rng)
    forward = getattr(module, f"{layer}_forward")
    *outs, cache = forward(*args)
    douts = [rng.standard_normal(out.shape) for out in outs]
    returned = getattr(module, backward)(*[d.copy() for d in douts], cache)
    returned = returned if isinstance(returned, tuple) else (returned,)
    arrays = [a for a in args if isinstance(a, np.ndarray)]

    def value():
        return sum(float(np.sum(o * d)) for o, d in zip(forward(*args)[:-1], douts, strict=True))

    return len(returned) == len(arrays) and all(
        _agrees(g, _central(value, a)) for g, a in zip(returned, arrays, strict=True)
    )


def _loss_right(module, name: str) -> bool:
    rng = np.random.default_rng(7)
    args = LOSS_INPUTS[name](rng)
    function = getattr(module, name)
    _, grad = function(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    return _agrees(grad, _central(lambda: float(function(*args)[0]), args[0]))


def _net_right(module) -> bool:
    """TwoLayerNet.loss's gradients against finite differences of its loss."""
    rng = np.random.default_rng(7)
    net = module.TwoLayerNet(input_dim=D, hidden_dim=M, num_classes=H + 1, reg=0.1)
    for name in net.params:
        net.params[name] = rng.standard_normal(net.params[name].shape)
    X, y = rng.standard_normal((N, D)), rng.integers(0, H + 1, size=N)
    _, grads = net.loss(X, y)
    return all(
        _agrees(grads[name], _central(lambda: float(net.loss(X, y)[0]), net.params[name]))
        for name in net.params
    )


def _right(module, function: str) -> bool:
    if function == "TwoLayerNet.loss":
        return _net_right(module)
    if function in LOSS_INPUTS:
        return _loss_right(module, function)
    layer = function.split("_backward")[0]
    return _pair_right(module, layer, function)


# -- the correct file ---------------------------------------------------------------------------
def test_every_unit_of_a_correct_layer_file_is_read_and_correct():
    report = check_code(LAYERS)
    assert isinstance(report, FileReport)
    functions = {u.function: u for u in report.units}
    expected = {f"{layer}_backward" for layer in PAIR_INPUTS} | set(LOSS_INPUTS)
    expected.add("batchnorm_backward_alt")
    expected.discard("affine_relu_backward")  # in the network's file
    expected -= {"softmax_loss_naive", "svm_loss_naive"}  # in the styles' file
    assert set(functions) == expected
    module = load_module(LAYERS)
    for function, unit in functions.items():
        assert _right(module, function), function  # the oracle agrees the fixture is right
        assert unit.status == CHECKED, (function, unit.message)
        assert unit.report.ok, unit.report.to_text()
    assert report.ok


def test_a_network_built_from_layers_is_read_through_its_layer_calls():
    report = check_code(NET)
    functions = {u.function: u for u in report.units}
    assert set(functions) >= {"affine_relu_backward", "softmax_loss", "TwoLayerNet.loss"}
    module = load_module(NET)
    assert _net_right(module) and _right(module, "affine_relu_backward")
    for unit in report.units:
        assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    judged = {v.name for v in functions["TwoLayerNet.loss"].report.verdicts}
    assert {"grads['W1']", "grads['W2']"} <= judged


# The naive loss loops over samples with data-dependent ifs are read by evaluating them at
# small sizes (the concrete reader): read, and called correct like the rest.
def test_other_styles_are_read_the_naive_loops_by_evaluation():
    report = check_code(STYLES)
    module = load_module(STYLES)
    for unit in report.units:
        assert _right(module, unit.function), unit.function
        assert unit.status == CHECKED and unit.report.ok, unit.message or unit.report.to_text()
    assert {u.function for u in report.units} == {
        "affine_backward",
        "relu_backward",
        "sigmoid_backward",
        "batchnorm_backward_alt",
        "softmax_loss_naive",
        "svm_loss_naive",
    }
    evaluated = {u.function for u in report.units if "small sizes" in " ".join(u.report.notes)}
    assert evaluated == {"softmax_loss_naive", "svm_loss_naive"}


# -- mutants ------------------------------------------------------------------------------------
# (function, line as written, mutated line): wrong ones and equivalent ones alike; the oracle
# says which is which
MUTANTS = [
    (
        "affine_backward",
        "dx = dout.dot(w.T).reshape(x.shape)",
        "dx = -dout.dot(w.T).reshape(x.shape)",
    ),
    (
        "affine_backward",
        "dw = x.reshape(x.shape[0], -1).T.dot(dout)",
        "dw = 2 * x.reshape(x.shape[0], -1).T.dot(dout)",
    ),
    ("affine_backward", "db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=0) / x.shape[0]"),
    ("affine_backward", "db = np.sum(dout, axis=0)", "db = dout.sum(axis=0)"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x < 0)"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = (x > 0).astype(float)"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x >= 0)"),
    (
        "leaky_relu_backward",
        "dx = np.where(x > 0, dout, alpha * dout)",
        "dx = np.where(x > 0, dout, 0)",
    ),
    (
        "leaky_relu_backward",
        "dx = np.where(x > 0, dout, alpha * dout)",
        "dx = np.where(x > 0, dout, alpha)",
    ),
    ("sigmoid_backward", "dx = dout * out * (1 - out)", "dx = dout * (1 - out)"),
    ("sigmoid_backward", "dx = dout * out * (1 - out)", "dx = out * (1 - out)"),
    ("sigmoid_backward", "dx = dout * out * (1 - out)", "dx = out * (1 - out) * dout"),
    ("tanh_backward", "dx = dout * (1 - out**2)", "dx = dout * (1 - out)"),
    ("tanh_backward", "dx = dout * (1 - out**2)", "dx = dout * (1 + out**2)"),
    ("batchnorm_backward", "dxc += (2.0 / N) * xc * dvar", "dxc += (1.0 / N) * xc * dvar"),
    ("batchnorm_backward", "dx = dxc - dmu / N", "dx = dxc"),
    ("batchnorm_backward", "dx = dxc - dmu / N", "dx = dxc - np.mean(dxc, axis=0)"),
    ("batchnorm_backward", "dvar = 0.5 * dstd / std", "dvar = dstd / std"),
    ("batchnorm_backward", "dbeta = dout.sum(axis=0)", "dbeta = dout.mean(axis=0)"),
    ("batchnorm_backward", "dxn = dout * gamma", "dxn = dout"),
    ("batchnorm_backward", "dgamma = np.sum(dout * xn, axis=0)", "dgamma = np.sum(dout, axis=0)"),
    ("batchnorm_backward_alt", "(N * dout - xn * dgamma - dbeta)", "(N * dout - xn * dgamma)"),
    ("batchnorm_backward_alt", "dx = (gamma / (N * std))", "dx = (gamma / std)"),
    (
        "layernorm_backward",
        "dx = (D * dxn - dsum - xn * dproj) / (D * std)",
        "dx = (D * dxn - dsum) / (D * std)",
    ),
    (
        "layernorm_backward",
        "dsum = dxn.sum(axis=1, keepdims=True)",
        "dsum = dxn.sum(axis=0, keepdims=True)",
    ),
    ("layernorm_backward", "dgamma = np.sum(dout * xn, axis=0)", "dgamma = np.sum(dout, axis=0)"),
    ("dropout_backward", "dx = dout * mask", "dx = dout * (mask > 0)"),
    ("dropout_backward", "dx = dout * mask", "dx = dout"),
    ("rnn_step_backward", "dtanh = dnext_h * (1 - next_h**2)", "dtanh = dnext_h * (1 - next_h)"),
    ("rnn_step_backward", "dWh = prev_h.T.dot(dtanh)", "dWh = prev_h.T.dot(dnext_h)"),
    ("rnn_step_backward", "dprev_h = dtanh.dot(Wh.T)", "dprev_h = dtanh.dot(Wh)"),
    ("rnn_step_backward", "db = np.sum(dtanh, axis=0)", "db = np.sum(dnext_h, axis=0)"),
    ("svm_loss", "dx[np.arange(N), y] -= num_pos", "dx[np.arange(N), y] -= 1"),
    ("svm_loss", "num_pos = np.sum(margins > 0, axis=1)", "num_pos = np.sum(margins, axis=1)"),
    ("svm_loss", "dx /= N", "dx /= N * N"),
    ("softmax_loss", "dx[np.arange(N), y] -= 1", "dx[np.arange(N), y] -= 2"),
    ("softmax_loss", "dx /= N", "dx /= 2 * N"),
    ("softmax_loss_vectorized", "dW += 2 * reg * W", "dW += reg * W"),
    ("softmax_loss_vectorized", "dW += 2 * reg * W", "dW += 2 * W"),
    ("softmax_loss_vectorized", "dW += 2 * reg * W", "dW += reg * W * 2"),
    ("softmax_loss_vectorized", "dW = X.T.dot(dscores) / num_train", "dW = X.T.dot(dscores)"),
    ("svm_loss_vectorized", "/ num_train + reg * W", "/ num_train + 2 * reg * W"),
    ("svm_loss_vectorized", "/ num_train + reg * W", "/ num_train + 0.5 * reg * 2 * W"),
    ("svm_loss_vectorized", "= -np.sum(binary, axis=1)", "= -1"),
    (
        "lstm_step_backward",
        "dc = dnext_c + dnext_h * o * (1 - tc**2)",
        "dc = dnext_c + dnext_h * o",
    ),
    ("lstm_step_backward", "dprev_c = dc * f", "dprev_c = dc"),
    ("lstm_step_backward", "do = dnext_h * tc", "do = dnext_h * next_c"),
    ("lstm_step_backward", "df = dc * prev_c", "df = dc * prev_c * f"),
    (
        "lstm_step_backward",
        "(di * i * (1 - i), df * f * (1 - f)",
        "(df * f * (1 - f), di * i * (1 - i)",
    ),
    ("lstm_step_backward", "dWh = prev_h.T.dot(da)", "dWh = prev_h.T.dot(da) / 2"),
]
# the network's file: a sandwich layer and the network's loss
NET_MUTANTS = [
    ("affine_relu_backward", "da = relu_backward(dout, relu_cache)", "da = dout"),
    ("TwoLayerNet.loss", 'grads["W1"] = dW1 + self.reg * W1', 'grads["W1"] = dW1'),
    (
        "TwoLayerNet.loss",
        'grads["W2"] = dW2 + self.reg * W2',
        'grads["W2"] = dW2 + 2 * self.reg * W2',
    ),
    ("TwoLayerNet.loss", 'grads["b2"] = db2', 'grads["b2"] = db1'),
    (
        "TwoLayerNet.loss",
        "dh, dW2, db2 = affine_backward(dscores, cache2)",
        "dh, dW2, db2 = affine_backward(-dscores, cache2)",
    ),
    (
        "TwoLayerNet.loss",
        'grads["W1"] = dW1 + self.reg * W1',
        'grads["W1"] = dW1 + self.reg * W1 * 2 / 2',
    ),
]


# Caught, but blamed at another line: a value built over several in-place lines (``dx[...] -=
# ...``, then ``dx /= N``) is judged as its last version; a helper sum that is no adjoint
# (layernorm's ``dsum``) is blamed where it is used; and a mean loss's missing ``/ N`` on
# ``dW`` is read as ``dscores`` missing it (the reading with fewer scaled roles wins a tie).
BLAMED_ELSEWHERE = {
    ("layernorm_backward", "dsum = dxn.sum(axis=0, keepdims=True)"),
    ("svm_loss", "dx[np.arange(N), y] -= 1"),
    ("svm_loss", "num_pos = np.sum(margins, axis=1)"),
    ("softmax_loss", "dx[np.arange(N), y] -= 2"),
    ("softmax_loss_vectorized", "dW = X.T.dot(dscores)"),
    ("svm_loss_vectorized", "= -1"),
    # a network's lines that only pass a layer's result on (``grads['W1'] = dW1``, an
    # argument ``-dscores``) are blamed where the value they pass on is made
    ("TwoLayerNet.loss", 'grads["W1"] = dW1'),
    ("TwoLayerNet.loss", 'grads["b2"] = db1'),
    ("TwoLayerNet.loss", "dh, dW2, db2 = affine_backward(-dscores, cache2)"),
}


STYLE_MUTANTS = [
    ("relu_backward", "dx[x <= 0] = 0", "dx[x < 0] = 0"),
    ("relu_backward", "dx[x <= 0] = 0", "dx[x > 0] = 0"),
    ("affine_backward", "dw = np.dot(x_row.T, dout)", "dw = np.dot(x_row.T, dout) / N"),
    ("sigmoid_backward", "dx = dout * s * (1.0 - s)", "dx = dout * s"),
    ("batchnorm_backward_alt", "N * dx_hat - np.sum(dx_hat, axis=0)", "N * dx_hat"),
    (
        "batchnorm_backward_alt",
        "dgamma = np.sum(dout * x_hat, axis=0)",
        "dgamma = np.sum(dout, axis=0)",
    ),
]
CASES = [(LAYERS, *m) for m in MUTANTS] + [(NET, *m) for m in NET_MUTANTS]
CASES += [(STYLES, *m) for m in STYLE_MUTANTS]


@pytest.mark.parametrize(("fixture", "function", "old", "new"), CASES, ids=lambda v: str(v)[:40])
def test_a_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, fixture, function, old, new
):
    text, line = mutated(fixture, function, old, new)
    path = tmp_path / "layers.py"
    path.write_text(text)
    right = _right(load_module(path), function)
    report = judged(check_code(path, function))
    if right:  # never call correct code wrong
        assert report.ok, report.to_text()
        return
    assert not report.ok, f"missed: {new}"
    first = min(v.line for v in report.wrong)
    if (function, new) in BLAMED_ELSEWHERE:
        assert first != line, "blamed at its own line now: take it off BLAMED_ELSEWHERE"
        return
    assert first == line, report.to_text()


# -- templates, warnings, the command line ------------------------------------------------------
TEMPLATE = """
import numpy as np


def affine_forward(x, w, b):
    out = None
    ###########################################################################
    # TODO: Implement the affine forward pass.                                #
    ###########################################################################
    pass
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx, dw, db = None, None, None
    pass
    return dx, dw, db


def relu_forward(x):
    raise NotImplementedError


def relu_backward(dout, cache):
    raise NotImplementedError


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    dx = dout
    dx *= cache * (1 - cache)
    return dx
"""


def test_templates_are_not_implemented_and_writes_into_inputs_are_warned(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text(TEMPLATE)
    report = check_code(path)
    status = {u.function: u.status for u in report.units}
    assert status["affine_backward"] == NOT_IMPLEMENTED
    assert status["relu_backward"] == NOT_IMPLEMENTED
    sigmoid = next(u for u in report.units if u.function == "sigmoid_backward")
    assert sigmoid.status == CHECKED and sigmoid.report.ok  # right, as values go
    written = TEMPLATE.splitlines().index("    dx *= cache * (1 - cache)") + 1
    assert any(f"line {written}" in w and "dout" in w for w in sigmoid.warnings)
    assert report.ok and "not implemented" in report.to_text()


def test_the_command_line_judges_one_function_and_says_so_in_json(tmp_path):
    text, line = mutated(LAYERS, "relu_backward", "dx = dout * (x > 0)", "dx = dout")
    path = tmp_path / "layers.py"
    path.write_text(text)
    run = subprocess.run(
        [sys.executable, "-m", "symbackprop", "check", f"{path}:relu_backward", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1, run.stderr
    data = json.loads(run.stdout)
    (unit,) = data["units"]
    assert unit["function"] == "relu_backward" and unit["status"] == "checked"
    wrong = [v for v in unit["report"]["verdicts"] if v["verdict"] == "wrong"]
    assert [v["line"] for v in wrong] == [line]
    assert "(x > 0)" in wrong[0]["correct_formula"] or "x > 0" in wrong[0]["correct_formula"]


def test_a_file_where_nothing_can_be_read_is_bad_input(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text(
        "def odd_forward(x):\n    return x, (x, x)\n\n\ndef odd_backward(dout, cache):\n"
        "    a, b = cache\n    return dout * a.tofile('x')\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "symbackprop", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 2
    assert "not read" in run.stdout and "Traceback" not in run.stderr


# -- damaged files ------------------------------------------------------------------------------
def _damaged(text: str, rng: random.Random) -> str:
    """``text`` with a few lines deleted, repeated or given a stray token."""
    tokens = ["cache", "dout", "x", "None", "0", "(x, w)", "cache[0]", "cache['x']", "return"]
    tokens += ["pass", "*", "np.sum", "self", "dx", ","]
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(lines))
        roll = rng.random()
        if roll < 0.3:
            del lines[at]
        elif roll < 0.7:
            words = lines[at].split(" ")
            words[rng.randrange(len(words))] = rng.choice(tokens)
            lines[at] = " ".join(words)
        else:
            lines.insert(at, lines[rng.randrange(len(lines))])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(24))
def test_a_damaged_layer_file_is_reported_or_refused_never_a_crash(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "layers.py"
    path.write_text(_damaged(rng.choice([LAYERS, NET, STYLES]).read_text(), rng))
    try:
        report = check_code(path)
    except SymbackpropError as error:  # bad input: one located line
        assert "\n" not in error.located()
        return
    assert report.to_text() and report.to_data()


EMBEDDING_LOOPS = """import numpy as np


def word_embedding_forward(x, W):
    out = W[x]
    cache = (x, W)
    return out, cache


def word_embedding_backward(dout, cache):
    x, W = cache
    N, T = x.shape
    dW = np.zeros_like(W)
    for n in range(N):
        for t in range(T):
            dW[x[n, t]] += dout[n, t]
    return dW
"""


def test_a_gradient_started_from_a_copy_of_the_weights_is_blamed_at_the_copy(tmp_path):
    """An embedding's gradient is a scatter-add of dout into zeros (each looked-up row gets
    the dout of every place it was looked up at); started from ``W.copy()`` instead, it holds
    W too much, and the copy is the mistake, not the loop that adds into it."""
    path = tmp_path / "embedding.py"
    path.write_text(EMBEDDING_LOOPS)
    assert judged(check_code(path, "word_embedding_backward")).ok
    path.write_text(EMBEDDING_LOOPS.replace("dW = np.zeros_like(W)", "dW = W.copy()"))
    report = judged(check_code(path, "word_embedding_backward"))
    assert not report.ok
    (verdict,) = report.wrong
    assert path.read_text().splitlines()[verdict.line - 1].strip() == "dW = W.copy()"
