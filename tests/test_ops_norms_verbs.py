"""Normalisation, dropout, embedding and hinge-loss ops through every verb, on small networks
built with ModelBuilder: derive, explain, generate (a NumPy-only, ruff-clean module) and
verify; the generated modules' losses and gradients against PyTorch's float64 autograd of the
same network, and a broken backward called wrong with the right parameter blamed."""

from __future__ import annotations

import ast
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp
from lint import module_complaints

from symbackprop import api
from symbackprop.codegen.layout import INDENT, statement_text
from symbackprop.codegen.loader import load_module
from symbackprop.explain.api import explain
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.ops import (
    batchnorm,
    colmean,
    colvar,
    dot,
    dropout,
    embedding,
    groupnorm,
    layernorm,
    softmax_xent,
    svm_hinge,
    total,
)

EPS = sp.Rational(1, 100000)
P_KEEP = sp.Rational(4, 5)
REG = sp.Rational(1, 10)
relu, tanh = ACTIVATIONS["relu"], ACTIVATIONS["tanh"]


def normalised_net(name: str, standardise, act=relu):
    """dense -> standardise -> scale and shift -> act -> dense -> softmax cross-entropy."""
    b = ModelBuilder(name)
    x, y, m = b.input("X", shape=("m", 3)), b.target("Y", shape=("m", 4)), b.input("m", shape=())
    w1, b1 = b.parameter("W1", shape=(3, 6)), b.parameter("b1", shape=(6,))
    gamma, beta = b.parameter("gamma", shape=(6,)), b.parameter("beta", shape=(6,))
    w2, b2 = b.parameter("W2", shape=(6, 4)), b.parameter("b2", shape=(4,))
    z1 = b.define("z1", dot(x, w1) + b1)
    xhat = b.define("xhat", standardise(z1))
    a = b.define("a", act(gamma * xhat + beta))
    z2 = b.define("z2", dot(a, w2) + b2)
    return b.loss("E", total(softmax_xent(z2, y)) / m)


def embedding_net():
    """embedding -> inverted dropout (a given mask) -> dense -> hinge loss + L2."""
    b = ModelBuilder("embedding-hinge")
    idx, y = b.input("idx", shape=("m",)), b.target("y", shape=("m",))
    mask, m = b.input("mask", shape=("m", 4)), b.input("m", shape=())
    table = b.parameter("table", shape=(6, 4))
    w, c = b.parameter("W", shape=(4, 3)), b.parameter("c", shape=(3,))
    e = b.define("e", embedding(idx, table))
    d = b.define("d", dropout(e, mask, P_KEEP))
    s = b.define("s", dot(d, w) + c)
    return b.loss("L", total(svm_hinge(s, y)) / m + REG * total(w * w))


MODELS = {
    "batchnorm": lambda: normalised_net("bn-net", lambda z: batchnorm(z, EPS)),
    "layernorm": lambda: normalised_net("ln-net", lambda z: layernorm(z, EPS), tanh),
    "groupnorm": lambda: normalised_net("gn-net", lambda z: groupnorm(z, 3, EPS), tanh),
    "embedding": embedding_net,
}
RNG = np.random.default_rng(5)
DATA = {
    "X": RNG.normal(size=(8, 3)),
    "Y": np.eye(4)[RNG.integers(0, 4, size=8)],
    "idx": np.array([0, 5, 5, 2, 0, 5, 1, 3]),
    "y": RNG.integers(0, 3, size=8),
    "mask": (RNG.random((8, 4)) < 0.8).astype(float),
}


@pytest.fixture(scope="module", params=list(MODELS))
def model(request):
    return MODELS[request.param]()


@pytest.fixture(scope="module")
def text(model):
    return api.generate(model)


def test_generate_writes_a_numpy_only_module(text):
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_the_generated_module_is_lint_clean_and_formatted(text, tmp_path):
    assert module_complaints(text, tmp_path) == []


def test_verify_proves_the_generated_gradients(model, text):
    report = api.verify(model, text=text)
    assert report.ok, report.to_text()


