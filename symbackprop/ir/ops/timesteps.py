"""One time step of a batch of sequences, the adjoint that puts it back in its place, and
the joins that adjoints read part by part add up to.

A recurrent layer in a layer list is unrolled over its sequences' T steps: step t reads
``x[:, t]`` (m, n) of the input (m, T, n). The adjoint of that read is zeros shaped like the
input but for step t; the T reads' adjoints add up to the input's whole adjoint, which is the
T adjoints stacked (:class:`stacked_steps`). An LSTM's gates read column blocks of one array,
and their adjoints join side by side the same way (:class:`joined_cols`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, numpy_operand, show_shape
from symbackprop.ir.ops.slicing import size


class time_step(ArrayOpBase):  # noqa: N801 - printed as NumPy indexing x[:, t]
    """``x[:, t]``: step ``t`` (from 0) of every sequence of ``x`` (m, T, n): (m, n)."""

    nargs = 2
    settings = 1  # the step is a number
    vjp = (lambda g, x, t: time_step_into(g, x, t), None)
    backward_story = (
        "${node}$ reads one time step of every sequence of ${args[0]}$ ${shapes[0]}$, at index "
        "${args[1]}$ along time; the other steps do not move it, so the adjoint is $g$ at that "
        "index and zero at the others: ${rule}$ ${wrt_shape}$. The adjoints of the reads of "
        "every step, side by side, are the whole adjoint of ${args[0]}$."
    )

    @classmethod
    def shape(cls, x: Shape, t: int, dims: Dims = EXACT) -> Shape:
        if len(x) != 3:
            raise ShapeError(f"a time step needs sequences (m, T, n), not {show_shape(x)}")
        if isinstance(x[1], int) and not 0 <= t < x[1]:
            raise ShapeError(f"step {t} is outside sequences of {x[1]} steps")
        return (x[0], x[2])

    @classmethod
    def evaluate(cls, math, x, t):
        return np.asarray(x)[:, size(t)]

    def text_form(self, printer) -> str:
        x, t = self.args
        return f"{printer._print(x)}[:, {printer._print(t)}]"

    def latex_form(self, printer) -> str:
        x, t = (printer._print(a) for a in self.args)
        return r"{%s}_{[:, %s]}" % (x, t)

    def numpy_form(self, printer) -> str:
        x, t = self.args
        return f"{numpy_operand(printer, x)}[:, {printer._print(t)}]"


class time_step_into(ArrayOpBase):  # noqa: N801 - printed as the module's helper of that name
    """``time_step_into(g, x, t)``: zeros shaped like ``x`` (m, T, n) but for step ``t``,
    which holds ``g`` (m, n): the adjoint of :class:`time_step`."""

    nargs = 3
    settings = 1

    @classmethod
    def shape(cls, g: Shape, x: Shape, t: int, dims: Dims = EXACT) -> Shape:
        return x

    @classmethod
    def evaluate(cls, math, g, x, t):
        x = np.asarray(x)
        result = np.zeros(x.shape, dtype=np.result_type(g, x))
        result[:, size(t)] = g
        return result

    def text_form(self, printer) -> str:
        g, x, t = (printer._print(a) for a in self.args)
        return f"time_step_into({g}, {x}, {t})"

    def latex_form(self, printer) -> str:
        g, x, t = (printer._print(a) for a in self.args)
        return r"\operatorname{at\,step}_{%s}\left(%s; %s\right)" % (t, g, x)

    def numpy_form(self, printer) -> str:
        return printer.helper_call("time_step_into", self)


# -- adjoints put back together from their parts --------------------------------------------------
class JoinedBase(ArrayOpBase):
    """Parts joined along an axis into one array (``np.concatenate`` or ``np.stack``): what
    the adjoints of an array's slices add up to when every slice is read once."""

    # Ops are SymPy functions: any number of parts.
    function: str = ""  # NumPy's name of the join
    axis = 1

    def text_form(self, printer) -> str:
        parts = ", ".join(printer._print(a) for a in self.args)
        return f"{self.function}(({parts}), axis={self.axis})"

    def numpy_form(self, printer) -> str:
        parts = ", ".join(printer._print(a) for a in self.args)
        return f"{printer._module_format('numpy.' + self.function)}(({parts}), axis={self.axis})"


class joined_cols(JoinedBase):  # noqa: N801 - printed as np.concatenate(..., axis=1)
    """The columns of each part (m, n_k), side by side: (m, n_1 + ... + n_K)."""

    function = "concatenate"

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        if any(len(s) != 2 for s in shapes):
            raise ShapeError(f"cannot join columns of {', '.join(map(show_shape, shapes))}")
        return (shapes[0][0], sum(s[1] for s in shapes))

    @classmethod
    def evaluate(cls, math, *parts):
        return np.concatenate([np.asarray(p) for p in parts], axis=1)

    def latex_form(self, printer) -> str:
        parts = " & ".join(printer._print(a) for a in self.args)
        return r"\begin{bmatrix} %s \end{bmatrix}" % parts


class _EveryPart(Sequence):
    """The backward rules of a join of any number of parts: part k's adjoint is ``pick(g, k)``,
    the adjoint's own part k."""

    def __init__(self, pick):
        self.pick = pick

    def __len__(self) -> int:
        return MAX_PARTS

    def __getitem__(self, k):
        return lambda g, *parts: self.pick(g, k)


MAX_PARTS = 10_000  # more parts than any join the layers make


class stacked_steps(JoinedBase):  # noqa: N801 - printed as np.stack(..., axis=1)
    """Each part (m, n) as one step of sequences (m, T, n), in order."""

    function = "stack"
    vjp = _EveryPart(lambda g, k: time_step(g, k))
    backward_story = (
        "${node}$ stacks ${wrt}$ as one time step of sequences, each step moved without "
        "change, so its adjoint is the adjoint $g$ at that step: ${rule}$ ${wrt_shape}$."
    )

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        if any(len(s) != 2 for s in shapes):
            raise ShapeError(f"cannot stack steps of {', '.join(map(show_shape, shapes))}")
        return (shapes[0][0], len(shapes), shapes[0][1])

    @classmethod
    def evaluate(cls, math, *parts):
        return np.stack([np.asarray(p) for p in parts], axis=1)

    def latex_form(self, printer) -> str:
        parts = ", ".join(printer._print(a) for a in self.args)
        return r"\operatorname{steps}\left(%s\right)" % parts


class zeros_of(ArrayOpBase):  # noqa: N801 - printed as np.zeros_like(a)
    """Zeros shaped like ``a`` (only its shape is read): a part no adjoint reaches."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a

    @classmethod
    def evaluate(cls, math, a):
        return np.asarray(a) * 0

    def text_form(self, printer) -> str:
        return f"zeros_like({printer._print(self.args[0])})"

    def latex_form(self, printer) -> str:
        return r"\mathbf{0}"

    def numpy_form(self, printer) -> str:
        return f"{printer._module_format('numpy.zeros_like')}({printer._print(self.args[0])})"
