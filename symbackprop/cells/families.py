"""Every recurrent cell by family name, as spec files and built-ins name them."""

from __future__ import annotations

from symbackprop.cells.conventions import GRU, LSTM, RNN
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.cells.step import StepModel
from symbackprop.errors import SpecError

CELLS = {GRU: gru_cell, RNN: rnn_cell, LSTM: lstm_cell}


def step_model(family: str, convention_key: str, input_size: int, units: int) -> StepModel:
    """A step model by family name: ``"gru"``, ``"rnn"`` or ``"lstm"``."""
    try:
        build = CELLS[family]
    except KeyError:
        known = ", ".join(CELLS)
        raise SpecError(f"unknown recurrent cell {family!r} (known: {known})") from None
    return build(convention_key, input_size, units)
