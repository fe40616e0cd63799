"""The multiclass SVM (hinge) loss with integer labels, margin 1, as courses define it:
``sum over j != y of max(0, s_j - s_y + 1)`` per sample (no division by the number of
classes, which PyTorch's MultiMarginLoss adds)."""

from __future__ import annotations

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, show_shape
from symbackprop.ir.ops.embedding import as_indices


def positive_margins(s, label):
    """1 where ``s_j - s_y + 1 > 0`` for a class j other than the label y, else 0, in the
    scores' own numbers; and the rows' numbers."""
    rows = np.arange(len(s))
    margins = s - s[rows, label][:, None] + 1
    zero = margins.flat[0] * 0
    active = np.where(margins > 0, zero + 1, zero)
    active[rows, label] = zero
    return active, margins, rows


class svm_hinge_slope(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """The derivative of each sample's hinge loss by its scores: 1 for each class j != y with
    a positive margin, and minus their number at the label y: ``(m, classes)``."""

    nargs = 2

    @classmethod
    def shape(cls, s: Shape, y: Shape, dims: Dims = EXACT) -> Shape:
        return s

    @classmethod
    def evaluate(cls, math, s, y):
        label = as_indices(y)
        active, _, rows = positive_margins(np.asarray(s), label)
        active[rows, label] = -np.sum(active, axis=1)
        return active

    def latex_form(self, printer) -> str:
        s, y = (printer._print(a) for a in self.args)
        return r"\operatorname{hinge}'\left(%s, %s\right)" % (s, y)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("svm_hinge_slope", self)


class svm_hinge(ArrayOpBase):  # noqa: N801
    """Per-sample multiclass hinge loss of scores ``s`` (m, classes) against integer labels
    ``y`` (m,): shape ``(m, 1)``."""

    nargs = 2
    index_arguments = {1: (0, 1)}
    kinked = True
    vjp = (lambda g, s, y: g * svm_hinge_slope(s, y), None)
    backward_story = (
        r"${node}$ uses ${wrt}$ through the hinge loss ${call}$, "
        r"$\sum_{{j \ne y}} \max(0, s_j - s_y + 1)$ per sample: each class $j \ne y$ whose "
        r"margin $s_j - s_y + 1$ is positive adds $1$ to the derivative by its score $s_j$ and "
        r"$-1$ to the derivative by the label's score $s_y$ (a class with a negative margin "
        r"adds nothing), so the adjoint of ${args[0]}$ is ${rule}$, "
        r"$\operatorname{{hinge}}'$ being that matrix of $1$s, $0$s and minus counts, for $g$ "
        r"the adjoint arriving at the loss."
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
        active, margins, _ = positive_margins(np.asarray(s), as_indices(y))
        return np.sum(active * margins, axis=1, keepdims=True)

    def latex_form(self, printer) -> str:
        s, y = (printer._print(a) for a in self.args)
        return r"\operatorname{hinge}\left(%s, %s\right)" % (s, y)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("svm_hinge", self)
