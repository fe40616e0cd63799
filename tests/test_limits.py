"""Every verb's work is bounded: work over a limit is refused in one line (exit 2, no traceback,
no output file) before anything large is built or allocated, and whatever still runs past the
time budget is stopped the same way, leaving no temporary file behind.

Counts in the expected messages are worked out by hand here: a layer from n to k units has
n*k weights and k biases."""

import contextlib
import os
import signal
import time

import pytest
import sympy as sp
from one_line import refused

from symbackprop import cli, limits
from symbackprop.check import check_code
from symbackprop.derive import Derivation, derive
from symbackprop.errors import LimitExceeded, SymbackpropError
from symbackprop.files import write_whole
from symbackprop.ir.builder import fully_connected
from symbackprop.ir.network import dense_network
from symbackprop.printing import derivation as printing
from symbackprop.train.anatomy import activation_units


def spec(folder, body: str, name: str = "net.toml") -> str:
    (folder / name).write_text("[network]\n" + body)
    return name


VERBS = [
    ["derive"],
    ["explain", "-o", "out.md"],
    ["generate", "-o", "out.py"],
    ["verify"],
    ["train", "--data", "xor"],
]


# -- networks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
@pytest.mark.parametrize(
    ("sizes", "count"),
    [
        ("[30, 30, 30, 30, 1]", 3 * (30 * 30 + 30) + (30 + 1)),
        ("[300, 300, 1]", 300 * 300 + 300 + 300 + 1),
    ],
)
def test_a_scalar_network_over_the_parameter_limit_is_refused_in_every_verb(
    folder, capsys, verb, sizes, count
):
    name = spec(folder, f'mode = "scalar"\nsizes = {sizes}\n')
    line = refused(capsys, [verb[0], name, *verb[1:]], "net.toml:3: ")
    assert f"{count} weights and biases" in line
    assert f"limit of {limits.MAX_SCALAR_PARAMETERS}" in line
    assert 'use mode = "vector"' in line
    assert not (folder / "out.py").exists() and not (folder / "out.md").exists()


def test_the_vector_builder_itself_refuses_networks_over_the_limits():
    """Its arrays are memory; the scalar builder is left to API callers, whose derivation
    alone is fast (the derive_scaling benchmark builds 433 weights): specs are limited."""
    with pytest.raises(LimitExceeded, match="4999 layers"):
        dense_network([2] * 5000)


def test_a_scalar_network_at_the_limit_is_built():
    # [25, 37, 1]: 25*37 + 37 + 37 + 1 = 1000 weights and biases, the limit itself
    model = fully_connected([25, 37, 1])
    assert len(model.parameters) == 1000 == limits.MAX_SCALAR_PARAMETERS


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_thousands_of_layers_are_refused_naming_the_sizes_line(folder, capsys, verb):
    name = spec(folder, "sizes = [" + ", ".join(["2"] * 5000) + "]\n")
    line = refused(capsys, [verb[0], name, *verb[1:]], "net.toml:2: ", "4999 layers")
    assert f"limit of {limits.MAX_LAYERS}" in line


def test_a_vector_network_too_large_for_memory_is_refused_before_any_array(folder, capsys):
    name = spec(folder, "sizes = [100000, 100000]\n")
    # 100000 * 100000 weights and 100000 biases, 8 bytes each: 74.5 GiB
    count = 100000 * 100000 + 100000
    gib = f"{8 * count / 2**30:.1f} GiB"
    assert gib == "74.5 GiB"
    refused(capsys, ["verify", name], "net.toml:2: ", f"{count} weights and biases", gib)


def test_train_refuses_arrays_over_the_byte_limit_for_its_samples(folder, capsys, monkeypatch):
    name = spec(folder, "sizes = [2, 3, 1]\n")
    (folder / "four.csv").write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    # Per sample: X 2, Y 1, z1 3, a1 3, z2 1, a2 1 = 11; once: m 1, W1 6, b1 3, W2 3, b2 1,
    # E 1 = 15. On 4 samples 11*4 + 15 = 59 float64, and as many adjoints: 2 * 8 * 59 bytes.
    monkeypatch.setattr(limits, "MAX_ARRAY_BYTES", 2 * 8 * 59 - 1)
    argv = ["train", name, "--data", "four.csv", "--target", "y"]
    refused(capsys, argv, "net.toml: ", f"{2 * 8 * 59} bytes of arrays", "on 4 samples")
    monkeypatch.setattr(limits, "MAX_ARRAY_BYTES", 2 * 8 * 59)
    assert cli.main([*argv, "--epochs", "1"]) == 0


