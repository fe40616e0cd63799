"""The training runner: run a model's generated module on data, watching what diagnostics need.

# [MODEL, SOURCE] -> Model + Dataset -> generated module + Feed -> epochs -> Evidence -> result
"""

from __future__ import annotations

import time
import types
from contextlib import closing
from dataclasses import dataclass
from functools import partial

import numpy as np

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.names import code_model
from symbackprop.errors import NumericOverflow, UsageError
from symbackprop.ir.bounds import check_arrays
from symbackprop.ir.model import Model
from symbackprop.readers.examples import training_defaults
from symbackprop.train.data import DataError, Dataset, Part
from symbackprop.train.diagnose import diagnose, overflow_stop
from symbackprop.train.evidence import Evidence, Settings, Snapshot
from symbackprop.train.extras import check
from symbackprop.train.feed import Feed, batch, check_columns, feed_for, module_feed
from symbackprop.train.initialization import initial_params
from symbackprop.train.models import resolve_model
from symbackprop.train.progress import epochs_bar
from symbackprop.train.result import TrainResult, model_outputs
from symbackprop.train.sources import load_data
from symbackprop.train.summary import Summary, accuracy

OPTIMIZERS = ("sgd", "momentum", "adam")


DEFAULT_BATCH_SIZE = 32  # as Keras: full-batch descent on the digits learns too slowly
TRAINING_DEFAULTS = {"epochs": 100, "lr": 0.1, "optimizer": "sgd", "standardize": False}


def train(
    model: Model | str,
    data: Dataset | str,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    optimizer: str | None = None,
    init: str = "glorot",
    seed: int = 0,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
    standardize: bool | None = None,
    target: str | None = None,
    progress: bool = False,
    devices: int | None = None,
) -> TrainResult:
    """Train ``model`` (a Model or MODEL argument) on ``data`` (a Dataset or SOURCE) with its
    generated NumPy module, and diagnose the run.

    ``batch_size`` is the samples per update: 32 by default (as Keras); None is full-batch
    gradient descent; 1 updates after every sample, as hand-written loops often do. ``epochs``,
    ``lr``, ``optimizer`` and ``standardize`` not given are what a built-in example recommends
    (``cnn-digits``: 20 epochs of Adam at 0.01 on standardised inputs), else
    :data:`TRAINING_DEFAULTS`. ``init``
    is uniform, glorot, he, or positive (uniform 0..1). ``devices`` trains the model's JAX
    module instead, every epoch on the device, data-parallel over that many devices.

    >>> result = train("tiny221", "sizes", epochs=5, lr=1.0, init="positive", batch_size=1)
    >>> "saturated" in [finding.code for finding in result.findings]
    True
    """
    given = {"epochs": epochs, "lr": lr, "optimizer": optimizer, "standardize": standardize}
    chosen = {**TRAINING_DEFAULTS, **_recommended(model)}
    chosen.update({key: value for key, value in given.items() if value is not None})
    epochs, lr, optimizer, standardize = (chosen[key] for key in given)
    _check_options(epochs, lr, optimizer, batch_size)
    model = code_model(resolve_model(model))  # names as the module spells them
    module = load_module(model, _jax_text(model) if devices else None)
    columns = partial(check_columns, model, module_feed(model, module))  # a CSV's header
    dataset = load_data(data, target, columns) if isinstance(data, str) else data
    check_arrays(model, len(dataset.train.features), "train")  # before any array of the run
    dataset = dataset.standardized() if standardize else dataset
    feed = feed_for(model, module, dataset)
    settings = Settings(lr, init, optimizer, standardize, batch_size)
    initial = initial_params(module, init, seed)
    arrays = feed.arrays(dataset.train)
    if devices:
        if feed.masks:
            raise DataError(
                f"model {model.name!r} has dropout: train --devices runs whole epochs on the "
                "device and draws no masks there yet; train it without --devices",
                file=model.source,
            )
        mesh = _mesh(module, devices, batch_size or len(arrays[0]))
        run = _DeviceRun(module, arrays, settings, batch_size, seed, mesh)
    else:
        run = _Run(module, arrays, settings, batch_size, seed, feed.masks)
    if dataset.test is not None:  # its loss after every epoch, beside the training loss
        run.test_arrays = feed.arrays(dataset.test)
    # The optimisers update in place; the diagnosis needs the initial values as they were.
    start = {name: np.copy(value) for name, value in initial.items()}
    try:
        trained = run.epochs(start, epochs, f"train {model.name}", progress)
    except FloatingPointError as error:
        features = np.asarray(dataset.train.features, dtype=float)
        raise NumericOverflow(overflow_stop(run.epoch, str(error), settings, features)) from None
    with np.errstate(all="ignore"):  # measures of a finished run: an overflow there reads inf
        findings = diagnose(_evidence(model, dataset, initial, trained, settings))
        scorer = _Scorer(module, model, feed, trained.params)
        summary = _summary(model, dataset, trained, scorer, settings, batch_size)
    return TrainResult(
        model,
        dataset,
        module,
        feed,
        trained.params,
        trained.losses,
        findings,
        summary,
        trained.test_losses,
    )


