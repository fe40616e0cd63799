"""The Python API: ``train(model_or_name, data, ...) -> TrainResult``."""

import numpy as np
import pytest
from numeric import q1_training

from symbackprop.errors import UsageError
from symbackprop.ir.network import dense_network
from symbackprop.train import Finding, TrainResult, load_data, train


def test_a_result_has_losses_params_findings_and_a_summary():
    result = train("tiny221", "sizes", epochs=4, lr=1.0, batch_size=25)
    assert isinstance(result, TrainResult)
    assert len(result.losses) == 5  # before training, then after each epoch
    assert sorted(result.params) == ["b", "w"] and result.params["w"].shape == (6,)
    assert all(isinstance(f, Finding) for f in result.findings)
    assert result.summary.epochs == 4 and result.summary.final_loss == result.losses[-1]
    text = result.to_text()
    assert text.startswith("trained tiny221 on sizes") and "diagnosis:" in text


def test_train_takes_model_and_dataset_objects():
    model = dense_network([2, 3, 1], "sigmoid", loss="bce")
    data = load_data("sizes").standardized()
    result = train(model, data, epochs=50, lr=1.0)
    assert result.summary.standardized is False  # standardised by the caller, not by train
    assert result.losses[-1] < result.losses[0]


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    runs = [train("xor", "xor", epochs=20, seed=seed, init="uniform") for seed in (1, 1, 2)]
    assert runs[0].losses == runs[1].losses and runs[0].losses != runs[2].losses
    assert np.array_equal(runs[0].params["synapse_0"], runs[1].params["synapse_0"])


def test_plain_sgd_on_xor_is_the_askers_own_loop():
    result = train("xor", "xor", epochs=40, lr=0.5, init="uniform", seed=4)
    start = result.module.init_params(4, "uniform")
    X, y = result.feed.arrays(result.dataset.train)
    synapse_0, synapse_1 = q1_training(
        start["synapse_0"], start["synapse_1"], X, y, alpha=0.5, iterations=40
    )
    np.testing.assert_allclose(result.params["synapse_0"], synapse_0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(result.params["synapse_1"], synapse_1, rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'"),
        (dict(init="zeros"), "unknown initialisation 'zeros'"),
        (dict(epochs=0), "epochs must be a positive integer"),
        (dict(batch_size=0), "batch size must be at least 1"),
    ],
)
def test_bad_options_are_usage_errors(options, words):
    with pytest.raises(UsageError, match=words):
        train("xor", "xor", **options)


def test_outputs_at_raw_features_apply_the_training_scaling():
    result = train("tiny221", "sizes", standardize=True, lr=1.0, batch_size=1, epochs=30)
    outputs = result.outputs_at(np.array([[5.0, 5.0], [95.0, 95.0]]))
    assert outputs[0, 0] < 0.5 < outputs[1, 0]  # small, then big
