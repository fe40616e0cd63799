"""Dense layers with samples as columns, in the style of a popular deep-learning course
(``relu(Z)`` returning its cache beside ``relu_backward(dA, cache)``, ``linear_backward``
averaging the weights' gradients over the m samples, ``linear_activation_backward`` choosing
its activation by a string): every pair read, correct code never called wrong, and each
single-line mutant caught at its own line.

The labels come from torch autograd of a torch version of each forward, written here: for
L = sum(out * dout), every gradient is autograd's, except that the weights' gradients may all
be 1/m of it, the mean over the samples, as the course's contract has them (dA_prev stays per
sample)."""

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
    mutant_file,
    oracle_labels,
    read_correct,
)

from symbackprop.check import check_code
from symbackprop.check.layerfile import CHECKED

torch = pytest.importorskip("torch")

COLUMNS = Path(__file__).parent / "layerfiles" / "columns_layers.py"
SIZES = [(4, 3, 5), (2, 6, 3)]  # (inputs, samples, outputs): every size distinct


def _activation(function: str, rng, n: int, m: int):
    Z = rng.standard_normal((n, m))
    torch_function = {"relu": torch.relu, "sigmoid": torch.sigmoid}[function]
    return (Z,), lambda t: torch_function(t[0]), ["dZ"]


def _linear(rng, n: int, m: int, k: int):
    arrays = (rng.standard_normal((n, m)), rng.standard_normal((k, n)), rng.standard_normal((k, 1)))
    return arrays, lambda t: t[1] @ t[0] + t[2], ["dA_prev", "dW", "db"]


