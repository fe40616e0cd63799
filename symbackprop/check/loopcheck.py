"""Judge a layer pair or a loss function that the formula reader cannot read (naive loops over
windows and classes, data-dependent ``if``, time steps calling a step function) by evaluating it
at small sizes through the concrete reader, the correct gradients taken exactly from the
forward's tape.

Each returned gradient is judged at every setting (stride 1 and 2, padding 0 and 1, windows that
overlap and that don't). A wrong one is blamed at the first line whose value is wrong: the
backward's ``dNAME`` values are held to the adjoints of the forward's ``NAME`` where it has one
(``dx_pad`` to ``x_pad``), a loss function's partial gradients to the gradients of its partial
losses; among several lines writing one value, the line whose own change is a multiple of the
error is the one blamed.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from symbackprop.check.probe import Diagnosis
from symbackprop.check.report import CheckReport, Counterexample, Verdict
from symbackprop.errors import SymbackpropError, UnsupportedConstruct
from symbackprop.readers.concrete.inputs import Setting, settings
from symbackprop.readers.concrete.interpreter import (
    Instance,
    Interpreter,
    Module,
    Refused,
    Writes,
    plain,
    written_names,
)
from symbackprop.readers.concrete.tape import Tracked, adjoints
from symbackprop.readers.layerpairs import Unit, loss_gradients, pair_gradients
from symbackprop.readers.programshapes import named_weight

RTOL = 1e-7  # relative to the largest entry: the tape is exact, the code's float64 is not
PROOF = "evaluated at the sizes of every setting, its loops unrolled; the derivative is exact"
NOTE = (
    "read by evaluating the code at small sizes the checker chose (its loops unrolled), against "
    "the exact derivative of the forward there"
)


@dataclass
class _Run:
    """One setting, evaluated: what each returned gradient should be and is, and what the
    backward wrote line by line."""

    setting: Setting
    expected: dict[str, np.ndarray | None]  # by returned name
    got: dict[str, object]
    targets: dict[str, np.ndarray]  # backward names -> the values they should end with
    final: dict[str, object]  # the backward's names at its end
    writes: Writes
    acceptable: list[dict[str, np.ndarray]]  # per partial loss: its gradients by param
    params: dict[str, str] = field(default_factory=dict)  # a class's gradients: of what


@dataclass(frozen=True)
class Failure:
    """What a backward returned that stopped at the checker's sizes."""

    message: str
    line: int | None


