"""The checker never runs what it reads: hostile formulas and code end in one clear error.

Each case must finish quickly (a generous bound guards against hangs; speed itself is measured
in benchmarks), create no file, and raise one of the project's error types, never a crash.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.check import check_code, check_formulas
from symbackprop.check.codecheck import check_text
from symbackprop.check.formula import FormulaReader
from symbackprop.check.subject import Subject
from symbackprop.errors import SymbackpropError, UnsupportedConstruct
from symbackprop.readers.examples import torch_scalar, xor

HANG_GUARD_SECONDS = 5.0

INJECTIONS = [
    "g = __import__('os').system('touch pwned')",
    "g = ().__class__.__bases__[0].__subclasses__()",
    "g = x.__class__",
    "g = (lambda: open('pwned', 'w'))()",
    "g = [open('pwned', 'w') for _ in (1,)]",
    "g = {k: 1 for k in (1,)}",
    "g = open('pwned', 'w')",
    "g = eval('1')",
    "g = exec('x = 1')",
    "g = globals()",
    "g = getattr(x, 'real')",
    "g = np.load('pwned')",
    "g = np.random.seed(0)",
    "g = f'{x}'",
    "g = x if x else y",
    "g = (yield x)",
    "g = x; import os",
    "g = 'touch pwned'",
]
BOMBS = [
    "g = 9**9**9",
    "g = 10**10**10",
    "g = x**(10**10)",
    "g = " + "(" * 100_000 + "x" + ")" * 100_000,
    "g = " + "(" * 5_000 + "x" + ")" * 5_000,
    "g = " + "-" * 100_000 + "x",
    "g = " + "-" * 15_000 + "x",
    "g = x" + "+x" * 5_000,
    "g = " + "1" * 100_000,
    "g = " + "1" * 10_000,
    "g = 1e999",
    "g = exp(exp(exp(exp(100))))",
    "g = [1]*10**9",
]
HEAVY_BUT_LEGAL = [
    "g = exp(exp(exp(x)))",
    "g = (x + 1)**1000",
    "g = ((x**1000)**1000)**1000",
    "g = x**x**x**x**x",
    "g = tanh(tanh(tanh(x)))**999",
]


@pytest.fixture
def empty_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def timed(call):
    start = time.perf_counter()
    try:
        return call(), time.perf_counter() - start
    except SymbackpropError as error:
        return error, time.perf_counter() - start


@pytest.mark.parametrize("formula", INJECTIONS + BOMBS, ids=lambda f: f[:40])
def test_hostile_formula_is_refused_without_side_effects(empty_dir, formula):
    result, seconds = timed(lambda: check_formulas("torch-scalar", [formula], ["g=w"]))
    assert isinstance(result, SymbackpropError)
    assert result.message and "Traceback" not in str(result)
    assert seconds < HANG_GUARD_SECONDS
    assert os.listdir(empty_dir) == []


@pytest.mark.parametrize("formula", HEAVY_BUT_LEGAL, ids=lambda f: f[:40])
def test_heavy_but_legal_formula_gets_a_verdict_quickly(formula):
    report, seconds = timed(lambda: check_formulas("torch-scalar", [formula], ["g=w"]))
    assert not report.ok
    assert seconds < HANG_GUARD_SECONDS


CODE_INJECTIONS = {
    "os.system in the forward pass": (
        "import os\nw = 1.0\ndef f(x, t):\n    y = w * x\n    loss = os.system('touch pwned')\n"
        "    w -= 0.1 * x\n"
    ),
    "a lambda as a delta": (
        "w = 1.0\ndef f(x, t):\n    y = w * x\n    loss = (y - t)**2\n"
        "    g = (lambda: open('pwned', 'w'))()\n    w -= 0.1 * g\n"
    ),
    "an attribute walk in an update": (
        "w = 1.0\ndef f(x, t):\n    y = w * x\n    loss = (y - t)**2\n    w -= 0.1 * x.__class__\n"
    ),
    "deep nesting": "w = 1.0\ndef f(x, t):\n    loss = " + "(" * 100_000 + "x" + ")" * 100_000,
    "a huge literal": "def f(x):\n    loss = " + "9" * 100_000 + "\n",
}


@pytest.mark.parametrize("source", CODE_INJECTIONS.values(), ids=CODE_INJECTIONS.keys())
def test_hostile_code_is_refused_without_running_it(empty_dir, source):
    (empty_dir / "train.py").write_text(source)
    result, seconds = timed(lambda: check_code("train.py", "f"))
    assert isinstance(result, SymbackpropError)
    assert seconds < HANG_GUARD_SECONDS
    assert os.listdir(empty_dir) == ["train.py"]


def test_code_around_the_step_is_read_never_run(empty_dir):
    (empty_dir / "train.py").write_text(
        "import os\nos.system('touch pwned')\nw = 1.0\n"
        "def f(x, t):\n    os.system('touch pwned')\n    y = w * x\n    loss = (y - t)**2\n"
        "    g = 2*(y - t)*x\n    w -= 0.1 * g\n"
    )
    report = check_code("train.py", "f")
    assert report.ok
    assert os.listdir(empty_dir) == ["train.py"]


# -- random text never crashes the reader --------------------------------------------------------
TORCH_READER = FormulaReader(Subject(torch_scalar()), {"g": "w"})
XOR_READER = FormulaReader(Subject(xor()), {"d1": "delta_layer_1_in", "d2": "delta_layer_2_in"})
TOKENS = st.sampled_from(
    [
        "g",
        "=",
        "x",
        "y",
        "w",
        "s",
        "(",
        ")",
        "*",
        "+",
        "-",
        "/",
        "**",
        "@",
        ".T",
        ".dot(",
        ",",
        "np.",
        "exp",
        "sum",
        "axis=0",
        "[",
        "]",
        "1",
        "2.5",
        "1:",
        "__class__",
        "lambda",
        ":",
        " ",
    ]
)


def _read(reader: FormulaReader, text: str) -> None:
    with contextlib.suppress(SymbackpropError):
        reader.read(text, 1)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=60))
def test_random_text_as_a_formula_is_read_or_refused_cleanly(text):
    _read(TORCH_READER, text)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_random_token_soup_as_an_array_formula_is_read_or_refused_cleanly(text):
    _read(XOR_READER, "d1 = " + text)


def test_a_refusal_names_the_construct_and_the_formula():
    with pytest.raises(UnsupportedConstruct) as error:
        TORCH_READER.read("g = (lambda: 1)()", 3)
    assert error.value.located().startswith("--formula #3:1:")
    assert "lambda" in error.value.message


CODE_LINES = st.sampled_from(
    [
        "y = w * x",
        "y = np.dot(X, W)",
        "h = 1/(1 + np.exp(-y))",
        "loss = np.sum((h - t)**2)/2",
        "loss = (y - t)**2",
        "d = (h - t) * h * (1 - h)",
        "g = X.T.dot(d)",
        "W -= lr * g",
        "w = w - 0.1 * 2*(y - t)*x",
        "w += lr * x",
        "a = vstack((np.ones((1, m)), h))",
        "m = size(X, 1)",
        "d = d[1:]",
        "for i in range(3):",
        "    y = y * w",
        "if y:",
        "    w = 1",
        "lambda: 0",
        "X = np.array([[0, 1], [1, 0]])",
        "W = np.random.random((2, 3))",
        "del w",
        "x.attr = 1",
        "import os",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(CODE_LINES, max_size=10).map("\n".join))
def test_random_training_code_is_checked_or_refused_cleanly(source):
    with contextlib.suppress(SymbackpropError):
        check_text("import numpy as np\nfrom numpy import vstack, size\n" + source, "soup.py")
