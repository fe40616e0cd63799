"""Structure and indexing idioms of hand-written NumPy backprop, read without running the code.

Each fixture is a training step written as people write it: a softmax classifier on integer
labels (``probs[np.arange(N), y]``, ``dscores[np.arange(N), y] -= 1``), the same with a one-hot
matrix, a two-layer net in ``np.einsum``, a recurrent-style step that concatenates its state and
input and slices the state's gradient back out, gates sliced from one product, and a fit that
ravels and reshapes. Whether a fixture is right comes from PyTorch autograd in float64: running
the fixture (our own file; the product never runs code) moves each parameter by ``-lr`` times
the gradient torch computes. The checker must then call every line correct; each mutant is
shown wrong the same way, and the checker must blame its line.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
import sympy as sp
from one_line import refused

from symbackprop.check import check_code
from symbackprop.check.codecheck import check_text
from symbackprop.derive.rules import rule_for
from symbackprop.errors import ShapeError, SymbackpropError, UnsupportedConstruct
from symbackprop.ir.evaluate import Evaluator, Numbers
from symbackprop.ir.ops import (
    FLOAT_MATH,
    col_slice,
    column,
    concat_cols,
    concat_rows,
    flat,
    onehot,
    reversed_cols,
    reversed_rows,
    row_slice,
    rowmax,
    rowsum,
    shape_of,
)
from symbackprop.printing.latex import latex
from symbackprop.readers.arraytranslate import ArrayTranslator
from symbackprop.readers.dims import DimSpace
from symbackprop.readers.whitelist import Namespace

torch = pytest.importorskip("torch")
F = torch.nn.functional

FIXTURES = Path(__file__).parent / "fixtures"
RNG = np.random.default_rng(11)
LR = 0.1


def normal(*shape):
    return RNG.normal(size=shape)


def classifier_data():
    return {"X": normal(6, 3), "y": np.array([0, 3, 1, 3, 2, 0]), "W": normal(3, 4), "b": normal(4)}


def _recurrent_loss(t):
    h = torch.tanh(t.x0 @ t.U)
    s = torch.tanh(torch.cat([h, t.x], dim=1) @ t.W + t.b)
    return ((s @ t.V - t.Y) ** 2).sum() / 2


def _gates_loss(t):
    z = torch.cat([t.h, t.x], dim=1) @ t.W
    hidden = t.h.shape[1]
    s = torch.sigmoid(z[:, :hidden]) * torch.tanh(z[:, hidden:])
    return ((s @ t.V - t.Y) ** 2).sum() / 2


# fixture: (its arrays, the parameters it updates, the name of its rate, the loss in torch)
CASES = {
    "softmax": (
        classifier_data,
        ("W", "b"),
        "step_size",
        lambda t: F.cross_entropy(t.X @ t.W + t.b, t.y),
    ),
    "course": (
        lambda: {**classifier_data(), "b": normal(1, 4)},  # b kept as a (1, C) row
        ("W", "b"),
        "step_size",
        lambda t: F.cross_entropy(t.X @ t.W + t.b, t.y) + 0.5e-3 * (t.W * t.W).sum(),
    ),
    "onehot": (
        classifier_data,
        ("W", "b"),
        "lr",
        lambda t: F.cross_entropy(t.X @ t.W + t.b, t.y),
    ),
    "einsum": (
        lambda: {
            "X": normal(5, 3),
            "Y": normal(5, 2),
            "W1": normal(3, 4),
            "b1": normal(4),
            "W2": normal(4, 2),
            "b2": normal(2),
        },
        ("W1", "b1", "W2", "b2"),
        "lr",
        lambda t: 0.5 * ((torch.tanh(t.X @ t.W1 + t.b1) @ t.W2 + t.b2 - t.Y) ** 2).sum(),
    ),
    "concat": (
        lambda: {
            "x0": normal(5, 2),
            "x": normal(5, 3),
            "Y": normal(5, 2),
            "U": normal(2, 4),
            "W": normal(7, 6),
            "b": normal(6),
            "V": normal(6, 2),
        },
        ("U", "W", "b", "V"),
        "lr",
        _recurrent_loss,
    ),
    "gates": (
        lambda: {
            "h": normal(5, 3),
            "x": normal(5, 2),
            "Y": normal(5, 2),
            "W": normal(5, 6),
            "V": normal(3, 2),
        },
        ("W", "V"),
        "lr",
        _gates_loss,
    ),
    "embedding": (
        lambda: {
            "idx": np.array([3, 0, 3, 1, 3]),  # a repeated index accumulates
            "Y": normal(5, 2),
            "W": normal(4, 3),
            "V": normal(3, 2),
        },
        ("W", "V"),
        "lr",
        lambda t: ((torch.tanh(t.W[t.idx] @ t.V) - t.Y) ** 2).sum() / 2,
    ),
    "reshape": (
        lambda: {"X": normal(6, 3), "Y": normal(6, 1), "W": normal(3, 1)},
        ("W",),
        "lr",
        lambda t: ((t.X @ t.W).ravel() - t.Y[:, 0]).pow(2).sum() / (2 * t.X.shape[0]),
    ),
}


def source(name: str) -> str:
    return (FIXTURES / f"indexing_{name}.py").read_text()


def stepped(text: str, arrays: dict, params, rate: str) -> dict:
    """Run the training step in ``text`` (a fixture of ours) on copies of ``arrays``."""
    namespace: dict = {}
    exec(compile(text, "<fixture>", "exec"), namespace)  # our own fixture, in the test only
    copies = {name: np.array(value, copy=True) for name, value in arrays.items()}
    namespace["train"](**copies, **{rate: LR})
    return {name: copies[name] for name in params}


def torch_stepped(name: str, arrays: dict) -> dict:
    """Each parameter moved by -LR times its gradient, the gradient from torch autograd."""
    _, params, _, loss = CASES[name]
    tensors = {
        key: torch.tensor(value, dtype=torch.int64 if value.dtype.kind == "i" else torch.float64)
        for key, value in arrays.items()
    }
    for param in params:
        tensors[param].requires_grad_(True)
    loss(SimpleNamespace(**tensors)).backward()
    return {p: (tensors[p] - LR * tensors[p].grad).detach().numpy() for p in params}


def agrees_with_torch(name: str, text: str) -> bool:
    make, params, rate, _ = CASES[name]
    arrays = make()
    try:
        got = stepped(text, arrays, params, rate)
    except ValueError:  # NumPy's shapes do not fit: wrong, and it shows at once
        return False
    expected = torch_stepped(name, arrays)
    return all(np.allclose(got[p], expected[p], rtol=1e-10, atol=1e-12) for p in params)


@functools.cache
def checked(text: str):
    """The checker's report on the training step in ``text`` (a mutant judged once)."""
    return check_text(text, "train.py", "train")


