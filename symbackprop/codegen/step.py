"""The fused training step of a module: forward, backward and ``p -= lr * grad`` in one function.

    # Model -> derive(model, seed=lr) -> statements -> kept arrays (inplace.py) -> StepPlan

The loss's own adjoint is ``lr`` instead of 1, so every delta is that of ``lr * E`` and each
gradient comes out already scaled: the update is one subtraction per parameter. Statements
whose value is as large as a batch (or a weight matrix) are written into arrays kept from the
previous step; see :mod:`symbackprop.codegen.inplace`.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.inplace import lower
from symbackprop.codegen.layout import LINE_LIMIT, statement_text
from symbackprop.codegen.stable import stabilize
from symbackprop.derive import derive
from symbackprop.ir.arrays import T, colsum, shape_of
from symbackprop.ir.model import Kind, Model
from symbackprop.naming import BATCH_SIZE, adjoint_name, gradient_name, identifier, mentions

LEARNING_RATE = "lr"
ONES = "ones"  # a batch of ones: column sums as ones.dot(A)


@dataclass(frozen=True)
class StepPlan:
    batched: str | None  # the argument whose rows are the batch
    ones: bool  # whether a statement reads ones (the batch's own size)
    converted: list[str]  # arguments made float first: a kept array computed from them alone
    params: list[str]  # parameters the statements read
    lines: list[str]  # forward and backward statements, formatted
    kept: list[str]  # arrays kept in work for the next step
    loss_lines: list[str]  # what only the loss needs, then the loss itself
    updates: list[str]  # the updates of parameters the loss reads, after it


@dataclass(frozen=True)
class _Assignment:
    target: str
    expr: sp.Expr | None  # None: ``code`` is final (a scalar-mode element gradient)
    code: str


def plan_step(model: Model, layout, code, parameters, prologue: list[str]) -> StepPlan:
    """The fused step of ``model``, printed through the module's own ``layout`` and ``code``;
    ``prologue`` is the module's (``m = X.shape[0]``)."""
    derivation = derive(model, seed=sp.Symbol(LEARNING_RATE))
    statements, loss_only = _statements(model, layout, code, derivation)
    early, late = _update_points(statements, loss_only, parameters)
    lines, kept, converted = list(prologue), [], set()
    owned: list[str] = []  # values in arrays the step keeps (its own or a spent one's)
    gradients = {p.gradient for p in parameters}
    buffered = _Buffering(model, derivation) if model.is_vector else None
    for position, assignment in enumerate(statements):
        later = " ".join(a.code for a in statements[position + 1 :] + loss_only)
        spent = frozenset(name for name in owned if not mentions(later, name))
        written = _written(assignment, buffered, code, _names(model), spent)
        lines += written.lines + [_update(p) for p in early.get(position, [])]
        kept += written.kept
        if written.buffered and assignment.target not in gradients:  # updated later
            owned += [assignment.target, *written.kept]
            converted |= _data_alone(model, assignment.expr)
    every = " ".join(lines + [a.code for a in loss_only])
    return StepPlan(
        batched=_batched(model, layout) if model.is_vector else None,
        converted=[name for name in layout.arguments() if name in converted],
        ones=any(mentions(line, ONES) for line in lines),
        params=[p.name for p in parameters if mentions(every, p.name)],
        lines=lines,
        kept=kept,
        loss_lines=[statement_text(a.target, a.code, indent=2 * "    ") for a in loss_only],
        updates=[_update(p) for p in late],
    )


def _statements(model: Model, layout, code, derivation):
    """The step's statements in order (the forward values backward reads, then the deltas,
    each gradient as soon as it can be computed), and what only the loss needs."""
    forward = [_Assignment(identifier(n.name), n.expr, code(n.expr)) for n in model.defined[:-1]]
    adjoints = [
        _Assignment(identifier(a.symbol.name), a.expr, code(a.expr)) for a in derivation.adjoints
    ]
    gradients = []
    for gradient in derivation.gradients:
        if model.is_vector:
            name = gradient_name(gradient.param)
            gradients.append(_Assignment(name, gradient.expr, code(gradient.expr)))
        else:  # element by element into one array per base name
            gradients += [
                _Assignment(s.target, None, s.code) for s in layout.gradient(gradient, code)
            ]
    backward = _as_soon_as_ready(adjoints, gradients)
    needed = _needed(forward, backward)
    loss = _Assignment(identifier(model.loss.name), None, code(layout.node_expr(model.loss)))
    loss_only = [a for a in forward if a.target not in needed] + [loss]
    return [a for a in forward if a.target in needed] + backward, loss_only


