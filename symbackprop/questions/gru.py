"""Question 3, step by step: why Keras prints 0.20482421 and 0.34675306, not 0.55.

Paragraphs of Markdown with ``$math$`` (what :meth:`Explanation.with_lead` takes). The
equations are printed from the step model and every number is computed from it
(:mod:`symbackprop.cells.evaluate`); only the words and the askers' numbers are written here.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symbackprop.cells.conventions import CANDIDATE, RESET, UPDATE
from symbackprop.cells.evaluate import step_values
from symbackprop.cells.step import INPUT, OUTPUT, STATE_IN, StepModel
from symbackprop.check.blend import blend_readings
from symbackprop.codegen.stable import stabilize
from symbackprop.printing.latex import ModelLatexPrinter
from symbackprop.questions.table import CLAIMED_STATE, KERAS_PRINTS
from symbackprop.readers.examples import gru_keras


class _StepLatex(ModelLatexPrinter):
    """The model's LaTeX with the usual GRU letters: h_{t-1}, \\tilde{h}, \\sigma."""

    _letters = {STATE_IN: "h_{t-1}", "h_tilde": r"\tilde{h}", OUTPUT: "h_t", INPUT: "x_t"}

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return self._letters.get(expr.name) or super()._print_Symbol(expr, style)

    def _print_sigmoid(self, expr) -> str:
        return r"\sigma\left(%s\right)" % self._print(expr.args[0])


def step_equations(model: StepModel) -> list[str]:
    """The gates and the blend as LaTeX, inner nodes substituted: ``z = \\sigma(x W_z + ...)``."""
    conv = model.cell.convention
    shown = {conv.node(role) for role in conv.gate_order} | {OUTPUT}
    inner = {n.symbol: n.expr for n in model.defined if n.name not in shown}
    printer = _StepLatex({"hadamard": dict(model.shapes)})
    equations = []
    for node in model.defined[:-1]:
        if node.name in shown:
            expr = stabilize(node.expr.xreplace(inner).xreplace(inner))
            equations.append(f"{printer.doprint(node.symbol)} = {printer.doprint(expr)}")
    return equations


def gru_walkthrough() -> list[str]:
    """Question 3 answered in four paragraphs, every number computed from the model."""
    model = gru_keras()
    x, params = model.known_input.x, model.known_input.weights
    conv = model.cell.convention
    z, r, c = conv.node(UPDATE), conv.node(RESET), conv.node(CANDIDATE)
    equations = ", ".join(f"${e}$" for e in step_equations(model))
    first = step_values(model, x[:, 0], np.zeros((1, 1)), params)
    second = step_values(model, x[:, 1], first[OUTPUT], params)
    swapped = blend_readings(conv.key, x[:, 0], np.zeros((1, 1)), params, 2)[1]
    return [
        f"{conv.framework} computes one step as {equations}. The update gate $z$ multiplies "
        "the previous state $h_{t-1}$ in the blend, so $z$ near 1 keeps the old state; the "
        "reset gate $r$ acts after the recurrent product.",
        _step_paragraph(1, first, z, r, c, KERAS_PRINTS[0]),
        "The hand computation blends the other way round, with $z$ on the candidate: "
        f"$h_1 = z \\tilde{{h}} + (1 - z) h_0 = {_n(first[z])} \\cdot {_n(first[c])} + "
        f"{_n(1 - first[z])} \\cdot 0 = {_n(swapped.h)}$, which is the asker's {CLAIMED_STATE} "
        f"with every value rounded to two decimals (${_n(swapped.rounded[z], 2)} \\cdot "
        f"{_n(swapped.rounded[c], 2)} = {_n(swapped.rounded[z] * swapped.rounded[c], 4)}$). "
        "That form is found in part of the literature, but Keras, PyTorch (`nn.GRU`) and "
        "d2l.ai all put $z$ on the previous state.",
        _step_paragraph(2, second, z, r, c, KERAS_PRINTS[1]),
    ]


def _step_paragraph(t: int, v: dict, z: str, r: str, c: str, printed: float) -> str:
    return (
        f"Step {t}, with $x_{t} = {_n(v['x'])}$ and $h_{t - 1} = {_n(v[STATE_IN])}$: "
        f"$z = \\sigma({_n(v[z + '_pre'])}) = {_n(v[z])}$, "
        f"$r = \\sigma({_n(v[r + '_pre'])}) = {_n(v[r])}$, "
        f"$\\tilde{{h}} = \\tanh({_n(v[c + '_pre'])}) = {_n(v[c])}$, so "
        f"$h_{t} = z h_{t - 1} + (1 - z) \\tilde{{h}} = {_n(v[z])} \\cdot {_n(v[STATE_IN])} + "
        f"{_n(1 - v[z])} \\cdot {_n(v[c])} = {_n(v[OUTPUT])}$: Keras prints {printed}."
    )


def _n(value, decimals: int = 4) -> str:
    number = float(np.asarray(value).ravel()[0])
    return f"{number:.{decimals}f}".rstrip("0").rstrip(".") if number % 1 else f"{number:.0f}"
