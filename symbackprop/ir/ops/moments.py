"""Means and biased variances: over the samples (axis 0), over each row (axis 1), within
groups of a row's features; and the length of an axis, which their backward rules divide by.

Normalisation layers are built from these: batch norm's statistics are over the samples, layer
norm's over each row, group norm's over groups of a row's features.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    latex_operand,
    numpy_operand,
    show_shape,
    text_operand,
)


def as_number_like(array, count: int):
    """``count`` in the numbers of ``array`` (a Fraction, an mpf or a float), so that dividing
    by it stays exact where the array is."""
    return np.asarray(array).flat[0] * 0 + count


class axis_length(ArrayOpBase):  # noqa: N801 - printed as NumPy's x.shape[axis]
    """The length of axis ``axis`` of ``x``: a scalar (``N`` samples, ``D`` features)."""

    nargs = 2
    # A count does not change when the values do.
    vjp = (lambda g, x, axis: sp.S.Zero, None)

    @classmethod
    def shape(cls, x: Shape, axis: Shape, dims: Dims = EXACT) -> Shape:
        return ()

    @classmethod
    def evaluate(cls, math, x, axis):
        return as_number_like(x, np.shape(x)[int(axis)])

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.shape[{self.args[1]}]"

    def latex_form(self, printer) -> str:
        letter = "N" if self.args[1] == 0 else "D"
        return f"{letter}_{{{printer._print(self.args[0])}}}"

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}.shape[{self.args[1]}]"


class MeanBase(ArrayOpBase):
    """A mean of a 2-D array over ``axis``; each entry counts ``1 / length``, so the adjoint
    spreads back divided by the length (broadcast, as a sum's is)."""

    nargs = 1
    axis: ClassVar[int] = 0
    keepdims: ClassVar[bool] = False
    latex_operator: ClassVar[str] = r"\operatorname{mean}"
    backward_story = (
        "${node}$ uses ${wrt}$ through the mean ${call}$: every entry averaged counts once "
        "divided by their number, so the adjoint $g$ arriving at the mean spreads back to each "
        "of them by broadcasting, divided (the rule gives ${rule}$)."
    )

    @classmethod
    def evaluate(cls, math, a):
        count = as_number_like(a, np.shape(a)[cls.axis])
        return np.sum(a, axis=cls.axis, keepdims=cls.keepdims) / count

    def keywords(self) -> str:
        return f"axis={self.axis}" + (", keepdims=True" if self.keepdims else "")

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.mean({self.keywords()})"

    def latex_form(self, printer) -> str:
        return f"{self.latex_operator} {latex_operand(printer, self.args[0])}"

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}.mean({self.keywords()})"


def _two_dimensional(a: Shape, what: str) -> None:
    # A scalar passes: it stands for a value the same in every entry (an explanation's
    # adjoint g), whose mean is itself.
    if len(a) not in (0, 2):
        raise ShapeError(f"{what} takes a 2-D array (samples, features), not {show_shape(a)}")


class colmean(MeanBase):  # noqa: N801
    """Mean over the samples (axis 0): ``(m, k) -> (k,)``, batch norm's statistics."""

    latex_operator = r"\operatorname{mean}_{\text{rows}}"
    vjp = (lambda g, a: g / axis_length(a, 0),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "colmean")
        return a[1:]


class rowmean(MeanBase):  # noqa: N801
    """Mean over each row, kept a column: ``(m, k) -> (m, 1)``, layer norm's statistics."""

    latex_operator = r"\operatorname{mean}_{\text{cols}}"
    axis, keepdims = 1, True
    vjp = (lambda g, a: g / axis_length(a, 1),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "rowmean")
        return a and (a[0], 1)


