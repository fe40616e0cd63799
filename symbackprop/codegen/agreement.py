"""How gradients are proven by numbers, for every kind of generated module.

- the largest relative error of each parameter's gradient against a five-point central
  difference in float64;
- a Taylor-remainder test along a random direction v: r(h) = |L(p + h v) - L(p) - h <g, v>|
  shrinks like h**2 when g is the gradient and like h when it is not, so the fitted slope of
  log r against log h says which, with no tolerance tied to the step size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from symbackprop.errors import NumericOverflow

RELATIVE_TOLERANCE = 1e-7
SLOPE_MINIMUM = 1.8
SAMPLED_ENTRIES = 24  # entries differenced one by one per parameter; the rest by directions
DIRECTIONS = 3


@dataclass(frozen=True)
class VerifyReport:
    model: str
    errors: dict[str, float]  # parameter -> largest relative error
    taylor_slope: float
    step_error: float | None = None  # train_step's applied gradients; None: no fused step
    directional: float | None = None  # worst <g, v> against the loss along random directions
    sampled: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (checked, of)
    oracle_error: float | None = None  # a JAX module's backward() against jax.grad

    @property
    def ok(self) -> bool:
        errors = [self.step_error, self.directional, self.oracle_error]
        worst = max([*self.errors.values(), *(e or 0.0 for e in errors)])
        return worst < RELATIVE_TOLERANCE and self.taylor_slope > SLOPE_MINIMUM

    def to_data(self) -> dict:
        return {
            "model": self.model,
            "ok": self.ok,
            "max_relative_error": self.errors,
            "taylor_slope": self.taylor_slope,
            "train_step_max_relative_error": self.step_error,
            "directional_max_relative_error": self.directional,
            "entries_checked": {name: list(pair) for name, pair in self.sampled.items()},
            "jax_grad_max_relative_error": self.oracle_error,
            "tolerance": RELATIVE_TOLERANCE,
        }

    def to_text(self) -> str:
        width = max((len(name) for name in self.errors), default=9)
        lines = [f"verify {self.model}: gradients against central differences (float64)"]
        lines += [
            f"  {name:<{width}}  max relative error {error:.2e}{self._entries(name)}"
            for name, error in self.errors.items()
        ]
        if self.directional is not None:
            lines.append(
                f"  {'directions':<{width}}  max relative error {self.directional:.2e} "
                f"(<gradient, v> along {DIRECTIONS} random directions over every entry)"
            )
        if self.step_error is not None:
            lines.append(
                f"  {'train_step':<{width}}  max relative error {self.step_error:.2e} "
                "(the gradients its fused step applies)"
            )
        if self.oracle_error is not None:
            lines.append(
                f"  {'jax.grad':<{width}}  max relative error {self.oracle_error:.2e} "
                "(backward() against JAX's autodiff of the module's loss)"
            )
        lines.append(
            f"  Taylor remainder slope {self.taylor_slope:.2f} (2 for a true gradient, "
            "1 for a wrong one)"
        )
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines) + "\n"

    def _entries(self, name: str) -> str:
        checked, size = self.sampled.get(name, (0, 0))
        return f" ({checked} of {size} entries, at random)" if checked < size else ""


@contextmanager
def finite_values(verb: str, seed: int) -> Iterator[None]:
    """Every overflow, NaN or division by zero an error: differences of inf prove nothing."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield
    except FloatingPointError as error:
        raise NumericOverflow(
            f"{verb} stopped: the module's values leave float64 at the random parameters and "
            f"inputs of seed {seed} ({error}), so its gradients cannot be checked there"
        ) from None


def numeric_gradient(module, params: dict, data: list, name: str, h: float = 1e-3):
    """The five-point central difference of the loss in every entry of parameter ``name``."""
    value = np.asarray(params[name], dtype=float)
    entries = np.arange(value.size)
    return numeric_entries(module, params, data, name, entries, h).reshape(value.shape)


