"""Built-in recurrent examples: the seed's Keras GRU layer (question 3) and a simple RNN.

``gru-keras`` is the asker's layer, ``keras.layers.GRU(units=1, kernel_initializer='ones',
recurrent_initializer='ones', bias_initializer='zeros', return_sequences=True)`` (Keras's
default ``reset_after=True``) on ``x = np.ones((1, 2, 1))``; Keras prints
``[[[0.20482421], [0.34675306]]]``.
"""

from __future__ import annotations

import numpy as np

from symbackprop.model.examples import Example
from symbackprop.recurrent.cells import StepModel, gru_cell, rnn_cell
from symbackprop.recurrent.layouts import from_keras

SEED_QUESTION = 3
SEED_INPUT = np.ones((1, 2, 1))
SEED_OUTPUT = (0.20482421, 0.34675306)  # Keras's printout, float32


def gru_keras() -> StepModel:
    """Question 3: one step of the asker's Keras GRU layer (units 1, input 1)."""
    model = gru_cell("keras", input_size=1, units=1, name="gru-keras")
    description = (
        "the seed's Keras GRU layer (question 3): units 1, kernels of ones, zero biases, "
        f"reset_after=True; on x = ones((1, 2, 1)) Keras gives {SEED_OUTPUT[0]} and "
        f"{SEED_OUTPUT[1]}"
    )
    return _described(model, description)


def seed_weights() -> dict[str, np.ndarray]:
    """The seed layer's weights, read from Keras's layout (kernel and recurrent kernel of ones,
    bias of zeros with shape (2, 3) since reset_after=True)."""
    cell = gru_keras().cell
    return from_keras(cell, np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3)))


def example_input(model: StepModel) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The input sequence and weights a built-in recurrent example is known by (the seed's)."""
    if model.name == "gru-keras":
        return SEED_INPUT, seed_weights()
    from symbackprop.errors import SpecError

    raise SpecError(f"{model.name!r} has no example input; only gru-keras has the seed's")


def rnn() -> StepModel:
    """A simple tanh RNN as PyTorch's ``nn.RNN`` defines it: input 2, units 3."""
    model = rnn_cell("pytorch", input_size=2, units=3, name="rnn")
    return _described(model, "the built-in simple RNN example: input 2, units 3")


def _described(model: StepModel, description: str) -> StepModel:
    from dataclasses import replace

    return replace(model, description=description)


RECURRENT_EXAMPLES: dict[str, Example] = {
    e.name: e
    for e in [
        Example("gru-keras", gru_keras, SEED_QUESTION, "Keras GRU: why 0.2048, not 0.55"),
        Example("rnn", rnn, SEED_QUESTION, "a simple tanh RNN (PyTorch nn.RNN), trained by BPTT"),
    ]
}
