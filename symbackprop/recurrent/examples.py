"""Built-in recurrent examples: a Keras GRU layer known by its run, and a simple RNN.

``gru-keras`` is the layer ``keras.layers.GRU(units=1, kernel_initializer='ones',
recurrent_initializer='ones', bias_initializer='zeros', return_sequences=True)`` (Keras's
default ``reset_after=True``), known by its run on ``x = np.ones((1, 2, 1))``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from symbackprop.model.examples import Example
from symbackprop.recurrent.cells import KnownInput, StepModel, gru_cell, rnn_cell
from symbackprop.recurrent.layouts import from_keras


def gru_keras() -> StepModel:
    """One step of the Keras GRU layer above (units 1, input 1), with its run as known input."""
    model = gru_cell("keras", input_size=1, units=1, name="gru-keras")
    description = (
        "a Keras GRU layer: units 1, kernels of ones, zero biases, reset_after=True, "
        "known by its run on x = ones((1, 2, 1))"
    )
    # Keras's layout: kernel and recurrent kernel of ones, bias (2, 3) since reset_after=True.
    weights = from_keras(model.cell, np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3)))
    known = KnownInput(np.ones((1, 2, 1)), weights)
    return replace(model, description=description, known_input=known)


def rnn() -> StepModel:
    """A simple tanh RNN as PyTorch's ``nn.RNN`` defines it: input 2, units 3."""
    model = rnn_cell("pytorch", input_size=2, units=3, name="rnn")
    return replace(model, description="the built-in simple RNN example: input 2, units 3")


RECURRENT_EXAMPLES: dict[str, Example] = {
    e.name: e
    for e in [
        Example("gru-keras", gru_keras, "Keras GRU layer: units 1, kernels of ones, zero biases"),
        Example("rnn", rnn, "a simple tanh RNN (PyTorch nn.RNN), trained by BPTT"),
    ]
}