def test_the_jax_module_agrees_with_jax_grad_and_is_ruff_clean(tmp_path):
    # One model holding the lookup, group norm and the hinge loss: a JAX module compiles as
    # it is generated, seconds each.
    pytest.importorskip("jax")
    b = ModelBuilder("embedding-groupnorm-hinge")
    idx, y, m = b.input("idx", shape=("m",)), b.target("y", shape=("m",)), b.input("m", shape=())
    # groups of 3 features: a group of 2 standardises to +-1 whatever its values
    table, w = b.parameter("table", shape=(5, 6)), b.parameter("W", shape=(6, 3))
    looked_up = b.define("looked_up", embedding(idx, table))
    e = b.define("e", groupnorm(looked_up, 2, EPS))
    s = b.define("s", dot(e, w))
    model = b.loss("L", total(svm_hinge(s, y)) / m)
    text = api.generate(model, target="jax")
    report = api.verify(model, text=text, target="jax")
    assert report.ok and report.oracle_error < 1e-10, report.to_text()
    if shutil.which("ruff") is not None:
        assert module_complaints(text, tmp_path) == []


# -- the generated modules against torch --------------------------------------------------------
def torch_normalised_net(params, normalise, act):
    import torch

    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    z1 = torch.tensor(DATA["X"]) @ t["W1"] + t["b1"]
    a = act(t["gamma"] * normalise(z1) + t["beta"])
    z2 = a @ t["W2"] + t["b2"]
    labels = torch.tensor(DATA["Y"].argmax(axis=1))
    loss = torch.nn.functional.cross_entropy(z2, labels)  # mean over the samples
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def torch_embedding_net(params):
    import torch

    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    e = torch.nn.functional.embedding(torch.tensor(DATA["idx"]), t["table"])
    s = e * torch.tensor(DATA["mask"]) / 0.8 @ t["W"] + t["c"]
    classes = s.shape[1]  # MultiMarginLoss divides by it; the course's hinge does not
    hinge = classes * torch.nn.MultiMarginLoss()(s, torch.tensor(DATA["y"]))
    loss = hinge + 0.1 * (t["W"] ** 2).sum()
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def torch_reference(name: str, params):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    if name == "embedding":
        return torch_embedding_net(params)
    normalise = {
        "batchnorm": lambda z: F.batch_norm(z, None, None, training=True, eps=1e-5),
        "layernorm": lambda z: F.layer_norm(z, (6,), eps=1e-5),
        "groupnorm": lambda z: F.group_norm(z, 3, eps=1e-5),
    }[name]
    act = torch.relu if name == "batchnorm" else torch.tanh
    return torch_normalised_net(params, normalise, act)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_generated_module_computes_torchs_loss_and_gradients(name):
    model = MODELS[name]()
    module = load_module(model)
    params = module.init_params(3)
    names = [n.name for n in model.nodes if n.kind in ("input", "target") and n.name != "m"]
    data = {n: DATA[n] for n in names}
    expected_loss, expected = torch_reference(name, params)
    assert module.loss(params, **data) == pytest.approx(expected_loss, rel=1e-10)
    gradients = module.backward(params, module.forward(params, **data))
    # relative to the largest gradient entry: a bias before batch norm has gradient 0, and
    # both sides give it as rounding noise
    scale = max(float(np.max(np.abs(value))) for value in expected.values())
    for param, value in expected.items():
        assert float(np.max(np.abs(gradients[param] - value))) / scale < 1e-10, param


# -- a wrong backward is called wrong, the right parameter blamed -------------------------------
def test_verify_calls_a_batchnorm_backward_without_its_mean_term_wrong():
    model = MODELS["batchnorm"]()
    text = api.generate(model)
    broken = text.replace(" - delta_xhat.mean(axis=0)", "")
    assert broken != text
    report = api.verify(model, text=broken)
    assert not report.ok
    assert report.errors["W1"] > 1e-3  # below the batch norm: wrong
    assert report.errors["W2"] < 1e-8  # above it: untouched


