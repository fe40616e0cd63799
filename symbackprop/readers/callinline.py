"""Calls of the file's own layer functions as statements, read as their bodies (nothing is run).

A network's ``loss`` built from course layers (``h, cache1 = affine_relu_forward(X, W1, b1)``
... ``dx, dW1, db1 = affine_relu_backward(dh, cache1)``) is a training step whose lines live
in other functions. Each such call becomes the called function's statements, its names
renamed apart for that call (``dx`` of the third call inlined is ``dx__3``), its parameters
bound to the arguments and what it returns assigned to the call's targets. Tuples, lists and
dicts handed from one call to another (a cache) are then followed by name: ``x, w, b =
cache`` where ``cache = (x, w, b)`` becomes one assignment per element, and ``cache[0]`` or
``cache['x']`` the element itself.

Calls of small helpers that return one expression (``sigmoid(z)``) are left to the
expression translator, which inlines them as it always has.
"""

from __future__ import annotations

import ast
import copy

from symbackprop.errors import UnsupportedConstruct
from symbackprop.readers.siblings import is_imported
from symbackprop.readers.whitelist import same_name

MAX_CALLS = 64  # calls inlined in one body, nested calls included
MAX_DEPTH = 6  # layers calling layers


def inlined_calls(
    statements: list[ast.stmt], helpers: dict[str, ast.FunctionDef], file: str
) -> list[ast.stmt]:
    """``statements`` with every statement-level call of a layer function inlined, then the
    tuples and dicts they hand on followed by name; unchanged where there is no such call."""
    if not any(_layer_call(s, helpers) for s in _all_statements(statements)):
        return statements
    inliner = _Inliner(helpers, file)
    return _followed(inliner.inline(statements, 0), file)


def _all_statements(statements: list[ast.stmt]):
    for statement in statements:
        yield from (n for n in ast.walk(statement) if isinstance(n, ast.stmt))


def _layer_call(statement: ast.stmt, helpers: dict[str, ast.FunctionDef]):
    """The call and its function when ``statement`` is ``[targets =] layer(...)`` and the
    function is more than one returned expression; else None."""
    value = statement.value if isinstance(statement, ast.Assign | ast.Expr) else None
    if isinstance(statement, ast.Assign) and len(statement.targets) != 1:
        return None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return None
    function = helpers.get(value.func.id)
    if function is None or value.keywords or _simple(function):
        return None
    return value, function


def _simple(function: ast.FunctionDef) -> bool:
    """Assignments of names and one returned expression that is no tuple, with ``if`` blocks
    of the same (``if deriv: return x * (1 - x)``): the translator's."""
    return _simple_block(function.body or [ast.Pass()], ending=True)


def _simple_block(statements: list[ast.stmt], ending: bool) -> bool:
    *lines, last = statements
    if ending and isinstance(last, ast.If) and last.orelse:  # if ...: return a; else: return b
        branches = (last.body, last.orelse)
        return all(map(_simple_line, lines)) and all(_simple_block(b, True) for b in branches)
    returns = isinstance(last, ast.Return)
    if ending and not returns or returns and isinstance(last.value, ast.Tuple | ast.List | None):
        return False
    return all(_simple_line(s) for s in lines + ([] if returns else [last]))


