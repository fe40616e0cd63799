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
from dataclasses import dataclass

import numpy as np

from symbackprop.errors import NumericOverflow

RELATIVE_TOLERANCE = 1e-7
SLOPE_MINIMUM = 1.8


@dataclass(frozen=True)
class VerifyReport:
    model: str
    errors: dict[str, float]  # parameter -> largest relative error
    taylor_slope: float
    step_error: float | None = None  # train_step's applied gradients; None: no fused step

    @property
    def ok(self) -> bool:
        worst = max([*self.errors.values(), self.step_error or 0.0])
        return worst < RELATIVE_TOLERANCE and self.taylor_slope > SLOPE_MINIMUM

    def to_data(self) -> dict:
        return {
            "model": self.model,
            "ok": self.ok,
            "max_relative_error": self.errors,
            "taylor_slope": self.taylor_slope,
            "train_step_max_relative_error": self.step_error,
            "tolerance": RELATIVE_TOLERANCE,
        }

    def to_text(self) -> str:
        width = max((len(name) for name in self.errors), default=9)
        lines = [f"verify {self.model}: gradients against central differences (float64)"]
        lines += [
            f"  {name:<{width}}  max relative error {error:.2e}"
            for name, error in self.errors.items()
        ]
        if self.step_error is not None:
            lines.append(
                f"  {'train_step':<{width}}  max relative error {self.step_error:.2e} "
                "(the gradients its fused step applies)"
            )
        lines.append(
            f"  Taylor remainder slope {self.taylor_slope:.2f} (2 for a true gradient, "
            "1 for a wrong one)"
        )
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines) + "\n"


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
    value = np.asarray(params[name], dtype=float)
    gradient = np.zeros(value.size)
    for i in range(value.size):

        def loss_at(shift: float, i: int = i) -> float:
            moved = value.copy().ravel()
            moved[i] += shift
            return module.loss({**params, name: moved.reshape(value.shape)}, *data)

        gradient[i] = (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (
            12 * h
        )
    return gradient.reshape(value.shape)


def relative_error(analytic, numeric, floor: float = 1e-3) -> float:
    """Largest error relative to the gradient's largest element (at least ``floor``, since a
    difference quotient resolves a vanishing gradient only to its rounding error)."""
    scale = max(np.max(np.abs(numeric)), np.max(np.abs(analytic)), floor)
    return float(np.max(np.abs(np.asarray(analytic) - numeric)) / scale)


def taylor_slope(module, params: dict, data: list, grads: dict, rng) -> float:
    """Fitted slope of log r(h) against log h over steps halving from 1e-2."""
    direction = {name: rng.normal(size=np.shape(value)) for name, value in params.items()}
    base = module.loss(params, *data)
    slope_term = sum(float(np.sum(grads[n] * direction[n])) for n in params)
    steps = 1e-2 / 2.0 ** np.arange(6)
    remainders = []
    for h in steps:
        moved = {n: params[n] + h * direction[n] for n in params}
        remainders.append(abs(module.loss(moved, *data) - base - h * slope_term))
    remainders = np.maximum(np.array(remainders), 1e-300)
    return float(np.polyfit(np.log(steps), np.log(remainders), 1)[0])
