"""Batch and group normalisation of NCHW images, and each channel's scale and shift.

On images (m, C, H, W) the statistics are shared more widely than on rows:

- spatial batch norm (PyTorch's ``BatchNorm2d`` in training mode) standardises each channel
  over the samples *and* the positions, axes (0, 2, 3);
- spatial group norm (``GroupNorm``) standardises each group of C / G consecutive channels of
  one sample over those channels and every position.

The compact backward rule is the one rows have (:mod:`symbackprop.ir.ops.normalise`), with the
means taken over the same entries as the statistics:

    dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var(x) + eps)

A layer scales and shifts each channel, ``gamma[c] * xhat + beta[c]`` (``gamma`` and ``beta``
of shape (C,)); :class:`channel_scale` and :class:`channel_shift` are those two steps, their
parameters' adjoints summed over the samples and the positions.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from symbackprop.errors import ShapeError
from symbackprop.ir.ops.base import EXACT, ArrayOpBase, Dims, Shape, numpy_operand, show_shape
from symbackprop.ir.ops.conv import channel_sum
from symbackprop.ir.ops.moments import as_number_like
from symbackprop.ir.ops.normalise import standardised_and_std


def _shared(x, groups):
    """``x`` (m, C, H, W) as a view whose axes ``axes`` hold the entries one statistic
    shares: (m, C, H, W) over (0, 2, 3) for batch norm (``groups`` 0), (m, G, C/G*H*W) over
    axis 2 for group norm."""
    if not groups:
        return x, (0, 2, 3)
    return np.reshape(x, (np.shape(x)[0], int(groups), -1)), (2,)


def _standardised(math, x, groups, eps):
    """(xhat, std) in the shared view of ``x``."""
    view, axes = _shared(x, groups)
    return standardised_and_std(math, view, eps, axes)


def standardised_images(math, x, groups, eps):
    xhat, _ = _standardised(math, x, groups, eps)
    return np.reshape(xhat, np.shape(x))


def standardised_images_grad(math, g, x, groups, eps):
    """The compact backward rule (the module's docstring), in the shared view."""
    xhat, std = _standardised(math, x, groups, eps)
    view, axes = _shared(g, groups)
    count = as_number_like(view, int(np.prod([np.shape(view)[a] for a in axes])))

    def mean(v):
        return np.sum(v, axis=axes, keepdims=True) / count

    dx = (view - mean(view) - xhat * mean(view * xhat)) / std
    return np.reshape(dx, np.shape(x))


def _check_images(name: str, x: Shape) -> Shape:
    if len(x) != 4:
        raise ShapeError(f"{name} needs images (m, C, H, W), not {show_shape(x)}")
    return x


class ImageNormBase(ArrayOpBase):
    """A standardisation of images (m, C, H, W): ``groups`` 0 for batch norm's statistics."""

    latex_name: ClassVar[str] = r"\operatorname{norm}"

    def latex_form(self, printer) -> str:
        return r"%s\left(%s\right)" % (self.latex_name, printer._print(self.args[0]))

    def numpy_form(self, printer) -> str:
        return printer.helper_call(type(self).__name__, self)


class spatial_batchnorm(ImageNormBase):  # noqa: N801 - printed as the module's helper
    """``(x - mean) / sqrt(var + eps)`` with the mean and biased variance of each channel over
    the samples and the positions: (m, C, H, W) -> (m, C, H, W)."""

    nargs = 2
    latex_name = r"\operatorname{BN}_{2d}"
    vjp = (lambda g, x, eps: spatial_batchnorm_grad(g, x, eps), None)
    backward_story = (
        r"${node}$ uses ${wrt}$ ${shapes[0]}$ through the spatial batch norm ${call}$: each "
        r"channel is standardised over the $N$ samples and the $H W$ positions together, "
        r"$\hat{{x}} = (x - \mu_c) / \sigma_c$, so every entry of a channel moves that "
        r"channel's $\mu_c$ and $\sigma_c$. As for batch norm on rows, with the means over "
        r"the $N H W$ entries of a channel: for $g$ the adjoint arriving at $\hat{{x}}$, "
        r"$\partial E / \partial x = \frac{{1}}{{\sigma_c}}\big(g - \operatorname{{mean}}_c g"
        r" - \hat{{x}} \operatorname{{mean}}_c(g \hat{{x}})\big)$. The rule gives ${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return _check_images("spatial_batchnorm", x)

    @classmethod
    def evaluate(cls, math, x, eps):
        return standardised_images(math, x, 0, eps)


class spatial_batchnorm_grad(ImageNormBase):  # noqa: N801
    """``spatial_batchnorm_grad(g, x, eps)``: the adjoint of a spatial batch norm's input."""

    nargs = 3
    latex_name = r"\operatorname{BN}_{2d}'"

    @classmethod
    def shape(cls, g: Shape, x: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return _check_images("spatial_batchnorm_grad", x)

    @classmethod
    def evaluate(cls, math, g, x, eps):
        return standardised_images_grad(math, g, x, 0, eps)

    def latex_form(self, printer) -> str:
        g, x = (printer._print(a) for a in self.args[:2])
        return r"%s\left(%s; %s\right)" % (self.latex_name, g, x)


class spatial_groupnorm(ImageNormBase):  # noqa: N801 - printed as the module's helper
    """``(x - mean) / sqrt(var + eps)`` with the statistics of each group of C / ``groups``
    consecutive channels of a sample, over those channels and every position."""

    nargs = 3
    latex_name = r"\operatorname{GN}_{2d}"
    vjp = (lambda g, x, groups, eps: spatial_groupnorm_grad(g, x, groups, eps), None, None)
    backward_story = (
        r"${node}$ uses ${wrt}$ ${shapes[0]}$ through the spatial group norm ${call}$: each "
        r"sample's channels are split into ${args[1]}$ groups, and each group standardised "
        r"over its channels and every position. For $g$ the adjoint arriving at "
        r"$\hat{{x}}$, $\partial E / \partial x = \frac{{1}}{{\sigma}}\big(g - "
        r"\operatorname{{mean}} g - \hat{{x}} \operatorname{{mean}}(g \hat{{x}})\big)$, the "
        r"means over the entries of the group. The rule gives ${rule}$."
    )

    @classmethod
    def shape(cls, x: Shape, groups: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return _check_images("spatial_groupnorm", x)

    def shape_at(self, shapes, dims):
        channels, groups = shapes[0][1], self.args[1]
        if isinstance(channels, int) and channels % int(groups):
            raise ShapeError(f"spatial_groupnorm: {channels} channels do not split into {groups}")
        return super().shape_at(shapes, dims)

    @classmethod
    def evaluate(cls, math, x, groups, eps):
        return standardised_images(math, x, groups, eps)


class spatial_groupnorm_grad(ImageNormBase):  # noqa: N801
    """``spatial_groupnorm_grad(g, x, groups, eps)``: the adjoint of a spatial group norm's
    input."""

    nargs = 4
    latex_name = r"\operatorname{GN}_{2d}'"

    @classmethod
    def shape(cls, g: Shape, x: Shape, groups: Shape, eps: Shape, dims: Dims = EXACT) -> Shape:
        return _check_images("spatial_groupnorm_grad", x)

    @classmethod
    def evaluate(cls, math, g, x, groups, eps):
        return standardised_images_grad(math, g, x, groups, eps)

    def latex_form(self, printer) -> str:
        g, x = (printer._print(a) for a in self.args[:2])
        return r"%s\left(%s; %s\right)" % (self.latex_name, g, x)


class ChannelBase(ArrayOpBase):
    """Images (m, C, H, W) and one number per channel (C,), broadcast over the samples and
    the positions as ``v[:, None, None]``."""

    nargs = 2
    symbol: ClassVar[str] = "*"

    @classmethod
    def shape(cls, x: Shape, v: Shape, dims: Dims = EXACT) -> Shape:
        if len(x) != 4 or len(v) != 1 or not dims.unify(x[1], v[0]):
            raise ShapeError(
                f"{cls.__name__} needs images (m, C, H, W) and one value per channel (C,), "
                f"not {show_shape(x)} and {show_shape(v)}"
            )
        return x

    def text_form(self, printer) -> str:
        x, v = (printer._print(a) for a in self.args)
        return f"{x} {self.symbol} {v}[:, None, None]"

    def latex_form(self, printer) -> str:
        x, v = (printer._print(a) for a in self.args)
        operator = r"\odot_{c}" if self.symbol == "*" else "+_{c}"
        return r"%s %s %s" % (x, operator, v)

    def numpy_form(self, printer) -> str:
        x, v = (numpy_operand(printer, a) for a in self.args)
        return f"{x} {self.symbol} {v}[:, None, None]"


class channel_scale(ChannelBase):  # noqa: N801
    """``x * gamma[:, None, None]``: each channel of the images scaled by its own number."""

    vjp = (
        lambda g, x, gamma: channel_scale(g, gamma),
        lambda g, x, gamma: channel_sum(g * x),
    )
    backward_story = (
        "${node}$ uses ${wrt}$ through ${call}$, which multiplies each channel by its own "
        "number, so the adjoint of ${wrt}$ is $g$ scaled the same way: ${rule}$.",
        "${node}$ uses ${wrt}$ ${shapes[1]}$ through ${call}$: each of its numbers scales a "
        "whole channel, at every sample and position, so its adjoint adds up $g$ times the "
        "scaled entries over the samples and the positions: ${rule}$.",
    )

    @classmethod
    def evaluate(cls, math, x, gamma):
        return x * np.asarray(gamma)[:, None, None]


class channel_shift(ChannelBase):  # noqa: N801
    """``x + beta[:, None, None]``: each channel of the images shifted by its own number."""

    symbol = "+"
    vjp = (lambda g, x, beta: g, lambda g, x, beta: channel_sum(g))
    backward_story = (
        "${node}$ uses ${wrt}$ through ${call}$, a shift, so ${wrt}$ gets $g$ as it is: ${rule}$.",
        "${node}$ uses ${wrt}$ ${shapes[1]}$ through ${call}$: each of its numbers is added "
        "to a whole channel, so its adjoint is $g$ summed over the samples and the positions: "
        "${rule}$.",
    )

    @classmethod
    def evaluate(cls, math, x, beta):
        return x + np.asarray(beta)[:, None, None]
