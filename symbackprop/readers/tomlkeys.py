"""What the TOML spec readers share: the rule a key's value must follow, the line a key is on,
and activations and losses given by name or as a formula."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from symbackprop.errors import SpecError
from symbackprop.inputs import STANDARD_INPUT_NAME
from symbackprop.ir.activations import ACTIVATIONS, LOSSES
from symbackprop.ir.network import VECTOR_LOSSES
from symbackprop.readers.formula import parse_formula

_U, _Y, _T = sp.symbols("u y t")


@dataclass(frozen=True)
class Key:
    """What a spec key must hold: ``fits`` tests a value, ``holds`` says it in words."""

    fits: Callable[[object], bool]
    holds: str
    example: str


def is_count(value: object) -> bool:
    return type(value) is int and value >= 1  # TOML's true is a bool, and bool is an int


def is_flag(value: object) -> bool:
    return type(value) is bool


def is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def is_name(value: object) -> bool:
    return is_text(value) and value.isprintable()  # one line, as headers and reports show it


def is_size(value: object) -> bool:
    return type(value) is int and value >= 0


NAME = Key(is_name, "a non-empty, one-line string", 'name = "my-net"')
TEXT = "a non-empty string"
COUNT = "a positive integer"


def default_name(file: str) -> str:
    """A spec's name when it gives none: its file's stem, ``stdin`` for standard input."""
    return "stdin" if file == STANDARD_INPUT_NAME else Path(file).stem


def check_values(table: dict, keys: dict[str, Key], text: str, file: str) -> None:
    """Each value of the right type, in the file's order, so the first wrong line is named."""
    for key, value in table.items():
        rule = keys[key]
        if not rule.fits(value):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise SpecError(
                f"{key} must be {rule.holds}, e.g. {rule.example}; not {shown}",
                file=file,
                line=line_of(text, key),
            )


def parse_activation(spec: str, file: str, line: int | None):
    if spec in ACTIVATIONS or spec == "softmax":
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted([*ACTIVATIONS, "softmax"]))
        raise SpecError(
            f"unknown activation {spec!r} (known: {known}, or a formula in u)", file=file, line=line
        )
    return sp.Lambda(_U, parse_formula(spec, {"u": _U}, file, line))


def parse_loss(spec: str, file: str, line: int | None):
    if spec in LOSSES or spec in VECTOR_LOSSES:
        return spec
    if spec.isidentifier():
        known = ", ".join(sorted(set(LOSSES) | set(VECTOR_LOSSES)))
        raise SpecError(
            f"unknown loss {spec!r} (known: {known}, or a formula in y and t)", file=file, line=line
        )
    return sp.Lambda((_Y, _T), parse_formula(spec, {"y": _Y, "t": _T}, file, line))


def line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*\[?\s*{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
