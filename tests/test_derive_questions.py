"""The askers' own formulas come out of the derivation (questions 1, 2, 4 and 5)."""

import sympy as sp
from conftest import Q5_NET
from helpers import asked_formula, symbols_of

from symbackprop import derive, load_model

# Question 5, verbatim: the asker's hand-derived gradients of e = 0.5*(t - zout)**2.
ASKED_Q5 = {
    "w[4]": "(zout-t) * (zout * (1 - zout)) * h1out",
    "w[5]": "(zout-t) * (zout * (1 - zout)) * h2out",
    "w[0]": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * x",
    "w[1]": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * y",
    "w[2]": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * x",
    "w[3]": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * y",
    "b[2]": "(zout-t) * (zout * (1 - zout))",
    "b[0]": "(zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out))",
    "b[1]": "(zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out))",
}


def _assert_matches_q5(model):
    result = derive(model)
    names = symbols_of(model)
    assert {g.param for g in result.gradients} == set(ASKED_Q5)
    for param, formula in ASKED_Q5.items():
        asked = asked_formula(formula, indexed=("w", "b"), aliases=names)
        derived = result.expanded(result.gradient(param).expr)
        assert sp.expand(derived - asked) == 0, param


def test_tiny221_gradients_equal_the_askers_e1_to_e6_and_be1_to_be3():
    _assert_matches_q5(load_model("tiny221"))


def test_q5_net_function_read_from_file_gives_the_same_gradients(fixtures):
    _assert_matches_q5(load_model(f"{Q5_NET}:Net"))


def test_tiny221_shares_adjoints_instead_of_expanding():
    result = derive("tiny221")
    z, zout, t = sp.symbols("z zout t")
    # delta_z is the asker's "error at z", (zout-t)*(zout*(1-zout)), named once.
    delta_z = result.adjoint("z")
    assert sp.expand(result.expanded(delta_z.symbol) - (zout - t) * zout * (1 - zout)) == 0
    assert result.gradient("w[4]").expr == delta_z.symbol * sp.Symbol("h1out")


def test_torch_scalar_gradient_is_2_w_x_minus_y_times_x_and_16_at_the_askers_numbers():
    result = derive("torch-scalar")
    w, x, y = sp.symbols("w x y")
    in_leaves = result.in_leaves(result.gradient("w").expr)
    assert sp.expand(in_leaves - 2 * (w * x - y) * x) == 0
    assert in_leaves.subs({w: 3, x: 2, y: 2}) == 16
    values = {g["param"]: g["value"] for g in result.to_data()["gradients"]}
    assert values == {"w": 16}


def test_torch_snippet_read_from_file_gives_16(fixtures):
    result = derive(load_model(str(fixtures / "q4_torch.py")))
    values = {g["param"]: g["value"] for g in result.to_data()["gradients"]}
    assert values == {"w": 16}


def test_linreg_gives_the_askers_grad_m_and_grad_c():
    result = derive("linreg")
    m, c, x, y = sp.symbols("m c x y")
    # Question 2, verbatim; xk[i] and yk[i] are this model's one sample x and y.
    aliases = {"m": m, "c": c, "xk": {0: x}, "yk": {0: y}, "i": 0}
    grad_m = asked_formula("- 2 * xk[i] * (yk[i] - (np.dot(m,xk[i]) + c))", aliases=aliases)
    grad_c = asked_formula("- 2 * (yk[i] - (np.dot(m,xk[i])+c))", aliases=aliases)
    assert sp.expand(result.in_leaves(result.gradient("m").expr) - grad_m) == 0
    assert sp.expand(result.in_leaves(result.gradient("c").expr) - grad_c) == 0


def test_xor_one_sample_gradients_follow_the_askers_delta_lines():
    """Per sample, the asker's layer_2_delta and layer_1_delta lines, written out by hand."""
    result = derive("xor-sample")
    layer_2, y = sp.symbols("layer_2 y")
    layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))
    for j in range(4):
        layer_1_j = sp.Symbol(f"layer_1[{j}]")
        synapse_1_j = sp.Symbol(f"synapse_1[{j}, 0]")
        expected = layer_1_j * layer_2_delta  # layer_1.T.dot(layer_2_delta), one sample
        assert (
            sp.expand(result.expanded(result.gradient(f"synapse_1[{j}, 0]").expr) - expected) == 0
        )
        layer_1_delta = layer_2_delta * synapse_1_j * (layer_1_j * (1 - layer_1_j))
        for i in range(3):
            expected = sp.Symbol(f"X[{i}]") * layer_1_delta  # X.T.dot(layer_1_delta)
            derived = result.expanded(result.gradient(f"synapse_0[{i}, {j}]").expr)
            assert sp.expand(derived - expected) == 0