class Judge:
    """The verdicts on one unit of a layer file, read concretely."""

    def __init__(self, tree: ast.Module, filename: str):
        self.module = Module(tree)
        self.filename = filename

    # -- a pair ------------------------------------------------------------------------------
    def pair(
        self,
        forward: ast.FunctionDef,
        backward: ast.FunctionDef,
        upstream: list[str],
        returned: list[str],
        params: tuple[str, ...],
        owner: str,
    ) -> CheckReport:
        runs = []
        for setting in self._settings(forward, owner):
            runs.append(self._pair_run(forward, backward, upstream, returned, params, setting))
        claims = {name: f"dL/d{param}" for name, param in zip(returned, params, strict=True)}
        return self._report(backward, runs, claims, "L")

    def _pair_run(self, forward, backward, upstream, returned, params, setting) -> _Run:
        arguments, leaves = _tracked(setting.arguments)
        forward_run = Interpreter(self.module, tracking=True, seed=3)
        result = forward_run.call(forward, list(arguments.values()), setting.keywords)
        values = list(result) if isinstance(result, tuple | list) else [result]
        outputs = values[: len(upstream)]
        cache = values[len(upstream) :]
        rng = np.random.default_rng(11)
        douts = [rng.standard_normal(np.shape(o)) for o in outputs]
        loss = 0.0
        for output, dout in zip(outputs, douts, strict=True):
            loss = loss + np.sum(np.asarray(output, dtype=object) * dout)
        grads = adjoints(loss) if isinstance(loss, Tracked) else {}
        expected = _gradients(returned, params, leaves, grads)
        targets = _forward_targets(forward, forward_run.locals_after, grads)
        targets |= {name: expected[name] for name in returned if expected[name] is not None}
        watched = _gradient_names(backward) | set(returned)
        writes = Writes(watched)
        backward_run = Interpreter(self.module, tracking=False, seed=3)
        try:
            accepted = {a.arg for a in backward.args.args}
            keywords = {k: v for k, v in setting.keywords.items() if k in accepted}
            got = backward_run.call(backward, [*douts, *plain(cache)], keywords, writes=writes)
        except Refused as failure:  # the forward ran: a backward that fails here is wrong
            if not failure.failed:
                raise
            got = [Failure(failure.message, failure.line)] * len(returned)
        if isinstance(got, dict) and all(_entry(n) for n in returned):
            got = [got.get(_entry(n)[1]) for n in returned]
        got = list(got) if isinstance(got, tuple | list) else [got]
        if len(got) != len(returned):
            raise UnsupportedConstruct(f"{backward.name}() returns {len(got)} values here")
        return _Run(
            setting,
            expected,
            dict(zip(returned, got, strict=True)),
            targets,
            backward_run.locals_after,
            writes,
            [],
        )

    # -- a class with forward and backward methods --------------------------------------------
    def layer_class(self, cls: ast.ClassDef, gradients: tuple[str, ...]) -> CheckReport:
        """``Layer_Dense``: ``forward(inputs)`` stores ``self.output``, ``backward(dvalues)``
        stores ``self.dinputs``, ``self.dweights``...; a loss class's backward takes the
        predictions and the labels, its loss the mean of what its forward returns."""
        probe = Instance(cls, self.module)
        forward, backward = probe.method("forward"), probe.method("backward")
        loss = _is_loss_class(cls)
        run = self._class_run(cls, forward, backward, gradients, loss)
        claims = {f"self.{g}": f"d{'loss' if loss else 'L'}/d{run.params[g]}" for g in gradients}
        claims = {n: c for n, c in claims.items() if run.expected.get(n) is not None}
        if not claims:
            raise UnsupportedConstruct(f"cannot tell what {cls.name}'s gradients are of")
        return self._report(backward, [run], claims, "loss" if loss else "L")

    def _class_run(self, cls, forward, backward, gradients, loss: bool) -> _Run:
        rng = np.random.default_rng(7)
        interpreter = Interpreter(self.module, tracking=True, seed=3)
        init = Instance(cls, self.module).method("__init__")
        instance = interpreter.instantiate(cls, _init_arguments(init), {})
        leaves = {}
        for name, value in list(instance.attributes.items()):
            if _numbers(value):  # the weights __init__ made (zeros made as objects too)
                leaves[f"self.{name}"] = _leaves(np.asarray(plain(value), dtype=float))
                instance.attributes[name] = leaves[f"self.{name}"].copy()
        arguments = _forward_arguments(forward, instance, loss, rng)
        arguments, inputs = _tracked(arguments)
        leaves |= inputs
        result = interpreter.call(forward, [instance, *arguments.values()])
        if loss:
            total = np.mean(result) if isinstance(result, np.ndarray) else result
            handed = [plain(instance.attributes.get("output", next(iter(arguments.values()))))]
            handed += [v for v in arguments.values() if not _is_tracked(v)][:1]
        else:
            output = instance.attributes.get("output", result)
            handed = [rng.standard_normal(np.shape(output))]
            total = np.sum(np.asarray(output, dtype=object) * handed[0])
        if not isinstance(total, Tracked):
            raise UnsupportedConstruct(f"{cls.name}'s forward does not depend on its inputs")
        grads = adjoints(total)
        params = {g: _gradient_of(g, arguments, instance) for g in gradients}
        expected = {
            f"self.{g}": _gradient(leaves.get(params[g]), grads) if params[g] else None
            for g in gradients
        }
        targets = {
            f"self.d{name}": _gradient(value, grads)
            for name, value in instance.attributes.items()
            if isinstance(value, np.ndarray) and value.dtype == object
        }
        targets |= {n: e for n, e in expected.items() if e is not None}
        after = instance.plain()
        writes = Writes({f"self.{g}" for g in gradients} | _gradient_names(backward))
        run = Interpreter(self.module, tracking=False, seed=3)
        try:
            run.call(backward, [after, *handed], writes=writes)
            got = {f"self.{g}": after.attributes.get(g) for g in gradients}
        except Refused as failure:
            if not failure.failed:
                raise
            got = {f"self.{g}": Failure(failure.message, failure.line) for g in gradients}
        final = dict(run.locals_after) | {f"self.{k}": v for k, v in after.attributes.items()}
        described = ", ".join(
            [f"{cls.name}({', '.join(map(str, _init_arguments(init)))})"]
            + [_describe_value(n, v) for n, v in arguments.items()]
        )
        setting = Setting({n: plain(v) for n, v in arguments.items()}, described, {})
        return _Run(
            setting,
            expected,
            got,
            targets,
            final,
            writes,
            [],
            {g: (params[g] or "?").removeprefix("self.") for g in gradients},
        )

    # -- a loss function ---------------------------------------------------------------------
    def loss(
        self,
        function: ast.FunctionDef,
        returned: list[str],
        params: tuple[str, ...],
        loss_name: str,
    ) -> CheckReport:
        runs = [
            self._loss_run(function, returned, params, loss_name, s)
            for s in self._settings(function, function.name)
        ]
        claims = {n: f"d{loss_name}/d{p}" for n, p in zip(returned, params, strict=True)}
        return self._report(function, runs, claims, loss_name)

    def _loss_run(self, function, returned, params, loss_name, setting) -> _Run:
        arguments, leaves = _tracked(setting.arguments)
        watched = set(returned) | {loss_name}
        writes = Writes(watched)
        run = Interpreter(self.module, tracking=True, seed=3)
        result = run.call(function, list(arguments.values()), setting.keywords, writes=writes)
        loss, *gradients = result
        if len(gradients) == 1 and isinstance(gradients[0], dict) and len(returned) > 1:
            gradients = [gradients[0][key] for key in _dict_keys(returned)]
        if not isinstance(loss, Tracked):  # a template's ``loss = 0.0``: nothing to judge
            raise UnsupportedConstruct(f"{function.name}()'s loss does not depend on its inputs")
        expected = _gradients(returned, params, leaves, adjoints(loss))
        acceptable = []
        for snapshot in writes.after:  # the gradients of each partial loss
            partial = snapshot.get(loss_name)
            if isinstance(partial, Tracked):
                partial_grads = adjoints(partial)
                acceptable.append(_gradients(returned, params, leaves, partial_grads))
        got = {n: plain(g) for n, g in zip(returned, gradients, strict=True)}
        final = {k: plain(v) for k, v in run.locals_after.items()}
        return _Run(setting, expected, got, dict(expected), final, writes, acceptable)

    def _settings(self, function: ast.FunctionDef, owner: str) -> list[Setting]:
        found = settings(function, owner, self._called(function))
        if not found:
            raise UnsupportedConstruct(f"no sizes to evaluate {function.name}() at")
        return found

    def _called(self, function: ast.FunctionDef) -> list[ast.FunctionDef]:
        """The file's functions ``function`` calls, directly or not."""
        found: dict[str, ast.FunctionDef] = {}
        todo = [function]
        while todo:
            for node in ast.walk(todo.pop()):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    callee = self.module.functions.get(node.func.id)
                    if callee is not None and callee.name not in found:
                        found[callee.name] = callee
                        todo.append(callee)
        return list(found.values())

    # -- verdicts ----------------------------------------------------------------------------
    def _report(self, function, runs: list[_Run], claims: dict, loss: str) -> CheckReport:
        verdicts = []
        statements = _simple_statements(function)
        right = [n for n in claims if all(_agrees(r.got[n], r.expected[n]) for r in runs)]
        # lines that make what a right gradient is made from: not where a mistake is
        made_from = {n: _entry_source(statements, n) or n for n in claims}
        needed = Counter(
            line
            for n in right
            for line in {
                line
                for v in _dependencies(statements, made_from[n]) | {made_from[n]}
                for line in _writes(statements, v)
            }
        )
        # needed by two right gradients or more: one may be blind to the mistake (a sum over
        # every entry is to a transposition), two rarely are
        vouched = {line for line, count in needed.items() if count >= 2}
        for name, claim in claims.items():
            failing = next((r for r in runs if not _agrees(r.got[name], r.expected[name])), None)
            if failing is None:
                line = _last_write(statements, name, function)
                verdicts.append(
                    Verdict(
                        name, claim, _source(statements, line, name), True, PROOF, "", line=line
                    )
                )
                continue
            line = self._blamed(function, statements, failing, name, vouched)
            passing = [r for r in runs if _agrees(r.got[name], r.expected[name])]
            verdicts.append(
                Verdict(
                    name,
                    claim,
                    _source(statements, line, name),
                    False,
                    "a counterexample",
                    "",
                    line=line,
                    diagnosis=_diagnosis(failing, name, statements.get(line), passing),
                    counterexample=_counterexample(failing, name),
                )
            )
        return CheckReport(f"{self.filename}:{function.name}", loss, verdicts, [NOTE])

    def _blamed(self, function, statements, run: _Run, name: str, vouched: set[int]) -> int:
        """The first wrong line ``name`` depends on."""
        if isinstance(run.got[name], Failure) and run.got[name].line is not None:
            return run.got[name].line
        claimed = name
        source = _entry_source(statements, name)
        if source is not None and source in run.final:
            others = [e for n, e in run.expected.items() if n != name and e is not None]
            if any(_agrees(run.final[source], e) for e in others):  # another's value: swapped
                return _entry_line(statements, name)
            run.targets.setdefault(source, run.expected[name])
            name = source
        depends = _dependencies(statements, name) | {name}
        wrong = [
            v
            for v in run.targets
            if v in depends
            and v in run.final
            and not _agrees(run.final[v], run.targets[v])
            and not set(_own_writes(statements, v)) <= vouched  # a right gradient needs it
        ]
        shared = _shared_source(statements, run, vouched)
        if shared is not None and name != shared and shared in depends:
            wrong.append(shared)
        if name not in wrong:
            wrong.append(name)
        ordered = sorted(wrong, key=lambda v: _first_line(statements, v, function))
        variable = ordered[0]
        target = run.targets.get(variable, run.expected.get(claimed))
        value = run.final.get(variable, run.got[claimed])
        line = _blamed_line(function, statements, run, variable, value, target)
        for _ in range(len(statements)):  # a line that passes a value on: where it is made
            passed = _passed_on(statements[line]) if line in statements else None
            if passed is None or passed not in run.final or not _writes(statements, passed):
                return line
            source = run.final[passed]
            target = _rearranged_back(target, np.shape(plain(source)))
            if target is None or _agrees(source, target):
                return line  # what it passes on is right (or not known): the mistake is here
            following = _blamed_line(function, statements, run, passed, source, target)
            if following in vouched:
                return line
            line = following
        return line


