"""Losses fused with their output activation, so that forward and backward stay stable."""

from __future__ import annotations

import numpy as np

from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape
from symbackprop.ir.ops.softmax import softmax, softmax_rows

sigmoid = ACTIVATIONS["sigmoid"]


class softmax_xent(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """Per-sample cross-entropy of softmax(Z) against target rows T: shape ``(m, 1)``.

    Fused so that the backward pass is the short and stable ``softmax(Z) - T`` (for target rows
    that sum to one, as one-hot labels do) and the forward pass never takes log of 0.
    """

    nargs = 2
    vjp = (lambda g, z, t: g * (softmax(z) - t), None)
    # Derived, not asserted: the cross-entropy's gradient through the softmax's Jacobian.
    backward_story = (
        "The softmax and the cross-entropy are differentiated together, through the softmax's "
        r"Jacobian. For one sample (a row), $E_s = -\sum_k t_{{k}} \log p_{{k}}$ with "
        r"$p = \operatorname{{softmax}}(z)$, so $\partial E_s / \partial p_{{k}} = "
        r"-t_{{k}} / p_{{k}}$; the softmax couples the entries of a row, "
        r"$\partial p_{{k}} / \partial z_{{j}} = p_{{k}}(\delta_{{jk}} - p_{{j}})$; so "
        r"$\partial E_s / \partial z_{{j}} = \sum_k (-t_{{k}} / p_{{k}})\, "
        r"p_{{k}}(\delta_{{jk}} - p_{{j}}) = -t_{{j}} + p_{{j}} \sum_k t_{{k}} = "
        r"p_{{j}} - t_{{j}}$, as a target row sums to one. Hence the adjoint of ${args[0]}$ is "
        "${rule}$ ($t$: the rows of ${args[1]}$): the prediction minus the target, times $g$, "
        "whatever multiplies the sum."
    )

    @classmethod
    def shape(cls, z: Shape, t: Shape, dims: Dims = EXACT) -> Shape:
        dims.broadcast(z, t)
        return (z[0], 1)

    @classmethod
    def evaluate(cls, math, z, t):
        log_p = math.log(softmax_rows(math, z))
        return -np.sum(t * log_p, axis=1, keepdims=True)

    def latex_form(self, printer) -> str:
        z, t = (printer._print(arg) for arg in self.args)
        return r"\operatorname{CE}\left(\operatorname{softmax}\left(%s\right), %s\right)" % (z, t)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("softmax_xent", self)


class sigmoid_bce(ArrayOpBase):  # noqa: N801
    """Elementwise binary cross-entropy of sigmoid(Z) against T, computed from Z stably."""

    nargs = 2
    vjp = (lambda g, z, t: g * (sigmoid(z) - t), None)
    backward_story = (
        "The sigmoid and the binary cross-entropy are differentiated together: the adjoint of "
        "${args[0]}$ is ${rule}$, because the sigmoid's derivative $\\sigma(1 - \\sigma)$ "
        "cancels the cross-entropy's denominator ($g$: whatever multiplies the loss)."
    )

    @classmethod
    def shape(cls, z: Shape, t: Shape, dims: Dims = EXACT) -> Shape:
        return dims.broadcast(z, t)

    @classmethod
    def evaluate(cls, math, z, t):
        s = 1 / (1 + math.exp(-z))
        return -(t * math.log(s) + (1 - t) * math.log(1 - s))

    def latex_form(self, printer) -> str:
        z, t = (printer._print(arg) for arg in self.args)
        return r"\operatorname{BCE}\left(\sigma\left(%s\right), %s\right)" % (z, t)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("sigmoid_bce", self)
