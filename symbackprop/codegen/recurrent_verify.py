"""``verify`` for recurrent cells: the generated BPTT module's gradients, proven by numbers.

The same two checks as :mod:`symbackprop.codegen.verify`, on a random sequence (scored as
the model's loss scores it): each parameter's largest relative error against a five-point
central difference in float64, and the Taylor-remainder slope along a random direction.
"""

from __future__ import annotations

import numpy as np

from symbackprop.cells.step import StepModel
from symbackprop.codegen.agreement import (
    VerifyReport,
    numeric_gradient,
    relative_error,
    taylor_slope,
)
from symbackprop.codegen.loader import load_module

BATCH, STEPS = 3, 5  # sizes unlike the built-ins' widths


def sample_data(model: StepModel, rng: np.random.Generator, batch: int = BATCH) -> list:
    """Random ``[X, Y]`` for ``forward``: (batch, time, input) and (batch, time, units), or
    (batch, units) where the loss scores the last step only."""
    X = rng.normal(size=(batch, STEPS, model.cell.input_size))  # noqa: N806
    scored = (batch, model.cell.units) if model.scoring.last else (batch, STEPS, model.cell.units)
    Y = rng.uniform(-0.9, 0.9, size=scored)  # noqa: N806
    return [X, Y]


def verify(model: StepModel, seed: int, text: str | None) -> VerifyReport:
    """Generate, load and check ``model``'s BPTT module (or the module source ``text``)."""
    module = load_module(model, text)
    rng = np.random.default_rng(seed)
    params = module.init_params(seed, "uniform")
    data = sample_data(model, rng)
    grads = module.backward(params, module.forward(params, *data))
    errors = {
        name: relative_error(grads[name], numeric_gradient(module, params, data, name))
        for name in params
    }
    slope = taylor_slope(module, params, data, grads, rng)
    return VerifyReport(model.name, errors, slope)