# -- helpers ---------------------------------------------------------------------------------
def _tracked(arguments: dict) -> tuple[dict, dict[str, np.ndarray]]:
    """The arguments with every float array made of tracked numbers (its leaves kept)."""
    out, leaves = {}, {}
    for name, value in arguments.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            leaves[name] = _leaves(value)
            out[name] = leaves[name].copy()  # a forward writing into its input keeps the leaves
        elif isinstance(value, dict) and any(isinstance(v, np.ndarray) for v in value.values()):
            out[name] = dict(value)  # a dict of weights: ``parameters["Wax"]``
            for key, entry in value.items():
                if isinstance(entry, np.ndarray) and entry.dtype.kind == "f":
                    leaves[f"{name}[{key!r}]"] = _leaves(entry)
                    out[name][key] = leaves[f"{name}[{key!r}]"].copy()
        else:
            out[name] = value
    return out, leaves


def _numbers(value) -> bool:
    """An array of plain numbers: floats, or objects that are all plain floats."""
    if not isinstance(value, np.ndarray) or not value.size:
        return False
    if value.dtype.kind == "f":
        return True
    return value.dtype == object and all(type(v) is float for v in value.flat)


def _is_loss_class(cls: ast.ClassDef) -> bool:
    return "loss" in cls.name.lower()


