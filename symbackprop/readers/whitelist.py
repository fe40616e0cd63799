"""What the Python reader accepts: callable functions and methods, and inert statements.

One table per kind of thing, so that allowing a new function is one entry here. Names of
constructs for error messages live here too, next to what decides they are not allowed.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from symbackprop.ir.activations import ACTIVATIONS
from symbackprop.readers.elementwise import (
    clip,
    expm1,
    heaviside,
    log1p,
    logaddexp,
    maximum,
    product,
    same,
    square,
    where,
    whole,
)

# -- what may be called ------------------------------------------------------------------------
_ELEMENTARY: dict[str, Callable[..., sp.Expr]] = {
    "exp": sp.exp,
    "log": sp.log,
    "tanh": sp.tanh,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "cosh": sp.cosh,
    "sinh": sp.sinh,
}
# Only the spellings that really are elementwise: np.max(a, b) would read b as an axis, and
# math has no abs, max or min.
_EXTREMA = {
    "abs": sp.Abs,
    "max": sp.Max,
    "min": sp.Min,
    "numpy.abs": sp.Abs,
    "numpy.absolute": sp.Abs,
    "math.fabs": sp.Abs,
    "numpy.maximum": maximum,
    "numpy.minimum": sp.Min,
    "torch.abs": sp.Abs,
    "torch.max": sp.Max,
    "torch.min": sp.Min,
    "torch.maximum": maximum,
    "torch.minimum": sp.Min,
}
# Elementwise NumPy that backprop code writes around masks and casts (see elementwise.py).
_MASKS = {
    "numpy.where": where,
    "numpy.heaviside": heaviside,
    "numpy.clip": clip,
    "numpy.copy": same,
    "numpy.square": square,
    "numpy.log1p": log1p,
    "numpy.expm1": expm1,
    "numpy.logaddexp": logaddexp,
    "scipy.special.expit": ACTIVATIONS["sigmoid"],
    "numpy.dot": product,
    "numpy.multiply": product,
    "numpy.sign": sp.sign,
    "float": same,
    "numpy.float64": same,
    "numpy.float32": same,
    "int": whole,
    "bool": whole,
    "numpy.int64": whole,
    "numpy.int32": whole,
    # of one number, in scalar mode (array mode reads them as reductions first)
    "numpy.sum": same,
    "numpy.mean": same,
}
# How many arguments each function takes (at least, at most); any other takes one.
ARITIES: dict[Callable, tuple[int, int | None]] = {
    sp.Max: (2, None),
    sp.Min: (2, None),
    maximum: (2, 2),
    where: (3, 3),
    heaviside: (2, 2),
    clip: (3, 3),
    product: (2, 2),
    logaddexp: (2, 2),
}
_TORCH_ACTIVATIONS = ("sigmoid", "relu", "tanh")
# torch's gelu is the erf form, ours the tanh approximation: deliberately not mapped.
_FUNCTIONAL_ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu", "softplus", "silu")


def _function_table() -> dict[str, Callable[..., sp.Expr]]:
    table: dict[str, Callable[..., sp.Expr]] = dict(_EXTREMA) | _MASKS
    for module in ("numpy", "math", "torch"):
        table.update({f"{module}.{name}": fn for name, fn in _ELEMENTARY.items()})
    table.update({f"torch.{name}": ACTIVATIONS[name] for name in _TORCH_ACTIVATIONS})
    table.update(
        {f"torch.nn.functional.{name}": ACTIVATIONS[name] for name in _FUNCTIONAL_ACTIVATIONS}
    )
    return table


FUNCTIONS = _function_table()

# Tensor methods on a scalar: sum and mean of one number are the number itself.
METHODS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "exp": sp.exp,
    "log": sp.log,
    "tanh": sp.tanh,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "sigmoid": ACTIVATIONS["sigmoid"],
    "relu": ACTIVATIONS["relu"],
    "sum": same,
    "mean": same,
    "copy": same,
}
# ``mask.astype(float)``: the types a cast may name; an integer cast keeps only a mask's 0 and 1.
CASTS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "float": same,
    "numpy.float64": same,
    "numpy.float32": same,
    "int": whole,
    "bool": whole,
    "numpy.int64": whole,
    "numpy.int32": whole,
}

# -- array mode: hand-written NumPy in the checker's formulas and code ---------------------------
# Each name maps to the kind of operation the array translator builds for it.
ARRAY_FUNCTIONS: dict[str, str] = {
    "numpy.dot": "dot",
    "numpy.matmul": "dot",
    "numpy.outer": "outer",
    "numpy.multiply": "multiply",
    "numpy.add": "add",
    "numpy.subtract": "subtract",
    "numpy.divide": "divide",
    "numpy.true_divide": "divide",
    "numpy.power": "power",
    "numpy.square": "square",
    "numpy.negative": "negative",
    "numpy.sum": "sum",
    "numpy.mean": "mean",
    "numpy.var": "var",
    "numpy.max": "max",
    "numpy.amax": "max",
    "numpy.transpose": "transpose",
    "numpy.vstack": "vstack",
    "numpy.hstack": "hstack",
    "numpy.size": "size",
    "numpy.matrix": "matrix",
    "numpy.asmatrix": "matrix",
    "numpy.array": "array",
    "numpy.asarray": "array",
    "sum": "sum",
    "len": "len",
    **{f"numpy.{kind}": kind for kind in ("zeros", "ones", "full")},
    "numpy.eye": "eye",
    "numpy.clip": "clip",
    "numpy.identity": "eye",
    **{f"numpy.{kind}_like": f"{kind}_like" for kind in ("zeros", "ones", "full")},
    # structure and indexing (symbackprop.readers.arraystructure)
    "numpy.einsum": "einsum",
    "numpy.concatenate": "concatenate",
    "numpy.reshape": "reshape",
    "numpy.ravel": "ravel",
    "numpy.squeeze": "squeeze",
    "numpy.expand_dims": "expand_dims",
}
# Arrays made full of one value, and that value (None: the call says).
FILLS = {"zeros": 0, "ones": 1, "full": None, "zeros_like": 0, "ones_like": 1, "full_like": None}
ARRAY_METHODS: dict[str, str] = {
    "dot": "dot",
    "sum": "sum",
    "mean": "mean",
    "var": "var",
    "max": "max",
    "transpose": "transpose",
    # structure and indexing (symbackprop.readers.arraystructure)
    "reshape": "reshape",
    "ravel": "ravel",
    "flatten": "ravel",
    "squeeze": "squeeze",
}
# Calls that make a fresh array (data or initial weights): a leaf, never a computation.
ARRAY_CONSTRUCTORS = frozenset(
    {
        "numpy.array",
        "numpy.matrix",
        "numpy.asarray",
        "numpy.zeros",
        "numpy.ones",
        "numpy.empty",
        "numpy.random.random",
        "numpy.random.random_sample",
        "numpy.random.rand",
        "numpy.random.randn",
        "numpy.random.uniform",
        "numpy.random.normal",
        "numpy.random.standard_normal",
    }
)

BINARY_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
COMPARISONS = {
    ast.Gt: sp.StrictGreaterThan,
    ast.GtE: sp.GreaterThan,
    ast.Lt: sp.StrictLessThan,
    ast.LtE: sp.LessThan,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}
OPERATOR_NAMES = {
    ast.FloorDiv: "'//'",
    ast.Mod: "'%'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.BitOr: "'|'",
    ast.BitXor: "'^'",
    ast.BitAnd: "'&'",
    ast.Not: "'not'",
    ast.Invert: "'~'",
}
# Friendlier names than the ast class names for the constructs people actually write.
_CONSTRUCT_NAMES = {
    "Lambda": "lambda",
    "ListComp": "list comprehension",
    "SetComp": "set comprehension",
    "DictComp": "dict comprehension",
    "GeneratorExp": "generator expression",
    "Compare": "comparison",
    "BoolOp": "'and'/'or'",
    "IfExp": "conditional expression",
    "JoinedStr": "f-string",
    "List": "list",
    "Tuple": "tuple",
    "Dict": "dict",
    "Set": "set",
    "Starred": "starred expression",
    "NamedExpr": "':=' assignment",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
    "Slice": "slice",
}


def describe(node: ast.AST) -> str:
    """A short human name for an ast construct, used in error messages."""
    kind = type(node).__name__
    return _CONSTRUCT_NAMES.get(kind, f"'{kind}'")


@dataclass
class Namespace:
    """What a file's imports make callable: module aliases and bare function names."""

    modules: dict[str, str] = field(
        default_factory=lambda: {"np": "numpy", "numpy": "numpy", "math": "math", "torch": "torch"}
    )
    functions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_imports(cls, tree: ast.Module) -> Namespace:
        """Read ``import numpy as np`` and ``from numpy import exp as e`` style imports."""
        namespace = cls()
        for statement in tree.body:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.asname:
                        namespace.modules[alias.asname] = alias.name
                    else:  # ``import torch.nn`` binds ``torch``
                        root = alias.name.split(".")[0]
                        namespace.modules[root] = root
            elif isinstance(statement, ast.ImportFrom) and statement.module:
                namespace._add_from(statement)
        return namespace

    def _add_from(self, statement: ast.ImportFrom) -> None:
        for alias in statement.names:
            qualified = f"{statement.module}.{alias.name}"
            bound = alias.asname or alias.name
            if qualified in FUNCTIONS or qualified in ARRAY_FUNCTIONS:
                self.functions[bound] = qualified
            else:  # ``from torch.nn import functional as F`` binds a module
                self.modules[bound] = qualified

    def function(self, qualified: str) -> Callable[..., sp.Expr] | None:
        return FUNCTIONS.get(qualified)


