"""The JAX target: the same derivation written in jax.numpy, proven against the NumPy module,
finite differences and jax.grad; trained on the device, and data-parallel across devices."""

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from devices import run_on_devices

from symbackprop import api
from symbackprop.cells.step import StepModel
from symbackprop.cli import main
from symbackprop.codegen.generate import generate_all, module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import EXAMPLES, builtin
from symbackprop.train import extras

jax = pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[1]
FEED_FORWARD = sorted(name for name in EXAMPLES if not isinstance(builtin(name), StepModel))


def jax_module(model, dtype="float64"):
    return load_module(model, module_text(model, target="jax", dtype=dtype))


def relative(a, b) -> float:
    """The largest difference relative to the largest entry of b."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def assert_modules_agree(model, seed=0, steps=3, tolerance=1e-12):
    """backward() and a few fused steps of the JAX module give the NumPy module's numbers."""
    numpy_module, jax_module_ = load_module(model), jax_module(model)
    data = sample_data(model, np.random.default_rng(seed))
    by_numpy, by_jax = numpy_module.init_params(seed), jax_module_.init_params(seed)
    expected = numpy_module.backward(by_numpy, numpy_module.forward(by_numpy, *data))
    derived = jax_module_.backward(by_jax, jax_module_.forward(by_jax, *data))
    for name in expected:
        assert relative(derived[name], expected[name]) < tolerance, name
    work: dict = {}
    for _ in range(steps):
        loss_numpy = numpy_module.train_step(by_numpy, *data, 0.1, work, report_loss=True)
        loss_jax = jax_module_.train_step(by_jax, *data, 0.1, report_loss=True)
        assert loss_jax == pytest.approx(loss_numpy, rel=tolerance)
    for name in by_numpy:
        assert relative(by_jax[name], by_numpy[name]) < tolerance, name


@pytest.mark.parametrize("name", FEED_FORWARD)
def test_every_builtin_jax_module_agrees_with_the_numpy_module(name):
    assert_modules_agree(builtin(name))


@pytest.mark.parametrize("name", ["xor", "tiny221", "digits-softmax", "sizes-net"])
def test_verify_checks_the_jax_module_against_differences_and_jax_grad(name):
    report = api.verify(name, target="jax")
    assert report.ok, report.to_text()
    assert report.oracle_error is not None and report.oracle_error < 1e-12


def test_verify_fails_a_jax_module_whose_backward_is_wrong():
    model = builtin("xor")
    right = "delta_layer_2_in = delta_layer_2 * (layer_2 * (1 - layer_2))"
    text = module_text(model, target="jax")
    wrong = text.replace(right, "delta_layer_2_in = delta_layer_2 * layer_2", 1)
    assert wrong != text
    report = api.verify(model, text=wrong, target="jax")
    assert not report.ok
    assert report.oracle_error > 1e-2  # jax.grad of the module's own loss disagrees