def _is_tracked(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


_INIT_SIZES = {"input": 4, "neuron": 6, "output": 6, "unit": 6, "hidden": 6, "size": 6}
_INIT_RATES = ("p", "keep_prob", "dropout")  # and any name ending in "rate"


def _init_arguments(init: ast.FunctionDef | None) -> list:
    """What ``Layer_Dense(n_inputs, n_neurons)`` is made with: sizes by their names, a rate
    by its name; arguments with defaults keep them."""
    if init is None:
        return []
    spec = init.args
    required = spec.args[1 : len(spec.args) - len(spec.defaults)]
    values = []
    for argument in required:
        name = argument.arg.lower()
        if name in _INIT_RATES or name.endswith("rate"):
            values.append(0.25)
            continue
        size = next((v for k, v in _INIT_SIZES.items() if k in name), 4)
        values.append(size)
    return values


_PREDICTIONS = ("y_pred", "pred", "predictions", "probs", "output", "outputs")
_LABELS = ("y_true", "y", "labels", "targets", "target")


def _forward_arguments(forward, instance: Instance, loss: bool, rng) -> dict:
    """The forward's arguments: inputs as wide as the layer's weights take (4 else), labels
    below the width of what they label, probabilities where a loss takes predictions."""
    spec = forward.args
    names = [a.arg for a in spec.args[1 : len(spec.args) - len(spec.defaults)]]
    weights = [v for v in instance.attributes.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    width = weights[0].shape[0] if weights else 4
    samples = 5
    out: dict[str, object] = {}
    for name in names:
        if name.lower() in _LABELS:
            labels = rng.integers(0, width, size=samples)
            labels[-1] = labels[0]
            out[name] = labels
        elif loss and name.lower() in _PREDICTIONS:
            raw = rng.uniform(0.1, 1.0, size=(samples, width))
            out[name] = raw / raw.sum(axis=1, keepdims=True)
        else:
            out[name] = rng.standard_normal((samples, width))
    return out


def _gradient_of(gradient: str, arguments: dict, instance: Instance) -> str | None:
    """``dinputs``: the forward's ``inputs``; ``dweights``: ``self.weights``."""
    base = named_weight(gradient)
    if base in arguments:
        return base
    if base is not None and base in instance.attributes:
        return f"self.{base}"
    if gradient in ("dinputs", "dvalues", "dx") and arguments:
        return next(iter(arguments))  # the forward's first argument, by any name
    return None


def _describe_value(name: str, value) -> str:
    if isinstance(value, np.ndarray):
        return f"{name} {value.shape}"
    return f"{name} = {value}"


def _leaves(value: np.ndarray) -> np.ndarray:
    tracked = np.empty(value.shape, dtype=object)
    for index, number in np.ndenumerate(value):
        tracked[index] = Tracked(number)
    return tracked


def _entry(name: str) -> tuple[str, str] | None:
    """``("gradients", "dWax")`` for ``gradients['dWax']``; None for a plain name."""
    if "[" not in name or not name.endswith("]"):
        return None
    base, key = name[:-1].split("[", 1)
    try:
        key = ast.literal_eval(key)
    except (ValueError, SyntaxError):
        return None
    return (base, key) if isinstance(key, str) else None


def _entry_line(statements: dict[int, ast.stmt], name: str) -> int:
    """The line that fills a dict entry (``{"dWax": ...}`` or ``grads["dWax"] = ...``)."""
    base, key = _entry(name)
    for line, statement in sorted(statements.items()):
        if not isinstance(statement, ast.Assign):
            continue
        target, value = statement.targets[0], statement.value
        literal = isinstance(target, ast.Name) and target.id == base and isinstance(value, ast.Dict)
        if literal and any(isinstance(k, ast.Constant) and k.value == key for k in value.keys):
            return line
        if _is_entry(target, base, key):
            return line
    return max(statements)


def _is_entry(target: ast.expr, base: str, key: str) -> bool:
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and target.value.id == base
        and isinstance(target.slice, ast.Constant)
        and target.slice.value == key
    )


def _entry_source(statements: dict[int, ast.stmt], name: str) -> str | None:
    """The variable a dict entry is filled from: ``dWax`` in ``{"dWax": dWax}`` or
    ``grads["dWax"] = dWax``."""
    entry = _entry(name)
    if entry is None:
        return None
    base, key = entry
    for statement in statements.values():
        if not isinstance(statement, ast.Assign):
            continue
        target, value = statement.targets[0], statement.value
        if isinstance(target, ast.Name) and target.id == base and isinstance(value, ast.Dict):
            for k, v in zip(value.keys, value.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Name):
                    return v.id
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == base
            and isinstance(target.slice, ast.Constant)
            and target.slice.value == key
            and isinstance(value, ast.Name)
        ):
            return value.id
    return None


