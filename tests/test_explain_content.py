"""What an explanation says: every expected formula here is derived by hand from the model's
definitions (the asker's own names), never copied from the program's output."""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop.explain import UnknownParameter, explain
from symbackprop.explain.notation import has_double_subscript, node_latex
from symbackprop.ir import ModelBuilder, fully_connected
from symbackprop.ir.network import dense_network


def rows(explanation) -> str:
    """All displayed formulas of an explanation, one string."""
    return "\n".join(explanation.formulas())


# -- scalar mode: the chain of local partials ---------------------------------------------------
def test_torch_scalar_shows_each_local_factor_with_its_value_and_the_product_16():
    # loss = s**2, s = y_hat - y, y_hat = w*x at x = 2, y = 2, w = 3: y_hat = 6, s = 4.
    text = rows(explain("torch-scalar"))
    assert r"\frac{\partial \mathrm{loss}}{\partial s} &= 2\,s = 8" in text
    assert r"\frac{\partial s}{\partial \hat{y}} &= 1" in text
    assert r"\frac{\partial \hat{y}}{\partial w} &= x = 2" in text
    assert r"= 8 \cdot 1 \cdot 2 = 16" in text
    assert r"&= 2\,x\,\left(w\,x - y\right)" in text


def test_tiny221_chain_for_w0_reads_like_the_askers_e1():
    # e1 = (zout-t) * zout(1-zout) * w[4] * h1out(1-h1out) * x, factor by factor.
    text = rows(explain("tiny221", param="w[0]"))
    expected_locals = [
        r"\frac{\partial e}{\partial z^{\mathrm{out}}} &= z^{\mathrm{out}} - t",
        r"\frac{\partial z^{\mathrm{out}}}{\partial z} &= "
        r"z^{\mathrm{out}}\,\left(1 - z^{\mathrm{out}}\right)",
        r"\frac{\partial z}{\partial h^{\mathrm{out}}_{1}} &= w_{4}",
        r"\frac{\partial h^{\mathrm{out}}_{1}}{\partial h_{1}} &= h^{\mathrm{out}}_{1}\,\left(1 - "
        r"h^{\mathrm{out}}_{1}\right)",
        r"\frac{\partial h_{1}}{\partial w_{0}} &= x",
    ]
    for row in expected_locals:
        assert row in text
    assert r"\frac{\partial e}{\partial w_{0}} &= \delta_{h_{1}} \cdot x" in text


def test_adjoints_are_shown_from_the_loss_down_and_only_those_on_the_way():
    text = rows(explain("tiny221", param="w[4]"))
    # w[4] only needs delta_z (through zout): nothing of the hidden layer.
    assert r"\delta_{z^{\mathrm{out}}} &= \frac{\partial e}{\partial z^{\mathrm{out}}}" in text
    chain = r"\frac{\partial z^{\mathrm{out}}}{\partial z}"
    assert r"\delta_{z} &= \delta_{z^{\mathrm{out}}}\," + chain in text
    assert r"\delta_{h_{1}}" not in text
    assert text.index(r"\delta_{z^{\mathrm{out}}} &=") < text.index(r"\delta_{z} &=")


def two_path_model():
    """h = w*x feeds the loss twice: L = p + q with p = 2*h and q = h**2."""
    b = ModelBuilder("two-paths")
    x = b.input("x")
    w = b.parameter("w")
    h = b.define("h", w * x)
    p = b.define("p", 2 * h)
    q = b.define("q", h**2)
    return b.loss("L", p + q)


def test_several_paths_are_listed_and_summed():
    explanation = explain(two_path_model())
    markdown = explanation.to_markdown()
    text = rows(explanation)
    # dL/dh = dL/dp * dp/dh + dL/dq * dq/dh = delta_p * 2 + delta_q * 2h
    (delta_h,) = [row for row in text.splitlines() if row.startswith(r"\delta_{h} &=")]
    for path in (
        r"\delta_{p}\,\frac{\partial p}{\partial h}",
        r"\delta_{q}\,\frac{\partial q}{\partial h}",
    ):
        assert path in delta_h
    assert r"\delta_{p} \cdot 2" in delta_h and r"\delta_{q} \cdot 2\,h" in delta_h
    assert delta_h.count(" + ") == 2  # one sum of paths, written twice (chain and values)
    assert "reaches the loss along 2 paths" in markdown
    assert r"$w \to h \to p \to L$" in markdown
    assert r"$w \to h \to q \to L$" in markdown
    assert r"\frac{\partial L}{\partial w} &= \delta_{h} \cdot x" in text


def test_too_many_paths_are_summarised_by_the_adjoints():
    # [2, 3, 2]: W1[0, 0] -> z1[0] -> a1[0] -> 2 outputs: 2 paths, written out.
    # [2, 3, 3, 2]: a1[0] feeds 3 units, each feeds 2 outputs: 6 paths, summarised.
    markdown = explain(fully_connected([2, 3, 2]), param="W1[0, 0]").to_markdown()
    assert "reaches the loss along 2 paths. The chain rule" in markdown
    markdown = explain(fully_connected([2, 3, 3, 2]), param="W1[0, 0]").to_markdown()
    assert "reaches the loss along 6 paths, too many to write out" in markdown


def test_a_parameter_the_loss_ignores_has_gradient_zero():
    b = ModelBuilder("unused")
    x, w = b.input("x"), b.parameter("w")
    b.parameter("v")
    model = b.loss("L", (w * x) ** 2)
    markdown = explain(model, param="v").to_markdown()
    assert "`v` does not influence the loss, so its gradient is 0." in markdown


