"""Plots of a training run: the loss curve, and for two-input class data the decision
boundary over the data points. Needs matplotlib (the ``plot`` extra); no pyplot state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from symbackprop.files import write_whole
from symbackprop.train.extras import require
from symbackprop.train.result import TrainResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

GRID = 200
LOG_SPAN = 10  # losses spanning more than a decade are drawn on a log axis
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def plot_training(result: TrainResult, path: str | Path, title: str | None = None) -> Path:
    """Write the loss curve (and decision boundary) of ``result`` to the PNG ``path``, whole."""
    require("matplotlib", "--plot")
    from matplotlib.figure import Figure

    boundary = result.dataset.width == 2 and result.dataset.has_classes
    figure = Figure(figsize=(10.0 if boundary else 5.5, 4.2), dpi=100)
    loss_curve(figure.add_subplot(1, 2 if boundary else 1, 1), result)
    if boundary:
        decision_boundary(figure.add_subplot(1, 2, 2), result)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    # No "Software" stamp, so that the same run gives the same bytes across matplotlib versions
    # of the same renderer.
    save = lambda temporary: figure.savefig(  # noqa: E731
        temporary, format="png", metadata={"Software": None}
    )
    return write_whole(path, save)


def loss_curve(axes: Axes, result: TrainResult) -> None:
    curves = {"training set": result.losses, "test set": result.test_losses}
    shown = []
    for (label, losses), colour in zip(curves.items(), COLOURS, strict=False):
        if losses is None:
            continue
        losses = np.asarray(losses, dtype=float)
        epochs = np.arange(len(losses))
        finite = np.isfinite(losses)
        axes.plot(epochs[finite], losses[finite], color=colour, linewidth=1.5, label=label)
        shown.extend(losses[finite])
    shown = np.asarray(shown)
    if shown.size and shown.min() > 0 and shown.max() > LOG_SPAN * shown.min():
        axes.set_yscale("log")  # a spike and a plateau both stay readable
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"loss {result.model.loss.name}")
    axes.legend(loc="upper right", frameon=False)
    summary = result.summary
    axes.set_title(f"{summary.model} on {summary.data}: loss {summary.final_loss:.4g}")
    axes.grid(True, alpha=0.3)


def decision_boundary(axes: Axes, result: TrainResult) -> None:
    """Predicted class regions in the data's own units, with the samples on top."""
    dataset = result.dataset
    parts = [dataset.train] + ([dataset.test] if dataset.test is not None else [])
    raw = np.vstack([dataset.raw_features(part.features) for part in parts])
    xs, ys = _axis(raw[:, 0]), _axis(raw[:, 1])
    grid_x, grid_y = np.meshgrid(xs, ys)
    outputs = result.outputs_at(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    outputs = np.nan_to_num(outputs, nan=0.5)
    if outputs.shape[1] == 1:
        level = outputs[:, 0].reshape(grid_x.shape)
        axes.contourf(
            grid_x, grid_y, level, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35
        )
        if level.min() < 0.5 < level.max():
            axes.contour(grid_x, grid_y, level, levels=[0.5], colors="k", linewidths=1.2)
    else:
        regions = np.argmax(outputs, axis=1).reshape(grid_x.shape)
        axes.contourf(
            grid_x, grid_y, regions, levels=np.arange(outputs.shape[1] + 1) - 0.5, alpha=0.3
        )
    _samples(axes, result)
    axes.set_xlabel(dataset.feature_names[0])
    axes.set_ylabel(dataset.feature_names[1])
    accuracy = result.summary.test_accuracy or result.summary.train_accuracy or 0.0
    axes.set_title(f"decision boundary ({accuracy:.0%} {_which(result)} accuracy)")


def _samples(axes: Axes, result: TrainResult) -> None:
    dataset = result.dataset
    parts = [("train", dataset.train, "o")]
    if dataset.test is not None:
        parts.append(("test", dataset.test, "^"))
    for label, part, marker in parts:
        raw = dataset.raw_features(part.features)
        for index, name in enumerate(dataset.classes):
            rows = part.targets == index
            colour = COLOURS[index % len(COLOURS)]
            axes.scatter(
                *raw[rows].T,
                s=14,
                marker=marker,
                color=colour,
                edgecolors="k",
                linewidths=0.3,
                label=f"{name} ({label})",
            )
    axes.legend(fontsize=7, loc="best")


def _axis(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low or 1.0)
    return np.linspace(low - pad, high + pad, GRID)


def _which(result: TrainResult) -> str:
    return "test" if result.summary.test_accuracy is not None else "train"
