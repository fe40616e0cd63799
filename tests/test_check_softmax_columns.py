"""A class whose training step keeps its weights in ``self.params`` and samples as columns,
with a softmax written as ``E / E.sum(axis=0)`` (no keepdims) and a variable named ``E``
beside the loss ``cost``.

Labels by hand: for one-hot columns Y, d(cost)/dZ2 = (A2 - Y) / m; the loss is ``cost``
(``E`` holds exponentials, no loss); ``dZ2 = A2 - Y`` misses the 1/m.
"""

from __future__ import annotations

from corpus.families_shapes import CLASS_COLUMNS

from symbackprop.check.codecheck import check_text

NET = CLASS_COLUMNS.source  # the corpus's own program, labelled there by torch


def test_the_loss_is_the_sum_not_the_exponentials_named_e():
    report = check_text(NET, "net.py", "TwoLayerNet.train_step")
    assert report.loss == "cost"


def test_a_softmax_over_columns_without_keepdims_takes_one_hot_columns_and_is_right():
    report = check_text(NET, "net.py", "TwoLayerNet.train_step")
    assert report.ok, report.to_text()
    assert any("one-hot" in note for note in report.notes)


def test_its_missing_one_over_m_is_blamed_at_its_line():
    report = check_text(
        NET.replace("dZ2 = (A2 - Y) / m", "dZ2 = A2 - Y"), "net.py", "TwoLayerNet.train_step"
    )
    wrong = sorted(v.line for v in report.verdicts if v.status == "wrong")
    assert wrong[:1] == [20], report.to_text()