# -- names -----------------------------------------------------------------------------------------
def test_plain_names_keep_names_as_written():
    text = rows(explain("tiny221", param="w[0]", plain_names=True))
    assert r"\mathrm{h1out}" in text and r"\mathrm{w[0]}" in text
    assert "h^{" not in text


@pytest.mark.parametrize(
    "name, expected",
    [
        ("w[4]", "w_{4}"),
        ("h1out", r"h^{\mathrm{out}}_{1}"),
        ("W1[0, 2]", "W^{(1)}_{0,2}"),
        ("layer_1[3]", r"\mathrm{layer}^{(1)}_{3}"),
    ],
)
def test_indexed_and_subscripted_names_print_without_double_subscripts(name, expected):
    assert node_latex(name) == expected
    assert not has_double_subscript(node_latex(name))


def test_adjoint_of_an_indexed_node_is_a_delta_of_that_node():
    text = rows(explain(fully_connected([1, 1]), param="W1[0, 0]"))
    assert r"\delta_{a^{(1)}_{0}}" in text


# -- choosing parameters --------------------------------------------------------------------------
def test_param_may_name_an_indexed_base_to_explain_all_its_elements():
    markdown = explain("tiny221", param="b").to_markdown()
    for element in ("b[0]", "b[1]", "b[2]"):
        assert f"### The gradient with respect to `{element}`" in markdown
    assert "with respect to `w[0]`" not in markdown


def test_unknown_param_is_a_clear_error_listing_the_parameters():
    with pytest.raises(UnknownParameter, match=r"'v' is not a parameter of 'tiny221'.*w\[0\]"):
        explain("tiny221", param="v")


# -- vector mode: shapes and the delta recursion ---------------------------------------------------
def test_dense_network_recursion_writes_shapes_under_each_factor():
    text = rows(explain(dense_network([3, 4, 1])))
    # delta_z1 = (delta_z2 W2^T) * a1 * (1 - a1): (m x 4) = (m x 1)(1 x 4) . (m x 4) . (m x 4)
    assert (
        r"\text{shapes:}\quad (m\times 4) &= \left( (m\times 1) \, (1\times 4) \right) \odot "
        r"(m\times 4) \odot (m\times 4)" in text
    )
    assert r"\underset{(1\times 4)}{{W_{2}}^{\top}}" in text
    # dE/dW1 = X^T delta_z1: (3 x 4) = (3 x m)(m x 4); dE/db1 sums delta_z1 over the rows.
    assert r"\text{shapes:}\quad (3\times 4) &= (3\times m) \, (m\times 4)" in text
    assert r"&= \sum_{\text{rows}} \underset{(m\times 4)}{\delta_{z_{1}}}" in text


def test_vector_explanation_says_why_the_weights_appear_transposed():
    markdown = explain(dense_network([3, 4, 1])).to_markdown()
    assert (
        "**the derivative with respect to $a_{1}$ is the matrix $W_{2}$ (the weights)" in markdown
    )
    assert "**the derivative with respect to $W_{2}$ is $a_{1}$ (the activations)**" in markdown
    assert "the chain rule sums over the samples" in markdown


def test_fused_softmax_cross_entropy_is_explained_as_prediction_minus_target():
    model = dense_network([4, 5, 3], ["tanh", "softmax"], "softmax_ce")
    markdown = explain(model).to_markdown()
    assert "The softmax and the cross-entropy are differentiated together" in markdown
    assert r"\delta_{z_{2}}} &= \frac{a_{2} - Y}{m}" in rows(explain(model))
    # derived through the softmax's Jacobian, step by step, not asserted
    steps = [
        r"\partial E_s / \partial p_{k} = -t_{k} / p_{k}",
        r"\partial p_{k} / \partial z_{j} = p_{k}(\delta_{jk} - p_{j})",
        r"\sum_k (-t_{k} / p_{k})\, p_{k}(\delta_{jk} - p_{j}) = -t_{j} + p_{j} \sum_k t_{k}",
        "= p_{j} - t_{j}$, as a target row sums to one",
    ]
    positions = [markdown.index(step) for step in steps]
    assert positions == sorted(positions)


def test_softmax_with_a_squared_error_is_differentiated_through_its_jacobian():
    model = dense_network([4, 5, 3], ["tanh", "softmax"], "mse")
    text = rows(explain(model))
    # delta_z2 = a2 * (delta_a2 - rowsum(delta_a2 * a2)): a_k (delta_jk - a_j) applied to a row
    assert r"\delta_{a_{2}}} &= \frac{2\,\left(a_{2} - Y\right)}{3\,m}" in text
    assert "A softmax couples the entries of a row" in explain(model).to_markdown()


def test_xor_document_answers_why_synapse_1_transposed():
    markdown = explain("xor").to_markdown()
    synapse_1 = r"\mathrm{synapse}_{1}"
    layer_1 = r"\mathrm{layer}_{1}"
    assert f"**the derivative with respect to ${layer_1}$ is the matrix ${synapse_1}$" in markdown
    assert f"${{{synapse_1}}}^{{\\top}}$" in markdown or f"{{{synapse_1}}}^{{\\top}}" in markdown
    assert f"**the derivative with respect to ${synapse_1}$ is ${layer_1}$" in markdown


def test_elementwise_product_of_arrays_prints_as_hadamard():
    text = rows(explain(dense_network([2, 2])))
    # delta_z1 = delta_a1 * a1 * (1 - a1) entry by entry
    assert r"\odot \underset{(m\times 2)}{a_{1}} \odot" in text
    assert sp.Symbol("a1")  # the model's names are plain symbols
