"""An embedding as the first [[layer]] of a spec, looking up integer indices, one a sample
(m,) or a sequence of them (m, T), through every verb: the generated NumPy and JAX modules'
losses and gradients against torch's nn.Embedding followed by the same layers (float64, with
indices that repeat in the batch), finite differences, the explanation, the spec's errors and
training on index columns."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from lint import module_complaints
from targets import TARGETS, initial_params, target_module

from symbackprop import api
from symbackprop.cli import main
from symbackprop.explain.api import explain
from symbackprop.explain.katex import katex_errors, node
from symbackprop.readers.spec import read_spec_text

SEQUENCES = """\
[network]
name = "word-net"
input = [4]
loss = "softmax_ce"

[[layer]]
type = "embedding"
vocab = 7
size = 3

[[layer]]
type = "tanh"

[[layer]]
type = "flatten"

[[layer]]
type = "dense"
units = 5
activation = "sigmoid"

[[layer]]
type = "dense"
units = 3
activation = "softmax"
"""
ONE_INDEX = """\
[network]
name = "token-net"
loss = "mse"

[[layer]]
type = "embedding"
vocab = 5
size = 4

[[layer]]
type = "dropout"
p = 0.5

[[layer]]
type = "dense"
units = 2
activation = "tanh"
"""
M = 6
RNG = np.random.default_rng(3)
DATA = {
    "word-net": {
        "X": RNG.integers(0, 7, size=(M, 4)),  # 24 indices into 7 rows: repeats certain
        "Y": np.eye(3)[RNG.integers(0, 3, size=M)],
    },
    "token-net": {
        "X": np.array([4, 0, 4, 2, 4, 0]),
        "mask1": (RNG.random((M, 4)) < 0.5).astype(float),
        "Y": RNG.normal(size=(M, 2)),
    },
}
SPECS = {"word-net": SEQUENCES, "token-net": ONE_INDEX}


def torch_network(name: str, params: dict) -> tuple[float, dict]:
    """The spec's network in PyTorch: nn.Embedding, then the same layers; loss and gradients."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = {key: torch.tensor(np.asarray(value), requires_grad=True) for key, value in params.items()}
    data = DATA[name]
    vocab, size = params["We1"].shape
    lookup = torch.nn.Embedding(vocab, size, dtype=torch.float64)
    with torch.no_grad():
        lookup.weight.copy_(t["We1"])
    t["We1"] = lookup.weight  # the module's own table, whose gradient autograd fills
    e1 = lookup(torch.tensor(data["X"]))
    if name == "word-net":
        f1 = torch.tanh(e1).flatten(1)
        a2 = torch.sigmoid(f1 @ t["W2"] + t["b2"])
        labels = torch.tensor(data["Y"].argmax(axis=1))
        loss = F.cross_entropy(a2 @ t["W3"] + t["b3"], labels)
    else:
        d1 = e1 * torch.tensor(data["mask1"]) / 0.5
        loss = F.mse_loss(torch.tanh(d1 @ t["W2"] + t["b2"]), torch.tensor(data["Y"]))
    loss.backward()
    return loss.item(), {key: value.grad.numpy() for key, value in t.items()}


@pytest.fixture(scope="module", params=list(SPECS))
def name(request):
    return request.param


@pytest.fixture(scope="module")
def model(name):
    return read_spec_text(SPECS[name], f"{name}.toml")


def test_the_table_is_we1_and_the_input_holds_indices(model, name):
    weights = {"word-net": ["We1", "W2", "b2", "W3", "b3"], "token-net": ["We1", "W2", "b2"]}
    assert [p.name for p in model.parameters] == weights[name]
    assert model.shapes["We1"] == {"word-net": (7, 3), "token-net": (5, 4)}[name]
    assert model.shapes["X"][1:] == {"word-net": (4,), "token-net": ()}[name]
    assert model.shapes["e1"][1:] == {"word-net": (4, 3), "token-net": (4,)}[name]


@pytest.mark.parametrize("target", TARGETS)
def test_the_modules_compute_torchs_loss_and_gradients_over_repeated_indices(model, name, target):
    indices = DATA[name]["X"].ravel()
    assert len(np.unique(indices)) < len(indices)  # some row is looked up more than once
    module = target_module(model, target)
    params = initial_params(module, 2, "glorot")
    expected_loss, expected = torch_network(name, params)
    data = DATA[name]
    assert float(module.loss(params, **data)) == pytest.approx(expected_loss, rel=1e-10)
    gradients = module.backward(params, module.forward(params, **data))
    assert gradients.keys() == expected.keys()
    for key, value in expected.items():
        scale = float(np.max(np.abs(value)))
        assert float(np.max(np.abs(np.asarray(gradients[key]) - value))) / scale < 1e-10, key
    # the fused step moves each table row by lr times its summed gradient
    stepped = {key: np.array(value) for key, value in params.items()}
    module.train_step(stepped, *data.values(), 0.5, {})
    moved = (params["We1"] - stepped["We1"]) / 0.5
    assert np.max(np.abs(moved - expected["We1"])) / np.max(np.abs(expected["We1"])) < 1e-10


def test_the_numpy_module_adds_up_a_repeated_indexs_rows_with_add_at(model):
    text = api.generate(model)
    assert "e1 = We1[X]" in text
    assert "np.add.at(grad, idx, g)" in text
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]
    assert api.generate(model) == text


