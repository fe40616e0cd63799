"""Recurrent cells (GRU in each framework's convention, simple RNN) and backpropagation
through time: declared from their equations, derived per step, explained and generated.

    # [conventions] -> cells (one-step StepModel) -> bptt (per-step Derivation + recursion)
    #   -> plan -> templates/recurrent_module.py.j2 (generate)
    #   -> diagnose (which reading of the GRU a hand-computed state follows)
"""

from symbackprop.recurrent.bptt import SequenceDerivation, derive_sequence
from symbackprop.recurrent.cells import Cell, KnownInput, StepModel, gru_cell, rnn_cell
from symbackprop.recurrent.conventions import CONVENTIONS, RNN_CONVENTIONS, convention
from symbackprop.recurrent.diagnose import blend_readings, diagnose_blend
from symbackprop.recurrent.evaluate import run_sequence, step_values
from symbackprop.recurrent.examples import RECURRENT_EXAMPLES
from symbackprop.recurrent.generate import generate_all_recurrent, load_module, module_text
from symbackprop.recurrent.layouts import from_keras, from_torch, to_keras, to_torch


def is_recurrent(model) -> bool:
    """True for the step model of a recurrent cell (generate and verify it with this package)."""
    return isinstance(model, StepModel)


__all__ = [
    "CONVENTIONS",
    "RECURRENT_EXAMPLES",
    "RNN_CONVENTIONS",
    "Cell",
    "KnownInput",
    "SequenceDerivation",
    "StepModel",
    "blend_readings",
    "convention",
    "derive_sequence",
    "diagnose_blend",
    "from_keras",
    "from_torch",
    "generate_all_recurrent",
    "gru_cell",
    "is_recurrent",
    "load_module",
    "module_text",
    "rnn_cell",
    "run_sequence",
    "step_values",
    "to_keras",
    "to_torch",
]
