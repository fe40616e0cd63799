"""A new array op is one file: every verb takes it with nothing else in symbackprop touched.

The op is ``logsumexp`` in ``tests/extensions/logsumexp_op.py`` (row-wise log-sum-exp); the
model is softmax cross-entropy written through it, ``E = sum(lse - rowsum(Y * z)) / m``. The
expected gradients come from central differences of a plain NumPy loss written here, and from
PyTorch's autograd where it is installed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from extensions.logsumexp_op import logsumexp

from symbackprop import api
from symbackprop.check import check_formulas
from symbackprop.codegen.loader import load_module
from symbackprop.explain.api import explain
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.evaluate import Evaluator, Numbers
from symbackprop.ir.ops import dot, rowsum, total

PACKAGE = Path(__file__).resolve().parents[1] / "symbackprop"
TEMPLATES = PACKAGE.parent / "templates"
RNG = np.random.default_rng(3)
POINT = {
    "X": RNG.normal(size=(5, 3)),
    "Y": np.eye(4)[RNG.integers(0, 4, size=5)],
    "W": RNG.normal(size=(3, 4)),
    "c": RNG.normal(size=(4,)),
}


@pytest.fixture(scope="module")
def model():
    b = ModelBuilder("lse-net")
    x = b.input("X", shape=("m", 3))
    y = b.target("Y", shape=("m", 4))
    m = b.input("m", shape=())
    w = b.parameter("W", shape=(3, 4))
    c = b.parameter("c", shape=(4,))
    z = b.define("z", dot(x, w) + c)
    lse = b.define("lse", logsumexp(z))
    return b.loss("E", total(lse - rowsum(y * z)) / m)


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def plain_loss(X, Y, W, c) -> float:  # noqa: N803 - the model's names
    """The same loss in plain NumPy: mean cross-entropy of softmax(X W + c) against Y."""
    z = X @ W + c
    top = z.max(axis=1, keepdims=True)
    log_softmax = z - top - np.log(np.exp(z - top).sum(axis=1, keepdims=True))
    return float(-(Y * log_softmax).sum() / len(X))


def central_differences(name: str, h: float = 1e-6) -> np.ndarray:
    gradient = np.zeros_like(POINT[name])
    for index in np.ndindex(gradient.shape):
        values = {k: v.copy() for k, v in POINT.items()}
        values[name][index] += h
        up = plain_loss(**values)
        values[name][index] -= 2 * h
        gradient[index] = (up - plain_loss(**values)) / (2 * h)
    return gradient


def derived_gradient(model, name: str) -> np.ndarray:
    """The derivation's formula for dE/d``name``, evaluated at POINT by the one evaluator."""
    derivation = api.derive(model).derivation
    as_mp = np.frompyfunc(mpmath.mpf, 1, 1)
    env = {sp.Symbol(k): as_mp(v) for k, v in POINT.items()}
    env[sp.Symbol("m")] = mpmath.mpf(len(POINT["X"]))
    for node in model.defined[:-1]:
        env[node.symbol] = Evaluator(env, Numbers.MPMATH)(node.expr)
    gradient = next(g for g in derivation.gradients if g.param == name)
    value = Evaluator(env, Numbers.MPMATH)(derivation.expanded(gradient.expr))
    return np.asarray(value, dtype=float)


@pytest.mark.parametrize("name", ["W", "c"])
def test_derive_gives_the_gradient_finite_differences_give(model, name):
    assert relative_error(derived_gradient(model, name), central_differences(name)) < 1e-7


@pytest.mark.parametrize("name", ["W", "c"])
def test_derive_agrees_with_torch_autograd(model, name):
    torch = pytest.importorskip("torch")
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in POINT.items()}
    z = leaves["X"] @ leaves["W"] + leaves["c"]
    loss = (torch.logsumexp(z, dim=1) - (leaves["Y"] * z).sum(dim=1)).sum() / len(POINT["X"])
    loss.backward()
    expected = leaves[name].grad.numpy()
    assert relative_error(derived_gradient(model, name), expected) < 1e-12


def test_explain_writes_the_op_and_its_backward_rule(model):
    explanation = explain(model)
    markdown, latex = explanation.to_markdown(), explanation.to_latex()
    assert r"\operatorname{LSE}\left(z\right)" in markdown
    assert r"\operatorname{LSE}\left(z\right)" in latex
    # the op's own sentence, with its rule g * softmax(z) printed from the rule it holds
    assert "the log-sum-exp of each row of $z$" in markdown
    assert r"the adjoint of $z$ is $g\,\operatorname{softmax}\left(z\right)$" in markdown


def test_generate_writes_a_numpy_only_module_that_verify_passes(model):
    text = api.generate(model)
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]
    assert "np.log(np.sum(np.exp(z - np.max(z, axis=1, keepdims=True))" in text
    report = api.verify(model)
    assert report.ok, report.to_text()


def test_the_generated_module_computes_the_plain_loss_and_gradient(model):
    module = load_module(model)
    params = {"W": POINT["W"], "c": POINT["c"]}
    assert module.loss(params, POINT["X"], POINT["Y"]) == pytest.approx(
        plain_loss(**POINT), rel=1e-12
    )
    cache = module.forward(params, POINT["X"], POINT["Y"])
    gradients = module.backward(params, cache)
    assert relative_error(gradients["W"], central_differences("W")) < 1e-7


def test_check_judges_hand_written_gradients_through_the_op(model):
    # exp(z - lse) is softmax(z): the hand-written gradient in the model's own names
    report = check_formulas(
        model,
        [
            "W = X.T @ (np.exp(z - lse) - Y) / m",
            "c = np.sum(np.exp(z - lse) - Y, axis=0) / m",
            "W = X.T @ (np.exp(z - lse) - Y)",
            "c = np.sum(Y - np.exp(z - lse), axis=0) / m",
        ],
    )
    verdicts = [v["verdict"] for v in report.to_data()["verdicts"]]
    assert verdicts == ["correct", "correct", "wrong", "wrong"]


def test_the_op_is_named_nowhere_in_the_package():
    sources = [*PACKAGE.rglob("*.py"), *TEMPLATES.rglob("*.j2")]
    assert sources
    assert not [path for path in sources if "logsumexp" in path.read_text()]
