"""Loops of a training step, read without running them: unrolled where a turn differs from the
next, flattened into one turn where none does.

- a loop over a dict's keys (``for k in params: params[k] -= lr * grads[k]``) or over a literal
  list of keys, unrolled over the keys;
- a loop over a small fixed range whose variable is used (``for l in range(2)``), unrolled;
- a loop over the samples (``for i in range(len(X)): x = X[i]``, ``for x, y in zip(X, Y)``,
  ``for x in X``), unrolled at :data:`SAMPLES` samples, a size the reader chooses; the loop's
  count (``len(X)``, ``n``) is then that number wherever the code uses it;
- any other loop (``for epoch in range(1000)``) is one turn of its body, as before.

Sums a loop accumulates (``dW += np.outer(dz, x)``, ``loss += ...``) then become a chain of
values, ``dW@sum1 = dW@sum0 + ...``, the last keeping the user's name.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from symbackprop.errors import UnsupportedConstruct
from symbackprop.readers.codeflow import as_update
from symbackprop.readers.pyslice import LOSS_NAMES
from symbackprop.readers.pysource import Body

SAMPLES = 3  # the samples a per-sample loop is read at
MAX_TURNS = 16  # a fixed range longer than this is a training loop, read as one turn
MAX_UNROLLED = 3000  # statements, all loops unrolled
PARTIAL_SUM = "@sum"  # in the names of a sum's partial values: dW@sum4


@dataclass(frozen=True)
class _Context:
    keys: dict[str, list[str]]  # of each dict, the keys the code uses
    sums: frozenset[str]  # names the updates' steps read: gradients summed, never weights
    loss: str | None  # the loss's name, by the slicer's naming rule


def unrolled(statements: list[ast.stmt], body: Body, loss: str | None = None) -> list[ast.stmt]:
    """``statements`` with the loops that must be unrolled, unrolled."""
    loss = loss_name(statements, loss)
    context = _Context(keys_used(statements, body), _read_by_steps(statements), loss)
    out = _unrolled(statements, context)
    if sum(1 for _ in _walk_statements(out)) > MAX_UNROLLED:
        raise UnsupportedConstruct(
            f"loops that unroll to over {MAX_UNROLLED} statements are not supported",
            file=body.file,
            line=body.line,
        )
    return out


def _unrolled(statements: list[ast.stmt], context: _Context) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for statement in statements:
        turns, per_sample = _turns(statement, context)
        if turns is None:
            if isinstance(statement, ast.For | ast.While | ast.With):
                statement = copy.copy(statement)
                statement.body = _unrolled(statement.body, context)
            out.append(statement)
            continue
        for turn, values in enumerate(turns):
            for inner in _unrolled(statement.body, context):
                inner = _Substitute(values).visit(copy.deepcopy(inner))
                out.append(_summed_loss(inner, context) if turn and per_sample else inner)
    return out


def _turns(statement: ast.stmt, context: _Context) -> tuple[list[dict] | None, bool]:
    """What the loop variables are in each turn (None for a loop read as one turn), and
    whether the turns are samples."""
    if not isinstance(statement, ast.For):
        return None, False
    target, over = statement.target, statement.iter
    if isinstance(target, ast.Name) and target.id not in _used(statement.body):
        return None, False  # ``for epoch in range(1000)``: every turn the same but its prints
    found = _key_turns(target, over, context.keys) or _fixed_turns(target, over)
    if found is not None:
        return found, False
    found = _sample_turns(target, over)
    if found is not None and _steps_inside(statement, context):
        # a step per sample (SGD): one step, read at the first sample, under the loop's names
        (turn,) = found[:1]
        for name, value in turn.items():
            value.sample_name = name  # ``x`` of ``for x, t in zip(X, Y)``, for X[0]
        return [turn], True
    return found, True


def _steps_inside(loop: ast.For, context: _Context) -> bool:
    """Whether the loop updates a weight in each turn, rather than summing gradients."""
    for node in _walk_statements(loop.body):
        update = as_update(node)
        if update is not None and update.param not in context.sums | {context.loss}:
            return True
    return False


def _summed_loss(statement: ast.stmt, context: _Context) -> ast.stmt:
    """A later sample's ``loss = e`` as ``loss += e``: the loss of the samples is their sum."""
    if (
        isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == context.loss
        and statement.targets[0].id not in _loads_expr(statement.value)
    ):
        return ast.copy_location(
            ast.AugAssign(statement.targets[0], ast.Add(), statement.value), statement
        )
    return statement


