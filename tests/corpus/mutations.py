"""Mistakes people make in backprop, as operators on one backward statement (moving an update
up, the one mistake that spans two lines, is made in cases.py).

Each operator takes a statement and returns its mutants, ``(mutation, statement or None)``;
None deletes the line. A mutation is not known to be wrong: the oracle decides (``z >= 0``
for ``z > 0`` is right almost everywhere). ``DIAGNOSES`` says how ``check`` should explain
each mistake (the kinds of diagnosis that fit, and a word the message must name), so
diagnoses can be scored; a mutation missing from it is not scored.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from typing import NamedTuple

Mutant = tuple[str, ast.stmt | None]


class Expected(NamedTuple):
    """How ``check`` should explain a mistake: one of ``kinds``, naming ``hint`` if given."""

    kinds: frozenset[str]
    hint: str | None = None

    def met_by(self, diagnosis) -> bool:
        if diagnosis is None or diagnosis.kind not in self.kinds:
            return False
        return self.hint is None or self.hint in diagnosis.message


def _expect(*kinds: str, hint: str | None = None) -> Expected:
    return Expected(frozenset(kinds), hint)


DIAGNOSES = {
    "drop a factor": _expect("missing factor"),
    "mask left out": _expect("missing factor", "wrong activation derivative"),
    "alias instead of product": _expect("missing factor", "wrong activation derivative"),
    "missing 1/N": _expect("missing factor", "constant scale", hint="1/"),
    "mean for sum": _expect("extra factor", "constant scale"),
    "extra factor 2": _expect("extra factor", "constant scale", hint="2"),
    "sign flip": _expect("sign"),
    "update sign": _expect("sign"),
    "wrong activation derivative": _expect("wrong activation derivative"),
    "derivative at the wrong value": _expect("wrong activation derivative"),
    "transpose": _expect("transposed", "shape or broadcast"),
    "operands swapped": _expect("transposed", "shape or broadcast"),
    "wrong axis": _expect("wrong axis", "shape or broadcast"),
    "keepdims dropped": _expect("wrong axis", "shape or broadcast"),
    "learning rate inside": _expect("extra factor", "constant scale"),
}


def _value(statement: ast.stmt) -> ast.expr | None:
    return getattr(statement, "value", None)


def _each(statement: ast.stmt, wanted: Callable[[ast.AST], bool]) -> Iterator[tuple]:
    """A fresh copy of ``statement`` per node ``wanted`` picks, with that node in the copy."""
    count = sum(1 for n in ast.walk(_value(statement) or ast.Module([], [])) if wanted(n))
    for index in range(count):
        fresh = copy.deepcopy(statement)
        nodes = [n for n in ast.walk(fresh.value) if wanted(n)]
        yield fresh, nodes[index]


def _replaced(root: ast.stmt, old: ast.AST, new: ast.AST) -> ast.stmt:
    if root.value is old:
        root.value = new
        return root
    for parent in ast.walk(root.value):
        for field, child in ast.iter_fields(parent):
            if child is old:
                setattr(parent, field, new)
                return root
            if isinstance(child, list) and any(c is old for c in child):
                setattr(parent, field, [new if c is old else c for c in child])
                return root
    raise AssertionError("node not found")


def _is_mask(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return isinstance(node, ast.Compare) or "astype" in text or ">" in text or "<" in text


def drop_factor(statement) -> list[Mutant]:
    out = []
    product = lambda n: isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult)  # noqa: E731
    for side in ("left", "right"):
        for fresh, node in _each(statement, product):
            kept, dropped = (node.left, node.right) if side == "left" else (node.right, node.left)
            name = "drop a factor"
            if isinstance(fresh, ast.Assign) and fresh.value is node and isinstance(kept, ast.Name):
                name = "alias instead of product"  # dz = da, for dz = da * (1 - a ** 2)
            if _is_mask(dropped):
                name = "mask left out"
            out.append((name, _replaced(fresh, node, kept)))
    return _distinct(out)


def missing_one_over_n(statement) -> list[Mutant]:
    out = []
    divides = lambda n: (  # noqa: E731
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and not _constant(n.right)
    )
    for fresh, node in _each(statement, divides):
        out.append(("missing 1/N", _replaced(fresh, node, node.left)))
    for fresh, node in _each(statement, lambda n: _call_named(n, "mean")):
        node.func = _renamed(node.func, "sum")
        out.append(("missing 1/N", fresh))
    return out


def mean_for_sum(statement) -> list[Mutant]:
    out = []
    for fresh, node in _each(statement, lambda n: _call_named(n, "sum")):
        node.func = _renamed(node.func, "mean")
        out.append(("mean for sum", fresh))
    return out


def _constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _call_named(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == name) or (
        isinstance(func, ast.Name) and func.id == name
    )


def _renamed(func: ast.expr, name: str) -> ast.expr:
    if isinstance(func, ast.Attribute):
        func.attr = name
    else:
        func.id = name
    return func


def _step_of(statement: ast.stmt) -> ast.BinOp | None:
    """``W - lr * dW`` of ``W = W - lr * dW``: an update written as an assignment."""
    value = _value(statement)
    if (
        isinstance(statement, ast.Assign)
        and isinstance(value, ast.BinOp)
        and isinstance(value.op, ast.Sub | ast.Add)
        and ast.unparse(value.left) == ast.unparse(statement.targets[0])
    ):
        return value
    return None


def extra_factor_two(statement) -> list[Mutant]:
    if _value(statement) is None:
        return []
    fresh = copy.deepcopy(statement)
    step = _step_of(fresh)
    if step is not None:  # W = W - 2 * (lr * dW), not 2 * (W - lr * dW)
        step.right = ast.BinOp(ast.Constant(2), ast.Mult(), step.right)
    else:
        fresh.value = ast.BinOp(ast.Constant(2), ast.Mult(), fresh.value)
    return [("extra factor 2", fresh)]


def sign_flip(statement) -> list[Mutant]:
    if _value(statement) is None:
        return []
    fresh = copy.deepcopy(statement)
    step = _step_of(fresh)
    if isinstance(fresh, ast.AugAssign) and isinstance(fresh.op, ast.Sub | ast.Add):
        fresh.op = ast.Add() if isinstance(fresh.op, ast.Sub) else ast.Sub()
        return [("update sign", fresh)]
    if step is not None:
        step.op = ast.Add() if isinstance(step.op, ast.Sub) else ast.Sub()
        return [("update sign", fresh)]
    fresh.value = ast.UnaryOp(ast.USub(), fresh.value)
    return [("sign flip", fresh)]


def _tanh_derivative(node: ast.AST) -> ast.expr | None:
    """``a`` of ``1 - a ** 2``, ``1 - a * a``, ``1 - np.power(a, 2)``, ``1 - np.tanh(z) ** 2``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _constant(node.left)):
        return None
    square = node.right
    if isinstance(square, ast.BinOp) and isinstance(square.op, ast.Pow):
        return square.left
    if isinstance(square, ast.BinOp) and isinstance(square.op, ast.Mult):
        return square.left if ast.dump(square.left) == ast.dump(square.right) else None
    if _call_named(square, "power") and len(square.args) == 2:
        return square.args[0]
    return None


