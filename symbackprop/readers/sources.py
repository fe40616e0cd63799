"""Resolve a MODEL argument: a built-in name, a ``.toml`` spec, ``file.py[:function]``, or
``-`` / ``-:function`` for a spec or code on standard input."""

from __future__ import annotations

from collections.abc import Sequence

from symbackprop.inputs import STANDARD_INPUT, STANDARD_INPUT_NAME, read_input
from symbackprop.ir.model import Model, require_parameters
from symbackprop.readers.examples import EXAMPLES, builtin
from symbackprop.readers.pyreader import read_python, read_python_source
from symbackprop.readers.spec import read_spec, read_spec_text


def load_model(spec: str, loss: str | None = None, params: Sequence[str] = ()) -> Model:
    """The model a MODEL argument names; one with nothing to learn is an error, the same for
    every verb.

    >>> load_model("tiny221").loss.name
    'e'
    """
    model = _read_model(spec, loss, params)
    require_parameters(model)
    return model


def _read_model(spec: str, loss: str | None, params: Sequence[str]) -> Model:
    if spec in EXAMPLES:
        return builtin(spec)
    if spec == STANDARD_INPUT or spec.startswith(STANDARD_INPUT + ":"):
        return _from_standard_input(spec[len(STANDARD_INPUT) + 1 :], loss, params)
    if spec.endswith(".toml"):
        return read_spec(spec)
    path, colon, function = spec.rpartition(":")
    if not (colon and path.endswith(".py")):
        path, function = spec, ""
    if path.endswith(".py"):
        return read_python(path, function or None, loss=loss, params=params)
    return builtin(spec)


def _from_standard_input(function: str, loss: str | None, params: Sequence[str]) -> Model:
    """``-`` (a spec or code) or ``-:function`` (code) piped in: a spec's first line that
    says anything is its table's header, ``[network]`` or ``[recurrent]``."""
    text = read_input(STANDARD_INPUT)
    first = next((s for s in map(str.strip, text.splitlines()) if s and s[0] != "#"), "")
    if not function and first.startswith("["):
        return read_spec_text(text, STANDARD_INPUT_NAME)
    return read_python_source(text, STANDARD_INPUT_NAME, function or None, loss, params)
