"""derive and check read Python code the same way: one entry point, one slicer.

A forward function read by ``derive`` (scalar front-end) and the same code read by ``check``
(training front-end, which also keeps the backward lines and updates) must give the same
forward model: same leaves, kinds, node expressions and loss. The slicer's two policies are
pinned here on small bodies whose answers can be read off by eye.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from symbackprop.errors import SpecError
from symbackprop.readers import codeflow
from symbackprop.readers.codereader import read_program
from symbackprop.readers.pyreader import read_python_source
from symbackprop.readers.pyslice import (
    Statement,
    loss_position,
    needed_positions,
    needed_statements,
    scan,
)
from symbackprop.readers.pysource import read_body

Q5_NET = Path(__file__).parent.parent / "symbackprop" / "questions" / "programs" / "q5_net.py"

ONE_WEIGHT = """
w = 0.5
def step(x, t):
    h = w * x
    loss = (h - t)**2
    g = 2*(h - t)*x
    w -= 0.1 * g
"""

SIGMOID_HELPER = """
import numpy as np
def sig(u):
    return 1/(1 + np.exp(-u))
def train(x, t):
    a = sig(v * x + c)
    error = 0.5 * (a - t)**2
    d_a = (a - t) * a * (1 - a)
    v = v - lr * d_a * x
    c = c - lr * d_a
"""


def summary(model) -> list[tuple]:
    return [(n.name, n.kind, n.expr) for n in model.nodes] + [model.loss.name]


@pytest.mark.parametrize(
    ("text", "function"),
    [(Q5_NET.read_text(), "Net"), (ONE_WEIGHT, "step"), (SIGMOID_HELPER, "train")],
    ids=["question 5", "one weight", "helper and globals"],
)
def test_derive_and_check_read_the_same_forward_model(text, function):
    derived = read_python_source(text, "net.py", function)
    checked = read_program(text, "net.py", function, None).model
    assert summary(derived) == summary(checked)


def test_the_forward_model_ends_at_the_loss_and_check_keeps_the_lines_after_it():
    program = read_program(ONE_WEIGHT, "net.py", "step", None)
    assert [n.name for n in program.model.nodes] == ["x", "t", "w", "h", "loss"]
    assert [v.user for v in program.values.values()] == ["g"]
    assert [u.param for u in program.updates] == ["w"]


def test_both_readers_open_the_file_through_one_entry():
    tree, body = read_body(ONE_WEIGHT, "net.py", "step")
    assert body.name == "step" and list(body.arguments) == ["x", "t"]
    with pytest.raises(SpecError, match="no function 'stp'"):
        read_python_source(ONE_WEIGHT, "net.py", "stp")
    with pytest.raises(SpecError, match="no function 'stp'"):
        read_program(ONE_WEIGHT, "net.py", "stp", None)


# -- the slicer's rules, on bodies read by eye ---------------------------------------------------
REUSED_NAMES = """
def f(x, t):
    err = x * 2
    err = (err - t)**2
    other = x + 1
"""


def test_a_forward_function_loss_is_the_last_assignment_of_a_loss_name():
    _, body = read_body(REUSED_NAMES, "f.py", "f")
    statements = scan(body)
    assert statements[loss_position(statements)].line == 4


def test_a_training_step_loss_is_the_first_assignment_of_a_loss_name():
    _, body = read_body(REUSED_NAMES, "f.py", "f")
    records = codeflow.steps(codeflow.flatten(body.statements, "f.py"))
    assert records[loss_position(records, last_of_a_name=False)].line == 3


def test_a_forward_function_reads_a_name_assigned_twice_as_two_versions():
    _, body = read_body(REUSED_NAMES, "f.py", "f")
    statements = scan(body)
    needed = needed_statements(body, statements[: loss_position(statements) + 1])
    assert [s.line for s in needed] == [3, 4]


def test_a_training_step_read_sees_the_last_assignment_before_it():
    _, body = read_body(REUSED_NAMES, "f.py", "f")
    records = codeflow.steps(codeflow.flatten(body.statements, "f.py"))
    # a read of err after every statement sees line 4, which needs line 3; other is unneeded
    start = Statement(len(records), ast.Pass(), reads={"err"})
    assert {records[p].line for p in needed_positions(records, start)} == {3, 4}
    assert [r.version for r in records] == ["err@3", "err", "other"]


def test_a_loss_by_call_name_is_found_by_both_readers_alike():
    text = textwrap.dedent(
        """
        def cost_of(a, b):
            return (a - b)**2
        def f(x, t, w):
            y = w * x
            J = cost_of(y, t)
            w -= 0.1 * 2*(y - t)*x
        """
    )
    derived = read_python_source(text, "f.py", "f", params=["w"])
    checked = read_program(text, "f.py", "f", None).model
    assert derived.loss.name == checked.loss.name == "J"
    assert derived.loss.line == checked.loss.line == 6