def loss_name(statements: list[ast.stmt], loss: str | None) -> str | None:
    """The name of the loss: ``--loss NAME``, else the first of the slicer's loss names
    the code assigns (``err`` is no loss where ``loss`` is assigned too)."""
    if loss is not None:
        return loss if loss.isidentifier() else None
    assigned = {
        n.id
        for s in _walk_statements(statements)
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    return next((name for name in LOSS_NAMES if name in assigned), None)


def _read_by_steps(statements: list[ast.stmt]) -> frozenset[str]:
    read: set[str] = set()
    for node in _walk_statements(statements):
        update = as_update(node)
        if update is not None:
            read |= _loads_expr(update.step) - {update.param}
    return frozenset(read)


def _key_turns(target: ast.expr, over: ast.expr, keys: dict):
    """``for k in params`` / ``params.keys()`` / ``['W1', 'b1']``."""
    if not isinstance(target, ast.Name):
        return None
    if _method(over) == "keys" and not over.args:
        over = over.func.value
    if isinstance(over, ast.Attribute) and isinstance(over.value, ast.Name):
        over = ast.Name(over.attr, ast.Load())  # self.params
    if isinstance(over, ast.Name) and keys.get(over.id):
        return [{target.id: ast.Constant(key)} for key in keys[over.id]]
    if isinstance(over, ast.List | ast.Tuple) and over.elts:
        literal = [string_key(e) for e in over.elts]
        if all(k is not None for k in literal):
            return [{target.id: ast.Constant(key)} for key in literal]
    return None


def _fixed_turns(target: ast.expr, over: ast.expr):
    """``for l in range(2)``: a turn per value."""
    if not (isinstance(target, ast.Name) and _called(over) == "range" and len(over.args) == 1):
        return None
    count = over.args[0]
    if isinstance(count, ast.Constant) and type(count.value) is int and count.value <= MAX_TURNS:
        return [{target.id: ast.Constant(turn)} for turn in range(count.value)]
    return None


def _sample_turns(target: ast.expr, over: ast.expr):
    """``for i in range(len(X))``, ``for x in X`` and ``for x, y in zip(X, Y)``: the loop
    variable the sample's number, or each name a row of its array."""
    if isinstance(target, ast.Name) and _called(over) == "range" and len(over.args) == 1:
        if isinstance(over.args[0], ast.Constant):
            return None  # a long fixed range: a training loop
        return [{target.id: ast.Constant(turn)} for turn in range(SAMPLES)]
    if isinstance(target, ast.Name) and isinstance(over, ast.Name):
        names, arrays = [target], [over]
    elif (
        isinstance(target, ast.Tuple)
        and _called(over) == "zip"
        and len(target.elts) == len(over.args)
        and all(isinstance(n, ast.Name) for n in target.elts)
    ):
        names, arrays = target.elts, over.args
    else:
        return None
    return [
        {
            n.id: ast.Subscript(copy.deepcopy(a), ast.Constant(turn), ast.Load())
            for n, a in zip(names, arrays, strict=True)
        }
        for turn in range(SAMPLES)
    ]


def sample_counts(statements: list[ast.stmt]) -> list[ast.expr]:
    """The counts of the per-sample loops: ``n`` of ``range(n)``, ``len(X)`` and
    ``X.shape[0]`` of ``zip(X, Y)``."""
    counts = []
    for node in _walk_statements(statements):
        if not isinstance(node, ast.For) or _sample_turns(node.target, node.iter) is None:
            continue
        over = node.iter
        if _called(over) == "range" and not isinstance(over.args[0], ast.Constant):
            counts.append(over.args[0])
        arrays = over.args if _called(over) == "zip" else [over]
        for array in arrays:
            if isinstance(array, ast.Name):
                counts += [_expression(f"len({array.id})"), _expression(f"{array.id}.shape[0]")]
    return counts


def _expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def with_sample_count(statements: list[ast.stmt], counts: list[ast.expr]) -> list[ast.stmt]:
    """Every use of a per-sample loop's count as the number of samples read."""
    if not counts:
        return statements
    wanted = {ast.dump(c) for c in counts}
    named = {c.id for c in counts if isinstance(c, ast.Name)}
    counting = _Count(wanted, named)
    return [counting.visit(copy.deepcopy(s)) if _counts(s, wanted) else s for s in statements]


def _counts(statement: ast.stmt, wanted: set[str]) -> bool:
    return any(isinstance(n, ast.expr) and ast.dump(n) in wanted for n in ast.walk(statement))


class _Count(ast.NodeTransformer):
    def __init__(self, wanted: set[str], named: set[str]):
        self.wanted, self.named = wanted, named

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        # ``n = len(X)``: n is the number of samples
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in self.named:
            node.value = ast.copy_location(ast.Constant(SAMPLES), node.value)
            return node
        return self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        counted = isinstance(node, ast.expr) and ast.dump(node) in self.wanted
        if counted and not (isinstance(node, ast.Name) and node.id in self.named):
            return ast.copy_location(ast.Constant(SAMPLES), node)
        return super().generic_visit(node)


# -- sums accumulated over turns ----------------------------------------------------------------
def accumulated(statements: list[ast.stmt], returned: ast.Return | None, loss: str | None):
    """``dW = 0`` then ``dW += g`` (turn after turn) as a chain of values, ``dW@sum1 = dW@sum0
    + g``, the last named ``dW``: a sum the code accumulates is a value (a gradient, or the
    loss), never a parameter it updates."""
    sums = _accumulators(statements, returned, loss_name(statements, loss))
    if not sums:
        return statements
    last = {_sum_name(s): position for position, s in enumerate(statements) if _sum_name(s)}
    current: dict[str, str | None] = {}  # the latest partial sum's name; None for zero
    out = []
    for position, statement in enumerate(statements):
        name = _sum_name(statement)
        if name not in sums:
            out.append(_renamed(statement, current))
            continue
        update = as_update(statement)
        if update is None and _is_zero(statement.value):
            current[name] = None  # ``dW = np.zeros_like(W)``: the sum starts at its first term
            continue
        if update is None:
            value = _renamed(statement.value, current)
        else:
            value = _added(current.get(name), _renamed(update.step, current), update.sign)
        new = name if position == last[name] else partial_sum_name(name, len(out))
        out.append(ast.copy_location(ast.Assign([ast.Name(new, ast.Store())], value), statement))
        current[name] = new
    return out


def _renamed(node: ast.AST, current: dict[str, str | None]) -> ast.AST:
    if any(isinstance(n, ast.Name) and current.get(n.id) for n in ast.walk(node)):
        return Renamed(current).visit(copy.deepcopy(node))
    return node


def _added(previous: str | None, step: ast.expr, sign: int) -> ast.expr:
    """The partial sum after ``+= step`` (sign -1) or ``-= step`` (sign 1)."""
    if previous is None:
        return step if sign < 0 else ast.UnaryOp(ast.USub(), step)
    op = ast.Add() if sign < 0 else ast.Sub()
    return ast.BinOp(ast.Name(previous, ast.Load()), op, step)


def partial_sum_name(name: str, number: int) -> str:
    return f"{name}{PARTIAL_SUM}{number}"


def is_partial_sum(version: str) -> bool:
    return PARTIAL_SUM in version


def _is_zero(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return value.value == 0 and type(value.value) in (int, float)
    return _method(value) in ("zeros", "zeros_like")


def _accumulators(statements, returned, loss) -> set[str]:
    """Names set once, then added to, whose sum is a gradient (read by an update or
    returned) or the loss."""
    assigned = set()
    added = set()
    for statement in statements:
        update = as_update(statement)
        if update is not None and update.param in assigned:
            added.add(update.param)
        elif isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            assigned.add(statement.targets[0].id)
    used = {loss} | (_loads([returned]) if returned is not None else set())
    for statement in statements:
        update = as_update(statement)
        if update is not None:
            used |= {n for n in _loads_expr(update.step) if n != update.param}
    return {name for name in added & used if not _read_while_summed(statements, name)}


def _read_while_summed(statements: list[ast.stmt], name: str) -> bool:
    """Whether other code reads ``name`` between its first and last assignment, as a
    forward pass reads a weight it then updates (a sum being made is read by nothing but a
    print or a log, ``losses.append(loss)``)."""
    sums = [p for p, s in enumerate(statements) if _sum_name(s) == name]
    between = (statements[p] for p in range(sums[0], sums[-1]) if p not in sums)
    return any(name in _loads_expr(s) for s in between if not isinstance(s, ast.Expr))


def _sum_name(statement: ast.stmt) -> str | None:
    update = as_update(statement)
    if update is not None:
        return update.param if "[" not in update.param else None
    if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    return None


class Renamed(ast.NodeTransformer):
    """Reads of names under other names: an accumulated name's latest partial sum, an entry
    as the value it holds."""

    def __init__(self, current: dict[str, str | None]):
        self.current = current

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and self.current.get(node.id):
            return ast.copy_location(ast.Name(self.current[node.id], ast.Load()), node)
        return node


# -- small tools --------------------------------------------------------------------------------
def keys_used(statements: list[ast.stmt], body: Body) -> dict[str, list[str]]:
    """For each dict, the string keys the code (or a helper) indexes it with, in order."""
    keys: dict[str, list[str]] = {}
    nodes = [*statements, *body.helpers.values()]
    for node in (n for s in nodes for n in ast.walk(s)):
        if isinstance(node, ast.Subscript) and string_key(node.slice) is not None:
            container = node.value
            if isinstance(container, ast.Attribute) and _is_name(container.value, body.instance):
                container = ast.Name(container.attr, ast.Load())
            if isinstance(container, ast.Name):
                found = keys.setdefault(container.id, [])
                if node.slice.value not in found:
                    found.append(node.slice.value)
    return keys


def string_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Substitute(ast.NodeTransformer):
    """The loop variables read as their values in this turn."""

    def __init__(self, values: dict[str, ast.expr]):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.values and isinstance(node.ctx, ast.Load):
            return ast.copy_location(copy.deepcopy(self.values[node.id]), node)
        return node


def _method(node: ast.expr) -> str | None:
    """``zeros`` for ``np.zeros(...)``, ``keys`` for ``params.keys()``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _called(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_name(node: ast.expr, name: str | None) -> bool:
    return name is not None and isinstance(node, ast.Name) and node.id == name


def _used(statements: list[ast.stmt]) -> set[str]:
    """Names read by the steps, not by prints and logs (``if epoch % 100 == 0: print(...)``)."""
    used: set[str] = set()
    for statement in _walk_statements(statements):
        if isinstance(statement, ast.For):
            used |= _loads_expr(statement.iter)
        elif not isinstance(statement, ast.Expr | ast.If | ast.While | ast.With):
            used |= _loads_expr(statement)
    return used


def _loads(statements: list[ast.stmt]) -> set[str]:
    return {n for s in statements for n in _loads_expr(s)}


def _loads_expr(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _walk_statements(statements: list[ast.stmt]):
    for statement in statements:
        yield from (n for n in ast.walk(statement) if isinstance(n, ast.stmt))
