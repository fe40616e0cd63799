"""What a family declares: its source, how to run it, and what its backward values stand for."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Family:
    """One correct hand-written program and everything the oracle needs to label its mutants.

    ``leaves`` maps each torch input to a Python expression in the program's scope, read just
    before the first statement assigning ``start`` (the forward's first line); ``params`` are
    the leaves that get gradients. ``values`` maps each backward value the program names
    (``dz1``, ``delta#2`` for the second assignment of ``delta``, ``grads['W1']``) to the
    torch value whose adjoint it stands for (a forward intermediate, or a parameter for a
    gradient), with a scale when the code keeps one (``dz2`` as m times dL/dz2). ``inputs``
    are the arguments drawn for ``call``, which runs the program in its namespace; a
    module-level program has no ``call`` and makes its own data.
    """

    name: str
    source: str
    torch: Callable[[dict], dict]
    leaves: dict[str, str]
    params: tuple[str, ...]
    values: dict[str, str | tuple[str, float]]
    start: str
    lr: str
    layout: str  # "rows" (X @ W + b) or "columns" (W @ X + b) or "scalar"
    shape: str  # how the program is organised: "function, in place", "class", ...
    idioms: tuple[str, ...]
    function: str | None = None  # what ``check`` is told to read
    loss: str | None = None  # check's --loss, for code that does not compute its loss
    inputs: dict[str, Callable[[np.random.Generator], object]] = field(default_factory=dict)
    call: Callable[[dict, dict], object] | None = None
    returned: dict[str, tuple] = field(default_factory=dict)  # torch param -> index path
    integer: tuple[str, ...] = ()  # leaves torch takes as integer class labels

    def __post_init__(self):
        object.__setattr__(self, "source", textwrap.dedent(self.source).lstrip("\n"))
        leaves = {k: normal_text(v) for k, v in self.leaves.items()}
        object.__setattr__(self, "leaves", leaves)

    def value_scale(self, key: str) -> tuple[str, float]:
        meant = self.values[key]
        return (meant, 1.0) if isinstance(meant, str) else meant


def normal_text(expr: str) -> str:
    """One spelling per expression (``params["W1"]`` and ``params['W1']`` alike)."""
    return ast.unparse(ast.parse(expr, mode="eval").body)


# -- drawn inputs -------------------------------------------------------------------------------
def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def uniform(*shape):
    """Targets in (0, 1), as a sigmoid output's are."""
    return lambda rng: rng.uniform(0.1, 0.9, size=shape)


def onehot(n, classes, columns=False):
    def draw(rng):
        rows = np.eye(classes)[rng.integers(0, classes, size=n)]
        return rows.T.copy() if columns else rows

    return draw


def labels(n, classes):
    return lambda rng: rng.integers(0, classes, size=n)


def binary(*shape):
    return lambda rng: rng.integers(0, 2, size=shape).astype(float)


def number(value):
    return lambda rng: value


def named(text: str) -> dict[str, str | tuple[str, float]]:
    """``"dZ2=z2 dW2=W2 dA1=5*a1"``: each backward value and what it stands for (5 times)."""
    values: dict[str, str | tuple[str, float]] = {}
    for pair in text.split():
        key, _, meant = pair.partition("=")
        scale, _, name = meant.rpartition("*")
        values[key] = (name, float(scale)) if scale else name
    return values


def tags(text: str) -> tuple[str, ...]:
    """``"@; .T; np.sum axis keepdims"``: the idioms a family uses."""
    return tuple(tag.strip() for tag in text.split(";"))


def dense_inputs(sizes, target, *, n=5, bias="row", columns=False, target_name="Y", **more):
    """Data and weights of a dense net with layer ``sizes`` [D, H, ..., out]: ``X``, the target,
    ``W1, b1, W2, b2, ...``; samples as rows, or as columns; biases as (1, k) rows, (k,)
    vectors (``bias="flat"``), or (k, 1) columns when samples are columns."""
    inputs = {"X": normal(sizes[0], n) if columns else normal(n, sizes[0]), target_name: target}
    for k, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False), start=1):
        inputs[f"W{k}"] = normal(fan_out, fan_in) if columns else normal(fan_in, fan_out)
        shape = (fan_out, 1) if columns else (1, fan_out) if bias == "row" else (fan_out,)
        inputs[f"b{k}"] = normal(*shape)
    return inputs | {
        name: number(v) if isinstance(v, int | float) else v for name, v in more.items()
    }
