"""Test-side numerics, independent of the package: finite differences, data, the question-1 loop."""

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


def q1_training(synapse_0, synapse_1, X, y, alpha, iterations):
    """Question 1's loop, verbatim but for xrange and the given start weights."""
    for _j in range(iterations):
        layer_1 = 1 / (1 + np.exp(-(np.dot(X, synapse_0))))
        layer_2 = 1 / (1 + np.exp(-(np.dot(layer_1, synapse_1))))
        layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))
        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
        synapse_0 -= alpha * X.T.dot(layer_1_delta)
    return synapse_0, synapse_1
