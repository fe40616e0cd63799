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
input = [1, 8, 8]          # each sample: [C, H, W] images, or [n] rows; before an
                           # embedding, [T] indices (optional: one index a sample)
loss = "softmax_ce"        # as above
reduction = "mean"         # as above

[[layer]]
type = "embedding"         # first layer only: row X[n] of a table WeL (vocab, size) for
vocab = 50                 # each integer index in the input, (m,) -> (m, size) or
size = 8                   # (m, T) -> (m, T, size); a repeated index adds up its gradient

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
type = "batchnorm"         # each channel standardised over the samples and positions (on
eps = 1e-5                 # rows: each feature over the samples), training mode; then a
                           # scale gamma and shift beta per channel or feature. Also
                           # "layernorm" (rows: each sample over its features) and
                           # "groupnorm" with groups = G (each group of C/G channels of a
                           # sample, over those channels and the positions)

[[layer]]
type = "dropout"           # inverted dropout: each unit dropped with probability p, the
p = 0.5                    # rest scaled by 1/(1 - p); its mask is an input (maskL),
                           # which train draws afresh every step

[[layer]]
type = "flatten"           # (m, C, H, W) -> (m, C*H*W); (m, T, size) -> (m, T*size)

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
from dataclasses import replace
from pathlib import Path

from symbackprop.cells.families import step_model
from symbackprop.cells.step import Scoring
from symbackprop.errors import SpecError, SymbackpropError
from symbackprop.inputs import read_input
from symbackprop.ir.builder import fully_connected
from symbackprop.ir.model import Model
from symbackprop.ir.network import (
    dense_network,
)
from symbackprop.limits import check_network, check_parameters
from symbackprop.readers.layerspec import read_layered
from symbackprop.readers.tomlkeys import (
    NAME,
    TEXT,
    Key,
    check_values,
    default_name,
    is_count,
    is_flag,
    is_text,
    line_of,
    parse_activation,
    parse_loss,
)


def _is_sizes(value: object) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(map(is_count, value))


def _is_activation(value: object) -> bool:
    return is_text(value) or isinstance(value, list) and all(map(is_text, value))


_NETWORK_KEYS = {
    "name": NAME,
    "mode": Key(is_text, TEXT, 'mode = "vector"'),
    "sizes": Key(_is_sizes, "a list of at least two positive integers", "sizes = [2, 3, 1]"),
    "activation": Key(
        _is_activation, "a string or a list of strings, one per layer", 'activation = "tanh"'
    ),
    "loss": Key(is_text, TEXT, 'loss = "half_sse"'),
    "reduction": Key(is_text, TEXT, 'reduction = "mean"'),
}
_RECURRENT_KEYS = {
    "name": NAME,
    "cell": Key(is_text, TEXT, 'cell = "gru"'),
    "convention": Key(is_text, TEXT, 'convention = "pytorch"'),
    "input": Key(is_count, "a positive integer", "input = 2"),
    "units": Key(is_count, "a positive integer", "units = 3"),
    "swapped": Key(is_flag, "true or false", "swapped = true"),
    "loss": Key(is_text, TEXT, 'loss = "mse"'),
    "last": Key(is_flag, "true or false", "last = true"),
}

# the recurrent keys an error message may name, those whose message names another key first
_RECURRENT_MESSAGE_KEYS = ("swapped", "loss", "convention", "cell", "units", "input")


def read_spec(path: str | Path) -> Model:
    """The model a TOML spec file declares."""
    return read_spec_text(read_input(path), str(path))


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
        return replace(read_layered(document, text, str(path)), source=str(path))
    table, keys = _table(document, text, str(path))
    try:
        if keys is _RECURRENT_KEYS:
            return _recurrent(table, text, str(path))
        return replace(_build(table, text, str(path)), source=str(path))
    except SymbackpropError as error:
        if error.line is not None:
            raise
        line = line_of(text, _key_for(error.message, keys))
        raise type(error)(error.message, file=str(path), line=line) from None


def _table(document: dict, text: str, file: str) -> tuple[dict, dict[str, Key]]:
    """The spec's one table, [network] or [recurrent], with its keys checked."""
    tables = {"network": _NETWORK_KEYS, "recurrent": _RECURRENT_KEYS}
    unknown_tables = set(document) - set(tables)
    if unknown_tables:
        name = min(unknown_tables)
        raise SpecError(
            f"unknown table [{name}] (expected [network] or [recurrent])",
            file=file,
            line=line_of(text, name),
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
            line=line_of(text, key),
        )
    required = ["sizes"] if name == "network" else ["cell", "convention", "input", "units"]
    missing = [key for key in required if key not in table]
    if missing:
        example = "sizes = [2, 2, 1]" if name == "network" else 'cell = "gru"'
        raise SpecError(f"[{name}] needs {missing[0]!r}, e.g. {example}", file=file)
    check_values(table, tables[name], text, file)
    return table, tables[name]


def _recurrent(table: dict, text: str, file: str):
    inputs, units = table["input"], table["units"]
    count = 4 * (inputs + units + 2) * units  # at most an LSTM's four gates, two biases each
    check_parameters(count, "input and units", scalar=False, file=file, line=line_of(text, "units"))
    swapped = table.get("swapped", False)
    model = step_model(table["cell"], table["convention"], inputs, units, swapped)
    scoring = Scoring(table.get("loss", "half_sse"), table.get("last", False))
    name = table.get("name", default_name(file))
    return replace(model, name=name, source=file, scoring=scoring)


def _build(network: dict, text: str, file: str) -> Model:
    mode = network.get("mode", "vector")
    if mode not in ("vector", "scalar"):
        raise SpecError(
            f"unknown mode {mode!r} (known: vector, scalar)", file=file, line=line_of(text, "mode")
        )
    check_network(network["sizes"], mode == "scalar", file, line_of(text, "sizes"))
    line = line_of(text, "activation")
    activation = network.get("activation", "sigmoid")
    if isinstance(activation, list):
        activation = [parse_activation(a, file, line) for a in activation]
    else:
        activation = parse_activation(activation, file, line)
    loss = parse_loss(network.get("loss", "half_sse"), file, line_of(text, "loss"))
    sizes = network["sizes"]
    build = dense_network if mode == "vector" else fully_connected
    reduction = network.get("reduction", "mean" if mode == "vector" else "sum")
    return build(sizes, activation, loss, reduction, name=network.get("name", default_name(file)))


def _key_for(message: str, keys: dict[str, Key]) -> str:
    """The spec key an error message is about (its line is the error's line)."""
    if keys is _RECURRENT_KEYS:
        return next((k for k in _RECURRENT_MESSAGE_KEYS if k in message), "cell")
    for key in ("activation", "reduction", "loss", "mode"):
        if key in message or key[:-1] in message:
            return key
    return "sizes"


def _error_line(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None
