"""Helpers with a flag argument, as tutorials write them: ``nonlin(x, deriv=False)`` returning
the derivative when the flag is set. The flag given at the call (by keyword, by position or by
its default) picks the branch, nothing is run; a branch on array values is refused in one line.

Labels: the derivative of the sigmoid written in its output, ``s * (1 - s)``, by hand; a
helper called without its flag returns the sigmoid itself, which is no derivative.
"""

from __future__ import annotations

import pytest

from symbackprop.check.codecheck import check_text
from symbackprop.errors import SymbackpropError

TUTORIAL = """\
import numpy as np

def nonlin(x, deriv=False):
    if deriv == True:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0], [1], [1], [0]])
syn0 = 2 * np.random.random((3, 4)) - 1
syn1 = 2 * np.random.random((4, 1)) - 1
for j in range(60000):
    l0 = X
    l1 = nonlin(np.dot(l0, syn0))
    l2 = nonlin(np.dot(l1, syn1))
    l2_error = y - l2
    l2_delta = l2_error * nonlin(l2, deriv=True)
    l1_error = l2_delta.dot(syn1.T)
    l1_delta = l1_error * nonlin(l1, deriv=True)
    syn1 += l1.T.dot(l2_delta)
    syn0 += l0.T.dot(l1_delta)
"""
LOSS = "np.sum((y - l2) ** 2) / 2"


def check(text: str):
    return check_text(text, "tutorial.py", None, LOSS)


@pytest.mark.parametrize(
    "spelling",
    [
        "nonlin(l2, deriv=True)",
        "nonlin(l2, True)",
        "nonlin(l2, 1)",
    ],
)
def test_the_flag_given_at_the_call_picks_the_derivative(spelling):
    report = check(TUTORIAL.replace("nonlin(l2, deriv=True)", spelling))
    assert report.ok, report.to_text()
    assert {v.name for v in report.verdicts} >= {"l2_delta", "l1_delta"}


@pytest.mark.parametrize(
    "test",
    ["deriv", "deriv is True", "deriv != False", "not deriv == False"],
)
def test_every_usual_test_of_the_flag_is_read(test):
    text = TUTORIAL.replace("if deriv == True:", f"if {test}:")
    if test in ("deriv is True", "not deriv == False"):
        # ``is`` and ``not`` are no array arithmetic: refused in one line, never misread
        with pytest.raises(SymbackpropError) as error:
            check(text)
        assert error.value.line == 4
        return
    assert check(text).ok


def test_the_default_flag_gives_the_function_itself_so_a_missing_flag_is_wrong_at_its_line():
    text = TUTORIAL.replace("nonlin(l2, deriv=True)", "nonlin(l2)")
    report = check(text)
    wrong = {(v.name, v.line) for v in report.verdicts if not v.correct}
    assert ("l2_delta", 17) in wrong, report.to_text()
    assert min(line for _, line in wrong) == 17


def test_an_else_branch_is_read_as_well():
    text = TUTORIAL.replace(
        "    if deriv == True:\n        return x * (1 - x)\n    return 1 / (1 + np.exp(-x))\n",
        "    if deriv:\n        d = x * (1 - x)\n        return d\n    else:\n"
        "        return 1 / (1 + np.exp(-x))\n",
    )
    assert check(text).ok


def test_a_branch_on_array_values_is_refused_naming_the_line():
    text = TUTORIAL.replace("if deriv == True:", "if np.sum(x) > 0:")
    with pytest.raises(SymbackpropError) as error:
        check(text)
    assert error.value.line == 4
    assert "depends on array values" in error.value.message


def test_a_keyword_the_helper_does_not_take_is_refused():
    text = TUTORIAL.replace("nonlin(l2, deriv=True)", "nonlin(l2, derivative=True)")
    with pytest.raises(SymbackpropError) as error:
        check(text)
    assert error.value.line == 17
