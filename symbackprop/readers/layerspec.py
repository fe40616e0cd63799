"""TOML specs of layered networks: a [network] table and one [[layer]] table per layer.

The format is documented in :mod:`symbackprop.readers.spec`; every error names the layer's
line, or the line of the key that is wrong.
"""

from __future__ import annotations

import re

from symbackprop.errors import LayerError, SpecError, SymbackpropError
from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.ir.model import Model
from symbackprop.ir.network import (
    Apply,
    Conv2d,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Layer,
    Lstm,
    MaxPool,
    Norm,
    layered_network,
)
from symbackprop.readers.tomlkeys import (
    COUNT,
    NAME,
    TEXT,
    Key,
    check_values,
    default_name,
    is_count,
    is_flag,
    is_size,
    is_text,
    line_of,
    parse_activation,
    parse_loss,
)


def _is_eps(value: object) -> bool:
    return type(value) in (int, float) and 0 < value < 1


def _is_probability(value: object) -> bool:
    return type(value) in (int, float) and 0 <= value < 1


EPS = (Key(_is_eps, "a number between 0 and 1", "eps = 1e-5"), False)


def _is_input(value: object) -> bool:
    return isinstance(value, list) and len(value) in (1, 2, 3) and all(map(is_count, value))


LAYERED_KEYS = {
    "name": NAME,
    "input": Key(
        _is_input,
        "[C, H, W], [T, n] or [n] (before an embedding: [T]), positive integers",
        "input = [1, 8, 8]",
    ),
    "loss": Key(is_text, TEXT, 'loss = "softmax_ce"'),
    "reduction": Key(is_text, TEXT, 'reduction = "mean"'),
}
# Each layer type's keys besides "type": (key, rule, required)
LAYER_KEYS = {
    "embedding": {
        "vocab": (Key(is_count, COUNT, "vocab = 50"), True),
        "size": (Key(is_count, COUNT, "size = 8"), True),
    },
    "lstm": {
        "units": (Key(is_count, COUNT, "units = 16"), True),
        "sequences": (Key(is_flag, "true or false", "sequences = true"), False),
    },
    "conv2d": {
        "filters": (Key(is_count, COUNT, "filters = 8"), True),
        "kernel": (Key(is_count, COUNT, "kernel = 3"), True),
        "stride": (Key(is_count, COUNT, "stride = 1"), False),
        "padding": (Key(is_size, "an integer 0 or more", "padding = 1"), False),
    },
    "maxpool": {
        "size": (Key(is_count, COUNT, "size = 2"), True),
        "stride": (Key(is_count, COUNT, "stride = 2"), False),
    },
    "batchnorm": {"eps": EPS},
    "layernorm": {"eps": EPS},
    "groupnorm": {"groups": (Key(is_count, COUNT, "groups = 2"), True), "eps": EPS},
    "dropout": {"p": (Key(_is_probability, "a number from 0 up to 1", "p = 0.5"), True)},
    "flatten": {},
    "dense": {
        "units": (Key(is_count, COUNT, "units = 10"), True),
        "activation": (Key(is_text, TEXT, 'activation = "relu"'), False),
    },
}


def read_layered(document: dict, text: str, file: str) -> Model:
    """A [network] table of layered keys and its [[layer]] tables, as a layered network."""
    unknown = set(document) - {"network", "layer"}
    if unknown:
        name = min(unknown)
        raise SpecError(
            f"unknown table [{name}] beside [[layer]] (expected [network])",
            file=file,
            line=line_of(text, name),
        )
    tables = document["layer"]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SpecError(
            "layers are [[layer]] tables, one per layer", file=file, line=line_of(text, "layer")
        )
    network = document.get("network", {})
    where = line_of(text, "network")
    _check_keys(network, LAYERED_KEYS, "[network] with [[layer]]", text, file, where)
    check_values(network, LAYERED_KEYS, text, file)
    layers = [_layer(table, index, text, file) for index, table in enumerate(tables, start=1)]
    indices = bool(layers) and isinstance(layers[0], Embedding)
    if "input" not in network and not indices:  # an embedding's input: one index a sample
        raise SpecError("[network] needs 'input', e.g. input = [1, 8, 8]", file=file, line=where)
    try:
        return layered_network(
            network.get("input", []),
            layers,
            parse_loss(network.get("loss", "softmax_ce"), file, line_of(text, "loss")),
            network.get("reduction", "mean"),
            name=network.get("name", default_name(file)),
        )
    except LayerError as error:
        raise SpecError(error.message, file=file, line=_layer_line(text, error.layer)) from None
    except SymbackpropError as error:
        if error.line is not None:
            raise
        key = next((k for k in ("reduction", "loss") if k in error.message), "input")
        line = line_of(text, key)
        raise type(error)(error.message, file=file, line=line) from None


def _layer(table: dict, index: int, text: str, file: str) -> Layer:
    """One [[layer]] table (number ``index``) as a layer, its keys and values checked."""
    header = _layer_line(text, index)
    kind = table.get("type")
    if not is_text(kind):
        raise SpecError(
            f"layer {index} needs 'type', e.g. type = \"conv2d\"", file=file, line=header
        )
    activation = kind in ACTIVATIONS or kind == "softmax"
    if kind not in LAYER_KEYS and not activation:
        known = ", ".join([*LAYER_KEYS, "or an activation: " + ", ".join(sorted(ACTIVATIONS))])
        raise SpecError(
            f"layer {index}: unknown type {kind!r} (known: {known})",
            file=file,
            line=_layer_line(text, index, "type"),
        )
    keys = LAYER_KEYS.get(kind, {})
    for key, value in table.items():
        if key != "type":
            line = _layer_line(text, index, key)
            _check_key(key, value, keys, f"layer {index}", kind, line, file)
    missing = [key for key, (rule, required) in keys.items() if required and key not in table]
    if missing:
        example = keys[missing[0]][0].example
        raise SpecError(
            f"layer {index} ({kind}) needs {missing[0]!r}, e.g. {example}", file=file, line=header
        )
    return _layer_of(kind, table, file, _layer_line(text, index, "activation"))


def _check_key(key: str, value, keys: dict, layer: str, kind: str, line, file: str) -> None:
    """A SpecError unless ``key`` is one of the layer type's keys and ``value`` fits it."""
    if key not in keys:
        known = ", ".join(["type", *keys])
        raise SpecError(
            f"{layer}: unknown key {key!r} for {kind} (known: {known})", file=file, line=line
        )
    rule = keys[key][0]
    if not rule.fits(value):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise SpecError(
            f"{layer}: {key} must be {rule.holds}, e.g. {rule.example}; not {shown}",
            file=file,
            line=line,
        )


def _layer_of(kind: str, table: dict, file: str, line: int | None) -> Layer:
    if kind == "embedding":
        return Embedding(table["vocab"], table["size"])
    if kind == "lstm":
        return Lstm(table["units"], table.get("sequences", False))
    if kind == "conv2d":
        return Conv2d(
            table["filters"], table["kernel"], table.get("stride", 1), table.get("padding", 0)
        )
    if kind == "maxpool":
        return MaxPool(table["size"], table.get("stride"))
    if kind in ("batchnorm", "layernorm", "groupnorm"):
        return Norm(kind, table.get("eps", 1e-5), table.get("groups", 1))
    if kind == "dropout":
        return Dropout(table["p"])
    if kind == "flatten":
        return Flatten()
    if kind == "dense":
        activation = table.get("activation")
        return Dense(
            table["units"], None if activation is None else parse_activation(activation, file, line)
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
            line=line_of(text, key),
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
