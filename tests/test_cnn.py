"""Convolutional networks in every verb: the built-in cnn-digits and [[layer]] specs.

The generated modules are checked against the same network written in PyTorch (float64, the
same weights and data): the loss, every gradient of backward(), and what train_step applies.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest
import sympy as sp
from targets import TARGETS, initial_params, target_module

from symbackprop import api
from symbackprop.check import check_formulas
from symbackprop.cli import main
from symbackprop.explain.api import explain
from symbackprop.ir.network import Apply, Conv2d, Dense, Flatten, MaxPool, layered_network
from symbackprop.ir.ops import softmax_xent
from symbackprop.readers.examples import builtin
from symbackprop.readers.spec import read_spec
from symbackprop.train.runner import train

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(5)

# Two convolutions (the second with stride 2 and so an input adjoint), an overlapping pooling
TWO_CONVS = """\
[network]
name = "two-convs"
input = [2, 9, 9]
loss = "softmax_ce"

[[layer]]
type = "conv2d"
filters = 3
kernel = 3
padding = 1

[[layer]]
type = "relu"

[[layer]]
type = "maxpool"
size = 3
stride = 2

[[layer]]
type = "conv2d"
filters = 4
kernel = 2
stride = 2
padding = 1

[[layer]]
type = "tanh"

[[layer]]
type = "flatten"

