"""Evaluate a learner's layer functions at sizes the reader chooses, statement by statement,
through a whitelist: nothing of the user's is run by Python itself.

Naive course code (a convolution's four loops, max pooling with windows, a per-sample loss with
``if margin > 0:``, an RNN stepping through time by calling its step function) has no reading as
one formula per line; at small concrete sizes it is simply a computation. This module walks the
function's ``ast``: names, numbers, strings, arithmetic, comparisons, subscripts and slices,
tuples, lists and dicts, ``if``/``for``/``while``, calls of the same file's functions and of the
NumPy in :mod:`~symbackprop.readers.concrete.numpyish`. Anything else is refused with its line.
Loops and calls are bounded (:data:`MAX_STEPS`, :data:`MAX_DEPTH`).
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from symbackprop.errors import LimitExceeded, SymbackpropError, UnsupportedConstruct
from symbackprop.readers.concrete.numpyish import (
    CONSTANTS,
    DOTTED_FUNCTIONS,
    DTYPES,
    FUNCTIONS,
    Arrays,
    as_float,
    check_size,
    clipped,
    deviation,
    variance,
)
from symbackprop.readers.concrete.tape import Constant, Tracked
from symbackprop.readers.siblings import is_imported

MAX_STEPS = 400_000  # statements evaluated in one call, loops included
MAX_DEPTH = 8  # calls of the file's own functions, one inside another

_BINARY: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}
_COMPARE: dict[type, Callable] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_BUILTINS: dict[str, Callable] = {
    "range": lambda *a: _range(*a),
    "len": len,
    "zip": zip,
    "enumerate": enumerate,
    "reversed": reversed,
    "int": int,
    "float": as_float,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": sum,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "round": round,
    "bool": bool,
    "isinstance": lambda v, kinds: _isinstance(v, kinds),
    "print": lambda *a, **k: None,
    "sorted": sorted,
    "str": lambda value="": _text(value),
}
_ARRAY_ATTRIBUTES = {"shape", "ndim", "size", "T", "dtype"}
_ARRAY_METHODS = {
    "reshape",
    "dot",
    "sum",
    "mean",
    "max",
    "min",
    "argmax",
    "argmin",
    "copy",
    "flatten",
    "ravel",
    "transpose",
    "swapaxes",
    "squeeze",
    "cumsum",
    "prod",
    "fill",
    "item",
    "tolist",
}
_OWN_METHODS = {"var": variance, "std": deviation, "clip": clipped}
_DICT_METHODS = {"get", "keys", "values", "items", "setdefault", "copy"}
_LIST_METHODS = {"append", "insert", "pop", "index", "copy", "extend"}


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


def _text(value) -> str:
    """``str(l + 1)`` of a number or text, as keys such as ``"W" + str(l)`` are made."""
    if type(value) in (int, float, bool, str) or isinstance(value, np.integer):
        return str(value)
    raise UnsupportedConstruct("str() of anything but a number or text")


class _Continue(Exception):
    pass


class Refused(Exception):
    """The code does something the reader will not evaluate, or fails at the reader's sizes."""

    def __init__(self, message: str, line: int | None, failed: bool = False):
        super().__init__(message)
        self.message = message
        self.line = line
        self.failed = failed  # the code itself fails (an IndexError), not the reader


@dataclass
class Writes:
    """What one watched function wrote, line by line: the changes each line made to each
    watched name (summed over a loop's turns), and the values after each top-level statement."""

    watched: set[str]
    changes: dict[tuple[str, int], object] = field(default_factory=dict)
    after: list[dict[str, object]] = field(default_factory=list)  # per top-level statement
    ran: set[int] = field(default_factory=set)  # the lines evaluated at least once
    # the last line that stored each dict entry under a text key (``grads['dW2']``, its key
    # made as it ran or written out), in the watched function's own lines
    entries: dict[str, int] = field(default_factory=dict)


