"""Statements that write into arrays, as the assignments they mean (nothing is run).

A training step is read as a list of assignments, so a write in place becomes one:

- ``d /= N``, ``d *= mask``                    -> ``d = d / N``, ``d = d * mask``
- ``dscores[np.arange(N), y] -= 1`` (or ``+=``) -> ``dscores = LabelWrite(...)``
- ``Y = np.zeros((N, C)); Y[np.arange(N), y] = 1`` -> ``Y = LabelWrite(...)`` from zeros
- ``np.add.at(dW, idx, dout)``                 -> ``dW = AddAt(...)``, from zeros likewise

:class:`LabelWrite` and :class:`AddAt` are expression nodes of their own, which the array
translator reads (:mod:`~symbackprop.readers.arrayindexing`); no source text can spell them.
A zeros array filled in by index is one value, not an input: the two statements become one.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Collection

from symbackprop.errors import UnsupportedConstruct
from symbackprop.readers.whitelist import ARRAY_CONSTRUCTORS, Namespace, qualified_name


class LabelWrite(ast.expr):
    """``array[rows, labels] op= value``; ``array`` None: into zeros ``width`` columns wide."""

    _fields = ("array", "rows", "labels", "value", "width")
    op = "set"  # "set", "add" or "sub"
    columns = False  # ``array[labels, np.arange(m)]``: samples as columns, classes as rows


class AddAt(ast.expr):
    """``np.add.at(array, indices, values)``; ``array`` None: into zeros of ``rows`` rows."""

    _fields = ("array", "indices", "values", "rows")


def as_assignments(statements: list[ast.stmt], namespace: Namespace, file: str) -> list[ast.stmt]:
    """``statements`` with each write into an array made the assignment it means."""
    result: list[ast.stmt] = []
    computed: set[str] = set()
    ranges: dict[str, ast.Call] = {}
    for statement in statements:
        statement = _ranges_written_out(statement, ranges)
        _refuse_buffered_add(statement, file)
        if _added_to_computed(statement, computed):
            result.append(_accumulated(statement))
            continue
        result.append(_rewritten(statement, namespace, result))
        computed |= _computes(statement, namespace)
        _remember_range(statement, namespace, ranges)
    return [s for s in result if s is not None]


def _remember_range(statement: ast.stmt, namespace: Namespace, ranges: dict) -> None:
    """``rows = np.arange(N)``: a name for every row, remembered to be written out."""
    target = _target(statement)
    if target is None:
        return
    ranges.pop(target, None)
    if is_range(statement.value, namespace):
        ranges[target] = statement.value


def _ranges_written_out(statement: ast.stmt, ranges: dict[str, ast.Call]) -> ast.stmt:
    """``probs[rows, y]`` as ``probs[np.arange(N), y]`` when ``rows = np.arange(N)``."""
    if not ranges:
        return statement
    statement = copy.deepcopy(statement)
    for node in ast.walk(statement):
        index = node.slice if isinstance(node, ast.Subscript) else None
        if isinstance(index, ast.Tuple) and len(index.elts) == 2:
            first = index.elts[0]
            if isinstance(first, ast.Name) and first.id in ranges:
                index.elts[0] = ast.copy_location(copy.deepcopy(ranges[first.id]), first)
    return statement


def _rewritten(statement: ast.stmt, namespace: Namespace, before: list) -> ast.stmt:
    if _scaled_in_place(statement):
        name = statement.target.id
        value = ast.BinOp(left=ast.Name(name, ast.Load()), op=statement.op, right=statement.value)
        return _assign(name, value, statement)
    label_target = _label_target(statement, namespace)
    if label_target is not None:
        name, rows, labels, columns = label_target
        op = _WRITE_OPS[type(statement.op)] if isinstance(statement, ast.AugAssign) else "set"
        zeros = _zeros_before(name, before, namespace) if op == "set" else None
        write = LabelWrite(
            array=None if zeros else ast.Name(name, ast.Load()),
            rows=rows,
            labels=labels,
            value=statement.value,
            width=zeros[0 if columns else 1] if zeros else None,
        )
        write.op, write.columns = op, columns
        return _assign(name, write, statement)
    added = _add_at(statement, namespace)
    if added is not None:
        name, indices, values = added
        zeros = _zeros_before(name, before, namespace)
        node = AddAt(
            array=None if zeros else ast.Name(name, ast.Load()),
            indices=indices,
            values=values,
            rows=zeros[0] if zeros else None,
        )
        return _assign(name, node, statement)
    return statement


_WRITE_OPS = {ast.Add: "add", ast.Sub: "sub"}


def _computes(statement: ast.stmt, namespace: Namespace) -> set[str]:
    """The name ``statement`` computes from data (not a constant nor a fresh array)."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return set()
    target, value = statement.targets[0], statement.value
    if not isinstance(target, ast.Name) or isinstance(value, ast.Constant):
        return set()
    made = any(
        isinstance(n, ast.Call) and qualified_name(n.func, namespace) in ARRAY_CONSTRUCTORS
        for n in ast.walk(value)
    )
    return set() if made else {target.id}


def _added_to_computed(statement: ast.stmt, computed: set[str]) -> bool:
    """``dW += reg * W`` on a gradient the code computed: a sum, not a parameter's update."""
    return (
        isinstance(statement, ast.AugAssign)
        and isinstance(statement.op, ast.Add | ast.Sub)
        and isinstance(statement.target, ast.Name)
        and statement.target.id in computed
    )


