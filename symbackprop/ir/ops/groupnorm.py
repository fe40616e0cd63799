"""Group normalisation of (samples, features): each sample's features split into ``groups``
equal consecutive groups, each group standardised on its own."""

from __future__ import annotations

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, Dims, Shape
from symbackprop.ir.ops.moments import groupmean, groupvar
from symbackprop.ir.ops.normalise import NormBase, evaluate_standardised, input_adjoint


def _input_adjoint(g, x, groups, eps):
    def mean(v):
        return groupmean(v, groups)

    def var(v):
        return groupvar(v, groups)

    return input_adjoint(g, x, eps, groupnorm(x, groups, eps), mean, var)


class groupnorm(NormBase):  # noqa: N801 - printed as the module's helper of that name
    """``(x - mean) / sqrt(var + eps)``, mean and biased variance over each group of a
    sample's features: ``(m, k) -> (m, k)``, ``k`` a multiple of ``groups``. A layer is
    ``gamma * groupnorm(x, groups, eps) + beta``."""

    nargs = 3
    latex_name = r"\operatorname{GN}"
    vjp = (_input_adjoint, None, None)
    backward_story = (
        r"${node}$ uses ${wrt}$ through the group norm ${call}$: as layer norm, but within "
        r"each group of a sample's features, so for $g$ the adjoint arriving at $\hat{{x}}$ "
        r"the adjoint of an input is $\frac{{1}}{{\sigma}}(g - \operatorname{{mean}} g - "
        r"\hat{{x}} \operatorname{{mean}}(g \hat{{x}}))$, means taken over its group. The "
        r"rule gives ${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, groups: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return cls.check_shape(x)

    @classmethod
    def evaluate(cls, math, x, groups, eps):
        rows, width = np.shape(x)
        if width % int(groups):
            raise ShapeError(f"groupnorm: {width} features do not split into {groups} groups")
        grouped = np.reshape(x, (rows, int(groups), width // int(groups)))
        return np.reshape(evaluate_standardised(math, grouped, eps, 2), (rows, width))
