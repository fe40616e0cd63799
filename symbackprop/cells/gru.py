"""The GRU cell, in every convention of :mod:`symbackprop.cells.conventions`.

>>> model = gru_cell("keras", input_size=1, units=1)
>>> [node.name for node in model.defined][:4]
['z_pre', 'z', 'r_pre', 'r']
"""

from __future__ import annotations

import sympy as sp

from symbackprop.cells.conventions import CANDIDATE, GRU, RESET, UPDATE, convention
from symbackprop.cells.step import (
    HIDDEN,
    Cell,
    StepBuilder,
    StepModel,
    make_cell,
    sizes_text,
    tanh,
)
from symbackprop.ir.ops import dot


def gru_cell(
    convention_key: str = "keras",
    input_size: int = 1,
    units: int = 1,
    name: str | None = None,
    swapped: bool = False,
) -> StepModel:
    """One GRU step in the given convention (see :mod:`symbackprop.cells.conventions`).

    Every convention blends ``h = z*h_prev + (1 - z)*candidate``: the update gate multiplies
    the previous state. The reset gate acts after the recurrent product,
    ``r*(h_prev @ U + b_h)``, in ``"keras"`` (Keras's default) and ``"pytorch"``, and before
    it, ``(r*h_prev) @ U``, in ``"keras-reset-before"`` and ``"d2l"``. ``swapped=True``
    declares the blend with the update gate on the candidate,
    ``h = z*candidate + (1 - z)*h_prev``: no framework's GRU, but a common hand computation.
    """
    cell = make_cell(convention(convention_key, GRU), input_size, units, swapped=swapped)
    s = StepBuilder(cell, name or f"gru-{cell.convention.key}" + ("-swapped" if swapped else ""))
    gates = {role: s.gate(role) for role in cell.convention.gate_order if role != CANDIDATE}
    z, r = gates[UPDATE], gates[RESET]
    candidate = s.b.define(f"{cell.convention.node(CANDIDATE)}_pre", _candidate(s, r))
    candidate = s.b.define(cell.convention.node(CANDIDATE), tanh(candidate))
    keep, take = (1 - z, z) if swapped else (z, 1 - z)
    s.state(HIDDEN, keep * s.h_prev + take * candidate)
    return s.finish(
        f"one GRU step as in {cell.convention.framework}: {blend_text(cell)} ({sizes_text(cell)})"
    )


def _candidate(s: StepBuilder, r: sp.Symbol) -> sp.Expr:
    """The candidate's pre-activation, with the reset gate before or after the product."""
    conv, role = s.cell.convention, CANDIDATE
    kernel, recurrent = s.param(role, "kernel"), s.param(role, "recurrent")
    node = conv.node(role)
    if conv.reset_after:
        inner = dot(s.h_prev, recurrent) + s.param(role, "recurrent_bias")
        recurrent_part = s.b.define(f"{node}_rec", inner)
        return dot(s.x, kernel) + s.param(role, "bias") + r * recurrent_part
    reset_state = s.b.define(f"{node}_reset", r * s.h_prev)
    return dot(s.x, kernel) + dot(reset_state, recurrent) + s.param(role, "bias")


def blend_text(cell: Cell) -> str:
    """``h = z*h_prev + (1 - z)*h_tilde`` (or the swapped blend), in the convention's names."""
    z, candidate = cell.convention.node(UPDATE), cell.convention.node(CANDIDATE)
    keep, take = (candidate, HIDDEN.previous) if cell.swapped else (HIDDEN.previous, candidate)
    return f"{HIDDEN.name} = {z}*{keep} + (1 - {z})*{take}"


def reset_text(cell: Cell) -> str:
    """Where the reset gate acts, with the candidate's recurrent weights named."""
    r = cell.convention.node(RESET)
    recurrent = cell.weight(CANDIDATE, "recurrent").name
    if cell.convention.reset_after:
        bias = cell.weight(CANDIDATE, "recurrent_bias").name
        return f"after the recurrent product, {r}*({HIDDEN.previous} @ {recurrent} + {bias})"
    return f"before the recurrent product, ({r}*{HIDDEN.previous}) @ {recurrent}"