def test_the_jax_module_adds_up_a_repeated_indexs_rows_with_at_add(model):
    pytest.importorskip("jax")
    assert ".at[idx].add(g)" in api.generate(model, target="jax")


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("target", TARGETS)
def test_the_generated_modules_are_lint_clean_and_formatted(model, target, tmp_path):
    if target == "jax":
        pytest.importorskip("jax")
    assert module_complaints(api.generate(model, target=target), tmp_path) == []


def test_verify_proves_the_modules_by_finite_differences_and_jax_grad(model):
    report = api.verify(model)
    assert report.ok, report.to_text()
    pytest.importorskip("jax")
    report = api.verify(model, target="jax")
    assert report.ok and report.oracle_error < 1e-10, report.to_text()


def test_verify_calls_a_scatter_that_assigns_instead_of_adding_wrong(model):
    """With an index repeated, ``grad[idx] = g`` keeps one of its rows, not their sum."""
    text = api.generate(model)
    wrong = text.replace("np.add.at(grad, idx, g)", "grad[idx] = g")
    assert wrong != text
    report = api.verify(model, text=wrong)
    assert not report.ok
    assert report.errors["We1"] > 1e-3 and report.errors["W2"] < 1e-7


def test_derive_and_explain_give_the_lookup_and_its_scatter(model):
    derived = api.derive(model).to_text()
    assert "dE/dWe1 = embedding_grad(delta_e1, X, We1)" in derived
    text = explain(model).to_markdown()
    assert r"\mathrm{We}_{1}\left[X\right]" in text
    assert "an index that repeats collects the sum of its rows" in text
    assert r"\operatorname{scatter}_{\mathrm{We}_{1}}\left(\delta_{e_{1}}; X\right)" in text


def test_every_formula_of_the_explanation_renders_in_katex(model):
    if node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    formulas = sorted(set(explain(model).formulas()))
    errors = katex_errors(formulas)
    assert errors == [], "\n\n".join(f"{e.message}\n{e.formula}" for e in errors[:5])
    assert any(r"\operatorname{scatter}" in f for f in formulas)


# -- what a spec or its data gets wrong: one line, exit code 2 -----------------------------------
EMBEDDING = '[[layer]]\ntype = "embedding"\nvocab = 5\nsize = 2\n\n'
FLATTEN_DENSE = '[[layer]]\ntype = "flatten"\n\n[[layer]]\ntype = "dense"\nunits = 2\n'
BAD_SPECS = [
    (
        '[network]\ninput = [3]\n\n[[layer]]\ntype = "embedding"\nsize = 2\n\n' + FLATTEN_DENSE,
        "layer 1 (embedding) needs 'vocab', e.g. vocab = 50",
    ),
    (
        '[network]\ninput = [3]\n\n[[layer]]\ntype = "embedding"\nvocab = 5\n\n' + FLATTEN_DENSE,
        "layer 1 (embedding) needs 'size', e.g. size = 8",
    ),
    (
        '[network]\n\n[[layer]]\ntype = "embedding"\nvocab = 0\nsize = 2\n',
        "layer 1: vocab must be",
    ),
    (
        '[network]\ninput = [3]\n\n[[layer]]\ntype = "dense"\nunits = 2\n\n' + EMBEDDING,
        "embedding looks up the input's indices: make it the first layer",
    ),
    (
        "[network]\ninput = [1, 3, 3]\n\n" + EMBEDDING + FLATTEN_DENSE,
        "an embedding's input is one index a sample or (T,) indices, not [1, 3, 3]",
    ),
    (
        "[network]\ninput = [3]\n\n" + EMBEDDING + '[[layer]]\ntype = "dense"\nunits = 2\n',
        "dense needs rows (m, n): put a flatten before it",
    ),
    ("[network]\ninput = [3]\n\n" + EMBEDDING, "the last layer gives sequences"),
    (
        '[network]\n\n[[layer]]\ntype = "dense"\nunits = 2\n',
        "[network] needs 'input', e.g. input = [1, 8, 8]",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_a_wrong_embedding_spec_is_one_line_with_exit_code_2(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    run = [sys.executable, "-m", "symbackprop", "derive", str(path)]
    result = subprocess.run(run, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and f"{path}:" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def csv_of(path, X, labels) -> None:
    rows = [",".join(map(str, [*x, y])) for x, y in zip(X, labels, strict=True)]
    columns = [f"t{i}" for i in range(1, X.shape[1] + 1)]
    path.write_text("\n".join([",".join([*columns, "label"]), *rows]) + "\n")


def test_train_reads_index_columns_and_learns(folder, capsys):
    (folder / "words.toml").write_text(SEQUENCES)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 7, size=(120, 4))
    csv_of(folder / "words.csv", X, X[:, 0] % 3)  # the class is the first word's
    args = ["train", "words.toml", "--data", "words.csv", "--target", "label", "--epochs"]
    assert main([*args, "300", "--lr", "1", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["final_loss"] < 0.5 * summary["first_loss"]
    assert summary["train_accuracy"] > 0.9


@pytest.mark.parametrize(("value", "shown"), [("1.5", "has 1.5"), ("7", "has 7"), ("-1", "has -1")])
def test_train_refuses_an_index_that_is_not_a_row_in_one_line(folder, capsys, value, shown):
    (folder / "words.toml").write_text(SEQUENCES)
    X = np.random.default_rng(1).integers(0, 7, size=(20, 4)).astype(object)
    X[7, 2] = value
    csv_of(folder / "words.csv", X, [0, 1, 2, 0] * 5)
    assert main(["train", "words.toml", "--data", "words.csv", "--target", "label"]) == 2
    err = capsys.readouterr().err
    assert "takes integer indices 0 to 6" in err and shown in err and err.count("\n") == 1