def test_verify_calls_an_embedding_gradient_that_overwrites_repeats_wrong():
    model = embedding_net()
    text = api.generate(model)
    broken = text.replace("np.add.at(grad, idx, g)", "grad[idx] = g")
    assert broken != text
    report = api.verify(model, text=broken)
    assert not report.ok
    assert report.errors["table"] > 1e-3 and report.errors["W"] < 1e-8


# -- derive and explain -------------------------------------------------------------------------
def test_derive_writes_the_compact_batchnorm_rule_through_named_nodes():
    text = str(api.derive(MODELS["batchnorm"]()))
    # (g - mean(g) - xhat mean(g xhat)) / sqrt(var + eps), g the adjoint of the node xhat
    assert "delta_z1   = (delta_xhat - xhat*(delta_xhat*xhat).mean(axis=0)" in text
    assert "- delta_xhat.mean(axis=0))/sqrt(z1.var(axis=0) + 1/100000)" in text
    # gamma and beta are ordinary arithmetic around the op: their sums over the samples
    assert "dE/dgamma = (delta_a*(xhat*" in text
    assert "dE/dbeta = (delta_a*" in text


def test_explain_shows_the_batchnorm_derivation():
    markdown = explain(MODELS["batchnorm"]()).to_markdown()
    assert r"through the batch norm $\operatorname{BN}\left(z_{1}\right)$" in markdown
    # the derivation on paper: through the variance, through the mean, then the compact form
    assert r"\partial E / \partial \sigma^2 = -\frac{1}{2\sigma^2}" in markdown
    assert r"\partial E / \partial \mu = -\frac{1}{\sigma}" in markdown


def test_explain_derives_batchnorm_from_its_graph_through_mean_and_variance():
    b = ModelBuilder("bn-graph")
    z, r = b.parameter("Z", shape=(5, 4)), b.input("R", shape=(5, 4))
    mu = b.define("mu", colmean(z))
    var = b.define("var", colvar(z))
    xhat = b.define("xhat", (z - mu) / sp.sqrt(var + EPS))
    markdown = explain(b.loss("E", total(r * xhat**2))).to_markdown()
    assert r"through the variance $\operatorname{var}_{\text{rows}} Z$" in markdown
    assert r"through the mean $\operatorname{mean}_{\text{rows}} Z$" in markdown
    assert r"\frac{g}{N_{Z}}" in markdown  # the mean's rule: g spread back over N samples


def test_explain_tells_the_embedding_and_hinge_rules():
    markdown = explain(embedding_net()).to_markdown()
    assert "an index that repeats collects the sum of its rows" in markdown
    assert r"\operatorname{hinge}'" in markdown
    assert "inverted dropout" in markdown


# -- long formulas are laid out as ruff formats them ---------------------------------------------
LONG_QUOTIENTS = [
    # the line up to the last call's bracket fits: split there
    "(delta_e - e * groupmean(delta_e * e, 2) - groupmean(delta_e, 2)) / jnp.sqrt(v + 1e-05)",
    # it does not: split the first operand's brackets
    "(delta_xhat - xhat * (delta_xhat * xhat).mean(axis=0) - delta_xhat.mean(axis=0)) / "
    "np.sqrt(z1.var(axis=0) + 1e-05)",
    # a sum whose middle operand is still too long: split again before its own * and /
    "(delta_n2 * gamma2 - layernorm(z2, 1e-05) * (delta_n2 * (gamma2 * layernorm(z2, 1e-05)))"
    ".mean(axis=1, keepdims=True) - (delta_n2 * gamma2).mean(axis=1, keepdims=True)) / "
    "np.sqrt(z2.var(axis=1, keepdims=True) + 1e-05)",
]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("code", LONG_QUOTIENTS)
def test_a_long_quotient_is_wrapped_as_ruff_formats_it(code):
    wrapped = "def f():\n" + INDENT + statement_text("delta_looked_up", code) + "\n"
    run = ["ruff", "format", "--no-cache", "--isolated", "--line-length", "100", "-"]
    result = subprocess.run(run, input=wrapped, capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout == wrapped
    assert max(len(line) for line in wrapped.splitlines()) <= 100