def _update_points(statements: list[_Assignment], loss_only: list[_Assignment], parameters):
    """Where each parameter is updated: right after the last statement that reads it or its
    gradient, as hand-written loops do (the gradient is still in the cache); at the very end
    when the loss reads it."""
    loss_reads = " ".join(a.code for a in loss_only)
    early: dict[int, list] = {}
    late = []
    for parameter in parameters:
        uses = [
            position
            for position, a in enumerate(statements)
            if any(
                mentions(f"{a.target} {a.code}", n) for n in (parameter.name, parameter.gradient)
            )
        ]
        if mentions(loss_reads, parameter.name) or not uses:
            late.append(parameter)
        else:
            early.setdefault(max(uses), []).append(parameter)
    return early, late


def _update(parameter) -> str:
    return f'params["{parameter.name}"] -= {parameter.gradient}'


class _Buffering:
    """Which statements are kept in arrays, and the shapes the lowering reasons with."""

    def __init__(self, model: Model, derivation):
        self.shapes = dict(model.shapes)
        for adjoint in derivation.adjoints:
            self.shapes[adjoint.symbol.name] = model.shapes[adjoint.node]

    def shape(self, expr: sp.Expr) -> tuple:
        return shape_of(expr, self.shapes)

    def worth_keeping(self, expr: sp.Expr) -> bool:
        """Batch-sized or matrix-sized values; vectors are too small to matter."""
        shape = self.shape(expr)
        return len(shape) >= 2 or BATCH_SIZE in shape


@dataclass(frozen=True)
class _Written:
    lines: list[str]
    kept: list[str]  # arrays of its own the statement keeps
    buffered: bool  # whether its value lives in a kept array (its own or a spent one's)


def _written(assignment, buffered: _Buffering | None, code, names: set[str], spent: frozenset):
    if buffered is not None and _column_sum(assignment.expr, buffered):
        rows = code(assignment.expr.args[0])  # BLAS sums columns 2-3x faster than .sum(axis=0)
        return _Written([statement_text(assignment.target, f"{ONES}.dot({rows})")], [], False)
    if (
        buffered is not None
        and assignment.expr is not None
        and buffered.worth_keeping(assignment.expr)
    ):
        expr = stabilize(assignment.expr)
        lowered = lower(assignment.target, expr, buffered.shape, code, names, spent)
        if lowered is not None:
            lines, kept = lowered
            return _Written([_formatted(line) for line in lines], kept, True)
    return _Written([statement_text(assignment.target, assignment.code)], [], False)


def _formatted(line: str) -> str:
    """A lowered line, wrapped as the formatter would wrap it (a comment at the line limit)."""
    if line.startswith("# "):
        return "\n    ".join(textwrap.wrap(line, LINE_LIMIT - 4, subsequent_indent="# "))
    match = re.match(r"^(\w+) (\S?)= (.*)$", line)
    if match is None:
        return line
    target, operator, value = match.groups()
    return statement_text(target, value, operator=operator + "=")


def _as_soon_as_ready(adjoints: list[_Assignment], gradients: list[_Assignment]):
    """Each gradient right after the last delta it reads, as hand-written backprop does: the
    arrays it reads are then still in the cache."""
    ordered = [g for g in gradients if not any(mentions(g.code, a.target) for a in adjoints)]
    for adjoint in adjoints:
        ordered.append(adjoint)
        later = adjoints[adjoints.index(adjoint) + 1 :]
        ordered += [
            g
            for g in gradients
            if mentions(g.code, adjoint.target)
            and not any(mentions(g.code, a.target) for a in later)
        ]
    return ordered


def _needed(forward: list[_Assignment], backward: list[_Assignment]) -> set[str]:
    """Forward values the backward statements read, directly or through other forward values."""
    needed: set[str] = set()
    reading = " ".join(a.code for a in backward)
    for assignment in reversed(forward):
        if mentions(reading, assignment.target):
            needed.add(assignment.target)
            reading += " " + assignment.code
    return needed


def _column_sum(expr: sp.Expr | None, buffered: _Buffering) -> bool:
    """A bias gradient: the sum over a batch of a named array's rows."""
    return (
        isinstance(expr, colsum)
        and isinstance(expr.args[0], sp.Symbol)
        and buffered.shape(expr.args[0])[:1] == (BATCH_SIZE,)
    )


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


def _batched(model: Model, layout) -> str | None:
    batched = [n for n in layout.arguments() if model.shapes[n][:1] == (BATCH_SIZE,)]
    return batched[0] if batched else None