# -- Python code ----------------------------------------------------------------------------------
def chain(length: int) -> str:
    """A forward function of ``length`` statements h_i = w * h_(i-1): statement k (counting
    ``w = 0.5`` as the first and the ``def`` as the second) is on line k + 1."""
    lines = ["w = 0.5", "", "def forward(x, y):", "    h0 = w * x"]
    lines += [f"    h{i} = w * h{i - 1}" for i in range(1, length - 4)]
    lines += [f"    loss = (h{length - 5} - y) ** 2", "    return loss"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("verb", ["derive", "generate", "verify", "check", "explain"])
def test_python_code_over_the_statement_limit_is_refused_at_the_first_statement_over(
    folder, capsys, verb
):
    (folder / "chain.py").write_text(chain(3000))
    over = limits.MAX_STATEMENTS + 1
    line = refused(capsys, [verb, "chain.py:forward"], f"chain.py:{over + 1}: ")
    assert f"3000 statements, over the limit of {limits.MAX_STATEMENTS}" in line


def test_a_layer_file_longer_than_the_limit_is_read_one_function_at_a_time(folder):
    pair = (
        "def relu{i}_forward(x):\n    out = np.maximum(0, x)\n    return out, x\n\n\n"
        "def relu{i}_backward(dout, cache):\n    dx = dout * (cache > 0)\n    return dx\n\n\n"
    )
    pairs = limits.MAX_STATEMENTS // 3  # six statements each: twice the limit in all
    text = "import numpy as np\n\n\n" + "".join(pair.format(i=i) for i in range(pairs))
    (folder / "layers.py").write_text(text)
    report = check_code(folder / "layers.py")
    assert len(report.units) == pairs and report.ok


def test_python_code_at_the_statement_limit_is_read(folder, capsys):
    (folder / "chain.py").write_text(chain(limits.MAX_STATEMENTS))
    assert cli.main(["generate", "chain.py:forward", "-o", "chain_train.py"]) == 0


# -- diagnosis ------------------------------------------------------------------------------------
def test_train_diagnoses_a_custom_activation_of_high_degree(folder, capsys, monkeypatch):
    # simplify(u**1000 - tanh(u)) ran for minutes when the diagnosis looked for known units
    monkeypatch.setenv(limits.TIME_LIMIT_VARIABLE, "60")  # a failure, not a hung test run
    name = spec(folder, 'sizes = [3, 2, 1]\nactivation = "u**1000"\n')
    assert cli.main(["train", name, "--data", "xor", "--epochs", "2"]) == 0, capsys.readouterr()
    assert "diagnosis" in capsys.readouterr().out


@pytest.mark.parametrize(
    "formula",
    ["1/(1 + exp(-u))", "(exp(u) - exp(-u))/(exp(u) + exp(-u))", "Max(0, u)", "u**1000"],
)
def test_a_formula_activation_is_its_own_class_never_matched_against_the_built_ins(formula):
    u = sp.Symbol("u")
    model = dense_network([2, 2, 1], sp.Lambda(u, sp.sympify(formula)))
    assert activation_units(model) == []  # recognition is by type, so nothing is simplified
    assert {type(model.node(name).expr).__name__ for name in ("a1", "a2")} == {"f"}


# -- printing -------------------------------------------------------------------------------------
def test_tree_size_is_counted_lazily_on_shared_subexpressions():
    x, y, z = sp.symbols("x y z")
    assert limits.tree_size_at_most(5, x + y * z)  # Add, x, Mul, y, z
    assert not limits.tree_size_at_most(4, x + y * z)
    shared = x
    for _ in range(40):  # a tree of about 2**40 nodes, held in 120
        shared = sp.sin(shared) + sp.cos(shared)
    assert not limits.tree_size_at_most(1000, shared)


def test_derive_works_out_each_nodes_chain_once_and_factors_only_short_forms(monkeypatch):
    model = fully_connected([2, 2, 2, 2, 2, 2, 2, 1])  # 2**6 paths from W1 to the loss
    result = derive(model)
    asked: list[str] = []
    adjoint = Derivation.adjoint
    monkeypatch.setattr(
        Derivation, "adjoint", lambda d, name: asked.append(name) or adjoint(d, name)
    )
    factored: list[sp.Expr] = []
    factor_terms = sp.factor_terms
    monkeypatch.setattr(
        printing.sp, "factor_terms", lambda e: factored.append(e) or factor_terms(e)
    )
    data = printing.derivation_data(result)
    assert all(limits.tree_size_at_most(limits.MAX_SHOWN_NODES, e) for e in factored)
    assert data["gradients"][0]["in_leaves"] is None  # W1's, through six layers: not shown
    for gradient in result.gradients:
        asked.clear()
        printing.chain_form(result, gradient.terms)
        assert len(asked) == len(set(asked))  # each node's adjoint once, not once per path


# -- the time budget ------------------------------------------------------------------------------
def _forever(args) -> int:
    while True:
        time.sleep(0.01)


def _swallowing(args) -> int:
    """A verb that catches one of our errors (as some readers do) and carries on."""
    with contextlib.suppress(SymbackpropError):
        _forever(args)
    return _forever(args)


def _writing_forever(args) -> int:
    write_whole("out.txt", lambda path: _forever(None))
    return 0


@pytest.mark.parametrize("verb", [_forever, _swallowing, _writing_forever])
def test_a_verb_past_its_time_budget_ends_in_one_line_and_leaves_no_file(
    folder, capsys, monkeypatch, verb
):
    monkeypatch.setenv(limits.TIME_LIMIT_VARIABLE, "0.2")
    monkeypatch.setitem(cli._VERBS, "list", verb)
    before = signal.getsignal(signal.SIGALRM)
    refused(capsys, ["list"], "list stopped after 0.2 s", limits.TIME_LIMIT_VARIABLE)
    assert os.listdir(folder) == []  # neither out.txt nor its temporary
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_a_time_limit_of_zero_means_none(capsys, monkeypatch):
    monkeypatch.setenv(limits.TIME_LIMIT_VARIABLE, "0")
    assert limits.time_limit() == 0
    assert cli.main(["list"]) == 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_time_limit_that_is_not_a_number_of_seconds_is_refused(capsys, monkeypatch, value):
    monkeypatch.setenv(limits.TIME_LIMIT_VARIABLE, value)
    refused(capsys, ["list"], limits.TIME_LIMIT_VARIABLE, repr(value))


def test_training_is_untimed_unless_the_variable_says_so(monkeypatch):
    monkeypatch.delenv(limits.TIME_LIMIT_VARIABLE, raising=False)
    assert limits.time_limit("train") == 0  # as long as its epochs ask
    assert limits.time_limit("derive") == limits.TIME_LIMIT_SECONDS
    monkeypatch.setenv(limits.TIME_LIMIT_VARIABLE, "7")
    assert limits.time_limit("train") == 7
