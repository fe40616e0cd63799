"""TOML spec files: a fully connected network, a network of layers, or one recurrent cell.

[network]
name = "my-net"            # optional; the file's stem by default
mode = "vector"            # "vector" (a batch of samples, matrices) or "scalar" (per weight)
sizes = [2, 3, 1]
activation = "tanh"        # one for every layer, or a list with one per layer; a name
                           # (sigmoid, tanh, relu, ...) or a formula in u: "u / (1 + abs(u))"
loss = "half_sse"          # half_sse, sse, mse, bce, softmax_ce, or a formula in y and t
reduction = "mean"         # mean (over every element), sample_mean or sum

or a network of layers, in order: a [network] table of four keys and one [[layer]] table per
layer (images are (m, C, H, W), NCHW; a flatten turns them into rows for the dense layers)

[network]
name = "my-cnn"            # optional; the file's stem by default
input = [1, 8, 8]          # each sample: [C, H, W] images, or [n] rows
loss = "softmax_ce"        # as above
reduction = "mean"         # as above

[[layer]]
type = "conv2d"            # cross-correlation, as the frameworks' Conv2d
filters = 8                # kernels (F); each spans every input channel
kernel = 3                 # kernel height and width
stride = 1                 # optional, 1 by default
padding = 1                # optional: zeros around each image, 0 by default

[[layer]]
type = "relu"              # any activation by name, entry by entry (softmax: by rows)

[[layer]]
type = "maxpool"           # the largest entry of each window
size = 2                   # window height and width
stride = 2                 # optional; the size by default (windows side by side)

[[layer]]
type = "flatten"           # (m, C, H, W) -> (m, C*H*W)

[[layer]]
type = "dense"             # rows @ W + b
units = 10
activation = "softmax"     # optional: a name or a formula in u, as above

or

[recurrent]
name = "my-gru"            # optional; the file's stem by default
cell = "gru"               # gru, rnn or lstm
convention = "pytorch"     # gru: keras, keras-reset-before, pytorch, d2l;
                           # rnn and lstm: keras, pytorch
input = 2                  # the size of each step's input
units = 3                  # the size of the state
swapped = false            # gru only: true blends h = z*candidate + (1 - z)*h_prev
loss = "half_sse"          # half_sse: 0.5 * sum((h - y)**2) over the scored steps;
                           # mse: the mean of (h - y)**2 over every scored element
last = false               # true: only the last step's state is scored (many-to-one)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import sympy as sp

from symbackprop.cells.families import step_model
from symbackprop.cells.step import Scoring
from symbackprop.errors import LayerError, SpecError, SymbackpropError
from symbackprop.inputs import STANDARD_INPUT_NAME, read_input
from symbackprop.ir.activations import ACTIVATIONS, LOSSES
from symbackprop.ir.builder import fully_connected
from symbackprop.ir.model import Model
from symbackprop.ir.network import (
    VECTOR_LOSSES,
    Apply,
    Conv2d,
    Dense,
    Flatten,
    Layer,
    MaxPool,
    dense_network,
    layered_network,
)
from symbackprop.limits import check_network, check_parameters
from symbackprop.readers.formula import parse_formula

_U, _Y, _T = sp.symbols("u y t")


@dataclass(frozen=True)
class _Key:
    """What a spec key must hold: ``fits`` tests a value, ``holds`` says it in words."""

    fits: Callable[[object], bool]
    holds: str
    example: str


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 1  # TOML's true is a bool, and bool is an int


def _is_flag(value: object) -> bool:
    return type(value) is bool


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_name(value: object) -> bool:
    return _is_text(value) and value.isprintable()  # one line, as headers and reports show it


def _is_sizes(value: object) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(map(_is_count, value))


def _is_size(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_input(value: object) -> bool:
    return isinstance(value, list) and len(value) in (1, 3) and all(map(_is_count, value))


def _is_activation(value: object) -> bool:
    return _is_text(value) or isinstance(value, list) and all(map(_is_text, value))


_NAME = _Key(_is_name, "a non-empty, one-line string", 'name = "my-net"')
_TEXT = "a non-empty string"
_NETWORK_KEYS = {
    "name": _NAME,
    "mode": _Key(_is_text, _TEXT, 'mode = "vector"'),
    "sizes": _Key(_is_sizes, "a list of at least two positive integers", "sizes = [2, 3, 1]"),
    "activation": _Key(
        _is_activation, "a string or a list of strings, one per layer", 'activation = "tanh"'
    ),
    "loss": _Key(_is_text, _TEXT, 'loss = "half_sse"'),
    "reduction": _Key(_is_text, _TEXT, 'reduction = "mean"'),
}
_RECURRENT_KEYS = {
    "name": _NAME,
    "cell": _Key(_is_text, _TEXT, 'cell = "gru"'),
    "convention": _Key(_is_text, _TEXT, 'convention = "pytorch"'),
    "input": _Key(_is_count, "a positive integer", "input = 2"),
    "units": _Key(_is_count, "a positive integer", "units = 3"),
    "swapped": _Key(_is_flag, "true or false", "swapped = true"),
    "loss": _Key(_is_text, _TEXT, 'loss = "mse"'),
    "last": _Key(_is_flag, "true or false", "last = true"),
}

_LAYERED_KEYS = {
    "name": _NAME,
    "input": _Key(_is_input, "[C, H, W] or [n], positive integers", "input = [1, 8, 8]"),
    "loss": _Key(_is_text, _TEXT, 'loss = "softmax_ce"'),
    "reduction": _Key(_is_text, _TEXT, 'reduction = "mean"'),
}
_COUNT = "a positive integer"
# Each layer type's keys besides "type": (key, rule, required)
_LAYER_KEYS = {
    "conv2d": {
        "filters": (_Key(_is_count, _COUNT, "filters = 8"), True),
        "kernel": (_Key(_is_count, _COUNT, "kernel = 3"), True),
        "stride": (_Key(_is_count, _COUNT, "stride = 1"), False),
        "padding": (_Key(_is_size, "an integer 0 or more", "padding = 1"), False),
    },
    "maxpool": {
        "size": (_Key(_is_count, _COUNT, "size = 2"), True),
        "stride": (_Key(_is_count, _COUNT, "stride = 2"), False),
    },
    "flatten": {},
    "dense": {
        "units": (_Key(_is_count, _COUNT, "units = 10"), True),
        "activation": (_Key(_is_text, _TEXT, 'activation = "relu"'), False),
    },
}

# the recurrent keys an error message may name, those whose message names another key first
_RECURRENT_MESSAGE_KEYS = ("swapped", "loss", "convention", "cell", "units", "input")


def read_spec(path: str | Path) -> Model:
    """The model a TOML spec file declares."""
    return read_spec_text(read_input(path), str(path))


def _default_name(file: str) -> str:
    """A spec's name when it gives none: its file's stem, ``stdin`` for standard input."""
    return "stdin" if file == STANDARD_INPUT_NAME else Path(file).stem


def read_spec_text(text: str, path: str) -> Model:
    """The model a spec's TOML ``text`` declares; ``path`` names it in messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _error_line(error)
        raise SpecError(f"not valid TOML: {error}", file=str(path), line=line) from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise SpecError("TOML nested too deeply", file=str(path)) from None
    except ValueError as error:  # an integer of thousands of digits: int() refuses it
        raise SpecError(f"a value out of range: {error}", file=str(path)) from None
    if "layer" in document:
        return replace(_layered(document, text, str(path)), source=str(path))
    table, keys = _table(document, text, str(path))
    try:
        if keys is _RECURRENT_KEYS:
            return _recurrent(table, text, str(path))
        return replace(_build(table, text, str(path)), source=str(path))
    except SymbackpropError as error:
        if error.line is not None:
            raise
        line = _line_of(text, _key_for(error.message, keys))
        raise type(error)(error.message, file=str(path), line=line) from None


