"""The one way Python source is opened, for every verb: parsed, a body chosen, literals read.

``derive``/``explain``/``generate``/``verify`` on ``file.py:function`` and ``check`` on
hand-written code both start here (:func:`read_body`), then slice the body with
:mod:`~symbackprop.readers.pyslice`; only what they build from the slice differs (a scalar
forward model, or a forward model plus backward lines and updates).
"""

from __future__ import annotations

import ast
import copy
import warnings
from dataclasses import dataclass
from pathlib import Path

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.limits import check_statements
from symbackprop.readers.whitelist import assigned_name

MAX_SOURCE_CHARS = 1_000_000


@dataclass
class Body:
    """The statements to read (a function's body or a module's) and their surroundings."""

    file: str
    name: str
    statements: list[ast.stmt]
    arguments: dict[str, float | None]  # argument name -> literal default value
    line: int  # of the ``def``, or 1 for a module
    module_level: bool
    helpers: dict[str, ast.FunctionDef]
    instance: str | None = None  # ``self`` in a method: its attributes are plain names

    @property
    def where(self) -> str:
        return self.file if self.module_level else f"{self.name}()"


def read_body(text: str, filename: str, function: str | None) -> tuple[ast.Module, Body]:
    """The parsed file and the body to read: ``function``'s, or the module's statements."""
    tree = parse(text, filename)
    return tree, select_body(tree, filename, function)


def parse(text: str, filename: str) -> ast.Module:
    """``ast.parse`` with every failure turned into one of our errors."""
    if len(text) > MAX_SOURCE_CHARS:
        raise SpecError(f"the source is over {MAX_SOURCE_CHARS} characters", file=filename, line=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the user's invalid escapes are not our business
            tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        if "too many nested" in str(error.msg) or "too complex" in str(error.msg):
            raise too_deep(filename, error.lineno) from None
        raise SpecError(
            f"invalid Python: {error.msg}", file=filename, line=error.lineno or 1
        ) from None
    except ValueError as error:  # null bytes, on Python < 3.12
        line = text.count("\n", 0, max(text.find("\0"), 0)) + 1
        raise SpecError(f"invalid Python: {error}", file=filename, line=line) from None
    except (RecursionError, MemoryError):  # the parser's own stack ran out
        raise too_deep(filename, 1) from None
    check_statements(tree, filename)  # before any work in proportion to them
    return tree


def too_deep(filename: str, line: int | None) -> UnsupportedConstruct:
    return UnsupportedConstruct(
        "code nested too deeply to read is not supported", file=filename, line=line or 1
    )


def select_body(tree: ast.Module, filename: str, function: str | None) -> Body:
    """The statements to read and the names that are arguments: ``function``'s, a method's
    (``Net.train_step``), or the module's."""
    if function is not None and "." in function:
        return _method_body(tree, filename, *function.split(".", 1))
    if function is None:
        return Body(
            filename,
            Path(filename).stem,
            tree.body,
            arguments={},
            line=1,
            module_level=True,
            helpers=_helpers(tree.body),
        )
    defs = [s for s in tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    chosen = next((d for d in defs if d.name == function), None)
    if chosen is None:
        known = ", ".join(d.name for d in defs) or "none"
        raise SpecError(
            f"no function {function!r} in {filename} (functions defined: {known})",
            file=filename,
            line=1,
        )
    return Body(
        filename,
        function,
        chosen.body,
        arguments=_arguments(chosen),
        line=chosen.lineno,
        module_level=False,
        helpers=_helpers(tree.body) | _helpers(chosen.body),
    )


def _method_body(tree: ast.Module, filename: str, cls: str, method: str) -> Body:
    """A method's body; ``self`` is no argument, and the class's other methods are helpers
    (each without its ``self``), as the functions of the module are."""
    classes = [s for s in tree.body if isinstance(s, ast.ClassDef)]
    chosen = next((c for c in classes if c.name == cls), None)
    if chosen is None:
        known = ", ".join(c.name for c in classes) or "none"
        raise SpecError(
            f"no class {cls!r} in {filename} (classes defined: {known})", file=filename, line=1
        )
    bound = {name: d for name, d in _helpers(chosen.body).items() if d.args.args}
    methods = {name: _unbound(d) for name, d in bound.items()}
    if method not in methods:
        known = ", ".join(methods) or "none"
        raise SpecError(
            f"no method {method!r} in class {cls} of {filename} (methods: {known})",
            file=filename,
            line=chosen.lineno,
        )
    own = methods[method]
    return Body(
        filename,
        f"{cls}.{method}",
        own.body,
        arguments=_arguments(own),
        line=own.lineno,
        module_level=False,
        helpers=_helpers(tree.body) | methods,
        instance=bound[method].args.args[0].arg,
    )


def _unbound(method: ast.FunctionDef) -> ast.FunctionDef:
    """A copy of the method without its first parameter (``self``)."""
    unbound = copy.copy(method)
    unbound.args = copy.copy(method.args)
    unbound.args.args = method.args.args[1:]
    return unbound


def _helpers(statements: list[ast.stmt]) -> dict[str, ast.FunctionDef]:
    return {s.name: s for s in statements if isinstance(s, ast.FunctionDef)}


def _arguments(function: ast.FunctionDef) -> dict[str, float | None]:
    """Argument names in order, each with its literal default value where it has one."""
    spec = function.args
    positional = [*spec.posonlyargs, *spec.args]
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(spec.kwonlyargs, spec.kw_defaults, strict=True))
    pairs += [(arg, None) for arg in (spec.vararg, spec.kwarg) if arg is not None]
    return {arg.arg: literal_number(default) for arg, default in pairs}


# -- literal values ----------------------------------------------------------------------------
def module_literals(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``name = value`` assigned exactly once: the values globals start with."""
    values: dict[str, ast.expr] = {}
    repeated: set[str] = set()
    for statement in tree.body:
        name = assigned_name(statement)
        if name in values:
            repeated.add(name)
        if name is not None:
            values[name] = statement.value
    return {name: value for name, value in values.items() if name not in repeated}


def literal_number(node: ast.expr | None) -> float | None:
    """The value of ``2.0``, ``-3`` or ``torch.tensor(2.0, ...)``; None for anything else."""
    if _is_tensor_call(node):
        node = node.args[0]
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    if not isinstance(node.value, int | float) or abs(node.value) > 1e308:
        return None
    return sign * float(node.value)


def _is_tensor_call(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "tensor"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
        and len(node.args) == 1
    )


def requires_grad(node: ast.expr) -> bool:
    """Whether ``torch.tensor(..., requires_grad=True)`` asks for a gradient."""
    return _is_tensor_call(node) and any(
        k.arg == "requires_grad" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords
    )