class Module:
    """A file's functions and constants, and ``np`` under the names it was imported as."""

    def __init__(self, tree: ast.Module):
        self.functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
        self.classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        # A course's fast layers (``conv_forward_fast``: im2col compiled, or strides) compute
        # what its naive ones do: read as those, forward and backward alike, so that their
        # caches agree. fast name -> naive name
        self.stand_ins: dict[str, str] = {}
        for name, function in list(self.functions.items()):
            fast = name.removesuffix("_naive") + "_fast"
            own = self.functions.get(fast)
            if name.endswith("_naive") and (own is None or is_imported(own)):
                self.functions[fast] = function
                self.stand_ins[fast] = name
        self.numpy_names = {"np", "numpy"}
        self.constants: dict[str, object] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.name == "numpy":
                        self.numpy_names.add(alias.asname or "numpy")
            elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = statement.value.value


class Instance:
    """An object of a class the file defines (``Layer_Dense``): its attributes, and its
    methods looked up in the class and the file's classes it derives from."""

    def __init__(self, cls: ast.ClassDef, module: Module, attributes: dict | None = None):
        self.cls = cls
        self.module = module
        self.attributes: dict[str, object] = dict(attributes or {})

    def method(self, name: str) -> ast.FunctionDef | None:
        todo, seen = [self.cls], set()
        while todo:
            cls = todo.pop(0)
            if cls.name in seen:
                continue
            seen.add(cls.name)
            for statement in cls.body:
                if isinstance(statement, ast.FunctionDef) and statement.name == name:
                    return statement
            todo += [
                self.module.classes[b.id]
                for b in cls.bases
                if isinstance(b, ast.Name) and b.id in self.module.classes
            ]
        return None

    def plain(self) -> Instance:
        """A copy holding plain numbers: what the backward is handed after the forward."""
        return Instance(self.cls, self.module, {k: plain(v) for k, v in self.attributes.items()})


class _Bound:
    def __init__(self, instance: Instance, node: ast.FunctionDef):
        self.instance = instance
        self.node = node


class _OwnClass:
    def __init__(self, node: ast.ClassDef):
        self.node = node


def _is_static(method: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list)


