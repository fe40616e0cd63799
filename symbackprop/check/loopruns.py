"""What one evaluated setting gives the concrete checker: what each returned gradient should
be and is, what the backward wrote line by line; and how two values are told equal."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

from symbackprop.readers.concrete.inputs import Setting
from symbackprop.readers.concrete.interpreter import Writes, plain


@dataclass
class Run:
    """One setting, evaluated: what each returned gradient should be and is, and what the
    backward wrote line by line."""

    setting: Setting
    expected: dict[str, np.ndarray | None]  # by returned name
    got: dict[str, object]
    targets: dict[str, np.ndarray]  # backward names -> the values they should end with
    final: dict[str, object]  # the backward's names at its end
    writes: Writes
    acceptable: list[dict[str, np.ndarray]]  # per partial loss: its gradients by param
    params: dict[str, str] = field(default_factory=dict)  # a class's gradients: of what


@dataclass(frozen=True)
class Failure:
    """What a backward returned that stopped at the checker's sizes."""

    message: str
    line: int | None


RTOL = 1e-7  # relative to the largest entry: the tape is exact, the code's float64 is not


def agrees(got, expected) -> bool:
    if isinstance(got, Failure):
        return False
    if expected is None:
        return got is None
    try:
        got = np.asarray(plain(got), dtype=float)
    except (TypeError, ValueError):
        return False
    if got.shape != expected.shape:
        if got.size == expected.size == 1:
            got = got.reshape(expected.shape)
        else:
            return False
    known = ~np.isnan(expected)  # an adjoint left open at a constant entry: any value
    got, expected = got[known], expected[known]
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    return bool(np.all(np.abs(got - expected) <= RTOL * scale + 1e-12))


def parallel(error: np.ndarray, change) -> bool:
    if change is None:
        return False
    change = np.asarray(change, dtype=float)
    if change.shape != error.shape or not np.any(change) or not np.any(error):
        return False
    scale = float(np.dot(change.ravel(), error.ravel()) / np.dot(change.ravel(), change.ravel()))
    residual = error - scale * change
    return bool(np.max(np.abs(residual)) <= 1e-6 * np.max(np.abs(error)))


def entry(name: str) -> tuple[str, str | int] | None:
    """``("gradients", "dWax")`` for ``gradients['dWax']``, ``("nabla_b", 1)`` for a list's
    ``nabla_b[1]``; None for a plain name."""
    if "[" not in name or not name.endswith("]"):
        return None
    base, key = name[:-1].split("[", 1)
    try:
        key = ast.literal_eval(key)
    except (ValueError, SyntaxError):
        return None
    return (base, key) if isinstance(key, str | int) else None
