"""Named data sources: ``xor``, ``digits``, ``sizes``, ``sizes-nonlinear``, or a CSV file.

Every split is fixed (seeded), so the same SOURCE always gives the same train and test parts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from symbackprop.inputs import STANDARD_INPUT
from symbackprop.train.csvdata import ColumnCheck, read_csv
from symbackprop.train.data import DataError, Dataset, Part, split
from symbackprop.train.extras import require

SPLIT_SEED = 0
TEST_SHARE = 0.25


def xor() -> Dataset:
    """The XOR truth table: three columns (the last a constant 1, standing in for a bias)."""
    features = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    part = Part(features, np.array([0, 1, 1, 0]))
    return Dataset("xor", part, None, ("x1", "x2", "one"), ("y",), classes=("0", "1"))


def digits(binary: bool = False) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, pixels 0..16), split 75/25.

    With ``binary`` the pixels are 0/1 (above 7 or not).
    """
    datasets = require("sklearn.datasets", "the digits data")
    bunch = datasets.load_digits()
    pixels = bunch.data.astype(float)
    if binary:
        pixels = (pixels > 7).astype(float)
    train, test = split(pixels, bunch.target.astype(int), TEST_SHARE, SPLIT_SEED)
    names = tuple(f"pixel_{row}_{col}" for row in range(8) for col in range(8))
    classes = tuple(str(digit) for digit in range(10))
    name = "digits-binary" if binary else "digits"
    return Dataset(name, train, test, names, ("digit",), classes=classes)


def sizes(nonlinear: bool = False, samples: int = 200, seed: int = SPLIT_SEED) -> Dataset:
    """Integer heights and widths 0..100, classed small/big.

    Big means ``height + width > 100`` (linear) or ``height * width > 2500`` (non-linear).
    """
    rng = np.random.default_rng(seed)
    features = rng.integers(0, 101, size=(samples, 2)).astype(float)
    height, width = features[:, 0], features[:, 1]
    big = height * width > 2500 if nonlinear else height + width > 100
    train, test = split(features, big.astype(int), TEST_SHARE, seed)
    name = "sizes-nonlinear" if nonlinear else "sizes"
    return Dataset(name, train, test, ("height", "width"), ("size",), classes=("small", "big"))


SOURCES: dict[str, Callable[[], Dataset]] = {
    "xor": xor,
    "digits": digits,
    "digits-binary": lambda: digits(binary=True),
    "sizes": sizes,
    "sizes-nonlinear": lambda: sizes(nonlinear=True),
}


def load_data(
    source: str, target: str | None = None, check_columns: ColumnCheck | None = None
) -> Dataset:
    """The dataset a SOURCE argument names: a built-in source, or a CSV file with ``target``
    naming its target column(s), comma-separated. ``check_columns`` sees a CSV file's feature
    columns before its numbers are read.

    >>> load_data("sizes").feature_names
    ('height', 'width')
    """
    if source in SOURCES:
        if target is not None:
            raise DataError(f"--target is for CSV files; {source!r} is a built-in source")
        return SOURCES[source]()
    piped = source == STANDARD_INPUT  # a CSV on standard input
    if not (piped or source.lower().endswith(".csv")):
        known = ", ".join(SOURCES)
        raise DataError(
            f"unknown data {source!r}: not a built-in source ({known}), a .csv file or - "
            "(a CSV on standard input)"
        )
    if not (piped or Path(source).exists()):
        raise DataError("no such file", file=source)
    if not target:
        raise DataError(
            "a CSV file needs --target COL[,COL] naming its target columns", file=source
        )
    targets = [name.strip() for name in target.split(",")]
    return read_csv(source, targets, TEST_SHARE, SPLIT_SEED, check_columns)
