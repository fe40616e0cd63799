"""TOML spec files for fully connected networks.

[network]
name = "my-net"            # optional; the file's stem by default
mode = "vector"            # "vector" (a batch of samples, matrices) or "scalar" (per weight)
sizes = [2, 3, 1]
activation = "tanh"        # one for every layer, or a list with one per layer; a name
                           # (sigmoid, tanh, relu, ...) or a formula in u: "u / (1 + abs(u))"
loss = "half_sse"          # half_sse, sse, mse, bce, softmax_ce, or a formula in y and t
reduction = "mean"         # sum or mean (over the samples)
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import sympy as sp

from symbackprop.errors import SpecError, SymbackpropError, UnknownModel
from symbackprop.model.activations import ACTIVATIONS, LOSSES
from symbackprop.model.builder import fully_connected
from symbackprop.model.formula import parse_formula
from symbackprop.model.ir import Model
from symbackprop.model.network import VECTOR_LOSSES, dense_network

_NETWORK_KEYS = {"name", "mode", "sizes", "activation", "loss", "reduction"}
_U, _Y, _T = sp.symbols("u y t")


def read_spec(path: str | Path) -> Model:
    """The model a TOML spec file declares."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise UnknownModel(f"cannot read spec: {error.strerror}", file=str(path)) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _error_line(error)
        raise SpecError(f"not valid TOML: {error}", file=str(path), line=line) from None
    network = _network_table(document, text, str(path))
    try:
        return _build(network, text, str(path))
    except SymbackpropError as error:
        if error.line is not None:
            raise
        line = _line_of(text, _key_for(error.message))
        raise type(error)(error.message, file=str(path), line=line) from None


def _network_table(document: dict, text: str, file: str) -> dict:
    unknown_tables = set(document) - {"network"}
    if unknown_tables:
        name = min(unknown_tables)
        raise SpecError(
            f"unknown table [{name}] (expected [network])", file=file, line=_line_of(text, name)
        )
    network = document.get("network")
    if not isinstance(network, dict):
        raise SpecError("missing [network] table", file=file)
    unknown = set(network) - _NETWORK_KEYS
    if unknown:
        key = min(unknown)
        known = ", ".join(sorted(_NETWORK_KEYS))
        raise SpecError(
            f"unknown key {key!r} in [network] (known: {known})",
            file=file,
            line=_line_of(text, key),
        )
    if "sizes" not in network:
        raise SpecError("[network] needs 'sizes', e.g. sizes = [2, 2, 1]", file=file)
    return network


def _build(network: dict, text: str, file: str) -> Model:
    mode = network.get("mode", "vector")
    if mode not in ("vector", "scalar"):
        raise SpecError(
            f"unknown mode {mode!r} (known: vector, scalar)", file=file, line=_line_of(text, "mode")
        )
    line = _line_of(text, "activation")
    activation = network.get("activation", "sigmoid")
    if isinstance(activation, list):
        activation = [_activation(a, file, line) for a in activation]
    else:
        activation = _activation(activation, file, line)
    loss = _loss(network.get("loss", "half_sse"), file, _line_of(text, "loss"))
    build = dense_network if mode == "vector" else fully_connected
    reduction = network.get("reduction", "mean" if mode == "vector" else "sum")
    return build(
        network["sizes"], activation, loss, reduction, name=network.get("name", Path(file).stem)
    )


def _activation(spec, file: str, line: int | None):
    if not isinstance(spec, str):
        raise SpecError(
            f"an activation is a name or a formula in u, not {spec!r}", file=file, line=line
        )
    if spec in ACTIVATIONS or spec == "softmax":
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted([*ACTIVATIONS, "softmax"]))
        raise SpecError(
            f"unknown activation {spec!r} (known: {known}, or a formula in u)", file=file, line=line
        )
    return sp.Lambda(_U, parse_formula(spec, {"u": _U}, file, line))


def _loss(spec, file: str, line: int | None):
    if not isinstance(spec, str):
        raise SpecError(
            f"a loss is a name or a formula in y and t, not {spec!r}", file=file, line=line
        )
    if spec in LOSSES or spec in VECTOR_LOSSES:
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted(set(LOSSES) | set(VECTOR_LOSSES)))
        raise SpecError(
            f"unknown loss {spec!r} (known: {known}, or a formula in y and t)", file=file, line=line
        )
    return sp.Lambda((_Y, _T), parse_formula(spec, {"y": _Y, "t": _T}, file, line))


def _key_for(message: str) -> str:
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