def _gradients(returned, params, leaves: dict, grads: dict) -> dict[str, np.ndarray | None]:
    """Each returned name's correct value: the adjoints of its argument's leaves."""
    return {n: _gradient(leaves.get(p), grads) for n, p in zip(returned, params, strict=True)}


def _gradient(leaves: np.ndarray | None, grads: dict) -> np.ndarray | None:
    if leaves is None:
        return None
    out = np.zeros(leaves.shape)
    for index, leaf in np.ndenumerate(leaves):
        out[index] = grads.get(id(leaf), 0.0)
    return out


def _forward_targets(forward, names: dict, grads: dict) -> dict[str, np.ndarray]:
    """``dNAME`` -> the adjoint of the forward's ``NAME``, for names it assigns once, out of any
    loop (a name reassigned in a loop has no one value to hold a gradient to)."""
    counts: dict[str, int] = {}
    in_loops: set[str] = set()
    for node in ast.walk(forward):
        if isinstance(node, ast.For | ast.While):
            for inner in ast.walk(node):
                if isinstance(inner, ast.stmt):
                    in_loops |= written_names(inner)
        if isinstance(node, ast.Assign | ast.AugAssign):
            for name in written_names(node):
                counts[name] = counts.get(name, 0) + 1
    targets = {}
    for name, value in names.items():
        if counts.get(name, 0) > 1 or name in in_loops:
            continue
        tracked = isinstance(value, np.ndarray) and value.dtype == object and value.size
        if tracked and any(isinstance(v, Tracked) for v in value.flat):
            targets[f"d{name}"] = _gradient(value, grads)
    return targets


def _gradient_names(function: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.stmt):
            names |= {n for n in written_names(node) if named_weight(n) or n.startswith("d")}
    return names


def _dict_keys(returned: list[str]) -> list[str]:
    return [ast.literal_eval(r.split("[", 1)[1].rstrip("]")) for r in returned]


def _agrees(got, expected) -> bool:
    if isinstance(got, Failure):
        return False
    if expected is None:
        return got is None
    try:
        got = np.asarray(plain(got), dtype=float)
    except (TypeError, ValueError):
        return False
    if got.shape != expected.shape:
        if got.size == expected.size == 1:
            got = got.reshape(expected.shape)
        else:
            return False
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    return bool(np.all(np.abs(got - expected) <= RTOL * scale + 1e-12))