# -- correct code is called correct ------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_the_fixture_steps_as_torch_autograd_does(name):
    assert agrees_with_torch(name, source(name))


JUDGED = {
    "softmax": {"dscores", "dW", "db"},
    "course": {"dscores", "db", "dW"},
    "onehot": {"dscores", "the step of W", "the step of b"},
    "einsum": {"dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"},
    "concat": {"dout", "dV", "dz", "dW", "db", "dhx", "dh", "dU"},
    "gates": {"ds", "dz", "the step of W", "the step of V"},
    "embedding": {"dh", "dV", "demb", "dW"},
    "reshape": {"dpred", "dW"},
}


@pytest.mark.parametrize("name", CASES)
def test_the_checker_calls_every_line_of_the_fixture_correct(name):
    report = check_code(FIXTURES / f"indexing_{name}.py", "train")
    wrong = [(v.line, v.formula) for v in report.verdicts if not v.correct]
    assert report.ok, wrong
    assert {v.name for v in report.verdicts} == JUDGED[name]


def test_the_label_subtraction_and_the_division_are_each_judged():
    verdicts = check_code(FIXTURES / "indexing_softmax.py", "train").verdicts
    text = source("softmax").splitlines()
    by_line = {text[v.line - 1].strip(): v for v in verdicts}
    assert by_line["dscores[np.arange(N), y] -= 1"].claim == "N * dloss/dscores"
    assert by_line["dscores /= N"].claim == "dloss/dscores"


