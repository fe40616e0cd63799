"""The one slicer: which statements make the loss, found without running anything.

Both readers of Python code use it. A body is scanned into :class:`Statement` records (what
each reads and writes); the loss is found by one list of rules (:func:`loss_position`); then
only the statements the loss depends on are kept (:func:`dependencies`), so unrelated code
before the loss may be anything. The two readers differ only in which assignment a read sees:

- a forward function is read up to its loss, so code after it (hand-written backprop,
  updates) is never looked at; a name assigned again (``h = h + b``, ``h += b``) is a new
  version of it, which the reads after it see;
- a training step reuses names (``a1 = X.T`` then ``a1 = vstack(...)``), so a read sees the
  last assignment before it (:func:`needed_positions`), and its backward lines are kept for
  the checker.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.naming import fresh_name
from symbackprop.readers.pysource import Body, literal_number
from symbackprop.readers.whitelist import (
    assigned_name,
    backward_target,
    called_name,
    describe_statement,
    is_inert,
)

# The loss rules, in order: a call to something named like a loss, then these variable names,
# then the name ``.backward()`` is called on, then what is returned.
_LOSS_CALL = re.compile(r"error|loss|cost", re.IGNORECASE)
LOSS_NAMES = ("loss", "e", "E", "J", "L", "cost", "error", "err")


@dataclass(frozen=True)
class Update:
    """``param -= step`` (sign +1) or ``param += step`` (sign -1), in any spelling."""

    param: str  # "w[0]" or "synapse_1"
    step: ast.expr
    sign: int
    returned: bool = False  # a returned gradient: no learning rate to take out of its step


class ReturnedGradient(ast.AugAssign):
    """``param -= gradient`` made from a returned gradient: its step has no learning rate
    to take out (a number in it is part of the gradient)."""


@dataclass
class Statement:
    """One simple statement: what it defines, reads and writes."""

    position: int
    node: ast.stmt
    target: str | None = None  # the name a plain ``name = expr`` (or the returned loss) defines
    value: ast.expr | None = None
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    is_leaf_declaration: bool = False  # module-level ``x = 2.0`` or ``torch.tensor(...)``
    version: str | None = None  # in a training step, the value it makes (``a1@11`` or ``a1``)
    update: Update | None = None  # in a training step, the parameter update it is

    @property
    def line(self) -> int:
        return self.node.lineno


# -- scanning ----------------------------------------------------------------------------------
def scan(body: Body) -> list[Statement]:
    """One record per statement, up to the first ``return`` (anything after it is dead)."""
    statements = []
    assigned = {assigned_name(node) for node in body.statements}
    for position, node in enumerate(body.statements):
        statements.append(_statement(body, position, node, assigned))
        if isinstance(node, ast.Return):
            break
    return statements


def _statement(body: Body, position: int, node: ast.stmt, assigned: set) -> Statement:
    if isinstance(node, ast.Return) and node.value is not None:
        # ``return (y - t)**2`` defines a loss named ``loss``; ``return loss`` defines nothing.
        target = None if isinstance(node.value, ast.Name) else fresh_name("loss", assigned)
        return Statement(position, node, target, node.value, _reads(body, node.value))
    if is_inert(node) or isinstance(node, ast.FunctionDef | ast.ClassDef):
        return Statement(position, node)
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        # ``h += b`` is ``h = h + b``: a new version of h
        old = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
        value = ast.copy_location(ast.BinOp(left=old, op=node.op, right=node.value), node)
        return Statement(position, node, old.id, value, _reads(body, value), {old.id})
    target = assigned_name(node)
    if target is None:
        return Statement(position, node, reads=_reads(body, node), writes=writes(node))
    leaf = body.module_level and literal_number(node.value) is not None
    return Statement(
        position,
        node,
        target,
        node.value,
        _reads(body, node.value),
        {target},
        is_leaf_declaration=leaf,
    )


def loads(node: ast.AST) -> set[str]:
    """The names an ast node reads."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _reads(body: Body, node: ast.AST) -> set[str]:
    names = loads(node)
    if body.module_level:  # a helper's globals are then the module's own statements
        names |= _helper_globals(body, names)
    return names


