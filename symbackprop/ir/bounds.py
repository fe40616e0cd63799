"""The limits of :mod:`symbackprop.limits` applied to a model: whether its arrays fit. The
limits are read when a check runs, so that a test may lower them."""

from __future__ import annotations

import math

from symbackprop import limits
from symbackprop.errors import LimitExceeded
from symbackprop.ir.model import Model
from symbackprop.limits import size_text


def check_arrays(model: Model, samples: int, verb: str) -> None:
    """Refuse to run ``model`` on ``samples`` at once when its arrays would not fit."""
    need = 2 * 8 * sum(_elements(model, node, samples) for node in model.nodes)
    if need > limits.MAX_ARRAY_BYTES:
        raise LimitExceeded(
            f"{verb} would hold {size_text(need)} of arrays for {model.name} on {samples} "
            f"samples, over the limit of {size_text(limits.MAX_ARRAY_BYTES)}; use fewer "
            "samples or narrower layers",
            file=_file(model),
        )


def _elements(model: Model, node, samples: int) -> int:
    """Elements of ``node``'s array in a module run on ``samples``: a vector model's shape with
    the batch size filled in; in scalar mode one per sample, a parameter's one alone."""
    if not model.is_vector:
        return 1 if node.kind == "parameter" else samples
    return math.prod(samples if isinstance(d, str) else d for d in model.shapes[node.name])


def _file(model: Model) -> str | None:
    return None if model.source == "built-in" else model.source
