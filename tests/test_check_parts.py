"""The checker's parts: new array ops and their rules, dimensions, exact evaluation, the
NumPy translator, exploded pre-activations, and the report's views."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symbackprop.check import check_formulas
from symbackprop.check.formula import FormulaReader
from symbackprop.check.numeric import difference
from symbackprop.check.subject import Subject, exploded
from symbackprop.derive.rules import rule_for
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.evaluate import EvaluationError, Evaluator, NotExact, Numbers
from symbackprop.ir.ops import T, colsum, dot, rowsum, total
from symbackprop.ir.ops.stacking import STACKED_OPS, after_first_row, bias_row
from symbackprop.readers.dims import DimSpace, generalized
from symbackprop.readers.examples import digits, xor

A, G = sp.Symbol("A"), sp.Symbol("G")


def fractions(rows: int, cols: int, seed: int) -> np.ndarray:
    values = [Fraction((seed * 7 + 3 * i) % 11 - 5, 3) for i in range(rows * cols)]
    return np.array(values, dtype=object).reshape(rows, cols)


# -- stacked ops: the adjoint (dot-product) test, exactly ----------------------------------------
@pytest.mark.parametrize("op", STACKED_OPS, ids=lambda op: op.__name__)
def test_stacked_op_backward_rule_passes_the_dot_product_test(op):
    """<J u, v> = <u, J^T v> for the op's (affine) map, with J^T the registered rule."""
    a, u = fractions(4, 5, 1), fractions(4, 5, 2)
    forward = Evaluator({A: a}, Numbers.EXACT)
    moved = Evaluator({A: a + u}, Numbers.EXACT)
    j_u = moved(op(A)) - forward(op(A))
    v = fractions(*j_u.shape, seed=3)
    j_t_v = Evaluator({G: v, A: a}, Numbers.EXACT)(rule_for(op, 0)(G, A))
    assert np.sum(j_u * v) == np.sum(u * j_t_v)


def test_stacked_ops_know_their_shapes():
    assert bias_row.shape(("m", 3)) == (sp.Symbol("m") + 1, 3)
    assert after_first_row.shape((5, "m")) == (4, "m")


# -- dimensions ---------------------------------------------------------------------------------
def test_xor_hidden_width_becomes_free_and_no_trial_size_coincides():
    space, shapes = generalized(xor())
    assert shapes["synapse_0"][1] == shapes["synapse_1"][0] == shapes["layer_1"][1]
    for trial in range(3):
        sizes = space.sizes(shapes.values(), trial)
        assert len(set(sizes.values())) == len(sizes)
        assert all(v > 1 for v in sizes.values())


def test_digits_hidden_and_output_widths_separate_although_both_are_ten():
    space, shapes = generalized(digits())
    hidden, outputs = shapes["W1"][1], shapes["W2"][1]
    assert hidden != outputs
    assert space.written[hidden] == space.written[outputs] == 10


def test_named_sizes_are_never_equated_by_unification():
    space = DimSpace()
    n2 = space.fresh("n2", written=10, named=True)
    n1 = space.fresh("n1", named=True)
    free = space.fresh("X.shape[0]")
    assert not space.unify(n1, n2 + 1) or space.resolve(n1) == n1
    assert space.unify(free, n2)
    assert space.resolve(free) == n2


# -- evaluation ---------------------------------------------------------------------------------
def test_polynomials_evaluate_exactly_and_transcendentals_ask_for_mpmath():
    x = sp.Symbol("x")
    assert Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)((x + 1) ** 2 / 2) == Fraction(8, 9)
    with pytest.raises(NotExact):
        Evaluator({x: Fraction(1, 3)}, Numbers.EXACT)(sp.exp(x))


def test_a_broadcast_mismatch_is_a_shape_problem_not_a_crash():
    a, b = sp.Symbol("a"), sp.Symbol("b")
    env = {a: fractions(3, 2, 1), b: fractions(2, 3, 2)}
    with pytest.raises(EvaluationError) as error:
        Evaluator(env, Numbers.EXACT)(a * b)
    assert error.value.shape_problem


def test_difference_reports_the_first_differing_element():
    e, g = fractions(2, 2, 1), fractions(2, 2, 1)
    assert difference(e, g) is None
    g[1, 0] += 1
    assert difference(e, g)[:2] == ("value", (1, 0))


# -- the NumPy translator -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def xor_reader() -> FormulaReader:
    return FormulaReader(Subject(xor()), {"d2": "delta_layer_2_in"})


S = sp.Symbol


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("layer_1.T.dot(d2)", dot(T(S("layer_1")), S("delta_layer_2_in"))),
        ("np.dot(layer_1.T, d2)", dot(T(S("layer_1")), S("delta_layer_2_in"))),
        ("layer_1.T @ d2", dot(T(S("layer_1")), S("delta_layer_2_in"))),
        ("numpy.multiply(layer_1, 1 - layer_1)", S("layer_1") * (1 - S("layer_1"))),
        ("np.sum(layer_1)", total(S("layer_1"))),
        ("np.sum(layer_1, axis=0)", colsum(S("layer_1"))),
        ("layer_1.sum(axis=1, keepdims=True)", rowsum(S("layer_1"))),
        ("sum(layer_1)", colsum(S("layer_1"))),
        ("np.transpose(synapse_1)", T(S("synapse_1"))),
        ("layer_1[1:]", after_first_row(S("layer_1"))),
    ],
)
def test_numpy_spellings_translate_to_array_ops(xor_reader, text, expected):
    assert xor_reader.read(f"synapse_0 = {text}", 1).expr == expected


def test_a_user_name_inside_a_formula_means_the_adjoint_it_is_mapped_to(xor_reader):
    formula = xor_reader.read("synapse_1 = d2", 1)
    assert formula.expr == S("delta_layer_2_in")


# -- subjects -----------------------------------------------------------------------------------
def test_a_compound_node_gets_a_named_pre_activation():
    b = ModelBuilder("inline")
    x, w = b.input("x"), b.parameter("w")
    out = b.define("out", 1 / (1 + sp.exp(-(w * x))))
    model, hidden = exploded(b.loss("E", (out - 1) ** 2))
    assert [n.name for n in model.nodes] == ["x", "w", "out_in", "out", "E"]
    assert hidden == {S("out_in"): w * x}


# -- the report ---------------------------------------------------------------------------------
def test_report_views_agree_on_the_verdicts():
    report = check_formulas("torch-scalar", ["g = 2*(w*x - y)*x", "g = 2*(w*x - y)"], ["g=w"])
    data = json.loads(json.dumps(report.to_data()))
    assert data["counts"] == {"correct": 1, "wrong": 1, "follows": 0}
    assert [v["verdict"] for v in data["verdicts"]] == ["correct", "wrong"]
    markdown = report._repr_markdown_()
    assert markdown.count("| ✅ |") == 1 and markdown.count("| ❌ |") == 1
    assert "missing factor" in markdown
    assert report.to_text().count("CORRECT") == 1 and not report.ok
