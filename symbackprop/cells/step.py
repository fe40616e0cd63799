"""Recurrent cells declared from their equations: one step as a vector-mode model.

A step model maps ``x`` (m, input) and the previous state ``h_prev`` (m, units) through the
gates to the new state ``h``. Its loss ``E = sum(dh * h)`` is linear in ``h``, with ``dh`` the
gradient of the whole sequence's loss with respect to ``h`` (from the loss at this step and
from every later step), so that the ordinary reverse accumulation over this one model gives
every per-step adjoint of backpropagation through time: ``delta_h = dh``, the gates'
adjoints, each weight's per-step gradient, and, with ``h_prev`` declared differentiable, the
gradient ``dE/dh_prev`` that is carried back to step t - 1.

>>> model = gru_cell("keras", input_size=1, units=1)
>>> [node.name for node in model.defined][:4]
['z_pre', 'z', 'r_pre', 'r']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import sympy as sp

from symbackprop.cells.conventions import (
    CANDIDATE,
    RESET,
    STATE,
    UPDATE,
    Convention,
    convention,
)
from symbackprop.errors import SpecError
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.arrays import dot, total
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Model
from symbackprop.naming import BATCH_SIZE

INPUT, STATE_IN, OUTPUT, INCOMING = "x", "h_prev", "h", "dh"
sigmoid, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]


@dataclass(frozen=True)
class Weight:
    """One parameter of a cell: which gate it serves and what it multiplies."""

    name: str
    role: str  # the gate (UPDATE, RESET, CANDIDATE) or STATE for a simple RNN
    kind: str  # "kernel" (x side), "recurrent" (h side), "bias" or "recurrent_bias"
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Cell:
    """A cell's convention and sizes; ``swapped`` exchanges z and 1 - z in the GRU blend."""

    convention: Convention
    input_size: int
    units: int
    swapped: bool = False

    @property
    def weights(self) -> list[Weight]:
        return [w for role in self.convention.gate_order for w in self._gate_weights(role)]

    def weight(self, role: str, kind: str) -> Weight:
        return next(w for w in self.weights if w.role == role and w.kind == kind)

    def _gate_weights(self, role: str) -> list[Weight]:
        n, u = self.input_size, self.units
        kernel, recurrent, biases = _names(self.convention, role)
        kinds = ("bias", "recurrent_bias")
        return [
            Weight(kernel, role, "kernel", (n, u)),
            Weight(recurrent, role, "recurrent", (u, u)),
            *(Weight(b, role, kind, (u,)) for b, kind in zip(biases, kinds, strict=False)),
        ]


def _names(conv: Convention, role: str) -> tuple[str, str, tuple[str, ...]]:
    """Parameter names in the convention's own style: W_z, U_z, b_iz, b_hz; d2l W_xz, W_hz."""
    letter = conv.letter(role)
    if conv.d2l_names:
        return f"W_x{letter}", f"W_h{letter}", (f"b_{letter}",)
    suffix = f"_{letter}" if letter else ""
    if conv.two_biases:
        return f"W{suffix}", f"U{suffix}", (f"b_i{letter}", f"b_h{letter}")
    return f"W{suffix}", f"U{suffix}", (f"b{suffix}",)


