"""Helpers with a flag argument, as tutorials write them: ``nonlin(x, deriv=False)`` returning
the derivative when the flag is set. The flag given at the call (by keyword, by position or by
its default) picks the branch, nothing is run; a branch on array values is refused in one line.

Labels: the derivative of the sigmoid written in its output, ``s * (1 - s)``, by hand; a
helper called without its flag returns the sigmoid itself, which is no derivative.
"""

from __future__ import annotations

import pytest
from corpus.families_shapes import XOR_MODULE

from symbackprop.check.codecheck import check_text
from symbackprop.errors import SymbackpropError

TUTORIAL = XOR_MODULE.source  # the corpus's own program, labelled there by torch
LOSS = "np.sum((y - l2) ** 2) / 2"
# where the output's delta is computed: the line a missing flag makes wrong
DELTA_LINE = next(
    number
    for number, line in enumerate(TUTORIAL.splitlines(), start=1)
    if line.strip().startswith("l2_delta =")
)


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
    assert ("l2_delta", DELTA_LINE) in wrong, report.to_text()
    assert min(line for _, line in wrong) == DELTA_LINE


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
    assert error.value.line == DELTA_LINE