def numeric_entries(module, params: dict, data: list, name: str, entries, h: float = 1e-3):
    """The five-point central difference of the loss in the given flat ``entries`` of ``name``."""
    value = np.asarray(params[name], dtype=float)
    gradient = np.zeros(len(entries))
    for k, i in enumerate(entries):

        def loss_at(shift: float, i: int = i) -> float:
            moved = value.copy().ravel()
            moved[i] += shift
            return module.loss({**params, name: moved.reshape(value.shape)}, *data)

        gradient[k] = (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (
            12 * h
        )
    return gradient


def sampled_entries(size: int, rng: np.random.Generator, count: int) -> np.ndarray:
    """Every flat index of a parameter of ``size`` entries, or ``count`` of them at random
    (as torch.autograd.gradcheck's fast mode and JAX's check_grads sample rather than sweep);
    directional derivatives along random directions cover the entries left out."""
    if size <= count:
        return np.arange(size)
    return np.sort(rng.choice(size, size=count, replace=False))


def unit_direction(params: dict, rng: np.random.Generator) -> dict:
    """A random direction over every parameter entry, of length 1 in all: a step h then moves
    the parameters by h whatever their number, so the steps mean the same for every model."""
    direction = {name: rng.normal(size=np.shape(value)) for name, value in params.items()}
    length = np.sqrt(sum(float(np.sum(v * v)) for v in direction.values()))
    return {name: v / length for name, v in direction.items()}


def directional_error(module, params: dict, data: list, grads: dict, rng, h: float = 1e-3):
    """Relative error of <gradient, v> against a five-point difference of the loss along a
    random direction v over every parameter entry at once."""
    direction = unit_direction(params, rng)

    def loss_at(shift: float) -> float:
        return module.loss({n: params[n] + shift * direction[n] for n in params}, *data)

    numeric = (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (12 * h)
    claimed = sum(float(np.sum(grads[n] * direction[n])) for n in params)
    return float(abs(claimed - numeric) / max(abs(claimed), abs(numeric), 1e-3))


def relative_error(analytic, numeric, floor: float = 1e-3) -> float:
    """Largest error relative to the gradient's largest element (at least ``floor``, since a
    difference quotient resolves a vanishing gradient only to its rounding error)."""
    scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), floor)
    return float(np.max(np.abs(np.asarray(analytic) - numeric)) / scale)


def taylor_slope(module, params: dict, data: list, grads: dict, rng, kinked: bool = False):
    """Fitted slope of log r(h) against log h over steps halving from 1e-2.

    A ``kinked`` loss (relu) whose direction crosses a kink adds a remainder linear in h
    beyond that step; as h shrinks, crossings vanish. So for such a loss the slope is read
    where the steps are smallest (from 1e-3 down), among remainders standing well above
    rounding: the median slope of the last four neighbouring pairs.
    """
    direction = unit_direction(params, rng)
    base = module.loss(params, *data)
    slope_term = sum(float(np.sum(grads[n] * direction[n])) for n in params)
    steps = (1e-3 / 2.0 ** np.arange(12)) if kinked else (1e-2 / 2.0 ** np.arange(6))
    remainders = []
    for h in steps:
        moved = {n: params[n] + h * direction[n] for n in params}
        remainders.append(abs(module.loss(moved, *data) - base - h * slope_term))
    remainders = np.maximum(np.array(remainders), 1e-300)
    if not kinked:
        return float(np.polyfit(np.log(steps), np.log(remainders), 1)[0])
    resolved = remainders > 1e-13 * max(1.0, abs(base))
    slopes = [
        np.log(remainders[k] / remainders[k + 1]) / np.log(steps[k] / steps[k + 1])
        for k in range(len(steps) - 1)
        if resolved[k] and resolved[k + 1]
    ]
    return float(np.median(slopes[-4:])) if slopes else 0.0
