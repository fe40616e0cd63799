"""The shapes people write a training step in, rewritten on the ast into one (nothing is run).

:mod:`~symbackprop.readers.codeflow` reads plain ``name = expr`` lines and ``w -= step``
updates. Here the other shapes become those:

- weights in dicts and on objects: ``params['W1']``, ``self.W1``, ``self.params['W1']`` are
  the name ``W1``; a dict the code fills itself (``grads = {}``; ``grads['W1'] = ...``) keeps
  its entries as values named ``grads['W1']``;
- a loop over a dict's keys (``for k in params: params[k] -= lr * grads[k]``), unrolled over
  the keys the code uses;
- gradients returned rather than applied (``return dW1, db1``, ``return {'W1': dW1}``,
  ``return loss, grads``): each is the claim an update would make, ``W1 -= dW1``, matched to
  its parameter by name (``dW1``, ``grad_W1``, ``W1_grad`` are W1's), failing that by the
  order of the weights among the arguments.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import re
from collections.abc import Sequence

from symbackprop.errors import SpecError
from symbackprop.readers import codeflow
from symbackprop.readers.pyslice import LOSS_NAMES, ReturnedGradient
from symbackprop.readers.pysource import Body, too_deep


def plain_body(body: Body, params: Sequence[str] = (), loss: str | None = None) -> Body:
    """``body`` with its statements (and its helpers) in the plain shape."""
    statements = _unrolled(body.statements, body)
    filled = _filled_dicts(statements)
    names = _EntryNames(body.file, body.instance, filled)
    statements = [names.rewritten(s) for s in _split_dicts(statements, filled)]
    returned = statements[-1] if statements and isinstance(statements[-1], ast.Return) else None
    statements = [s for s in codeflow.flatten(statements, body.file) if not _is_alias(s)]
    if returned is not None and returned.value is not None and not _has_updates(statements):
        statements += _returns_as_claims(statements, returned, body, names.entries, params, loss)
    helpers = {name: names.rewritten(h) for name, h in body.helpers.items()}
    return dataclasses.replace(body, statements=statements, helpers=helpers)


def claimed_weights(body: Body, params: Sequence[str] = (), loss: str | None = None) -> set[str]:
    """The names the code updates, or returns gradients of: weights, whatever --params says."""
    updates = (codeflow.as_update(s) for s in plain_body(body, params, loss).statements)
    return {update.param for update in updates if update is not None}


# -- weights in dicts and on objects ------------------------------------------------------------
def _filled_dicts(statements: list[ast.stmt]) -> set[str]:
    """Dicts the code makes itself (``grads = {}``, ``cache = dict(...)``)."""
    found = set()
    for statement in _walk_statements(statements):
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            value = statement.value
            if isinstance(value, ast.Dict) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "dict"
            ):
                found.add(statement.targets[0].id)
    return found


def _split_dicts(statements: list[ast.stmt], filled: set[str]) -> list[ast.stmt]:
    """``grads = {'W1': a, 'b1': b}`` as ``grads['W1'] = a`` and ``grads['b1'] = b``."""
    split: list[ast.stmt] = []
    for statement in statements:
        value = getattr(statement, "value", None)
        if not (
            isinstance(statement, ast.Assign)
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id in filled
        ):
            split.append(statement)
            continue
        name = statement.targets[0].id
        if not isinstance(value, ast.Dict):
            continue  # ``dict()``: an empty start, filled entry by entry
        for key, entry in zip(value.keys, value.values, strict=True):
            target = ast.Subscript(ast.Name(name, ast.Load()), key, ast.Store())
            split.append(ast.copy_location(ast.Assign([target], entry), statement))
    return split


class _EntryNames(ast.NodeTransformer):
    """``self.W1`` and ``params['W1']`` as ``W1``; ``grads['W1']`` (a filled dict's entry)
    as the name ``grads['W1']``."""

    def __init__(self, file: str, instance: str | None, filled: set[str]):
        self.file = file
        self.instance = instance
        self.filled = filled
        self.entries: dict[str, list[str]] = {name: [] for name in filled}  # keys, in order

    def rewritten(self, node: ast.AST) -> ast.AST:
        """A rewritten copy of ``node``; ``node`` itself where there is nothing to rewrite
        (so deep code that uses no entries costs no recursion)."""
        if not any(self._is_entry(n) for n in ast.walk(node)):
            return node
        try:
            return self.visit(copy.deepcopy(node))
        except RecursionError:
            raise too_deep(self.file, getattr(node, "lineno", None)) from None

    def _is_entry(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            return _is_name(node.value, self.instance)
        return isinstance(node, ast.Subscript) and string_key(node.slice) is not None

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node = self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == self.instance:
            return ast.copy_location(ast.Name(node.attr, node.ctx), node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node = self.generic_visit(node)
        key = string_key(node.slice)
        if key is None or not isinstance(node.value, ast.Name):
            return node
        container = node.value.id
        if container not in self.filled:
            return ast.copy_location(ast.Name(key, node.ctx), node)
        if key not in self.entries[container]:
            self.entries[container].append(key)
        return ast.copy_location(ast.Name(entry_name(container, key), node.ctx), node)


def entry_name(container: str, key: str) -> str:
    return f"{container}[{key!r}]"


def string_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_alias(statement: ast.stmt) -> bool:
    """``W1 = W1``, left by ``W1 = params['W1']``: the name was the weight already."""
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Name)
        and statement.targets[0].id == statement.value.id
    )


# -- loops over a dict's keys -------------------------------------------------------------------
def _unrolled(statements: list[ast.stmt], body: Body) -> list[ast.stmt]:
    """Loops over the keys of a dict (or over a literal list of keys), unrolled."""
    keys = _keys_used(statements, body)
    out: list[ast.stmt] = []
    for statement in statements:
        over = _key_loop(statement, keys)
        if over is None:
            if isinstance(statement, ast.For | ast.While | ast.With):
                statement = copy.copy(statement)
                statement.body = _unrolled(statement.body, body)
            out.append(statement)
            continue
        variable, values = over
        for key in values:
            for inner in _unrolled(statement.body, body):
                out.append(_KeyFor(variable, key).visit(copy.deepcopy(inner)))
    return out


def _keys_used(statements: list[ast.stmt], body: Body) -> dict[str, list[str]]:
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


def _key_loop(statement: ast.stmt, keys: dict[str, list[str]]) -> tuple[str, list[str]] | None:
    """``for k in params`` / ``params.keys()`` / ``['W1', 'b1']``: its variable and keys."""
    if not isinstance(statement, ast.For) or not isinstance(statement.target, ast.Name):
        return None
    over = statement.iter
    if isinstance(over, ast.Call) and not over.args and _called_attribute(over) == "keys":
        over = over.func.value
    if isinstance(over, ast.Attribute) and isinstance(over.value, ast.Name):
        over = ast.Name(over.attr, ast.Load())  # self.params
    if isinstance(over, ast.Name) and keys.get(over.id):
        return statement.target.id, keys[over.id]
    if isinstance(over, ast.List | ast.Tuple) and over.elts:
        literal = [string_key(e) for e in over.elts]
        if all(k is not None for k in literal):
            return statement.target.id, literal
    return None


class _KeyFor(ast.NodeTransformer):
    """The loop variable read as the key of this turn."""

    def __init__(self, variable: str, key: str):
        self.variable, self.key = variable, key

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == self.variable and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Constant(self.key), node)
        return node


def _called_attribute(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _is_name(node: ast.expr, name: str | None) -> bool:
    return name is not None and isinstance(node, ast.Name) and node.id == name


def _walk_statements(statements: list[ast.stmt]):
    for statement in statements:
        yield from (n for n in ast.walk(statement) if isinstance(n, ast.stmt))


# -- returned gradients -------------------------------------------------------------------------
_GRADIENT_NAME = re.compile(
    r"^(?:d_?|grad_?|g_?|dL_?d|dJ_?d|dloss_?d|dE_?d)?(?P<base>.+?)(?:_grad|_gradient|_)?$"
)


def _has_updates(statements: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Sub | ast.Add)
        for n in _walk_statements(statements)
    )


def _returns_as_claims(
    statements: list[ast.stmt],
    returned: ast.Return,
    body: Body,
    entries: dict[str, list[str]],
    params: Sequence[str],
    loss: str | None,
) -> list[ast.stmt]:
    """The final ``return`` as one claim per returned gradient."""
    pairs, unnamed = _returned_pairs(returned.value, entries, loss)
    weights = _weights(statements, body, params)
    for value in list(unnamed):
        param = gradient_of(value, weights)
        if param is not None and param not in dict(pairs):
            pairs.append((param, value))
            unnamed.remove(value)
    if unnamed:
        pairs += _by_order(unnamed, dict(pairs), params, body, returned)
    claims = [
        ast.copy_location(ReturnedGradient(ast.Name(p, ast.Store()), ast.Sub(), v), returned)
        for p, v in pairs
    ]
    return claims


def _returned_pairs(value, entries, loss):
    """(parameter, gradient) pairs named by keys, and the values still to be matched."""
    elements = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
    pairs: list[tuple[str, ast.expr]] = []
    unnamed: list[ast.expr] = []
    for element in elements:
        if isinstance(element, ast.Dict):
            pairs += [
                (string_key(k), v)
                for k, v in zip(element.keys, element.values, strict=True)
                if k is not None and string_key(k) is not None
            ]
        elif isinstance(element, ast.Name) and element.id in entries:
            container = element.id
            pairs += [
                (k, ast.Name(entry_name(container, k), ast.Load())) for k in entries[container]
            ]
        elif not _is_loss(element, loss) and element is not None:
            unnamed.append(element)
    return pairs, unnamed


def _is_loss(element: ast.expr, loss: str | None) -> bool:
    return isinstance(element, ast.Name) and (element.id == loss or element.id in LOSS_NAMES)


def _weights(statements: list[ast.stmt], body: Body, params: Sequence[str]) -> list[str]:
    """Names that may be weights: --params, else arguments and names read but never set."""
    if params:
        return list(params)
    assigned = {
        n.id
        for s in statements
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    read = [
        n.id
        for s in statements
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in assigned
    ]
    return list(dict.fromkeys([*body.arguments, *read]))


def gradient_of(value: ast.expr, weights: list[str]) -> str | None:
    """The weight a returned value's name says it is the gradient of: dW1, grad_W1, W1_grad."""
    if not isinstance(value, ast.Name):
        return None
    match = _GRADIENT_NAME.match(value.id)
    if match is None or match.group("base") == value.id:
        return None
    base = match.group("base")
    return base if base in weights else None


def _by_order(unnamed, matched, params, body: Body, returned: ast.Return):
    """Values no name matches, given to the --params weights in their order; a function
    that returns nothing named as a gradient (its loss, its predictions) claims nothing."""
    rest = [p for p in params if p not in matched]
    if params and len(rest) == len(unnamed):
        return list(zip(rest, unnamed, strict=True))
    if not params and not matched:
        return []
    raise SpecError(
        f"cannot tell which parameter each returned value of {body.where} is the gradient "
        "of: name them after their parameters (dW1 for W1) or pass --params W1,b1,...",
        file=body.file,
        line=returned.lineno,
    )
