"""Layers written as classes, in the style of a popular from-scratch book (``Layer_Dense``,
``Activation_ReLU``, ``Activation_Softmax`` with its jacobian loop, the categorical
cross-entropy loss, softmax and the loss together, dropout, sigmoid, linear): every class read,
correct code never called wrong, and each single-line mutant of a backward caught at its own
line.

The labels come from torch autograd of a torch version of each forward, written here (the
fixture is run only by this oracle, never by the checker), not from the checker. The oracle
follows the checker's convention for a class: for a layer, L = sum(self.output * dvalues) with
dvalues the upstream gradient; for a class whose name holds "Loss", the loss is the mean of
what its forward returns, and its backward gets the predictions (``self.output`` where the
forward sets it) and the integer labels. Each ``self.dNAME`` is the gradient of NAME, a
forward argument or a weight of the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from layer_mutants import (
    assert_judged_as_labelled,
    assert_labels_as_reviewed,
    judged,
    load_module,
    mutant_file,
    oracle_labels,
    read_correct,
)

from symbackprop.check import check_code
from symbackprop.check.layerfile import NOT_READ

torch = pytest.importorskip("torch")
F = torch.nn.functional

CLASSES = Path(__file__).parent / "layerfiles" / "layer_classes.py"


# -- the oracle: torch autograd of the same forward, at every configuration ----------------------
@dataclass
class Case:
    """One configuration of a class: what it is made with, the weights set on it after (drawn
    here, not the book's small ones), the forward's arguments by name, torch's version of the
    forward (the layer's output, or the loss), and which tensor each ``self.dNAME`` is the
    gradient of."""

    init: tuple
    weights: dict[str, np.ndarray]
    args: dict[str, np.ndarray]
    reference: Callable  # (tensors by name, the instance after its forward) -> output or loss
    grads: dict[str, str]
    penalty: Callable | None = None  # (tensors by name) -> the regularisation loss added


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _dense(samples, n_inputs, n_neurons):
    def make(rng):
        weights = {
            "weights": _normal(rng, n_inputs, n_neurons),
            "biases": _normal(rng, 1, n_neurons),
        }
        return Case(
            (n_inputs, n_neurons),
            weights,
            {"inputs": _normal(rng, samples, n_inputs)},
            lambda t, _: t["inputs"] @ t["weights"] + t["biases"],
            {"dweights": "weights", "dbiases": "biases", "dinputs": "inputs"},
        )

    return make


def _regularised_dense(samples, n_inputs, n_neurons, strengths):
    """A dense layer made with its regularisers, in its signature's order (L1 and L2 of the
    weights, then of the biases), its loss adding theirs as ``Loss.regularization_loss``
    does."""
    l1_w, l2_w, l1_b, l2_b = strengths

    def penalty(t):
        w, b = t["weights"], t["biases"]
        return (
            l1_w * w.abs().sum()
            + l2_w * (w * w).sum()
            + l1_b * b.abs().sum()
            + l2_b * (b * b).sum()
        )

    def make(rng):
        case = _dense(samples, n_inputs, n_neurons)(rng)
        return replace(case, init=(n_inputs, n_neurons, *strengths), penalty=penalty)

    return make


def _activation(reference, samples, width, init=()):
    def make(rng):
        args = {"inputs": _normal(rng, samples, width)}
        return Case(init, {}, args, reference, {"dinputs": "inputs"})

    return make


def _torch_crossentropy(t, _):
    """Cross-entropy of given probabilities: the mean of -log p[y]."""
    p, y = t["y_pred"], t["y_true"]
    return -torch.log(p[torch.arange(p.shape[0]), y]).mean()


def _probabilities(samples, width):
    def make(rng):
        raw = rng.uniform(0.1, 1.0, size=(samples, width))
        args = {"y_pred": raw / raw.sum(axis=1, keepdims=True)}
        args["y_true"] = rng.integers(0, width, size=samples)
        return Case((), {}, args, _torch_crossentropy, {"dinputs": "y_pred"})

    return make


def _scores(samples, width):
    def make(rng):
        args = {"inputs": _normal(rng, samples, width)}
        args["y_true"] = rng.integers(0, width, size=samples)
        reference = lambda t, _: F.cross_entropy(t["inputs"], t["y_true"])  # noqa: E731
        return Case((), {}, args, reference, {"dinputs": "inputs"})

    return make


def _binary(samples, outputs):
    def make(rng):
        args = {"y_pred": rng.uniform(0.05, 0.95, size=(samples, outputs))}
        args["y_true"] = rng.integers(0, 2, size=(samples, outputs))
        reference = lambda t, _: F.binary_cross_entropy(  # noqa: E731
            t["y_pred"], t["y_true"].double()
        )
        return Case((), {}, args, reference, {"dinputs": "y_pred"})

    return make


def _squared(samples, outputs):
    def make(rng):
        args = {"y_pred": _normal(rng, samples, outputs), "y_true": _normal(rng, samples, outputs)}
        reference = lambda t, _: ((t["y_true"] - t["y_pred"]) ** 2).mean()  # noqa: E731
        return Case((), {}, args, reference, {"dinputs": "y_pred"})

    return make


def _dropout(t, layer):
    return t["inputs"] * torch.tensor(layer.binary_mask)


# the class judged -> its configurations: the sizes the checker makes a class at first (5
# samples, 4 inputs, 6 neurons; a rate of 0.25), then others, every size distinct
CONFIGS = {
    "Layer_Dense": [_dense(5, 4, 6), _dense(3, 7, 2), _dense(6, 3, 5)],
    "Activation_ReLU": [
        _activation(lambda t, _: torch.relu(t["inputs"]), 5, 4),
        _activation(lambda t, _: torch.relu(t["inputs"]), 3, 7),
    ],
    "Activation_Softmax": [
        _activation(lambda t, _: torch.softmax(t["inputs"], dim=1), 5, 4),
        _activation(lambda t, _: torch.softmax(t["inputs"], dim=1), 3, 6),
    ],
    "Loss_CategoricalCrossentropy": [_probabilities(5, 4), _probabilities(3, 6)],
    "Activation_Softmax_Loss_CategoricalCrossentropy": [_scores(5, 4), _scores(3, 6)],
    "Layer_Dense_Regularized": [
        _dense(5, 4, 6),
        _dense(3, 7, 2),
        _regularised_dense(5, 4, 6, (0.05, 0.4, 0.25, 0.1)),
        _regularised_dense(3, 2, 7, (0.6, 0.15, 0.02, 0.8)),
    ],
    "Layer_Dropout": [
        _activation(_dropout, 5, 4, init=(0.25,)),
        _activation(_dropout, 6, 7, init=(0.4,)),
    ],
    "Activation_Sigmoid": [
        _activation(lambda t, _: torch.sigmoid(t["inputs"]), 5, 4),
        _activation(lambda t, _: torch.sigmoid(t["inputs"]), 3, 7),
    ],
    "Activation_Linear": [
        _activation(lambda t, _: t["inputs"], 5, 4),
        _activation(lambda t, _: t["inputs"], 3, 7),
    ],
    "Loss_BinaryCrossentropy": [_binary(5, 4), _binary(3, 6)],
    "Loss_MeanSquaredError": [_squared(5, 4), _squared(3, 6)],
}


def _is_loss(name: str) -> bool:
    return "loss" in name.lower()


def _agrees(got, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def _case_right(module, name: str, index: int) -> bool:
    """Whether the class's forward gives torch's output (or loss) and its backward stores
    torch autograd's gradients, at one configuration."""
    rng = np.random.default_rng(100 + index)
    case = CONFIGS[name][index](rng)
    np.random.seed(300 + index)  # the book's layers draw from numpy's global generator
    layer = getattr(module, name)(*case.init)
    for attribute, value in case.weights.items():
        setattr(layer, attribute, value.copy())
    returned = layer.forward(*[a.copy() for a in case.args.values()])

    tensors = {}
    for key, value in [*case.weights.items(), *case.args.items()]:
        grad = key in case.grads.values()
        tensors[key] = torch.tensor(value, requires_grad=grad)
    out = case.reference(tensors, layer)
    if _is_loss(name):
        got = returned if np.ndim(returned) == 0 else np.mean(returned)
        loss = out
        predictions = getattr(layer, "output", next(iter(case.args.values())))
        handed = [np.array(predictions, dtype=float), case.args["y_true"].copy()]
    else:
        got = layer.output
        dvalues = rng.standard_normal(tuple(out.shape))
        loss = (out * torch.tensor(dvalues)).sum()
        if case.penalty is not None:
            loss = loss + case.penalty(tensors)
        handed = [dvalues.copy()]
    assert _agrees(got, out.detach().numpy()), (name, "the forward is not torch's")
    sources = list(case.grads.values())
    expected = dict(
        zip(sources, torch.autograd.grad(loss, [tensors[s] for s in sources]), strict=True)
    )

    try:  # a mutant that crashes (shapes that do not fit, an index out of range) is wrong
        layer.backward(*handed)
    except Exception:
        return False
    return all(
        _agrees(getattr(layer, gradient, None), expected[source].numpy())
        for gradient, source in case.grads.items()
    )


def _right(module, name: str) -> bool:
    """Right at every configuration."""
    return all(_case_right(module, name, i) for i in range(len(CONFIGS[name])))


# -- the correct file ---------------------------------------------------------------------------
def test_torch_autograd_agrees_the_class_fixture_is_right_at_every_configuration():
    module = load_module(CLASSES)
    for name in CONFIGS:
        assert _right(module, name), name


def test_the_dropout_configurations_drop_some_inputs_and_keep_others():
    module = load_module(CLASSES)
    for index, make in enumerate(CONFIGS["Layer_Dropout"]):
        case = make(np.random.default_rng(100 + index))
        np.random.seed(300 + index)
        layer = module.Layer_Dropout(*case.init)
        layer.forward(case.args["inputs"].copy())
        kept = 1 / (1 - case.init[0])
        assert set(np.unique(layer.binary_mask)) == {0.0, kept}


def test_every_class_of_the_file_is_read_and_correct():
    read_correct(CLASSES, {f"{name}.backward" for name in CONFIGS})


# -- mutants ------------------------------------------------------------------------------------
DENSE_DW = "self.dweights = np.dot(self.inputs.T, dvalues)"
DENSE_DB = "self.dbiases = np.sum(dvalues, axis=0, keepdims=True)"
DENSE_DX = "self.dinputs = np.dot(dvalues, self.weights.T)"
RELU_MASK = "self.dinputs[self.inputs <= 0] = 0"
JACOBIAN = "jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)"
SIGMOID = "self.dinputs = dvalues * (1 - self.output) * self.output"

# (class, line as written, mutated line), every one in the class's backward: wrong ones and
# equivalent ones alike; the oracle says which is which
MUTANTS = [
    # dense: the transposes, the bias's sum, the batch mean taken where the loss takes it
    ("Layer_Dense", DENSE_DW, "self.dweights = np.dot(dvalues.T, self.inputs)"),
    ("Layer_Dense", DENSE_DW, "self.dweights = np.dot(self.inputs.T, dvalues) / len(dvalues)"),
    ("Layer_Dense", DENSE_DW, "self.dweights = np.dot(self.inputs, dvalues)"),
    ("Layer_Dense", DENSE_DB, "self.dbiases = np.sum(dvalues, axis=1, keepdims=True)"),
    ("Layer_Dense", DENSE_DB, "self.dbiases = np.sum(dvalues, axis=0)"),
    ("Layer_Dense", DENSE_DX, "self.dinputs = np.dot(dvalues, self.weights)"),
    ("Layer_Dense", DENSE_DX, "self.dinputs = np.dot(self.weights, dvalues.T)"),
    ("Layer_Dense", DENSE_DW, "self.dweights = np.dot(dvalues.T, self.inputs).T"),
    ("Layer_Dense", DENSE_DW, "self.dweights = self.inputs.T @ dvalues"),
    ("Layer_Dense", DENSE_DB, "self.dbiases = dvalues.sum(axis=0, keepdims=True)"),
    ("Layer_Dense", DENSE_DX, "self.dinputs = np.dot(self.weights, dvalues.T).T"),
    # ReLU: the mask's side, the mask taken from the upstream gradient
    ("Activation_ReLU", RELU_MASK, "self.dinputs[self.inputs > 0] = 0"),
    ("Activation_ReLU", RELU_MASK, "self.dinputs[dvalues <= 0] = 0"),
    ("Activation_ReLU", "self.dinputs = dvalues.copy()", "self.dinputs = np.ones_like(dvalues)"),
    ("Activation_ReLU", RELU_MASK, "self.dinputs[self.inputs < 0] = 0"),  # no ties at 0
    ("Activation_ReLU", RELU_MASK, "self.dinputs[self.output <= 0] = 0"),
    ("Activation_ReLU", "self.dinputs = dvalues.copy()", "self.dinputs = dvalues"),
    # softmax: the jacobian's sign and outer product, the product with the upstream gradient
    (
        "Activation_Softmax",
        JACOBIAN,
        "jacobian_matrix = np.dot(single_output, single_output.T) - np.diagflat(single_output)",
    ),
    (
        "Activation_Softmax",
        JACOBIAN,
        "jacobian_matrix = np.diagflat(single_output) + np.dot(single_output, single_output.T)",
    ),
    (
        "Activation_Softmax",
        "np.dot(single_output, single_output.T)",
        "np.dot(single_output.T, single_output)",
    ),
    (
        "Activation_Softmax",
        "self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)",
        "self.dinputs[index] = np.sum(jacobian_matrix, axis=1)",
    ),
    (
        "Activation_Softmax",
        "np.dot(single_output, single_output.T)",
        "single_output @ single_output.T",
    ),
    (
        "Activation_Softmax",
        "np.dot(jacobian_matrix, single_dvalues)",
        "np.dot(single_dvalues, jacobian_matrix)",  # the jacobian is symmetric
    ),
    (
        "Activation_Softmax",
        "single_output = single_output.reshape(-1, 1)",
        "single_output = single_output.reshape(len(single_output), 1)",
    ),
    (
        "Activation_Softmax",
        "self.dinputs = np.empty_like(dvalues)",
        "self.dinputs = np.zeros_like(dvalues)",
    ),
    # cross-entropy: the sign, the one-hot labels, the mean over samples
    (
        "Loss_CategoricalCrossentropy",
        "self.dinputs = -y_true / dvalues",
        "self.dinputs = y_true / dvalues",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "self.dinputs = -y_true / dvalues",
        "self.dinputs = -1 / dvalues",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "self.dinputs = self.dinputs / samples",
        "self.dinputs = self.dinputs.copy()",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "self.dinputs = self.dinputs / samples",
        "self.dinputs = self.dinputs / labels",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "y_true = np.eye(labels)[y_true]",
        "y_true = np.eye(samples)[y_true]",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "self.dinputs = -y_true / dvalues",
        "self.dinputs = -y_true * (1 / dvalues)",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "y_true = np.eye(labels)[y_true]",
        "y_true = np.identity(labels)[y_true]",
    ),
    (
        "Loss_CategoricalCrossentropy",
        "y_true = np.eye(labels)[y_true]",
        "y_true = np.eye(dvalues.shape[1])[y_true]",
    ),
    ("Loss_CategoricalCrossentropy", "samples = len(dvalues)", "samples = dvalues.shape[0]"),
    # softmax with cross-entropy: P - Y over samples
    ("Activation_Softmax_Loss_CategoricalCrossentropy", "y_true] -= 1", "y_true] -= 2"),
    ("Activation_Softmax_Loss_CategoricalCrossentropy", "y_true] -= 1", "y_true] += 1"),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "self.dinputs[range(samples), y_true] -= 1",
        "self.dinputs[y_true, range(samples)] -= 1",
    ),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "self.dinputs = self.dinputs / samples",
        "self.dinputs = self.dinputs / dvalues.shape[1]",
    ),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "samples = len(dvalues)",
        "samples = len(dvalues[0])",
    ),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "self.dinputs[range(samples), y_true] -= 1",
        "self.dinputs[np.arange(samples), y_true] -= 1",
    ),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "self.dinputs = dvalues.copy()",
        "self.dinputs = np.array(dvalues)",
    ),
    # dense with L1 and L2 regularisers, judged with them at 0 (their defaults) and on, the
    # loss adding the file's Loss.regularization_loss(layer)
    ("Layer_Dense_Regularized", DENSE_DX, "self.dinputs = np.dot(dvalues, self.dweights.T)"),
    ("Layer_Dense_Regularized", DENSE_DB, "self.dbiases = np.mean(dvalues, axis=0, keepdims=True)"),
    (
        "Layer_Dense_Regularized",
        "self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
        "self.dweights += self.weight_regularizer_l2 * self.weights",
    ),
    (
        "Layer_Dense_Regularized",
        "self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
        "self.dweights = 2 * self.weight_regularizer_l2 * self.weights",
    ),
    (
        "Layer_Dense_Regularized",
        "self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
        "self.dweights += 2 * self.weight_regularizer_l2 * self.weights * len(dvalues)",
    ),
    (
        "Layer_Dense_Regularized",
        "self.dbiases += 2 * self.bias_regularizer_l2 * self.biases",
        "self.dbiases += 2 * self.weight_regularizer_l2 * self.biases",
    ),
    ("Layer_Dense_Regularized", "dL1[self.weights < 0] = -1", "dL1[self.weights < 0] = 0"),
    (
        "Layer_Dense_Regularized",
        "self.dweights += self.weight_regularizer_l1 * dL1",
        "self.dweights -= self.weight_regularizer_l1 * dL1",
    ),
    (
        "Layer_Dense_Regularized",
        "self.dbiases += self.bias_regularizer_l1 * dL1",
        "self.dbiases += self.bias_regularizer_l2 * dL1",
    ),
    (
        "Layer_Dense_Regularized",
        "self.dweights += self.weight_regularizer_l1 * dL1",
        "self.dweights += self.weight_regularizer_l1 * np.sign(self.weights)",
    ),
    # dropout: the mask's scale
    ("Layer_Dropout", "dvalues * self.binary_mask", "dvalues * (self.binary_mask > 0)"),
    ("Layer_Dropout", "dvalues * self.binary_mask", "dvalues * self.binary_mask * (1 - self.rate)"),
    ("Layer_Dropout", "self.dinputs = dvalues * self.binary_mask", "self.dinputs = dvalues"),
    ("Layer_Dropout", "dvalues * self.binary_mask", "self.binary_mask * dvalues"),
    # sigmoid: the derivative of the output, not of the input
    ("Activation_Sigmoid", SIGMOID, "self.dinputs = dvalues * (1 - self.output)"),
    ("Activation_Sigmoid", SIGMOID, "self.dinputs = dvalues * (1 - self.inputs) * self.inputs"),
    ("Activation_Sigmoid", SIGMOID, "self.dinputs = dvalues * self.output * (1 - self.output)"),
    ("Activation_Sigmoid", SIGMOID, "self.dinputs = dvalues * (self.output - self.output**2)"),
    # linear
    ("Activation_Linear", "self.dinputs = dvalues.copy()", "self.dinputs = np.ones_like(dvalues)"),
    ("Activation_Linear", "self.dinputs = dvalues.copy()", "self.dinputs = 1 * dvalues"),
    # binary cross-entropy and mean squared error: each output's share, the sign, the count
    ("Loss_BinaryCrossentropy", "/ (1 - clipped_dvalues)) / outputs", "/ (1 - clipped_dvalues))"),
    (
        "Loss_BinaryCrossentropy",
        "(1 - y_true) / (1 - clipped_dvalues)",
        "(1 - y_true) / clipped_dvalues",
    ),
    ("Loss_BinaryCrossentropy", "self.dinputs = self.dinputs / samples", "self.dinputs /= samples"),
    ("Loss_BinaryCrossentropy", "self.dinputs = -(y_true", "self.dinputs = (y_true"),
    (
        "Loss_MeanSquaredError",
        "self.dinputs = -2 * (y_true - dvalues) / outputs",
        "self.dinputs = -2 * (y_true - dvalues)",
    ),
    (
        "Loss_MeanSquaredError",
        "self.dinputs = -2 * (y_true - dvalues) / outputs",
        "self.dinputs = 2 * (dvalues - y_true) / outputs",
    ),
    (
        "Loss_MeanSquaredError",
        "self.dinputs = -2 * (y_true - dvalues) / outputs",
        "self.dinputs = -(y_true - dvalues) / outputs",
    ),
    (
        "Loss_MeanSquaredError",
        "self.dinputs = self.dinputs / samples",
        "self.dinputs = self.dinputs / outputs",
    ),
]

