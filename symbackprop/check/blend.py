"""Which GRU equations a hand-computed state follows: the checker's "gate convention" finding.

A claimed ``h`` after one step is recomputed under each reading of the GRU: the convention
itself, the same with ``z`` and ``1 - z`` swapped in the blend, and the reset gate on the other
side of the recurrent product (with and without the swap). The first reading that agrees with
the claim names the mix-up. A claim agrees when it is the reading's value to the decimals it
was written with, computed either exactly or with every intermediate value rounded to those
decimals, as people do by hand (0.6667 * 0.3333 = 0.2222, while 0.67 * 0.33 = 0.2211).

>>> import numpy as np
>>> from symbackprop.readers.examples import gru_keras
>>> weights = gru_keras().known_input.weights  # kernels of ones, zero biases
>>> finding = diagnose_blend("keras", np.ones((1, 1)), np.zeros((1, 1)), 0.56, weights)
>>> finding.kind
'gates swapped in the blend'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from symbackprop.cells.conventions import (
    CANDIDATE,
    CONVENTIONS,
    UPDATE,
    Convention,
    convention,
)
from symbackprop.cells.evaluate import step_values
from symbackprop.cells.gru import blend_text, gru_cell
from symbackprop.cells.step import Cell

FLOAT32_SLACK = 1e-7  # a claim copied from a float32 printout is exact to about this
# What a claim that is not the convention's own state follows, as a diagnosis kind.
SWAPPED = "gates swapped in the blend"
OTHER = "other"  # the reset gate on the other side of the product, or no reading at all


@dataclass(frozen=True)
class BlendReading:
    """One step's values under one reading of the GRU equations."""

    cell: Cell
    label: str
    values: Mapping[str, np.ndarray]
    rounded: Mapping[str, np.ndarray] | None = None  # with intermediates rounded, if asked

    @property
    def h(self) -> np.ndarray:
        return self.values[self.cell.output.name]

    @property
    def rounded_h(self) -> np.ndarray | None:
        return None if self.rounded is None else self.rounded[self.cell.output.name]


def blend_readings(
    convention_key: str, x, h_prev, weights: Mapping[str, np.ndarray], decimals: int | None = None
) -> list[BlendReading]:
    """The step under the convention, then swapped, then with the reset on the other side."""
    own = convention(convention_key)
    other = next(c for c in CONVENTIONS.values() if c.reset_after != own.reset_after)
    x, h_prev = np.atleast_2d(x).astype(float), np.atleast_2d(h_prev).astype(float)
    sizes = (x.shape[1], h_prev.shape[1])
    source = gru_cell(own.key, *sizes).cell
    readings = []
    for key in (own.key, other.key):
        for swapped in (False, True):
            model = gru_cell(key, *sizes, swapped=swapped)
            params = convert_weights(source, model.cell, weights)
            exact = step_values(model, x, h_prev, params)
            rounded = None if decimals is None else step_values(model, x, h_prev, params, decimals)
            label = _label(model.cell, own)
            readings.append(BlendReading(model.cell, label, exact, rounded))
    return readings


def _label(cell: Cell, asked: Convention) -> str:
    if cell.convention == asked:
        return "the blend with z and 1 - z swapped" if cell.swapped else asked.framework
    same = " and ".join(
        c.framework for c in CONVENTIONS.values() if c.reset_after == cell.convention.reset_after
    )
    where = "after" if cell.convention.reset_after else "before"
    swapped = ", and z and 1 - z swapped in the blend" if cell.swapped else ""
    return f"the reset gate {where} the recurrent product (as in {same}){swapped}"


def convert_weights(source: Cell, target: Cell, weights: Mapping) -> dict[str, np.ndarray]:
    """The same numbers under another convention's names. Where the target has one bias per
    gate and the source two, they are added (exact for z and r; for the candidate the
    recurrent bias moves outside the reset); the other way, the recurrent bias is zero."""
    converted = {}
    for w in target.weights:
        kinds = [w.kind]
        if w.kind == "bias" and not target.convention.two_biases:
            kinds.append("recurrent_bias")
        kinds = [k for k in kinds if k != "recurrent_bias" or source.convention.two_biases]
        parts = [np.asarray(weights[source.weight(w.role, k).name], dtype=float) for k in kinds]
        converted[w.name] = sum(parts) if parts else np.zeros(w.shape)
    return converted


