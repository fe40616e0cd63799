"""TOML spec files for networks made by the fully connected builder.

[network]
name = "my-net"            # optional
sizes = [2, 3, 1]
activation = "tanh"        # one name for every layer, or a list with one per layer
loss = "half_sse"          # half_sse, sse, mse, bce
reduction = "sum"          # sum or mean
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from symbackprop.errors import SpecError, UnknownModel
from symbackprop.model.builder import fully_connected
from symbackprop.model.ir import Model

_NETWORK_KEYS = {"name", "sizes", "activation", "loss", "reduction"}


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
    return _build(document, text, str(path))


def _build(document: dict, text: str, file: str) -> Model:
    unknown_tables = set(document) - {"network"}
    if unknown_tables:
        name = sorted(unknown_tables)[0]
        raise SpecError(
            f"unknown table [{name}] (expected [network])", file=file, line=_line_of(text, name)
        )
    network = document.get("network")
    if not isinstance(network, dict):
        raise SpecError("missing [network] table", file=file)
    unknown = set(network) - _NETWORK_KEYS
    if unknown:
        key = sorted(unknown)[0]
        known = ", ".join(sorted(_NETWORK_KEYS))
        raise SpecError(
            f"unknown key {key!r} in [network] (known: {known})",
            file=file,
            line=_line_of(text, key),
        )
    if "sizes" not in network:
        raise SpecError("[network] needs 'sizes', e.g. sizes = [2, 2, 1]", file=file)
    try:
        return fully_connected(
            network["sizes"],
            network.get("activation", "sigmoid"),
            network.get("loss", "half_sse"),
            network.get("reduction", "sum"),
            name=network.get("name", Path(file).stem),
        )
    except SpecError as error:
        key = _key_for(error.message)
        raise SpecError(error.message, file=file, line=_line_of(text, key)) from None


def _key_for(message: str) -> str:
    for key in ("sizes", "activation", "loss", "reduction"):
        if key.rstrip("s") in message or key in message:
            return key
    return "sizes" if "layer" in message else "network"


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*\[?\s*{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _error_line(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None
