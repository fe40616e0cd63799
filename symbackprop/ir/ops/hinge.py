"""The multiclass SVM (hinge) loss with integer labels, margin 1, as courses define it:
``sum over j != y of max(0, s_j - s_y + 1)`` per sample (no division by the number of
classes, which PyTorch's MultiMarginLoss adds)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, show_shape
from symbackprop.ir.ops.embedding import as_indices
from symbackprop.ir.ops.sums import rowsum


class onehot(ArrayOpBase):  # noqa: N801
    """Integer labels ``y`` (m,) as one-hot rows as wide as ``s`` (m, classes)."""

    nargs = 2
    index_arguments = {0: (1, 1)}
    vjp = (None, lambda g, y, s: sp.S.Zero)

    @classmethod
    def shape(cls, y: Shape, s: Shape, dims: Dims = EXACT) -> Shape:
        return s

    @classmethod
    def evaluate(cls, math, y, s):
        rows = np.zeros_like(np.asarray(s)) * 0  # zeros in the scores' own numbers
        rows[np.arange(len(rows)), as_indices(y)] = rows.flat[0] + 1
        return rows

    def latex_form(self, printer) -> str:
        return r"\operatorname{onehot}\left(%s\right)" % printer._print(self.args[0])

    def numpy_form(self, printer) -> str:
        y, s = (printer._print(a) for a in self.args)
        return f"np.eye({s}.shape[1])[{y}]"


def margins(s, y):
    """``s_j - s_y + 1`` for every class j of each row."""
    return s - rowsum(s * onehot(y, s)) + 1


def _scores_adjoint(g, s, y):
    # A class with a positive margin (not the label) adds 1 to its score's adjoint and
    # takes 1 from the label's.
    label = onehot(y, s)
    active = sp.Piecewise((1, margins(s, y) > 0), (0, True)) * (1 - label)
    return g * (active - label * rowsum(active))


class svm_hinge(ArrayOpBase):  # noqa: N801
    """Per-sample multiclass hinge loss of scores ``s`` (m, classes) against integer labels
    ``y`` (m,): shape ``(m, 1)``."""

    nargs = 2
    index_arguments = {1: (0, 1)}
    vjp = (_scores_adjoint, None)
    backward_story = (
        r"${node}$ uses ${wrt}$ through the hinge loss ${call}$, "
        r"$\sum_{{j \ne y}} \max(0, s_j - s_y + 1)$ per sample: each class $j \ne y$ whose "
        r"margin is positive adds $1$ to the adjoint of its score and takes $1$ from the "
        r"label's score, so the adjoint of ${args[0]}$ is ${rule}$ for $g$ the adjoint arriving "
        r"at the loss."
    )

    @classmethod
    def shape(cls, s: Shape, y: Shape, dims: Dims = EXACT) -> Shape:
        if len(s) != 2 or len(y) != 1 or not dims.unify(s[0], y[0]):
            raise ShapeError(
                f"svm_hinge takes scores (m, classes) and labels (m,), not {show_shape(s)} "
                f"and {show_shape(y)}"
            )
        return (s[0], 1)

    @classmethod
    def evaluate(cls, math, s, y):
        s = np.asarray(s)
        label = as_indices(y)
        rows = np.arange(len(s))
        m = s - s[rows, label][:, None] + 1
        m = np.where(m > 0, m, m * 0)
        m[rows, label] = m.flat[0] * 0
        return np.sum(m, axis=1, keepdims=True)

    def latex_form(self, printer) -> str:
        s, y = (printer._print(a) for a in self.args)
        return r"\operatorname{hinge}\left(%s, %s\right)" % (s, y)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("svm_hinge", self)
