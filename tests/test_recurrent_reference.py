"""Test-side references for recurrent cells, independent of the package (and their own test).

``keras_gru_step`` follows Keras's ``GRUCell.call`` (keras/src/layers/rnn/gru.py,
implementation 2) line by line on the packed ``kernel``, ``recurrent_kernel`` and ``bias``;
``loss_with_h0`` makes the initial state a parameter for finite differences.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def keras_gru_step(x, h_tm1, kernel, recurrent_kernel, bias, reset_after):
    units = h_tm1.shape[1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    matrix_x = x @ kernel + input_bias
    x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
    if reset_after:
        matrix_inner = h_tm1 @ recurrent_kernel + recurrent_bias
    else:
        matrix_inner = h_tm1 @ recurrent_kernel[:, : 2 * units]
    recurrent_z = matrix_inner[:, :units]
    recurrent_r = matrix_inner[:, units : units * 2]
    z = sigmoid(x_z + recurrent_z)
    r = sigmoid(x_r + recurrent_r)
    if reset_after:
        recurrent_h = r * matrix_inner[:, units * 2 :]
    else:
        recurrent_h = (r * h_tm1) @ recurrent_kernel[:, 2 * units :]
    hh = np.tanh(x_h + recurrent_h)
    return z * h_tm1 + (1 - z) * hh


def keras_gru(X, kernel, recurrent_kernel, bias, reset_after):
    h = np.zeros((X.shape[0], recurrent_kernel.shape[0]))
    states = []
    for t in range(X.shape[1]):
        h = keras_gru_step(X[:, t], h, kernel, recurrent_kernel, bias, reset_after)
        states.append(h)
    return np.stack(states, axis=1)


def with_h0(params: dict, h0) -> dict:
    return {**params, "h0": h0}


def loss_with_h0(module, X, Y):
    """The module's loss as a function of a params dict that also holds "h0"."""

    def loss(p):
        params = {k: v for k, v in p.items() if k != "h0"}
        return module.loss(params, X, Y, p["h0"])

    return loss


def test_the_keras_reference_reproduces_the_askers_printout():
    states = keras_gru(np.ones((1, 2, 1)), np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3)), True)
    np.testing.assert_allclose(states, [[[0.20482421], [0.34675306]]], rtol=0, atol=1e-7)
