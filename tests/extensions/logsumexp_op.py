"""A new array op, defined in this one file only: the row-wise log-sum-exp.

``logsumexp(z)`` is ``log(sum(exp(z), axis=1, keepdims=True))``, a column ``(m, 1)``, computed
stably (the row maximum taken out first). Its backward rule is ``g * softmax(z)``. Nothing else
in symbackprop names it: derive, explain, generate, verify and check take it from the class.
"""

from __future__ import annotations

import numpy as np

from symbackprop.ir.ops import EXACT, ArrayOpBase, Dims, Shape, softmax
from symbackprop.ir.ops.base import numpy_operand


class logsumexp(ArrayOpBase):  # noqa: N801 - printed names follow NumPy / SciPy
    """Row-wise log-sum-exp: ``(m, k) -> (m, 1)``."""

    nargs = 1
    vjp = (lambda g, z: g * softmax(z),)
    backward_story = (
        "${node}$ is the log-sum-exp of each row of ${args[0]}$; its derivative by an entry "
        "is that entry's share of the row's exponentials, a softmax, so the adjoint of "
        "${args[0]}$ is ${rule}$, for $g$ the adjoint arriving at ${node}$."
    )

    @classmethod
    def shape(cls, z: Shape, dims: Dims = EXACT) -> Shape:
        return (z[0], 1)

    @classmethod
    def evaluate(cls, math, z):
        top = np.max(z, axis=1, keepdims=True)
        return top + math.log(np.sum(math.exp(z - top), axis=1, keepdims=True))

    def latex_form(self, printer) -> str:
        return r"\operatorname{LSE}\left(%s\right)" % printer._print(self.args[0])

    def numpy_form(self, printer) -> str:
        z = numpy_operand(printer, self.args[0])
        top = f"np.max({z}, axis=1, keepdims=True)"
        return f"{top} + np.log(np.sum(np.exp({z} - {top}), axis=1, keepdims=True))"
