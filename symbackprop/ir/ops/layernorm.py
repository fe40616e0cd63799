"""Layer normalisation: each sample standardised over its features."""

from __future__ import annotations

from symbackprop.ir.ops.base import EXACT, Dims, Shape
from symbackprop.ir.ops.moments import rowmean, rowvar
from symbackprop.ir.ops.normalise import NormBase, evaluate_standardised, input_adjoint


def _input_adjoint(g, x, eps):
    return input_adjoint(g, x, eps, layernorm(x, eps), rowmean, rowvar)


class layernorm(NormBase):  # noqa: N801 - printed as the module's helper of that name
    """``(x - mean) / sqrt(var + eps)``, mean and biased variance of each sample (row) over
    its features: ``(m, k) -> (m, k)``. A layer is ``gamma * layernorm(x, eps) + beta``."""

    nargs = 2
    latex_name = r"\operatorname{LN}"
    vjp = (_input_adjoint, None)
    backward_story = (
        r"${node}$ uses ${wrt}$ through the layer norm ${call}$, "
        r"$\hat{{x}} = (x - \mu) / \sigma$ with $\mu$ and $\sigma^2 - \epsilon$ the mean and "
        r"biased variance of each sample over its $D$ features, so every feature moves its "
        r"sample's $\mu$ and $\sigma$ too. As for batch norm, but along a row: for $g$ the "
        r"adjoint arriving at $\hat{{x}}$, $\partial E / \partial x_d = \frac{{1}}{{\sigma}}"
        r"\big(g_d - \frac{{1}}{{D}}\sum_k g_k - \hat{{x}}_d \frac{{1}}{{D}}\sum_k g_k "
        r"\hat{{x}}_k\big)$. The rule gives ${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return cls.check_shape(x)

    @classmethod
    def evaluate(cls, math, x, eps):
        return evaluate_standardised(math, x, eps, 1)
