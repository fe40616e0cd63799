"""Normalisation, dropout, embedding and the multiclass hinge loss as array ops, held against
PyTorch's float64 autograd: forward values and every gradient to 1e-10.

Each op sits in a small model whose input to the op is a parameter ``Z`` (so that derive gives
the adjoint flowing into the op's input directly), followed by a loss that is not linear in
the op's output, so that the adjoint arriving at the op varies from entry to entry. The
derived formulas are evaluated in mpmath by the one evaluator; the expected values come from
``torch.nn.functional`` alone.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symbackprop import api
from symbackprop.errors import ShapeError
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.evaluate import Evaluator, Numbers
from symbackprop.ir.ops import (
    T,
    batchnorm,
    colmean,
    colvar,
    dot,
    dropout,
    embedding,
    groupnorm,
    layernorm,
    svm_hinge,
    total,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

EPS = sp.Rational(1, 100000)  # torch's default eps, 1e-5
RNG = np.random.default_rng(11)
POINT = {
    "Z": RNG.normal(size=(5, 4)) * 3 + 1,
    "gamma": RNG.normal(size=(4,)),
    "beta": RNG.normal(size=(4,)),
    "R": RNG.normal(size=(5, 4)),
    "mask": (RNG.random((5, 4)) < 0.75).astype(float),
    "idx": np.array([1, 3, 1, 0, 3, 1]),  # rows 1 and 3 repeat: their gradients accumulate
    "table": RNG.normal(size=(5, 4)),
    "R6": RNG.normal(size=(6, 4)),
    "y": np.array([0, 3, 1, 3, 2]),
}


def relative_error(got, expected) -> float:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def at_point(model, point=POINT):
    """The model's node values and every parameter's derived gradient at ``point``, evaluated
    in mpmath (50 digits) from the derivation's formulas."""
    derivation = api.derive(model).derivation
    as_mp = np.frompyfunc(mpmath.mpf, 1, 1)
    env = {
        sp.Symbol(k): as_mp(np.asarray(v, dtype=float))
        for k, v in point.items()
        if k in {n.name for n in model.nodes}
    }
    for node in model.defined:
        env[node.symbol] = Evaluator(env, Numbers.MPMATH)(node.expr)
    gradients = {
        g.param: np.asarray(
            Evaluator(env, Numbers.MPMATH)(derivation.expanded(g.expr)), dtype=float
        )
        for g in derivation.gradients
    }
    values = {s.name: np.asarray(v, dtype=float) for s, v in env.items()}
    return values, gradients


def torch_leaves(*names):
    return {n: torch.tensor(POINT[n], requires_grad=True) for n in names}


def torch_gradients(loss, leaves) -> dict:
    loss.backward()
    return {n: leaf.grad.numpy() for n, leaf in leaves.items()}


# -- normalisation: the fused ops, and batch norm from its graph --------------------------------
def affine_model(name: str, standardise) -> object:
    """``h = gamma * standardise(Z) + beta``; loss ``sum(R * h + h**2)``."""
    b = ModelBuilder(name)
    r = b.input("R", shape=(5, 4))
    z = b.parameter("Z", shape=(5, 4))
    gamma = b.parameter("gamma", shape=(4,))
    beta = b.parameter("beta", shape=(4,))
    xhat = standardise(b, z)
    h = b.define("h", gamma * xhat + beta)
    return b.loss("E", total(r * h + h**2))


def fused(op, *extra):
    return lambda b, z: b.define("xhat", op(z, *extra, EPS))


def batch_graph(b, z):
    """Batch norm written out: mean and variance as nodes of their own."""
    mu = b.define("mu", colmean(z))
    var = b.define("var", colvar(z))
    return b.define("xhat", (z - mu) / sp.sqrt(var + EPS))


def batch_graph_of_means(b, z):
    """Batch norm written out with means only: the variance as the mean square deviation."""
    mu = b.define("mu", colmean(z))
    var = b.define("var", colmean((z - mu) ** 2))
    return b.define("xhat", (z - mu) / sp.sqrt(var + EPS))


def torch_affine(normalise):
    leaves = torch_leaves("Z", "gamma", "beta")
    h = normalise(leaves)
    r = torch.tensor(POINT["R"])
    loss = (r * h + h**2).sum()
    return h.detach().numpy(), torch_gradients(loss, leaves)


NORMS = {
    "batchnorm": (
        fused(batchnorm),
        lambda t: F.batch_norm(t["Z"], None, None, t["gamma"], t["beta"], True, 0.0, 1e-5),
    ),
    "batchnorm-graph": (
        batch_graph,
        lambda t: F.batch_norm(t["Z"], None, None, t["gamma"], t["beta"], True, 0.0, 1e-5),
    ),
    "batchnorm-graph-of-means": (
        batch_graph_of_means,
        lambda t: F.batch_norm(t["Z"], None, None, t["gamma"], t["beta"], True, 0.0, 1e-5),
    ),
    "layernorm": (
        fused(layernorm),
        lambda t: F.layer_norm(t["Z"], (4,), t["gamma"], t["beta"], 1e-5),
    ),
    "groupnorm": (
        fused(groupnorm, 2),
        lambda t: F.group_norm(t["Z"], 2, t["gamma"], t["beta"], 1e-5),
    ),
}


@pytest.mark.parametrize("name", NORMS)
def test_normalisation_forward_and_gradients_match_torch(name):
    standardise, normalise = NORMS[name]
    values, gradients = at_point(affine_model(name, standardise))
    expected_h, expected = torch_affine(normalise)
    assert relative_error(values["h"], expected_h) < 1e-10
    for param in ("Z", "gamma", "beta"):
        assert relative_error(gradients[param], expected[param]) < 1e-10, param