# -- wrong code is called wrong, at its line -----------------------------------------------------
# fixture, text replaced, replacement, the line blamed (its text in the mutant), diagnosis kind
MUTANTS = [
    ("softmax", "    dscores[np.arange(N), y] -= 1\n", "", "dscores = probs.copy()", None),
    ("softmax", "    dscores /= N\n", "", "dscores[np.arange(N), y] -= 1", "constant scale"),
    ("softmax", "y] -= 1", "y] += 1", "dscores[np.arange(N), y] += 1", None),
    ("course", "    dW += reg * W\n", "", "dW = np.dot(X.T, dscores)", None),
    ("course", "dW += reg * W", "dW -= reg * W", "dW -= reg * W", None),
    ("course", "axis=0, keepdims", "axis=1, keepdims", "db = np.sum", "wrong axis"),
    ("onehot", "[y]) / N", "[y])", "dscores = (probs - np.eye(W.shape[1])[y])", None),
    (
        "einsum",
        'einsum("ij,kj->ik", dZ2, W2)',
        'einsum("ij,jk->ik", dZ2, W2)',
        "dA1 = np.einsum",
        "transposed",
    ),
    (
        "einsum",
        'einsum("ji,jk->ik", X, dZ1)',
        'einsum("ij,jk->ik", X, dZ1)',
        "dW1 = np.einsum",
        "transposed",
    ),
    ("einsum", 'einsum("ij->j", dZ2)', 'einsum("ij->i", dZ2)', "db2 =", "shape or broadcast"),
    ("concat", "dhx[:, :H]", "dhx[:, H:]", "dh = dhx", "shape or broadcast"),
    ("concat", "dhx[:, :H]", "dhx[:, :-1]", "dh = dhx", "shape or broadcast"),
    ("concat", "dhx[:, :H]", "dhx[:, 1:H + 1]", "dh = dhx", None),
    (
        "gates",
        "np.hstack((ds * c * f * (1 - f), ds * f * (1 - c**2)))",
        "np.hstack((ds * f * (1 - c**2), ds * c * f * (1 - f)))",
        "dz = np.hstack",
        None,
    ),
    ("embedding", "np.zeros_like(W)", "W.copy()", "np.add.at(dW, idx, demb)", None),
    ("reshape", "err.reshape(-1, 1)", "err.reshape(1, -1)", "dpred =", "transposed"),
    ("reshape", "err.reshape(-1, 1) / N", "err.reshape(-1, 1)", "dpred =", "constant scale"),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "blamed", "kind"),
    MUTANTS,
    ids=[f"{m[0]}:{m[2].strip() or 'deleted'}" for m in MUTANTS],
)
def test_a_mutant_is_wrong_and_the_checker_blames_its_line(name, old, new, blamed, kind):
    text = source(name)
    assert old in text
    mutant = text.replace(old, new)
    assert not agrees_with_torch(name, mutant)  # the oracle: the mutant really is wrong
    first = next(v for v in checked(mutant).verdicts if not v.correct)
    assert blamed in mutant.splitlines()[first.line - 1]
    if kind is not None:
        assert first.diagnosis.kind == kind


