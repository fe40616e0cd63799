"""A scalar network of hundreds of weights: derived and explained in one go, the explanation
summarised (one entry per array in full), a progress bar only on a terminal."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sympy as sp

from symbackprop import api
from symbackprop.explain import explain
from symbackprop.ir import fully_connected


@pytest.fixture(scope="module")
def net():
    return fully_connected([8, 16, 16, 1], "sigmoid")  # 433 weights and biases


def numpy_loss(values: dict) -> float:
    """The network's half squared error, written out in NumPy from its named entries."""
    x = np.array([values[f"x[{i}]"] for i in range(8)])
    a = x
    for layer, (n_in, n_out) in enumerate([(8, 16), (16, 16), (16, 1)], start=1):
        W = np.array([[values[f"W{layer}[{i}, {j}]"] for j in range(n_out)] for i in range(n_in)])
        b = np.array([values[f"b{layer}[{j}]"] for j in range(n_out)])
        a = 1 / (1 + np.exp(-(a @ W + b)))
    return 0.5 * (a[0] - values["t[0]"]) ** 2


def test_every_weight_of_an_8_16_16_1_network_gets_a_gradient_that_matches_differences(net):
    derivation = api.derive(net).derivation
    assert len(derivation.gradients) == 8 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    rng = np.random.default_rng(0)
    values = {n.name: rng.normal() for n in net.nodes if n.kind.is_leaf}
    point = {sp.Symbol(k): v for k, v in values.items()}
    for node in net.defined:  # the forward values, then the adjoints as derive states them
        point[node.symbol] = float(node.expr.xreplace(point))
    for adjoint in derivation.adjoints:
        point[adjoint.symbol] = float(adjoint.expr.xreplace(point))
    for name in ("W1[3, 7]", "b2[5]", "W3[11, 0]", "b3[0]"):
        gradient = float(derivation.gradient(name).expr.xreplace(point))
        h = 1e-6
        up = numpy_loss({**values, name: values[name] + h})
        down = numpy_loss({**values, name: values[name] - h})
        assert gradient == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-10), name


def test_a_large_network_is_explained_by_one_entry_per_array_and_a_few_short_forms(net):
    markdown = explain(net).to_markdown()
    assert markdown.count("### The gradient with respect to") == 6  # W1, b1, W2, b2, W3, b3
    assert "### The other 127 entries of `W1`" in markdown
    assert "### The other 255 entries of `W2`" in markdown
    # dE/dW1[0, 1] = delta_z1[1] * x[0]: z1[1] = sum_i W1[i, 1] x[i] + b1[1]
    assert r"\frac{\partial E}{\partial W^{(1)}_{0,1}} &= \delta_{z^{(1)}_{1}} \cdot x_{0}" in (
        markdown
    )
    assert "and 124 more of the same form" in markdown
    asked = explain(net, param="b1").to_markdown()  # asked for: every entry in full
    assert asked.count("### The gradient with respect to") == 16


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_and_nowhere_else(monkeypatch):
    net = fully_connected([2, 30, 1], "tanh")  # 62 nodes: enough for a bar
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    api.derive(net, show_progress=True)
    assert f"derive {net.name}" in terminal.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    api.derive(net, show_progress=True)
    assert piped.getvalue() == ""
