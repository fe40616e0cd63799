"""The JAX recurrent modules make one matrix product where a cell's gates share an operand.

XLA runs every matrix product of a time loop's body as an operation of its own, so the count
of products per step sets a small cell's step time. These tests count the products in the
compiled loops' bodies (``dot_general`` in the jaxpr of each ``lax.scan``), from the
products the cell's formulas hold, written down here by hand; the numbers the packed modules
give are held to NumPy, PyTorch and ``jax.grad`` in tests/test_jax_recurrent.py.
"""

import numpy as np
import pytest
import sympy as sp

from symbackprop.cells.gru import gru_cell
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.packing import Code, Packing
from symbackprop.ir.ops import T, dot

jax = pytest.importorskip("jax")

INPUT, UNITS, BATCH, STEPS = 3, 4, 2, 5

# cell -> (products per forward step, per backward step, per backward step with the inputs'
# gradient), counted from the formulas:
# - an LSTM's four gates read h_prev @ U_k: one product; back, sum_k delta_k @ U_k.T: one,
#   and sum_k delta_k @ W_k.T for the inputs: one more;
# - PyTorch's GRU (reset after the product) reads h_prev @ U_r, U_z, U_n: one; back the same;
# - a GRU with the reset gate before the product reads h_prev @ U_z, U_r (one) and
#   (r*h_prev) @ U_h (one); back, delta_z @ U_z.T + delta_r @ U_r.T packs into one, and
#   the candidate's product back through (r*h_prev) is one more; the inputs' gradient, the
#   three gates' delta_k @ W_k.T, is one;
# - a plain RNN has one product each way, nothing to pack.
CELLS = {
    "lstm": (lambda: lstm_cell("pytorch", INPUT, UNITS), 1, 1, 2),
    "gru-pytorch": (lambda: gru_cell("pytorch", INPUT, UNITS), 1, 1, 2),
    "gru-reset-before": (lambda: gru_cell("keras-reset-before", INPUT, UNITS), 2, 2, 3),
    "rnn": (lambda: rnn_cell("pytorch", INPUT, UNITS), 1, 1, 2),
}


def scan_products(jaxpr) -> list[int]:
    """The count of matrix products in the body of each lax.scan of ``jaxpr``, in order."""
    counts = []
    for equation in _equations(jaxpr):
        if equation.primitive.name == "scan":
            body = equation.params["jaxpr"].jaxpr
            counts.append(sum(e.primitive.name == "dot_general" for e in _equations(body)))
    return counts


def _equations(jaxpr):
    for equation in jaxpr.eqns:
        yield equation
        if equation.primitive.name in ("pjit", "jit", "closed_call"):
            yield from _equations(equation.params["jaxpr"].jaxpr)


def loaded(name):
    model = CELLS[name][0]()
    module = load_module(model, module_text(model, target="jax"))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, STEPS, INPUT))
    Y = rng.normal(size=(BATCH, STEPS, UNITS))
    return module, module.init_params(0), X, Y


@pytest.mark.parametrize("name", CELLS)
def test_each_step_makes_one_product_per_shared_operand(name):
    module, params, X, Y = loaded(name)
    _, forward, backward, with_inputs = CELLS[name]
    assert scan_products(jax.make_jaxpr(module.forward)(params, X, Y).jaxpr) == [forward]
    cache = module.forward(params, X, Y)
    plain = jax.make_jaxpr(lambda p, c: module.backward(p, c))(params, cache)
    assert scan_products(plain.jaxpr) == [backward]
    both = jax.make_jaxpr(lambda p, c: module.backward(p, c, inputs=True))(params, cache)
    assert scan_products(both.jaxpr) == [with_inputs]


def test_the_weight_gradients_are_one_product_per_operand():
    """An LSTM's eight weight gradients x.T @ delta_k and h_prev.T @ delta_k, after the
    loop, are two products: each operand's rows by the four deltas side by side."""
    module, params, X, Y = loaded("lstm")
    cache = module.forward(params, X, Y)
    jaxpr = jax.make_jaxpr(lambda p, c: module.backward(p, c))(params, cache).jaxpr
    outside_the_loop = sum(e.primitive.name == "dot_general" for e in _equations(jaxpr))
    assert outside_the_loop == 2


def test_the_module_reads_as_the_gates_side_by_side():
    model = lstm_cell("pytorch", INPUT, UNITS)
    text = module_text(model, target="jax")
    assert "U_ifgo = jnp.concatenate([U_i, U_f, U_g, U_o], axis=1)" in text
    assert "h_prev_U_i, h_prev_U_f, h_prev_U_g, h_prev_U_o = jnp.split(h_prev @ U_ifgo" in text
    assert "d_h_prev = deltas_U_ifgo @ U_ifgo.T" in text
    numpy_text = module_text(model)  # the NumPy module keeps one product per gate
    assert "concatenate" not in numpy_text and "h_prev @ U_i" in numpy_text


W = {name: sp.Symbol(name) for name in ("A_p", "A_q", "B", "h", "d_p", "d_q")}


def packing(shapes: dict, taken=()) -> Packing:
    return Packing(list(shapes.items()), "jnp", set(taken))


def test_weights_of_unequal_width_are_left_as_they_are():
    entries = [("p", dot(W["h"], W["A_p"])), ("q", dot(W["h"], W["A_q"]))]
    uneven = packing({"A_p": (4, 4), "A_q": (4, 3)})
    assert uneven.shared_left(entries, str) == entries
    assert uneven.packed_weights() == []


def test_one_weight_per_operand_is_not_packed():
    entries = [("p", dot(W["h"], W["A_p"])), ("q", dot(W["B"], W["A_q"]))]
    assert packing({"A_p": (4, 4), "A_q": (4, 4)}).shared_left(entries, str) == entries


def test_made_names_stay_clear_of_the_models_own():
    entries = [("p", dot(W["h"], W["A_p"]) + 1), ("q", 2 * dot(W["h"], W["A_q"]))]
    packed = packing({"A_p": (4, 4), "A_q": (4, 4)}, taken={"A_pq", "h_A_p"})
    split, first, second = packed.shared_left(entries, str)
    assert split == ("h_A_p_2, h_A_q", Code("jnp.split(h @ A_pq_2, 2, axis=-1)", split[1].reads))
    assert first == ("p", sp.Symbol("h_A_p_2") + 1)
    assert second == ("q", 2 * sp.Symbol("h_A_q"))
    assert packed.packed_weights() == [
        ("A_pq_2", Code("jnp.concatenate([A_p, A_q], axis=1)", frozenset({"A_p", "A_q"})))
    ]


def test_a_sum_through_transposed_weights_is_one_product_in_the_weights_order():
    """d_q @ A_q.T + d_p @ A_p.T + h: the deltas joined in the weights' order, p before q."""
    total = dot(W["d_q"], T(W["A_q"])) + dot(W["d_p"], T(W["A_p"])) + W["h"]
    packed = packing({"A_p": (4, 4), "A_q": (4, 4)})
    joined, (target, value) = packed.summed([("out", total)])
    assert joined == ("deltas_A_pq", Code("jnp.concatenate([d_p, d_q], axis=-1)", joined[1].reads))
    assert (target, value) == ("out", W["h"] + dot(sp.Symbol("deltas_A_pq"), T(sp.Symbol("A_pq"))))
