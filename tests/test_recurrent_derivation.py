"""The per-step derivation of each cell: every gate's adjoint named and derived, BPTT joined."""

import json
import re

import pytest
import sympy as sp

from symbackprop.cells.conventions import CONVENTIONS, LSTM_CONVENTIONS, convention
from symbackprop.cells.gru import blend_text, gru_cell, reset_text
from symbackprop.cells.lstm import lstm_cell, state_text
from symbackprop.cells.rnn import rnn_cell
from symbackprop.cli import main
from symbackprop.derive.bptt import derive_sequence
from symbackprop.errors import SpecError
from symbackprop.ir.ops import T, dot
from symbackprop.printing.through_time import (
    convention_text,
    recursion_latex,
    recursion_text,
    sequence_data,
)
from symbackprop.questions.gru import gru_walkthrough

S = sp.Symbol


def derived(key: str, swapped: bool = False):
    return derive_sequence(gru_cell(key, 2, 3, swapped=swapped))


@pytest.mark.parametrize("key", CONVENTIONS)
def test_every_gate_has_a_named_derived_adjoint(key):
    sequence = derived(key)
    conv = convention(key)
    names = {a.node for a in sequence.step.adjoints}
    gates = [conv.node(role) for role in conv.gate_order]
    assert names >= {"h", *gates, *(f"{g}_pre" for g in gates)}
    z = conv.node("update")
    # derived through the node's own output: sigmoid' = z(1 - z), tanh' = 1 - a**2
    assert sequence.step.adjoint(f"{z}_pre").expr == S(f"delta_{z}") * S(z) * (1 - S(z))
    candidate = conv.node("candidate")
    expected = S(f"delta_{candidate}") * (1 - S(candidate) ** 2)
    assert sp.expand(sequence.step.adjoint(f"{candidate}_pre").expr - expected) == 0


@pytest.mark.parametrize("key", CONVENTIONS)
def test_the_state_carried_back_keeps_the_factor_z_of_the_blend(key):
    carry = derived(key).carry
    assert S("delta_h") * S("z") in sp.Add.make_args(carry)


def test_with_the_gates_swapped_the_carried_state_gets_one_minus_z():
    carry = derived("keras", swapped=True).carry
    assert S("delta_h") * (1 - S("z")) in sp.Add.make_args(carry)


@pytest.mark.parametrize("key", CONVENTIONS)
def test_blend_and_reset_texts_say_what_the_declared_equations_do(key):
    model = gru_cell(key, 2, 3)
    lhs, rhs = blend_text(model.cell).split(" = ")
    names = {s.name: s for s in model.node("h").expr.free_symbols}
    assert sp.sympify(rhs, locals=names) == model.node("h").expr
    where = "after" if convention(key).reset_after else "before"
    assert reset_text(model.cell).startswith(f"{where} the recurrent product")
    assert f"acts {where} the recurrent product" in convention_text(derive_sequence(model))


def test_recursion_text_and_latex_describe_bptt_with_the_derived_pieces():
    sequence = derived("keras")
    text = recursion_text(sequence)
    assert "dh_t = (h - y)_t + d_h_prev_(t+1)" in text
    assert "d_h_prev_t = delta_h*z + " in text
    assert "dE/dh_0 = d_h_prev_1" in text
    latex = recursion_latex(sequence)
    assert latex.startswith("\\begin{align*}") and latex.count("{") == latex.count("}")
    assert r"\sum_{t=1}^{T}" in latex and r"\partial h_0" in latex


def test_the_recursion_is_data_too():
    data = sequence_data(derived("pytorch"))
    assert data["blend"] == "h = z*h_prev + (1 - z)*n"
    assert data["reset"] == "after the recurrent product, r*(h_prev @ U_n + b_hn)"
    assert data["loss_term"] == "h - y" and data["carry"].startswith("delta_h*z + ")


def test_a_simple_rnn_derives_its_tanh_through_the_output():
    step = derive_sequence(rnn_cell("pytorch", 2, 3)).step
    assert step.adjoint("h_pre").expr == S("delta_h") * (1 - S("h") ** 2)
    assert step.gradient("h_prev").expr == dot(S("delta_h_pre"), T(S("U")))