# Reviewed: the mutants torch autograd labels right (equivalent rewrites, or a change that
# only matters at a configuration the layer never sees); every other mutant is wrong.
EQUIVALENT = {
    ("Layer_Dense", "self.dweights = np.dot(dvalues.T, self.inputs).T"),
    ("Layer_Dense", "self.dweights = self.inputs.T @ dvalues"),
    ("Layer_Dense", "self.dbiases = dvalues.sum(axis=0, keepdims=True)"),
    ("Layer_Dense", "self.dinputs = np.dot(self.weights, dvalues.T).T"),
    ("Activation_ReLU", "self.dinputs[self.inputs < 0] = 0"),  # no input is exactly 0
    ("Activation_ReLU", "self.dinputs[self.output <= 0] = 0"),
    ("Activation_ReLU", "self.dinputs = dvalues"),  # the upstream gradient is not used after
    ("Activation_Softmax", "single_output @ single_output.T"),
    ("Activation_Softmax", "np.dot(single_dvalues, jacobian_matrix)"),
    ("Activation_Softmax", "single_output = single_output.reshape(len(single_output), 1)"),
    ("Activation_Softmax", "self.dinputs = np.zeros_like(dvalues)"),
    ("Loss_CategoricalCrossentropy", "self.dinputs = -y_true * (1 / dvalues)"),
    ("Loss_CategoricalCrossentropy", "y_true = np.identity(labels)[y_true]"),
    ("Loss_CategoricalCrossentropy", "y_true = np.eye(dvalues.shape[1])[y_true]"),
    ("Loss_CategoricalCrossentropy", "samples = dvalues.shape[0]"),
    (
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        "self.dinputs[np.arange(samples), y_true] -= 1",
    ),
    ("Activation_Softmax_Loss_CategoricalCrossentropy", "self.dinputs = np.array(dvalues)"),
    # the L1 term's slope written with np.sign: the same where no weight is 0
    (
        "Layer_Dense_Regularized",
        "self.dweights += self.weight_regularizer_l1 * np.sign(self.weights)",
    ),
    ("Layer_Dropout", "self.binary_mask * dvalues"),
    ("Activation_Sigmoid", "self.dinputs = dvalues * self.output * (1 - self.output)"),
    ("Activation_Sigmoid", "self.dinputs = dvalues * (self.output - self.output**2)"),
    ("Activation_Linear", "self.dinputs = 1 * dvalues"),
    ("Loss_BinaryCrossentropy", "self.dinputs /= samples"),
    ("Loss_MeanSquaredError", "self.dinputs = 2 * (dvalues - y_true) / outputs"),
}