class Interpreter:
    """Evaluates functions of one :class:`Module`; ``tracking`` while forward values carry a
    tape (object arrays), plain floats otherwise."""

    def __init__(self, module: Module, tracking: bool, seed: int = 0):
        self.module = module
        self.np = Arrays(tracking, seed)
        self.steps = 0
        self.depth = 0
        self.line: int | None = None
        self.locals_after: dict[str, object] = {}  # the top call's names, once it returned
        self.top_line: int | None = None
        self.writes: Writes | None = None  # the top call's

    def call(
        self,
        function: ast.FunctionDef,
        args: list,
        kwargs: dict | None = None,
        writes: Writes | None = None,
    ):
        """``function(*args, **kwargs)``; refusals carry the line they happened at."""
        self.writes = writes
        try:
            return self._call(function, args, kwargs or {}, writes)
        except Refused:
            raise
        except SymbackpropError as error:
            raise Refused(getattr(error, "message", str(error)), self.line) from None
        except RecursionError:
            raise Refused("calls nested too deep", self.line) from None
        except Exception as error:  # the code fails at the reader's sizes: it is not judged
            message = f"{type(error).__name__}: {error}"
            if self.line != self.top_line:  # inside a function it calls: blamed at the call
                message += f" (at line {self.line})"
            raise Refused(message, self.top_line, True) from None

    def instantiate(self, cls: ast.ClassDef, args: list, kwargs: dict) -> Instance:
        """An object of ``cls``, its ``__init__`` (if any) evaluated."""
        instance = Instance(cls, self.module)
        init = instance.method("__init__")
        if init is not None:
            line = self.line
            self._call(init, [instance, *args], kwargs)
            self.line = line
        return instance

    def _call(self, function: ast.FunctionDef, args: list, kwargs: dict, writes=None):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitExceeded(f"calls nested over {MAX_DEPTH} deep")
        frame = _bind(function, args, kwargs, self)
        try:
            for statement in function.body:
                self._run(statement, frame, writes)
                if writes is not None:
                    writes.after.append(_snapshot(frame, writes.watched))
        except _Return as done:
            if writes is not None:
                writes.after.append(_snapshot(frame, writes.watched))
            if self.depth == 1:
                self.locals_after = frame
            return done.value
        finally:
            self.depth -= 1
        if self.depth == 0:
            self.locals_after = frame
        return None

    # -- statements --------------------------------------------------------------------------
    def _run_all(self, statements, frame, writes):
        for statement in statements:
            self._run(statement, frame, writes)

    def _run(self, node: ast.stmt, frame: dict, writes: Writes | None):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LimitExceeded(f"over {MAX_STEPS} statements evaluated")
        self.line = node.lineno
        if self.depth == 1:
            self.top_line = node.lineno  # the called function's own line
        if writes is not None:
            writes.ran.add(node.lineno)
        watched = _watched_written(node, writes)
        before = {n: _copied(looked_up(frame, n)) for n in watched}
        self._statement(node, frame, writes)
        for name in watched:
            change = _difference(looked_up(frame, name), before[name])
            if change is not None:
                key = (name, node.lineno)
                previous = writes.changes.get(key)
                writes.changes[key] = change if previous is None else previous + change

    def _statement(self, node: ast.stmt, frame: dict, writes):
        match node:
            case ast.Expr(value=ast.Constant()):
                return  # a docstring
            case ast.Expr(value=value):
                self._eval(value, frame)
            case ast.Assign(targets=targets, value=value):
                result = self._eval(value, frame)
                for target in targets:
                    self._store(target, result, frame)
            case ast.AnnAssign(target=target, value=value) if value is not None:
                self._store(target, self._eval(value, frame), frame)
            case ast.AugAssign(target=target, op=op, value=value):
                self._augmented(target, op, self._eval(value, frame), frame)
            case ast.If(test=test, body=body, orelse=orelse):
                self._run_all(body if _truth(self._eval(test, frame)) else orelse, frame, writes)
            case ast.For(target=target, iter=over, body=body, orelse=orelse):
                for item in self._eval(over, frame):
                    self._store(target, item, frame)
                    try:
                        self._run_all(body, frame, writes)
                    except _Continue:
                        continue
                    except _Break:
                        break
                else:
                    self._run_all(orelse, frame, writes)
            case ast.While(test=test, body=body):
                while _truth(self._eval(test, frame)):
                    try:
                        self._run_all(body, frame, writes)
                    except _Continue:
                        continue
                    except _Break:
                        break
            case ast.Return(value=value):
                raise _Return(None if value is None else self._eval(value, frame))
            case ast.Break():
                raise _Break
            case ast.Continue():
                raise _Continue
            case ast.Pass():
                return
            case ast.Assert(test=test):
                if not _truth(self._eval(test, frame)):
                    raise UnsupportedConstruct("an assert fails at the reader's sizes")
            case ast.Raise():
                raise UnsupportedConstruct("the code raises at the reader's sizes")
            case ast.Import() | ast.ImportFrom():
                return  # numpy, imported inside a function: the reader's own stands in
            case _:
                raise UnsupportedConstruct(f"a {type(node).__name__} statement")

    def _store(self, target: ast.expr, value, frame: dict):
        match target:
            case ast.Name(id=name):
                if self.np.tracking and self.depth == 1:
                    value = _own_nodes(value)
                frame[name] = value
            case ast.Tuple(elts=elements) | ast.List(elts=elements):
                values = list(value)
                if len(values) != len(elements):
                    raise UnsupportedConstruct(
                        f"{len(values)} values unpacked into {len(elements)} names"
                    )
                for element, item in zip(elements, values, strict=True):
                    self._store(element, item, frame)
            case ast.Subscript(value=container, slice=index):
                key = self._index(index, frame)
                self._note_entry(container, self._eval(container, frame), key)
                self._eval(container, frame)[key] = value
            case ast.Attribute(value=owner, attr=attribute):
                instance = self._eval(owner, frame)
                if not isinstance(instance, Instance):
                    raise UnsupportedConstruct(f"an assignment to {ast.unparse(target)}")
                instance.attributes[attribute] = value
            case ast.Starred():
                raise UnsupportedConstruct("a starred assignment")
            case _:
                raise UnsupportedConstruct(f"an assignment to {ast.unparse(target)}")

    def _note_entry(self, container: ast.expr, value, key) -> None:
        """Where the top call stores ``grads['dW2']`` (or a list's ``nabla_b[-1]``, kept as
        ``nabla_b[2]``): the line, kept for blame."""
        if not isinstance(container, ast.Name) or self.depth != 1 or self.writes is None:
            return
        if isinstance(value, dict) and isinstance(key, str):
            self.writes.entries[f"{container.id}[{key!r}]"] = self.line
        elif isinstance(value, list) and isinstance(key, int | np.integer) and value:
            self.writes.entries[f"{container.id}[{int(key) % len(value)}]"] = self.line

    def _augmented(self, target: ast.expr, op: ast.operator, value, frame: dict):
        apply = _BINARY.get(type(op))
        if apply is None:
            raise UnsupportedConstruct(f"the operator {type(op).__name__}")
        if isinstance(target, ast.Name):
            current = self._load(target.id, frame)
            if isinstance(current, np.ndarray):  # in place, as NumPy does: aliases see it
                result = _bounded(apply, current, value)
                if result.shape == current.shape and _storable(current, result):
                    current[...] = result
                    return
                frame[target.id] = result
                return
            frame[target.id] = _bounded(apply, current, value)
            return
        if isinstance(target, ast.Attribute):
            current = self._eval(target, frame)
            if isinstance(current, np.ndarray):
                result = _bounded(apply, current, value)
                if result.shape == current.shape and _storable(current, result):
                    current[...] = result
                    return
                self._store(target, result, frame)
                return
            self._store(target, _bounded(apply, current, value), frame)
            return
        if isinstance(target, ast.Subscript):
            container = self._eval(target.value, frame)
            index = self._index(target.slice, frame)
            self._note_entry(target.value, container, index)
            container[index] = _bounded(apply, container[index], value)
            return
        raise UnsupportedConstruct(f"an assignment to {ast.unparse(target)}")

    # -- expressions -------------------------------------------------------------------------
    def _eval(self, node: ast.expr, frame: dict):  # noqa: C901 - one case per node type
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                return self._load(name, frame)
            case ast.BinOp(left=left, op=op, right=right):
                apply = _BINARY.get(type(op))
                if apply is None:
                    raise UnsupportedConstruct(f"the operator {type(op).__name__}")
                return _bounded(apply, self._eval(left, frame), self._eval(right, frame))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -self._eval(operand, frame)
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self._eval(operand, frame)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not _truth(self._eval(operand, frame))
            case ast.UnaryOp(op=ast.Invert(), operand=operand):
                return ~np.asarray(self._eval(operand, frame), dtype=bool)
            case ast.BoolOp(op=op, values=values):
                result = None
                for value in values:
                    result = self._eval(value, frame)
                    if isinstance(op, ast.And) != _truth(result):
                        return result
                return result
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self._compare(left, ops, comparators, frame)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self._eval(body if _truth(self._eval(test, frame)) else orelse, frame)
            case ast.Tuple(elts=elements):
                return tuple(self._items(elements, frame))
            case ast.List(elts=elements):
                return list(self._items(elements, frame))
            case ast.Dict(keys=keys, values=values):
                if any(k is None for k in keys):
                    raise UnsupportedConstruct("a ** inside a dict")
                pairs = zip(keys, values, strict=True)
                return {self._eval(k, frame): self._eval(v, frame) for k, v in pairs}
            case ast.Subscript(value=value, slice=index):
                return self._eval(value, frame)[self._index(index, frame)]
            case ast.Attribute():
                return self._attribute(node, frame)
            case ast.Call():
                return self._called(node, frame)
            case ast.ListComp(elt=element, generators=[generator]) if not generator.is_async:
                out = []
                inner = dict(frame)
                for item in self._eval(generator.iter, frame):
                    self._store(generator.target, item, inner)
                    if all(_truth(self._eval(c, inner)) for c in generator.ifs):
                        out.append(self._eval(element, inner))
                return out
            case ast.JoinedStr():
                return ""  # an f-string: only ever printed or raised
            case _:
                raise UnsupportedConstruct(f"the expression {ast.unparse(node)[:40]}")

    def _items(self, elements, frame):
        for element in elements:
            if isinstance(element, ast.Starred):
                yield from self._eval(element.value, frame)
            else:
                yield self._eval(element, frame)

    def _compare(self, left, ops, comparators, frame):
        result = True
        current = self._eval(left, frame)
        for op, comparator in zip(ops, comparators, strict=True):
            right = self._eval(comparator, frame)
            outcome = _COMPARE[type(op)](current, right)
            if isinstance(outcome, np.ndarray) and outcome.dtype == object:
                outcome = outcome.astype(bool)  # masks index with booleans
            result = outcome if result is True else result & outcome
            current = right
        return result

    def _index(self, node: ast.expr, frame: dict):
        match node:
            case ast.Slice(lower=lower, upper=upper, step=step):
                return slice(
                    *(
                        None if part is None else self._eval(part, frame)
                        for part in (lower, upper, step)
                    )
                )
            case ast.Tuple(elts=elements):
                return tuple(self._index(e, frame) for e in elements)
            case _:
                index = self._eval(node, frame)
                if isinstance(index, list):
                    index = np.asarray(index)
                return index

    def _load(self, name: str, frame: dict):
        if name in frame:
            return frame[name]
        if name in self.module.constants:
            return self.module.constants[name]
        if name in self.module.functions:
            return _OwnFunction(self.module.functions[name])
        if name in self.module.classes:
            return _OwnClass(self.module.classes[name])
        if name in self.module.numpy_names:
            return _NUMPY
        if name in _BUILTINS:
            return _BUILTINS[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        raise UnsupportedConstruct(f"the name {name}, never assigned")

    def _attribute(self, node: ast.Attribute, frame: dict):
        chain = _chain(node)
        if chain and chain[0] in self.module.numpy_names and chain[0] not in frame:
            return self._numpy(chain[1:])
        subject = self._eval(node.value, frame)
        attribute = node.attr
        if isinstance(subject, Instance):
            if attribute in subject.attributes:
                return subject.attributes[attribute]
            method = subject.method(attribute)
            if method is not None:
                return _Bound(subject, method)
            raise UnsupportedConstruct(f"the attribute .{attribute}, never set")
        if isinstance(subject, _OwnClass):  # ``self.cost.delta(z, a, y)``: a static method
            method = self.method_of(subject, attribute)
            if method is not None and _is_static(method):
                return _OwnFunction(method)
            raise UnsupportedConstruct(f"the attribute .{attribute} of {subject.node.name}")
        if isinstance(subject, np.ndarray | np.generic | Tracked):
            if attribute in _ARRAY_ATTRIBUTES:
                return getattr(np.asarray(subject), attribute)
            if attribute in _OWN_METHODS:
                own = _OWN_METHODS[attribute]
                return lambda *a, **k: own(subject, *a, **k)
            if attribute == "astype":
                return lambda dtype, **k: _astype(subject, dtype)
            if attribute in _ARRAY_METHODS:
                return getattr(
                    np.asarray(subject) if isinstance(subject, Tracked) else subject, attribute
                )
        if isinstance(subject, dict) and attribute in _DICT_METHODS:
            return getattr(subject, attribute)
        if isinstance(subject, list) and attribute in _LIST_METHODS:
            return getattr(subject, attribute)
        if isinstance(subject, int | float) and attribute in ("real", "imag"):
            return getattr(subject, attribute)
        raise UnsupportedConstruct(f"the attribute .{attribute} of {ast.unparse(node.value)}")

    def class_named(self, name: str):
        """The file's class ``name`` as a value (what ``cost=QuadraticCost`` passes)."""
        return _OwnClass(self.module.classes[name])

    def method_of(self, value, name: str) -> ast.FunctionDef | None:
        """The method ``name`` of an object of one of the file's classes, or of the class
        itself (a cost class passed as ``cost=CrossEntropyCost``); None where there is none."""
        if isinstance(value, Instance):
            return value.method(name)
        if isinstance(value, _OwnClass):
            return Instance(value.node, self.module).method(name)
        return None

    def _numpy(self, path: list[str]):
        if len(path) == 1:
            name = path[0]
            if name in FUNCTIONS:
                return FUNCTIONS[name]
            if name in CONSTANTS:
                return CONSTANTS[name]
            if name in (
                "zeros",
                "ones",
                "empty",
                "full",
                "zeros_like",
                "ones_like",
                "empty_like",
                "full_like",
            ):
                return getattr(self.np, name)
            if name in DTYPES:
                return _DTYPE_OBJECTS.get(name, float)
        if len(path) == 2 and path[0] == "random":
            method = getattr(self.np.random, path[1], None)
            if method is not None and not path[1].startswith("_"):
                return method
        if len(path) == 2 and tuple(path) in DOTTED_FUNCTIONS:
            return DOTTED_FUNCTIONS[tuple(path)]
        raise UnsupportedConstruct(f"np.{'.'.join(path)}")

    def _called(self, node: ast.Call, frame: dict):
        function = self._eval(node.func, frame)
        args = list(self._items(node.args, frame))
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                kwargs.update(self._eval(keyword.value, frame))
            else:
                kwargs[keyword.arg] = self._eval(keyword.value, frame)
        if isinstance(function, _OwnFunction | _Bound):
            line = self.line
            if isinstance(function, _Bound):
                args = [function.instance, *args]
            result = self._call(function.node, args, kwargs)
            self.line = line
            return result
        if isinstance(function, _OwnClass):
            return self.instantiate(function.node, args, kwargs)
        if isinstance(function, _Namespace):
            raise UnsupportedConstruct(f"calling {ast.unparse(node.func)}")
        if not callable(function):
            raise UnsupportedConstruct(f"calling {ast.unparse(node.func)}")
        return function(*args, **kwargs)


class _OwnFunction:
    def __init__(self, node: ast.FunctionDef):
        self.node = node


class _Namespace:
    pass


_NUMPY = _Namespace()
_DTYPE_OBJECTS = {
    "float64": np.float64,
    "float32": np.float64,
    "int64": np.int64,
    "int32": np.int64,
    "bool_": np.bool_,
    "float_": np.float64,
    "int_": np.int64,
}


def _chain(node: ast.expr) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _bind(function: ast.FunctionDef, args: list, kwargs: dict, interpreter) -> dict:
    spec = function.args
    if spec.vararg or spec.kwarg or spec.posonlyargs:
        raise UnsupportedConstruct(f"{function.name}() takes *args or **kwargs")
    names = [a.arg for a in spec.args] + [a.arg for a in spec.kwonlyargs]
    if len(args) > len(spec.args):
        raise UnsupportedConstruct(f"{function.name}() called with too many arguments")
    frame = dict(zip(names, args, strict=False))
    defaults = dict(
        zip(
            [a.arg for a in spec.args][len(spec.args) - len(spec.defaults) :],
            spec.defaults,
            strict=True,
        )
    )
    keyword = zip(spec.kwonlyargs, spec.kw_defaults, strict=True)
    defaults |= {a.arg: d for a, d in keyword if d is not None}
    for name in names:
        if name in kwargs:
            frame[name] = kwargs[name]
        elif name not in frame:
            if name not in defaults:
                raise UnsupportedConstruct(f"{function.name}() called without {name}")
            frame[name] = interpreter._eval(defaults[name], {})
    return frame


def looked_up(frame: dict, name: str):
    """A frame's value of ``name``, or of ``self.dinputs`` on the frame's ``self``."""
    if name.startswith("self."):
        owner = frame.get("self")
        return owner.attributes.get(name[5:]) if isinstance(owner, Instance) else None
    return frame.get(name)


def _snapshot(frame: dict, watched) -> dict:
    values = {n: _copied(looked_up(frame, n)) for n in watched}
    return {n: v for n, v in values.items() if v is not None}


def _own_nodes(value):
    """A named array of tracked numbers with nodes of its own, so that its adjoint is the
    loss's sensitivity to this name's value (``x_pad``'s, not the ``x`` it shares entries
    with), its constant entries (padding) included."""
    if not isinstance(value, np.ndarray) or value.dtype != object:
        return value
    out = np.empty(value.shape, dtype=object)
    for index, item in np.ndenumerate(value):
        if isinstance(item, Tracked):
            out[index] = Tracked(item.value, ((item, 1.0),))
        elif isinstance(item, bool | np.bool_):
            out[index] = item
        else:
            out[index] = Constant(float(item))
    return out


MAX_EXPONENT = 1000  # of a power of plain numbers: 9**9**9 has 370 million digits
MAX_REPEATED = 100_000  # items of a string or list made by ``*``


def _bounded(apply, left, right):
    """``apply(left, right)``, refused where plain Python numbers or sequences would grow
    without bound (a power of a power, a list repeated a billion times), or arrays broadcast
    to more elements than any array the reader makes."""
    big_power = apply is operator.pow and _number(right) and _number(left)
    if big_power and abs(right) > MAX_EXPONENT and abs(left) not in (0, 1):
        raise LimitExceeded(f"a power this large (exponent over {MAX_EXPONENT})")
    for items, count in ((left, right), (right, left)):
        repeated = apply is operator.mul and isinstance(items, str | list | tuple)
        if repeated and _number(count) and len(items) * abs(count) > MAX_REPEATED:
            raise LimitExceeded(f"a sequence repeated over {MAX_REPEATED} items")
    if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
        try:
            shape = np.broadcast_shapes(left.shape, right.shape)
        except ValueError:
            shape = ()  # a matrix product, or a mismatch NumPy itself reports
        check_size(shape)
    return apply(left, right)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range(*args) -> range:
    """``range``, refused where a list of it would not fit (``list(range(10**12))``)."""
    made = range(*args)
    if len(made) > MAX_REPEATED * 10:
        raise LimitExceeded(f"a range of {len(made)} numbers")
    return made


def _isinstance(value, kinds) -> bool:
    """``isinstance`` of the types the code can name here; a tracked number is a float."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    types = tuple(float if k is as_float else k for k in kinds)
    if not all(isinstance(k, type) for k in types):
        raise UnsupportedConstruct("isinstance of something that is not a type")
    return isinstance(value, types) or (isinstance(value, Tracked) and float in types)


def _truth(value) -> bool:
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise UnsupportedConstruct("the truth of an array of several values")
        value = value.reshape(()).item()
    return bool(value)


def _astype(value, dtype):
    array = np.asarray(value)
    if (
        dtype in (float, np.float64, np.float32, "float", "float64", "float32")
        and array.dtype == object
    ):
        return array.copy()  # tracked numbers stay tracked
    return array.astype(dtype)


def _storable(current: np.ndarray, result) -> bool:
    """Whether ``result`` fits in ``current`` in place, as NumPy's ``+=`` would store it."""
    result = np.asarray(result)
    return current.dtype == object or result.dtype != object


def _copied(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _watched_written(node: ast.stmt, writes: Writes | None) -> list[str]:
    """The watched names this statement itself writes (a loop's body is seen line by line)."""
    if writes is None or isinstance(node, ast.For | ast.While | ast.If):
        return []
    return [name for name in written_names(node) if name in writes.watched]


@functools.lru_cache(maxsize=8192)  # asked of the same statements in every turn of a loop
def written_names(node: ast.stmt) -> frozenset[str]:
    """The names a simple statement assigns or writes into (``dW[:, j] += ...``: dW;
    ``np.add.at(dW, ...)``: dW)."""
    names: set[str] = set()
    targets: list[ast.expr] = []
    match node:
        case ast.Assign(targets=found):
            targets = list(found)
        case ast.AugAssign(target=target) | ast.AnnAssign(target=target):
            targets = [target]
        case ast.Expr(value=ast.Call(func=func, args=[first, *_])):
            if isinstance(func, ast.Attribute) and func.attr == "at":
                targets = [first]
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, ast.Name) and isinstance(part.ctx, ast.Store):
                names.add(part.id)
        root = target
        while isinstance(root, ast.Subscript | ast.Attribute):
            if (
                isinstance(root, ast.Attribute)
                and isinstance(root.value, ast.Name)
                and root.value.id == "self"
            ):
                names.add(f"self.{root.attr}")  # ``self.dinputs[...] = 0``
                break
            root = root.value
        if isinstance(root, ast.Name) and root.id != "self":
            names.add(root.id)
    return frozenset(names)


def _difference(after, before):
    """What a statement changed in a watched value, as a float array (None: nothing known)."""
    if after is None:
        return None
    try:
        after_values = plain(after)
        before_values = np.zeros_like(after_values) if before is None else plain(before)
        if np.shape(after_values) != np.shape(before_values):
            return None
        return after_values - before_values
    except (TypeError, ValueError):
        return None


def plain(value):
    """Floats for a value of tracked numbers: arrays, tuples, lists and dicts alike."""
    if isinstance(value, Tracked):
        return value.value
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return (
                np.vectorize(lambda v: v.value if isinstance(v, Tracked) else v, otypes=[float])(
                    value
                )
                if value.size
                else value.astype(float)
            )
        return value
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