def _propagate_right(module) -> bool:
    """A logistic regression's cost (the mean cross-entropy) and gradients, as torch has them:
    w (n, 1), a number b, X (n, m), labels Y (1, m)."""
    for index, (n, m, _) in enumerate(SIZES):
        rng = np.random.default_rng(20 + index)
        w, b = rng.standard_normal((n, 1)), float(rng.standard_normal())
        X, Y = rng.standard_normal((n, m)), rng.integers(0, 2, size=(1, m)).astype(float)
        tw = torch.tensor(w, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        a = torch.sigmoid(tw.T @ torch.tensor(X) + tb)
        cost = torch.nn.functional.binary_cross_entropy(a, torch.tensor(Y))
        cost.backward()
        try:
            grads, got = module.propagate(w.copy(), b, X.copy(), Y.copy())
        except Exception:
            return False
        if not np.isclose(float(got), cost.item(), rtol=1e-9):
            return False
        if not _agree([grads["dw"], grads["db"]], [tw.grad.numpy(), tb.grad.numpy()], 1):
            return False
    return True


# -- networks of ReLU layers and a sigmoid output, as torch autograd has their gradients ------
def _network_params(rng, widths) -> dict[str, np.ndarray]:
    """W1, b1, ... for layers of ``widths`` (inputs first), the biases mostly above 0 so that
    some ReLU units are on and some off."""
    params = {}
    for layer in range(1, len(widths)):
        params[f"W{layer}"] = rng.standard_normal((widths[layer], widths[layer - 1]))
        params[f"b{layer}"] = rng.uniform(-0.5, 1.0, (widths[layer], 1))
    return params


def _network_oracle(
    params, X, Y, masks=None, keep: float = 1.0, lambd: float = 0.0
) -> tuple[float, dict]:
    """The mean cross-entropy of the network's sigmoid output, and its gradients for every
    parameter; ``masks`` {layer: mask} drop hidden units as inverted dropout does, and
    ``lambd`` adds the L2 penalty lambd / (2 m) times the weights' squares."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    layers = len(params) // 2
    a = torch.tensor(X)
    for layer in range(1, layers + 1):
        z = t[f"W{layer}"] @ a + t[f"b{layer}"]
        a = torch.relu(z) if layer < layers else torch.sigmoid(z)
        if masks and layer in masks:
            a = a * torch.tensor(masks[layer], dtype=torch.float64) / keep
    cost = torch.nn.functional.binary_cross_entropy(a, torch.tensor(Y))
    squares = sum((t[f"W{layer}"] ** 2).sum() for layer in range(1, layers + 1))
    cost = cost + lambd / (2 * X.shape[1]) * squares
    cost.backward()
    return cost.item(), {k: v.grad.numpy() for k, v in t.items()}


def _same_gradients(grads: dict, expected: dict) -> bool:
    """``grads["dW1"]`` ... as ``expected["W1"]`` ..., in shape and value."""
    for key, want in expected.items():
        got = np.asarray(grads.get(f"d{key}"), dtype=float)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-9, atol=1e-12):
            return False
    return True


def _model_right(module) -> bool:
    """L_model_backward's gradients of compute_cost(AL, Y) as torch autograd has them, for a
    network of ReLU layers and a sigmoid output, at two sizes."""
    for index, widths in enumerate([(3, 5, 4, 1), (4, 2, 3, 1)]):
        rng = np.random.default_rng(50 + index)
        params = _network_params(rng, widths)
        X, Y = rng.standard_normal((widths[0], 6)), rng.integers(0, 2, size=(1, 6)).astype(float)
        _, expected = _network_oracle(params, X, Y)
        try:
            AL, caches = module.L_model_forward(X, params)
            grads = module.L_model_backward(AL, Y, caches)
        except Exception:
            return False
        if not _same_gradients(grads, expected):
            return False
    return True


def _right(module, backward: str) -> bool:
    """Whether the pair's backward gives autograd's gradients (the weights' possibly all
    averaged over the samples) at every size and, for linear_activation, both activations."""
    if backward == "propagate":
        return _propagate_right(module)
    if backward == "L_model_backward":
        return _model_right(module)
    for index, (n, m, k) in enumerate(SIZES):
        modes = ["relu", "sigmoid"] if backward == "linear_activation_backward" else [None]
        for mode in modes:
            rng = np.random.default_rng(10 + index)
            if backward in ("relu_backward", "sigmoid_backward"):
                stem = backward.removesuffix("_backward")
                arrays, reference, names = _activation(stem, rng, n, m)
                forward = getattr(module, stem)
            else:
                arrays, reference, names = _linear(rng, n, m, k)
                forward = getattr(module, backward.removesuffix("_backward") + "_forward")
            tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
            out = reference(tensors)
            if mode == "relu":
                out = torch.relu(out)
            elif mode == "sigmoid":
                out = torch.sigmoid(out)
            extra = [mode] if mode else []
            value, cache = forward(*[a.copy() for a in arrays], *extra)
            assert np.allclose(value, out.detach().numpy()), "the forward is not torch's"
            upstream = rng.standard_normal(value.shape)
            (out * torch.tensor(upstream)).sum().backward()
            expected = [t.grad.numpy() for t in tensors]
            try:
                got = getattr(module, backward)(upstream.copy(), cache, *extra)
            except Exception:
                return False
            got = list(got) if isinstance(got, tuple) else [got]
            if not _agree(got, expected, m):
                return False
    return True


def _agree(got: list, expected: list, m: int) -> bool:
    def same(a, b) -> bool:
        a = np.asarray(a, dtype=float)
        return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12)

    if len(got) != len(expected) or not same(got[0], expected[0]):
        return False
    if len(got) == 1:
        return True
    weights = list(zip(got[1:], expected[1:], strict=True))
    return all(same(a, b) for a, b in weights) or all(same(a, b / m) for a, b in weights)


UNITS = [
    "relu_backward",
    "sigmoid_backward",
    "linear_backward",
    "linear_activation_backward",
    "propagate",
    "L_model_backward",
]


def test_torch_autograd_agrees_the_fixture_is_right():
    module = load_module(COLUMNS)
    for backward in UNITS:
        assert _right(module, backward), backward


def test_every_pair_of_the_file_is_read_and_correct():
    units = read_correct(COLUMNS, set(UNITS))
    linear = units["linear_backward"].report
    assert any("mean over the m samples" in note for note in linear.notes)


def test_weights_gradients_left_sums_are_right_too(tmp_path):
    """The same pair without the 1/m: right for L = sum(Z * dZ) itself."""
    text = COLUMNS.read_text()
    text = text.replace("dW = 1 / m * np.dot", "dW = np.dot").replace("db = 1 / m * np", "db = np")
    path = tmp_path / "sums.py"
    path.write_text(text)
    assert _right(load_module(path), "linear_backward")
    report = judged(check_code(path, "linear_backward"))
    assert report.ok, report.to_text()
    assert not any("mean over" in note for note in report.notes)


ENTRIES_AT_ONCE = (
    'dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")\n'
    '    grads["dA" + str(L - 1)] = dA_prev_temp\n'
    '    grads["dW" + str(L)] = dW_temp\n'
    '    grads["db" + str(L)] = db_temp\n',
    'grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = (\n'
    '        linear_activation_backward(dAL, current_cache, activation="sigmoid")\n'
    "    )\n",
)


def test_entries_filled_at_once_under_made_keys_are_judged_at_their_line(tmp_path):
    """``grads["dA" + str(L-1)], grads["dW" + str(L)], ... = linear_activation_backward(...)``,
    as the course's published solution writes the last layer: read and right; the last layer
    given the ReLU's backward is wrong there (torch says so), and blamed at that statement."""
    old, new = ENTRIES_AT_ONCE
    text = COLUMNS.read_text()
    assert old in text
    path = tmp_path / "at_once.py"
    path.write_text(text.replace(old, new))
    assert _right(load_module(path), "L_model_backward")
    report = judged(check_code(path, "L_model_backward"))
    assert report.ok, report.to_text()
    wrong = text.replace(old, new.replace('activation="sigmoid"', 'activation="relu"'))
    path.write_text(wrong)
    assert not _right(load_module(path), "L_model_backward")
    report = judged(check_code(path, "L_model_backward"))
    line = next(n for n, t in enumerate(wrong.splitlines(), 1) if 'grads["dA" + str(L - 1)], ' in t)
    assert not report.ok
    assert min(v.line for v in report.wrong) == line, report.to_text()


MUTANTS = [
    ("relu_backward", "dZ[Z <= 0] = 0", "dZ[Z < 0] = 0"),
    ("relu_backward", "dZ[Z <= 0] = 0", "dZ[Z > 0] = 0"),
    ("relu_backward", "dZ[Z <= 0] = 0", "dZ[dA <= 0] = 0"),
    ("relu_backward", "dZ = np.array(dA, copy=True)", "dZ = np.ones_like(dA)"),
    ("relu_backward", "dZ = np.array(dA, copy=True)", "dZ = dA.copy()"),
    ("sigmoid_backward", "dZ = dA * s * (1 - s)", "dZ = dA * s"),
    ("sigmoid_backward", "dZ = dA * s * (1 - s)", "dZ = s * (1 - s)"),
    ("sigmoid_backward", "dZ = dA * s * (1 - s)", "dZ = dA * s * (1 + s)"),
    ("sigmoid_backward", "s = 1 / (1 + np.exp(-Z))", "s = 1 / (1 + np.exp(Z))"),
    ("sigmoid_backward", "dZ = dA * s * (1 - s)", "dZ = dA * (s - s**2)"),
    ("linear_backward", "db = 1 / m * np.sum(", "db = np.sum("),
    ("linear_backward", "dW = 1 / m * np.dot(dZ, A_prev.T)", "dW = np.dot(dZ, A_prev.T)"),
    ("linear_backward", "dA_prev = np.dot(W.T, dZ)", "dA_prev = 1 / m * np.dot(W.T, dZ)"),
    ("linear_backward", "np.dot(dZ, A_prev.T)", "np.dot(A_prev, dZ.T)"),
    ("linear_backward", "axis=1, keepdims=True", "axis=0, keepdims=True"),
    ("linear_backward", "axis=1, keepdims=True", "axis=1"),
    ("linear_backward", "m = A_prev.shape[1]", "m = A_prev.shape[0]"),
    ("linear_backward", "dW = 1 / m * np.dot(dZ, A_prev.T)", "dW = np.dot(dZ, A_prev.T) / m"),
    ("linear_backward", "dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(dZ.T, W).T"),
    (
        "linear_activation_backward",
        "dZ = relu_backward(dA, activation_cache)",
        "dZ = sigmoid_backward(dA, activation_cache)",
    ),
    (
        "linear_activation_backward",
        "dZ = relu_backward(dA, activation_cache)",
        "dZ = dA",
    ),
    (
        "linear_activation_backward",
        "dZ = sigmoid_backward(dA, activation_cache)",
        "dZ = sigmoid_backward(dA, linear_cache[0])",
    ),
    (
        "linear_activation_backward",
        "dZ = sigmoid_backward(dA, activation_cache)",
        "dZ = dA * activation_cache * (1 - activation_cache)",
    ),
    (
        "linear_activation_backward",
        'if activation == "relu":',
        'if activation != "sigmoid":',
    ),
    # a logistic regression returning its gradients and then its cost
    ("propagate", "db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)"),
    ("propagate", "dw = 1 / m * np.dot(X, (A - Y).T)", "dw = 1 / m * np.dot(X, (Y - A).T)"),
    ("propagate", "dw = 1 / m * np.dot(X, (A - Y).T)", "dw = 1 / m * np.dot(X.T, A - Y)"),
    ("propagate", "dw = 1 / m * np.dot(X, (A - Y).T)", "dw = np.dot(X, (A - Y).T) / m"),
    ("propagate", "db = 1 / m * np.sum(A - Y)", "db = 1 / m * np.sum(A - Y, axis=0)"),
    ("propagate", "db = 1 / m * np.sum(A - Y)", "db = np.mean(A - Y)"),
    # a network's backward, its gradients written under keys it makes, "dW" + str(l + 1)
    ("L_model_backward", "dAL = -(np.divide", "dAL = (np.divide"),
    ("L_model_backward", 'current_cache, "relu")', 'current_cache, "sigmoid")'),
    ("L_model_backward", "for l in reversed(range(L - 1)):", "for l in range(L - 1):"),
    ("L_model_backward", 'grads["dW" + str(l + 1)] = dW_temp', 'grads["dW" + str(l)] = dW_temp'),
    ("L_model_backward", "dA = grads[", "dA = 2 * grads["),
    ("L_model_backward", "Y = Y.reshape(AL.shape)", "Y = Y.reshape(-1, 1)"),
]

# Reviewed: the mutants torch autograd labels right (equivalent rewrites, or a change that
# only matters where an input is exactly 0, which random inputs never are).
EQUIVALENT = {
    ("relu_backward", "dZ[Z < 0] = 0"),
    ("relu_backward", "dZ = dA.copy()"),
    ("sigmoid_backward", "s = 1 / (1 + np.exp(Z))"),  # s(1 - s) is the same for -Z
    ("sigmoid_backward", "dZ = dA * (s - s**2)"),
    ("linear_backward", "dW = np.dot(dZ, A_prev.T) / m"),
    ("linear_backward", "dA_prev = np.dot(dZ.T, W).T"),
    ("linear_activation_backward", 'if activation != "sigmoid":'),
    ("propagate", "dw = np.dot(X, (A - Y).T) / m"),
    ("propagate", "db = np.mean(A - Y)"),
}

# Caught, but blamed at another line, each for its reason.
BLAMED_ELSEWHERE = {
    # an entry is followed back to the value it was filled from in that turn of the loop
    # (dW_temp); a delta read back from the dict (dA) has no target of its own to hold it to
    ("L_model_backward", "dA = 2 * grads["),
    # a loop in the wrong order fails where it reads an entry not yet written, and labels of
    # the wrong shape fail in the helper they are handed to: blamed at the call that fails
    ("L_model_backward", "for l in range(L - 1):"),
    ("L_model_backward", "Y = Y.reshape(-1, 1)"),
    # the start of a value finished in place (``dZ[Z <= 0] = 0`` after it) is no value of its
    # own: the line that finishes it is blamed
    ("relu_backward", "dZ = np.ones_like(dA)"),
    # a count is no adjoint: blamed where it is first used, ``dW = 1 / m * ...``
    ("linear_backward", "m = A_prev.shape[0]"),
}


def _label(tmp_path: Path, function: str, old: str, new: str) -> tuple[Path, int, bool]:
    path, line = mutant_file(COLUMNS, tmp_path, function, old, new)
    return path, line, _right(load_module(path), function)


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


def test_every_unit_has_five_mutants_or_more():
    counts = {unit: sum(m[0] == unit for m in MUTANTS) for unit in UNITS}
    assert min(counts.values()) >= 5, counts


@pytest.mark.parametrize(("function", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_columns_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in BLAMED_ELSEWHERE)


# -- a whole network whose forward returns its cost ---------------------------------------------
NETWORK = Path(__file__).parent / "layerfiles" / "columns_network.py"
WIDTHS = [(3, 5, 4, 1, 6), (5, 2, 3, 1, 4)]  # inputs, two hidden layers, one output, samples


def _network_right(module) -> bool:
    """The gradients of the cost as torch autograd has them, for W1..b3, at two sizes."""
    for index, (*widths, m) in enumerate(WIDTHS):
        rng = np.random.default_rng(30 + index)
        params = _network_params(rng, widths)
        X, Y = rng.standard_normal((widths[0], m)), rng.integers(0, 2, size=(1, m)).astype(float)
        cost, expected = _network_oracle(params, X, Y)
        try:
            got_cost, cache = module.forward_propagation_n(X, Y, params)
            grads = module.backward_propagation_n(X, Y, cache)
        except Exception:
            return False
        if not np.isclose(got_cost, cost, rtol=1e-9) or not _same_gradients(grads, expected):
            return False
    return True


def test_torch_autograd_agrees_the_network_is_right_and_it_is_read_so():
    assert _network_right(load_module(NETWORK))
    report = check_code(NETWORK)
    (unit,) = report.units
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    assert unit.report.loss == "cost"
    judged_names = [v.name for v in unit.report.verdicts]
    assert judged_names == [f"gradients['d{k}{n}']" for n in (3, 2, 1) for k in "Wb"]


NETWORK_MUTANTS = [
    # the exercise's own two mistakes
    ("backward_propagation_n", "np.dot(dZ2, A1.T)", "np.dot(dZ2, A1.T) * 2"),
    ("backward_propagation_n", "db1 = 1.0 / m", "db1 = 4.0 / m"),
    ("backward_propagation_n", "dZ3 = A3 - Y", "dZ3 = Y - A3"),
    ("backward_propagation_n", "np.int64(A2 > 0)", "np.int64(A2 >= 0)"),
    ("backward_propagation_n", "np.int64(A1 > 0)", "np.int64(Z1 > 0)"),
    ("backward_propagation_n", "dA1 = np.dot(W2.T, dZ2)", "dA1 = np.dot(W2.T, dZ3)"),
    ("backward_propagation_n", "dW1 = 1.0 / m * np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T)"),
    ("backward_propagation_n", "dA2 = np.dot(W3.T, dZ3)", "dA2 = np.dot(W3.T, dZ3) / m"),
]
NETWORK_EQUIVALENT = {
    ("backward_propagation_n", "np.int64(Z1 > 0)"),  # A1 > 0 exactly where Z1 > 0
}
# Caught, but blamed at another line: a delta divided by m is the mean cost's own adjoint, as
# right by itself as the per-sample one; the mix of the two is blamed where it is used
NETWORK_ELSEWHERE = {("backward_propagation_n", "dA2 = np.dot(W3.T, dZ3) / m")}


def _network_label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(NETWORK, [], tmp_path, function, old, new, _network_right)


def test_every_network_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_network_label, tmp_path, NETWORK_MUTANTS)
    assert_labels_as_reviewed(labels, NETWORK_EQUIVALENT, NETWORK_ELSEWHERE, len(NETWORK_MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), NETWORK_MUTANTS, ids=lambda v: str(v)[:40])
def test_a_network_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _network_label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, (function, new) in NETWORK_ELSEWHERE)