def _logistic_derivative(node: ast.AST) -> tuple[ast.expr | None, ast.expr] | None:
    """``(g, a)`` of ``g * a * (1 - a)`` (``g`` None for a bare ``a * (1 - a)``)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return None
    right = node.right
    if not (
        isinstance(right, ast.BinOp) and isinstance(right.op, ast.Sub) and _constant(right.left)
    ):
        return None
    a = right.right
    if ast.dump(node.left) == ast.dump(a):
        return None, a
    left = node.left
    if (
        isinstance(left, ast.BinOp)
        and isinstance(left.op, ast.Mult)
        and ast.dump(left.right) == ast.dump(a)
    ):
        return left.left, a
    return None


def wrong_activation_derivative(statement) -> list[Mutant]:
    """The derivative of tanh written for a sigmoid, and of a sigmoid for tanh."""
    out = []
    for fresh, node in _each(statement, lambda n: _tanh_derivative(n) is not None):
        a = _tanh_derivative(node)
        logistic = ast.BinOp(a, ast.Mult(), ast.BinOp(ast.Constant(1), ast.Sub(), a))
        out.append(("wrong activation derivative", _replaced(fresh, node, logistic)))
    for fresh, node in _each(statement, lambda n: _logistic_derivative(n) is not None):
        g, a = _logistic_derivative(node)
        tanh = ast.BinOp(ast.Constant(1), ast.Sub(), ast.BinOp(a, ast.Pow(), ast.Constant(2)))
        new = tanh if g is None else ast.BinOp(g, ast.Mult(), tanh)
        out.append(("wrong activation derivative", _replaced(fresh, node, new)))
    for fresh, node in _each(statement, lambda n: _call_named(n, "where") and len(n.args) == 3):
        if _constant(node.args[1]) and _constant(node.args[2]):  # leaky ReLU's slope forgotten
            node.args[2] = ast.Constant(0.0)
            out.append(("wrong activation derivative", fresh))
    return out


def activations(tree: ast.AST) -> dict[str, ast.expr]:
    """Each activation's output and the pre-activation it is computed from: ``A1 = f(Z1)``."""
    pairs = {}
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            names = [a for a in statement.value.args if isinstance(a, ast.Name | ast.Attribute)]
            target = statement.targets[0]
            if len(names) == 1 and isinstance(target, ast.Name | ast.Attribute):
                pairs.setdefault(ast.unparse(target), names[0])
    return pairs