def _simple_statements(function: ast.FunctionDef) -> dict[int, ast.stmt]:
    """Every simple statement of the function by its line."""
    return {
        node.lineno: node
        for node in ast.walk(function)
        if isinstance(node, ast.stmt)
        and not isinstance(node, ast.For | ast.While | ast.If | ast.FunctionDef | ast.With)
    }


def _writes(statements: dict[int, ast.stmt], name: str) -> list[int]:
    return sorted(line for line, s in statements.items() if name in written_names(s))


def _initialising(statement: ast.stmt) -> bool:
    """``dW = np.zeros_like(W)``, ``dx = None``: a start, never a formula."""
    value = _assigned_value(statement)
    if isinstance(value, ast.Constant):
        return True
    if not isinstance(value, ast.Call):
        return False
    called = _called_name(value)
    return called in _STARTS or called.startswith("zero")  # np.zeros, or a zero_pad() of one


def _aliasing(statement: ast.stmt) -> bool:
    """``dx = dout.copy()``, ``dx = dout``: a start where later lines change the value."""
    value = _assigned_value(statement)
    return isinstance(value, ast.Name) or (
        isinstance(value, ast.Call) and _called_name(value) == "copy"
    )


_STARTS = {"zeros", "zeros_like", "empty", "empty_like"}


def _assigned_value(statement: ast.stmt) -> ast.expr | None:
    """The value of ``name = value`` or ``self.name = value``: a whole value assigned."""
    if not isinstance(statement, ast.Assign):
        return None
    target = statement.targets[0]
    whole = isinstance(target, ast.Name) or (
        isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
    )
    return statement.value if whole else None


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _own_writes(statements, name: str) -> list[int]:
    """The lines that make ``name``'s value, starts left out where there are others; for an
    array only ever written through views (``da_prev_pad = dA_prev_pad[i]``), theirs."""
    lines = _writes(statements, name)
    made = [line for line in lines if not _initialising(statements[line])]
    if not made:
        views = sorted(
            {line for view in _views(statements, name) for line in _writes(statements, view)}
        )
        made = [
            line
            for line in views
            if not _initialising(statements[line]) and not _is_view(statements[line], name)
        ]
    made = made or lines
    return [line for line in made if not _aliasing(statements[line])] or made


def _views(statements, name: str) -> set[str]:
    """Names bound to a slice of ``name``: ``da_prev_pad = dA_prev_pad[i]``."""
    return {
        s.targets[0].id
        for s in statements.values()
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and _is_view(s, name)
    }


def _is_view(statement: ast.stmt, name: str) -> bool:
    value = getattr(statement, "value", None)
    return (
        isinstance(statement, ast.Assign)
        and isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id == name
    )


def _first_line(statements, name: str, function) -> int:
    return (_own_writes(statements, name) or [function.body[-1].lineno])[0]


def _last_write(statements, name: str, function) -> int:
    lines = _writes(statements, name)
    return lines[-1] if lines else function.body[-1].lineno


def _dependencies(statements: dict[int, ast.stmt], name: str) -> set[str]:
    """The names read, directly or not, by the statements that write ``name``."""
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        for line in _writes(statements, current):
            for node in ast.walk(statements[line]):
                loaded = isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                if loaded and node.id not in found:
                    found.add(node.id)
                    todo.append(node.id)
    return found


def _blamed_line(function, statements, run: _Run, variable: str, value, target) -> int:
    for line in _writes(statements, variable):  # a start of zeros that is not zeros
        change = run.writes.changes.get((variable, line))
        start = _initialising(statements[line]) and isinstance(statements[line].value, ast.Call)
        if start and change is not None and np.any(change):
            return line
    own = _own_writes(statements, variable)
    ran = [line for line in own if line in run.writes.ran]
    own = ran or own  # a branch the failing setting never took is not where it fails
    if not own:
        return function.body[-1].lineno
    if len(own) == 1:
        return own[0]
    try:
        error = np.asarray(plain(value), dtype=float) - target
    except (TypeError, ValueError):
        return own[0]
    matching = [line for line in own if _parallel(error, run.writes.changes.get((variable, line)))]
    # every rescaling of a value is a multiple of a wrong scale: the lines that change the
    # value they are given come before the one that made it
    changing = [line for line in matching if _reads_itself(statements[line], variable)]
    if changing or matching:
        return (changing or matching)[0]
    return _after_last_fit(function, run, variable, own, target)


def _after_last_fit(function, run: _Run, variable: str, own: list[int], target) -> int:
    """The first line writing ``variable`` after the last top-level statement at whose end its
    value was one it may rightly hold (its final value, or a partial loss's gradient)."""
    acceptable = [target] + [a[variable] for a in run.acceptable if variable in a]
    last_fit = -1
    for index, snapshot in enumerate(run.writes.after):
        if variable in snapshot and any(
            a is not None and _agrees(snapshot[variable], a) for a in acceptable
        ):
            last_fit = index
    if last_fit == len(run.writes.after) - 1:  # it ends right: a term is missing at the end
        return own[-1]
    start = function.body[last_fit + 1].lineno if last_fit + 1 < len(function.body) else 0
    after = [line for line in own if line >= start]
    return (after or own)[0]


