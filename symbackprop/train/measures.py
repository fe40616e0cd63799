"""The numbers behind the diagnostics, each measured on one run's :class:`Evidence`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbackprop.train.anatomy import Unit, leaf_value, parameter_layers
from symbackprop.train.evidence import Evidence, Snapshot
from symbackprop.train.summary import accuracy, predicted_classes

# |pre-activation| beyond which a unit's derivative is under 3% of its largest value:
# sigmoid'(5) = 0.0066 = 2.7% of 1/4, tanh'(2.5) = 0.027.
SATURATION = {"sigmoid": 5.0, "tanh": 2.5}
SATURATED_SHARE = 0.5  # a node saturates when more than this share of its values do
VANISHING_RATIO = 1e-4  # smallest / largest gradient norm across layers
STALLED_NORM = 1e-8  # every gradient this small: nothing learns, and no layer stands out
IDENTICAL_SPREAD = 1e-3  # outputs that differ by less than this across samples
ONE_SIGN_SHARE = 0.5  # one-sign parameters holding more than this share of all values


@dataclass(frozen=True)
class Saturation:
    unit: Unit
    share: float  # of the pre-activation's values beyond the threshold
    largest: float  # largest |pre-activation|

    @property
    def threshold(self) -> float:
        return SATURATION[self.unit.activation]


def saturated(evidence: Evidence, snapshot: Snapshot) -> list[Saturation]:
    """The sigmoid and tanh nodes most of whose pre-activations lie beyond the threshold."""
    found = []
    for unit in evidence.units:
        if unit.activation not in SATURATION:
            continue
        pre = np.abs(np.asarray(snapshot.cache[unit.pre_activation], dtype=float)).ravel()
        share = float(np.mean(pre > SATURATION[unit.activation]))
        if share > SATURATED_SHARE:
            found.append(Saturation(unit, share, float(pre.max())))
    return found


def dead_relus(evidence: Evidence, snapshot: Snapshot) -> tuple[int, int]:
    """(ReLU units that output 0 for every training sample, all ReLU units)."""
    dead = total = 0
    for unit in evidence.units:
        if unit.activation != "relu":
            continue
        values = np.asarray(snapshot.cache[unit.node], dtype=float)
        values = np.broadcast_to(values, np.shape(values)).reshape(len(evidence.features), -1)
        dead += int(np.sum(np.all(values <= 0, axis=0)))
        total += values.shape[1]
    return dead, total


def gradient_norms(evidence: Evidence, snapshot: Snapshot) -> dict[str, float]:
    """The norm of the loss gradient of each layer's parameters, input side first."""
    norms = {}
    for layer, leaves in parameter_layers(evidence.model).items():
        squares = sum(float(np.sum(leaf_value(snapshot.grads, leaf) ** 2)) for leaf in leaves)
        norms[layer] = float(np.sqrt(squares))
    return norms


def vanished_layer(norms: dict[str, float]) -> tuple[str, str] | None:
    """(a layer nearer the input whose gradient vanished, the layer with the largest one)."""
    values = list(norms.values())
    if len(norms) < 2 or not all(np.isfinite(values)) or max(values) < STALLED_NORM:
        return None
    layers = list(norms)
    low, high = min(layers, key=norms.get), max(layers, key=norms.get)
    if norms[low] / norms[high] < VANISHING_RATIO and layers.index(low) < layers.index(high):
        return low, high
    return None


def identical(evidence: Evidence, snapshot: Snapshot) -> tuple[str, float] | None:
    """(what every sample gets, the largest spread of an output across samples) when the
    predictions ignore the input: equal outputs, or one class where the labels have several."""
    outputs = evidence.predictions(snapshot)
    spread = float(np.max(np.ptp(outputs, axis=0)))
    if not np.isfinite(spread):
        return None
    if evidence.classes and len(np.unique(evidence.labels)) > 1:
        predicted = predicted_classes(outputs)
        if len(np.unique(predicted)) == 1:
            return f"class {evidence.classes[predicted[0]]!r}", spread
    if spread < IDENTICAL_SPREAD * max(1.0, float(np.max(np.abs(outputs)))):
        return "the same output", spread
    return None


def one_sign(initial: dict) -> tuple[list[str], int, int] | None:
    """(parameters all of whose initial values share a sign, their values, all values) when
    they hold most of the values: a bias or two of one sign happens by chance."""
    names = [n for n, v in initial.items() if np.size(v) >= 2 and _same_sign(np.asarray(v))]
    count = sum(np.size(initial[name]) for name in names)
    total = sum(np.size(value) for value in initial.values())
    return (names, count, total) if count > ONE_SIGN_SHARE * total else None


def _same_sign(values: np.ndarray) -> bool:
    return bool(np.all(values > 0) or np.all(values < 0))


def loss_drop(losses: tuple[float, ...]) -> float:
    """The share of the first loss that training removed."""
    first, last = losses[0], losses[-1]
    return (first - last) / abs(first) if first else 0.0


def loss_rose(losses: tuple[float, ...]) -> bool:
    first, last = losses[0], losses[-1]
    return not np.isfinite(last) or last > first + 0.05 * abs(first)


def recent_drop(losses: tuple[float, ...], share: float = 0.1) -> tuple[float, int] | None:
    """How much of its value the loss lost over the last ``share`` of the epochs (at least
    3 of them), and over how many; None for a run too short to tell."""
    epochs = len(losses) - 1
    recent = max(3, round(share * epochs))
    if epochs < 2 * recent:
        return None
    before, last = losses[-recent - 1], losses[-1]
    if not (np.isfinite(before) and np.isfinite(last)) or before <= 0:
        return None
    return (before - last) / before, recent


def training_accuracy(evidence: Evidence) -> float | None:
    """The share of training samples the trained model classifies right; None without classes."""
    if evidence.labels is None:
        return None
    return accuracy(evidence.predictions(evidence.snapshots[-1]), evidence.labels)
