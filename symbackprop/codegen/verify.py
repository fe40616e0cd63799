"""The ``verify`` verb: prove a generated module's gradients by numbers.

Two independent checks, both on the module's own ``forward``/``backward``:
- the largest relative error of each parameter's gradient against a five-point central
  difference in float64 (and of the gradient the fused ``train_step`` applies, read from how
  far one step moves the parameters);
- a Taylor-remainder test along a random direction v: r(h) = |L(p + h v) - L(p) - h <g, v>|
  shrinks like h**2 when g is the gradient and like h when it is not, so the fitted slope of
  log r against log h says which, with no tolerance tied to the step size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symbackprop.codegen.loader import load_module
from symbackprop.errors import NumericOverflow
from symbackprop.limits import check_arrays, check_differenced
from symbackprop.model.arrays import softmax_xent
from symbackprop.model.ir import Kind, Model
from symbackprop.naming import BATCH_SIZE, identifier, split_indexed

RELATIVE_TOLERANCE = 1e-7
SLOPE_MINIMUM = 1.8
BATCH = 7  # a batch size unlike any layer width of the built-in examples


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


def verify(model: Model, seed: int = 0, text: str | None = None) -> VerifyReport:
    """Generate, load and check ``model``'s module (or the module source ``text``)."""
    check_differenced(model, BATCH)  # before the module is made and run
    check_arrays(model, BATCH, "verify")
    if getattr(model, "cell", None) is not None:  # a recurrent cell: its BPTT module
        from symbackprop.recurrent.verify import verify as verify_recurrent

        with finite_values("verify", seed):
            return verify_recurrent(model, seed=seed, text=text)
    with finite_values("verify", seed):
        return _verify(model, seed, text)


def _verify(model: Model, seed: int, text: str | None) -> VerifyReport:
    module = load_module(model, text)
    rng = np.random.default_rng(seed)
    params = module.init_params(seed)
    data = sample_data(model, rng)
    grads = module.backward(params, module.forward(params, *data))
    # A kink (relu) within a step of a sample spoils a difference quotient; for piecewise
    # models a second, smaller step is tried and the better agreement counts.
    kinked = any(n.expr.has(sp.Piecewise) for n in model.defined)
    steps = (1e-3, 1e-5) if kinked else (1e-3,)
    numeric = {
        name: [numeric_gradient(module, params, data, name, h) for h in steps] for name in params
    }
    errors = {name: min(relative_error(grads[name], n) for n in numeric[name]) for name in params}
    moves = step_moves(module, params, data)
    step_error = max(min(relative_error(moves[name], n) for n in numeric[name]) for name in params)
    slope = taylor_slope(module, params, data, grads, rng)
    return VerifyReport(model.name, errors, slope, step_error)


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


class ModuleDisagrees(Exception):
    """A module about to be written whose gradient disagrees with its own loss."""


def self_check(model: Model, text: str, seed: int = 0) -> None:
    """Raise ModuleDisagrees unless the module ``text`` of ``model`` passes one quick test:
    along one random direction v, <gradient, v> from ``backward`` and from ``train_step``
    both match a central difference of ``loss``. Milliseconds, run before a module is
    written, so that no wrong module ever reaches a user silently."""
    with finite_values("generate", seed):
        _self_check(model, text, seed)


def _self_check(model: Model, text: str, seed: int) -> None:
    module = load_module(model, text)
    rng = np.random.default_rng(seed)
    params, data = module.init_params(seed), sample_data(model, rng)
    direction = {name: rng.normal(size=np.shape(value)) for name, value in params.items()}
    along = _along(direction)
    numeric = [_directional_difference(module, params, data, direction, h) for h in (1e-3, 1e-5)]
    claims = {
        "backward()": along(module.backward(params, module.forward(params, *data))),
        "train_step()": along(step_moves(module, params, data)),
    }
    scale = 1e-9 * max(1.0, abs(module.loss(params, *data)))
    for function, claim in claims.items():
        if not any(abs(claim - n) <= 1e-6 * max(abs(claim), abs(n)) + scale for n in numeric):
            raise ModuleDisagrees(
                f"the module's {function} gives {claim:.6g} along a random direction where "
                f"its loss changes at {numeric[0]:.6g}"
            )


def _along(direction: dict):
    return lambda grads: sum(float(np.sum(grads[n] * direction[n])) for n in direction)


def _directional_difference(module, params: dict, data: list, direction: dict, h: float):
    """The five-point central difference of the loss along ``direction``."""

    def loss_at(shift: float) -> float:
        return module.loss({n: params[n] + shift * direction[n] for n in params}, *data)

    return (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (12 * h)


def step_moves(module, params: dict, data: list, lr: float = 0.01) -> dict:
    """How far one ``train_step`` moves each parameter, over lr: the gradient it applies."""
    moved = {name: np.array(value, dtype=float) for name, value in params.items()}
    module.train_step(moved, *data, lr, {})
    return {name: (np.asarray(params[name], dtype=float) - moved[name]) / lr for name in params}


def sample_data(model: Model, rng: np.random.Generator, batch: int = BATCH) -> list:
    """Random arguments for the module's ``forward``, in its argument order."""
    if getattr(model, "cell", None) is not None:  # a recurrent cell: a sequence and targets
        from symbackprop.recurrent.verify import sample_data as sample_sequence

        return sample_sequence(model, rng, batch)
    arguments: dict[str, np.ndarray] = {}
    for node in model.of_kind(Kind.INPUT, Kind.TARGET):
        if node.name == BATCH_SIZE:
            continue
        name, shape = _argument_shape(model, node, batch)
        if name in arguments:
            continue
        target = node.kind is Kind.TARGET
        arguments[name] = rng.uniform(0.05, 0.95, shape) if target else rng.normal(size=shape)
        if target and model.loss.expr.has(softmax_xent):
            arguments[name] /= arguments[name].sum(axis=1, keepdims=True)  # probability rows
    return list(arguments.values())


def _argument_shape(model: Model, node, batch: int) -> tuple[str, tuple[int, ...]]:
    if model.is_vector:
        shape = tuple(batch if d == BATCH_SIZE else d for d in model.shapes[node.name])
        return identifier(node.name), shape
    base, _ = split_indexed(node.name) or (node.name, ())
    width = sum(1 for n in model.nodes if (split_indexed(n.name) or ("",))[0] == base)
    return identifier(base), (batch, width) if width else (batch,)


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
