"""The shapes people write a training step in, rewritten on the ast into one (nothing is run).

:mod:`~symbackprop.readers.codeflow` reads plain ``name = expr`` lines and ``w -= step``
updates. Here the other shapes become those (loops are :mod:`codeloops`' job):

- a method's calls to the object's other methods as statements (``out = self.forward(X)``),
  inlined;
- weights in dicts and on objects: ``params['W1']``, ``self.W1``, ``self.params['W1']`` are
  the name ``W1``; a dict the code fills itself (``grads = {}``; ``grads['W1'] = ...``) keeps
  its entries as values named ``grads['W1']``;
- gradients returned rather than applied (``return dW1, db1``, ``return {'W1': dW1}``,
  ``return loss, grads``): each is the claim an update would make, ``W1 -= dW1``, matched to
  its parameter by name (``dW1``, ``grad_W1``, ``W1_grad`` are W1's), failing that by the
  order of the weights ``--params`` names.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import re
from collections.abc import Sequence

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.readers import codeflow, codeloops, pyslice
from symbackprop.readers.callinline import inlined_calls
from symbackprop.readers.codeloops import string_key
from symbackprop.readers.pyslice import LOSS_NAMES, ReturnedGradient
from symbackprop.readers.pysource import Body, too_deep
from symbackprop.readers.whitelist import same_name


def plain_body(body: Body, params: Sequence[str] = (), loss: str | None = None) -> Body:
    """``body`` with its statements (and its helpers) in the plain shape."""
    # methods and layer calls inlined -> loops unrolled -> entries named -> flattened -> sums
    # -> claims
    statements = _inlined(body.statements, body) if body.instance else body.statements
    statements = inlined_calls(statements, body.helpers, body.file)  # course layer calls
    counts = codeloops.sample_counts(statements)
    statements = codeloops.unrolled(statements, body, loss)
    statements = codeloops.with_sample_count(statements, counts)
    named, names = _named(statements, body)
    returned = named.statements[-1] if named.statements else None
    returned = returned if isinstance(returned, ast.Return) else None
    statements = codeflow.flatten(named.statements, body.file)
    statements, aliases = _entries_as_their_values(statements)
    statements = codeloops.accumulated(statements, returned, loss)
    if (
        returned is not None
        and returned.value is not None
        and not _has_updates(statements, returned)
    ):
        claims = _returns_as_claims(statements, returned, body, names.entries, params, loss)
        statements += [codeloops.Renamed(aliases).visit(claim) for claim in claims]
    return dataclasses.replace(named, statements=statements)


def named_entries(body: Body) -> Body:
    """``body`` with only its weights in dicts and on objects read as names (``self.w``,
    ``params['w']`` as ``w``): what a forward function needs, its loops and returns kept."""
    statements = _inlined(body.statements, body) if body.instance else body.statements
    return _named(statements, body)[0]


def _named(statements: list[ast.stmt], body: Body) -> tuple[Body, _EntryNames]:
    filled = _filled_dicts(statements)
    names = _EntryNames(body.file, body.instance, filled)
    statements = [names.rewritten(s) for s in _split_dicts(statements, filled)]
    statements = _without_aliases(statements)
    helpers = {name: names.rewritten(h) for name, h in body.helpers.items()}
    return dataclasses.replace(body, statements=statements, helpers=helpers), names


def claimed_weights(body: Body, params: Sequence[str] = (), loss: str | None = None) -> set[str]:
    """The names the code updates, or returns gradients of: weights, whatever --params says."""
    updates = (codeflow.as_update(s) for s in plain_body(body, params, loss).statements)
    return {update.param for update in updates if update is not None}


# -- methods called as statements --------------------------------------------------------------
MAX_INLINED = 8  # methods calling methods, deep


def _inlined(statements: list[ast.stmt], body: Body, depth: int = 0) -> list[ast.stmt]:
    """``out = self.forward(X)`` and ``self.backward(X, y, out)`` as the methods' statements,
    their parameters bound to the arguments (``y = t`` where they differ) and the value
    returned assigned to ``out``: the steps a method spreads over others are one body."""
    out: list[ast.stmt] = []
    for statement in statements:
        found = _method_call(statement, body)
        if found is None:
            if isinstance(statement, ast.For | ast.While | ast.With | ast.If):
                statement = copy.copy(statement)
                statement.body = _inlined(statement.body, body, depth)
            out.append(statement)
            continue
        if depth >= MAX_INLINED:
            raise UnsupportedConstruct(
                f"methods calling methods over {MAX_INLINED} deep are not supported",
                file=body.file,
                line=statement.lineno,
            )
        target, call, method = found
        inner = _bound(call, method, statement) + copy.deepcopy(method.body)
        if inner and isinstance(inner[-1], ast.Return):
            returned = inner.pop()
            if target is not None and returned.value is not None:
                inner.append(ast.copy_location(ast.Assign([target], returned.value), returned))
        out += _inlined(inner, body, depth + 1)
    return out


def _method_call(statement: ast.stmt, body: Body):
    """The target, call and method of ``[target =] self.method(...)``, or None."""
    if isinstance(statement, ast.Expr):
        target, value = None, statement.value
    elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    else:
        return None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return None
    if not _is_name(value.func.value, body.instance) or value.func.attr not in body.helpers:
        return None
    method = body.helpers[value.func.attr]
    if any(isinstance(n, ast.Return) for n in method.body[:-1]) or value.keywords:
        return None  # an early return, or keywords: left to be read as an expression
    return target, value, method


def _bound(call: ast.Call, method: ast.FunctionDef, statement: ast.stmt) -> list[ast.stmt]:
    """``parameter = argument`` for each argument that is not that very name."""
    names = [a.arg for a in method.args.args]
    bound = []
    for name, argument in zip(names, call.args, strict=False):
        if not (isinstance(argument, ast.Name) and argument.id == name):
            target = ast.Name(name, ast.Store())
            bound.append(ast.copy_location(ast.Assign([target], argument), statement))
    return bound


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
            if key is None:  # ``{**other}``: not an entry this code names
                continue
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


def _entries_as_their_values(statements: list[ast.stmt]) -> tuple[list[ast.stmt], dict]:
    """``grads['dW1'] = dW1`` names a value the code has named already: reads of the entry
    are reads of ``dW1``, so that a claim on it is judged at the line computing it."""
    aliases: dict[str, str] = {}
    kept = []
    for position, statement in enumerate(statements):
        pairs = _assigned_pairs(statement)
        if pairs and len(pairs) == 1:
            target, value = pairs[0]
            entry = isinstance(target, ast.Name) and "[" in target.id
            if entry and isinstance(value, ast.Name) and _final(statements, value.id, position):
                aliases[target.id] = aliases.get(value.id, value.id)
                continue
        kept.append(statement)
    if not aliases:
        return statements, aliases
    rename = codeloops.Renamed(aliases)
    return [rename.visit(copy.deepcopy(s)) for s in kept], aliases


def _final(statements: list[ast.stmt], name: str, position: int) -> bool:
    """Whether ``name`` is not assigned again after ``position``."""
    later = statements[position + 1 :]
    return not any(name in pyslice.writes(s) for s in later)


def _without_aliases(statements: list[ast.stmt]) -> list[ast.stmt]:
    """Without ``W1 = W1`` (left by ``W1 = params['W1']``: the name was the weight already),
    also inside ``W1, b1 = params['W1'], params['b1']``."""
    kept = []
    for statement in statements:
        pairs = _assigned_pairs(statement)
        if pairs is None:
            kept.append(statement)
            continue
        left = [(t, v) for t, v in pairs if not same_name(t, v)]
        if len(left) == len(pairs):
            kept.append(statement)
        elif left:
            targets = ast.Tuple([t for t, _ in left], ast.Store())
            values = ast.Tuple([v for _, v in left], ast.Load())
            kept.append(ast.copy_location(ast.Assign([targets], values), statement))
    return kept


def _assigned_pairs(statement: ast.stmt) -> list[tuple[ast.expr, ast.expr]] | None:
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return None
    target, value = statement.targets[0], statement.value
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        if len(target.elts) == len(value.elts):
            return list(zip(target.elts, value.elts, strict=True))
        return None
    return [(target, value)]


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


def _has_updates(statements: list[ast.stmt], returned: ast.Return) -> bool:
    """Whether a weight is stepped in place: ``w -= lr * dw``, not ``dw += reg * w`` on a
    gradient the function returns, nor ``dx[np.arange(N), y] -= 1`` on a local array."""
    gradients = {n.id for n in ast.walk(returned.value) if isinstance(n, ast.Name)}
    local = {  # a function's own arrays (``dxc += ...``) are no weights
        n.id
        for s in _walk_statements(statements)
        if isinstance(s, ast.Assign)
        for target in s.targets
        for n in ast.walk(target)
        if isinstance(n, ast.Name)
    }
    return any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.op, ast.Sub | ast.Add)
        and codeflow.target_name(n.target) is not None
        and _root(n.target) not in gradients | local
        for n in _walk_statements(statements)
    )


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


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
    pairs = [(_key_weight(key, weights), value) for key, value in pairs]
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
    """The weight a returned value's name says it is the gradient of: dW1, grad_W1, W1_grad;
    for an expression (``dw / n``), the one weight the names it reads say."""
    names = [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]
    found = {w for w in map(named_weight, names) if w is not None and w in weights}
    return found.pop() if len(found) == 1 else None


def _key_weight(key: str, weights: list[str]) -> str:
    """The weight a key names: ``'W1'``, or ``'dW1'`` in ``{'dW1': ...}``."""
    named = named_weight(key)
    return named if key not in weights and named in weights else key


def named_weight(name: str) -> str | None:
    """``W1`` for ``dW1``, ``grad_W1`` or ``W1_grad``; None for a name that names no weight."""
    match = _GRADIENT_NAME.match(name)
    if match is None or match.group("base") == name:
        return None
    return match.group("base")


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