# -- a network whose cost is a function of its own ----------------------------------------------
PLANAR = Path(__file__).parent / "layerfiles" / "columns_planar.py"


def _planar_right(module) -> bool:
    """The gradients of compute_cost(A2, Y) as torch autograd has them, at two sizes."""
    for index, (n0, n1, m) in enumerate([(3, 5, 4), (2, 4, 6)]):
        rng = np.random.default_rng(40 + index)
        params = {
            "W1": rng.standard_normal((n1, n0)),
            "b1": rng.standard_normal((n1, 1)),
            "W2": rng.standard_normal((1, n1)),
            "b2": rng.standard_normal((1, 1)),
        }
        X, Y = rng.standard_normal((n0, m)), rng.integers(0, 2, size=(1, m)).astype(float)
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        a1 = torch.tanh(t["W1"] @ torch.tensor(X) + t["b1"])
        a2 = torch.sigmoid(t["W2"] @ a1 + t["b2"])
        torch.nn.functional.binary_cross_entropy(a2, torch.tensor(Y)).backward()
        try:
            _, cache = module.forward_propagation(X, params)
            grads = module.backward_propagation(params, cache, X, Y)
        except Exception:
            return False
        if not _same_gradients(grads, {k: v.grad.numpy() for k, v in t.items()}):
            return False
    return True


