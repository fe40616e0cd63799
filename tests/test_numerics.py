"""Numbers at the edges of float64: the binary cross-entropy at |z| = 1e4 in scalar mode, every
module in generated/ under np.seterr(all="raise"), and training that overflows."""

import importlib.util
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sympy as sp
from numeric import central_gradient, max_relative_error

from symbackprop.codegen.generate import builtin_module_path
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data, verify
from symbackprop.errors import NumericOverflow
from symbackprop.ir import fully_connected
from symbackprop.ir.model import Kind
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import EXAMPLES, builtin

y, t = sp.symbols("y t")
BCE_FORMULA = sp.Lambda((y, t), -(t * sp.log(y) + (1 - t) * sp.log(1 - y)))  # as users write it


@pytest.fixture
def raising():
    """Every floating-point event an error, and every warning too."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


# -- sigmoid then bce, in scalar mode ------------------------------------------------------
def one_unit_bce(mode: str):
    """z = W1 x + b1, a = sigmoid(z), E = bce(a, t): one input, one output."""
    if mode == "scalar":
        return fully_connected([1, 1], "sigmoid", loss="bce")
    return dense_network([1, 1], "sigmoid", loss=BCE_FORMULA, reduction="sum")


def bce_by_hand(z: float, target: float) -> tuple[float, float]:
    """bce(sigmoid(z), t) and its derivative in z, sigmoid(z) - t, in exact-limit form:
    bce = log(1 + exp(z)) - t z, written so that no exp overflows."""
    softplus = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    sigmoid = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    return softplus - target * z, sigmoid - target


@pytest.mark.parametrize("mode", ["scalar", "vector"])
@pytest.mark.parametrize("z", [1e4, -1e4, 800.0, -800.0])
@pytest.mark.parametrize("target", [0.0, 1.0, 0.25])
def test_bce_after_sigmoid_is_finite_and_exact_at_large_z(mode, z, target, raising):
    module = load_module(one_unit_bce(mode))
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
    x, t_ = np.array([[z]]), np.array([[target]])
    cache = module.forward(params, x, t_)
    loss, grads = module.loss_of(cache, params), module.backward(params, cache)
    expected_loss, delta = bce_by_hand(z, target)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(np.ravel(grads["b1"]), [delta], rtol=1e-12)
    np.testing.assert_allclose(np.ravel(grads["W1"]), [delta * z], rtol=1e-12)
    step = {name: value.copy() for name, value in params.items()}
    assert module.train_step(step, x, t_, 0.5, {}, report_loss=True) == pytest.approx(loss)
    np.testing.assert_allclose(step["b1"], params["b1"] - 0.5 * delta, rtol=1e-12)


@pytest.mark.parametrize("mode", ["scalar", "vector"])
def test_bce_after_sigmoid_agrees_with_finite_differences_at_moderate_z(mode):
    module = load_module(fully_connected([3, 4, 2], "sigmoid", loss="bce", reduction="mean"))
    if mode == "vector":
        module = load_module(dense_network([3, 4, 2], "sigmoid", loss=BCE_FORMULA))
    rng = np.random.default_rng(5)
    params = {k: 2 * v for k, v in module.init_params(5).items()}
    x, t_ = 3 * rng.normal(size=(9, 3)), rng.uniform(0, 1, size=(9, 2))
    grads = module.backward(params, module.forward(params, x, t_))
    for name in params:
        numeric = central_gradient(lambda p: module.loss(p, x, t_), params, name)
        assert max_relative_error(grads[name], numeric) < 1e-9, name


def test_bce_module_value_is_the_textbook_formula_at_moderate_z():
    module = load_module(fully_connected([1, 1], "sigmoid", loss="bce"))
    params = {"W1": np.array([[0.7]]), "b1": np.array([-0.2])}
    x, t_ = np.array([[1.5], [-3.0]]), np.array([[1.0], [0.3]])
    expected = 0.0
    for xi, ti in zip(x[:, 0], t_[:, 0], strict=True):
        a = 1 / (1 + math.exp(-(0.7 * xi - 0.2)))
        expected += -(ti * math.log(a) + (1 - ti) * math.log(1 - a))
    assert module.loss(params, x, t_) == pytest.approx(expected, rel=1e-13)


# -- every generated module under np.seterr(all="raise") --------------------------------------
def golden(name: str):
    """The module in generated/ as committed (not generated afresh)."""
    path = builtin_module_path(name)
    spec = importlib.util.spec_from_file_location(f"golden_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def large_data(model, batch: int, scale: float) -> list:
    """sample_data with the inputs (not the targets) multiplied by ``scale``."""
    data = sample_data(model, np.random.default_rng(0), batch)
    if getattr(model, "cell", None) is not None:  # [X, Y]: a sequence and its targets
        return [data[0] * scale, data[1]]
    kinds = {}  # sample_data's arguments in its order: one per base name, m left out
    for node in model.of_kind(Kind.INPUT, Kind.TARGET):
        if node.name != "m":
            kinds.setdefault(node.name.split("[")[0], node.kind)
    return [d * scale if k is Kind.INPUT else d for d, k in zip(data, kinds.values(), strict=True)]


# Small batches take the sigmoid helper's tanh path, batches of 5000 its exp path; inputs of
# 720 put pre-activations where sigmoid and its products are below 1e-308, 1e4 beyond; large
# weights push a softmax's smaller terms under 1e-308.
EDGES = [(7, 1e4, 1.0), (5000, 720.0, 1.0), (5000, 1e4, 1.0), (5000, 1.0, 1e3)]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_generated_module_runs_under_seterr_raise_at_large_inputs(name, raising):
    module, model = golden(name), builtin(name)
    recurrent = getattr(model, "cell", None) is not None
    for batch, scale, weight in EDGES:
        data = large_data(model, min(batch, 2000) if recurrent else batch, scale)
        params = {k: weight * v for k, v in module.init_params(0).items()}
        cache = module.forward(params, *data)
        assert np.isfinite(module.loss_of(cache, params))
        grads = module.backward(params, cache)
        assert all(np.all(np.isfinite(g)) for g in grads.values())
        if not recurrent:
            copy = {k: v.copy() for k, v in params.items()}
            assert np.isfinite(module.train_step(copy, *data, 0.1, {}, report_loss=True))
        for optimizer in ("sgd", "momentum", "adam"):
            copy = {k: np.array(v, dtype=float) for k, v in params.items()}
            _, losses = module.train(copy, *data, epochs=2, lr=1e-3, optimizer=optimizer)
            assert np.all(np.isfinite(losses))


# -- training that overflows --------------------------------------------------------------------
def run_cli(*argv, cwd=None):
    """The real command, in a fresh interpreter: what a user sees on stdout and stderr."""
    command = [sys.executable, "-m", "symbackprop", *argv]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


def test_a_learning_rate_of_1e308_stops_training_with_one_line_and_exit_2():
    done = run_cli("train", "tiny221", "--data", "sizes", "--lr", "1e308", "--epochs", "5")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("symbackprop: error: training stopped: the loss overflowed at")
    assert "epoch 1;" in lines[0] and "lower --lr (now 1e+308)" in lines[0]
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr


def test_inputs_of_1e308_that_overflow_before_any_step_are_told_to_be_standardised(tmp_path):
    data = tmp_path / "huge.csv"
    data.write_text("x1,x2,y\n1e308,1e308,1\n-1e308,-1e308,0\n1e308,1e308,1\n4,-3,0\n")
    done = run_cli("train", "tiny221", "--data", str(data), "--target", "y", "--epochs", "5")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "symbackprop: error: training stopped: the loss overflowed before training; "
        "standardise the inputs (--standardize, or standardize=True)"
    ]


def test_inputs_of_1e308_that_train_finitely_are_diagnosed_without_warnings(tmp_path):
    data = tmp_path / "huge.csv"
    data.write_text("x1,x2,y\n1e308,2,1\n-1e308,1,0\n3,1e308,1\n4,-3,0\n")
    done = run_cli("train", "sizes-net", "--data", str(data), "--target", "y", "--epochs", "5")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # x1's root mean square by hand: sqrt((2 * 1e616 + 9 + 16) / 4) = 1e308 / sqrt(2)
    assert f"input 'x1' has root mean square {1e308 / math.sqrt(2):.3g}" in done.stdout


def test_verify_of_a_module_that_overflows_stops_with_one_clear_error():
    model = dense_network([2, 3, 1], lambda u: sp.exp(sp.exp(5 * u)))  # exp(e^5u) leaves float64
    with warnings.catch_warnings(), pytest.raises(NumericOverflow) as stopped:
        warnings.simplefilter("error")
        verify(model)
    assert stopped.value.message.startswith("verify stopped: the module's values leave float64")
    assert "(overflow encountered in exp)" in stopped.value.message
