"""What every recurrent cell shares: its states, its weights, and one step as a vector-mode model.

A step model maps ``x`` (m, input) and each state's previous value (``h_prev``, and for an
LSTM ``c_prev``, all (m, units)) through the gates to the new states. Its loss
``E = sum(dh * h) + sum(dc * c) + ...`` is linear in the states, with ``dh`` the gradient of the
whole sequence's loss with respect to ``h`` (from the loss at this step and from every later
step), so that the ordinary reverse accumulation over this one model gives every per-step
adjoint of backpropagation through time: the gates' adjoints, each weight's per-step gradient,
and, with the previous states declared differentiable, the gradients ``dE/dh_prev`` (and
``dE/dc_prev``) carried back to step t - 1.

The cells themselves are declared in :mod:`symbackprop.cells.gru`, :mod:`~.rnn` and
:mod:`~.lstm`, each with :class:`StepBuilder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import sympy as sp

from symbackprop.cells.conventions import Convention
from symbackprop.errors import SpecError
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Model
from symbackprop.ir.ops import dot, total
from symbackprop.naming import BATCH_SIZE

sigmoid, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
INPUT = "x"


@dataclass(frozen=True)
class State:
    """One state a cell carries from step to step, and the names derived from it."""

    name: str  # the node holding the new value: "h", "c"
    scored: bool = False  # the loss scores it (the output h); otherwise only carried (c)

    @property
    def previous(self) -> str:
        """The leaf holding the value from the step before: ``h_prev``."""
        return f"{self.name}_prev"

    @property
    def incoming(self) -> str:
        """The leaf of the gradient arriving at the state from the loss and later steps: ``dh``."""
        return f"d{self.name}"

    @property
    def initial(self) -> str:
        """The argument holding the state before the first step: ``h0``."""
        return f"{self.name}0"


HIDDEN = State("h", scored=True)  # the state every cell outputs and the loss scores
# The hidden state's names, for callers that know their cell has only it (GRU, simple RNN).
OUTPUT, STATE_IN, INCOMING = HIDDEN.name, HIDDEN.previous, HIDDEN.incoming


@dataclass(frozen=True)
class Weight:
    """One parameter of a cell: which gate it serves and what it multiplies."""

    name: str
    role: str  # the gate (UPDATE, RESET, CANDIDATE, FORGET, ...) or STATE for a simple RNN
    kind: str  # "kernel" (x side), "recurrent" (h side), "bias" or "recurrent_bias"
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Cell:
    """A cell's convention, sizes and states; ``swapped`` exchanges z and 1 - z in a GRU's
    blend."""

    convention: Convention
    input_size: int
    units: int
    swapped: bool = False
    states: tuple[State, ...] = (HIDDEN,)

    @property
    def output(self) -> State:
        """The state the cell outputs and the loss scores."""
        return next(s for s in self.states if s.scored)

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


def make_cell(
    conv: Convention,
    input_size: int,
    units: int,
    states: tuple[State, ...] = (HIDDEN,),
    swapped: bool = False,
) -> Cell:
    """A cell with its sizes checked (positive integers)."""
    for value in (input_size, units):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SpecError(f"sizes of a recurrent cell must be positive integers, got {value!r}")
    return Cell(conv, input_size, units, swapped, states)


def _names(conv: Convention, role: str) -> tuple[str, str, tuple[str, ...]]:
    """Parameter names in the convention's own style: W_z, U_z, b_iz, b_hz; d2l W_xz, W_hz."""
    letter = conv.letter(role)
    if conv.d2l_names:
        return f"W_x{letter}", f"W_h{letter}", (f"b_{letter}",)
    suffix = f"_{letter}" if letter else ""
    if conv.two_biases:
        return f"W{suffix}", f"U{suffix}", (f"b_i{letter}", f"b_h{letter}")
    return f"W{suffix}", f"U{suffix}", (f"b{suffix}",)


# The losses a sequence can be scored by, in words: half the sum over every scored element, or
# the mean over them (as torch.nn.MSELoss with its default reduction over the scored states).
SEQUENCE_LOSSES = {"half_sse": "half the sum of squares", "mse": "the mean of squares"}


@dataclass(frozen=True)
class Scoring:
    """How the loss scores a sequence: by which of :data:`SEQUENCE_LOSSES`, and whether only
    the last step's state enters it (many-to-one) instead of every step's as Y gives them."""

    loss: str = "half_sse"
    last: bool = False

    def __post_init__(self):
        if self.loss not in SEQUENCE_LOSSES:
            known = ", ".join(SEQUENCE_LOSSES)
            raise SpecError(f"unknown recurrent loss {self.loss!r} (known: {known})")


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
    scoring: Scoring = Scoring()


class StepBuilder:
    """A step model declared with the ordinary :class:`ModelBuilder`: leaves in a fixed order
    (x, then each state's previous value and incoming gradient, then the weights by gate),
    the cell's equations, and the loss that is linear in the states."""

    def __init__(self, cell: Cell, name: str):
        self.cell = cell
        self.b = ModelBuilder(name)
        m, n, u = BATCH_SIZE, cell.input_size, cell.units
        self.x = self.b.input(INPUT, shape=(m, n))
        self.previous, self.incoming = {}, {}
        for state in cell.states:
            self.previous[state.name] = self.b.parameter(state.previous, shape=(m, u))
            self.incoming[state.name] = self.b.input(state.incoming, shape=(m, u))
        self.h_prev = self.previous[cell.output.name]  # what every recurrent weight multiplies
        self.p = {w.name: self.b.parameter(w.name, shape=w.shape) for w in cell.weights}
        self.new = {}

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

    def gate(self, role: str, activation=sigmoid) -> sp.Symbol:
        """``name_pre = affine``, ``name = activation(name_pre)``, named by the convention."""
        name = self.cell.convention.node(role)
        pre = self.b.define(f"{name}_pre", self.affine(role))
        return self.b.define(name, activation(pre))

    def state(self, state: State, expr: sp.Expr) -> sp.Symbol:
        """The new value of one of the cell's states."""
        self.new[state.name] = self.b.define(state.name, expr)
        return self.new[state.name]

    def finish(self, description: str) -> StepModel:
        terms = [total(self.incoming[s.name] * self.new[s.name]) for s in self.cell.states]
        model = self.b.loss("E", sp.Add(*terms), description=description)
        values = {f.name: getattr(model, f.name) for f in fields(Model)}
        return StepModel(**values, cell=self.cell)


def sizes_text(cell: Cell) -> str:
    return f"input {cell.input_size}, units {cell.units}"
