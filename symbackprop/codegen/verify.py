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

from dataclasses import replace
from functools import singledispatch

import numpy as np
import sympy as sp

from symbackprop.cells.step import StepModel
from symbackprop.codegen import recurrent_verify
from symbackprop.codegen.agreement import (
    DIRECTIONS,
    SAMPLED_ENTRIES,
    VerifyReport,
    directional_error,
    finite_values,
    numeric_entries,
    relative_error,
    sampled_entries,
    taylor_slope,
)
from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module
from symbackprop.ir.activations import written_out
from symbackprop.ir.bounds import check_arrays
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import ArrayOpBase, shape_of, softmax_xent
from symbackprop.naming import BATCH_SIZE, identifier, split_indexed
from symbackprop.progress import progress

BATCH = 7  # a batch size unlike any layer width of the built-in examples


def verify(
    model: Model, seed: int = 0, text: str | None = None, target: str = "numpy"
) -> VerifyReport:
    """Generate, load and check ``model``'s module for ``target`` (or the module source
    ``text``, written for ``target``); a JAX module's gradients also against ``jax.grad``."""
    check_arrays(model, BATCH, "verify")  # before the module is made and run
    if text is None and target != "numpy":
        text = module_text(model, target=target)  # in float64, as differences need
    with finite_values("verify", seed):
        report = verify_module(model, seed, text)
        if target == "jax":
            report = replace(report, oracle_error=jax_grad_error(model, seed, text))
    return report


def jax_grad_error(model: Model, seed: int, text: str) -> float:
    """The largest relative error of a JAX module's derived backward() against jax.grad of
    its own loss: autodiff as a second, independent opinion (the module imports jax)."""
    module = load_module(model, text)
    params = module.init_params(seed)
    data = sample_data(model, np.random.default_rng(seed))
    derived = module.backward(params, module.forward(params, *data))
    autodiff = module.jax.grad(module.loss)(params, *data)
    return max(relative_error(np.asarray(derived[n]), np.asarray(autodiff[n])) for n in params)


@singledispatch
def verify_module(model: Model, seed: int, text: str | None) -> VerifyReport:
    """Each parameter's gradient and the fused step's, against differences of the loss."""
    module = load_module(model, text)
    rng = np.random.default_rng(seed)
    params = module.init_params(seed)
    data = sample_data(model, rng)
    grads = module.backward(params, module.forward(params, *data))
    # A kink (relu) within a step of a sample spoils a difference quotient; for piecewise
    # models a second, smaller step is tried and the better agreement counts.
    kinked = any(
        written_out(n.expr).has(sp.Piecewise) or any(op.kinked for op in n.expr.atoms(ArrayOpBase))
        for n in model.defined
    )
    steps = (1e-3, 1e-5) if kinked else (1e-3,)
    sizes = {name: int(np.size(value)) for name, value in params.items()}
    entries = {name: sampled_entries(sizes[name], rng, SAMPLED_ENTRIES) for name in params}
    numeric = {
        name: [numeric_entries(module, params, data, name, entries[name], h) for h in steps]
        for name in progress(params, f"verify {model.name}", unit="parameter")
    }

    def worst(claimed: dict, name: str) -> float:
        at = np.ravel(claimed[name])[entries[name]]
        return min(relative_error(at, n) for n in numeric[name])

    errors = {name: worst(grads, name) for name in params}
    moves = step_moves(module, params, data)
    step_error = max(worst(moves, name) for name in params)
    directional = max(
        min(directional_error(module, params, data, grads, rng_, h) for h in steps)
        for rng_ in [np.random.default_rng([seed, k]) for k in range(DIRECTIONS)]
    )
    slope = taylor_slope(module, params, data, grads, rng, kinked)
    sampled = {name: (len(entries[name]), sizes[name]) for name in params}
    return VerifyReport(model.name, errors, slope, step_error, directional, sampled)


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
    claims = {"backward()": along(module.backward(params, module.forward(params, *data)))}
    if hasattr(module, "train_step"):  # a recurrent module trains by BPTT, with no fused step
        claims["train_step()"] = along(step_moves(module, params, data))
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


@singledispatch
def sample_data(model: Model, rng: np.random.Generator, batch: int = BATCH) -> list:
    """Random arguments for the module's ``forward``, in its argument order."""
    arguments: dict[str, np.ndarray] = {}
    bounds = index_bounds(model, batch)
    for node in model.of_kind(Kind.INPUT, Kind.TARGET):
        if node.name == BATCH_SIZE:
            continue
        name, shape = _argument_shape(model, node, batch)
        if name in arguments:
            continue
        target = node.kind is Kind.TARGET
        if node.name in bounds:  # labels, rows of a table: integers an op indexes with
            arguments[name] = rng.integers(0, bounds[node.name], shape)
            continue
        arguments[name] = rng.uniform(0.05, 0.95, shape) if target else rng.normal(size=shape)
        if target and model.loss.expr.has(softmax_xent):
            arguments[name] /= arguments[name].sum(axis=1, keepdims=True)  # probability rows
    return list(arguments.values())


def index_bounds(model: Model, batch: int = BATCH) -> dict[str, int]:
    """The leaves that ops index with (embedding rows, class labels), each with the length
    of the axis its values must stay below."""
    if not model.is_vector:
        return {}
    bounds: dict[str, int] = {}
    for node in model.defined:
        calls = (c for c in sp.preorder_traversal(node.expr) if isinstance(c, ArrayOpBase))
        for call in calls:
            for position, (other, axis) in call.index_arguments.items():
                leaf = call.args[position]
                if isinstance(leaf, sp.Symbol):
                    length = shape_of(call.args[other], model.shapes)[axis]
                    bounds[leaf.name] = batch if length == BATCH_SIZE else int(length)
    return bounds


def _argument_shape(model: Model, node, batch: int) -> tuple[str, tuple[int, ...]]:
    if model.is_vector:
        shape = tuple(batch if d == BATCH_SIZE else d for d in model.shapes[node.name])
        return identifier(node.name), shape
    base, _ = split_indexed(node.name) or (node.name, ())
    width = sum(1 for n in model.nodes if (split_indexed(n.name) or ("",))[0] == base)
    return identifier(base), (batch, width) if width else (batch,)


# A recurrent cell's module trains by BPTT: a sequence and its targets, no fused step.
verify_module.register(StepModel, recurrent_verify.verify)
sample_data.register(StepModel, recurrent_verify.sample_data)