def _accumulated(statement: ast.AugAssign) -> ast.Assign:
    # written as ``dW = reg * W + dW``: ``dW = dW + ...`` is how updates are spelled
    name = statement.target.id
    added = statement.value
    if isinstance(statement.op, ast.Sub):
        added = ast.UnaryOp(op=ast.USub(), operand=added)
    total = ast.BinOp(left=added, op=ast.Add(), right=ast.Name(name, ast.Load()))
    return _assign(name, total, statement)


def _refuse_buffered_add(statement: ast.stmt, file: str) -> None:
    """``dW[idx] += g`` adds once per distinct index (NumPy buffers the write), which is wrong
    wherever an index repeats: say so rather than read it as an accumulation."""
    if not (isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Subscript)):
        return
    target = statement.target
    index = target.slice
    if isinstance(target.value, ast.Name) and isinstance(index, ast.Name | ast.Attribute):
        name, text = target.value.id, ast.unparse(index)
        raise UnsupportedConstruct(
            f"'{name}[{text}] {_OP_TEXT.get(type(statement.op), '?=')} ...' changes each "
            "distinct index once, dropping repeats, and is not supported "
            f"(accumulate with np.add.at({name}, {text}, ...))",
            file=file,
            line=statement.lineno,
        )


_OP_TEXT = {ast.Add: "+=", ast.Sub: "-="}


def _scaled_in_place(statement: ast.stmt) -> bool:
    """``d /= N`` or ``d *= mask`` (``-=`` and ``+=`` on a name are updates)."""
    return (
        isinstance(statement, ast.AugAssign)
        and isinstance(statement.target, ast.Name)
        and isinstance(statement.op, ast.Mult | ast.Div)
    )


def _assign(name: str, value: ast.expr, like: ast.stmt) -> ast.Assign:
    ast.copy_location(value, like)
    for node in ast.walk(value):
        if not hasattr(node, "lineno"):
            ast.copy_location(node, like)
    assignment = ast.Assign(targets=[ast.Name(name, ast.Store())], value=value)
    return ast.copy_location(assignment, like)


def _label_target(statement: ast.stmt, namespace: Namespace):
    """(name, rows, labels, columns) for ``name[np.arange(N), labels] = ...``, ``+=`` or
    ``-=``; columns True for ``name[labels, np.arange(m)]`` (samples as columns)."""
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add | ast.Sub):
        target = statement.target
    elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    else:
        return None
    if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
        return None
    index = target.slice
    if not (isinstance(index, ast.Tuple) and len(index.elts) == 2):
        return None
    rows, labels = index.elts
    columns = not is_range(rows, namespace) and is_range(labels, namespace)
    if columns:
        rows, labels = labels, rows
    if not is_range(rows, namespace) or isinstance(labels, ast.Slice | ast.Constant):
        return None
    return target.value.id, rows, labels, columns


def is_range(node: ast.expr, namespace: Namespace) -> bool:
    """``np.arange(...)`` or ``range(...)``."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name) and node.func.id == "range":
        return True
    return qualified_name(node.func, namespace) == "numpy.arange"


def _add_at(statement: ast.stmt, namespace: Namespace):
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    call = statement.value
    if qualified_name(call.func, namespace) != "numpy.add.at" or call.keywords:
        return None
    if len(call.args) != 3 or not isinstance(call.args[0], ast.Name):
        return None
    return call.args[0].id, call.args[1], call.args[2]


def _zeros_before(name: str, before: list, namespace: Namespace):
    """(rows, columns) of ``name = np.zeros((rows, columns))`` or ``np.zeros_like(a)`` when
    that is how ``name`` was last made and nothing read it since; that statement is dropped."""
    for position in range(len(before) - 1, -1, -1):
        statement = before[position]
        if statement is None:
            continue
        if _target(statement) == name:
            sizes = _zeros_sizes(statement.value, namespace)
            if sizes is not None:
                before[position] = None
            return sizes
        if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(statement)):
            return None
    return None


def _target(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def _zeros_sizes(value: ast.expr, namespace: Namespace):
    if not (isinstance(value, ast.Call) and len(value.args) == 1):
        return None
    kind = qualified_name(value.func, namespace)
    (size,) = value.args
    if kind == "numpy.zeros" and isinstance(size, ast.Tuple | ast.List) and len(size.elts) == 2:
        return tuple(size.elts)
    if kind == "numpy.zeros_like":
        return tuple(
            ast.Subscript(ast.Attribute(size, "shape", ast.Load()), ast.Constant(axis), ast.Load())
            for axis in (0, 1)
        )
    return None


def label_names(
    statements: list[ast.stmt], namespace: Namespace, arguments: Collection[str] = ()
) -> set[str]:
    """Names used as class labels (``y`` in ``probs[np.arange(N), y]``, ``np.eye(C)[y]``,
    ``np.add.at(dW, idx, dout)``, an argument ``idx`` in ``W[idx]``): vectors, whatever an
    argument list does not say."""
    found = set()
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, LabelWrite):
                found.add(node.labels)
            elif isinstance(node, AddAt):
                found.add(node.indices)
            elif isinstance(node, ast.Subscript):
                found.update(_labels_of(node, namespace))
                if isinstance(node.slice, ast.Name) and node.slice.id in arguments:
                    found.add(node.slice)  # an argument, so not a loop's counter
    return {n.id for n in found if isinstance(n, ast.Name)}


def _labels_of(node: ast.Subscript, namespace: Namespace) -> list[ast.expr]:
    index = node.slice
    if isinstance(index, ast.Tuple) and len(index.elts) == 2 and is_range(index.elts[0], namespace):
        return [index.elts[1]]
    value = node.value
    if isinstance(value, ast.Call) and qualified_name(value.func, namespace) in (
        "numpy.eye",
        "numpy.identity",
    ):
        return [index]
    return []
