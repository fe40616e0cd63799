"""The oracle: a case's own NumPy code, run at small random float64 inputs, against torch.

Every assignment of the case is instrumented to record the value it writes the first time it
runs, and every update the parameter before and after it (the gradient it applies is their
difference over the learning rate). The run stops once every update has been applied and a
statement comes round again (the next epoch or sample): the first pass is the one torch
replays. The torch forward of the family, fed the values the program's forward started
from, gives by autograd the gradient of every parameter and the adjoint of every forward
value a delta stands for. The case is correct when every gradient it computes is right;
otherwise its first wrong line is the earliest line whose value differs (or that fails).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import io
import traceback
import zlib
from dataclasses import dataclass

import numpy as np
import torch

from corpus import program
from corpus.family import Family

FILENAME = "<case>"
RTOL, ATOL = 1e-6, 1e-9


@dataclass(frozen=True)
class Label:
    correct: bool
    first_wrong_line: int | None
    wrong: tuple[str, ...] = ()  # what differs: "dz1 at line 14", "W1 at line 20"
    failure: str | None = None  # the exception the case raised, if any
    compared: tuple[str, ...] = ()  # every value compared with torch


class _Stop(BaseException):
    """Ends the run after the first pass (a BaseException: user code's except won't eat it)."""


class Recorder:
    """What the instrumented statements report: first values, parameters before updates."""

    def __init__(self, update_lines: set[int]):
        self.update_lines = update_lines
        self.runs: dict[int, int] = {}
        self.values: dict[tuple[int, str], object] = {}
        self.before: dict[int, object] = {}
        self.leaves: dict | None = None

    def enter(self, line: int) -> None:
        self.runs[line] = self.runs.get(line, 0) + 1
        done = self.update_lines and all(self.runs.get(u) for u in self.update_lines)
        if self.runs[line] > 1 and done:
            raise _Stop

    def begin(self, leaves: dict) -> None:
        if self.leaves is None:
            self.leaves = {k: _copied(v) for k, v in leaves.items()}

    def pre(self, line: int, value) -> None:
        self.before.setdefault(line, _copied(value))

    def post(self, line: int, key: str, value) -> None:
        self.values.setdefault((line, key), _copied(value))


def _copied(value):
    if isinstance(value, np.ndarray | np.generic | int | float):
        return np.array(value, copy=True)
    return copy.deepcopy(value) if isinstance(value, list | tuple | dict) else None


class _Instrument(ast.NodeTransformer):
    def __init__(self, family: Family, updates: dict[int, str]):
        self.family = family
        self.updates = updates
        self.started = False

    def _statements(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out = []
        for statement in statements:
            out.extend(self._one(statement))
        return out

    def generic_visit(self, node):
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(node, field, None), list) and not isinstance(node, ast.expr):
                setattr(node, field, self._statements(getattr(node, field)))
        for handler in getattr(node, "handlers", []):
            handler.body = self._statements(handler.body)
        return node

    def _one(self, statement: ast.stmt) -> list[ast.stmt]:
        if not isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign):
            return [self.visit(statement)]
        line = statement.lineno
        before = [_report(statement, "enter", line)]
        written = program.writes(statement)
        if not self.started and any(w.key == self.family.start for w in written):
            self.started = True
            pairs = ", ".join(f"{k!r}: {v}" for k, v in self.family.leaves.items())
            leaves = ast.parse(f"{{{pairs}, '__lr__': {self.family.lr}}}", mode="eval").body
            before.append(_report(statement, "begin", leaves))
        if line in self.updates:
            before.append(_report(statement, "pre", line, _expression(self.updates[line])))
        keys = [w.key for w in written]
        if line in self.updates and self.updates[line] not in keys:
            keys.append(self.updates[line])  # ``Ws[0] -= ...`` changes Ws, and Ws[0]
        after = [_report(statement, "post", line, key, _expression(key)) for key in keys]
        return [*before, statement, *after]


@functools.cache
def _expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _report(where: ast.stmt, method: str, *arguments) -> ast.stmt:
    """``__oracle__.method(*arguments)`` as a statement placed at ``where``."""
    values = [a if isinstance(a, ast.expr) else ast.Constant(a) for a in arguments]
    recorder = ast.Attribute(ast.Name("__oracle__", ast.Load()), method, ast.Load())
    made = ast.Expr(ast.Call(recorder, values, []))
    for node in ast.walk(made):
        ast.copy_location(node, where)
    return made


def update_lines(tree: ast.AST, family: Family) -> dict[int, str]:
    """Line of each update -> the parameter expression it changes."""
    params = {family.leaves[p] for p in family.params}
    start = program.start_line(tree, family.start)
    found = {}
    for statement in program.assignments(tree):
        key = program.is_update(statement, params, start)
        if key is not None:
            found[statement.lineno] = key
    return found


@dataclass
class Run:
    recorder: Recorder
    returned: object
    failure: tuple[int | None, str] | None


def run(family: Family, source: str, updates: dict[int, str]) -> Run:
    """Run the case's code (instrumented) until its first pass is done."""
    tree = ast.parse(source)
    recorder = Recorder(set(updates))
    instrumented = _Instrument(family, updates).visit(tree)
    code = compile(instrumented, FILENAME, "exec")
    namespace = {"__oracle__": recorder, "__name__": "corpus_case"}
    rng = np.random.default_rng(zlib.crc32(family.name.encode()))
    arguments = {name: draw(rng) for name, draw in family.inputs.items()}
    np.random.seed(zlib.crc32(family.name.encode()) % 2**31)
    returned, failure = None, None
    with np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(code, namespace)
            if family.call is not None:
                returned = family.call(namespace, arguments)
        except _Stop:
            pass
        except Exception as error:  # the case's own bug: a shape error, say
            failure = (_failing_line(error), f"{type(error).__name__}: {error}")
    return Run(recorder, returned, failure)


