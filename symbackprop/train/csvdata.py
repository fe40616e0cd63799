"""Read a CSV file with a header row into a :class:`Dataset`, naming file and line on error.

A single target column holding words, or at most ``MAX_CLASSES`` distinct integers, is read
as class labels; otherwise targets are numbers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from symbackprop.inputs import MAX_DATA_BYTES, read_input
from symbackprop.train.data import DataError, Dataset, Part, split

MAX_CLASSES = 20
SMALLEST_SPLIT = 8  # fewer rows than this are all used for training


# Called with (feature column names, data name, file) before any number is read, so that a
# file the model cannot take is refused at once, however many columns and rows it has.
ColumnCheck = Callable[[Sequence[str], str, str], None]


def read_csv(
    path: str,
    targets: list[str],
    test_share: float,
    seed: int,
    check_columns: ColumnCheck | None = None,
) -> Dataset:
    """The dataset in ``path``: every column not in ``targets`` is a feature."""
    lines = _lines(path)
    header = _header(path, lines[0], targets)
    features = [name for name in header if name not in targets]
    name = Path(path).name
    if check_columns is not None:
        check_columns(features, name, path)
    rows = _rows(path, lines, len(header))
    X = _numbers(path, header, rows, features)  # noqa: N806 - the usual name
    classes, Y = _targets(path, header, rows, targets)  # noqa: N806
    if len(rows) < SMALLEST_SPLIT:
        train, test = Part(X, Y), None
    else:
        train, test = split(X, Y, test_share, seed)
    return Dataset(name, train, test, tuple(features), tuple(targets), classes, source=path)


def _lines(path: str) -> list[list[str]]:
    text = read_input(path, MAX_DATA_BYTES, newline="")
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise DataError(f"cannot read the file: {error}", file=path) from None
    if not lines:
        raise DataError("the file is empty", file=path)
    return lines


def _header(path: str, first: list[str], targets: list[str]) -> list[str]:
    """The column names, each once and none empty, with every target among them."""
    header = [name.strip() for name in first]
    seen: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if not name:
            raise DataError(f"column {column} of the header has no name", file=path, line=1)
        if name in seen:
            raise DataError(
                f"column {name!r} appears twice in the header (columns {seen[name]} and {column})",
                file=path,
                line=1,
            )
        seen[name] = column
    twice = next((name for i, name in enumerate(targets) if name in targets[:i]), None)
    if twice is not None:
        raise DataError(f"--target names {twice!r} twice", file=path)
    missing = [name for name in targets if name not in seen]
    if missing:
        columns = ", ".join(header[:10]) + (", ..." if len(header) > 10 else "")
        raise DataError(f"no target column {missing[0]!r} (columns: {columns})", file=path, line=1)
    if len(targets) == len(header):
        raise DataError("every column is a target; no feature columns are left", file=path)
    return header


def _rows(path: str, lines: list[list[str]], width: int) -> list[tuple[int, list[str]]]:
    """The non-empty rows after the header, with their line numbers, each ``width`` long."""
    rows = [(number, row) for number, row in enumerate(lines[1:], start=2) if any(row)]
    for number, row in rows:
        if len(row) != width:
            raise DataError(
                f"the row has {len(row)} values, the header has {width}",
                file=path,
                line=number,
            )
    if not rows:
        raise DataError("the file has a header but no rows", file=path)
    return rows


def _numbers(path: str, header: list[str], rows, columns: list[str]) -> np.ndarray:
    position = {name: index for index, name in enumerate(header)}  # names are unique
    indices = [position[name] for name in columns]
    values = np.empty((len(rows), len(columns)))
    for i, (number, row) in enumerate(rows):
        for j, index in enumerate(indices):
            values[i, j] = _number(row[index], columns[j], path, number)
    return values


def _number(text: str, column: str, path: str, line: int) -> float:
    text = text.strip()
    if not text:
        raise DataError(f"column {column!r} is empty", file=path, line=line)
    try:
        value = float(text)
    except ValueError:
        raise DataError(
            f"column {column!r}: {text!r} is not a number", file=path, line=line
        ) from None
    if not math.isfinite(value):
        raise DataError(f"column {column!r} is {text} (not a finite number)", file=path, line=line)
    return value


def _targets(path: str, header, rows, targets: list[str]):
    """(class names, integer labels) for class labels, else (None, float columns)."""
    if len(targets) == 1:
        texts = [row[header.index(targets[0])].strip() for _, row in rows]
        classes = _class_names(texts)
        if classes is not None:
            label = {name: index for index, name in enumerate(classes)}
            return classes, np.array([label[_canonical(t)] for t in texts])
    return None, _numbers(path, header, rows, targets)


def _class_names(texts: list[str]) -> tuple[str, ...] | None:
    canonical = [_canonical(text) for text in texts]
    if any(not text or _is_float(text) and not _is_number(text) for text in canonical):
        return None  # an empty or NaN cell: the number reader names its line
    if all(_is_integer(text) for text in canonical):
        distinct = sorted(set(canonical), key=int)
        return tuple(distinct) if len(distinct) <= MAX_CLASSES else None
    if all(_is_number(text) for text in canonical):
        return None
    return tuple(sorted(set(canonical)))


def _canonical(text: str) -> str:
    """``1``, ``1.0`` and `` 1`` are the same class."""
    text = text.strip()
    return str(int(float(text))) if _is_integer(text) else text


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    return _is_float(text) and math.isfinite(float(text))


def _is_integer(text: str) -> bool:
    return _is_number(text) and float(text).is_integer()