def test_verify_target_jax_on_the_command_line(capsys):
    assert main(["verify", "xor", "--target", "jax", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["jax_grad_max_relative_error"] < 1e-12


def test_golden_jax_modules_are_up_to_date():
    assert generate_all(ROOT / "generated" / "jax", check=True, target="jax") == []
    assert main(["generate", "--all", "--target", "jax", "--dir", "generated/jax", "--check"]) == 0


def test_a_jax_module_imports_jax_and_numpy_only():
    tree = ast.parse((ROOT / "generated" / "jax" / "xor.py").read_text())
    modules = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules == {"functools", "jax", "jax.numpy", "jax.sharding", "numpy"}


def test_scalar_mode_sets_gradient_elements_as_new_arrays():
    text = (ROOT / "generated" / "jax" / "tiny221.py").read_text()
    assert "d_w = d_w.at[4].set(jnp.sum(delta_z * h1out))" in text
    assert "d_w[4] =" not in text


def test_the_gradients_are_derived_not_taken_by_jax_grad():
    text = (ROOT / "generated" / "jax" / "xor.py").read_text()
    assert "delta_layer_1 = delta_layer_2_in @ synapse_1.T" in text
    assert "jax.grad" not in text.replace("not jax.grad", "")


def test_generate_target_jax_writes_a_float32_module(tmp_path):
    path = tmp_path / "xor_jax.py"
    args = ["generate", "xor", "--target", "jax", "--dtype", "float32", "-o", str(path)]
    assert main(args) == 0
    text = path.read_text()
    assert "DTYPE = jnp.float32" in text and "jax_enable_x64" not in text
    module = load_module(builtin("xor"), text)
    params = module.init_params(0)
    assert all(value.dtype == np.float32 for value in params.values())
    X, y = sample_data(builtin("xor"), np.random.default_rng(0))
    trained, losses = module.train(params, X, y, epochs=3)
    assert all(value.dtype == np.float32 for value in trained.values())
    by_float64 = jax_module(builtin("xor")).train(params, X, y, epochs=3)[1]
    np.testing.assert_allclose(losses, by_float64, rtol=1e-5)


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "xor", "--dtype", "float32"], "--dtype is for jax"),
        (["generate", "xor", "--target", "fortran"], "invalid choice"),
    ],
)
def test_what_the_jax_target_cannot_write_is_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) if "fortran" in args else _nothing():
        assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


class _nothing:  # noqa: N801 - a context manager that expects nothing
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- training on the device -------------------------------------------------------------------


def test_full_batch_training_retraces_the_numpy_module():
    model = builtin("xor")
    numpy_module, module = load_module(model), jax_module(model)
    X, y = sample_data(model, np.random.default_rng(1))
    by_numpy, losses_numpy = numpy_module.train(numpy_module.init_params(0), X, y, epochs=50)
    start = module.init_params(0)
    by_jax, losses_jax = module.train(start, X, y, epochs=50)
    np.testing.assert_allclose(losses_jax, losses_numpy, rtol=1e-12)
    for name in by_numpy:
        assert relative(by_jax[name], by_numpy[name]) < 1e-12, name
    assert relative(start["synapse_0"], numpy_module.init_params(0)["synapse_0"]) == 0


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_compiled_loop_and_an_epoch_per_call_train_alike(optimizer):
    model = dense_network([4, 6, 2], "tanh")
    module = jax_module(model)
    X, Y = sample_data(model, np.random.default_rng(2), batch=30)
    options = {"epochs": 6, "lr": 0.05, "optimizer": optimizer, "batch_size": 8, "seed": 4}
    seen = []
    by_calls, losses_calls = module.train(
        module.init_params(1), X, Y, callback=lambda *args: seen.append(args[:2]), **options
    )
    by_loop, losses_loop = module.train(module.init_params(1), X, Y, **options)
    assert [epoch for epoch, _ in seen] == list(range(6))
    np.testing.assert_allclose(losses_calls, losses_loop, rtol=1e-12)
    for name in by_loop:
        assert relative(by_calls[name], by_loop[name]) < 1e-12, name
    assert losses_loop[-1] < losses_loop[0]


def test_momentum_and_adam_take_the_numpy_modules_steps():
    model = dense_network([3, 5, 2], "sigmoid")
    numpy_module, module = load_module(model), jax_module(model)
    X, Y = sample_data(model, np.random.default_rng(3))
    for optimizer in ("momentum", "adam"):
        expected = numpy_module.train(
            numpy_module.init_params(2), X, Y, epochs=5, lr=0.1, optimizer=optimizer
        )[0]
        start = module.init_params(2)
        trained = module.train(start, X, Y, epochs=5, lr=0.1, optimizer=optimizer)[0]
        for name in expected:
            assert relative(trained[name], expected[name]) < 1e-12, (optimizer, name)


