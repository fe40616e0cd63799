"""The result of a training run: losses, trained parameters, findings and summary."""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np

from symbackprop.ir.model import Model
from symbackprop.train.anatomy import prediction_node
from symbackprop.train.data import Dataset, Part
from symbackprop.train.diagnose import Finding
from symbackprop.train.feed import Feed
from symbackprop.train.summary import Summary


def model_outputs(module, model: Model, feed: Feed, params: dict, part: Part) -> np.ndarray:
    """Output rows of ``model``'s module with ``params`` on every sample of ``part``."""
    cache = module.forward(params, *feed.arrays(part), every_node=True)
    return np.asarray(cache[prediction_node(model)], dtype=float).reshape(len(part), -1)


@dataclass(frozen=True)
class TrainResult:
    """What :func:`symbackprop.train.train` returns.

    ``losses[0]`` is the loss on the training set before training and ``losses[i]`` after
    epoch i, as the model defines it (tiny221 sums over samples, digits averages).
    """

    model: Model
    dataset: Dataset
    module: types.ModuleType
    feed: Feed
    params: dict[str, np.ndarray]
    losses: list[float]
    findings: list[Finding]
    summary: Summary
    test_losses: list[float] | None = None  # on the test set, as ``losses``; None: no test set

    def outputs(self, part: Part) -> np.ndarray:
        """The trained model's output rows on ``part`` (features as the model sees them)."""
        return model_outputs(self.module, self.model, self.feed, self.params, part)

    def outputs_at(self, raw_features: np.ndarray) -> np.ndarray:
        """Output rows for features in the data's own units (standardised here if trained so)."""
        features = self.dataset.model_features(np.asarray(raw_features, dtype=float))
        targets = np.zeros(len(features), dtype=int)
        if self.dataset.classes is None:
            targets = np.zeros((len(features), self.feed.output_width))
        return self.outputs(Part(features, targets))

    def findings_text(self) -> str:
        if not self.findings:
            return "diagnosis: no problems found"
        count = len(self.findings)
        lines = [f"diagnosis: {count} problem{'s' * (count != 1)} found"]
        return "\n".join(lines + [finding.to_text() for finding in self.findings])

    def to_text(self) -> str:
        return f"{self.summary.to_text()}\n{self.findings_text()}\n"

    def to_data(self) -> dict:
        return {
            "summary": self.summary.to_data(),
            "losses": list(self.losses),
            "test_losses": None if self.test_losses is None else list(self.test_losses),
            "findings": [finding.to_data() for finding in self.findings],
        }

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return "```\n" + self.to_text() + "```\n"
