"""The fused training step of a module: forward, backward and ``p -= lr * grad`` in one function.

    # Model -> derive(model, seed=lr) -> [Assign] -> ordered, with [Update]s
    #   -> memory reuse (reuse.py, where the target writes into kept arrays) -> StepPlan

The loss's own adjoint is ``lr`` instead of 1, so every delta is that of ``lr * E`` and each
gradient comes out already scaled: the update is one subtraction per parameter. Statements
whose value is as large as a batch (or a weight matrix) are written into arrays kept from the
previous step; see :mod:`symbackprop.codegen.inplace`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.modes import assign
from symbackprop.codegen.reuse import ONES, reuse_memory
from symbackprop.codegen.statements import Assign, Statement, Update
from symbackprop.codegen.targets import Target
from symbackprop.derive import derive
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import T, shape_of
from symbackprop.naming import BATCH_SIZE, adjoint_name, gradient_name, identifier

LEARNING_RATE = "lr"


@dataclass(frozen=True)
class StepPlan:
    batched: str | None  # the argument whose rows are the batch
    ones: bool  # whether a statement reads ones (the batch's own size)
    converted: list[str]  # arguments made float first: a kept array computed from them alone
    params: list[str]  # parameters the statements read
    statements: list[Statement]  # forward and backward, with the updates they allow
    kept: list[str]  # arrays kept in work for the next step
    loss_statements: list[Statement]  # what only the loss needs, then the loss itself
    updates: list[Update]  # the updates of parameters the loss reads, after it


def plan_step(model: Model, mode, prologue: list[Statement], target: Target) -> StepPlan:
    """The fused step of ``model`` in ``mode`` (vector or scalar); ``prologue`` is the
    module's (``m = X.shape[0]``)."""
    derivation = derive(model, seed=sp.Symbol(LEARNING_RATE))
    statements, loss_only = _statements(model, mode, derivation)
    parameters = mode.parameters()
    statements, late = _with_updates(statements, loss_only, parameters, mode.variables)
    kept, converted = [], set()
    if model.is_vector and target.kept_arrays:
        reused = reuse_memory(
            statements,
            _Shapes(model, derivation).shape,
            taken=_names(model),
            read_after=frozenset().union(*(s.reads for s in loss_only)),
            own_arrays=frozenset(sp.Symbol(p.gradient) for p in parameters),  # read by updates
        )
        statements, kept = reused.statements, reused.kept
        converted = set().union(*(_data_alone(model, a.expr) for a in reused.buffered))
    statements = prologue + statements
    every = mode.variables.read_by(statements + loss_only)
    return StepPlan(
        batched=mode.batched(),
        converted=[name for name in mode.arguments() if name in converted],
        ones=any(ONES in s.reads for s in statements),
        params=[p.name for p in parameters if p.name in every],
        statements=statements,
        kept=kept,
        loss_statements=loss_only,
        updates=late,
    )


def _statements(model: Model, mode, derivation) -> tuple[list[Assign], list[Assign]]:
    """The step's statements in order (the forward values backward reads, then the deltas,
    each gradient as soon as it can be computed), and what only the loss needs."""
    forward = [assign(n.symbol, n.expr) for n in model.defined[:-1]]
    adjoints = [assign(a.symbol, a.expr) for a in derivation.adjoints]
    gradients = [s for g in derivation.gradients for s in mode.gradient(g)]
    backward = _as_soon_as_ready(adjoints, gradients)
    needed = _needed(forward, backward)
    loss = assign(model.loss.symbol, mode.node_expr(model.loss))
    loss_only = [a for a in forward if a.target not in needed] + [loss]
    return [a for a in forward if a.target in needed] + backward, loss_only


def _with_updates(statements: list[Statement], loss_only: list[Statement], parameters, variables):
    """The statements with each parameter's update right after the last one that reads it or
    its gradient, as hand-written loops do (the gradient is still in the cache); and the
    updates of the parameters the loss reads, for the very end."""
    loss_reads = variables.read_by(loss_only)
    last_use = {name: i for i, s in enumerate(statements) for name in variables.used(s)}
    early: dict[int, list[Update]] = {}
    late = []
    for parameter in parameters:
        uses = [last_use[n] for n in (parameter.name, parameter.gradient) if n in last_use]
        update = Update(sp.Symbol(parameter.name), sp.Symbol(parameter.gradient))
        if parameter.name in loss_reads or not uses:
            late.append(update)
        else:
            early.setdefault(max(uses), []).append(update)
    ordered = []
    for position, statement in enumerate(statements):
        ordered += [statement, *early.get(position, [])]
    return ordered, late


class _Shapes:
    """The shapes of the step's values, deltas included, that memory reuse reasons with."""

    def __init__(self, model: Model, derivation):
        self.shapes = dict(model.shapes)
        for adjoint in derivation.adjoints:
            self.shapes[adjoint.symbol.name] = model.shapes[adjoint.node]

    def shape(self, expr: sp.Expr) -> tuple:
        return shape_of(expr, self.shapes)


def _as_soon_as_ready(adjoints: list[Assign], gradients: list[Assign]) -> list[Assign]:
    """Each gradient right after the last delta it reads, as hand-written backprop does: the
    arrays it reads are then still in the cache."""
    position = {a.target: i for i, a in enumerate(adjoints)}
    after: dict[int, list[Assign]] = {}  # -1: reads no delta
    for gradient in gradients:
        last = max((position[s] for s in gradient.reads if s in position), default=-1)
        after.setdefault(last, []).append(gradient)
    ordered = list(after.get(-1, []))
    for i, adjoint in enumerate(adjoints):
        ordered += [adjoint, *after.get(i, [])]
    return ordered


def _needed(forward: list[Assign], backward: list[Assign]) -> set[sp.Symbol]:
    """Forward values the backward statements read, directly or through other forward values."""
    reading = set().union(*(a.reads for a in backward))
    needed: set[sp.Symbol] = set()
    for assignment in reversed(forward):
        if assignment.target in reading:
            needed.add(assignment.target)
            reading |= assignment.reads
    return needed


def _data_alone(model: Model, expr: sp.Expr) -> set[str]:
    """The data arguments of any computed part of ``expr`` that reads data and nothing else:
    integer data would make that part's kept array an integer one."""
    data = {n.name for n in model.of_kind(Kind.INPUT, Kind.TARGET)}
    found: set[str] = set()
    for part in sp.preorder_traversal(expr):
        names = {s.name for s in part.free_symbols}
        simple = isinstance(part, T) or (part.could_extract_minus_sign() and (-part).is_Symbol)
        if part.args and not part.is_number and names <= data and not simple:
            found |= {identifier(name) for name in names if name != BATCH_SIZE}
    return found


def _names(model: Model) -> set[str]:
    """Every name the step's code may already use."""
    names = {identifier(n.name) for n in model.nodes}
    names |= {gradient_name(p.name) for p in model.parameters}
    return names | {identifier(adjoint_name(n.name)) for n in model.nodes}
