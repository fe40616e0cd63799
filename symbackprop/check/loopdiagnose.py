"""What is wrong with a gradient read by evaluation, in the simplest terms that hold, and the
entry that shows it."""

from __future__ import annotations

import ast

import numpy as np

from symbackprop.check.loopruns import RTOL, Failure, Run, parallel
from symbackprop.check.probe import Diagnosis
from symbackprop.check.report import Counterexample
from symbackprop.readers.concrete.interpreter import plain


# -- what is wrong, and where ------------------------------------------------------------------
def diagnosis(run: Run, name: str, statement, passing: list[Run]) -> Diagnosis:
    expected = run.expected[name]
    if isinstance(run.got[name], Failure):
        return Diagnosis("fails", f"fails at these sizes: {run.got[name].message}")
    try:
        got = np.asarray(plain(run.got[name]), dtype=float)
    except (TypeError, ValueError):
        return Diagnosis("not an array", f"{name} is not an array of numbers here")
    if got.shape != expected.shape:
        same = got.size == expected.size and _close(got.reshape(expected.shape), expected)
        tail = ": the right numbers in another shape (keepdims?)" if same else ""
        return Diagnosis("shape", f"shape {got.shape}, the gradient's is {expected.shape}{tail}")
    if _overwritten(statement, passing):
        return Diagnosis(
            "overwritten",
            "windows overlap at this setting: where they share an input, its gradient must "
            "add up (+=); an assignment keeps only the last window's",
        )
    found = _relation(got, expected, run)
    if passing:  # right at some settings: say at which, by what differs between them
        right, wrong = passing[0].setting.config, run.setting.config
        differ = [k for k in wrong if right.get(k) != wrong[k]]
        right_at = _settings_named({k: right[k] for k in differ if k in right})
        wrong_at = _settings_named({k: wrong[k] for k in differ})
        if right_at and wrong_at:
            return Diagnosis(
                found.kind, f"{found.message}; right at {right_at}, wrong at {wrong_at}"
            )
    return found


def _relation(got: np.ndarray, expected: np.ndarray, run: Run) -> Diagnosis:
    """How a wrong gradient relates to the right one, in the simplest terms that hold."""
    if not np.any(got):
        return Diagnosis("zero", "all zeros: nothing of the upstream gradient reaches it")
    if got.ndim == 2 and got.shape == expected.T.shape and _close(got, expected.T):
        return Diagnosis("transposed", "transposed")
    if np.any(expected) and parallel(got, expected):
        factor = float(
            np.dot(got.ravel(), expected.ravel()) / np.dot(expected.ravel(), expected.ravel())
        )
        if abs(factor + 1) < 1e-6:
            return Diagnosis("sign", "sign flipped")
        return Diagnosis("extra factor", f"off by a factor {_number(factor)}")
    differs = ~np.isclose(got, expected, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(expected).max()))
    if np.all(got[differs] == 0):
        return Diagnosis(
            "masked", "zero where the gradient is not: a mask or a window keeps too little"
        )
    if np.all(expected[differs] == 0):
        return Diagnosis(
            "unmasked", "nonzero where the gradient is 0: a mask is missing or keeps too much"
        )
    if _close(np.sort(got.ravel()), np.sort(expected.ravel())):
        return Diagnosis(
            "rearranged", "the right numbers in the wrong places (axes swapped or reshaped)"
        )
    error = got - expected
    for arg, value in _weights(run).items():
        if value.shape == error.shape and parallel(error, value):
            scale = float(
                np.dot(error.ravel(), value.ravel()) / np.dot(value.ravel(), value.ravel())
            )
            strength = _strength(run, scale)
            if strength:
                name, times = strength
                return Diagnosis(
                    "regularisation",
                    f"off by {_number(times)} * {name} * {arg}: its regularisation term "
                    "does not match the loss's",
                )
            return Diagnosis("extra term", f"off by {_number(scale)} * {arg}")
    return Diagnosis("differs", f"wrong at {int(differs.sum())} of {expected.size} entries")


def _weights(run: Run) -> dict[str, np.ndarray]:
    """The arrays a wrong term may be a multiple of: the arguments, and a layer's weights."""
    found = {k: v for k, v in run.setting.arguments.items() if isinstance(v, np.ndarray)}
    for name, value in run.final.items():
        layer_array = name.startswith("self.") and not name.startswith("self.d")
        if layer_array and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            found[name] = value
    return found


def _strength(run: Run, scale: float) -> tuple[str, float] | None:
    """The regulariser ``scale`` is the simplest multiple of (a loss's ``reg``, or a layer's
    ``weight_regularizer_l2``), with that multiple; None where there is none."""
    # a layer class is made with its regularisers; a loss function takes ``reg``
    given = run.setting.config if run.params else {"reg": run.setting.arguments.get("reg")}
    strengths = {k: v for k, v in given.items() if type(v) in (int, float) and v}
    if not strengths:
        return None
    return min(
        ((name, scale / value) for name, value in strengths.items()),
        key=lambda pair: abs(2 * pair[1] - round(2 * pair[1])),
    )


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-12)
    return bool(np.all(np.abs(a - b) <= RTOL * scale + 1e-12))


def _settings_named(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())


def _overwritten(statement, passing: list[Run]) -> bool:
    """An assignment into a slice, right at some settings: windows that overlap are lost."""
    return (
        bool(passing)
        and isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Subscript)
        and any(isinstance(s, ast.Slice) for s in ast.walk(statement.targets[0]))
    )


def counterexample(run: Run, name: str) -> Counterexample:
    expected = run.expected[name]
    if isinstance(run.got[name], Failure):
        where = f"{run.setting.described} (random values)"
        return Counterexample(where, f"an array of shape {expected.shape}", "an error")
    try:
        got = np.asarray(plain(run.got[name]), dtype=float).reshape(expected.shape)
    except (TypeError, ValueError):
        return Counterexample(run.setting.described, f"shape {expected.shape}", "not that shape")
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), expected.shape)
    where = [int(i) for i in index]
    return Counterexample(
        f"{run.setting.described} (random values)",
        f"element {where} = {_number(expected[index])}",
        f"element {where} = {_number(got[index])}",
        {"setting": run.setting.described},
    )


def _number(value: float) -> str:
    return f"{value:.6g}"