def test_torch_autograd_agrees_the_planar_network_is_right_and_it_is_read_so():
    assert _planar_right(load_module(PLANAR))
    (unit,) = check_code(PLANAR).units
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    assert any("compute_cost()" in note for note in unit.report.notes)


PLANAR_MUTANTS = [
    ("backward_propagation", " * (1 - np.power(A1, 2))", ""),
    ("backward_propagation", "dW2 = 1 / m * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)"),
    (
        "backward_propagation",
        "db1 = 1 / m * np.sum(dZ1, axis=1",
        "db1 = 1 / m * np.sum(dZ1, axis=0",
    ),
    ("backward_propagation", "(1 - np.power(A1, 2))", "(1 - A1)"),
    ("backward_propagation", "dZ2 = A2 - Y", "dZ2 = A2 * (1 - A2)"),
    ("backward_propagation", "np.power(A1, 2)", "A1 * A1"),
]
PLANAR_EQUIVALENT = {("backward_propagation", "A1 * A1")}


def _planar_label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(PLANAR, [], tmp_path, function, old, new, _planar_right)


def test_every_planar_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_planar_label, tmp_path, PLANAR_MUTANTS)
    assert_labels_as_reviewed(labels, PLANAR_EQUIVALENT, set(), len(PLANAR_MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), PLANAR_MUTANTS, ids=lambda v: str(v)[:40])
