"""Backpropagation through time in words and LaTeX: the recursion that joins the steps and
which gate convention a cell follows (the derivation itself is :mod:`symbackprop.derive.bptt`)."""

from __future__ import annotations

import sympy as sp

from symbackprop.cells.conventions import CANDIDATE, GRU, LSTM, RESET, RNN, UPDATE
from symbackprop.cells.gru import blend_text, reset_text
from symbackprop.cells.lstm import state_text
from symbackprop.cells.step import State
from symbackprop.derive.bptt import SequenceDerivation
from symbackprop.naming import gradient_name
from symbackprop.printing.latex import ModelLatexPrinter, array_shapes
from symbackprop.printing.text import text


def recursion_text(sequence: SequenceDerivation) -> str:
    """The recursion over steps in plain text, with the derived pieces filled in."""
    states, first = sequence.states, sequence.weights[0]
    carries = [f"  {gradient_name(s.previous)}_t = {text(sequence.carried(s))}" for s in states]
    carries[0] += f", at step t with {' and '.join(_bindings(sequence))}"
    lines = [
        "Backpropagation through time, from t = T down to t = 1 "
        f"({' and '.join(f'{s.name}_0' for s in states)} given):",
        *(f"  {s.incoming}_t = {_arriving(sequence, s)}" for s in states),
        *carries,
        f"  dE/dW = sum over t of dE/dW at step t, for every weight W; e.g. dE/d{first} = "
        f"sum over t of ({text(sequence.step.gradient(first).expr)})_t",
        *(f"  dE/d{s.name}_0 = {gradient_name(s.previous)}_1" for s in states),
        f"{' and '.join(f'{s.incoming}_T' for s in states)} "
        f"{'has' if len(states) == 1 else 'have'} no term from a later step; with a many-to-one "
        f"loss ({text(sequence.loss_term)})_t is there only at t = T.",
    ]
    return "\n".join(lines) + "\n"


def _arriving(sequence: SequenceDerivation, state: State) -> str:
    later = f"{gradient_name(state.previous)}_(t+1)"
    return f"({text(sequence.loss_term)})_t + {later}" if state.scored else later


def _bindings(sequence: SequenceDerivation) -> list[str]:
    """How each incoming gradient enters the step: ``delta_h = dh_t`` where it is the state's
    whole adjoint, ``dc = dc_t`` where the step adds to it."""
    bindings = []
    for s in sequence.states:
        whole = sequence.step.adjoint(s.name).expr == sp.Symbol(s.incoming)
        bindings.append(f"{'delta_' + s.name if whole else s.incoming} = {s.incoming}_t")
    return bindings


def recursion_latex(sequence: SequenceDerivation) -> str:
    """The same recursion as an ``align*`` block."""
    tex = ModelLatexPrinter({"hadamard": array_shapes(sequence.step)}).doprint
    first = sequence.weights[0]
    rows = [_arriving_latex(sequence, s, tex) for s in sequence.states]
    rows.append(
        r"\frac{\partial E}{\partial %s} &= \sum_{t=1}^{T} \left[%s\right]_t"
        r"\quad\text{(likewise for every weight)}"
        % (tex(sp.Symbol(first)), tex(sequence.step.gradient(first).expr))
    )
    rows += [
        r"\frac{\partial E}{\partial %s_0} &= \left[%s\right]_{1}"
        % (s.name, tex(sequence.carried(s)))
        for s in sequence.states
    ]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def _arriving_latex(sequence: SequenceDerivation, state: State, tex) -> str:
    carried = tex(sequence.carried(state))
    if not state.scored:
        return r"\delta_{%s_t} &= \left[%s\right]_{t+1},\qquad \delta_{%s_T} = 0" % (
            state.name,
            carried,
            state.name,
        )
    loss = tex(sequence.loss_term)
    return (
        r"\delta_{%s_t} &= \underbrace{\left(%s\right)_t}_{\text{loss at step } t}"
        r" + \underbrace{\left[%s\right]_{t+1}}_{\text{back from step } t+1},"
        r"\qquad \delta_{%s_T} = \left(%s\right)_T" % (state.name, loss, carried, state.name, loss)
    )


def sequence_data(sequence: SequenceDerivation) -> dict:
    """The convention and the recursion as plain data (for ``--format json``)."""
    cell = sequence.model.cell
    gated = cell.convention.family == GRU
    return {
        "model": sequence.model.name,
        "convention": cell.convention.key,
        "framework": cell.convention.framework,
        "states": [s.name for s in cell.states],
        "blend": blend_text(cell) if gated else None,
        "reset": reset_text(cell) if gated else None,
        "carry": text(sequence.carry),
        "carried": {s.name: text(sequence.carried(s)) for s in cell.states},
        "loss_term": text(sequence.loss_term),
        "recursion_text": recursion_text(sequence),
        "recursion_latex": recursion_latex(sequence),
    }


def convention_text(sequence: SequenceDerivation) -> str:
    """What the cell's convention does: which gate multiplies what, and where."""
    return _CONVENTION_TEXTS[sequence.model.cell.convention.family](sequence)


def _gru_text(sequence: SequenceDerivation) -> str:
    """Which gate multiplies the previous state, and where the reset gate acts."""
    cell = sequence.model.cell
    conv = cell.convention
    z = conv.node(UPDATE)
    keeps = conv.node(CANDIDATE) if cell.swapped else cell.output.previous
    return (
        f"{conv.framework}: the update gate {z} multiplies {keeps} in the blend "
        f"{blend_text(cell)}; the reset gate {conv.node(RESET)} acts "
        f"{reset_text(cell)}.\n"
    )


def _rnn_text(sequence: SequenceDerivation) -> str:
    model, output = sequence.model, sequence.model.cell.output.name
    step = text(model.in_leaves(model.node(output).expr))
    return f"{model.cell.convention.framework}: {output} = {step}, no gates.\n"


def _lstm_text(sequence: SequenceDerivation) -> str:
    cell = sequence.model.cell
    conv = cell.convention
    order = ", ".join(conv.node(role) for role in conv.gate_order)
    return (
        f"{conv.framework}: {state_text(cell)}; the cell state is carried to the next step "
        f"beside h, and only h is scored by the loss. Gates in the packed weights' order: "
        f"{order}.\n"
    )


_CONVENTION_TEXTS = {GRU: _gru_text, RNN: _rnn_text, LSTM: _lstm_text}
