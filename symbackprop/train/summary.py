"""The numbers a training run ends with: loss, accuracy where labels are classes, time."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    model: str
    data: str
    train_samples: int
    test_samples: int
    epochs: int
    first_loss: float
    final_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    seconds: float
    optimizer: str
    lr: float
    init: str
    batch_size: int | None
    standardized: bool

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(self.epochs, 1)

    def to_text(self, timing: bool = True) -> str:
        batch = "full batch" if self.batch_size is None else f"batch size {self.batch_size}"
        inputs = "standardised inputs" if self.standardized else "raw inputs"
        lines = [
            f"trained {self.model} on {self.data} ({self.train_samples} training, "
            f"{self.test_samples} test samples): {self.epochs} epochs, {self.optimizer} "
            f"lr {self.lr:g}, init {self.init}, {batch}, {inputs}",
            f"  train loss      {self.final_loss:.6g} (before training {self.first_loss:.6g})",
        ]
        if self.test_loss is not None:
            lines.append(f"  test loss       {self.test_loss:.6g}")
        for name, value in (("train", self.train_accuracy), ("test", self.test_accuracy)):
            if value is not None:
                lines.append(f"  {name + ' accuracy':<15} {value:.1%}")
        per_epoch = self.seconds_per_epoch * 1e3
        if timing:
            lines.append(f"  time            {self.seconds:.3g} s ({per_epoch:.3g} ms per epoch)")
        return "\n".join(lines)

    def to_data(self) -> dict:
        return {**asdict(self), "seconds_per_epoch": self.seconds_per_epoch}


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class indices from output rows: the largest output, or output > 0.5 for one column."""
    outputs = np.asarray(outputs, dtype=float).reshape(len(outputs), -1)
    if outputs.shape[1] > 1:
        return np.argmax(outputs, axis=1)
    return (outputs[:, 0] > 0.5).astype(int)


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    """The share of samples whose predicted class is their label."""
    return float(np.mean(predicted_classes(outputs) == np.asarray(labels)))