def test_bad_sizes_and_unknown_conventions_are_clear_errors():
    with pytest.raises(SpecError, match="positive integers"):
        gru_cell("keras", 0, 3)
    with pytest.raises(SpecError, match="unknown gru convention 'tf'"):
        gru_cell("tf", 1, 1)


def test_every_formula_of_the_walkthrough_and_the_recursion_renders_in_katex():
    katex = pytest.importorskip("symbackprop.explain.katex")
    if katex.node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    formulas = [f for p in gru_walkthrough() for f in re.findall(r"\$([^$]+)\$", p)]
    formulas += [recursion_latex(derived(key)) for key in CONVENTIONS]
    formulas += [recursion_latex(derive_sequence(rnn_cell("keras", 2, 3)))]
    formulas += [recursion_latex(derive_sequence(lstm_cell(key, 2, 3))) for key in LSTM_CONVENTIONS]
    assert len(formulas) > 15
    assert katex.katex_errors(formulas) == []


@pytest.mark.parametrize("key", LSTM_CONVENTIONS)
def test_an_lstm_derives_both_states_through_their_outputs(key):
    sequence = derive_sequence(lstm_cell(key, 2, 3))
    step = sequence.step
    g = convention(key, "lstm").node("candidate")
    # the cell state's adjoint: what later steps send (dc) plus its path into h, through tanh_c
    assert step.adjoint("c").expr == S("dc") + S("delta_tanh_c") * (1 - S("tanh_c") ** 2)
    assert step.adjoint("tanh_c").expr == S("delta_h") * S("o")
    assert step.adjoint("f_pre").expr == S("delta_f") * S("f") * (1 - S("f"))
    assert sp.expand(step.adjoint(f"{g}_pre").expr - S(f"delta_{g}") * (1 - S(g) ** 2)) == 0
    assert step.adjoint("f").expr == S("delta_c") * S("c_prev")
    # c reaches the step before only through the forget gate; h only through the recurrent weights
    assert sequence.carried(lstm_cell(key, 2, 3).cell.states[1]) == S("delta_c") * S("f")
    assert {type(t) for t in sp.Add.make_args(sequence.carry)} == {dot}


@pytest.mark.parametrize("key", LSTM_CONVENTIONS)
def test_the_lstm_state_text_says_what_the_declared_equations_do(key):
    model = lstm_cell(key, 2, 3)
    for equation in state_text(model.cell).split(", "):
        lhs, rhs = equation.split(" = ")
        names = {s.name: s for s in model.in_leaves(model.node(lhs).expr).free_symbols}
        declared = model.in_leaves(model.node(lhs).expr)
        stated = sp.sympify(rhs, locals={**names, **_gate_symbols(model)})
        assert sp.simplify(model.in_leaves(stated) - declared) == 0, equation


def _gate_symbols(model):
    return {n.name: n.symbol for n in model.defined}


def test_the_lstm_recursion_joins_both_states():
    sequence = derive_sequence(lstm_cell("pytorch", 2, 3))
    text = recursion_text(sequence)
    assert "(h_0 and c_0 given)" in text
    assert "  dh_t = (h - y)_t + d_h_prev_(t+1)\n  dc_t = d_c_prev_(t+1)\n" in text
    assert "  d_c_prev_t = delta_c*f\n" in text and "dE/dc_0 = d_c_prev_1" in text
    assert "with delta_h = dh_t and dc = dc_t" in text
    latex = recursion_latex(sequence)
    assert r"\delta_{c_T} = 0" in latex and r"\partial c_0" in latex
    data = sequence_data(sequence)
    assert data["states"] == ["h", "c"] and data["carried"]["c"] == "delta_c*f"
    assert "c = f*c_prev + i*g, h = o*tanh(c)" in convention_text(sequence)


def test_derive_json_carries_the_recursion_of_a_recurrent_cell(capsys):
    assert main(["derive", "lstm", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["through_time"]
    assert data["states"] == ["h", "c"] and data["carried"]["c"] == "delta_c*f"