def _failing_line(error: Exception) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == FILENAME]
    return lines[-1] if lines else None


# -- the labels --------------------------------------------------------------------------------
def label(family: Family, source: str) -> Label:
    """Correct, or wrong with the first line whose value differs from torch's."""
    tree = ast.parse(source)
    updates = update_lines(tree, family)
    done = run(family, source, updates)
    if done.recorder.leaves is None:
        if done.failure is not None:  # the case failed before its forward began
            return Label(False, done.failure[0], (), done.failure[1])
        raise AssertionError(f"{family.name}: the forward never assigned {family.start}")
    expected = _torch_values(family, done.recorder.leaves)
    wrong_lines: list[tuple[int, str]] = []
    gradients_right, compared = True, []
    for line, what, is_gradient, got, want in _claims(family, tree, done, expected, updates):
        compared.append(what)
        if not _close(got, want):
            wrong_lines.append((line, f"{what} at line {line}"))
            gradients_right = gradients_right and not is_gradient
    if done.failure is not None:
        gradients_right = False
        wrong_lines.append((done.failure[0] or 0, done.failure[1]))
    wrong = tuple(w for _, w in sorted(wrong_lines))
    if gradients_right:  # a delta off by what a later line makes up for is no mistake
        return Label(True, None, wrong, compared=tuple(compared))
    failure = done.failure[1] if done.failure else None
    return Label(False, min(wrong_lines)[0], wrong, failure, tuple(compared))


def _torch_values(family: Family, leaves: dict) -> dict:
    tensors = {}
    for name, value in leaves.items():
        if name == "__lr__":
            continue
        array = np.asarray(value)
        if name in family.integer:
            tensors[name] = torch.as_tensor(array)
        else:
            grad = name in family.params
            tensors[name] = torch.tensor(array, dtype=torch.float64, requires_grad=grad)
    out = family.torch(dict(tensors))
    for value in out.values():
        if value.requires_grad and not value.is_leaf:
            value.retain_grad()
    out["loss"].backward()
    adjoints = {k: v.grad for k, v in out.items() if v.requires_grad}
    adjoints |= {p: tensors[p].grad for p in family.params}
    return {k: (None if v is None else v.numpy()) for k, v in adjoints.items()} | {
        "__lr__": float(leaves["__lr__"])
    }


def _claims(family: Family, tree: ast.AST, done: Run, expected: dict, updates: dict):
    """(line, what, is a gradient, the case's value, torch's) for every value to compare."""
    recorder = done.recorder
    lr = float(np.asarray(recorder.leaves["__lr__"]))
    values = program.value_lines(tree)
    for spec in family.values:
        meant, scale = family.value_scale(spec)
        line = program.last_line(values, spec)
        key = program.normal_key(spec)
        if line is None or (line, key) not in recorder.values:
            continue  # never reached: a failure before it is blamed instead
        got = recorder.values[(line, key)]
        yield line, spec, meant in family.params, got, scale * expected[meant]
    by_expression = {family.leaves[p]: p for p in family.params}
    for line, key in updates.items():
        if (line, key) in recorder.values and line in recorder.before:
            applied = (recorder.before[line] - recorder.values[(line, key)]) / lr
            param = by_expression[key]
            yield line, param, True, applied, expected[param]
    if done.returned is not None:
        line = program.return_line(tree, family.function)
        for param, path in family.returned.items():
            got = done.returned
            for step in path:
                got = got[step]
            yield line, f"the returned gradient of {param}", True, got, expected[param]


def _close(got, want) -> bool:
    if got is None or want is None:
        return False
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        if got.size != want.size or got.squeeze().shape != want.squeeze().shape:
            return False
        got, want = got.squeeze(), want.squeeze()
    return bool(np.all(np.isfinite(got))) and np.allclose(got, want, rtol=RTOL, atol=ATOL)