@dataclass(frozen=True)
class _Trained:
    params: dict
    losses: list[float]
    seconds: float
    first: Snapshot
    last: Snapshot
    test_losses: list[float] | None  # on the test set, before training and after each epoch


def _evidence(model, dataset: Dataset, initial: dict, trained: _Trained, settings) -> Evidence:
    return Evidence.gather(
        model,
        features=np.asarray(dataset.train.features, dtype=float),
        feature_names=dataset.feature_names,
        classes=dataset.classes,
        labels=dataset.train.targets if dataset.classes else None,
        initial=initial,
        snapshots=(trained.first, trained.last),
        losses=tuple(trained.losses),
        settings=settings,
    )


def _jax_text(model: Model) -> str:
    check("jax", "--devices")
    return module_text(model, target="jax")


def _mesh(module: types.ModuleType, devices: int, batch: int):
    """The module's one-axis mesh of ``devices``; UsageError when JAX sees fewer, or when a
    batch of ``batch`` samples cannot be split evenly over them."""
    seen = len(module.jax.devices())
    if devices > seen:
        raise UsageError(
            f"--devices {devices}: JAX sees {seen} (on CPU, "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={devices} makes {devices})"
        )
    if batch % devices:
        raise UsageError(f"a batch of {batch} samples splits unevenly over {devices} devices")
    return module.data_mesh(devices)


def _recommended(model: Model | str):
    """The training options a built-in example recommends, for a MODEL argument or a model."""
    if isinstance(model, str):
        return training_defaults(model)
    return training_defaults(model.name) if model.source == "built-in" else {}


def _check_options(epochs: int, lr: float, optimizer: str, batch_size: int | None) -> None:
    if optimizer not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {optimizer!r} (known: {', '.join(OPTIMIZERS)})")
    if not isinstance(epochs, int) or epochs < 1:
        raise UsageError(f"epochs must be a positive integer, not {epochs!r}")
    if not lr > 0 or not np.isfinite(lr):
        raise UsageError(f"the learning rate must be a positive number, not {lr!r}")
    if batch_size is not None and batch_size < 1:
        raise UsageError(f"the batch size must be at least 1, not {batch_size!r}")


class _Run:
    """The epoch loop over one module and one training set."""

    def __init__(
        self,
        module: types.ModuleType,
        arrays: list[np.ndarray],
        settings: Settings,
        batch_size: int | None,
        seed: int,
        masks: list[tuple[int, float]] = (),
    ):
        self.module = module
        self.arrays = arrays
        self.masks = list(masks)  # dropout masks: drawn afresh for every step
        self.settings = settings
        self.samples = len(arrays[0])
        self.batch_size = batch_size if batch_size and batch_size < self.samples else None
        self.rng = np.random.default_rng(seed)
        # Plain SGD runs as the module's fused step (recurrent modules have none).
        self.fused = settings.optimizer == "sgd" and hasattr(module, "train_step")
        self.work: dict = {}  # the arrays train_step keeps from one step to the next
        self.epoch = 0  # the epoch running (0: the forward pass before any step)
        self.test_arrays: list[np.ndarray] | None = None

    def snapshot(self, params: dict, epoch: int) -> tuple[Snapshot, float]:
        cache = self.module.forward(params, *self.arrays, every_node=True)
        grads = self.module.backward(params, cache)
        # The optimisers update in place: keep this epoch's parameters apart.
        kept = {name: np.copy(value) for name, value in params.items()}
        loss = float(self.module.loss_of(cache, params))
        cache, grads = _as_numpy(cache), _as_numpy(grads)  # a JAX module's arrays, read here
        return Snapshot(epoch, cache, grads, kept), loss

    def epochs(self, params: dict, epochs: int, description: str, progress: bool):
        """Train for ``epochs``; a FloatingPointError, with ``self.epoch`` where, as soon as a
        value overflows or turns NaN (the parameters would be meaningless from then on)."""
        step = self.module.OPTIMIZERS[self.settings.optimizer]
        state: dict = {}
        bar = epochs_bar(epochs, description, progress)
        with np.errstate(over="raise", invalid="raise", divide="raise"), closing(bar):
            first, loss = self.snapshot(params, 0)
            losses, tested = [loss], [self._test_loss(params)]
            start = time.perf_counter()
            for self.epoch, _ in enumerate(bar, start=1):
                params = self._epoch(params, step, state)
                losses.append(self.module.loss(params, *self.arrays))
                tested.append(self._test_loss(params))
                bar.set_postfix_str(f"loss {losses[-1]:.4g}", refresh=False)
            seconds = time.perf_counter() - start
            last, _ = self.snapshot(params, len(losses) - 1)
        test_losses = tested if self.test_arrays is not None else None
        return _Trained(params, losses, seconds, first, last, test_losses)

    def _test_loss(self, params: dict) -> float | None:
        if self.test_arrays is None:
            return None
        with np.errstate(all="ignore"):  # a test set may overflow where training does not
            return float(self.module.loss(params, *self.test_arrays))

    def _epoch(self, params: dict, step, state: dict) -> dict:
        if self.batch_size is None:
            return self._step(params, self.arrays, step, state)
        order = self.rng.permutation(self.samples)
        for start in range(0, self.samples, self.batch_size):
            rows = order[start : start + self.batch_size]
            params = self._step(params, batch(self.arrays, rows), step, state)
        return params

    def _step(self, params: dict, arrays: list, step, state: dict) -> dict:
        module, lr = self.module, self.settings.lr
        if self.masks:  # each unit kept with its probability, for this step only
            arrays = list(arrays)
            for position, keep in self.masks:
                shape = np.shape(arrays[position])
                arrays[position] = (self.rng.random(shape) < keep).astype(float)
        if self.fused:
            module.train_step(params, *arrays, lr, self.work)
            return params
        return step(params, module.backward(params, module.forward(params, *arrays)), state, lr)


