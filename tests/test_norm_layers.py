"""Batch norm, layer norm, group norm and dropout as [[layer]] tables of a spec, on rows and
on NCHW images, through every verb: the generated NumPy and JAX modules' losses and gradients
against PyTorch's float64 autograd of the same network (F.batch_norm in training mode,
F.group_norm, F.layer_norm, dropout with the same mask), the spec's errors, and the scale and
shift starting at one and zero."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import numpy as np
import pytest
from lint import module_complaints
from targets import TARGETS, initial_params, target_module

from symbackprop import api
from symbackprop.codegen.loader import load_module
from symbackprop.explain.api import explain
from symbackprop.explain.katex import katex_errors, node
from symbackprop.ir.ops import (
    spatial_batchnorm,
    spatial_batchnorm_grad,
    spatial_groupnorm,
    spatial_groupnorm_grad,
)
from symbackprop.ir.ops.base import FLOAT_MATH
from symbackprop.readers.spec import read_spec

SPEC = """\
[network]
name = "norm-net"
input = [2, 5, 5]
loss = "softmax_ce"

[[layer]]
type = "conv2d"
filters = 4
kernel = 3
padding = 1

[[layer]]
type = "batchnorm"

[[layer]]
type = "relu"

[[layer]]
type = "groupnorm"
groups = 2
eps = 1e-3

[[layer]]
type = "maxpool"
size = 2

[[layer]]
type = "flatten"

[[layer]]
type = "dense"
units = 6

[[layer]]
type = "layernorm"

[[layer]]
type = "tanh"

[[layer]]
type = "batchnorm"

[[layer]]
type = "dropout"
p = 0.25

[[layer]]
type = "dense"
units = 3
activation = "softmax"
"""
M = 7
RNG = np.random.default_rng(11)
DATA = {
    "X": RNG.normal(size=(M, 2, 5, 5)),
    "mask2": (RNG.random((M, 6)) < 0.75).astype(float),
    "Y": np.eye(3)[RNG.integers(0, 3, size=M)],
}


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "norm-net.toml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def model(spec_file):
    return read_spec(str(spec_file))


@pytest.fixture(scope="module")
def module(model):
    return load_module(model)


def torch_network(params: dict):
    """The spec's network written in PyTorch, layer by layer, and its loss and gradients."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    x = torch.tensor(DATA["X"])
    z1 = F.conv2d(x, t["W1"], t["b1"], padding=1)
    n1 = F.batch_norm(z1, None, None, t["gamma1"], t["beta1"], training=True, eps=1e-5)
    a1 = torch.relu(n1)
    g1 = F.group_norm(a1, 2, t["gamma1_2"], t["beta1_2"], eps=1e-3)
    f1 = F.max_pool2d(g1, 2).flatten(1)
    z2 = f1 @ t["W2"] + t["b2"]
    a2 = torch.tanh(F.layer_norm(z2, (6,), t["gamma2"], t["beta2"], eps=1e-5))
    n2 = F.batch_norm(a2, None, None, t["gamma2_2"], t["beta2_2"], training=True, eps=1e-5)
    d2 = n2 * torch.tensor(DATA["mask2"]) / 0.75
    z3 = d2 @ t["W3"] + t["b3"]
    loss = F.cross_entropy(z3, torch.tensor(DATA["Y"].argmax(axis=1)))
    loss.backward()
    return loss.item(), {name: value.grad.numpy() for name, value in t.items()}


def test_the_layers_make_their_parameters_named_by_the_layer_before(model):
    names = [node.name for node in model.parameters]
    assert names == [
        *("W1", "b1", "gamma1", "beta1", "gamma1_2", "beta1_2", "W2", "b2", "gamma2", "beta2"),
        *("gamma2_2", "beta2_2", "W3", "b3"),
    ]
    assert [node.name for node in model.inputs] == ["X", "mask2", "m"]


@pytest.mark.parametrize("scheme", ["uniform", "glorot", "he"])
def test_scales_start_at_one_and_shifts_at_zero_under_every_scheme(module, scheme):
    params = module.init_params(4, scheme)
    for name in ("gamma1", "gamma1_2", "gamma2", "gamma2_2"):
        assert np.array_equal(params[name], np.ones_like(params[name])), name
    for name in ("beta1", "beta1_2", "beta2", "beta2_2"):
        assert np.array_equal(params[name], np.zeros_like(params[name])), name
    assert np.any(params["W1"] != 0)


@pytest.mark.parametrize("target", TARGETS)
def test_the_generated_module_computes_torchs_loss_and_gradients(model, target):
    module = target_module(model, target)
    rng = np.random.default_rng(2)
    params = initial_params(module, 3, "he")
    # scales and shifts away from 1 and 0, so that their gradients and uses are all tested
    for name in params:
        if name.startswith(("gamma", "beta")):
            params[name] = params[name] + rng.normal(scale=0.5, size=params[name].shape)
    expected_loss, expected = torch_network(params)
    cache = module.forward(params, **DATA)
    assert float(module.loss(params, **DATA)) == pytest.approx(expected_loss, rel=1e-12)
    gradients = module.backward(params, cache)
    for name, value in expected.items():
        # a bias before batch norm has no effect: both sides give it as rounding noise
        scale = max(1.0, float(np.max(np.abs(value))))
        assert float(np.max(np.abs(gradients[name] - value))) / scale < 1e-10, name


def test_the_generated_module_imports_numpy_only_and_regenerates_identically(model):
    text = api.generate(model)
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]
    assert api.generate(model) == text


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("target", ["numpy", "jax"])
def test_the_generated_modules_are_lint_clean_and_formatted(model, target, tmp_path):
    assert module_complaints(api.generate(model, target=target), tmp_path) == []