def _table(document: dict, text: str, file: str) -> tuple[dict, dict[str, _Key]]:
    """The spec's one table, [network] or [recurrent], with its keys checked."""
    tables = {"network": _NETWORK_KEYS, "recurrent": _RECURRENT_KEYS}
    unknown_tables = set(document) - set(tables)
    if unknown_tables:
        name = min(unknown_tables)
        raise SpecError(
            f"unknown table [{name}] (expected [network] or [recurrent])",
            file=file,
            line=_line_of(text, name),
        )
    if len(document) != 1 or not isinstance(next(iter(document.values())), dict):
        raise SpecError("a spec has one table, [network] or [recurrent]", file=file)
    name, table = next(iter(document.items()))
    unknown = set(table) - set(tables[name])
    if unknown:
        key = min(unknown)
        known = ", ".join(sorted(tables[name]))
        raise SpecError(
            f"unknown key {key!r} in [{name}] (known: {known})",
            file=file,
            line=_line_of(text, key),
        )
    required = ["sizes"] if name == "network" else ["cell", "convention", "input", "units"]
    missing = [key for key in required if key not in table]
    if missing:
        example = "sizes = [2, 2, 1]" if name == "network" else 'cell = "gru"'
        raise SpecError(f"[{name}] needs {missing[0]!r}, e.g. {example}", file=file)
    _check_values(table, tables[name], text, file)
    return table, tables[name]


