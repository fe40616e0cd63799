"""Inverted dropout with an explicit mask: ``x * mask / p_keep``.

The mask (ones where a unit is kept, zeros where dropped) is an input of the model, drawn by
whoever runs it, so the forward pass is a plain function of known values and the same mask
gives the same gradient in any framework.
"""

from __future__ import annotations

from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, latex_operand, numpy_operand


class dropout(ArrayOpBase):  # noqa: N801
    """``x * mask / p_keep``: kept units scaled by ``1 / p_keep`` so that the expected value is
    unchanged, dropped units zero."""

    nargs = 3
    # Linear in x and diagonal: the adjoint is masked and scaled the same way.
    vjp = (lambda g, x, mask, p_keep: dropout(g, mask, p_keep), None, None)
    backward_story = (
        "${node}$ uses ${wrt}$ through the inverted dropout ${call}$, which multiplies each "
        "entry by its mask entry divided by the keep probability; so the adjoint of ${wrt}$ is "
        "masked and scaled the same way: ${rule}$ for $g$ the adjoint arriving at the dropout "
        "(dropped units get no gradient)."
    )

    @classmethod
    def shape(cls, x: Shape, mask: Shape, p_keep: Shape, dims: Dims = EXACT) -> Shape:
        return dims.broadcast(x, mask, p_keep)

    @classmethod
    def evaluate(cls, math, x, mask, p_keep):
        return x * mask / p_keep

    def latex_form(self, printer) -> str:
        x, mask = (latex_operand(printer, a) for a in self.args[:2])
        return r"\frac{%s \odot %s}{%s}" % (x, mask, printer._print(self.args[2]))

    def numpy_form(self, printer) -> str:
        x, mask, p_keep = (numpy_operand(printer, a) for a in self.args)
        return f"{x} * {mask} / {p_keep}"
