"""How each framework defines its recurrent cells: gate order, biases, reset position, names.

Every GRU convention here blends with the update gate on the previous state,

    h = z * h_prev + (1 - z) * candidate,

so z near 1 keeps the old state. They differ in where the reset gate acts and in how many bias
vectors there are:

- ``keras``: ``keras.layers.GRU(reset_after=True)``, Keras's default. r multiplies the
  recurrent product, ``h_tilde = tanh(x @ W_h + b_ih + r * (h_prev @ U_h + b_hh))``; two bias
  vectors per gate (``bias`` has shape ``(2, 3*units)``: row 0 input side, row 1 recurrent).
  Kernel gate order z, r, h.
- ``keras-reset-before``: ``keras.layers.GRU(reset_after=False)``. r multiplies the previous
  state before the product, ``h_tilde = tanh(x @ W_h + (r * h_prev) @ U_h + b_h)``; one bias
  per gate (``bias`` of shape ``(3*units,)``). Kernel gate order z, r, h.
- ``pytorch``: ``torch.nn.GRU``: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` (reset
  after), biases ``bias_ih`` and ``bias_hh``; gate order r, z, n in ``weight_ih_l0``
  (shape ``(3*hidden, input)``, applied as ``x @ weight_ih.T``).
- ``d2l``: the textbook form of d2l.ai, ``H_tilde = tanh(X W_xh + (R * H_prev) W_hh + b_h)``
  (reset before), one bias per gate, names W_xz, W_hz, b_z, ...

The form ``h = (1 - z) * h_prev + z * candidate`` (update gate on the candidate), used in
part of the literature and in course notes, is none of these: it is the "swapped blend" that
:mod:`symbackprop.check.blend` recognises in a hand computation.

The simple RNN is ``h = tanh(x @ W + h_prev @ U + b)``: Keras ``SimpleRNN`` has one bias,
PyTorch ``nn.RNN`` two (``b_ih + b_hh``).

The LSTM carries two states, ``h`` and the cell state ``c``:
``c = f * c_prev + i * g`` and ``h = o * tanh(c)``, with sigmoid gates i (input), f (forget),
o (output) and the tanh candidate g, each of ``x @ W + h_prev @ U`` plus biases. The
frameworks agree on the equations and the gate order i, f, g, o; they differ in names and
biases:

- ``pytorch``: ``torch.nn.LSTM``: gates i, f, g, o stacked in rows of ``weight_ih_l0``
  (4*hidden, input) and ``weight_hh_l0`` (4*hidden, hidden); two biases, ``bias_ih`` and
  ``bias_hh`` (PyTorch's documentation names them b_ii, b_hi, b_if, b_hf, ...).
- ``keras``: ``keras.layers.LSTM``: gates i, f, c, o side by side in the columns of
  ``kernel`` (input, 4*units) and ``recurrent_kernel`` (units, 4*units); one ``bias``
  (4*units,), whose forget part Keras initialises to ones (``unit_forget_bias=True``). The
  candidate is Keras's "c" gate; its node is called ``c_tilde`` here, clear of the state ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbackprop.errors import SpecError

UPDATE, RESET, CANDIDATE, STATE = "update", "reset", "candidate", "state"
INPUT_GATE, FORGET, OUTPUT_GATE = "input", "forget", "output"
GRU, RNN, LSTM = "gru", "rnn", "lstm"
TITLES = {GRU: "GRU", RNN: "Simple tanh RNN", LSTM: "LSTM"}  # each family's name in prose


@dataclass(frozen=True)
class Convention:
    """One framework's definition of a cell: its gates in packed order and its naming."""

    key: str
    family: str  # GRU, RNN or LSTM
    framework: str
    gate_order: tuple[str, ...]  # roles, in the order of the framework's packed weights
    letters: tuple[tuple[str, str], ...]  # role -> letter in parameter names
    reset_after: bool  # a GRU's; False for the other families
    two_biases: bool
    layout: str  # "keras", "torch" or "none": the framework's packed weight layout
    candidate_node: str = "h_tilde"
    d2l_names: bool = False
    opened: tuple[str, ...] = ()  # gates whose bias the framework initialises to ones

    @property
    def open_bias(self) -> str:
        """What ``opened`` starts as, in words (Keras's ``unit_forget_bias``)."""
        return " and ".join(f"the {role} gate's" for role in self.opened)

    def letter(self, role: str) -> str:
        return dict(self.letters)[role]

    def node(self, role: str) -> str:
        """The node holding the gate's output: ``z``, ``r``, ``h_tilde`` (``n``), ``h``."""
        return self.candidate_node if role == CANDIDATE else self.letter(role) or "h"


