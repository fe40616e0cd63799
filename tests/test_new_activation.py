"""A new activation is one class in one file: derive, explain, generate, verify and check take
it with no other file touched.

Softsign, u / (1 + |u|), is defined here and nowhere in the package. Its derivative,
1 / (1 + |u|)**2, is written by hand below only to judge the package's answers (the package
derives it from the definition), and every gradient is held against finite differences of a
loss computed here in plain NumPy.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp
from numeric import central_gradient, max_relative_error

from symbackprop.api import derive, generate, verify
from symbackprop.check.api import check_formulas
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data
from symbackprop.explain import explain
from symbackprop.explain.katex import katex_errors, node
from symbackprop.ir.activations import Activation
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.evaluate import evaluate
from symbackprop.ir.network import dense_network
from symbackprop.readers.sources import load_model

u = sp.Symbol("u", real=True)


class softsign(Activation):  # noqa: N801 - the name users write
    definition = sp.Lambda(u, u / (1 + sp.Abs(u)))


def softsign_np(z):
    return z / (1 + np.abs(z))


def one_unit():
    """E = (softsign(w*x + b) - t)**2 / 2, one sample: small enough to check formulas on."""
    b = ModelBuilder("one-softsign-unit")
    x, t = b.input("x"), b.target("t")
    w, bias = b.parameter("w"), b.parameter("b")
    z = b.define("z", w * x + bias)
    a = b.define("a", softsign(z))
    return b.loss("E", (a - t) ** 2 / 2)


NETWORK = dense_network([3, 4, 2], [softsign, "sigmoid"], loss="half_sse", name="softsign-net")


# -- derive ------------------------------------------------------------------------------------
def test_the_derived_gradients_agree_with_finite_differences():
    model = one_unit()
    derivation = derive(model).derivation
    point = {"x": 0.7, "t": 0.2, "w": -1.3, "b": 0.4}

    def loss(p):
        z = p["w"] * point["x"] + p["b"]
        return float((softsign_np(z) - point["t"]) ** 2 / 2)

    values = {sp.Symbol(k): v for k, v in point.items()}
    for name in ("w", "b"):
        derived = derivation.in_leaves(derivation.gradient(name).expr)
        numeric = central_gradient(loss, {k: np.array(v) for k, v in point.items()}, name)
        assert max_relative_error(float(evaluate(derived, values)), numeric) < 1e-9


def test_the_derivative_comes_from_the_definition():
    z = sp.Symbol("z", real=True)
    by_hand = 1 / (1 + sp.Abs(z)) ** 2
    assert sp.simplify(softsign(z).diff(z) - by_hand) == 0


# -- explain -----------------------------------------------------------------------------------
def test_the_explanation_shows_the_activation_by_name_and_states_its_definition():
    explanation = explain(one_unit())
    markdown = explanation.to_markdown()
    assert r"a &= \operatorname{softsign}\left(z\right)" in markdown
    assert r"\operatorname{softsign}\left(u\right) = \frac{u}{\left|{u}\right| + 1}" in markdown
    if node() is not None:
        assert katex_errors(explanation.formulas()) == []


def test_the_explanation_compiles_with_pdflatex(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    tex = explain(NETWORK).write(tmp_path / "softsign.tex")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    assert [line for line in log.splitlines() if line.startswith("!")] == []


# -- generate and verify -----------------------------------------------------------------------
def test_the_generated_module_passes_verify():
    text = generate(NETWORK)  # generate refuses a module that disagrees with the derivation
    assert "np.abs" in text and "softsign" not in text.split('"""', 2)[2]
    assert verify(NETWORK).ok


def test_the_generated_gradients_agree_with_a_numpy_forward_written_here():
    module = load_module(NETWORK)
    params = module.init_params(0)
    X, Y = sample_data(NETWORK, np.random.default_rng(0))  # noqa: N806

    def loss(p):
        a1 = softsign_np(X @ p["W1"] + p["b1"])
        a2 = 1 / (1 + np.exp(-(a1 @ p["W2"] + p["b2"])))
        return float(np.mean((a2 - Y) ** 2) / 2)  # reduction mean: over every element

    grads = module.backward(params, module.forward(params, X, Y))
    for name in params:
        numeric = central_gradient(loss, params, name, h=1e-5)
        assert max_relative_error(grads[name], numeric) < 1e-7, name


# -- check -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "formula",
    [
        "g = (a - t) / (1 + abs(z))**2 * x",
        "g = (a - t) * (1 - abs(a))**2 * x",  # through the output: 1 - |a| = 1/(1 + |z|)
    ],
)
def test_a_correct_hand_written_gradient_is_judged_correct(formula):
    (verdict,) = check_formulas(one_unit(), [formula], ["g=w"]).verdicts
    assert verdict.correct


@pytest.mark.parametrize(
    "formula",
    [
        "g = (a - t) * a * (1 - a) * x",  # the sigmoid's derivative
        "g = (a - t) / (1 + abs(z)) * x",  # the square dropped
        "g = (a - t) / (1 + abs(z))**2",  # the input dropped
    ],
)
def test_a_wrong_hand_written_gradient_is_judged_wrong(formula):
    (verdict,) = check_formulas(one_unit(), [formula], ["g=w"]).verdicts
    assert not verdict.correct


# -- a user's function or formula is made such a class when it is read ----------------------------
def test_a_python_function_becomes_one_activation_class_named_after_it():
    def my_softsign(v):
        return v / (1 + abs(v))

    model = dense_network([2, 2, 1], my_softsign)
    first, second = (type(model.node(name).expr) for name in ("a1", "a2"))
    assert issubclass(first, Activation) and first.__name__ == "my_softsign"
    assert first is second  # one class for the layers: its derivative is found once


def test_a_spec_formula_becomes_an_activation_class_printed_as_f(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\nsizes = [2, 2, 1]\nactivation = "u / (1 + abs(u))"\n')
    markdown = explain(load_model(str(spec))).to_markdown()
    assert r"f\left(u\right) = \frac{u}{\left|{u}\right| + 1}" in markdown
