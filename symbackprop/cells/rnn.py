"""The simple tanh RNN, ``h = tanh(x @ W + h_prev @ U + b)`` (Keras SimpleRNN, PyTorch nn.RNN)."""

from __future__ import annotations

from symbackprop.cells.conventions import RNN, STATE, convention
from symbackprop.cells.step import HIDDEN, StepBuilder, StepModel, make_cell, sizes_text, tanh


def rnn_cell(
    convention_key: str = "pytorch", input_size: int = 1, units: int = 1, name: str | None = None
) -> StepModel:
    """One step of the simple tanh RNN, ``h = tanh(x @ W + h_prev @ U + b)``."""
    cell = make_cell(convention(convention_key, RNN), input_size, units)
    s = StepBuilder(cell, name or f"rnn-{cell.convention.key}")
    pre = s.b.define("h_pre", s.affine(STATE))
    s.state(HIDDEN, tanh(pre))
    framework = cell.convention.framework
    return s.finish(f"one step of the simple tanh RNN as in {framework} ({sizes_text(cell)})")
