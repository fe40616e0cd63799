"""Numbers from a cell's own equations: one step, or a whole sequence, in NumPy.

The step model's node expressions are compiled with :func:`sympy.lambdify`, each array
operation evaluated by its own ``evaluate``, so every number shown or checked comes from the
declared equations and not from a second, hand-written copy of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial

import numpy as np
import sympy as sp

from symbackprop.cells.step import INPUT, OUTPUT, STATE_IN, StepModel
from symbackprop.ir.ops import FLOAT_MATH, ArrayOpBase


def step_values(
    model: StepModel,
    x: np.ndarray,
    h_prev: np.ndarray,
    params: Mapping[str, np.ndarray],
    decimals: int | None = None,
) -> dict[str, np.ndarray]:
    """Every node of one step (``z``, ``r``, ..., ``h``) from ``x`` (batch, input) and
    ``h_prev`` (batch, units), in forward order; with ``decimals``, each node's value is
    rounded as it is computed, as a hand computation does."""
    values: dict[str, np.ndarray] = {INPUT: np.asarray(x), STATE_IN: np.asarray(h_prev)}
    values.update({name: np.asarray(value) for name, value in params.items()})
    for node in model.defined[:-1]:  # the loss needs dh, which a forward pass has not
        symbols, function = _compiled(model, node.name)
        value = function(*(values[s] for s in symbols))
        values[node.name] = value if decimals is None else np.round(value, decimals)
    return values


def run_sequence(
    model: StepModel,
    params: Mapping[str, np.ndarray],
    X: np.ndarray,  # noqa: N803 - (batch, time, features), as the frameworks name it
    h0: np.ndarray | None = None,
) -> np.ndarray:
    """Every step's state, shape (batch, time, units), as Keras's ``return_sequences=True``."""
    X = np.asarray(X)  # noqa: N806
    h = np.zeros((X.shape[0], model.cell.units)) if h0 is None else np.asarray(h0)
    states = []
    for t in range(X.shape[1]):
        h = step_values(model, X[:, t], h, params)[OUTPUT]
        states.append(h)
    return np.stack(states, axis=1)


@lru_cache(maxsize=512)
def _compiled(model: StepModel, name: str):
    expr = model.node(name).expr
    symbols = sorted((s.name for s in expr.free_symbols), key=str)
    ops = {type(op) for op in expr.atoms(ArrayOpBase)}  # each op evaluates itself
    array_functions = {op.__name__: partial(op.evaluate, FLOAT_MATH) for op in ops}
    function = sp.lambdify(
        [sp.Symbol(s) for s in symbols], expr, modules=[array_functions, "numpy"]
    )
    return tuple(symbols), function
