"""``verify`` for recurrent cells: the generated BPTT module's gradients, proven by numbers.

The same two checks as :mod:`symbackprop.codegen.verify`, on a random sequence (many-to-many
loss): each parameter's largest relative error against a five-point central difference in
float64, and the Taylor-remainder slope along a random direction.
"""

from __future__ import annotations

import numpy as np

from symbackprop.codegen.verify import VerifyReport, taylor_slope
from symbackprop.recurrent.cells import StepModel
from symbackprop.recurrent.generate import load_module

BATCH, STEPS = 3, 5  # sizes unlike the built-ins' widths


def sample_data(model: StepModel, rng: np.random.Generator, batch: int = BATCH) -> list:
    """Random ``[X, Y]`` for ``forward``: (batch, time, input) and (batch, time, units)."""
    X = rng.normal(size=(batch, STEPS, model.cell.input_size))  # noqa: N806
    Y = rng.uniform(-0.9, 0.9, size=(batch, STEPS, model.cell.units))  # noqa: N806
    return [X, Y]


def verify(model: StepModel, seed: int = 0, text: str | None = None) -> VerifyReport:
    """Generate, load and check ``model``'s BPTT module (or the module source ``text``)."""
    module = load_module(model, text)
    rng = np.random.default_rng(seed)
    params = module.init_params(seed, "uniform")
    data = sample_data(model, rng)
    grads = module.backward(params, module.forward(params, *data))
    errors = {
        name: _relative_error(grads[name], _numeric_gradient(module, params, data, name))
        for name in params
    }
    slope = taylor_slope(module, params, data, grads, rng)
    return VerifyReport(model.name, errors, slope)


def _numeric_gradient(module, params: dict, data: list, name: str, h: float = 1e-3):
    value = np.asarray(params[name], dtype=float)
    gradient = np.zeros(value.size)
    for i in range(value.size):

        def loss_at(shift: float, i: int = i) -> float:
            moved = value.copy().ravel()
            moved[i] += shift
            return module.loss({**params, name: moved.reshape(value.shape)}, *data)

        gradient[i] = (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (
            12 * h
        )
    return gradient.reshape(value.shape)


def _relative_error(analytic, numeric, floor: float = 1e-3) -> float:
    scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), floor)
    return float(np.max(np.abs(np.asarray(analytic) - numeric)) / scale)