def test_batchnorm_backward_is_the_compact_form_and_the_graph_gives_it_unsimplified():
    compact = api.derive(affine_model("bn", fused(batchnorm))).derivation
    graph = api.derive(affine_model("bn-graph", batch_graph)).derivation
    g, xhat, z = sp.symbols("delta_xhat xhat Z")
    # the form simplified on paper, g the adjoint arriving at xhat
    on_paper = (g - colmean(g) - xhat * colmean(g * xhat)) / sp.sqrt(colvar(z) + EPS)
    assert compact.gradient("Z").expr == on_paper
    # from the graph: three paths into Z (direct, through the mean, through the variance)
    assert {t.consumer for t in graph.gradient("Z").terms} == {"mu", "var", "xhat"}


# -- dropout, embedding, hinge loss -------------------------------------------------------------
def test_dropout_with_a_given_mask_matches_torch():
    b = ModelBuilder("drop")
    r, mask = b.input("R", shape=(5, 4)), b.input("mask", shape=(5, 4))
    z = b.parameter("Z", shape=(5, 4))
    h = b.define("h", dropout(z, mask, sp.Rational(3, 4)))
    values, gradients = at_point(b.loss("E", total(r * h + h**2)))
    leaves = torch_leaves("Z")
    h_t = leaves["Z"] * torch.tensor(POINT["mask"]) / 0.75  # inverted dropout, the same mask
    expected = torch_gradients((torch.tensor(POINT["R"]) * h_t + h_t**2).sum(), leaves)
    assert relative_error(values["h"], h_t.detach().numpy()) < 1e-10
    assert relative_error(gradients["Z"], expected["Z"]) < 1e-10
    assert np.all(gradients["Z"][POINT["mask"] == 0] == 0)  # dropped units learn nothing


def test_embedding_with_repeated_indices_accumulates_its_gradient_as_torch_does():
    b = ModelBuilder("embed")
    idx, r = b.input("idx", shape=(6,)), b.input("R6", shape=(6, 4))
    table = b.parameter("table", shape=(5, 4))
    h = b.define("h", embedding(idx, table))
    values, gradients = at_point(b.loss("E", total(r * h + h**2)))
    leaves = torch_leaves("table")
    h_t = F.embedding(torch.tensor(POINT["idx"]), leaves["table"])
    expected = torch_gradients((torch.tensor(POINT["R6"]) * h_t + h_t**2).sum(), leaves)
    assert relative_error(values["h"], h_t.detach().numpy()) < 1e-10
    assert relative_error(gradients["table"], expected["table"]) < 1e-10
    assert np.all(gradients["table"][[2, 4]] == 0)  # rows never looked up


def test_svm_hinge_is_torch_multimargin_times_the_number_of_classes():
    b = ModelBuilder("hinge")
    y = b.target("y", shape=(5,))
    s = b.parameter("Z", shape=(5, 4))
    values, gradients = at_point(b.loss("L", total(svm_hinge(s, y)) / 5))
    leaves = torch_leaves("Z")
    # MultiMarginLoss divides each sample's sum by the number of classes C = 4; the course
    # convention (and svm_hinge) does not: ours = C * torch's, and so are the gradients.
    loss_t = torch.nn.MultiMarginLoss(p=1, margin=1.0)(leaves["Z"], torch.tensor(POINT["y"]))
    expected_loss = 4 * loss_t.item()
    expected = torch_gradients(4 * loss_t, leaves)
    assert values["L"] == pytest.approx(expected_loss, rel=1e-12)
    assert relative_error(gradients["Z"], expected["Z"]) < 1e-10


def test_l2_regularisation_gradient_is_two_reg_w_from_the_sum_and_power_rules():
    b = ModelBuilder("l2")
    x, y = b.input("X", shape=("m", 3)), b.target("y", shape=("m",))
    reg = b.input("reg", shape=())
    w = b.parameter("W", shape=(3, 4))
    s = b.define("s", dot(x, w))
    model = b.loss("L", total(svm_hinge(s, y)) + reg * total(w * w))
    derivation = api.derive(model).derivation
    data_term = dot(T(x), derivation.adjoint("s").symbol)
    assert sp.expand(derivation.gradient("W").expr - data_term) == 2 * reg * w


# -- shapes that do not fit: one clear message naming the op and the shapes ---------------------
def model_of(op_call, shapes):
    b = ModelBuilder("bad")
    symbols = [b.input(name, shape=shape) for name, shape in shapes.items()]
    w = b.parameter("W", shape=(4, 4))
    return b.loss("E", total(op_call(*symbols) * total(w)))


@pytest.mark.parametrize(
    ("op_call", "shapes", "message"),
    [
        (
            lambda idx, table: embedding(idx, table),
            {"idx": (5, 2, 3), "table": (6, 4)},
            r"embedding takes indices \(m,\) or \(m, T\) and a table \(rows, width\), "
            r"not \(5, 2, 3\) and",
        ),
        (
            lambda s, y: svm_hinge(s, y),
            {"s": (5, 4), "y": (6,)},
            r"svm_hinge takes scores \(m, classes\) and labels \(m,\), not \(5, 4\) and \(6,\)",
        ),
        (
            lambda x: batchnorm(x, EPS),
            {"x": (5,)},
            r"batchnorm takes \(samples, features\), not \(5,\)",
        ),
        (lambda x: colvar(x), {"x": (2, 3, 4)}, r"colvar takes a 2-D array"),
    ],
)
def test_a_shape_that_does_not_fit_is_named_in_one_line(op_call, shapes, message):
    with pytest.raises(ShapeError, match=message) as error:
        model_of(op_call, shapes)
    assert "\n" not in str(error.value)