# -- what is not read gets one clear line ----------------------------------------------------
def read(tmp_body: str):
    text = "import numpy as np\n\ndef train(X, Y, W, lr):\n" + tmp_body
    return check_text(text, "net.py", "train")


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            "    out = np.einsum('ijk,kl->ijl', X, W)\n",
            UnsupportedConstruct,
            "np.einsum('ijk,kl->ijl') is not supported",
        ),
        ("    out = X[1::2] @ W\n", UnsupportedConstruct, "a slice with a step is not supported"),
        ("    out = np.vstack((X[:, 0], X[:, 1])) @ W\n", UnsupportedConstruct, "of vectors"),
        ("    out = np.eye(10**9)[Y[:, 0]]\n", UnsupportedConstruct, "a size or bound over 1000"),
        ("    out = X[:-10**40] @ W\n", UnsupportedConstruct, "a size or bound over 1000"),
        ("    out = X[:, : X.shape[1] + 10**6] @ W\n", UnsupportedConstruct, "bound over 1000"),
        ("    out = np.eye(3)[X @ W]\n", ShapeError, "labels used as an index must be a vector"),
        ("    out = X.reshape(2, 3, -1) @ W\n", UnsupportedConstruct, "this reshape is not"),
    ],
)
def test_an_idiom_not_read_is_refused_naming_it_and_its_line(body, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        read(body + "    loss = np.sum((out - Y) ** 2)\n    W -= lr * X.T @ (out - Y)\n")
    assert raised.value.line == 4


def test_the_command_line_refuses_unknown_einsum_subscripts_in_one_line(tmp_path, capsys):
    path = tmp_path / "net.py"
    path.write_text(source("einsum").replace('"ji,jk->ik", A1', '"ijk,kl->ijl", A1'))
    refused(
        capsys,
        ["check", f"{path}:train"],
        f"{path}:11:",
        "np.einsum('ijk,kl->ijl') is not supported",
        "ij,jk->ik",
    )


def test_an_indexed_add_that_drops_repeated_indices_is_refused_with_the_fix():
    text = source("embedding").replace("np.add.at(dW, idx, demb)", "dW[idx] += demb")
    with pytest.raises(UnsupportedConstruct, match=r"np\.add\.at\(dW, idx, \.\.\.\)") as raised:
        check_text(text, "embedding.py", "train")
    assert text.splitlines()[raised.value.line - 1].strip() == "dW[idx] += demb"


# -- the new ops: shape rules against evaluation, backward rules against differences -------------
OPS = [
    (column, [(4,)], []),
    (flat, [(4, 1)], []),
    (row_slice, [(5, 3)], [1, 4]),
    (row_slice, [(5,)], [0, 2]),
    (col_slice, [(3, 5)], [2, 5]),
    (concat_rows, [(2, 3), (4, 3)], []),
    (concat_cols, [(3, 2), (3, 4)], []),
    (rowmax, [(3, 4)], []),
    (reversed_rows, [(4, 3)], []),
    (reversed_cols, [(3, 4)], []),
]


@pytest.mark.parametrize(("op", "shapes", "sizes"), OPS, ids=[str(i) for i in range(len(OPS))])
def test_an_index_op_has_the_shape_and_the_adjoint_of_its_evaluation(op, shapes, sizes):
    values = [RNG.normal(size=s) for s in shapes]
    arrays = sp.symbols(f"a0:{len(shapes)}")
    call = op(*arrays, *map(sp.Integer, sizes))
    output = op.evaluate(FLOAT_MATH, *values, *sizes)
    assert shape_of(call, dict(zip([a.name for a in arrays], shapes, strict=True))) == output.shape
    for position in range(len(shapes)):
        g, direction = RNG.normal(size=output.shape), RNG.normal(size=shapes[position])

        def along(step, position=position, direction=direction, g=g):
            moved = [*values]
            moved[position] = values[position] + step * direction
            return float(np.sum(g * op.evaluate(FLOAT_MATH, *moved, *sizes)))

        expected = (along(1e-6) - along(-1e-6)) / 2e-6
        g_symbol = sp.Symbol("g")
        adjoint = rule_for(op, position)(g_symbol, *arrays, *map(sp.Integer, sizes))
        as_mp = np.frompyfunc(mpmath.mpf, 1, 1)
        env = {s: as_mp(v) for s, v in zip(arrays, values, strict=True)}
        env[g_symbol] = as_mp(g)
        got = np.asarray(Evaluator(env, Numbers.MPMATH)(adjoint), dtype=float)
        assert float(np.sum(got * direction)) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_one_hot_matrix_has_one_one_per_row_at_the_label():
    labels = np.array([2, 0, 2, 1])
    got = onehot.evaluate(FLOAT_MATH, labels, 3)
    assert np.array_equal(got, np.eye(3)[labels])
    assert shape_of(onehot(sp.Symbol("y"), 3), {"y": (4,)}) == (4, 3)


# -- each spelling read means what NumPy computes ------------------------------------------------
ARRAYS = {
    "A": normal(4, 3),
    "B": normal(3, 5),
    "C": normal(4, 3),
    "D": normal(4, 2),
    "u": normal(4),
    "v": normal(3),
    "c": normal(4, 1),
    "y": np.array([2, 0, 1, 2]),
}
SPELLINGS = [
    "np.einsum('ij,jk->ik', A, B)",
    "np.einsum('ij,kj->ik', A, C)",
    "np.einsum('ji,jk->ik', A, C)",
    "np.einsum('ij->j', A)",
    "np.einsum('ij->i', A)",
    "np.einsum('ij,ij->', A, C)",
    "np.einsum('i,j->ij', u, v)",
    "np.einsum('ij,ij->i', A, C)",
    "np.einsum('ab,bc->ac', A, B)",
    "np.einsum('ij,j->i', A, v)",
    "A.reshape(4, -1)",
    "u.reshape(-1, 1)",
    "np.reshape(u, (1, -1))",
    "c.ravel()",
    "c.flatten()",
    "np.ravel(c.T)",
    "c.reshape(-1)",
    "u[:, None]",
    "u[:, np.newaxis]",
    "u[None, :]",
    "np.expand_dims(u, 1)",
    "np.expand_dims(u, axis=0)",
    "np.concatenate([A, D], axis=1)",
    "np.concatenate((A, C))",
    "np.hstack((A, D, C))",
    "np.vstack((A, C))",
    "np.hstack((u, v))",
    "np.concatenate((A, D), axis=1)[:, 3:]",
    "A[:-1]",
    "A[1:3]",
    "A[:, :2]",
    "A[:, -2:]",
    "A[1:, :-1]",
    "A[:, 0]",
    "A[-1]",
    "(A + C)[0]",
    "u[-1]",
    "A[:, 1:]",
    "A[1:]",
    "u[1:]",
    "u[:-2]",
    "A[::-1]",
    "A[:, ::-1]",
    "u[::-1]",
    "A[np.arange(4), y]",
    "A[range(4), y]",
    "np.eye(3)[y]",
    "B[y]",
    "np.max(A, axis=1, keepdims=True)",
    "A.max(axis=1)",
    "np.amax(A, axis=0, keepdims=True)",
    "np.max(A, 0)",
    "A.copy()",
    "np.copy(A)",
    "A - np.max(A, axis=1)[:, None]",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_spelling_is_read_as_what_numpy_computes(spelling):
    space = DimSpace()
    shapes = {name: value.shape for name, value in ARRAYS.items()}
    translator = ArrayTranslator(
        "<test>",
        Namespace(),
        {},
        lambda name, index, node: sp.Symbol(name),
        space=space,
        shapes=shapes,
    )
    expr = translator.expression(ast.parse(spelling, mode="eval").body, translator.resolve_global)
    env = {sp.Symbol(name): value for name, value in ARRAYS.items()}
    got = Evaluator(env, Numbers.FLOAT64)(expr)
    expected = eval(spelling, {"np": np, **ARRAYS})  # the test's own expression, run by NumPy
    assert np.shape(got) == np.shape(expected)
    assert np.allclose(got, expected, rtol=1e-12)
    assert translator.shape(expr, None) == np.shape(expected)


def test_a_size_named_only_in_backward_lines_has_its_value_there():
    # loss = sum((X W - Y)^2)/2 gives dloss/dW = X^T (X W - Y) = m * X^T ((X W - Y)/m)
    text = (
        "import numpy as np\n"
        "def train(X, Y, W, lr):\n"
        "    m = X.shape[0]\n"
        "    out = X @ W\n"
        "    loss = np.sum((out - Y) ** 2) / 2\n"
        "    d = (out - Y) / m\n"
        "    W -= lr * m * X.T @ d\n"
    )
    report = check_text(text, "fit.py", "train")
    assert report.ok
    # the step is judged; d, 1/m times dloss/dout, may be judged too (it is right)
    assert 7 in [v.line for v in report.verdicts]


def test_a_label_pick_is_printed_as_numpy_indexing_in_a_correction():
    mutant = source("softmax").replace("    dscores[np.arange(N), y] -= 1\n", "")
    first = next(v for v in checked(mutant).verdicts if not v.correct)
    assert "probs[np.arange(probs.shape[0]), y]" in first.correct_formula


@pytest.mark.parametrize("name", ["concat", "gates"])
def test_any_line_deleted_gives_verdicts_or_one_clear_error(name):
    lines = source(name).splitlines()
    for position, line in enumerate(lines):
        if not line.startswith("    "):
            continue
        mutant = "\n".join(lines[:position] + lines[position + 1 :])
        try:
            check_text(mutant, "m.py", "train")
        except SymbackpropError as error:
            assert error.message and "\n" not in error.message


def test_rows_named_once_are_every_row_where_they_index():
    text = source("softmax").replace(
        "    N = X.shape[0]\n", "    N = X.shape[0]\n    rows = np.arange(N)\n"
    )
    text = text.replace("[np.arange(N), y]", "[rows, y]")
    assert agrees_with_torch("softmax", text)
    assert check_text(text, "s.py", "train").ok


def test_a_lookup_by_an_index_argument_reads_rows_of_the_table():
    # loss = sum((tanh(W[idx] V) - Y)^2)/2: dloss/dV = W[idx]^T ((h - Y)(1 - h^2))
    text = source("embedding").replace(
        "    demb = dh @ V.T\n    dW = np.zeros_like(W)\n    np.add.at(dW, idx, demb)\n"
        "    W -= lr * dW\n",
        "",
    )
    report = check_text(text, "lookup.py", "train")
    assert report.ok
    assert {v.name for v in report.verdicts} == {"dh", "dV"}


def test_index_ops_write_latex_as_mathematics_does():
    dz, x, y, h = sp.symbols("dz x y H")
    assert latex(col_slice(dz, 0, h)) == r"{\mathrm{dz}}_{[:, 0:H]}"
    assert latex(concat_rows(dz, x)) == r"\begin{bmatrix} \mathrm{dz} \\ x \end{bmatrix}"
    assert latex(flat(rowsum(dz * onehot(y, 3)))) == r"{\mathrm{dz}}_{[i,\, y_{i}]}"
