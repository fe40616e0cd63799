"""Test-side numerics, independent of the package: finite differences and data."""

from __future__ import annotations

import numpy as np


def central_gradient(loss, params: dict, name: str, h: float = 1e-3) -> np.ndarray:
    """Five-point central difference of ``loss(params)`` in every element of params[name]."""
    value = np.asarray(params[name], dtype=float)
    flat = value.ravel()
    gradient = np.empty(flat.size)
    for i in range(flat.size):
        samples = []
        for shift in (2 * h, h, -h, -2 * h):
            moved = flat.copy()
            moved[i] += shift
            samples.append(loss({**params, name: moved.reshape(value.shape)}))
        gradient[i] = (-samples[0] + 8 * samples[1] - 8 * samples[2] + samples[3]) / (12 * h)
    return gradient.reshape(value.shape)


def max_relative_error(analytic, numeric, floor: float = 1e-3) -> float:
    """Largest elementwise error relative to the largest gradient element.

    Gradients smaller than ``floor`` (a dead relu gives exactly 0) are measured against the
    floor instead, since a difference quotient only resolves them to its rounding error.
    """
    analytic, numeric = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), floor)
    return float(np.max(np.abs(analytic - numeric)) / scale)
