"""Maxima: of every element, over the samples (axis 0), over each row (axis 1).

Hand-written code takes them to shift a softmax (``z - np.max(z, axis=1, keepdims=True)``) or
to pool. The adjoint of a maximum goes to the entries that attain it: ``g`` times the
indicator of ``a`` equal to its (broadcast) maximum, NumPy's and PyTorch's subgradient when
the maximum is unique.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.ir.ops.base import EXACT, Dims, Shape
from symbackprop.ir.ops.sums import ReductionBase, as_column


def at_maximum(a: sp.Expr, top: sp.Expr) -> sp.Expr:
    """1 where ``a`` equals ``top`` (its maximum, broadcast against it), else 0."""
    return sp.Piecewise((1, sp.Eq(a, top, evaluate=False)), (0, True))


class MaxBase(ReductionBase):
    """A maximum (see :class:`~symbackprop.ir.ops.sums.ReductionBase`)."""

    method = "max"
    latex_operator = r"\max"
    backward_story = (
        "${node}$ uses ${wrt}$ through the maximum ${call}$: only the entries that attain it "
        "move it, so the adjoint $g$ arriving at the maximum goes to them alone (the rule "
        "gives ${rule}$)."
    )


class total_max(MaxBase):  # noqa: N801 - printed names follow NumPy
    """The largest element: a scalar."""

    vjp = (lambda g, a: g * at_maximum(a, total_max(a)),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return ()

    def keywords(self) -> str:
        return ""  # a.max()


class colmax(MaxBase):  # noqa: N801
    """The maximum over the samples (axis 0): ``(m, k) -> (k,)``."""

    latex_operator = r"\max_{\text{rows}}"
    axis = 0
    vjp = (lambda g, a: g * at_maximum(a, colmax(a)),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a[1:]


class colmax_keepdims(MaxBase):  # noqa: N801
    """The maximum over the samples keeping a row: ``(m, k) -> (1, k)``."""

    latex_operator = r"\max_{\text{rows}}"
    axis, keepdims = 0, True
    vjp = (lambda g, a: g * at_maximum(a, colmax_keepdims(a)),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return (1, a[1])


class rowmax(MaxBase):  # noqa: N801
    """The maximum of each row, keeping it a column: ``(m, k) -> (m, 1)``."""

    latex_operator = r"\max_{\text{cols}}"
    axis, keepdims = 1, True
    vjp = (lambda g, a: g * at_maximum(a, rowmax(a)),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return (a[0], 1)


class rowmax_flat(MaxBase):  # noqa: N801
    """The maximum of each row, dropping the axis: ``(m, k) -> (m,)``."""

    latex_operator = r"\max_{\text{cols}}"
    axis = 1
    vjp = (lambda g, a: as_column(g) * at_maximum(a, as_column(rowmax_flat(a))),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a[:1]
