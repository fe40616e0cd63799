"""Every convention's generated BPTT gradients agree with central finite differences."""

import warnings
from functools import cache

import numpy as np
import pytest
from numeric import central_gradient, max_relative_error
from test_recurrent_reference import loss_with_h0, with_h0

from symbackprop.cells.conventions import CONVENTIONS, RNN_CONVENTIONS
from symbackprop.cells.gru import gru_cell
from symbackprop.cells.rnn import rnn_cell
from symbackprop.codegen.loader import load_module

CELLS = [("gru", key, False) for key in CONVENTIONS] + [
    ("rnn", key, False) for key in RNN_CONVENTIONS
]
CELLS += [("gru", "keras", True)]  # the swapped blend is a cell too, and derived the same way
INPUT, UNITS, STEPS, BATCH = 2, 3, 4, 2


@cache
def module_of(family: str, key: str, swapped: bool):
    model = (
        gru_cell(key, INPUT, UNITS, swapped=swapped)
        if family == "gru"
        else rnn_cell(key, INPUT, UNITS)
    )
    return load_module(model)


def problem(module, many_to_many: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = {
        k: v + 0.3 * rng.normal(size=np.shape(v)) for k, v in module.init_params(seed).items()
    }
    X = rng.normal(size=(BATCH, STEPS, INPUT))
    Y = rng.normal(size=(BATCH, STEPS, UNITS) if many_to_many else (BATCH, UNITS))
    return params, X, Y, rng.normal(size=(BATCH, UNITS))


@pytest.mark.parametrize("many_to_many", [True, False], ids=["many-to-many", "many-to-one"])
@pytest.mark.parametrize(("family", "key", "swapped"), CELLS)
def test_bptt_gradients_agree_with_central_differences(family, key, swapped, many_to_many):
    module = module_of(family, key, swapped)
    params, X, Y, h0 = problem(module, many_to_many)
    grads = module.backward(params, module.forward(params, X, Y, h0), initial_state=True)
    assert set(grads) == set(params) | {"h0"}
    loss = loss_with_h0(module, X, Y)
    for name in [*params, "h0"]:
        numeric = central_gradient(loss, with_h0(params, h0), name)
        assert np.shape(grads[name]) == np.shape(numeric), name
        assert max_relative_error(grads[name], numeric) < 1e-7, name


def test_backward_returns_the_parameters_gradients_and_h0s_only_when_asked():
    module = module_of("rnn", "pytorch", False)
    params, X, Y, h0 = problem(module, many_to_many=True)
    cache = module.forward(params, X, Y, h0)
    assert set(module.backward(params, cache)) == set(params)
    assert set(module.backward(params, cache, initial_state=True)) == set(params) | {"h0"}


def test_a_many_to_one_loss_scores_only_the_last_state():
    module = module_of("gru", "keras", False)
    params, X, Y, h0 = problem(module, many_to_many=False)
    states = module.predict(params, X, h0)
    assert module.loss(params, X, Y, h0) == pytest.approx(0.5 * np.sum((states[:, -1] - Y) ** 2))


def test_forward_and_backward_stay_finite_and_silent_for_inputs_of_1e4():
    module = module_of("gru", "pytorch", False)
    params, X, Y, h0 = problem(module, many_to_many=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = module.backward(params, module.forward(params, 1e4 * np.sign(X), Y, h0))
    assert all(np.all(np.isfinite(g)) for g in grads.values())
