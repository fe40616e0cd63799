"""Every recurrent cell by family name, as spec files and built-ins name them."""

from __future__ import annotations

from symbackprop.cells.conventions import GRU, LSTM, RNN
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.lstm import lstm_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.cells.step import StepModel
from symbackprop.errors import SpecError

CELLS = {GRU: gru_cell, RNN: rnn_cell, LSTM: lstm_cell}


def step_model(
    family: str, convention_key: str, input_size: int, units: int, swapped: bool = False
) -> StepModel:
    """A step model by family name: ``"gru"``, ``"rnn"`` or ``"lstm"``; ``swapped`` reads a
    GRU's blend with z and 1 - z exchanged, which no other cell has."""
    try:
        build = CELLS[family]
    except KeyError:
        known = ", ".join(CELLS)
        raise SpecError(f"unknown recurrent cell {family!r} (known: {known})") from None
    if family == GRU:
        return gru_cell(convention_key, input_size, units, swapped=swapped)
    if swapped:
        raise SpecError(
            f"swapped = true exchanges z and 1 - z in a GRU's blend; the {family} cell has no "
            'such reading (remove the key, or use cell = "gru")'
        )
    return build(convention_key, input_size, units)