def test_a_planar_mutant_is_judged_as_the_oracle_says_at_its_own_line(tmp_path, function, old, new):
    path, line, right = _planar_label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, False)


# -- dropout, its masks in the cache, its cost imported from the helpers beside it ---------------
DROPOUT = Path(__file__).parent / "layerfiles" / "columns_dropout.py"
HELPERS = Path(__file__).parent / "layerfiles" / "reg_utils.py"  # what it imports


def _dropout_right(module) -> bool:
    """The gradients of the imported cost as torch autograd has them, with the masks the
    forward drew (taken from its cache), at keep_prob 0.6."""
    rng = np.random.default_rng(60)
    params = _network_params(rng, (3, 5, 4, 1))
    X, Y = rng.standard_normal((3, 7)), rng.integers(0, 2, size=(1, 7)).astype(float)
    try:
        _, cache = module.forward_propagation_with_dropout(X, params, 0.6)
        grads = module.backward_propagation_with_dropout(X, Y, cache, 0.6)
    except Exception:
        return False
    _, expected = _network_oracle(params, X, Y, masks={1: cache[1], 2: cache[6]}, keep=0.6)
    return _same_gradients(grads, expected)


def test_a_dropout_network_is_read_with_its_imported_cost_and_judged_as_torch_says(tmp_path):
    (tmp_path / HELPERS.name).write_text(HELPERS.read_text())
    with importable(DROPOUT.parent, HELPERS.stem):
        assert _dropout_right(load_module(DROPOUT))
    (unit,) = check_code(DROPOUT).units
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    assert any("compute_cost()" in note for note in unit.report.notes)
    old, new = "dA1 = dA1 / keep_prob", "dA1 = dA1 / (1 - keep_prob)"
    path, _ = mutant_file(DROPOUT, tmp_path, "backward_propagation_with_dropout", old, new)
    with importable(tmp_path, HELPERS.stem):
        assert not _dropout_right(load_module(path))
    report = judged(check_code(path, "backward_propagation_with_dropout"))
    assert not report.ok
    assert {v.name for v in report.wrong} == {"gradients['dW1']", "gradients['db1']"}