class VarianceBase(MeanBase):
    """The biased variance (divided by the count, as normalisation layers use it) over
    ``axis``: each entry's adjoint is ``2 (x - mean) g / length`` (the mean's own path sums to
    zero over the entries)."""

    latex_operator = r"\operatorname{var}"
    backward_story = (
        "${node}$ uses ${wrt}$ through the variance ${call}$: each entry's derivative is twice "
        "its distance from the mean divided by their number (through the mean the entries' "
        "pulls cancel), so the rule gives ${rule}$ for $g$ the adjoint arriving at it."
    )

    @classmethod
    def evaluate(cls, math, a):
        count = as_number_like(a, np.shape(a)[cls.axis])
        centred = a - np.sum(a, axis=cls.axis, keepdims=True) / count
        return np.sum(centred**2, axis=cls.axis, keepdims=cls.keepdims) / count

    def text_form(self, printer) -> str:
        return f"{text_operand(printer, self.args[0])}.var({self.keywords()})"

    def numpy_form(self, printer) -> str:
        return f"{numpy_operand(printer, self.args[0])}.var({self.keywords()})"


class colvar(VarianceBase):  # noqa: N801
    """Biased variance over the samples: ``(m, k) -> (k,)``."""

    latex_operator = r"\operatorname{var}_{\text{rows}}"
    vjp = (lambda g, a: 2 * (a - colmean(a)) * g / axis_length(a, 0),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "colvar")
        return a[1:]


class rowvar(VarianceBase):  # noqa: N801
    """Biased variance over each row, kept a column: ``(m, k) -> (m, 1)``."""

    latex_operator = r"\operatorname{var}_{\text{cols}}"
    axis, keepdims = 1, True
    vjp = (lambda g, a: 2 * (a - rowmean(a)) * g / axis_length(a, 1),)

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "rowvar")
        return a and (a[0], 1)


class groupmean(ArrayOpBase):  # noqa: N801
    """The mean of each group of ``groups`` consecutive equal groups of a row's features,
    written back over the group: ``(m, k) -> (m, k)``, group norm's statistics.

    Averaging within groups is symmetric, so its backward rule is itself.
    """

    nargs = 2
    vjp = (lambda g, a, groups: groupmean(g, groups), None)
    backward_story = (
        "${node}$ uses ${wrt}$ through the group mean ${call}$: averaging within a group is "
        "symmetric, so the adjoint $g$ arriving at it is averaged the same way (the rule gives "
        "${rule}$)."
    )

    @classmethod
    def shape(cls, a: Shape, groups: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "groupmean")
        return a

    @classmethod
    def evaluate(cls, math, a, groups):
        rows, width = np.shape(a)
        grouped = np.reshape(a, (rows, int(groups), width // int(groups)))
        count = as_number_like(a, width // int(groups))
        means = np.sum(grouped, axis=2, keepdims=True) / count
        return np.reshape(np.broadcast_to(means, grouped.shape), (rows, width))

    def latex_form(self, printer) -> str:
        return r"\operatorname{mean}_{\text{group}} %s" % latex_operand(printer, self.args[0])

    def numpy_form(self, printer) -> str:
        return printer.helper_call("groupmean", self)


class groupvar(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """The biased variance of each group of ``groups`` consecutive equal groups of a row's
    features, written back over the group: ``(m, k) -> (m, k)``. An entry's adjoint is
    ``2 (a - mean) mean(g)``, the means over its group."""

    nargs = 2
    vjp = (lambda g, a, groups: 2 * (a - groupmean(a, groups)) * groupmean(g, groups), None)
    backward_story = VarianceBase.backward_story

    @classmethod
    def shape(cls, a: Shape, groups: Shape, dims: Dims = EXACT) -> Shape:
        _two_dimensional(a, "groupvar")
        return a

    @classmethod
    def evaluate(cls, math, a, groups):
        centred = a - groupmean.evaluate(math, a, groups)
        return groupmean.evaluate(math, centred**2, groups)

    def latex_form(self, printer) -> str:
        return r"\operatorname{var}_{\text{group}} %s" % latex_operand(printer, self.args[0])

    def numpy_form(self, printer) -> str:
        return printer.helper_call("groupvar", self)
