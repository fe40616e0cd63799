"""Map a dataset onto a generated module's ``forward`` arguments, checking shapes first.

Vector models take ``(X, Y)``: X of shape (m, inputs), Y of shape (m, outputs), one-hot rows
when the data has classes and the model several outputs; a model of images (m, C, H, W) takes
each row of C*H*W features laid out row-major (the digits' 64 pixels as (1, 8, 8)); an
embedding's input takes integer indices, one column (m,) or T of them (m, T). Scalar
models (``tiny221``) take one 1-D array per input and target leaf (``x, y, t``), or one 2-D
array per indexed leaf (``X[0]``, ``X[1]`` ... as columns of ``X``).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

import numpy as np

from symbackprop.cells.step import StepModel
from symbackprop.codegen.verify import index_bounds
from symbackprop.errors import ShapeError
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.network import dropout_keeps
from symbackprop.ir.ops import sigmoid_bce, softmax_xent
from symbackprop.naming import BATCH_SIZE, identifier, split_indexed
from symbackprop.train.data import DataError, Dataset, Part


@dataclass(frozen=True)
class Argument:
    """One argument of ``forward``: ``width`` columns of the features or the targets."""

    name: str
    is_target: bool
    width: int
    columns: bool  # a 2-D (m, width) array; otherwise 1-D (m,)
    sample: tuple[int, ...] = ()  # images: each row laid out as (C, H, W), row-major
    keep: float | None = None  # a dropout's mask, no data: drawn while training, else keep
    vocab: int | None = None  # an embedding's indices: integers from 0 up to vocab

    @property
    def is_data(self) -> bool:
        return self.keep is None


@dataclass(frozen=True)
class Feed:
    """How a dataset's parts become ``forward(params, *arrays)``."""

    arguments: tuple[Argument, ...]
    one_hot: int  # the number of classes to one-hot encode, 0 when targets are used as they are

    @property
    def input_width(self) -> int:
        return sum(a.width for a in self.arguments if not a.is_target and a.is_data)

    @property
    def output_width(self) -> int:
        return sum(a.width for a in self.arguments if a.is_target)

    @property
    def masks(self) -> list[tuple[int, float]]:
        """Where the dropout masks are among the arguments, each with its keep probability."""
        return [(i, a.keep) for i, a in enumerate(self.arguments) if a.keep is not None]

    def arrays(self, part: Part) -> list[np.ndarray]:
        """The forward arguments for every sample of ``part``, in order."""
        targets = part.targets
        if self.one_hot:
            targets = np.eye(self.one_hot)[targets]
        targets = np.asarray(targets, dtype=float).reshape(len(part), -1)
        sources = {False: np.asarray(part.features, dtype=float), True: targets}
        used, arrays = {False: 0, True: 0}, []
        for argument in self.arguments:
            if not argument.is_data:  # a mask of keep everywhere: the net without dropout
                mask = np.full((len(part), argument.width), argument.keep)
                sample = argument.sample or (argument.width,)
                arrays.append(mask.reshape(len(part), *sample))
                continue
            start = used[argument.is_target]
            block = sources[argument.is_target][:, start : start + argument.width]
            used[argument.is_target] += argument.width
            if argument.sample:
                block = block.reshape(len(block), *argument.sample)
            if argument.vocab is not None:  # checked whole by feed_for
                block = block.astype(np.int64)
            arrays.append(block if argument.columns else block[:, 0])
        return arrays

    def feature_blocks(self, part: Part):
        """Each data input argument with its columns of ``part``'s features."""
        start = 0
        for argument in self.arguments:
            if argument.is_data and not argument.is_target:
                yield argument, part.features[:, start : start + argument.width]
                start += argument.width


def batch(arrays: list[np.ndarray], rows: np.ndarray) -> list[np.ndarray]:
    """The same samples of every argument."""
    return [array[rows] for array in arrays]


def feed_for(model: Model, module: types.ModuleType, dataset: Dataset) -> Feed:
    """The feed of ``dataset`` into ``model``'s module; ShapeError/DataError when it cannot fit."""
    feed = module_feed(model, module)
    check_columns(model, feed, dataset.feature_names, dataset.name, dataset.source)
    feed = Feed(feed.arguments, one_hot=_one_hot(model, feed, dataset))
    _check_target_range(model, feed, dataset)
    _check_indices(model, feed, dataset)
    return feed


def module_feed(model: Model, module: types.ModuleType) -> Feed:
    """The data arguments of ``model``'s module, known before any data is read (targets as
    they come, not yet one-hot)."""
    if isinstance(model, StepModel):
        raise DataError(_sequences_needed(model))
    parameters = inspect.signature(module.forward).parameters.values()
    # The data arguments: after ``params``, before the keyword options such as every_node.
    names = [p.name for p in parameters if p.default is inspect.Parameter.empty][1:]
    widths = _vector_widths(model) if model.is_vector else _scalar_widths(model)
    keeps = {identifier(name): keep for name, keep in dropout_keeps(model).items()}
    vocabs = _vocabularies(model)
    arguments = (
        Argument(name, *widths[name], keep=keeps.get(name), vocab=vocabs.get(name))
        for name in names
    )
    return Feed(tuple(arguments), one_hot=0)


