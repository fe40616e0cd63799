"""Resolve a MODEL argument: a built-in name, a ``.toml`` spec or ``file.py[:function]``."""

from __future__ import annotations

from collections.abc import Sequence

from symbackprop.ir.model import Model
from symbackprop.readers.examples import EXAMPLES, builtin
from symbackprop.readers.pyreader import read_python
from symbackprop.readers.spec import read_spec


def load_model(spec: str, loss: str | None = None, params: Sequence[str] = ()) -> Model:
    """The model a MODEL argument names.

    >>> load_model("tiny221").loss.name
    'e'
    """
    if spec in EXAMPLES:
        return builtin(spec)
    if spec.endswith(".toml"):
        return read_spec(spec)
    path, colon, function = spec.rpartition(":")
    if not (colon and path.endswith(".py")):
        path, function = spec, ""
    if path.endswith(".py"):
        return read_python(path, function or None, loss=loss, params=params)
    return builtin(spec)
