"""The corpus: every family as written, and its mutants, one mistake on one backward line each."""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass
from functools import cache

from corpus import (
    families_columns,
    families_course,
    families_idioms,
    families_loops,
    families_rows,
    families_scalar,
    families_shapes,
    families_vectors,
    program,
)
from corpus.family import Family
from corpus.mutations import (
    OPERATORS,
    PRIORITY,
    activations,
    derivative_at_wrong_value,
    learning_rate_inside,
)
from corpus.oracle import update_lines

PER_FAMILY = 10  # mutants kept per family, drawn across the mistakes that apply


@dataclass(frozen=True)
class Case:
    family: Family
    source: str
    mutation: str | None = None
    line: int | None = None  # the mutated line, in this case's source (None: one deleted)

    @property
    def name(self) -> str:
        if self.mutation is None:
            return f"{self.family.name} (as written)"
        return f"{self.family.name}: {self.mutation} at line {self.line}"


def families() -> list[Family]:
    modules = (
        families_rows,
        families_idioms,
        families_columns,
        families_course,
        families_shapes,
        families_loops,
        families_scalar,
        families_vectors,
    )
    return [family for module in modules for family in module.FAMILIES]


@cache
def all_cases() -> tuple[Case, ...]:
    out: list[Case] = []
    for family in families():
        out.append(Case(family, family.source))
        out.extend(mutants(family))
    return tuple(out)


def mutants(family: Family) -> list[Case]:
    """Up to PER_FAMILY mutants, taking each kind of mistake in turn so every kind appears."""
    by_kind: dict[str, list[Case]] = {}
    seen = {family.source}
    for statement, operators in _backward(family):
        for operator in operators:
            for mutation, new in operator(statement):
                case = _applied(family, statement, mutation, new)
                if case is not None and case.source not in seen:
                    seen.add(case.source)
                    by_kind.setdefault(mutation, []).append(case)
    for case in _updates_too_early(family):
        if case.source not in seen:
            seen.add(case.source)
            by_kind.setdefault(case.mutation, []).append(case)
    draw = random.Random(family.name)
    for cases in by_kind.values():
        draw.shuffle(cases)
    kinds = sorted(by_kind, key=PRIORITY.index)
    chosen: list[Case] = []
    while len(chosen) < PER_FAMILY and any(by_kind[k] for k in kinds):
        for kind in kinds:
            if by_kind[kind] and len(chosen) < PER_FAMILY:
                chosen.append(by_kind[kind].pop())
    return sorted(chosen, key=lambda c: (c.line or 0, c.mutation))


def _backward_lines(family: Family, tree: ast.AST) -> list[int]:
    """The first line of every value the family names, and every update's line."""
    groups = program.value_lines(tree)
    starts = []
    for spec in family.values:
        key, _, occurrence = spec.partition("#")
        found = groups.get(program.normal_key(key), [])
        index = int(occurrence or 1) - 1
        if index < len(found):
            starts.append(found[index][0])
    return starts + list(update_lines(tree, family))


def _backward(family: Family):
    """Each single-line backward statement, with the operators that apply to it."""
    tree = ast.parse(family.source)
    first = min(_backward_lines(family, tree))
    gradients = {program.normal_key(s) for s, m in family.values.items() if m in family.params}
    lr_inside = learning_rate_inside(family.lr) if family.lr.isidentifier() else None
    at_wrong_value = derivative_at_wrong_value(activations(tree))
    for statement in program.assignments(tree):
        if statement.lineno < first or statement.lineno != statement.end_lineno:
            continue
        operators = [*OPERATORS, at_wrong_value]
        if lr_inside and {w.key for w in program.writes(statement)} & gradients:
            operators.append(lr_inside)
        yield statement, operators


def _applied(family: Family, statement: ast.stmt, mutation: str, new) -> Case | None:
    if new is not None and ast.dump(new) == ast.dump(statement):
        return None  # the operator changed nothing (unparsing alone may drop parentheses)
    lines = family.source.splitlines()
    where = statement.lineno - 1
    indent = lines[where][: len(lines[where]) - len(lines[where].lstrip())]
    replacement = [] if new is None else [indent + ast.unparse(new)]
    source = "\n".join(lines[:where] + replacement + lines[where + 1 :]) + "\n"
    try:
        ast.parse(source)
    except SyntaxError:  # a deleted line that was its block's only statement
        return None
    return Case(family, source, mutation, None if new is None else statement.lineno)


def _updates_too_early(family: Family) -> list[Case]:
    """A parameter updated as soon as its gradient is known, before a later backward line
    reads it: that line then uses the new weights (the update moved up, nothing else)."""
    tree = ast.parse(family.source)
    updates = update_lines(tree, family)
    first = min(_backward_lines(family, tree))
    out = []
    for block in _blocks(tree):
        for index, statement in enumerate(block):
            key = updates.get(statement.lineno)
            if key is None or statement.lineno != statement.end_lineno:
                continue
            needs = {ast.unparse(n) for n in ast.walk(statement.value)} - {key}
            for earlier in range(index):
                reader = block[earlier]
                if reader.lineno < first or not _reads(reader, key):
                    continue
                between = block[earlier:index]
                if any(_writes(b) & needs for b in between):
                    break  # the gradient is not known yet there
                out.append(_moved(family, statement, reader))
                break
    return out


def _blocks(tree: ast.AST) -> list[list[ast.stmt]]:
    loops = (ast.FunctionDef, ast.For, ast.While)
    return [node.body for node in ast.walk(tree) if isinstance(node, loops)] + [tree.body]


def _reads(statement: ast.stmt, key: str) -> bool:
    value = getattr(statement, "value", None)
    return value is not None and any(ast.unparse(n) == key for n in ast.walk(value))


def _writes(statement: ast.stmt) -> set[str]:
    return {w.key for w in program.writes(statement)} if hasattr(statement, "value") else set()


def _moved(family: Family, statement: ast.stmt, before: ast.stmt) -> Case:
    lines = family.source.splitlines()
    moved = lines.pop(statement.lineno - 1)
    lines.insert(before.lineno - 1, moved)
    return Case(family, "\n".join(lines) + "\n", "update too early", before.lineno)