def _vocabularies(model: Model) -> dict[str, int]:
    """The inputs an embedding looks up, each with its table's row count."""
    if not model.is_vector:
        return {}
    inputs = {node.name for node in model.inputs}
    return {identifier(k): v for k, v in index_bounds(model).items() if k in inputs}


def _sequences_needed(model: StepModel) -> str:
    n, u = model.cell.input_size, model.cell.units
    return (
        f"model {model.name!r} is a recurrent cell: it trains on sequences, X of shape "
        f"(batch, time, {n}) with Y of shape (batch, time, {u}) or (batch, {u}), and --data "
        f"sources are rows; train it with train(params, X, Y) in the module that "
        f"'symbackprop generate {model.name} -o FILE.py' writes"
    )


def _vector_widths(model: Model) -> dict[str, tuple]:
    widths = {}
    vocabs = _vocabularies(model)
    for node in model.of_kind(Kind.INPUT, Kind.TARGET):
        if node.name == BATCH_SIZE:
            continue
        shape = model.shapes[node.name]
        if len(shape) == 1 and identifier(node.name) in vocabs:  # one index a sample
            widths[identifier(node.name)] = (False, 1, False, ())
            continue
        images = len(shape) == 4 and node.kind is Kind.INPUT
        if len(shape) not in (2, 4) or len(shape) == 4 and not images:
            shape = None
        if not shape or shape[0] != BATCH_SIZE or not all(isinstance(n, int) for n in shape[1:]):
            raise ShapeError(
                f"train needs {node.name!r} to be a batch of rows (m, n) or of images "
                f"(m, C, H, W), not {model.shapes[node.name]}",
                file=model.source,
            )
        sample = tuple(shape[1:]) if images else ()
        widths[identifier(node.name)] = (node.kind is Kind.TARGET, prod(shape[1:]), True, sample)
    return widths


def _scalar_widths(model: Model) -> dict[str, tuple[bool, int, bool]]:
    widths: dict[str, tuple[bool, int, bool]] = {}
    for node in model.of_kind(Kind.INPUT, Kind.TARGET):
        base, index = split_indexed(node.name) or (node.name, ())
        name = identifier(base)
        previous = widths.get(name, (False, 0, False))[1]
        width = max(previous, index[-1] + 1) if index else 1
        widths[name] = (node.kind is Kind.TARGET, width, bool(index))
    return widths


def check_columns(
    model: Model, feed: Feed, features: Sequence[str], data: str, source: str | None
) -> None:
    """ShapeError unless the data's feature columns are as many as the model's inputs.

    A CSV reader calls it with the header alone, so that a file that cannot fit is refused
    before its numbers are read.
    """
    if feed.input_width != len(features):
        inputs = ", ".join(a.name for a in feed.arguments if not a.is_target and a.is_data)
        columns = ", ".join(features[:4]) + (", ..." if len(features) > 4 else "")
        raise ShapeError(
            f"model {model.name!r} takes {feed.input_width} input columns ({inputs}); "
            f"data {data!r} has {len(features)} ({columns})",
            file=source,
        )


def _one_hot(model: Model, feed: Feed, dataset: Dataset) -> int:
    outputs = feed.output_width
    if dataset.classes is None:
        have = dataset.train.targets.reshape(len(dataset.train), -1).shape[1]
        if have != outputs:
            raise ShapeError(
                f"model {model.name!r} has {outputs} target columns; data {dataset.name!r} "
                f"has {have} ({', '.join(dataset.target_names)})",
                file=dataset.source,
            )
        return 0
    classes = len(dataset.classes)
    if outputs == classes and outputs > 1:
        return classes
    if outputs == 1 and classes == 2:
        return 0  # the label 0/1 is the target
    raise ShapeError(
        f"model {model.name!r} has {outputs} output{'s' * (outputs != 1)}; data "
        f"{dataset.name!r} has {classes} classes ({', '.join(dataset.classes[:10])})",
        file=dataset.source,
    )


def _check_target_range(model: Model, feed: Feed, dataset: Dataset) -> None:
    """Cross-entropy losses read targets as probabilities."""
    if feed.one_hot or dataset.classes is not None:
        return
    if not model.loss.expr.has(sigmoid_bce, softmax_xent):
        return
    targets = dataset.train.targets
    if np.any(targets < 0) or np.any(targets > 1):
        raise DataError(
            f"model {model.name!r} has a cross-entropy loss, which needs targets in [0, 1]; "
            f"data {dataset.name!r} has targets from {targets.min():g} to {targets.max():g}",
            file=dataset.source,
        )


def _check_indices(model: Model, feed: Feed, dataset: Dataset) -> None:
    """An embedding looks up rows by integer indices below its vocabulary."""
    parts = [dataset.train] + ([dataset.test] if dataset.test is not None else [])
    for part in parts:
        for argument, block in feed.feature_blocks(part):
            if argument.vocab is None:
                continue
            wrong = (block != np.round(block)) | (block < 0) | (block >= argument.vocab)
            if np.any(wrong):
                raise DataError(
                    f"model {model.name!r} looks up {argument.name!r} in an embedding of "
                    f"{argument.vocab} rows: it takes integer indices 0 to "
                    f"{argument.vocab - 1}; data {dataset.name!r} has {block[wrong][0]:g}",
                    file=dataset.source,
                )
