"""A case's statements as the oracle sees them: what each assignment writes, in source order.

A plain assignment (``dz = ...``, ``self.dW = ...``, ``grads['W1'] = ...``) starts a new value
of its key; an augmented assignment or a write through an index (``dz[z <= 0] = 0``,
``probs[range(n), y] -= 1``) changes the current one. An update is a statement that changes
a parameter (``W1 -= lr * dW1``, ``W1 = W1 - lr * dW1``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Write:
    line: int
    key: str
    starts: bool  # a new value of ``key`` (else a change to its current one)


def keys(target: ast.expr) -> list[tuple[str, bool]]:
    """The keys a target writes, each with whether the write starts a new value."""
    if isinstance(target, ast.Tuple | ast.List):
        return [k for element in target.elts for k in keys(element)]
    if isinstance(target, ast.Starred):
        return keys(target.value)
    if isinstance(target, ast.Name | ast.Attribute):
        return [(ast.unparse(target), True)]
    if isinstance(target, ast.Subscript):
        if isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
            return [(ast.unparse(target), True)]
        return [(key, False) for key, _ in keys(target.value)]
    return []


def assignments(tree: ast.AST) -> list[ast.stmt]:
    """Every assignment statement, in source order."""
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign)]
    return sorted(found, key=lambda s: (s.lineno, s.col_offset))


def writes(statement: ast.stmt) -> list[Write]:
    if isinstance(statement, ast.Assign):
        pairs = [k for target in statement.targets for k in keys(target)]
    elif isinstance(statement, ast.AnnAssign):
        pairs = keys(statement.target) if statement.value is not None else []
    else:  # an augmented assignment changes the value it names
        pairs = [(key, False) for key, _ in keys(statement.target)]
    return [Write(statement.lineno, key, starts) for key, starts in pairs]


def is_update(statement: ast.stmt, params: set[str], start: int) -> str | None:
    """The parameter expression an update statement changes, or None: an augmented assignment
    to a parameter, or a plain one after the forward began (before it, one sets it up)."""
    if isinstance(statement, ast.AugAssign):
        key = ast.unparse(statement.target)
        return key if key in params else None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        key = ast.unparse(statement.targets[0])
        return key if key in params and statement.lineno > start else None
    return None


def start_line(tree: ast.AST, key: str) -> int:
    """The line of the first statement assigning ``key``: the forward's first."""
    for statement in assignments(tree):
        if any(w.key == key for w in writes(statement)):
            return statement.lineno
    raise AssertionError(f"nothing assigns {key}")


def value_lines(tree: ast.AST) -> dict[str, list[list[int]]]:
    """For each key, its values in source order, each as the lines that write it."""
    values: dict[str, list[list[int]]] = {}
    for statement in assignments(tree):
        for write in writes(statement):
            groups = values.setdefault(write.key, [])
            if write.starts or not groups:
                groups.append([write.line])
            elif write.line not in groups[-1]:
                groups[-1].append(write.line)
    return values


def last_line(values: dict[str, list[list[int]]], spec: str) -> int | None:
    """The line that finishes the value ``spec`` names (``dz``, or ``delta#2``), given the
    ``value_lines`` of the program."""
    _, _, occurrence = spec.partition("#")
    groups = values.get(normal_key(spec), [])
    index = int(occurrence or 1) - 1
    return groups[index][-1] if index < len(groups) else None


def return_line(tree: ast.AST, function: str | None) -> int | None:
    """The last ``return`` with a value in ``function`` (``Class.method`` or a name)."""
    name = (function or "").rpartition(".")[2]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            lines = [
                r.lineno
                for r in ast.walk(node)
                if isinstance(r, ast.Return) and r.value is not None
            ]
            return max(lines, default=None)
    return None


def normal_key(spec: str) -> str:
    """The key a value spec names: ``grads["W1"]#2`` -> ``grads['W1']``."""
    return ast.unparse(ast.parse(spec.partition("#")[0], mode="eval").body)
