"""Integer class labels and row maxima: what a softmax classifier written in NumPy indexes with.

``probs[np.arange(N), y]`` picks, in each row, the entry of that row's label: it is the row sum
of ``probs`` times the one-hot matrix of ``y`` (:class:`onehot`), which is what it means. A
label is read as an integer: the checker draws labels as any numbers, each taken to the class
``floor(label) mod C``, so every row of the one-hot matrix holds exactly one 1.
"""

from __future__ import annotations

import math

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import (
    EXACT,
    ArrayOpBase,
    Dims,
    Shape,
    numpy_operand,
    show_shape,
)
from symbackprop.ir.ops.slicing import axes, plain, size


def _classes(labels: np.ndarray, count: int) -> list[int]:
    return [math.floor(label) % count for label in np.ravel(labels)]


def _ones_at(classes: list[int], shape: tuple[int, int], like: np.ndarray) -> np.ndarray:
    dtype = object if like.dtype == object else float
    result = np.zeros(shape, dtype=dtype)
    result[np.arange(shape[0]), classes] = 1
    return result


class onehot(ArrayOpBase):  # noqa: N801 - printed names follow NumPy's style
    """``np.eye(C)[y]``: one row per label, a 1 in the label's column. Not differentiable:
    labels are data."""

    nargs = 2

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims = EXACT) -> Shape:
        labels = shapes[0]
        if len(labels) != 1:
            raise ShapeError(f"labels must be a vector, not shape {show_shape(labels)}")
        return (labels[0], plain(self.args[1]))

    @classmethod
    def evaluate(cls, math, labels, count):
        labels, count = axes(labels, 1, "onehot"), size(count)
        return _ones_at(_classes(labels, count), (len(labels), count), labels)

    def text_form(self, printer) -> str:
        labels, count = (printer._print(arg) for arg in self.args)
        return f"np.eye({count})[{labels}]"

    numpy_form = text_form

    def latex_form(self, printer) -> str:
        labels, count = (printer._print(arg) for arg in self.args)
        return r"\operatorname{onehot}_{%s}\left(%s\right)" % (count, labels)


class first_argmax(ArrayOpBase):  # noqa: N801
    """1 where each row has its maximum (its first, on ties), 0 elsewhere."""

    nargs = 1

    @classmethod
    def shape(cls, a: Shape, dims: Dims = EXACT) -> Shape:
        return a

    @classmethod
    def evaluate(cls, math, a):
        a = axes(a, 2, "first_argmax")
        return _ones_at(list(np.argmax(a, axis=1)), a.shape, a)

    def numpy_form(self, printer) -> str:
        a = numpy_operand(printer, self.args[0])
        return f"np.eye({a}.shape[1])[np.argmax({a}, axis=1)]"

    text_form = numpy_form


LABEL_OPS = (onehot, first_argmax)