def _helper_globals(body: Body, called: set[str]) -> set[str]:
    """Globals read by the helpers called, and by the helpers they call (a worklist, not
    recursion, so a long chain of helpers cannot exhaust the stack)."""
    names: set[str] = set()
    work, seen = [name for name in called if name in body.helpers], set()
    while work:
        helper = body.helpers[work.pop()]
        if helper.name in seen:
            continue
        seen.add(helper.name)
        spec = helper.args
        local = {arg.arg for arg in (*spec.posonlyargs, *spec.args, *spec.kwonlyargs)}
        loads = set()
        for n in ast.walk(helper):
            if isinstance(n, ast.Name):
                (loads if isinstance(n.ctx, ast.Load) else local).add(n.id)
        names |= loads - local
        work.extend(name for name in loads if name in body.helpers)
    return names


def writes(node: ast.stmt) -> set[str]:
    """Every name a statement may rebind or mutate (``w[0] = ...`` mutates ``w``)."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            names.add(child.id)
        elif isinstance(child, ast.Subscript | ast.Attribute) and isinstance(child.ctx, ast.Store):
            while isinstance(child, ast.Subscript | ast.Attribute):
                child = child.value
            if isinstance(child, ast.Name):
                names.add(child.id)
    return names


# -- the loss ----------------------------------------------------------------------------------
def find_loss(body: Body, loss: str | None = None) -> list[Statement]:
    """The statements of a forward function up to and including the loss's, which comes last.

    The loss is ``loss`` if given; else the one :func:`loss_position` finds.
    """
    statements = scan(body)
    if loss is not None:
        position = _first_writer(statements, loss)
        if position is None:
            assigned = ", ".join(s.target for s in statements if s.target) or "none"
            raise SpecError(
                f"the loss {loss!r} is not assigned in {body.where} (assigned: {assigned})",
                file=body.file,
                line=body.line,
            )
        return statements[: position + 1]
    position = loss_position(statements)
    if position is None:
        raise SpecError(
            f"cannot tell which value is the loss in {body.where}: name it 'loss' or "
            "pass it explicitly",
            file=body.file,
            line=body.line,
        )
    return statements[: position + 1]


def loss_position(statements: list[Statement], last_of_a_name: bool = True) -> int | None:
    """Where the loss is made, by the rules: the first assignment calling something named like
    an error, loss or cost; else an assignment of the first of :data:`LOSS_NAMES` assigned;
    else the name ``.backward()`` is called on; else what the function returns.

    Of several assignments of a loss name, a forward function's loss is the last (the value
    that leaves; a second one is then refused as such), a training step's the first (later
    ones are its backward lines reusing the name).
    """
    for rule in (_by_call, _by_name, _by_backward, _by_return):
        position = rule(statements, last_of_a_name)
        if position is not None:
            return position
    return None


def _first_writer(statements: list[Statement], name: str, before: int | None = None) -> int | None:
    return next((s.position for s in statements[:before] if name in s.writes), None)


def _by_call(statements: list[Statement], last_of_a_name: bool) -> int | None:
    return next(
        (
            s.position
            for s in statements
            if s.target
            and s.value is not None
            and any(_LOSS_CALL.search(called_name(c) or "") for c in ast.walk(s.value))
        ),
        None,
    )


def _by_name(statements: list[Statement], last_of_a_name: bool) -> int | None:
    """The first of :data:`LOSS_NAMES` assigned; one that sums or averages before one that
    does not (``E = np.exp(Z2)`` beside ``cost = -np.sum(...) / m``)."""
    found = []
    for name in LOSS_NAMES:
        positions = [s.position for s in statements if s.target == name]
        if positions:
            found.append(positions[-1 if last_of_a_name else 0])
    reducing = [p for p in found if _reduces(statements[p].value)]
    return (reducing or found or [None])[0]


def _reduces(value: ast.expr | None) -> bool:
    """Whether ``value`` sums or averages something (a scalar loss does, at its top)."""
    return value is not None and any(
        isinstance(node, ast.Call) and (called_name(node) or "").split(".")[-1] in _REDUCTIONS
        for node in ast.walk(value)
    )


_REDUCTIONS = ("sum", "mean", "average", "nansum", "nanmean", "dot", "vdot", "norm")


def _by_backward(statements: list[Statement], last_of_a_name: bool) -> int | None:
    for statement in statements:
        name = backward_target(statement.node)
        if name is not None:
            return _first_writer(statements, name, before=statement.position)
    return None


def _by_return(statements: list[Statement], last_of_a_name: bool) -> int | None:
    last = statements[-1] if statements else None
    if last is None or not isinstance(last.node, ast.Return) or last.value is None:
        return None
    if last.target is not None:
        return last.position
    return _first_writer(statements, last.value.id)


# -- slicing -----------------------------------------------------------------------------------
WriterFor = Callable[[str, Statement], "Statement | None"]


def dependencies(start: Statement, writer_for: WriterFor) -> dict[int, Statement]:
    """The statements the values ``start`` reads depend on, by position (a worklist, so a long
    chain cannot exhaust the stack); ``writer_for(name, reader)`` is the assignment a read sees."""
    found: dict[int, Statement] = {}
    work = [start]
    while work:
        reader = work.pop()
        for name in sorted(reader.reads):
            writer = writer_for(name, reader)
            if writer is not None and writer.position not in found:
                found[writer.position] = writer
                work.append(writer)
    return found


def needed_statements(body: Body, statements: list[Statement]) -> list[Statement]:
    """A forward function's statements the loss (the last one) depends on, in order; each read
    sees the last plain assignment of its name before it (an argument, where there is none)."""
    loss = statements[-1]
    writers: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        for name in statement.writes:
            writers[name].append(statement)
    if loss.target is None:
        raise _unreadable(body, loss, "the loss")
    found = dependencies(loss, lambda name, reader: _writer_for(body, name, reader, writers))
    return [s for s in statements if s.position in found or s is loss]


def needed_positions(statements: list[Statement], start: Statement) -> set[int]:
    """A training step's assignments the values ``start`` reads depend on, each read seeing
    the last assignment of its name before it."""
    found = dependencies(start, lambda name, reader: writer_before(statements, name, reader))
    return set(found)


def writer_before(statements: list[Statement], name: str, reader: Statement) -> Statement | None:
    """The assignment of ``name`` a read in ``reader`` sees: the last one before it."""
    for statement in reversed(statements[: reader.position]):
        if statement.target == name and statement.update is None:
            return statement
    return None


def _writer_for(
    body: Body, name: str, reader: Statement, writers: dict[str, list[Statement]]
) -> Statement | None:
    """The assignment a read of ``name`` in ``reader`` sees: the last one before it."""
    before = [w for w in writers.get(name, ()) if w.position < reader.position]
    if not before:
        later = writers.get(name)
        if later and name not in body.arguments:
            raise SpecError(
                f"{name!r} is used before it is assigned at line {later[0].line}",
                file=body.file,
                line=reader.line,
            )
        return None  # an argument or a global
    if before[-1].target != name:
        raise _unreadable(body, before[-1], repr(name))
    return before[-1]


def _unreadable(body: Body, statement: Statement, what: str) -> UnsupportedConstruct:
    return UnsupportedConstruct(
        f"{describe_statement(statement.node)} computing {what} is "
        "not supported (write it as plain 'name = expression' lines)",
        file=body.file,
        line=statement.line,
    )
