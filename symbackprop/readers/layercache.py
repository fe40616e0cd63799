"""A backward's cache read as what its forward put in it: ``x, w, b = cache`` (the forward
returned ``cache = (x, w, b)``) goes, ``cache['x']`` is ``x``, ``cache[0]`` is the first
element, and one cached array is the forward's own name for it (nothing is run).
"""

from __future__ import annotations

import ast
import copy

from symbackprop.errors import UnsupportedConstruct
from symbackprop.readers.layerconfig import argument_names, training_branch
from symbackprop.readers.whitelist import same_name


class CacheReader(ast.NodeTransformer):
    """The backward's statements with its cache arguments replaced by what the forward put in
    them: ``x, w, b = cache`` (cache = (x, w, b)) goes, ``cache['x']`` is ``x``."""

    def __init__(self, filename, cache_args, forward, backward):
        self.filename = filename
        self.forward = forward
        self.backward = backward
        self.statements = training_branch(forward.body[:-1])  # where the cache is built
        returned = forward.body[-1].value
        elements = list(returned.elts) if isinstance(returned, ast.Tuple) else [returned]
        handed = elements[len(elements) - len(cache_args) :] if cache_args else []
        if (
            cache_args
            and len(elements) <= len(cache_args)
            and not _all_forward_names(cache_args, forward)
        ):
            raise UnsupportedConstruct(
                f"{backward.name}() takes {len(cache_args) + 1} or more arguments but "
                f"{forward.name}() returns {len(elements)} value(s)",
                file=filename,
                line=backward.lineno,
            )
        self.structures = {
            arg: self._structure(value)
            for arg, value in zip(cache_args, handed, strict=True)
            if len(elements) > len(cache_args)
        }
        self.unpacked: set[str] = set()

    def _structure(self, value: ast.expr):
        """A tuple's elements, a dict's entries or one array, as ast expressions."""
        seen = 0
        while isinstance(value, ast.Name) and seen < 8:
            assigned = _last_assignment(self.statements, value.id)
            filled = _filled_entries(self.statements, value.id)
            if filled:
                return filled
            if not isinstance(assigned, ast.Tuple | ast.List | ast.Dict | ast.Name):
                return value  # one array: the forward's own name for it is in scope
            value, seen = assigned, seen + 1
        if isinstance(value, ast.Tuple | ast.List):
            return list(value.elts)
        if isinstance(value, ast.Dict):
            return {
                k.value: v
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant)
            }
        return value

    def rewritten(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in statements:
            unpacked = self._unpacking(statement)
            if unpacked is not None:
                out += unpacked
                continue
            out += _split_tuple(self.visit(statement))
        for node in (n for s in out for n in ast.walk(s)):
            if (
                isinstance(node, ast.Name)
                and node.id in self.structures
                and isinstance(node.ctx, ast.Load)
                and not self._is_array(node.id)
            ):
                raise UnsupportedConstruct(
                    f"cannot read how {self.backward.name}() takes {node.id} apart "
                    f"(unpack it as {self.forward.name}() builds it)",
                    file=self.filename,
                    line=getattr(node, "lineno", self.backward.lineno),
                )
        return out

    def _is_array(self, name: str) -> bool:
        return isinstance(self.structures[name], ast.expr)

    def _unpacking(self, statement: ast.stmt) -> list[ast.stmt] | None:
        """``a, b, c = cache``: one assignment per element that is not the very name."""
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            return None
        target, value = statement.targets[0], statement.value
        if not (isinstance(value, ast.Name) and value.id in self.structures):
            return None
        structure = self.structures[value.id]
        if isinstance(target, ast.Tuple | ast.List) and isinstance(structure, list):
            if len(target.elts) != len(structure):
                raise UnsupportedConstruct(
                    f"unpacking {len(structure)} cached values into {len(target.elts)} names",
                    file=self.filename,
                    line=statement.lineno,
                )
            pairs = list(zip(target.elts, structure, strict=True))
        elif isinstance(target, ast.Name) and isinstance(structure, ast.expr):
            pairs = [(target, structure)]
        else:
            return None
        out = []
        for name, element in pairs:
            if isinstance(name, ast.Name):
                self.unpacked.add(name.id)
            if same_name(name, element):
                continue
            part = ast.Assign([name], copy.deepcopy(element))
            out.append(ast.copy_location(part, statement))
            ast.fix_missing_locations(part)
        return out

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        base = node.value
        if isinstance(base, ast.Name) and base.id in self.structures:
            structure = self.structures[base.id]
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            listed = isinstance(structure, list) and isinstance(key, int)
            if listed and -len(structure) <= key < len(structure):
                return ast.copy_location(copy.deepcopy(structure[key]), node)
            if isinstance(structure, dict) and key in structure:
                return ast.copy_location(copy.deepcopy(structure[key]), node)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        structure = self.structures.get(node.id)
        if isinstance(node.ctx, ast.Load) and isinstance(structure, ast.expr):
            return ast.copy_location(copy.deepcopy(structure), node)
        return node


def _all_forward_names(names: list[str], forward: ast.FunctionDef) -> bool:
    known = set(argument_names(forward)) | {
        n.id for n in ast.walk(forward) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    return all(name in known for name in names)


def _last_assignment(statements: list[ast.stmt], name: str) -> ast.expr | None:
    found = None
    for statement in statements:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id == name:
                found = statement.value
    return found


def _filled_entries(statements: list[ast.stmt], name: str) -> dict | None:
    """``cache = {}`` then ``cache['x'] = x``: the entries, in the forward's final state."""
    entries: dict = {}
    started = False
    for statement in statements:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if isinstance(target, ast.Name) and target.id == name:
            started = isinstance(statement.value, ast.Dict) and not statement.value.keys
            entries = {}
        elif (
            started
            and isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == name
            and isinstance(target.slice, ast.Constant)
        ):
            entries[target.slice.value] = statement.value
    return entries if started and entries else None


def _split_tuple(statement: ast.stmt) -> list[ast.stmt]:
    """``a, b = cache['a'], cache['b']`` once read: one assignment per name, a name given
    itself dropped (so that an alias is seen as one, and read through)."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return [statement]
    target, value = statement.targets[0], statement.value
    if not (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
    ):
        return [statement]
    loaded = {n.id for e in value.elts for n in ast.walk(e) if isinstance(n, ast.Name)}
    stored = {e.id for e in target.elts if isinstance(e, ast.Name)}
    if len(stored) != len(target.elts) or (stored & loaded) - {
        e.id for e, v in zip(target.elts, value.elts, strict=True) if same_name(e, v)
    }:
        return [statement]  # a swap or a name read by another element: left whole
    parts = []
    for name, element in zip(target.elts, value.elts, strict=True):
        if not same_name(name, element):
            parts.append(
                ast.fix_missing_locations(ast.copy_location(ast.Assign([name], element), statement))
            )
    return parts
