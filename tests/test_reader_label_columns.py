"""Integer labels with samples as columns: ``A2[y, np.arange(m)]`` picks, in each column, the
row of its label; ``dZ2[y, np.arange(m)] -= 1`` and a one-hot ``Y[y, np.arange(m)] = 1`` on
zeros write there.

Labels by hand: for a softmax over columns and the mean cross-entropy, dL/dZ2 = (A2 - Y) / m
with Y the one-hot columns of y; leaving out the ``-= 1`` or picking per row is wrong.
"""

from __future__ import annotations

from corpus.families_course import LABELS_COLUMNS

from symbackprop.check.codecheck import check_text
from symbackprop.errors import SymbackpropError

NET = LABELS_COLUMNS.source  # the corpus's own program, labelled there by torch


def wrong(report) -> set[int]:
    return {v.line for v in report.verdicts if not v.correct}


def test_labels_picked_per_column_are_read_and_right():
    report = check_text(NET, "train.py", "train")
    assert report.ok, report.to_text()


def test_a_one_hot_built_on_zeros_per_column_is_the_same_gradient():
    text = NET.replace(
        "        dZ2 = A2.copy()\n        dZ2[y, np.arange(m)] -= 1\n",
        "        Y = np.zeros((W2.shape[0], m))\n        Y[y, np.arange(m)] = 1\n"
        "        dZ2 = A2 - Y\n",
    )
    report = check_text(text, "train.py", "train")
    assert report.ok, report.to_text()


def test_a_wrong_amount_written_at_the_labels_is_wrong_at_that_line():
    text = NET.replace("dZ2[y, np.arange(m)] -= 1", "dZ2[y, np.arange(m)] -= 2")
    report = check_text(text, "train.py", "train")
    assert wrong(report), report.to_text()
    assert min(wrong(report)) == 13, report.to_text()


def test_picking_per_row_where_samples_are_columns_is_never_called_right():
    text = NET.replace("dZ2[y, np.arange(m)] -= 1", "dZ2[np.arange(m), y] -= 1")
    try:
        report = check_text(text, "train.py", "train")
    except SymbackpropError as error:  # refused in one line naming where
        assert error.line is not None
        return
    assert not report.ok, report.to_text()