# -- statements that carry no computation ------------------------------------------------------
def same_name(target: ast.expr, value: ast.expr) -> bool:
    """``x = x``, ``a, x = b, x``: a name given itself."""
    return isinstance(target, ast.Name) and isinstance(value, ast.Name) and target.id == value.id


def assigned_name(statement: ast.stmt) -> str | None:
    """The target of ``name = expr`` or ``name: type = expr``; None for anything else."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def is_inert(statement: ast.stmt) -> bool:
    """Docstrings, ``pass``, imports, ``global``, ``print(...)`` and ``loss.backward()``."""
    if isinstance(statement, ast.Pass | ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
        return True
    if not isinstance(statement, ast.Expr):
        return False
    value = statement.value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return True
    return isinstance(value, ast.Call) and (
        (isinstance(value.func, ast.Name) and value.func.id == "print")
        or backward_target(statement) is not None
    )


def backward_target(statement: ast.stmt) -> str | None:
    """``loss`` for the statement ``loss.backward()``."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    func = statement.value.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "backward"
        and isinstance(func.value, ast.Name)
    ):
        return func.value.id
    return None


_STATEMENT_NAMES = {
    "If": "an 'if' statement",
    "For": "a 'for' loop",
    "While": "a 'while' loop",
    "With": "a 'with' block",
    "Try": "a 'try' block",
    "AugAssign": "an augmented assignment",
    "FunctionDef": "a nested function",
    "ClassDef": "a class",
    "Delete": "'del'",
    "Raise": "'raise'",
    "Assert": "'assert'",
    "Expr": "an expression statement",
    "Return": "a bare 'return'",
}


def describe_statement(statement: ast.stmt) -> str:
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        return "an assignment to an element, an attribute or several names"
    return _STATEMENT_NAMES.get(type(statement).__name__, f"'{type(statement).__name__}'")


def called_name(node: ast.AST) -> str | None:
    """The last part of a called function's name (``mse`` for ``mse(a)``, ``dot`` for
    ``np.dot(a, b)`` and ``a.dot(b)``); None when ``node`` is not such a call."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def attribute_root(node: ast.expr) -> ast.expr:
    """``np`` for ``np.random.rand``: what a chain of attributes starts from."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def qualified_name(func: ast.expr, namespace: Namespace) -> str | None:
    """The dotted name a called function resolves to (``np.dot`` -> ``numpy.dot``), or None."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    if not parts:
        return namespace.functions.get(func.id)
    module = namespace.modules.get(func.id)
    return None if module is None else ".".join([module, *parts])