[[layer]]
type = "dense"
units = 5
activation = "softmax"
"""


def cnn_digits_in_torch(p, x, labels):
    z1 = F.conv2d(x, p["W1"], p["b1"], padding=1)
    f1 = torch.flatten(F.max_pool2d(torch.relu(z1), 2), 1)
    return F.cross_entropy(f1 @ p["W2"] + p["b2"], labels)


def two_convs_in_torch(p, x, labels):
    a1 = torch.relu(F.conv2d(x, p["W1"], p["b1"], padding=1))
    z2 = F.conv2d(F.max_pool2d(a1, 3, 2), p["W2"], p["b2"], stride=2, padding=1)
    return F.cross_entropy(torch.flatten(torch.tanh(z2), 1) @ p["W3"] + p["b3"], labels)


def torch_gradients(in_torch, params: dict, x, labels):
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = in_torch(leaves, torch.tensor(x), torch.tensor(labels))
    loss.backward()
    return loss.item(), {k: leaf.grad.numpy() for k, leaf in leaves.items()}


def relative_error(got, expected) -> float:
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


@pytest.fixture(scope="module")
def two_convs(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "two_convs.toml"
    path.write_text(TWO_CONVS)
    return read_spec(path)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("name", "in_torch", "image"),
    [("cnn-digits", cnn_digits_in_torch, (1, 8, 8)), ("two-convs", two_convs_in_torch, (2, 9, 9))],
)
def test_the_generated_module_agrees_with_torch_autograd(name, in_torch, image, two_convs, target):
    model = builtin(name) if name == "cnn-digits" else two_convs
    module = target_module(model, target)
    params = initial_params(module, 3, "he")
    params = {k: v + RNG.normal(scale=0.1, size=v.shape) for k, v in params.items()}
    x = RNG.normal(size=(6, *image))
    classes = module.PARAMETER_SHAPES[max(module.PARAMETER_SHAPES)][0]
    labels = RNG.integers(0, classes, size=6)
    expected_loss, expected = torch_gradients(in_torch, params, x, labels)
    assert float(module.loss(params, x, labels)) == pytest.approx(expected_loss, rel=1e-12)
    grads = module.backward(params, module.forward(params, x, labels))
    lr, stepped = 0.5, {k: v.copy() for k, v in params.items()}
    module.train_step(stepped, x, labels, lr, {})
    for key in params:
        assert relative_error(grads[key], expected[key]) < 1e-10, key
        assert relative_error((params[key] - stepped[key]) / lr, expected[key]) < 1e-10, key


def test_a_layer_spec_goes_through_derive_generate_and_verify(two_convs):
    derivation = api.derive(two_convs).derivation
    assert [g.param for g in derivation.gradients] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    text = api.generate(two_convs)
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]
    assert "sliding_window_view" in text and "for n in" not in text  # no loop over samples
    assert "conv2d_input_grad(delta_z2, W2, p1.shape, 2, 1)" in text
    report = api.verify(two_convs)
    assert report.ok, report.to_text()


def test_the_explanation_gives_each_rule_and_shape(two_convs):
    markdown = explain(two_convs).to_markdown()
    assert "the full correlation of $g$" in markdown
    assert "flipped in both spatial axes" in markdown
    assert "the correlation of the padded input with $g$" in markdown
    assert r"$W_{1}$ $(3\times 2\times 3\times 3)$" in markdown
    assert "the first of them in row-major order" in markdown
    assert "an entry collects the adjoints of every window" in markdown
    assert "the flipped kernels of a convolution, the maxima of a pooling" in markdown


def test_cnn_digits_runs_in_every_verb(capsys, tmp_path):
    assert main(["derive", "cnn-digits"]) == 0
    out = capsys.readouterr().out
    assert "dE/dW1 = conv2d_kernel_grad(X, delta_z1, W1.shape, stride=1, padding=1)" in out
    assert "delta_a1 = maxpool2d_grad(delta_p1, a1, size=2, stride=2)" in out
    assert main(["explain", "cnn-digits", "-o", str(tmp_path / "cnn.md")]) == 0
    assert main(["verify", "cnn-digits"]) == 0
    assert main(["generate", "cnn-digits", "-o", str(tmp_path / "cnn.py")]) == 0


def test_cnn_digits_learns_the_digits_with_its_own_training_options():
    pytest.importorskip("sklearn")
    result = train("cnn-digits", "digits", epochs=4)  # 20 by default: 99.1% on the test part
    assert result.summary.optimizer == "adam" and result.summary.standardized
    assert result.summary.test_accuracy > 0.95
    assert not result.findings


BAD_SPECS = [
    ("[[layer]]\ntype = 'dense'\nunits = 2\n", "[network] needs 'input'", None),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'conv2d'\nfilters = 2\nkernel = 0\n",
        "layer 1: kernel must be a positive integer",
        7,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'flatten'\n\n[[layer]]\ntype = 'pool'\n",
        "layer 2: unknown type 'pool'",
        8,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'dense'\nunits = 3\n",
        "layer 1: dense needs rows (m, n): put a flatten before it",
        4,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'maxpool'\nsize = 5\n",
        "layer 1: a window of 5",
        4,
    ),
    (
        "[network]\ninput = [1, 4, 4]\nsizes = [1, 2]\n\n[[layer]]\ntype = 'flatten'\n",
        "unknown key 'sizes'",
        3,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'flatten'\nunits = 3\n",
        "layer 1: unknown key 'units' for flatten",
        6,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'conv2d'\nfilters = 2\n",
        "layer 1 (conv2d) needs 'kernel'",
        4,
    ),
    (
        "[network]\ninput = [1, 4, 4]\n\n[[layer]]\ntype = 'conv2d'\nfilters = 2\nkernel = 3\n",
        "layer 1: the last layer gives images",
        4,
    ),
]


@pytest.mark.parametrize(("text", "words", "line"), BAD_SPECS)
def test_a_bad_layer_spec_is_one_line_naming_the_key_and_line(
    text, words, line, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text)
    for verb in ("derive", "generate"):
        assert (
            main([verb, "bad.toml", "-o", "out.txt"] if verb == "generate" else [verb, "bad.toml"])
            == 2
        )
        err = capsys.readouterr().err
        where = "bad.toml" if line is None else f"bad.toml:{line}"
        assert err.startswith(f"symbackprop: error: {where}: ") and words in err, err
        assert err.count("\n") == 1
    assert not (tmp_path / "out.txt").exists()


def test_check_judges_hand_written_gradients_of_a_convolutional_network(tmp_path):
    # a small network: exact checking evaluates every convolution in rationals
    path = tmp_path / "tiny.toml"
    path.write_text(
        TWO_CONVS.replace("[2, 9, 9]", "[1, 5, 5]").replace("filters = 4", "filters = 1")
    )
    report = check_formulas(
        read_spec(path),
        ["W3 = f2.T @ (a3 - Y) / m", "b3 = np.sum(a3 - Y, axis=0)", "W3 = (a3 - Y).T @ f2 / m"],
    )
    verdicts = [v["verdict"] for v in report.to_data()["verdicts"]]
    assert verdicts == ["correct", "wrong", "wrong"]


def test_layers_in_any_order_get_their_own_nodes_and_the_loss_its_logits():
    layers = [Conv2d(2, 3), MaxPool(2, 1), MaxPool(2), Flatten(), Dense(3), Apply("softmax")]
    model = layered_network((1, 8, 8), layers, name="pools")
    assert [n.name for n in model.defined] == ["z1", "p1", "p1_3", "f1", "z2", "a2", "E"]
    assert model.loss.expr.atoms(softmax_xent) == {softmax_xent(*sp.symbols("z2 Y"))}
    assert api.verify(model).ok
