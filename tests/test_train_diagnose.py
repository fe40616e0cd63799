"""Diagnostics that explain failed training: questions 5 and 6 reproduced and
diagnosed, their fixes proven by accuracy, and each check on a run made to show it."""

import numpy as np
import pytest
import sympy as sp

from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.network import dense_network
from symbackprop.train import train
from symbackprop.train.anatomy import activation_units, parameter_layers
from symbackprop.train.diagnose import FIX_LOWER_LR, FIX_STANDARDIZE, dead_relu_units
from symbackprop.train.evidence import Evidence, Settings, Snapshot
from symbackprop.train.extras import available

needs_sklearn = pytest.mark.skipif(
    not available("sklearn"), reason="the digits data needs scikit-learn (extra 'data')"
)

# Question 5's set-up: raw 0..100 inputs, weights and biases from random.random(),
# learning rate 1, one update per sample.
Q5_AS_ASKED = dict(init="positive", lr=1.0, batch_size=1, epochs=20)
Q5_FIXED = dict(init="glorot", lr=1.0, batch_size=1, epochs=100, standardize=True)


def codes(result):
    return [finding.code for finding in result.findings]


def finding(result, code):
    return next(f for f in result.findings if f.code == code)


# -- question 5 --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def q5_as_asked():
    return train("tiny221", "sizes", **Q5_AS_ASKED)


def test_q5_as_asked_is_diagnosed_as_saturated_with_the_number_behind_it(q5_as_asked):
    saturated = finding(q5_as_asked, "saturated")
    assert saturated.value > 0.9
    assert "h1" in saturated.message and "sigmoid h1out" in saturated.message
    assert "standardise the inputs" in saturated.fix


def test_q5_as_asked_names_its_causes_and_their_fixes(q5_as_asked):
    found = codes(q5_as_asked)
    assert {"unscaled-inputs", "one-sign-init", "identical-predictions"} <= set(found)
    assert "'width' has root mean square 64" in finding(q5_as_asked, "unscaled-inputs").message
    assert "--init glorot" in finding(q5_as_asked, "one-sign-init").fix
    assert q5_as_asked.summary.test_accuracy < 0.7


def test_q5_with_scaled_inputs_learns_the_linear_sizes():
    result = train("tiny221", "sizes", **Q5_FIXED)
    assert result.summary.test_accuracy >= 0.95
    assert result.findings == []


# -- question 6 --------------------------------------------------------------------------------
@needs_sklearn
def test_q6_as_asked_is_diagnosed_as_identical_predictions_and_saturation():
    result = train("digits", "digits", init="positive", lr=1.0, epochs=200)
    identical = finding(result, "identical-predictions")
    assert "every one of the 1348 training samples gets class" in identical.message
    assert "softmax" in identical.fix
    assert finding(result, "saturated").value == 1.0
    assert {"unscaled-inputs", "one-sign-init", "vanishing-gradients"} <= set(codes(result))


@needs_sklearn
def test_q6_with_binarised_pixels_is_diagnosed_the_same_way():
    result = train("digits", "digits-binary", init="positive", lr=1.0, epochs=100)
    assert {"identical-predictions", "saturated", "one-sign-init"} <= set(codes(result))
    assert "unscaled-inputs" not in codes(result)


@needs_sklearn
def test_q6_with_standardised_pixels_glorot_and_softmax_reaches_95_percent():
    model = dense_network([64, 32, 10], ["tanh", "softmax"], loss="softmax_ce")
    result = train(
        model, "digits", standardize=True, init="glorot", optimizer="adam", lr=0.01, epochs=100
    )
    assert result.summary.test_accuracy >= 0.95
    assert result.findings == []


# -- other failures ----------------------------------------------------------------------------
def test_too_large_a_learning_rate_is_told_to_come_down():
    result = train("tiny221", "sizes", standardize=True, lr=50.0, epochs=200)
    assert "loss-diverged" in codes(result)
    saturated = finding(result, "saturated")
    assert "after epoch 200" in saturated.message
    assert saturated.fix == FIX_LOWER_LR  # the inputs are standardised already


def test_a_loss_that_does_not_move_is_reported():
    result = train("xor", "xor", lr=1e-9, epochs=5)
    flat = finding(result, "loss-flat")
    assert flat.value < 0.01 and "in 5 epochs" in flat.message


def test_a_run_that_learns_has_no_findings():
    result = train("xor", "xor", init="uniform", lr=0.5, epochs=2000)
    assert result.summary.train_accuracy == 1.0 and result.findings == []