def _shared_source(statements, run: _Run, vouched: set[int]) -> str | None:
    """Where several returned gradients are wrong: the last value all of them are made from
    that no right gradient needs (``dtanh``, read by every gradient of an RNN cell)."""
    wrong = [n for n in run.expected if not _agrees(run.got[n], run.expected[n])]
    if len(wrong) < 2:
        return None
    common = set.intersection(
        *(_dependencies(statements, _entry_source(statements, n) or n) for n in wrong)
    )
    made = [
        v
        for v in common
        if _own_writes(statements, v)
        and not set(_own_writes(statements, v)) <= vouched
        and not (v in run.targets and v in run.final and _agrees(run.final[v], run.targets[v]))
    ]
    return max(made, key=lambda v: _own_writes(statements, v)[-1], default=None)


def _reads_itself(statement: ast.stmt, variable: str) -> bool:
    """``dx /= N``, ``dx = dx / N``, ``dx[...] -= 1``: a line that changes what it is given."""
    if isinstance(statement, ast.AugAssign) or not isinstance(statement, ast.Assign):
        return True
    if not isinstance(statement.targets[0], ast.Name | ast.Attribute):
        return True  # a write into part of it
    return any(
        ast.unparse(node) == variable
        for node in ast.walk(statement.value)
        if isinstance(node, ast.Name | ast.Attribute)
    )


def _passed_on(statement: ast.stmt) -> str | None:
    """The one name a statement only passes on, unchanged or rearranged: ``dh0 = dprev_h``,
    ``dWx += dWx_t``, ``dx[:, t, :] = dx_t``, ``dx = dx_flat.reshape(N, T, V)``."""
    if isinstance(statement, ast.Assign | ast.AugAssign):
        if isinstance(statement, ast.AugAssign) and not isinstance(statement.op, ast.Add):
            return None
        value = statement.value
        while True:
            if isinstance(value, ast.Name):
                return value.id
            if isinstance(value, ast.Attribute) and value.attr == "T":
                value = value.value
            elif (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr in ("reshape", "copy")
            ):
                value = value.func.value
            else:
                return None
    return None


def _rearranged_back(target, shape):
    """The value a passed-on name should hold, from what its receiver should: the same
    numbers in the source's shape (a reshape); None where that is not known."""
    if target is None or isinstance(target, Failure):
        return None
    target = np.asarray(target)
    if target.shape == tuple(shape):
        return target
    if target.size == int(np.prod(shape)):
        return target.reshape(shape)
    return None


def _parallel(error: np.ndarray, change) -> bool:
    if change is None:
        return False
    change = np.asarray(change, dtype=float)
    if change.shape != error.shape or not np.any(change) or not np.any(error):
        return False
    scale = float(np.dot(change.ravel(), error.ravel()) / np.dot(change.ravel(), change.ravel()))
    residual = error - scale * change
    return bool(np.max(np.abs(residual)) <= 1e-6 * np.max(np.abs(error)))


def _source(statements, line: int, name: str) -> str:
    statement = statements.get(line)
    return ast.unparse(statement) if statement is not None else name


# -- what is wrong, and where ------------------------------------------------------------------
def _diagnosis(run: _Run, name: str, statement, passing: list[_Run]) -> Diagnosis:
    expected = run.expected[name]
    if isinstance(run.got[name], Failure):
        return Diagnosis("fails", f"fails at these sizes: {run.got[name].message}")
    try:
        got = np.asarray(plain(run.got[name]), dtype=float)
    except (TypeError, ValueError):
        return Diagnosis("not an array", f"{name} is not an array of numbers here")
    if got.shape != expected.shape:
        same = got.size == expected.size and _close(got.reshape(expected.shape), expected)
        tail = ": the right numbers in another shape (keepdims?)" if same else ""
        return Diagnosis("shape", f"shape {got.shape}, the gradient's is {expected.shape}{tail}")
    if _overwritten(statement, passing):
        return Diagnosis(
            "overwritten",
            "windows overlap at this setting: where they share an input, its gradient must "
            "add up (+=); an assignment keeps only the last window's",
        )
    found = _relation(got, expected, run)
    if passing:  # right at some settings: say at which, by what differs between them
        right, wrong = passing[0].setting.config, run.setting.config
        differ = [k for k in wrong if right.get(k) != wrong[k]]
        right_at = _settings_named({k: right[k] for k in differ if k in right})
        wrong_at = _settings_named({k: wrong[k] for k in differ})
        if right_at and wrong_at:
            return Diagnosis(
                found.kind, f"{found.message}; right at {right_at}, wrong at {wrong_at}"
            )
    return found