# Caught, but blamed at another line, each for its reason.
BLAMED_ELSEWHERE = {
    # the jacobian is a per-turn local of the loop over samples, no value of its own to be held
    # to: blamed where it is used, ``self.dinputs[index] = np.dot(jacobian_matrix, ...)``
    (
        "Activation_Softmax",
        "jacobian_matrix = np.dot(single_output, single_output.T) - np.diagflat(single_output)",
    ),
    (
        "Activation_Softmax",
        "jacobian_matrix = np.diagflat(single_output) + np.dot(single_output, single_output.T)",
    ),
    ("Activation_Softmax", "np.dot(single_output.T, single_output)"),
    # a line that only passes its value on (``.copy()``) is blamed where the value is made: the
    # ``-y_true / dvalues`` the mean over samples is missing from
    ("Loss_CategoricalCrossentropy", "self.dinputs = self.dinputs.copy()"),
    # a wrong scale is blamed at the formula that made the value, where a sign, a factor 2 or
    # a count is likelier wrong than in the line that rescales it after
    ("Loss_CategoricalCrossentropy", "self.dinputs = self.dinputs / labels"),
    ("Loss_MeanSquaredError", "self.dinputs = self.dinputs / outputs"),
    # the one-hot labels are no adjoint: (samples, samples) ones fail to broadcast against the
    # predictions in the line that reads them, and a crash is blamed where it is raised
    ("Loss_CategoricalCrossentropy", "y_true = np.eye(samples)[y_true]"),
    # the L1 slope ``dL1`` is a local made afresh for the biases after: no value of its own to
    # be held to, blamed where it is added, ``self.dweights += self.weight_regularizer_l1 * dL1``
    ("Layer_Dense_Regularized", "dL1[self.weights < 0] = 0"),
    # a count is no adjoint: blamed where it is first used, ``self.dinputs[range(samples), ...]``
    ("Activation_Softmax_Loss_CategoricalCrossentropy", "samples = len(dvalues[0])"),
}