class _DeviceRun(_Run):
    """The epoch loop of a JAX module: its own train() runs the epochs on the device,
    data-parallel over ``mesh``; this follows each epoch's end (loss, test loss, the bar)."""

    def __init__(self, module, arrays, settings: Settings, batch_size, seed: int, mesh):
        super().__init__(module, arrays, settings, batch_size, seed)
        self.mesh, self.seed = mesh, seed

    def epochs(self, params: dict, epochs: int, description: str, progress: bool):
        bar = epochs_bar(epochs, description, progress)
        ticks = enumerate(bar, start=1)
        with closing(bar):
            first, loss = self.snapshot(params, 0)
            losses, tested = [loss], [self._test_loss(params)]

            def after_epoch(epoch: int, _, trained: dict) -> None:
                self.epoch, _ = next(ticks)
                losses.append(float(self.module.loss(trained, *self.arrays)))
                if not np.isfinite(losses[-1]):  # XLA raises nothing: stop as NumPy would
                    raise FloatingPointError(f"the loss is {losses[-1]}")
                tested.append(self._test_loss(trained))
                bar.set_postfix_str(f"loss {losses[-1]:.4g}", refresh=False)

            start = time.perf_counter()
            trained, _ = self.module.train(
                params,
                *self.arrays,
                epochs=epochs,
                lr=self.settings.lr,
                optimizer=self.settings.optimizer,
                callback=after_epoch,
                batch_size=self.batch_size,
                seed=self.seed,
                mesh=self.mesh,
            )
            seconds = time.perf_counter() - start
            params = _as_numpy(trained)
            last, _ = self.snapshot(params, len(losses) - 1)
        test_losses = tested if self.test_arrays is not None else None
        return _Trained(params, losses, seconds, first, last, test_losses)


def _as_numpy(arrays: dict) -> dict:
    return {name: np.asarray(value) for name, value in arrays.items()}


@dataclass(frozen=True)
class _Scorer:
    """The trained parameters' outputs and loss on a part of the data."""

    module: types.ModuleType
    model: Model
    feed: Feed
    params: dict

    def outputs(self, part: Part) -> np.ndarray:
        return model_outputs(self.module, self.model, self.feed, self.params, part)

    def loss(self, part: Part) -> float:
        with np.errstate(all="ignore"):
            return float(self.module.loss(self.params, *self.feed.arrays(part)))


def _summary(
    model: Model, dataset: Dataset, trained: _Trained, scorer: _Scorer, settings, batch_size
) -> Summary:
    train_acc = test_acc = None
    if dataset.classes is not None:
        train_acc = accuracy(scorer.outputs(dataset.train), dataset.train.targets)
        if dataset.test is not None:
            test_acc = accuracy(scorer.outputs(dataset.test), dataset.test.targets)
    return Summary(
        model=model.name,
        data=dataset.name,
        train_samples=len(dataset.train),
        test_samples=0 if dataset.test is None else len(dataset.test),
        epochs=len(trained.losses) - 1,
        first_loss=trained.losses[0],
        final_loss=trained.losses[-1],
        test_loss=None if dataset.test is None else scorer.loss(dataset.test),
        train_accuracy=train_acc,
        test_accuracy=test_acc,
        seconds=trained.seconds,
        optimizer=settings.optimizer,
        lr=settings.lr,
        init=settings.init,
        batch_size=batch_size,
        standardized=settings.standardized,
    )