def _relation(got: np.ndarray, expected: np.ndarray, run: _Run) -> Diagnosis:
    """How a wrong gradient relates to the right one, in the simplest terms that hold."""
    if not np.any(got):
        return Diagnosis("zero", "all zeros: nothing of the upstream gradient reaches it")
    if got.ndim == 2 and got.shape == expected.T.shape and _close(got, expected.T):
        return Diagnosis("transposed", "transposed")
    if np.any(expected) and _parallel(got, expected):
        factor = float(
            np.dot(got.ravel(), expected.ravel()) / np.dot(expected.ravel(), expected.ravel())
        )
        if abs(factor + 1) < 1e-6:
            return Diagnosis("sign", "sign flipped")
        return Diagnosis("extra factor", f"off by a factor {_number(factor)}")
    differs = ~np.isclose(got, expected, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(expected).max()))
    if np.all(got[differs] == 0):
        return Diagnosis(
            "masked", "zero where the gradient is not: a mask or a window keeps too little"
        )
    if np.all(expected[differs] == 0):
        return Diagnosis(
            "unmasked", "nonzero where the gradient is 0: a mask is missing or keeps too much"
        )
    if _close(np.sort(got.ravel()), np.sort(expected.ravel())):
        return Diagnosis(
            "rearranged", "the right numbers in the wrong places (axes swapped or reshaped)"
        )
    error = got - expected
    for arg, value in run.setting.arguments.items():
        if isinstance(value, np.ndarray) and value.shape == error.shape and _parallel(error, value):
            scale = float(
                np.dot(error.ravel(), value.ravel()) / np.dot(value.ravel(), value.ravel())
            )
            reg = run.setting.arguments.get("reg")
            if reg:
                return Diagnosis(
                    "regularisation",
                    f"off by {_number(scale / reg)} * reg * {arg}: its regularisation term "
                    "does not match the loss's",
                )
            return Diagnosis("extra term", f"off by {_number(scale)} * {arg}")
    return Diagnosis("differs", f"wrong at {int(differs.sum())} of {expected.size} entries")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-12)
    return bool(np.all(np.abs(a - b) <= RTOL * scale + 1e-12))


def _settings_named(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())


def _overwritten(statement, passing: list[_Run]) -> bool:
    """An assignment into a slice, right at some settings: windows that overlap are lost."""
    return (
        bool(passing)
        and isinstance(statement, ast.Assign)
        and isinstance(statement.targets[0], ast.Subscript)
        and any(isinstance(s, ast.Slice) for s in ast.walk(statement.targets[0]))
    )


def _counterexample(run: _Run, name: str) -> Counterexample:
    expected = run.expected[name]
    if isinstance(run.got[name], Failure):
        where = f"{run.setting.described} (random values)"
        return Counterexample(where, f"an array of shape {expected.shape}", "an error")
    try:
        got = np.asarray(plain(run.got[name]), dtype=float).reshape(expected.shape)
    except (TypeError, ValueError):
        return Counterexample(run.setting.described, f"shape {expected.shape}", "not that shape")
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), expected.shape)
    where = [int(i) for i in index]
    return Counterexample(
        f"{run.setting.described} (random values)",
        f"element {where} = {_number(expected[index])}",
        f"element {where} = {_number(got[index])}",
        {"setting": run.setting.described},
    )


def _number(value: float) -> str:
    return f"{value:.6g}"


def concrete_report(tree: ast.Module, filename: str, unit: Unit) -> CheckReport | None:
    """The verdicts on a unit read concretely, or None where it cannot be (the formula
    reader's reason then stands); a layer class, which only this reader reads, raises its
    reason instead."""
    judge = Judge(tree, filename)
    if unit.layer_class is not None:  # no formula reading to fall back on: say why
        try:
            return judge.layer_class(unit.layer_class, unit.params)
        except Refused as refused:
            raise UnsupportedConstruct(refused.message, file=filename, line=refused.line) from None
        except SymbackpropError as error:
            if error.file is None:
                raise type(error)(error.message, file=filename, line=unit.line) from None
            raise
    if not unit.sources or unit.method:
        return None
    try:
        if unit.is_pair:
            forward, backward = unit.sources
            upstream, returned, params = pair_gradients(forward, backward, filename)
            return judge.pair(forward, backward, upstream, returned, params, forward.name)
        (function,) = unit.sources
        loss, returned, params = loss_gradients(function, filename)
        return judge.loss(function, returned, params, loss)
    except (Refused, SymbackpropError):
        return None