def _label(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int, bool]:
    path, line = mutant_file(CLASSES, tmp_path, f"{name}.backward", old, new)
    return path, line, _right(load_module(path), name)


def test_every_mutant_is_labelled_by_torch_autograd_as_reviewed(tmp_path):
    """The oracle's side alone: each mutant changes one line of its backward, the file still
    parses, the label is computed without error, and it is the reviewed one."""
    labels = oracle_labels(_label, tmp_path, MUTANTS)
    assert_labels_as_reviewed(labels, EQUIVALENT, BLAMED_ELSEWHERE, len(MUTANTS))


def test_every_class_has_wrong_and_equivalent_mutants():
    counts = {name: sum(m[0] == name for m in MUTANTS) for name in CONFIGS}
    assert min(counts.values()) >= 2, counts
    assert {name for name, _ in EQUIVALENT} == set(CONFIGS)
    wrong = {name for name, _, new in MUTANTS if (name, new) not in EQUIVALENT}
    assert wrong == set(CONFIGS)
    assert len(MUTANTS) >= 30 and 4 * len(EQUIVALENT) >= len(MUTANTS)


@pytest.mark.parametrize(("name", "old", "new"), MUTANTS, ids=lambda v: str(v)[:40])
def test_a_class_mutant_is_judged_as_the_oracle_says_at_its_own_line(tmp_path, name, old, new):
    path, line, right = _label(tmp_path, name, old, new)
    report = judged(check_code(path, f"{name}.backward"))
    assert_judged_as_labelled(report, line, right, (name, new) in BLAMED_ELSEWHERE)


