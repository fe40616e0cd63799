"""Backpropagation through time, derived: the per-step derivation and the recursion over steps.

The per-step adjoints come from the ordinary reverse accumulation over the one-step model
(:func:`symbackprop.derive.derive`); the loss's own term at each step comes from deriving the
sequence loss the same way. What BPTT adds is only how the steps are joined:

- the gradient arriving at ``h_t`` is the loss's own term at step t plus what step t + 1 sends
  back through ``h_prev``: ``dh_t = dE_t/dh_t + d_h_prev(step t + 1)``, with nothing from
  beyond the last step;
- each weight's gradient is the sum over steps of its per-step formula;
- the gradient of the initial state ``h_0`` is ``d_h_prev`` of the first step.

The loss is half the sum of squares of ``h_t - y_t`` over every step (many-to-many), or over
the last step only (many-to-one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from symbackprop.derive import Derivation, derive
from symbackprop.model.arrays import total
from symbackprop.model.builder import ModelBuilder
from symbackprop.model.ir import Model
from symbackprop.naming import BATCH_SIZE, gradient_name
from symbackprop.printing.latex import ModelLatexPrinter
from symbackprop.printing.text import text
from symbackprop.recurrent.cells import (
    INCOMING,
    OUTPUT,
    STATE_IN,
    StepModel,
    blend_text,
    reset_text,
)
from symbackprop.recurrent.conventions import CANDIDATE, RESET, UPDATE


def sequence_loss(units: int) -> Model:
    """The loss at one step, ``E_t = sum((h - y)**2) / 2``, with the state ``h`` differentiable."""
    b = ModelBuilder("sequence-loss")
    h = b.parameter(OUTPUT, shape=(BATCH_SIZE, units))
    y = b.target("y", shape=(BATCH_SIZE, units))
    return b.loss("E", total((h - y) ** 2) / 2, description="half sum of squares of h - y")


@dataclass(frozen=True, eq=False)
class SequenceDerivation:
    """The one-step derivation, the loss's own term, and the recursion that joins the steps."""

    model: StepModel
    step: Derivation
    loss: Derivation

    @property
    def carry(self) -> sp.Expr:
        """``dE/dh_prev`` of one step: what step t sends back to step t - 1."""
        return self.step.gradient(STATE_IN).expr

    @property
    def loss_term(self) -> sp.Expr:
        """``dE_t/dh_t`` from the loss at step t itself (``h - y``)."""
        return self.loss.gradient(OUTPUT).expr

    @cached_property
    def weights(self) -> list[str]:
        return [w.name for w in self.model.cell.weights]

    def recursion_text(self) -> str:
        """The recursion over steps in plain text, with the derived pieces filled in."""
        carry, first = gradient_name(STATE_IN), self.weights[0]
        lines = [
            "Backpropagation through time, from t = T down to t = 1 (h_0 given):",
            f"  {INCOMING}_t = ({text(self.loss_term)})_t + {carry}_(t+1)",
            f"  {carry}_t = {text(self.carry)}, at step t with delta_h = {INCOMING}_t",
            f"  dE/dW = sum over t of dE/dW at step t, for every weight W; e.g. dE/d{first} = "
            f"sum over t of ({text(self.step.gradient(first).expr)})_t",
            f"  dE/dh_0 = {carry}_1",
            f"{INCOMING}_T has no term from a later step; with a many-to-one loss "
            f"({text(self.loss_term)})_t is there only at t = T.",
        ]
        return "\n".join(lines) + "\n"

    def recursion_latex(self) -> str:
        """The same recursion as an ``align*`` block."""
        tex = ModelLatexPrinter({"hadamard": dict(self.model.shapes)}).doprint
        first = self.weights[0]
        rows = [
            r"\delta_{h_t} &= \underbrace{\left(%s\right)_t}_{\text{loss at step } t}"
            r" + \underbrace{\left[%s\right]_{t+1}}_{\text{back from step } t+1},"
            r"\qquad \delta_{h_T} = \left(%s\right)_T"
            % (tex(self.loss_term), tex(self.carry), tex(self.loss_term)),
            r"\frac{\partial E}{\partial %s} &= \sum_{t=1}^{T} \left[%s\right]_t"
            r"\quad\text{(likewise for every weight)}"
            % (tex(sp.Symbol(first)), tex(self.step.gradient(first).expr)),
            r"\frac{\partial E}{\partial h_0} &= \left[%s\right]_{1}" % tex(self.carry),
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"

    def to_data(self) -> dict:
        """The convention and the recursion as plain data (for ``--format json``)."""
        cell = self.model.cell
        gated = cell.convention.family == "gru"
        return {
            "model": self.model.name,
            "convention": cell.convention.key,
            "framework": cell.convention.framework,
            "blend": blend_text(cell) if gated else None,
            "reset": reset_text(cell) if gated else None,
            "carry": text(self.carry),
            "loss_term": text(self.loss_term),
            "recursion_text": self.recursion_text(),
            "recursion_latex": self.recursion_latex(),
        }

    def convention_text(self) -> str:
        """Which gate multiplies the previous state, and where the reset gate acts."""
        cell = self.model.cell
        conv = cell.convention
        if conv.family == "rnn":
            step = text(self.model.in_leaves(self.model.node(OUTPUT).expr))
            return f"{conv.framework}: {OUTPUT} = {step}, no gates.\n"
        z = conv.node(UPDATE)
        keeps = conv.node(CANDIDATE) if cell.swapped else STATE_IN
        return (
            f"{conv.framework}: the update gate {z} multiplies {keeps} in the blend "
            f"{blend_text(cell)}; the reset gate {conv.node(RESET)} acts "
            f"{reset_text(cell)}.\n"
        )


def derive_sequence(model: StepModel) -> SequenceDerivation:
    """The per-step derivation of a cell and the loss's own term at each step."""
    return SequenceDerivation(model, derive(model), derive(sequence_loss(model.cell.units)))