_GRU_LETTERS = ((UPDATE, "z"), (RESET, "r"), (CANDIDATE, "h"))
_GRU_ORDER = (UPDATE, RESET, CANDIDATE)
_TORCH_ORDER = (RESET, UPDATE, CANDIDATE)

CONVENTIONS: dict[str, Convention] = {
    c.key: c
    for c in [
        Convention(
            "keras", "gru", "Keras GRU(reset_after=True, the default)",
            _GRU_ORDER, _GRU_LETTERS, reset_after=True, two_biases=True, layout="keras",
        ),
        Convention(
            "keras-reset-before", "gru", "Keras GRU(reset_after=False)",
            _GRU_ORDER, _GRU_LETTERS, reset_after=False, two_biases=False, layout="keras",
        ),
        Convention(
            "pytorch", "gru", "PyTorch torch.nn.GRU",
            _TORCH_ORDER, ((UPDATE, "z"), (RESET, "r"), (CANDIDATE, "n")),
            reset_after=True, two_biases=True, layout="torch", candidate_node="n",
        ),
        Convention(
            "d2l", "gru", "the textbook GRU of d2l.ai (Dive into Deep Learning)",
            (RESET, UPDATE, CANDIDATE), _GRU_LETTERS,
            reset_after=False, two_biases=False, layout="none", d2l_names=True,
        ),
    ]
}  # fmt: skip

RNN_CONVENTIONS: dict[str, Convention] = {
    c.key: c
    for c in [
        Convention(
            "keras", "rnn", "Keras SimpleRNN", (STATE,), ((STATE, ""),),
            reset_after=False, two_biases=False, layout="keras",
        ),
        Convention(
            "pytorch", "rnn", "PyTorch torch.nn.RNN (tanh)", (STATE,), ((STATE, ""),),
            reset_after=False, two_biases=True, layout="torch",
        ),
    ]
}  # fmt: skip


_LSTM_ORDER = (INPUT_GATE, FORGET, CANDIDATE, OUTPUT_GATE)

LSTM_CONVENTIONS: dict[str, Convention] = {
    c.key: c
    for c in [
        Convention(
            "pytorch", "lstm", "PyTorch torch.nn.LSTM", _LSTM_ORDER,
            ((INPUT_GATE, "i"), (FORGET, "f"), (CANDIDATE, "g"), (OUTPUT_GATE, "o")),
            reset_after=False, two_biases=True, layout="torch", candidate_node="g",
        ),
        Convention(
            "keras", "lstm", "Keras LSTM", _LSTM_ORDER,
            ((INPUT_GATE, "i"), (FORGET, "f"), (CANDIDATE, "c"), (OUTPUT_GATE, "o")),
            reset_after=False, two_biases=False, layout="keras", candidate_node="c_tilde",
            opened=(FORGET,),
        ),
    ]
}  # fmt: skip

TABLES = {GRU: CONVENTIONS, RNN: RNN_CONVENTIONS, LSTM: LSTM_CONVENTIONS}


def convention(key: str, family: str = GRU) -> Convention:
    """The convention called ``key`` (``"keras"``, ``"pytorch"``, ...) of a cell family."""
    table = TABLES[family]
    try:
        return table[key]
    except KeyError:
        known = ", ".join(table)
        raise SpecError(f"unknown {family} convention {key!r} (known: {known})") from None
