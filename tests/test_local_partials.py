"""Activation derivatives are found by SymPy and expressed through the node's own output."""

import pytest
import sympy as sp

from symbackprop.derive.local import local_partial, output_form, split_outer
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.printing import text

u, a = sp.symbols("u a")
h1, h1out, x, w0, b0 = sp.symbols("h1 h1out x w0 b0")


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (1 / (1 + sp.exp(-u)), a * (1 - a)),  # sigmoid' = a(1 - a)
        (sp.tanh(u), 1 - a**2),  # tanh' = 1 - a**2
        (sp.exp(u), a),
        (2 / (1 + sp.exp(-u)) - 1, (1 - a**2) / 2),  # a user's own: tanh(u/2) in disguise
        (sp.exp(-u), -a),
    ],
)
def test_derivative_is_written_through_the_output(definition, expected):
    form = output_form(sp.Lambda(u, definition))
    assert form is not None
    assert sp.expand(form(a) - expected) == 0
    # and it is right: G(F(u)) == F'(u)
    assert sp.simplify((form(definition) - sp.diff(definition, u)).rewrite(sp.exp)) == 0


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "softplus", "swish", "gelu"])
def test_activations_without_an_output_form_keep_the_input_form(name):
    assert output_form(ACTIVATIONS[name]) is None


def test_written_out_sigmoid_comes_back_as_h1out_times_one_minus_h1out():
    assert text(local_partial(1 / (1 + sp.exp(-h1)), h1out, h1)) == "h1out*(1 - h1out)"
    assert text(local_partial(sp.tanh(h1), h1out, h1)) == "1 - h1out**2"


def test_compound_node_applies_the_chain_rule_through_the_pre_activation():
    node = 1 / (1 + sp.exp(-(x * w0 + b0)))
    assert sp.expand(local_partial(node, h1out, w0) - x * h1out * (1 - h1out)) == 0


def test_a_user_activation_without_an_output_form_is_still_differentiated():
    h1 = sp.Symbol("h1", real=True)
    softsign = h1 / (1 + sp.Abs(h1))
    partial = local_partial(softsign, h1out, h1)
    at = {h1: sp.Rational(3, 7)}
    assert sp.simplify(partial.subs(at) - sp.diff(softsign, h1).subs(at)) == 0


def test_split_outer_finds_the_pre_activation():
    outer, inner = split_outer(1 / (1 + sp.exp(-(x * w0 + b0))))
    assert inner == x * w0 + b0
    assert split_outer(x * w0 + b0) is None