def _simple_line(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return True
    if isinstance(statement, ast.If):
        return all(_simple_block(b, ending=False) for b in (statement.body, statement.orelse) if b)
    return isinstance(statement, ast.Assign) and all(
        isinstance(t, ast.Name) for t in statement.targets
    )


class _Inliner:
    def __init__(self, helpers: dict[str, ast.FunctionDef], file: str):
        self.helpers = helpers
        self.file = file
        self.calls: dict[str, int] = {}

    def inline(self, statements: list[ast.stmt], depth: int) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in statements:
            found = _layer_call(statement, self.helpers)
            if found is None:
                if isinstance(statement, ast.For | ast.While | ast.With | ast.If):
                    statement = copy.copy(statement)
                    statement.body = self.inline(statement.body, depth)
                out.append(statement)
                continue
            out += self._expanded(statement, *found, depth)
        return out

    def _expanded(self, statement, call: ast.Call, function: ast.FunctionDef, depth: int):
        total = sum(self.calls.values())
        if depth >= MAX_DEPTH or total >= MAX_CALLS:
            raise UnsupportedConstruct(
                f"more than {MAX_CALLS} calls, or calls {MAX_DEPTH} deep, of the file's own "
                "functions",
                file=self.file,
                line=statement.lineno,
            )
        if any(isinstance(n, ast.Return) for s in function.body[:-1] for n in ast.walk(s)):
            raise UnsupportedConstruct(
                f"{function.name}() returns before its end", file=self.file, line=statement.lineno
            )
        self.calls[function.name] = self.calls.get(function.name, 0) + 1
        suffix = f"__{sum(self.calls.values())}"
        parameters = [a.arg for a in function.args.args]
        # a parameter the function never assigns, given a name, is that name itself (labels
        # ``y`` stay ``y``, which tells they are labels); every other local is renamed apart
        stored = _stored_names(function)
        direct = {
            p: a.id
            for p, a in zip(parameters, call.args, strict=False)
            if isinstance(a, ast.Name) and p not in stored
        }
        names = _local_names(function)
        renamed = _Renamer({name: direct.get(name, name + suffix) for name in names})
        if len(call.args) > len(parameters) or any(isinstance(a, ast.Starred) for a in call.args):
            raise UnsupportedConstruct(
                f"calling {function.name}() with these arguments", file=self.file, line=call.lineno
            )
        defaults = [None] * (len(parameters) - len(function.args.defaults))
        defaults += function.args.defaults
        bound = []
        for position, parameter in enumerate(parameters):
            if parameter in direct:
                continue
            value = call.args[position] if position < len(call.args) else defaults[position]
            if value is None:
                raise UnsupportedConstruct(
                    f"calling {function.name}() without its argument {parameter}",
                    file=self.file,
                    line=call.lineno,
                )
            target = ast.Name(parameter + suffix, ast.Store())
            bound.append(_located(ast.Assign([target], copy.deepcopy(value)), statement))
        body = [renamed.visit(copy.deepcopy(s)) for s in function.body]
        if is_imported(function):  # its lines are another file's: said at the call instead
            body = [_at_line(s, statement) for s in body]
        returned = body.pop() if body and isinstance(body[-1], ast.Return) else None
        body = self.inline(body, depth + 1)
        if isinstance(statement, ast.Assign) and returned is not None and returned.value:
            body.append(_located(ast.Assign(statement.targets, returned.value), statement))
        return bound + body


def _at_line(node: ast.stmt, call: ast.stmt) -> ast.stmt:
    """``node`` with every line of it the call's."""
    for inner in ast.walk(node):
        if "lineno" in inner._attributes:
            inner.lineno, inner.end_lineno = call.lineno, call.end_lineno
    return node


def _local_names(function: ast.FunctionDef) -> set[str]:
    return {a.arg for a in (*function.args.posonlyargs, *function.args.args)} | _stored_names(
        function
    )


def _stored_names(function: ast.FunctionDef) -> set[str]:
    return {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            return ast.copy_location(ast.Name(self.names[node.id], node.ctx), node)
        return node


def _located(node: ast.stmt, like: ast.stmt) -> ast.stmt:
    ast.copy_location(node, like)
    ast.fix_missing_locations(node)
    return node


# -- tuples and dicts followed by name ----------------------------------------------------------
def _followed(statements: list[ast.stmt], file: str) -> list[ast.stmt]:
    """Names bound to tuple, list or dict displays replaced by their elements where read."""
    structures: dict[str, list | dict] = {}
    out: list[ast.stmt] = []
    reader = _StructureReader(structures)
    for statement in statements:
        if isinstance(statement, ast.For | ast.While | ast.With | ast.If):
            statement = copy.copy(statement)
            statement.body = _followed(statement.body, file)
            out.append(statement)
            continue
        kept = _bind_structures(statement, structures, reader)
        out += [reader.visit(s) for s in kept]
    return [ast.fix_missing_locations(s) for s in out]


def _bind_structures(statement: ast.stmt, structures: dict, reader) -> list[ast.stmt]:
    """The statements ``statement`` stands for once tuples are followed: ``c = (a, b)`` is
    remembered and dropped, ``x, y = c`` becomes ``x = a`` and ``y = b``."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return [statement]
    target, value = statement.targets[0], statement.value
    if isinstance(target, ast.Name):
        structure = _structure_of(reader.visit(copy.deepcopy(value)), structures)
        if structure is not None:
            structures[target.id] = structure
            return []
        structures.pop(target.id, None)
        return [statement]
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        container = structures.get(target.value.id)
        key = target.slice.value if isinstance(target.slice, ast.Constant) else None
        if isinstance(container, dict) and key is not None:
            container[key] = reader.visit(copy.deepcopy(value))
            return []
        return [statement]
    if isinstance(target, ast.Tuple | ast.List):
        structure = _structure_of(reader.visit(copy.deepcopy(value)), structures)
        if isinstance(structure, list) and len(structure) == len(target.elts):
            parts = []
            for name, element in zip(target.elts, structure, strict=True):
                if isinstance(name, ast.Name) and isinstance(element, list | dict):
                    structures[name.id] = element
                    continue
                if same_name(name, element):
                    continue
                parts += _bind_structures(
                    _located(ast.Assign([name], copy.deepcopy(element)), statement),
                    structures,
                    reader,
                )
            return parts
    return [statement]


def _structure_of(value: ast.expr, structures: dict):
    """The elements of a tuple or list display (a list), a dict display's entries (a dict),
    or the structure a name holds; None for anything else."""
    if isinstance(value, ast.Name):
        return structures.get(value.id)
    if isinstance(value, ast.Tuple | ast.List):
        return [_structure_of(e, structures) or e for e in value.elts]
    keyed = value.keys if isinstance(value, ast.Dict) else []
    if keyed and all(isinstance(k, ast.Constant) for k in keyed):  # ``{}`` filled later: not
        return {
            k.value: _structure_of(v, structures) or v
            for k, v in zip(value.keys, value.values, strict=True)
        }
    return None


class _StructureReader(ast.NodeTransformer):
    """``c[0]`` and ``c['x']`` of a followed structure read as the element."""

    def __init__(self, structures: dict):
        self.structures = structures

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name):
            container = self.structures.get(node.value.id)
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if isinstance(container, list) and isinstance(key, int) and -len(container) <= key:
                element = container[key] if key < len(container) else None
            elif isinstance(container, dict):
                element = container.get(key)
            else:
                element = None
            if isinstance(element, ast.expr):
                return ast.copy_location(copy.deepcopy(element), node)
        return node