@dataclass(frozen=True, eq=False)
class KnownInput:
    """An input sequence (batch, time, input) and weights that a model is known by: a built-in
    layer's own run, on which ``check --state`` judges a hand-computed state."""

    x: np.ndarray
    weights: Mapping[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class StepModel(Model):
    """The one-step model of a recurrent cell, with the cell it was declared from."""

    cell: Cell | None = None
    known_input: KnownInput | None = None


class _StepBuilder:
    """Leaves of a step model in a fixed order: x, h_prev, dh, then the weights by gate."""

    def __init__(self, cell: Cell, name: str):
        self.cell = cell
        self.b = ModelBuilder(name)
        m, n, u = BATCH_SIZE, cell.input_size, cell.units
        self.x = self.b.input(INPUT, shape=(m, n))
        self.h_prev = self.b.parameter(STATE_IN, shape=(m, u))
        self.dh = self.b.input(INCOMING, shape=(m, u))
        self.p = {w.name: self.b.parameter(w.name, shape=w.shape) for w in cell.weights}

    def param(self, role: str, kind: str) -> sp.Symbol:
        return self.p[self.cell.weight(role, kind).name]

    def biases(self, role: str) -> sp.Expr:
        return sp.Add(
            *(self.p[w.name] for w in self.cell.weights if w.role == role and "bias" in w.kind)
        )

    def affine(self, role: str) -> sp.Expr:
        """``x @ W + h_prev @ U + b`` of one gate (both biases where there are two)."""
        kernel, recurrent = self.param(role, "kernel"), self.param(role, "recurrent")
        return dot(self.x, kernel) + dot(self.h_prev, recurrent) + self.biases(role)

    def gate(self, role: str) -> sp.Symbol:
        name = self.cell.convention.node(role)
        pre = self.b.define(f"{name}_pre", self.affine(role))
        return self.b.define(name, sigmoid(pre))

    def finish(self, h: sp.Expr, description: str) -> StepModel:
        h = self.b.define(OUTPUT, h)
        model = self.b.loss("E", total(self.dh * h), description=description)
        values = {f.name: getattr(model, f.name) for f in fields(Model)}
        return StepModel(**values, cell=self.cell)


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
    cell = Cell(convention(convention_key, "gru"), _size(input_size), _size(units), swapped)
    s = _StepBuilder(cell, name or f"gru-{cell.convention.key}" + ("-swapped" if swapped else ""))
    gates = {role: s.gate(role) for role in cell.convention.gate_order if role != CANDIDATE}
    z, r = gates[UPDATE], gates[RESET]
    candidate = s.b.define(f"{cell.convention.node(CANDIDATE)}_pre", _candidate(s, r))
    candidate = s.b.define(cell.convention.node(CANDIDATE), tanh(candidate))
    keep, take = (1 - z, z) if swapped else (z, 1 - z)
    return s.finish(keep * s.h_prev + take * candidate, _description(cell))


def _candidate(s: _StepBuilder, r: sp.Symbol) -> sp.Expr:
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


def rnn_cell(
    convention_key: str = "pytorch", input_size: int = 1, units: int = 1, name: str | None = None
) -> StepModel:
    """One step of the simple tanh RNN, ``h = tanh(x @ W + h_prev @ U + b)``."""
    cell = Cell(convention(convention_key, "rnn"), _size(input_size), _size(units))
    s = _StepBuilder(cell, name or f"rnn-{cell.convention.key}")
    pre = s.b.define("h_pre", s.affine(STATE))
    return s.finish(tanh(pre), _description(cell))


def _description(cell: Cell) -> str:
    conv = cell.convention
    sizes = f"input {cell.input_size}, units {cell.units}"
    if conv.family == "rnn":
        return f"one step of the simple tanh RNN as in {conv.framework} ({sizes})"
    return f"one GRU step as in {conv.framework}: {blend_text(cell)} ({sizes})"


def blend_text(cell: Cell) -> str:
    """``h = z*h_prev + (1 - z)*h_tilde`` (or the swapped blend), in the convention's names."""
    z, candidate = cell.convention.node(UPDATE), cell.convention.node(CANDIDATE)
    keep, take = (candidate, STATE_IN) if cell.swapped else (STATE_IN, candidate)
    return f"{OUTPUT} = {z}*{keep} + (1 - {z})*{take}"


def reset_text(cell: Cell) -> str:
    """Where the reset gate acts, with the candidate's recurrent weights named."""
    r = cell.convention.node(RESET)
    recurrent = cell.weight(CANDIDATE, "recurrent").name
    if cell.convention.reset_after:
        bias = cell.weight(CANDIDATE, "recurrent_bias").name
        return f"after the recurrent product, {r}*({STATE_IN} @ {recurrent} + {bias})"
    return f"before the recurrent product, ({r}*{STATE_IN}) @ {recurrent}"


def _size(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError(f"sizes of a recurrent cell must be positive integers, got {value!r}")
    return value


def step_model(family: str, convention_key: str, input_size: int, units: int) -> StepModel:
    """A step model by family name: ``"gru"`` or ``"rnn"``."""
    if family == "gru":
        return gru_cell(convention_key, input_size, units)
    if family == "rnn":
        return rnn_cell(convention_key, input_size, units)
    raise SpecError(f"unknown recurrent cell {family!r} (known: gru, rnn)")