def test_unscaled_inputs_are_not_reported_once_standardised():
    result = train("tiny221", "sizes", standardize=True, epochs=1)
    assert "unscaled-inputs" not in codes(result)
    assert FIX_STANDARDIZE not in result.to_text()


def test_dead_relu_units_are_counted_from_the_forward_cache():
    model = dense_network([2, 4, 1], ["relu", "sigmoid"], loss="bce")
    a1 = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 3.0]])
    cache = {"z1": a1, "a1": a1, "z2": np.zeros((3, 1)), "a2": np.full((3, 1), 0.5)}
    snapshot = Snapshot(1, cache, {}, {})
    evidence = Evidence.gather(
        model,
        features=np.ones((3, 2)),
        feature_names=("p", "q"),
        classes=None,
        labels=None,
        initial={},
        snapshots=(snapshot, snapshot),
        losses=(1.0, 0.5),
        settings=Settings(lr=0.1, init="he", optimizer="sgd", standardized=True),
    )
    dead = dead_relu_units(evidence)
    assert dead.value == 0.5 and "2 of 4 ReLU units output 0" in dead.message


# -- anatomy -------------------------------------------------------------------------------------
def test_activations_are_recognised_by_type_not_by_name_nor_by_expression():
    b = ModelBuilder("named-oddly")
    x = b.input("x")
    t = b.target("t")
    w, c = b.parameter("w"), b.parameter("c")
    pre = b.define("sum_", w * x + c)
    squashed = b.define("relu_out", ACTIVATIONS["sigmoid"](pre))  # a sigmoid, whatever its name
    bent = b.define("sigmoid_out", sp.tanh(squashed))
    b.define("not_an_activation", 2 * bent)
    b.define("written_out", 1 / (1 + sp.exp(-pre)))  # a formula: no pattern is matched
    model = b.loss("e", (t - bent) ** 2)
    units = {unit.node: unit.activation for unit in activation_units(model)}
    assert units == {"relu_out": "sigmoid", "sigmoid_out": "tanh"}


def test_relu_units_and_layers_of_a_dense_network_are_found():
    model = dense_network([3, 4, 2], [ACTIVATIONS["relu"], "softmax"], loss="softmax_ce")
    assert [(u.node, u.activation, u.pre_activation) for u in activation_units(model)] == [
        ("a1", "relu", "z1")
    ]
    assert parameter_layers(model) == {"z1": ["W1", "b1"], "z2": ["W2", "b2"]}


@pytest.mark.parametrize("init", ["uniform", "glorot", "he", "positive"])
def test_raw_sizes_saturate_tiny221_whatever_the_initialisation(init):
    result = train("tiny221", "sizes", init=init, lr=1.0, batch_size=1, epochs=5)
    assert {"unscaled-inputs", "saturated"} <= set(codes(result))


# -- a run that stopped too early, and a model that fits its data poorly -------------------------
@needs_sklearn
def test_full_batch_digits_is_found_undertrained_and_underfitting():
    """100 full-batch SGD epochs on the standardised digits: the loss is still falling and
    the sigmoid net gets about a third of its own training images wrong."""
    result = train("digits", "digits", standardize=True, batch_size=None)
    assert codes(result) == ["undertrained", "underfitting"]
    last_tenth = (result.losses[-11] - result.losses[-1]) / result.losses[-11]
    assert finding(result, "undertrained").value == pytest.approx(last_tenth)
    assert "--epochs 200" in finding(result, "undertrained").fix
    assert "--batch-size 32" in finding(result, "undertrained").fix
    right = finding(result, "underfitting").value
    assert right == pytest.approx(result.summary.train_accuracy) and right < 0.9


@needs_sklearn
@pytest.mark.parametrize("model", ["digits", "digits-softmax"])
def test_the_digits_learn_with_default_settings_and_standardised_inputs(model):
    result = train(model, "digits", standardize=True)
    assert result.summary.batch_size == 32
    assert result.summary.test_accuracy >= 0.95
    assert result.findings == []


def test_the_test_loss_is_recorded_after_every_epoch_beside_the_training_loss():
    result = train("tiny221", "sizes", **Q5_FIXED)
    assert len(result.test_losses) == len(result.losses) == Q5_FIXED["epochs"] + 1
    module, feed = result.module, result.feed
    final = module.loss(result.params, *feed.arrays(result.dataset.test))
    assert result.test_losses[-1] == pytest.approx(final)
    assert result.summary.test_loss == pytest.approx(final)
