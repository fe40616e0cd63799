"""What diagnostics look at: values of the generated module's forward and backward passes on
the training data, taken before and after training, with the run's settings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symbackprop.ir.model import Model
from symbackprop.train.anatomy import Unit, activation_units, prediction_node


@dataclass(frozen=True)
class Snapshot:
    """``forward``'s cache and ``backward``'s gradients on the whole training set at one time."""

    epoch: int  # 0: before training; N: after epoch N
    cache: dict
    grads: dict
    params: dict

    @property
    def when(self) -> str:
        return "before training" if self.epoch == 0 else f"after epoch {self.epoch}"


@dataclass(frozen=True)
class Settings:
    lr: float
    init: str
    optimizer: str
    standardized: bool
    batch_size: int | None = None  # None: full-batch descent


@dataclass(frozen=True)
class Evidence:
    """Everything a diagnostic check may read."""

    model: Model
    features: np.ndarray  # the training inputs as the model sees them
    feature_names: tuple[str, ...]
    classes: tuple[str, ...] | None
    labels: np.ndarray | None  # training class labels
    initial: dict
    snapshots: tuple[Snapshot, ...]  # first before training, last after it
    losses: tuple[float, ...]  # losses[0] before training, losses[i] after epoch i
    settings: Settings
    units: tuple[Unit, ...] = field(default=())
    prediction: str = ""

    @classmethod
    def gather(cls, model: Model, **values) -> Evidence:
        return cls(
            model=model,
            units=tuple(activation_units(model)),
            prediction=prediction_node(model),
            **values,
        )

    def latest_first(self) -> tuple[Snapshot, ...]:
        """Snapshots from the end of training back to its start."""
        return tuple(reversed(self.snapshots))

    def predictions(self, snapshot: Snapshot) -> np.ndarray:
        """The model's output on every training sample, as rows."""
        values = np.asarray(snapshot.cache[self.prediction], dtype=float)
        return values.reshape(len(self.features), -1)
