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
    """``tree`` with the functions it imports from files beside it appended, each marked
    with :data:`IMPORTED`; the functions the file defines itself win."""
    folder = Path(path).parent
    defined = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    added: list[ast.stmt] = []
    for module, names in _imports(tree)[:MAX_SIBLINGS]:
        source = folder / f"{module}.py"
        if source.resolve() == Path(path).resolve() or not source.is_file():
            continue
        try:
            other = parse(read_input(source), str(source))
        except SymbackpropError:
            continue  # unreadable beside: its functions stay unknown, as before
        functions = {s.name: s for s in other.body if isinstance(s, ast.FunctionDef)}
        for name, statement in functions.items():  # the last definition of a name, as Python
            if (names is None or name in names) and name not in defined:
                setattr(statement, IMPORTED, source.name)
                defined.add(name)
                added.append(statement)
    if not added:
        return tree
    return ast.Module(body=[*tree.body, *added], type_ignores=tree.type_ignores)


def _imports(tree: ast.Module) -> list[tuple[str, set[str] | None]]:
    """(module file stem, the names taken or None for ``*``) of each ``from ... import``."""
    found = []
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            stem = statement.module.rsplit(".", 1)[-1]
            names = {a.name for a in statement.names}
            found.append((stem, None if "*" in names else names))
    return found


def is_imported(function: ast.AST) -> bool:
    return getattr(function, IMPORTED, None) is not None