def derivative_at_wrong_value(pairs: dict[str, ast.expr]) -> Callable:
    """``Z1 * (1 - Z1)`` for ``A1 * (1 - A1)``: the derivative taken at the pre-activation."""

    def mutate(statement) -> list[Mutant]:
        out = []
        for fresh, node in _each(statement, lambda n: _derivative_of(n) in pairs):
            a = _derivative_of(node)
            for parent in list(ast.walk(node)):
                for field, child in ast.iter_fields(parent):
                    if isinstance(child, ast.expr) and ast.unparse(child) == a:
                        setattr(parent, field, copy.deepcopy(pairs[a]))
                    elif isinstance(child, list):
                        swapped = [
                            copy.deepcopy(pairs[a])
                            if isinstance(c, ast.expr) and ast.unparse(c) == a
                            else c
                            for c in child
                        ]
                        setattr(parent, field, swapped)
            out.append(("derivative at the wrong value", fresh))
        return _distinct(out)

    return mutate


def _derivative_value(node: ast.AST) -> ast.expr | None:
    found = _logistic_derivative(node)
    return found[1] if found is not None else _tanh_derivative(node)


def _derivative_of(node: ast.AST) -> str | None:
    value = _derivative_value(node)
    return ast.unparse(value) if value is not None else None


def transpose(statement) -> list[Mutant]:
    out = []
    for fresh, node in _each(statement, lambda n: isinstance(n, ast.Attribute) and n.attr == "T"):
        out.append(("transpose", _replaced(fresh, node, node.value)))
    for fresh, node in _each(statement, lambda n: _call_named(n, "transpose") and n.args):
        out.append(("transpose", _replaced(fresh, node, node.args[0])))
    return out


def operands_swapped(statement) -> list[Mutant]:
    out = []
    matmul = lambda n: isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)  # noqa: E731
    for fresh, node in _each(statement, matmul):
        node.left, node.right = node.right, node.left
        out.append(("operands swapped", fresh))
    for fresh, node in _each(statement, lambda n: _call_named(n, "dot") and len(n.args) == 2):
        node.args = node.args[::-1]
        out.append(("operands swapped", fresh))
    return out


def wrong_axis(statement) -> list[Mutant]:
    out = []
    axis = lambda n: (  # noqa: E731
        isinstance(n, ast.keyword) and n.arg == "axis" and _constant(n.value)
    )
    for fresh, node in _each(statement, axis):
        if node.value.value in (0, 1):
            node.value = ast.Constant(1 - node.value.value)
            out.append(("wrong axis", fresh))
    return out


def keepdims_dropped(statement) -> list[Mutant]:
    out = []
    has = lambda n: isinstance(n, ast.Call) and any(k.arg == "keepdims" for k in n.keywords)  # noqa: E731
    for fresh, node in _each(statement, has):
        node.keywords = [k for k in node.keywords if k.arg != "keepdims"]
        out.append(("keepdims dropped", fresh))
    return out


def line_left_out(statement) -> list[Mutant]:
    """``dz[z <= 0] = 0`` or ``probs[range(n), y] -= 1`` forgotten."""
    target = statement.targets[0] if isinstance(statement, ast.Assign) else None
    if isinstance(statement, ast.AugAssign):
        target = statement.target
    if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Constant):
        return []
    if isinstance(statement, ast.AugAssign):
        return [("-= 1 forgotten", None)]
    return [("mask left out", None)]


def copy_left_out(statement) -> list[Mutant]:
    out = []
    for fresh, node in _each(statement, lambda n: _call_named(n, "copy")):
        plain = node.func.value if isinstance(node.func, ast.Attribute) and not node.args else None
        if plain is not None and not (isinstance(plain, ast.Name) and plain.id == "np"):
            out.append(("alias instead of copy", _replaced(fresh, node, plain)))
    return out


def learning_rate_inside(lr: str) -> Callable:
    def mutate(statement) -> list[Mutant]:
        if _value(statement) is None or not isinstance(statement, ast.Assign):
            return []
        fresh = copy.deepcopy(statement)
        fresh.value = ast.BinOp(ast.parse(lr, mode="eval").body, ast.Mult(), fresh.value)
        return [("learning rate inside", fresh)]

    return mutate


def _distinct(mutants: list[Mutant]) -> list[Mutant]:
    seen, out = set(), []
    for name, statement in mutants:
        text = ast.unparse(statement) if statement is not None else ""
        if text not in seen:
            seen.add(text)
            out.append((name, statement))
    return out


# The specific mistakes first: a family keeps one of each kind before a second of any.
PRIORITY = (
    "wrong activation derivative",
    "derivative at the wrong value",
    "update too early",
    "missing 1/N",
    "mask left out",
    "alias instead of product",
    "-= 1 forgotten",
    "alias instead of copy",
    "transpose",
    "wrong axis",
    "keepdims dropped",
    "learning rate inside",
    "mean for sum",
    "drop a factor",
    "operands swapped",
    "update sign",
    "sign flip",
    "extra factor 2",
)

OPERATORS = (
    drop_factor,
    missing_one_over_n,
    mean_for_sum,
    extra_factor_two,
    sign_flip,
    wrong_activation_derivative,
    transpose,
    operands_swapped,
    wrong_axis,
    keepdims_dropped,
    line_left_out,
    copy_left_out,
)
