"""The LSTM cell, as ``torch.nn.LSTM`` and ``keras.layers.LSTM`` define it.

Two states: the hidden state ``h``, which the cell outputs, and the cell state ``c``, which
is only carried to the next step::

    i = sigmoid(x @ W_i + h_prev @ U_i + b_i)        input gate
    f = sigmoid(x @ W_f + h_prev @ U_f + b_f)        forget gate
    g = tanh(x @ W_g + h_prev @ U_g + b_g)           candidate (Keras's c gate: c_tilde)
    o = sigmoid(x @ W_o + h_prev @ U_o + b_o)        output gate
    c = f * c_prev + i * g
    h = o * tanh(c)

with both biases ``b_ii + b_hi`` in PyTorch's convention. ``tanh(c)`` is a node of its own,
``tanh_c``, so that its derivative is derived through it (1 - tanh_c**2) and the forward value
is computed once.

>>> model = lstm_cell("pytorch", input_size=1, units=1)
>>> [state.name for state in model.cell.states]
['h', 'c']
"""

from __future__ import annotations

from symbackprop.cells.conventions import (
    CANDIDATE,
    FORGET,
    INPUT_GATE,
    LSTM,
    OUTPUT_GATE,
    convention,
)
from symbackprop.cells.step import (
    HIDDEN,
    Cell,
    State,
    StepBuilder,
    StepModel,
    make_cell,
    sigmoid,
    sizes_text,
    tanh,
)

CELL_STATE = State("c")
TANH_C = "tanh_c"


def lstm_cell(
    convention_key: str = "pytorch",
    input_size: int = 1,
    units: int = 1,
    name: str | None = None,
) -> StepModel:
    """One LSTM step in the ``"pytorch"`` or ``"keras"`` convention."""
    conv = convention(convention_key, LSTM)
    cell = make_cell(conv, input_size, units, states=(HIDDEN, CELL_STATE))
    s = StepBuilder(cell, name or f"lstm-{conv.key}")
    gates = {role: s.gate(role, tanh if role == CANDIDATE else sigmoid) for role in conv.gate_order}
    c = s.state(
        CELL_STATE,
        gates[FORGET] * s.previous[CELL_STATE.name] + gates[INPUT_GATE] * gates[CANDIDATE],
    )
    squashed = s.b.define(TANH_C, tanh(c))
    s.state(HIDDEN, gates[OUTPUT_GATE] * squashed)
    sizes = sizes_text(cell)
    return s.finish(f"one LSTM step as in {conv.framework}: {state_text(cell)} ({sizes})")


def state_text(cell: Cell) -> str:
    """``c = f*c_prev + i*g, h = o*tanh(c)``, in the convention's names."""
    node = cell.convention.node
    c, h = CELL_STATE, HIDDEN
    return (
        f"{c.name} = {node(FORGET)}*{c.previous} + {node(INPUT_GATE)}*{node(CANDIDATE)}, "
        f"{h.name} = {node(OUTPUT_GATE)}*tanh({c.name})"
    )
