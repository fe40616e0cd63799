"""Training data: features and targets, split into a training and a test part.

A :class:`Dataset` holds numbers only, in the units the data came in; mapping them onto a
model's forward arguments (one-hot targets, one array per scalar input) is
:mod:`symbackprop.train.feed`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from symbackprop.errors import SymbackpropError


class DataError(SymbackpropError):
    """Training data that cannot be read or does not fit (missing file, column, NaN)."""


@dataclass(frozen=True)
class Part:
    """Samples as rows: ``features`` (n, d) floats; ``targets`` (n,) integer class labels
    when the dataset has classes, else (n, k) floats."""

    features: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.features)

    def take(self, rows: np.ndarray) -> Part:
        return Part(self.features[rows], self.targets[rows])


@dataclass(frozen=True)
class Scaling:
    """Per-column ``(x - mean) / scale``, with the statistics of the training part."""

    mean: np.ndarray
    scale: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.scale


@dataclass(frozen=True)
class Dataset:
    """A named dataset; ``test`` is None when the source has no held-out samples."""

    name: str
    train: Part
    test: Part | None
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    source: str | None = None  # the file it was read from, for error messages
    scaling: Scaling | None = None

    def __post_init__(self) -> None:
        for part in (self.train, self.test):
            if part is not None:
                _check_finite(part, self.source or self.name)

    @property
    def has_classes(self) -> bool:
        return self.classes is not None

    @property
    def width(self) -> int:
        return self.train.features.shape[1]

    def standardized(self) -> Dataset:
        """Features shifted and scaled to mean 0 and standard deviation 1 on the training part;
        the test part gets the same transformation, and constant columns are only shifted."""
        if self.scaling is not None:
            return self
        mean = self.train.features.mean(axis=0)
        scale = self.train.features.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        scaling = Scaling(mean, scale)
        test = (
            None
            if self.test is None
            else Part(scaling.apply(self.test.features), self.test.targets)
        )
        train = Part(scaling.apply(self.train.features), self.train.targets)
        return replace(self, train=train, test=test, scaling=scaling)

    def raw_features(self, features: np.ndarray) -> np.ndarray:
        """Features in the units the data came in (undoing :meth:`standardized`)."""
        if self.scaling is None:
            return features
        return features * self.scaling.scale + self.scaling.mean

    def model_features(self, raw: np.ndarray) -> np.ndarray:
        """Raw features as the model sees them (standardised when the dataset is)."""
        return raw if self.scaling is None else self.scaling.apply(raw)


def split(features: np.ndarray, targets: np.ndarray, test_share: float, seed: int):
    """A fixed, seeded shuffle split into (train, test) parts."""
    order = np.random.default_rng(seed).permutation(len(features))
    cut = len(features) - int(round(test_share * len(features)))
    return Part(features[order[:cut]], targets[order[:cut]]), Part(
        features[order[cut:]], targets[order[cut:]]
    )


def _check_finite(part: Part, where: str) -> None:
    if part.features.ndim != 2 or len(part.features) == 0:
        raise DataError("the data has no samples", file=where)
    if len(part.targets) != len(part.features):
        raise DataError("features and targets have different numbers of rows", file=where)
    for name, values in (("feature", part.features), ("target", part.targets)):
        if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
            raise DataError(f"a {name} value is NaN or infinite", file=where)