def _layered(document: dict, text: str, file: str) -> Model:
    """A [network] table of layered keys and its [[layer]] tables, as a layered network."""
    unknown = set(document) - {"network", "layer"}
    if unknown:
        name = min(unknown)
        raise SpecError(
            f"unknown table [{name}] beside [[layer]] (expected [network])",
            file=file,
            line=_line_of(text, name),
        )
    tables = document["layer"]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SpecError(
            "layers are [[layer]] tables, one per layer", file=file, line=_line_of(text, "layer")
        )
    network = document.get("network", {})
    where = _line_of(text, "network")
    _check_keys(network, _LAYERED_KEYS, "[network] with [[layer]]", text, file, where)
    if "input" not in network:
        raise SpecError("[network] needs 'input', e.g. input = [1, 8, 8]", file=file, line=where)
    _check_values(network, _LAYERED_KEYS, text, file)
    layers = [_layer(table, index, text, file) for index, table in enumerate(tables, start=1)]
    try:
        return layered_network(
            network["input"],
            layers,
            _loss(network.get("loss", "softmax_ce"), file, _line_of(text, "loss")),
            network.get("reduction", "mean"),
            name=network.get("name", _default_name(file)),
        )
    except LayerError as error:
        raise SpecError(error.message, file=file, line=_layer_line(text, error.layer)) from None
    except SymbackpropError as error:
        if error.line is not None:
            raise
        line = _line_of(text, _key_for(error.message, _LAYERED_KEYS))
        raise type(error)(error.message, file=file, line=line) from None


def _layer(table: dict, index: int, text: str, file: str) -> Layer:
    """One [[layer]] table (number ``index``) as a layer, its keys and values checked."""
    header = _layer_line(text, index)
    kind = table.get("type")
    if not _is_text(kind):
        raise SpecError(
            f"layer {index} needs 'type', e.g. type = \"conv2d\"", file=file, line=header
        )
    activation = kind in ACTIVATIONS or kind == "softmax"
    if kind not in _LAYER_KEYS and not activation:
        known = ", ".join([*_LAYER_KEYS, "or an activation: " + ", ".join(sorted(ACTIVATIONS))])
        raise SpecError(
            f"layer {index}: unknown type {kind!r} (known: {known})",
            file=file,
            line=_layer_line(text, index, "type"),
        )
    keys = _LAYER_KEYS.get(kind, {})
    for key, value in table.items():
        if key == "type":
            continue
        if key not in keys:
            known = ", ".join(["type", *keys])
            raise SpecError(
                f"layer {index}: unknown key {key!r} for {kind} (known: {known})",
                file=file,
                line=_layer_line(text, index, key),
            )
        rule = keys[key][0]
        if not rule.fits(value):
            raise SpecError(
                f"layer {index}: {key} must be {rule.holds}, e.g. {rule.example}; not {value!r}"[
                    :200
                ],
                file=file,
                line=_layer_line(text, index, key),
            )
    missing = [key for key, (rule, required) in keys.items() if required and key not in table]
    if missing:
        example = keys[missing[0]][0].example
        raise SpecError(
            f"layer {index} ({kind}) needs {missing[0]!r}, e.g. {example}", file=file, line=header
        )
    return _layer_of(kind, table, file, _layer_line(text, index, "activation"))


def _layer_of(kind: str, table: dict, file: str, line: int | None) -> Layer:
    if kind == "conv2d":
        return Conv2d(
            table["filters"], table["kernel"], table.get("stride", 1), table.get("padding", 0)
        )
    if kind == "maxpool":
        return MaxPool(table["size"], table.get("stride"))
    if kind == "flatten":
        return Flatten()
    if kind == "dense":
        activation = table.get("activation")
        return Dense(
            table["units"], None if activation is None else _activation(activation, file, line)
        )
    return Apply(kind)