NETWORK_CLASS = """import numpy as np


class TwoLayerNet:
    def __init__(self, n_in, n_hidden, n_out):
        self.W1 = np.random.randn(n_in, n_hidden) * 0.01
        self.W2 = np.random.randn(n_hidden, n_out) * 0.01

    def forward(self, X):
        self.a1 = np.tanh(X @ self.W1)
        scores = self.a1 @ self.W2
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        self.probs = exp / exp.sum(axis=1, keepdims=True)
        return self.probs

    def backward(self, X, y):
        dscores = self.probs.copy()
        dscores[np.arange(X.shape[0]), y] -= 1
        self.dW2 = self.a1.T @ dscores
        self.dW1 = X.T @ ((dscores @ self.W2.T) * (1 - self.a1**2))
"""


def test_a_network_class_whose_backward_takes_the_data_is_said_not_read(tmp_path):
    """``backward(self, X, y)`` is no layer's: it is handed the data, not an upstream
    gradient, and no loss is written to hold its gradients to. Said in one line, never
    judged against a guessed loss."""
    path = tmp_path / "net.py"
    path.write_text(NETWORK_CLASS)
    (unit,) = check_code(path).units
    assert unit.status == NOT_READ
    assert "TwoLayerNet.backward(X, y) takes the data" in unit.message