@dataclass(frozen=True)
class BlendFinding:
    """Which reading of the GRU a wrong claim follows (None: none does), and in words."""

    matched: BlendReading | None
    message: str

    @property
    def kind(self) -> str:
        return SWAPPED if self.matched is not None and self.matched.cell.swapped else OTHER


def diagnose_blend(
    convention_key: str,
    x,
    h_prev,
    claimed_h,
    weights: Mapping[str, np.ndarray],
) -> BlendFinding | None:
    """None when ``claimed_h`` is the convention's own next state; otherwise which reading of
    the GRU it matches (the swapped blend, the other reset position), or that it matches none.
    ``weights`` are the convention's own (see :mod:`symbackprop.cells.layouts`)."""
    claimed = np.asarray(claimed_h, dtype=float)
    decimals = _decimals(claimed)
    own, *others = blend_readings(convention_key, x, h_prev, weights, decimals)
    if _agrees(own, claimed, decimals):
        return None
    expected = (
        f"{own.label} blends {_worked(own)} = {_show(own.h)}: its update gate z multiplies "
        "the previous state"
    )
    for reading in others:
        if _agrees(reading, claimed, decimals):
            message = (
                f"the claimed h = {_show(claimed)} matches {reading.label}: {_worked(reading)} "
                f"= {_show(reading.h)}{_rounding_note(reading, claimed, decimals)}; {expected}."
            )
            return BlendFinding(reading, message)
    others_text = "; ".join(f"{r.label}: {_show(r.h)}" for r in others)
    claim = f"the claimed h = {_show(claimed)}"
    return BlendFinding(None, f"{claim} matches no reading of the GRU: {expected}; {others_text}.")


def claim_matches(reading: BlendReading, claimed) -> bool:
    """Whether ``claimed`` is the reading's ``h`` to the decimals it was written with, exactly
    or with every value rounded on the way (``reading.rounded`` at those decimals)."""
    claimed = np.asarray(claimed, dtype=float)
    return _agrees(reading, claimed, _decimals(claimed))


def claimed_decimals(claimed) -> int:
    """The fewest decimals any element of the claim was written with (0.56: 2)."""
    return _decimals(np.asarray(claimed, dtype=float))


def show(value) -> str:
    """A value as a diagnosis shows it: 4 significant digits."""
    return _show(value)


def _agrees(reading: BlendReading, claimed: np.ndarray, decimals: int) -> bool:
    candidates = [reading.h] + ([] if reading.rounded is None else [reading.rounded_h])
    return any(_close(np.round(value, decimals), claimed, decimals) for value in candidates) or (
        _close(reading.h, claimed, decimals)
    )


def _close(value: np.ndarray, claimed: np.ndarray, decimals: int) -> bool:
    if np.broadcast_shapes(value.shape, claimed.shape) != value.shape:
        return False
    slack = 0.5 * 10.0**-decimals + FLOAT32_SLACK * (1 + np.abs(value))
    return bool(np.all(np.abs(value - claimed) <= slack))


def _rounding_note(reading: BlendReading, claimed: np.ndarray, decimals: int) -> str:
    if _close(np.round(reading.h, decimals), claimed, decimals):
        return ""
    return f" ({_show(reading.rounded_h)} with every value rounded to {decimals} decimals)"


def _worked(reading: BlendReading) -> str:
    """``h = z*h_prev + (1 - z)*h_tilde = 0.7311*0 + (1 - 0.7311)*0.7616``."""
    conv, v = reading.cell.convention, reading.values
    previous = v[reading.cell.output.previous]
    z, candidate = v[conv.node(UPDATE)], v[conv.node(CANDIDATE)]
    keep, take = (candidate, previous) if reading.cell.swapped else (previous, candidate)
    numbers = f"{_show(z)}*{_show(keep)} + (1 - {_show(z)})*{_show(take)}"
    return f"{blend_text(reading.cell)} = {numbers}"


def _decimals(claimed: np.ndarray) -> int:
    """The fewest decimals any element of the claim was written with (0.56: 2)."""
    return min((_written_decimals(float(v)) for v in np.ravel(claimed)), default=8)


def _written_decimals(value: float) -> int:
    text = repr(abs(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return max(0, len(mantissa.partition(".")[2]) - int(exponent))
    return len(text.partition(".")[2].rstrip("0"))


def _show(value) -> str:
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return f"{float(array.ravel()[0]):.4g}"
    return np.array2string(array.ravel(), precision=4, separator=", ")