SHARDED = """
import numpy as np
import jax
from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.ir.network import dense_network

model = dense_network([8, 16, 3], ["tanh", "softmax"], loss="softmax_ce")
module = load_module(model, module_text(model, target="jax"))
rng = np.random.default_rng(0)
X = rng.normal(size=(96, 8))
Y = np.eye(3)[rng.integers(0, 3, 96)]
mesh = module.data_mesh(4)
worst = 0.0
for batch_size in (None, 32):
    for optimizer in ("sgd", "adam"):
        options = dict(epochs=15, lr=0.05, batch_size=batch_size, optimizer=optimizer, seed=1)
        start = module.init_params(0, "glorot")
        one, losses_one = module.train(start, X, Y, **options)
        four, losses_four = module.train(start, X, Y, mesh=mesh, **options)
        assert len(four["W1"].sharding.device_set) == 4
        for name in one:
            scale = float(np.max(np.abs(np.asarray(one[name]))))
            worst = max(worst, float(np.max(np.abs(np.asarray(four[name]) - one[name]))) / scale)
        worst = max(worst, max(abs(a - b) / abs(a) for a, b in zip(losses_one, losses_four)))
everywhere = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
params = jax.device_put(module.init_params(0), everywhere)
hlo = module.run_epoch.lower(
    params, {}, [jax.numpy.asarray(X), jax.numpy.asarray(Y)], 0.05, jax.random.key(0),
    optimizer="sgd", batch_size=32, mesh=mesh,
).compile().as_text()
try:
    module.train(module.init_params(0), X, Y, epochs=1, batch_size=30, mesh=mesh)
    uneven = "accepted"
except ValueError as error:
    uneven = "refused" if "30 samples splits unevenly over 4 devices" in str(error) else "other"
print(len(jax.devices()), worst, "all-reduce" in hlo, uneven)
"""


def test_data_parallel_training_on_four_devices_retraces_one_device(tmp_path):
    """Four CPU devices (XLA's host-platform flag, set before jax starts in a fresh process):
    batches split across them, parameters copied to each, XLA summing the gradient."""
    done = run_on_devices(tmp_path, SHARDED)
    assert done.returncode == 0, done.stderr[-3000:]
    devices, worst, reduced, uneven = done.stdout.split()
    assert devices == "4"
    assert float(worst) < 1e-12
    assert reduced == "True"  # the gradient is summed across devices by XLA
    assert uneven == "refused"  # a batch of 30 over 4 devices


# --- the train verb on devices ------------------------------------------------------------------

TRAIN_ON_DEVICES = """
import numpy as np
from symbackprop.train import train

on_numpy = train("xor", "xor", epochs=30, lr=0.5, init="uniform", batch_size=None)
on_two = train("xor", "xor", epochs=30, lr=0.5, init="uniform", batch_size=None, devices=2)
print(max(abs(a - b) / abs(a) for a, b in zip(on_numpy.losses, on_two.losses)))
"""


def test_train_devices_retraces_the_numpy_run_on_two_devices(tmp_path):
    script = tmp_path / "train_on_devices.py"
    script.write_text(textwrap.dedent(TRAIN_ON_DEVICES))
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout) < 1e-12


def test_train_devices_learns_and_diagnoses_on_one_device(capsys):
    args = ["train", "digits-softmax", "--data", "digits", "--standardize", "--epochs", "3"]
    assert main([*args, "--devices", "1", "--batch-size", "64", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["test_accuracy"] > 0.85


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--devices", "64"], "JAX sees"),
        (["--devices", "0"], "a device count is a whole number 1 or more"),
    ],
)
def test_train_devices_that_cannot_be_had_are_one_line_and_exit_2(extra, message, capsys):
    try:
        code = main(["train", "xor", "--data", "xor", "--epochs", "1", *extra])
    except SystemExit as exit_:  # argparse's refusal
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("verb", ["generate", "verify"])
def test_the_jax_target_without_jax_says_which_extra_to_install(verb, monkeypatch, capsys):
    monkeypatch.setattr(extras, "available", lambda module: module != "jax")
    assert main([verb, "xor", "--target", "jax"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'symbackprop[jax]'" in err and err.count("\n") == 1