# -- L2 regularisation: the forward and plain cost imported, the regularised cost its own ----------
REGULARIZED = Path(__file__).parent / "layerfiles" / "columns_regularization.py"
LAMBDAS = (0.7, 0.25)  # the course's strength, and one the checker does not take


def _regularized_right(module) -> bool:
    """compute_cost_with_regularization's value and backward_propagation_with_regularization's
    gradients as torch autograd has them, at two strengths and two sizes."""
    for index, ((*widths, m), lambd) in enumerate(zip(WIDTHS, LAMBDAS, strict=True)):
        rng = np.random.default_rng(70 + index)
        params = _network_params(rng, widths)
        X, Y = rng.standard_normal((widths[0], m)), rng.integers(0, 2, size=(1, m)).astype(float)
        cost, expected = _network_oracle(params, X, Y, lambd=lambd)
        try:
            A3, cache = module.forward_propagation(X, params)
            got_cost = module.compute_cost_with_regularization(A3, Y, params, lambd)
            grads = module.backward_propagation_with_regularization(X, Y, cache, lambd)
        except Exception:
            return False
        if not np.isclose(got_cost, cost, rtol=1e-9) or not _same_gradients(grads, expected):
            return False
    return True


def _regularized_label(tmp_path: Path, function: str, old: str, new: str):
    return mutant_beside(REGULARIZED, [HELPERS], tmp_path, function, old, new, _regularized_right)


