"""Numbers from a cell's own equations: one step, or a whole sequence, in float64.

Each node of the step model is evaluated by the one evaluator (:mod:`symbackprop.ir.evaluate`),
so every number shown or checked comes from the declared equations and not from a second,
hand-written copy of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from symbackprop.cells.step import INPUT, StepModel
from symbackprop.ir.evaluate import Evaluator, Numbers


def step_values(
    model: StepModel,
    x: np.ndarray,
    previous: np.ndarray | Mapping[str, np.ndarray],
    params: Mapping[str, np.ndarray],
    decimals: int | None = None,
) -> dict[str, np.ndarray]:
    """Every node of one step (``z``, ``r``, ..., ``h``) from ``x`` (batch, input) and the
    previous states (batch, units) by state name (``{"h": ..., "c": ...}``; an array for a cell
    with the one state h), in forward order; with ``decimals``, each node's value is rounded as
    it is computed, as a hand computation does."""
    states = model.cell.states
    if not isinstance(previous, Mapping):
        (only,) = states
        previous = {only.name: previous}
    values: dict[str, np.ndarray] = {INPUT: np.asarray(x)}
    values.update({s.previous: np.asarray(previous[s.name]) for s in states})
    values.update({name: np.asarray(value) for name, value in params.items()})
    for node in model.defined[:-1]:  # the loss needs the incoming gradients, a forward pass not
        env = {symbol: values[symbol.name] for symbol in node.expr.free_symbols}
        value = np.asarray(Evaluator(env, Numbers.FLOAT64)(node.expr), dtype=float)
        values[node.name] = value if decimals is None else np.round(value, decimals)
    return values


def run_sequence(
    model: StepModel,
    params: Mapping[str, np.ndarray],
    X: np.ndarray,  # noqa: N803 - (batch, time, features), as the frameworks name it
    initial: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Every step's output state, shape (batch, time, units), as Keras's
    ``return_sequences=True``; ``initial`` holds states by name (zeros where absent)."""
    X = np.asarray(X)  # noqa: N806
    cell = model.cell
    states = {s.name: np.zeros((X.shape[0], cell.units)) for s in cell.states}
    states.update({name: np.asarray(value) for name, value in (initial or {}).items()})
    outputs = []
    for t in range(X.shape[1]):
        values = step_values(model, X[:, t], states, params)
        states = {s.name: values[s.name] for s in cell.states}
        outputs.append(states[cell.output.name])
    return np.stack(outputs, axis=1)
