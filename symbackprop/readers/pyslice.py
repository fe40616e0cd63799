"""Which statements of a forward computation make the loss, found without running anything.

A body is scanned into :class:`Statement` records (what each reads and writes); the loss is
found by the rules of :func:`find_loss`; then only the statements the loss depends on are kept,
so unrelated code before the loss may be anything and code after it (hand-written backprop,
updates) is never looked at.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.readers.whitelist import (
    assigned_name,
    backward_target,
    describe_statement,
    is_inert,
)

# The loss rules, in order: a call to something named like a loss, then these variable names.
_LOSS_CALL = re.compile(r"error|loss|cost", re.IGNORECASE)
LOSS_NAMES = ("loss", "e", "E", "J", "L", "cost", "error", "err")


@dataclass
class Body:
    """The statements to read (a function's body or a module's) and their surroundings."""

    file: str
    name: str
    statements: list[ast.stmt]
    arguments: dict[str, float | None]  # argument name -> literal default value
    line: int  # of the ``def``, or 1 for a module
    module_level: bool
    helpers: dict[str, ast.FunctionDef]

    @property
    def where(self) -> str:
        return self.file if self.module_level else f"{self.name}()"


@dataclass
class Statement:
    position: int
    node: ast.stmt
    target: str | None  # the name a plain ``name = expr`` (or the returned loss) defines
    value: ast.expr | None
    reads: set[str]
    writes: set[str]
    is_leaf_declaration: bool = False  # module-level ``x = 2.0`` or ``torch.tensor(...)``

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
        target = None if isinstance(node.value, ast.Name) else _fresh("loss", assigned)
        return Statement(position, node, target, node.value, _reads(body, node.value), set())
    if is_inert(node) or isinstance(node, ast.FunctionDef | ast.ClassDef):
        return Statement(position, node, None, None, set(), set())
    target = assigned_name(node)
    if target is None:
        return Statement(position, node, None, None, _reads(body, node), _writes(node))
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


def _fresh(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    return name


def _reads(body: Body, node: ast.AST) -> set[str]:
    names = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
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


def _writes(node: ast.stmt) -> set[str]:
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
    """The statements up to and including the loss's, which comes last.

    The loss is ``loss`` if given; else the first assignment calling something named like an
    error, loss or cost; else the first of the names in :data:`LOSS_NAMES` assigned; else the
    name ``.backward()`` is called on; else what the function returns.
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
    for rule in (_by_call, _by_name, _by_backward, _by_return):
        position = rule(statements)
        if position is not None:
            return statements[: position + 1]
    raise SpecError(
        f"cannot tell which value is the loss in {body.where}: name it 'loss' or "
        "pass it explicitly",
        file=body.file,
        line=body.line,
    )


def _first_writer(statements: list[Statement], name: str, before: int | None = None) -> int | None:
    return next((s.position for s in statements[:before] if name in s.writes), None)


def _by_call(statements: list[Statement]) -> int | None:
    return next(
        (
            s.position
            for s in statements
            if s.target
            and s.value is not None
            and any(_LOSS_CALL.search(_called_name(c) or "") for c in ast.walk(s.value))
        ),
        None,
    )


def _called_name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _by_name(statements: list[Statement]) -> int | None:
    for name in LOSS_NAMES:
        # The last assignment is the value that leaves: reading up to the first would drop
        # the rest silently, reading to the last lets a second one be refused as such.
        positions = [s.position for s in statements if s.target == name]
        if positions:
            return positions[-1]
    return None


def _by_backward(statements: list[Statement]) -> int | None:
    for statement in statements:
        name = backward_target(statement.node)
        if name is not None:
            return _first_writer(statements, name, before=statement.position)
    return None


def _by_return(statements: list[Statement]) -> int | None:
    last = statements[-1] if statements else None
    if last is None or not isinstance(last.node, ast.Return) or last.value is None:
        return None
    if last.target is not None:
        return last.position
    return _first_writer(statements, last.value.id)


# -- slicing -----------------------------------------------------------------------------------
def needed_statements(body: Body, statements: list[Statement]) -> list[Statement]:
    """The statements the loss (the last one) depends on, in order; checks each is readable."""
    loss = statements[-1]
    writers: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        for name in statement.writes:
            writers[name].append(statement)
    if loss.target is None:
        raise _unreadable(body, loss, "the loss")
    if loss.writes:  # a returned expression has no assignment to check
        _single_writer(body, loss.target, writers)
    needed, work = {loss.position}, [loss]
    while work:
        reader = work.pop()
        for name in sorted(reader.reads):
            writer = _writer_for(body, name, reader, writers)
            if writer is not None and writer.position not in needed:
                needed.add(writer.position)
                work.append(writer)
    return [s for s in statements if s.position in needed]


def _writer_for(
    body: Body, name: str, reader: Statement, writers: dict[str, list[Statement]]
) -> Statement | None:
    if not writers.get(name):
        return None
    writer = _single_writer(body, name, writers)
    if writer.position >= reader.position:
        raise SpecError(
            f"{name!r} is used before it is assigned at line {writer.line}",
            file=body.file,
            line=reader.line,
        )
    return writer


def _single_writer(body: Body, name: str, writers: dict[str, list[Statement]]) -> Statement:
    """The one plain assignment of a needed name; anything else is an error at its line."""
    found = writers[name]
    again = next((w for w in found if isinstance(w.node, ast.AugAssign)), None)
    opaque = next((w for w in found if w.target != name and w is not again), None)
    if opaque is not None:
        raise _unreadable(body, opaque, repr(name))
    if name in body.arguments or again is not None or len(found) > 1:
        repeat = again or (found[0] if name in body.arguments else found[1])
        raise SpecError(
            f"{name!r} is assigned again; give each value its own name "
            "(a forward pass is read as one definition per name)",
            file=body.file,
            line=repeat.line,
        )
    return found[0]


def _unreadable(body: Body, statement: Statement, what: str) -> UnsupportedConstruct:
    return UnsupportedConstruct(
        f"{describe_statement(statement.node)} computing {what} is "
        "not supported (write it as plain 'name = expression' lines)",
        file=body.file,
        line=statement.line,
    )


# -- literal values ----------------------------------------------------------------------------
def literal_number(node: ast.expr | None) -> float | None:
    """The value of ``2.0``, ``-3`` or ``torch.tensor(2.0, ...)``; None for anything else."""
    if _is_tensor_call(node):
        node = node.args[0]
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    if not isinstance(node.value, int | float) or abs(node.value) > 1e308:
        return None
    return sign * float(node.value)


def _is_tensor_call(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "tensor"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
        and len(node.args) == 1
    )


def requires_grad(node: ast.expr) -> bool:
    """Whether ``torch.tensor(..., requires_grad=True)`` asks for a gradient."""
    return _is_tensor_call(node) and any(
        k.arg == "requires_grad" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords
    )
