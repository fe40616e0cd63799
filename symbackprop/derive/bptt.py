"""Backpropagation through time, derived: the per-step derivation and the recursion over steps.

The per-step adjoints come from the ordinary reverse accumulation over the one-step model
(:func:`symbackprop.derive.derive`); the loss's own term at each step comes from deriving the
sequence loss the same way. What BPTT adds is only how the steps are joined:

- the gradient arriving at each state at step t is what step t + 1 sends back through its
  previous value, plus, for the state the loss scores, the loss's own term at step t:
  ``dh_t = dE_t/dh_t + d_h_prev(step t + 1)``, and for an LSTM's cell state
  ``dc_t = d_c_prev(step t + 1)``, with nothing from beyond the last step;
- each weight's gradient is the sum over steps of its per-step formula;
- the gradient of each initial state (``h_0``, ``c_0``) is ``d_h_prev`` (``d_c_prev``) of the
  first step;
- the gradient of each step's input ``x_t`` is its per-step formula at that step alone.

The loss is half the sum of squares of ``h_t - y_t`` over the scored steps, every step
(many-to-many) or the last only (many-to-one), or the mean of those squares over every scored
element (``mse``, as ``torch.nn.MSELoss()``), whose per-step term divides by that count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import sympy as sp

from symbackprop.cells.step import INPUT, SEQUENCE_LOSSES, State, StepModel
from symbackprop.derive import Derivation, derive
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import total
from symbackprop.naming import BATCH_SIZE

# the leaf of an mse loss holding the number of scored elements, every scored step's together
SCORED_ELEMENTS = "elements"


def sequence_loss(units: int, output: State, loss: str = "half_sse") -> Model:
    """The loss at one step, with the state ``h`` differentiable: ``E_t = sum((h - y)**2) / 2``
    (``half_sse``), or ``sum((h - y)**2) / elements`` (``mse``) with ``elements`` the count of
    every scored step's elements, so that the steps' terms add up to the mean."""
    b = ModelBuilder("sequence-loss")
    h = b.parameter(output.name, shape=(BATCH_SIZE, units))
    y = b.target("y", shape=(BATCH_SIZE, units))
    squares = total((h - y) ** 2)
    words = f"{SEQUENCE_LOSSES[loss]} of {output.name} - y"
    if loss == "mse":
        return b.loss("E", squares / b.input(SCORED_ELEMENTS, shape=()), description=words)
    return b.loss("E", squares / 2, description=f"half sum of squares of {output.name} - y")


@dataclass(frozen=True, eq=False)
class SequenceDerivation:
    """The one-step derivation, the loss's own term, and the recursion that joins the steps."""

    model: StepModel
    step: Derivation
    loss: Derivation

    @property
    def states(self) -> tuple[State, ...]:
        return self.model.cell.states

    def carried(self, state: State) -> sp.Expr:
        """``dE/dh_prev`` (``dE/dc_prev``) of one step: what step t sends back to step t - 1."""
        return self.step.gradient(state.previous).expr

    @property
    def carry(self) -> sp.Expr:
        """What step t sends back to step t - 1 through the output state ``h``."""
        return self.carried(self.model.cell.output)

    @property
    def loss_term(self) -> sp.Expr:
        """``dE_t/dh_t`` from the loss at step t itself (``h - y``)."""
        return self.loss.gradient(self.model.cell.output.name).expr

    @cached_property
    def input_gradient(self) -> sp.Expr:
        """``dE/dx_t`` of one step, given the step's adjoints: every gate's pre-activation
        adjoint through its input kernel. Derived like a weight's, with x made differentiable."""
        nodes = tuple(
            replace(node, kind=Kind.PARAMETER) if node.name == INPUT else node
            for node in self.model.nodes
        )
        return derive(replace(self.model, nodes=nodes)).gradient(INPUT).expr

    @cached_property
    def weights(self) -> list[str]:
        return [w.name for w in self.model.cell.weights]


def derive_sequence(model: StepModel) -> SequenceDerivation:
    """The per-step derivation of a cell and the loss's own term at each step."""
    cell = model.cell
    loss = sequence_loss(cell.units, cell.output, model.scoring.loss)
    return SequenceDerivation(model, derive(model), derive(loss))
