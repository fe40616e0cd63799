"""What a training step's style says that its arguments don't: whether it works on arrays,
whether its data are vectors of samples (Python's ``sum``/``len``, no matrix product, a
per-sample loop's ``X[0]``), and which learning rate a step leaves out."""

from __future__ import annotations

import ast

from symbackprop.readers import codeflow
from symbackprop.readers.pyslice import loads
from symbackprop.readers.whitelist import ARRAY_CONSTRUCTORS, Namespace, qualified_name

_ARRAY_ATTRIBUTES = {"T", "dot", "shape", "reshape", "ravel", "flatten"}
_ARRAY_CALLS = {
    "numpy.dot",
    "numpy.matmul",
    "numpy.vstack",
    "numpy.hstack",
    "numpy.size",
    "numpy.sum",
    "numpy.matrix",
    "numpy.transpose",
    "numpy.einsum",
    "numpy.concatenate",
    "numpy.arange",
    "numpy.eye",
    "numpy.add.at",
    "numpy.expand_dims",
    "numpy.reshape",
    "numpy.ravel",
}


def looks_vectorised(statements: list[ast.stmt], tree: ast.Module) -> bool:
    """Whether the code works on arrays: ``.T``, ``.dot``, ``@``, constructors, ``np.dot``,
    or Python's ``sum(x * r)`` and ``len(x)`` of data (not a loop's ``range(len(x))``)."""
    namespace = Namespace.from_imports(tree)
    wanted = _ARRAY_CALLS | ARRAY_CONSTRUCTORS
    for statement in statements:
        in_range = {
            id(argument)
            for node in ast.walk(statement)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if node.func.id == "range"
            for argument in node.args
        }
        for node in ast.walk(statement):
            if _whole_array_builtin(node, namespace) and id(node) not in in_range:
                return True
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                return True
            if isinstance(node, ast.Attribute) and node.attr in _ARRAY_ATTRIBUTES:
                return True
            if isinstance(node, ast.Call) and qualified_name(node.func, namespace) in wanted:
                return True
    return False


def _whole_array_builtin(node: ast.AST, namespace: Namespace) -> bool:
    """``sum(x * (y - p))`` or ``len(x)`` of a name: Python's builtins over a whole array."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    name = node.func.id
    if name not in ("sum", "len") or name in namespace.functions or len(node.args) != 1:
        return False
    (argument,) = node.args
    if isinstance(argument, ast.GeneratorExp | ast.ListComp | ast.List | ast.Tuple):
        return False  # sum(w[i] * x[i] for i in ...): numbers, element by element
    return name == "sum" or isinstance(argument, ast.Name)


def elementwise_only(statements: list[ast.stmt]) -> bool:
    """No matrix product, transpose or axis anywhere: code over vectors, entry by entry."""
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                return False
            if isinstance(node, ast.Attribute) and node.attr in ("dot", "T", "matmul", "shape"):
                return False
            if isinstance(node, ast.keyword) and node.arg == "axis":
                return False
            if isinstance(node, ast.Name) and node.id in ("dot", "matmul", "einsum", "outer"):
                return False
            if isinstance(node, ast.Attribute) and node.attr in ("einsum", "outer", "transpose"):
                return False
    return True


def reads_samples(statements: list[ast.stmt], data: set[str]) -> bool:
    """Whether a per-sample loop was unrolled: ``X[0]`` of a data argument (not a weight of a
    list, ``weights[0]``)."""
    for statement in statements:
        for node in ast.walk(statement):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in data
                and isinstance(node.slice, ast.Constant)
                and type(node.slice.value) is int
            ):
                return True
    return False


# Names a learning rate goes by, for a step that leaves out the one rate the function takes.
RATE_NAMES = frozenset({"lr", "learning_rate", "alpha", "eta", "step_size", "rate"})


def factor_names(step: ast.expr) -> set[str]:
    """The names a step multiplies by: ``lr`` and ``dW`` of ``-lr * dW``."""
    factors = codeflow.product_factors(step)
    if len(factors) == 1 and isinstance(step, ast.BinOp) and isinstance(step.op, ast.MatMult):
        factors = codeflow.product_factors(step.left)  # ``lr * a1.T @ d``: (lr * a1.T) @ d
    factors = [f.operand if isinstance(f, ast.UnaryOp) else f for f in factors]
    return {f.id for f in factors if isinstance(f, ast.Name)}


def shared_rate(update, records, arguments, updated: set[str]) -> str | None:
    """The learning rate every other step of the code takes (or, for the only step, the rate
    the function takes and never reads), for ``update``, a step with no rate or number as a
    factor of its own; None where there is none."""
    others = [
        r.update
        for r in records
        if r.update is not None and not r.update.returned and r.update is not update
    ]
    if not others:  # the only step: a rate the function takes and never reads?
        read = {name for r in records for name in loads(r.node)}
        unread = [a for a in arguments if a in RATE_NAMES and a not in read]
        return unread[0] if len(unread) == 1 else None
    computed = {r.target for r in records if r.target and not _is_number(r.value)}
    common = set.intersection(*(factor_names(o.step) for o in others))
    common -= computed | updated
    return common.pop() if len(common) == 1 and len(others) >= 2 else None


def _is_number(node: ast.expr) -> bool:
    """``0.1`` or ``-0.1``: what a rate is set to."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)
