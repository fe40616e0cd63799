"""Embedding lookup: row ``idx[n]`` of a weight table for each index, and its backward
scatter, where an index that repeats accumulates (``np.add.at``), never overwrites."""

from __future__ import annotations

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, numpy_operand, show_shape


def as_indices(values) -> np.ndarray:
    """Integer indices from an array of any numbers (floats, Fractions, mpfs)."""
    return np.asarray(values).astype(int)


class embedding(ArrayOpBase):  # noqa: N801 - printed as NumPy indexing W[idx]
    """``W[idx]``: ``idx`` of shape (m,) or (m, T) holding row numbers of ``W`` (vocabulary,
    width), gives (m, width) or (m, T, width)."""

    nargs = 2
    # index arguments: their position, and the argument and axis whose length bounds them
    index_arguments = {0: (1, 0)}
    vjp = (None, lambda g, idx, w: embedding_grad(g, idx, w))
    backward_story = (
        "${node}$ uses ${wrt}$ through the lookup ${call}$: each row of the result is the row "
        "of ${wrt}$ that its index names, so each row of the adjoint $g$ arriving at the "
        "lookup goes back to that row of ${wrt}$, and an index that repeats collects the sum "
        "of its rows: ${rule}$."
    )

    @classmethod
    def shape(cls, idx: Shape, w: Shape, dims: Dims = EXACT) -> Shape:
        if len(idx) not in (1, 2) or len(w) != 2:
            raise ShapeError(
                f"embedding takes indices (m,) or (m, T) and a table (rows, width), not "
                f"{show_shape(idx)} and {show_shape(w)}"
            )
        return (*idx, w[1])

    @classmethod
    def evaluate(cls, math, idx, w):
        return np.asarray(w)[as_indices(idx)]

    def latex_form(self, printer) -> str:
        idx, w = (printer._print(a) for a in self.args)
        return r"%s\left[%s\right]" % (w, idx)

    def numpy_form(self, printer) -> str:
        idx, w = self.args
        return f"{numpy_operand(printer, w)}[{printer._print(idx)}]"


class embedding_grad(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """The adjoint of an embedding table: rows of ``g`` added into a zero table shaped like
    ``w`` at rows ``idx``, repeated indices summing."""

    nargs = 3

    @classmethod
    def shape(cls, g: Shape, idx: Shape, w: Shape, dims: Dims = EXACT) -> Shape:
        return w

    @classmethod
    def evaluate(cls, math, g, idx, w):
        table = np.asarray(w) * 0  # zeros in the table's own numbers
        np.add.at(table, as_indices(idx), g)
        return table

    def latex_form(self, printer) -> str:
        g, idx, w = (printer._print(a) for a in self.args)
        return r"\operatorname{scatter}_{%s}\left(%s; %s\right)" % (w, g, idx)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("embedding_grad", self)
