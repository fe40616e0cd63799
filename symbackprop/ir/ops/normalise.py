"""What batch, layer and group norm share: standardising over some entries.

``xhat = (x - mean(x)) / sqrt(var(x) + eps)``, where ``mean`` averages over the entries one
normalisation shares (the samples of a feature, the features of a sample, a group of them) and
``var`` is the biased variance over the same entries. The scale and shift of a layer,
``gamma * xhat + beta``, are ordinary arithmetic around the op: their gradients come from the
elementwise and broadcasting rules. Each op differs only in its statistics (ops of
:mod:`symbackprop.ir.ops.moments`), so the compact backward rule is written once here:

    dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var(x) + eps)

It is what the chain rule through mean and variance gives once simplified on paper: the
adjoint of the centred input is ``g / std`` less its mean, and the variance's path removes
the part along ``xhat``. Derived from the graph (mean and variance as nodes of their own), the
same adjoint comes out unsimplified; the tests hold both against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import sympy as sp

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import ArrayOpBase, Shape, show_shape
from symbackprop.ir.ops.moments import as_number_like

Statistic = Callable[[sp.Expr], sp.Expr]


def input_adjoint(g, x, eps, xhat, mean: Statistic, var: Statistic) -> sp.Expr:
    """The compact backward rule into ``x`` (see the module's docstring), for ``xhat`` the
    standardised input as the op writes it."""
    return (g - mean(g) - xhat * mean(g * xhat)) / sp.sqrt(var(x) + eps)


def evaluate_standardised(math, x, eps, axis: int | tuple[int, ...]):
    """``xhat`` from NumPy arrays: mean and biased variance over ``axis`` (one or several),
    in the caller's numbers."""
    return standardised_and_std(math, x, eps, axis)[0]


def standardised_and_std(math, x, eps, axis: int | tuple[int, ...]):
    """(xhat, std), the statistics kept with the summed axes (the root as exp(log(v) / 2),
    as the callers' math has exp and log only)."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    count = as_number_like(x, int(np.prod([np.shape(x)[a] for a in axes])))
    centred = x - np.sum(x, axis=axes, keepdims=True) / count
    var = np.sum(centred**2, axis=axes, keepdims=True) / count
    std = math.exp(math.log(var + eps) / 2)
    return centred / std, std


class NormBase(ArrayOpBase):
    """A standardisation of ``x`` of shape (samples, features); ``latex_name`` is how formulas
    write it, and the module's helper of the op's name computes it."""

    latex_name: ClassVar[str] = r"\operatorname{norm}"

    @classmethod
    def check_shape(cls, x: Shape) -> Shape:
        if len(x) != 2:
            raise ShapeError(f"{cls.__name__} takes (samples, features), not {show_shape(x)}")
        return x

    def latex_form(self, printer) -> str:
        return r"%s\left(%s\right)" % (self.latex_name, printer._print(self.args[0]))

    def numpy_form(self, printer) -> str:
        return printer.helper_call(type(self).__name__, self)