def _check_keys(table, keys: dict, where: str, text: str, file: str, line: int | None) -> None:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: [network] must be a table", file=file, line=line)
    unknown = set(table) - set(keys)
    if unknown:
        key = min(unknown)
        known = ", ".join(keys)
        raise SpecError(
            f"unknown key {key!r} in {where} (known: {known}; the layers give the sizes)",
            file=file,
            line=_line_of(text, key),
        )


def _layer_line(text: str, index: int, key: str | None = None) -> int | None:
    """The line of the ``index``-th [[layer]] header, or of ``key`` within that table."""
    header = re.compile(r"^\s*\[")
    layer = re.compile(r"^\s*\[\[\s*layer\s*\]\]")
    lines = text.splitlines()
    starts = [number for number, line in enumerate(lines, start=1) if layer.match(line)]
    if index > len(starts):
        return None
    start = starts[index - 1]
    if key is None:
        return start
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if header.match(line):
            break
        if pattern.match(line):
            return number
    return start


def _check_values(table: dict, keys: dict[str, _Key], text: str, file: str) -> None:
    """Each value of the right type, in the file's order, so the first wrong line is named."""
    for key, value in table.items():
        rule = keys[key]
        if not rule.fits(value):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise SpecError(
                f"{key} must be {rule.holds}, e.g. {rule.example}; not {shown}",
                file=file,
                line=_line_of(text, key),
            )


def _recurrent(table: dict, text: str, file: str):
    inputs, units = table["input"], table["units"]
    count = 4 * (inputs + units + 2) * units  # at most an LSTM's four gates, two biases each
    check_parameters(
        count, "input and units", scalar=False, file=file, line=_line_of(text, "units")
    )
    swapped = table.get("swapped", False)
    model = step_model(table["cell"], table["convention"], inputs, units, swapped)
    scoring = Scoring(table.get("loss", "half_sse"), table.get("last", False))
    name = table.get("name", _default_name(file))
    return replace(model, name=name, source=file, scoring=scoring)


def _build(network: dict, text: str, file: str) -> Model:
    mode = network.get("mode", "vector")
    if mode not in ("vector", "scalar"):
        raise SpecError(
            f"unknown mode {mode!r} (known: vector, scalar)", file=file, line=_line_of(text, "mode")
        )
    check_network(network["sizes"], mode == "scalar", file, _line_of(text, "sizes"))
    line = _line_of(text, "activation")
    activation = network.get("activation", "sigmoid")
    if isinstance(activation, list):
        activation = [_activation(a, file, line) for a in activation]
    else:
        activation = _activation(activation, file, line)
    loss = _loss(network.get("loss", "half_sse"), file, _line_of(text, "loss"))
    sizes = network["sizes"]
    build = dense_network if mode == "vector" else fully_connected
    reduction = network.get("reduction", "mean" if mode == "vector" else "sum")
    return build(sizes, activation, loss, reduction, name=network.get("name", _default_name(file)))


def _activation(spec: str, file: str, line: int | None):
    if spec in ACTIVATIONS or spec == "softmax":
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted([*ACTIVATIONS, "softmax"]))
        raise SpecError(
            f"unknown activation {spec!r} (known: {known}, or a formula in u)", file=file, line=line
        )
    return sp.Lambda(_U, parse_formula(spec, {"u": _U}, file, line))


def _loss(spec: str, file: str, line: int | None):
    if spec in LOSSES or spec in VECTOR_LOSSES:
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted(set(LOSSES) | set(VECTOR_LOSSES)))
        raise SpecError(
            f"unknown loss {spec!r} (known: {known}, or a formula in y and t)", file=file, line=line
        )
    return sp.Lambda((_Y, _T), parse_formula(spec, {"y": _Y, "t": _T}, file, line))


def _key_for(message: str, keys: dict[str, _Key]) -> str:
    """The spec key an error message is about (its line is the error's line)."""
    if keys is _RECURRENT_KEYS:
        return next((k for k in _RECURRENT_MESSAGE_KEYS if k in message), "cell")
    for key in ("activation", "reduction", "loss", "mode"):
        if key in message or key[:-1] in message:
            return key
    return "sizes"


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*\[?\s*{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _error_line(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None