def test_a_regularised_backward_is_paired_with_the_imported_forward_and_its_own_cost():
    with importable(REGULARIZED.parent, HELPERS.stem):
        assert _regularized_right(load_module(REGULARIZED))
    (unit,) = check_code(REGULARIZED).units
    assert unit.status == CHECKED, unit.message
    assert unit.report.ok, unit.report.to_text()
    (note,) = [n for n in unit.report.notes if "compute_cost_with_regularization()" in n]
    assert "forward_propagation()" in note and "lambd = " in note
    judged_names = [v.name for v in unit.report.verdicts]
    assert judged_names == [f"gradients['d{k}{n}']" for n in (3, 2, 1) for k in "Wb"]


REGULARIZED_MUTANTS = [
    (
        "backward_propagation_with_regularization",
        "np.dot(dZ3, A2.T) + (lambd / m) * W3",
        "np.dot(dZ3, A2.T)",
    ),
    ("backward_propagation_with_regularization", "(lambd / m) * W2", "lambd * W2"),
    ("backward_propagation_with_regularization", "(lambd / m) * W1", "(lambd / (2 * m)) * W1"),
    ("backward_propagation_with_regularization", "(lambd / m) * W3", "(lambd / m) * A3"),
    ("backward_propagation_with_regularization", "db2 = 1.0 / m", "db2 = (1.0 + lambd) / m"),
    ("backward_propagation_with_regularization", "(lambd / m) * W1", "(2 * lambd / m) * W1"),
    (
        "backward_propagation_with_regularization",
        "dW2 = 1.0 / m * np.dot(dZ2, A1.T) + (lambd / m) * W2",
        "dW2 = 1.0 / m * (np.dot(dZ2, A1.T) + lambd * W2)",
    ),
    ("backward_propagation_with_regularization", "np.int64(A2 > 0)", "np.int64(A2 > 0) * W2[0, 0]"),
]
REGULARIZED_EQUIVALENT = {
    (
        "backward_propagation_with_regularization",
        "dW2 = 1.0 / m * (np.dot(dZ2, A1.T) + lambd * W2)",
    ),
}


def test_every_regularised_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    labels = oracle_labels(_regularized_label, tmp_path, REGULARIZED_MUTANTS)
    assert_labels_as_reviewed(labels, REGULARIZED_EQUIVALENT, set(), len(REGULARIZED_MUTANTS))


@pytest.mark.parametrize(("function", "old", "new"), REGULARIZED_MUTANTS, ids=lambda v: str(v)[:40])
def test_a_regularised_mutant_is_judged_as_the_oracle_says_at_its_own_line(
    tmp_path, function, old, new
):
    path, line, right = _regularized_label(tmp_path, function, old, new)
    report = judged(check_code(path, function))
    assert_judged_as_labelled(report, line, right, False)
