"""Train a model's generated NumPy module on data, and explain a training run that fails.

>>> from symbackprop.train import train
>>> result = train("tiny221", "sizes", epochs=5, lr=1.0, init="positive", batch_size=1)
>>> result.summary.train_accuracy < 0.8
True

Layout, one job per module: ``sources``/``csvdata``/``data`` (data), ``feed`` (data onto a
module's arguments), ``runner`` (the epoch loop), ``anatomy``/``evidence``/``diagnose``
(diagnostics), ``summary``/``result`` (what a run returns), ``plot`` and ``files`` (outputs),
``cli`` (the ``train`` verb).
"""

from symbackprop.train.data import DataError, Dataset, Part
from symbackprop.train.diagnose import Finding
from symbackprop.train.result import TrainResult
from symbackprop.train.runner import train
from symbackprop.train.sources import SOURCES, load_data

__all__ = [
    "SOURCES",
    "DataError",
    "Dataset",
    "Finding",
    "Part",
    "TrainResult",
    "load_data",
    "train",
]
