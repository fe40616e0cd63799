"""Weights in each framework's packed layout, and back.

The step models keep one array per gate and role, applied as ``x @ W`` (input, units) and
``h_prev @ U`` (units, units). The frameworks pack them:

- Keras (``GRU``, ``SimpleRNN``, ``LSTM``): ``kernel`` (input, G*units) and
  ``recurrent_kernel`` (units, G*units), gates side by side in columns in the convention's
  gate order (z, r, h; i, f, c, o); ``bias`` (G*units,), or (2, G*units) for
  ``GRU(reset_after=True)`` with the input biases in row 0 and the recurrent biases in row 1.
- PyTorch (``nn.GRU``, ``nn.RNN``, ``nn.LSTM``): ``weight_ih_l0`` (G*units, input) and
  ``weight_hh_l0`` (G*units, units), gates stacked in rows in the convention's gate order
  (r, z, n; i, f, g, o) and applied transposed (``x @ weight_ih.T``); ``bias_ih_l0`` and
  ``bias_hh_l0`` (G*units,).

G is the number of gates: 3 for a GRU, 1 for a simple RNN, 4 for an LSTM. The gate order is
the convention's (:mod:`symbackprop.cells.conventions`): nothing here knows a cell.

>>> from symbackprop.cells.gru import gru_cell
>>> cell = gru_cell("keras", 1, 1).cell
>>> params = from_keras(cell, np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3)))
>>> sorted(params)[:3]
['U_h', 'U_r', 'U_z']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from symbackprop.cells.step import Cell
from symbackprop.errors import SpecError

TORCH_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def from_keras(cell: Cell, kernel, recurrent_kernel, bias=None) -> dict[str, np.ndarray]:
    """Per-gate arrays from Keras's ``layer.get_weights()`` (``bias`` None: no biases)."""
    _require(cell, "keras")
    kernels = _split_columns(cell, kernel, cell.input_size, "kernel")
    recurrents = _split_columns(cell, recurrent_kernel, cell.units, "recurrent_kernel")
    params = {}
    biases = _keras_bias_rows(cell, bias)
    for index, role in enumerate(cell.convention.gate_order):
        params[cell.weight(role, "kernel").name] = kernels[index]
        params[cell.weight(role, "recurrent").name] = recurrents[index]
        for kind, row in zip(("bias", "recurrent_bias"), biases, strict=False):
            params[cell.weight(role, kind).name] = _gate_slice(cell, row, index)
    return params


def to_keras(cell: Cell, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``{"kernel", "recurrent_kernel", "bias"}`` in Keras's shapes (``layer.set_weights``)."""
    _require(cell, "keras")
    order = cell.convention.gate_order
    kernel = np.concatenate([params[cell.weight(r, "kernel").name] for r in order], axis=1)
    recurrent = np.concatenate([params[cell.weight(r, "recurrent").name] for r in order], axis=1)
    rows = [
        np.concatenate([params[cell.weight(r, kind).name] for r in order])
        for kind in _bias_kinds(cell)
    ]
    bias = np.stack(rows) if len(rows) == 2 else rows[0]
    return {"kernel": kernel, "recurrent_kernel": recurrent, "bias": bias}


def from_torch(cell: Cell, state_dict: Mapping) -> dict[str, np.ndarray]:
    """Per-gate arrays from a one-layer ``nn.GRU``, ``nn.RNN`` or ``nn.LSTM`` state_dict
    (tensors or arrays)."""
    _require(cell, "torch")
    missing = [key for key in TORCH_KEYS if key not in state_dict]
    if missing:
        raise SpecError(
            f"state_dict has no {', '.join(missing)} (a one-layer nn.GRU, nn.RNN or nn.LSTM?)"
        )
    w_ih, w_hh, b_ih, b_hh = (_array(state_dict[key]) for key in TORCH_KEYS)
    kernels = _split_columns(cell, w_ih.T, cell.input_size, "weight_ih_l0 (transposed)")
    recurrents = _split_columns(cell, w_hh.T, cell.units, "weight_hh_l0 (transposed)")
    params = {}
    for index, role in enumerate(cell.convention.gate_order):
        params[cell.weight(role, "kernel").name] = kernels[index]
        params[cell.weight(role, "recurrent").name] = recurrents[index]
        params[cell.weight(role, "bias").name] = _gate_slice(cell, b_ih, index)
        params[cell.weight(role, "recurrent_bias").name] = _gate_slice(cell, b_hh, index)
    return params


def to_torch(cell: Cell, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A one-layer state_dict as arrays (``{k: torch.tensor(v) for k, v in ...}`` loads it)."""
    _require(cell, "torch")
    order = cell.convention.gate_order

    def stacked(kind: str, transpose: bool) -> np.ndarray:
        blocks = [np.asarray(params[cell.weight(r, kind).name]) for r in order]
        return np.concatenate([b.T if transpose else b for b in blocks], axis=0)

    kinds = (("kernel", True), ("recurrent", True), ("bias", False), ("recurrent_bias", False))
    return {key: stacked(kind, t) for key, (kind, t) in zip(TORCH_KEYS, kinds, strict=True)}


def _require(cell: Cell, layout: str) -> None:
    if cell.convention.layout != layout:
        raise SpecError(
            f"{cell.convention.framework} has no {layout} weight layout; "
            f"use a convention whose layout is {layout!r}"
        )


def _array(value) -> np.ndarray:
    detach = getattr(value, "detach", None)  # a torch tensor, without importing torch
    return np.asarray(detach().cpu().numpy() if detach is not None else value)


def _split_columns(cell: Cell, packed, rows: int, what: str) -> list[np.ndarray]:
    packed = _array(packed)
    gates = len(cell.convention.gate_order)
    expected = (rows, gates * cell.units)
    if packed.shape != expected:
        raise SpecError(f"{what} has shape {packed.shape}, expected {expected}")
    return [packed[:, g * cell.units : (g + 1) * cell.units].copy() for g in range(gates)]


def _gate_slice(cell: Cell, row: np.ndarray, index: int) -> np.ndarray:
    return np.asarray(row)[index * cell.units : (index + 1) * cell.units].copy()


def _bias_kinds(cell: Cell) -> tuple[str, ...]:
    return ("bias", "recurrent_bias") if cell.convention.two_biases else ("bias",)


def _keras_bias_rows(cell: Cell, bias) -> list[np.ndarray]:
    width = len(cell.convention.gate_order) * cell.units
    kinds = _bias_kinds(cell)
    if bias is None:
        return [np.zeros(width) for _ in kinds]
    bias = _array(bias)
    expected = (len(kinds), width) if len(kinds) == 2 else (width,)
    if bias.shape != expected:
        raise SpecError(f"bias has shape {bias.shape}, expected {expected}")
    return list(bias) if len(kinds) == 2 else [bias]
