"""Batch normalisation in training mode: each feature standardised over the batch."""

from __future__ import annotations

from symbackprop.ir.ops.base import EXACT, Dims, Shape
from symbackprop.ir.ops.moments import colmean, colvar
from symbackprop.ir.ops.normalise import NormBase, evaluate_standardised, input_adjoint


def _input_adjoint(g, x, eps):
    return input_adjoint(g, x, eps, batchnorm(x, eps), colmean, colvar)


class batchnorm(NormBase):  # noqa: N801 - printed as the module's helper of that name
    """``(x - mean) / sqrt(var + eps)``, mean and biased variance of each feature (column)
    over the samples (rows): ``(m, k) -> (m, k)``. A layer is ``gamma * batchnorm(x, eps) +
    beta``."""

    nargs = 2
    latex_name = r"\operatorname{BN}"
    vjp = (_input_adjoint, None)
    backward_story = (
        r"${node}$ uses ${wrt}$ through the batch norm ${call}$, "
        r"$\hat{{x}} = (x - \mu) / \sigma$ with $\mu$ and $\sigma^2 - \epsilon$ the mean and "
        r"biased variance of each feature over the $N$ samples, so every sample moves "
        r"$\mu$ and $\sigma$ too. On paper, for one feature and $g$ the adjoint arriving at "
        r"$\hat{{x}}$: through $\sigma^2$, $\partial E / \partial \sigma^2 = "
        r"-\frac{{1}}{{2\sigma^2}} \sum_n g_n \hat{{x}}_n$; through $\mu$, "
        r"$\partial E / \partial \mu = -\frac{{1}}{{\sigma}} \sum_n g_n$ (the variance's path "
        r"through $\mu$ sums to zero); with $\partial \sigma^2 / \partial x_n = "
        r"2 (x_n - \mu) / N$ and $\partial \mu / \partial x_n = 1 / N$, "
        r"$\partial E / \partial x_n = \frac{{1}}{{\sigma}}\big(g_n - \frac{{1}}{{N}}\sum_k "
        r"g_k - \hat{{x}}_n \frac{{1}}{{N}}\sum_k g_k \hat{{x}}_k\big)$. The rule gives "
        r"${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return cls.check_shape(x)

    @classmethod
    def evaluate(cls, math, x, eps):
        return evaluate_standardised(math, x, eps, 0)
