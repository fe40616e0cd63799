"""Functions a layer file imports from the files beside it (``from .layers import *``,
``from cs231n.layers import affine_forward``), read, never imported, so that a course's
``layer_utils.py`` or ``fc_net.py`` is read with the layers it calls.

Only files in the same folder are looked at; a module that is not there (numpy, a compiled
extension) is left to the readers, which refuse what they cannot read.
"""

from __future__ import annotations

import ast
from pathlib import Path

from symbackprop.errors import SymbackpropError
from symbackprop.inputs import read_input
from symbackprop.readers.pysource import parse

IMPORTED = "imported_from"  # set on each function read from another file: its file's name
MAX_SIBLINGS = 8  # files read beside one; a course imports two or three


def with_siblings(tree: ast.Module, path: str | Path) -> ast.Module:
    """``tree`` with the functions it imports from files beside it (or one folder up, as
    ``from ..layers import *`` reaches) appended, each marked with :data:`IMPORTED`, and those
    files' own imports in turn; the functions the file defines itself win."""
    path = Path(path)
    defined = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    added: list[ast.stmt] = []
    seen = {path.resolve()}
    todo = [(tree, path)]
    while todo and len(seen) <= MAX_SIBLINGS:
        current, where = todo.pop(0)
        for module, level, names in _imports(current):
            source = _located(where.parent, module, level)
            if source is None or source.resolve() in seen:
                continue
            seen.add(source.resolve())
            try:
                other = parse(read_input(source), str(source))
            except SymbackpropError:
                continue  # unreadable: its functions stay unknown, as before
            todo.append((other, source))
            functions = {s.name: s for s in other.body if isinstance(s, ast.FunctionDef)}
            wanted = set(functions) if names is None else _with_callees(names, functions)
            for name, statement in functions.items():  # the last definition, as Python's
                if name in wanted and name not in defined:
                    setattr(statement, IMPORTED, source.name)
                    defined.add(name)
                    added.append(statement)
    if not added:
        return tree
    return ast.Module(body=[*tree.body, *added], type_ignores=tree.type_ignores)


def _with_callees(names: set[str], functions: dict[str, ast.FunctionDef]) -> set[str]:
    """``names`` and the functions of their file they call, in turn: an imported
    ``forward_propagation`` calls its module's ``relu`` whether or not the importer took it."""
    found, todo = set(), [n for n in names if n in functions]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        called = {n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)}
        todo += [n for n in called if n in functions]
    return found | names


def _located(folder: Path, module: str, level: int) -> Path | None:
    """The file a ``from`` import names: beside the importer, or up ``level - 1`` folders;
    an absolute ``cs231n.layers`` is looked for beside it and one folder up."""
    stem = module.rsplit(".", 1)[-1]
    ups = [level - 1] if level else [0, 1]
    for up in ups:
        base = folder
        for _ in range(up):
            base = base.parent
        candidate = base / f"{stem}.py"
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.Module) -> list[tuple[str, int, set[str] | None]]:
    """(module, level, the names taken or None for ``*``) of each ``from ... import``."""
    found = []
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            names = {a.name for a in statement.names}
            found.append((statement.module, statement.level, None if "*" in names else names))
    return found


def is_imported(function: ast.AST) -> bool:
    return getattr(function, IMPORTED, None) is not None
