"""Backpropagation through time in words and LaTeX: the recursion that joins the steps and
which gate convention a cell follows (the derivation itself is :mod:`symbackprop.derive.bptt`)."""

from __future__ import annotations

import sympy as sp

from symbackprop.cells.conventions import CANDIDATE, RESET, UPDATE
from symbackprop.cells.step import INCOMING, OUTPUT, STATE_IN, blend_text, reset_text
from symbackprop.derive.bptt import SequenceDerivation
from symbackprop.naming import gradient_name
from symbackprop.printing.latex import ModelLatexPrinter
from symbackprop.printing.text import text


def recursion_text(sequence: SequenceDerivation) -> str:
    """The recursion over steps in plain text, with the derived pieces filled in."""
    carry, first = gradient_name(STATE_IN), sequence.weights[0]
    lines = [
        "Backpropagation through time, from t = T down to t = 1 (h_0 given):",
        f"  {INCOMING}_t = ({text(sequence.loss_term)})_t + {carry}_(t+1)",
        f"  {carry}_t = {text(sequence.carry)}, at step t with delta_h = {INCOMING}_t",
        f"  dE/dW = sum over t of dE/dW at step t, for every weight W; e.g. dE/d{first} = "
        f"sum over t of ({text(sequence.step.gradient(first).expr)})_t",
        f"  dE/dh_0 = {carry}_1",
        f"{INCOMING}_T has no term from a later step; with a many-to-one loss "
        f"({text(sequence.loss_term)})_t is there only at t = T.",
    ]
    return "\n".join(lines) + "\n"


def recursion_latex(sequence: SequenceDerivation) -> str:
    """The same recursion as an ``align*`` block."""
    tex = ModelLatexPrinter({"hadamard": dict(sequence.model.shapes)}).doprint
    first = sequence.weights[0]
    rows = [
        r"\delta_{h_t} &= \underbrace{\left(%s\right)_t}_{\text{loss at step } t}"
        r" + \underbrace{\left[%s\right]_{t+1}}_{\text{back from step } t+1},"
        r"\qquad \delta_{h_T} = \left(%s\right)_T"
        % (tex(sequence.loss_term), tex(sequence.carry), tex(sequence.loss_term)),
        r"\frac{\partial E}{\partial %s} &= \sum_{t=1}^{T} \left[%s\right]_t"
        r"\quad\text{(likewise for every weight)}"
        % (tex(sp.Symbol(first)), tex(sequence.step.gradient(first).expr)),
        r"\frac{\partial E}{\partial h_0} &= \left[%s\right]_{1}" % tex(sequence.carry),
    ]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def sequence_data(sequence: SequenceDerivation) -> dict:
    """The convention and the recursion as plain data (for ``--format json``)."""
    cell = sequence.model.cell
    gated = cell.convention.family == "gru"
    return {
        "model": sequence.model.name,
        "convention": cell.convention.key,
        "framework": cell.convention.framework,
        "blend": blend_text(cell) if gated else None,
        "reset": reset_text(cell) if gated else None,
        "carry": text(sequence.carry),
        "loss_term": text(sequence.loss_term),
        "recursion_text": recursion_text(sequence),
        "recursion_latex": recursion_latex(sequence),
    }


def convention_text(sequence: SequenceDerivation) -> str:
    """Which gate multiplies the previous state, and where the reset gate acts."""
    cell = sequence.model.cell
    conv = cell.convention
    if conv.family == "rnn":
        step = text(sequence.model.in_leaves(sequence.model.node(OUTPUT).expr))
        return f"{conv.framework}: {OUTPUT} = {step}, no gates.\n"
    z = conv.node(UPDATE)
    keeps = conv.node(CANDIDATE) if cell.swapped else STATE_IN
    return (
        f"{conv.framework}: the update gate {z} multiplies {keeps} in the blend "
        f"{blend_text(cell)}; the reset gate {conv.node(RESET)} acts "
        f"{reset_text(cell)}.\n"
    )
