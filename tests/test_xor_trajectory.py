"""The generated xor module retraces the asker's hand-written NumPy training exactly."""

import numpy as np
from numeric import q1_training

from symbackprop.codegen.loader import load_module
from symbackprop.readers.examples import builtin


def test_generated_xor_follows_the_question_1_trajectory_for_60000_iterations():
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    alpha, hidden_dim = (0.5, 4)
    rng = np.random.RandomState(1)
    synapse_0 = 2 * rng.random_sample((3, hidden_dim)) - 1
    synapse_1 = 2 * rng.random_sample((hidden_dim, 1)) - 1
    module = load_module(builtin("xor"))
    start = {"synapse_0": synapse_0.copy(), "synapse_1": synapse_1.copy()}

    trained, losses = module.train(start, X, y, epochs=60000, lr=alpha)
    expected_0, expected_1 = q1_training(synapse_0, synapse_1, X, y, alpha, 60000)

    np.testing.assert_allclose(trained["synapse_0"], expected_0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trained["synapse_1"], expected_1, rtol=0, atol=1e-12)
    assert losses[-1] < 1e-3  # and it did learn XOR