def test_verify_proves_the_module_by_finite_differences(model):
    report = api.verify(model)
    assert report.ok, report.to_text()


def test_the_jax_module_agrees_with_jax_grad(model):
    pytest.importorskip("jax")
    text = api.generate(model, target="jax")
    report = api.verify(model, text=text, target="jax")
    assert report.ok and report.oracle_error < 1e-10, report.to_text()


def test_explain_tells_the_spatial_rules(model):
    text = explain(model).to_markdown()
    assert "spatial batch norm" in text
    assert "spatial group norm" in text
    assert "summed over the samples and the positions" in text


@pytest.mark.parametrize("groups", [0, 2, 4])
def test_the_spatial_ops_match_torch_forward_and_backward(groups):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(groups)
    x, g = rng.normal(size=(3, 4, 2, 5)), rng.normal(size=(3, 4, 2, 5))
    tx = torch.tensor(x, requires_grad=True)
    if groups:
        out = F.group_norm(tx, groups, eps=1e-5)
        op, grad, settings = spatial_groupnorm, spatial_groupnorm_grad, (groups, 1e-5)
    else:
        out = F.batch_norm(tx, None, None, training=True, eps=1e-5)
        op, grad, settings = spatial_batchnorm, spatial_batchnorm_grad, (1e-5,)
    (out * torch.tensor(g)).sum().backward()
    assert np.allclose(op.evaluate(FLOAT_MATH, x, *settings), out.detach().numpy(), atol=1e-12)
    assert np.allclose(grad.evaluate(FLOAT_MATH, g, x, *settings), tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("groups", [0, 2])
def test_the_input_adjoint_is_blind_to_a_shift_or_scale_of_what_one_statistic_shares(groups):
    # xhat does not change when the entries one mean and variance share are shifted or scaled
    # together, so the adjoint of those entries sums to zero and is orthogonal to them
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(3, 4, 2, 3)), rng.normal(size=(3, 4, 2, 3))
    if groups:
        dx = spatial_groupnorm_grad.evaluate(FLOAT_MATH, g, x, groups, 1e-9)
        shared = (lambda a: a.reshape(3, groups, -1)), (2,)
    else:
        dx = spatial_batchnorm_grad.evaluate(FLOAT_MATH, g, x, 1e-9)
        shared = (lambda a: a), (0, 2, 3)
    view, axes = shared
    assert np.allclose(view(dx).sum(axis=axes), 0, atol=1e-10)
    assert np.allclose((view(dx) * view(x)).sum(axis=axes), 0, atol=1e-6)


BAD_LAYERS = [
    ('type = "layernorm"', "layernorm needs rows"),
    ('type = "groupnorm"\ngroups = 3', "do not split into 3"),
    ('type = "groupnorm"', "needs 'groups'"),
    ('type = "dropout"\np = 1.0', "p must be a number from 0 up to 1"),
    ('type = "batchnorm"\neps = -1', "eps must be a number between 0 and 1"),
    ('type = "batchnorm"\nmomentum = 0.1', "unknown key 'momentum' for batchnorm"),
]


@pytest.mark.parametrize(("layer", "message"), BAD_LAYERS)
def test_a_wrong_layer_is_one_line_naming_it_with_exit_code_2(tmp_path, layer, message):
    path = tmp_path / "bad.toml"
    text = f"[network]\ninput = [4, 3, 3]\n\n[[layer]]\n{layer}\n\n"
    text += '[[layer]]\ntype = "flatten"\n\n[[layer]]\ntype = "dense"\nunits = 2\n'
    text += 'activation = "softmax"\n'
    path.write_text(text)
    run = [sys.executable, "-m", "symbackprop", "derive", str(path)]
    result = subprocess.run(run, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and f"{path}:" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


DROPOUT_NET = """\
[network]
input = [64]
loss = "softmax_ce"

[[layer]]
type = "dense"
units = 64
activation = "relu"

[[layer]]
type = "dropout"
p = 0.25

[[layer]]
type = "dense"
units = 10
activation = "softmax"
"""


def test_train_draws_a_fresh_mask_every_step_and_scores_without_dropout(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    from symbackprop.train import runner

    path = tmp_path / "drop.toml"
    path.write_text(DROPOUT_NET)
    masks = []
    load = runner.load_module

    def spied(model, text=None):  # the masks each step is given, as the module receives them
        module = load(model, text)
        step = module.train_step

        def train_step(params, X, mask1, Y, *rest, **options):
            masks.append(np.copy(mask1))
            return step(params, X, mask1, Y, *rest, **options)

        module.train_step = train_step
        return module

    monkeypatch.setattr(runner, "load_module", spied)
    result = runner.train(
        str(path), "digits", epochs=10, lr=0.1, optimizer="sgd", standardize=True, batch_size=64
    )
    drawn = np.concatenate(masks)
    assert set(np.unique(drawn)) == {0.0, 1.0}  # units dropped or kept, nothing else
    assert abs(drawn.mean() - 0.75) < 0.02  # kept with probability 1 - p
    assert not np.array_equal(masks[0], masks[1])  # a fresh mask every step
    # scored without dropout: a mask of the keep probability everywhere is the identity
    test_arrays = result.feed.arrays(result.dataset.test)
    assert np.all(test_arrays[1] == 0.75)
    assert result.summary.test_accuracy >= 0.9


def test_every_formula_of_the_explanation_renders_in_katex(model):
    if node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    formulas = sorted(set(explain(model).formulas()))
    errors = katex_errors(formulas)
    assert errors == [], "\n\n".join(f"{e.message}\n{e.formula}" for e in errors[:5])
    assert any(r"\operatorname{BN}_{2d}" in f for f in formulas)
