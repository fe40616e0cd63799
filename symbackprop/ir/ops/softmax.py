"""Row-wise softmax."""

from __future__ import annotations

import numpy as np

from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape
from symbackprop.ir.ops.sums import rowsum


def softmax_rows(math, z):
    """Softmax of each row, shifted by the row maximum so that exp never overflows."""
    exps = math.exp(z - np.max(z, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)


class softmax(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """Row-wise softmax."""

    nargs = 1
    # A softmax couples the entries of a row: d a_k / d z_j = a_k (delta_jk - a_j).
    vjp = (lambda g, z: softmax(z) * (g - rowsum(g * softmax(z))),)
    backward_story = (
        r"A softmax couples the entries of a row: $\partial a_{{k}} / \partial z_{{j}} = "
        r"a_{{k}}(\delta_{{jk}} - a_{{j}})$, so the adjoint of ${args[0]}$ is ${rule}$ row by "
        "row, for $g$ the adjoint arriving at the softmax."
    )

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a

    @classmethod
    def evaluate(cls, math, z):
        return softmax_rows(math, z)

    def latex_form(self, printer) -> str:
        return r"\operatorname{softmax}\left(%s\right)" % printer._print(self.args[0])

    def numpy_form(self, printer) -> str:
        return printer.helper_call("softmax", self)
