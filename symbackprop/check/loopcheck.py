"""Judge what the formula reader cannot read by evaluating it at small sizes through the
concrete reader, the correct gradients taken exactly from the forward's tape: a layer pair or a
loss function with naive loops (windows, classes, time steps calling a step function,
data-dependent ``if``), and a layer class whose ``backward`` stores ``self.dinputs``.

Each returned gradient is judged at every setting (stride 1 and 2, padding 0 and 1, windows that
overlap and that don't, each mode a string argument chooses); where one is wrong,
:mod:`~symbackprop.check.loopblame` finds the line and :mod:`~symbackprop.check.loopdiagnose`
says what is wrong.
"""

from __future__ import annotations

import ast
from collections import Counter

import numpy as np

from symbackprop.check.costs import (
    cost_arguments,
    cost_name,
    cost_numbers,
    cost_pair_arguments,
    output_names,
)
from symbackprop.check.loopblame import (
    blamed,
    entry_source,
    last_write,
    simple_statements,
    source_text,
    vouched_lines,
)
from symbackprop.check.loopdiagnose import counterexample, diagnosis
from symbackprop.check.loopruns import Failure, Run, agrees, entry
from symbackprop.check.penalties import Penalty, penalty_of, returned_name
from symbackprop.check.persample import (
    averaged_over_samples,
    per_sample_note,
    per_sample_targets,
)
from symbackprop.check.report import CheckReport, Verdict
from symbackprop.errors import SymbackpropError, UnsupportedConstruct
from symbackprop.readers.concrete.inputs import (
    Setting,
    forward_arguments,
    init_arguments,
    is_label,
    loss_kind,
    settings,
)
from symbackprop.readers.concrete.interpreter import (
    Instance,
    Interpreter,
    Module,
    Refused,
    Writes,
    plain,
    written_names,
)
from symbackprop.readers.concrete.networks import (
    STRENGTH,
    Made,
    loss_keywords,
    network_configurations,
    network_data,
)
from symbackprop.readers.concrete.tape import Constant, Tracked, adjoints
from symbackprop.readers.layerpairs import (
    DYNAMIC,
    RETURNED,
    Unit,
    cost_function,
    loss_gradients,
    loss_position,
    pair_gradients,
)
from symbackprop.readers.programshapes import named_weight

PROOF = "evaluated at the sizes of every setting, its loops unrolled; the derivative is exact"
NOTE = (
    "read by evaluating the code at small sizes the checker chose (its loops unrolled), against "
    "the exact derivative of the forward there"
)


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
        cost: ast.FunctionDef | None = None,
    ) -> CheckReport:
        """The verdicts on a pair: its gradients of L = sum(out * dout), or where the backward
        takes no upstream gradient, of the cost the forward returns first or ``cost`` makes
        of its output."""
        runs = []
        found = self._settings(forward, owner)
        if returned is DYNAMIC:
            returned, params = self._dynamic_gradients(forward, backward, found[0], cost)
        for setting in found:
            run = self._pair_run(forward, backward, upstream, returned, params, setting, cost)
            runs.append(run)
        loss = "L" if upstream else "cost" if cost else cost_name(forward)
        claims = {n: f"d{loss}/d{param}" for n, param in zip(returned, params, strict=True)}
        report = self._report(backward, runs, claims, loss)
        if cost is not None:
            labels = cost.args.args[1].arg
            numbers = "".join(f", {n} = {v}" for n, v in cost_numbers(cost, forward).items())
            report.notes.append(
                f"cost = {cost.name}() of what {forward.name}() returns first, at labels "
                f"{labels} of 0 and 1 drawn here{numbers}"
            )
        if not upstream:
            return report
        if averaged_over_samples(runs, upstream[0], dict(zip(returned, params, strict=True))):
            report = self._report(backward, runs, claims, loss)
            report.notes.append(per_sample_note(upstream[0], "m"))
        return report

    def _dynamic_gradients(self, forward, backward, setting, cost):
        """The entries of the dict a backward returns under keys it computes (``"dW" +
        str(l + 1)``), found by running it once: those named for an entry of the forward's
        dict of weights (``dW1`` for ``parameters["W1"]``), each with that entry."""
        run = self._pair_run(forward, backward, [], [], (), setting, cost, keep_all=True)
        got = run.final.get(backward.body[-1].value.id)
        weights = {
            key: f"{name}[{key!r}]"
            for name, value in setting.arguments.items()
            if isinstance(value, dict)
            for key in value
        }
        claimed = [k for k in (got or {}) if named_weight(k) in weights]
        # every weight is held to a gradient: one it never fills (its key made wrong, or it
        # fails) is missing, named as the others are
        found = {named_weight(k) for k in claimed}
        claimed += [f"d{key}" for key in weights if key not in found]
        if not claimed:
            raise UnsupportedConstruct(f"no entry {backward.name}() returns is a weight's")
        dict_name = backward.body[-1].value.id
        names = [f"{dict_name}[{key!r}]" for key in claimed]
        return names, tuple(weights[named_weight(key)] for key in claimed)

    def _pair_run(
        self, forward, backward, upstream, returned, params, setting, cost, keep_all=False
    ) -> Run:
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
        handed = [*douts, *plain(cache)]
        if not upstream and cost is None:  # the forward returns its cost first
            loss, cache = values[0], values[1:]
            handed = cost_pair_arguments(forward, backward, setting.arguments, plain(cache))
        elif not upstream:  # the file's cost of the forward's output, at labels drawn here
            output, cache = values
            labels = rng.integers(0, 2, size=np.shape(output)).astype(float)
            numbers = cost_numbers(cost, forward)
            taken = cost_arguments(cost, output, labels, {**arguments, **numbers})
            loss = forward_run.call(cost, taken)
            named = {**setting.arguments, **output_names(forward, output, labels, cost)}
            named |= numbers
            handed = cost_pair_arguments(forward, backward, named, [plain(cache)])
        if isinstance(loss, np.ndarray) and loss.size == 1:  # np.squeeze(cost): one number
            loss = loss.reshape(()).item()
        if not upstream and not isinstance(loss, Tracked):
            raise UnsupportedConstruct(f"the cost of {forward.name}() does not depend on it")
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
            got = backward_run.call(backward, handed, keywords, writes=writes)
        except Refused as failure:  # the forward ran: a backward that fails here is wrong
            if not failure.failed:
                raise
            got = [Failure(failure.message, failure.line)] * len(returned)
        if isinstance(got, dict) and all(entry(n) for n in returned):
            got = [got.get(entry(n)[1]) for n in returned]
        got = list(got) if isinstance(got, tuple | list) else [got]
        if keep_all:  # a first run, to see what it returns
            got = []
        if len(got) != len(returned):
            raise UnsupportedConstruct(f"{backward.name}() returns {len(got)} values here")
        if not upstream:  # deltas per sample (dZ3 = A3 - Y) beside a cost that is a mean
            per_sample_targets(targets, backward_run.locals_after, setting.arguments)
        return Run(
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
        taken = [a.arg for a in backward.args.args[1:]]
        if taken and taken[0] in _DATA_NAMES:  # ``backward(self, X, y)``: a whole network
            raise UnsupportedConstruct(
                f"{cls.name}.backward({', '.join(taken)}) takes the data, not the gradient "
                "of its forward's output: the loss its gradients are of is not written in "
                "the class, so it is not read (a loss(X, y) method returning loss, grads is)"
            )
        kind = loss_kind(cls.name)
        loss = kind is not None
        runs = [self._class_run(cls, forward, backward, gradients, kind)]
        penalty = None if loss else penalty_of(self.module, probe.method("__init__"))
        if penalty is not None:  # the regularisers on, their loss added as the file adds it
            runs.append(self._class_run(cls, forward, backward, gradients, kind, penalty))
        run = runs[0]
        claims = {_key(g): f"d{'loss' if loss else 'L'}/d{run.params[g]}" for g in gradients}
        claims = {n: c for n, c in claims.items() if run.expected.get(n) is not None}
        if not claims:
            raise UnsupportedConstruct(f"cannot tell what {cls.name}'s gradients are of")
        return self._report(backward, runs, claims, "loss" if loss else "L")

    def _class_run(
        self, cls, forward, backward, gradients, kind: str | None, penalty: Penalty | None = None
    ) -> Run:
        rng = np.random.default_rng(7)
        interpreter = Interpreter(self.module, tracking=True, seed=3)
        init = Instance(cls, self.module).method("__init__")
        strengths = penalty.strengths if penalty else {}
        instance = interpreter.instantiate(cls, init_arguments(init), strengths)
        # The weights a gradient is claimed for, drawn afresh: biases made zero would hide a
        # regulariser's term, and a weight's sign its L1 slope.
        drawn = np.random.default_rng(5)
        claimed = {named_weight(g) for g in gradients}
        leaves = {}
        for name, value in list(instance.attributes.items()):
            if _numbers(value):  # the weights __init__ made (zeros made as objects too)
                value = np.asarray(plain(value), dtype=float)
                if name in claimed:
                    value = drawn.standard_normal(value.shape)
                leaves[f"self.{name}"] = _leaves(value)
                instance.attributes[name] = leaves[f"self.{name}"].copy()
        arguments = forward_arguments(forward, instance, kind, rng)
        loss = kind is not None
        arguments, inputs = _tracked(arguments)
        leaves |= inputs
        result = interpreter.call(forward, [instance, *arguments.values()])
        if loss:
            total = np.mean(result) if isinstance(result, np.ndarray) else result
            handed = [plain(instance.attributes.get("output", next(iter(arguments.values()))))]
            handed += [plain(v) for n, v in arguments.items() if is_label(n)][:1]
        else:
            output = instance.attributes.get("output", result)
            handed = [rng.standard_normal(np.shape(output))]
            total = np.sum(np.asarray(output, dtype=object) * handed[0])
        partials = [total]  # the data's term, then each regulariser's added as the file adds it
        if penalty is not None:
            owner = interpreter.instantiate(penalty.owner, [], {})
            added = Writes({returned_name(penalty.method)})
            penalties = interpreter.call(penalty.method, [owner, instance], writes=added)
            partials += [total + s[n] for s in added.after for n in added.watched if n in s]
            total = total + penalties
        if not isinstance(total, Tracked):
            raise UnsupportedConstruct(f"{cls.name}'s forward does not depend on its inputs")
        params = {g: _gradient_of(g, arguments, instance) for g in gradients}

        def gradients_of(objective) -> dict[str, np.ndarray | None]:
            grads = adjoints(objective)
            return {
                _key(g): _gradient(leaves.get(params[g]), grads) if params[g] else None
                for g in gradients
            }

        grads = adjoints(total)
        expected = gradients_of(total)
        acceptable = [gradients_of(p) for p in partials[:-1] if isinstance(p, Tracked)]
        targets = {
            f"self.d{name}": _gradient(value, grads)
            for name, value in instance.attributes.items()
            if isinstance(value, np.ndarray) and value.dtype == object
        }
        targets |= {n: e for n, e in expected.items() if e is not None}
        after = instance.plain()
        stored = {f"self.{g}" for g in gradients if g != RETURNED}
        writes = Writes(stored | _gradient_names(backward))
        run = Interpreter(self.module, tracking=False, seed=3)
        taken = len(backward.args.args) - 1  # what it is handed: the upstream, or the labels
        try:
            result = run.call(backward, [after, *handed[:taken]], writes=writes)
            got = {_key(g): result if g == RETURNED else after.attributes.get(g) for g in gradients}
        except Refused as failure:
            if not failure.failed:
                raise
            got = {_key(g): Failure(failure.message, failure.line) for g in gradients}
        final = dict(run.locals_after) | {f"self.{k}": v for k, v in after.attributes.items()}
        made = [*map(str, init_arguments(init)), *(f"{k}={v}" for k, v in strengths.items())]
        described = ", ".join(
            [f"{cls.name}({', '.join(made)})"]
            + [_describe_value(n, v) for n, v in arguments.items()]
        )
        setting = Setting({n: plain(v) for n, v in arguments.items()}, described, strengths)
        return Run(
            setting,
            expected,
            got,
            targets,
            final,
            writes,
            acceptable,
            {g: (params[g] or "?").removeprefix("self.") for g in gradients},
        )

    # -- a network class's loss(X, y) ---------------------------------------------------------
    def network_loss(self, cls: ast.ClassDef, method: ast.FunctionDef) -> CheckReport:
        """``FullyConnectedNet.loss(X, y)`` returning ``loss, grads``: the network made in each
        configuration, its weights ``self.params`` drawn afresh, each entry of ``grads`` held
        to the exact gradient of the loss for the weight of its key."""
        init = Instance(cls, self.module).method("__init__")
        plain_made, *variants = network_configurations(cls, init)
        runs = [self._network_run(cls, method, plain_made)]
        failed = []
        for made in variants:  # one that fails may fail for the sizes chosen: said, left out
            try:
                runs.append(self._network_run(cls, method, made))
            except Refused as refused:
                if not refused.failed:
                    raise
                failed.append(
                    f"not judged as {made.described}: it fails there at line "
                    f"{refused.line}: {refused.message}"
                )
        claims = {}
        for run in runs:
            claims |= {n: f"dloss/dself.{run.params[n]}" for n in run.expected}
        for run in runs:  # a weight one configuration does not make: nothing to hold it to
            for name in claims:
                run.expected.setdefault(name, None)
                run.got.setdefault(name, None)
        report = self._report(method, runs, claims, "loss")
        report.notes += failed
        return report

    def _network_run(self, cls, method, made: Made) -> Run:
        interpreter = Interpreter(self.module, tracking=True, seed=3)
        instance = interpreter.instantiate(cls, [], made.keywords)
        weights = instance.attributes.get("params")
        if not isinstance(weights, dict):
            raise UnsupportedConstruct(f"{cls.name} keeps no dict of weights self.params")
        leaves = _drawn_weights(weights)
        X, y = network_data(made, np.random.default_rng(7))
        loss_name, grads_name = _loss_and_gradients(method)
        writes = Writes({loss_name})
        keywords = loss_keywords(method)
        result = interpreter.call(method, [instance, X, y], keywords, writes=writes)
        loss, grads = result if loss_position(method) == 0 else result[::-1]
        if not isinstance(loss, Tracked) or not isinstance(grads, dict):
            raise UnsupportedConstruct(f"{cls.name}.{method.name}() does not return loss, grads")
        # every weight is held to a gradient: one never filled is missing
        names = {f"{grads_name}[{k!r}]": k for k in leaves}
        exact = adjoints(loss)
        expected = {n: _gradient(leaves[k], exact) for n, k in names.items()}
        acceptable = []
        for snapshot in writes.after:  # the gradients of each partial loss
            partial = snapshot.get(loss_name)
            if isinstance(partial, Tracked):
                grads_of = adjoints(partial)
                acceptable.append({n: _gradient(leaves[k], grads_of) for n, k in names.items()})
        got = {n: plain(grads.get(k)) for n, k in names.items()}
        called = "".join(f", {k} = {v}" for k, v in keywords.items())
        described = f"{made.described}, X {X.shape}, y {y.shape}{called}"
        # the weights and the strengths a wrong term may be a multiple of, for the diagnosis
        weights_now = {f"self.params[{k!r}]": plain(v) for k, v in leaves.items()}
        strengths = {k: v for k, v in (made.keywords | keywords).items() if v == STRENGTH}
        setting = Setting({"X": X, "y": y, **weights_now}, described, strengths)
        final = {k: plain(v) for k, v in interpreter.locals_after.items()}
        params = {n: f"params[{k!r}]" for n, k in names.items()}
        # the deltas named for its values (``dh1`` for ``h1``), held to their adjoints
        targets = _forward_targets(method, interpreter.locals_after, exact) | expected
        return Run(setting, expected, got, targets, final, writes, acceptable, params)

    # -- a network's backprop(x, y) returning lists of gradients -----------------------------
    def gradient_lists(
        self, cls: ast.ClassDef, method: ast.FunctionDef, lists: tuple[tuple[str, str], ...]
    ) -> CheckReport:
        """``Network.backprop(x, y)`` returning ``(nabla_b, nabla_w)``, a gradient for each
        entry of the lists ``self.biases`` and ``self.weights``: the network made at small
        sizes, its weights drawn afresh, each entry held to the exact gradient, on one sample,
        of the cost its forward's output gets (its ``cost.fn(a, y)``, or beside a
        ``cost_derivative()``, the quadratic cost 0.5 * sum((a - y)**2))."""
        init = Instance(cls, self.module).method("__init__")
        made = network_configurations(cls, init)[0]
        # a cost passed as a class (``cost=CrossEntropyCost``): judged with each of the file's
        costs = [None] + [c for c in self.module.classes if c != cls.name and self._is_cost(c)]
        made_runs = [self._lists_run(cls, method, lists, made, cost) for cost in costs]
        runs, meanings = [run for run, _ in made_runs], [meaning for _, meaning in made_runs]
        claims = {n: f"dC/dself.{runs[0].params[n]}" for n in runs[0].expected}
        report = self._report(method, runs, claims, "C")
        report.notes.append(f"C is {meanings[0]}, on one sample (x, y)")
        return report

    def _is_cost(self, name: str) -> bool:
        """A class of the file's with a cost's ``fn(a, y)``."""
        return Instance(self.module.classes[name], self.module).method("fn") is not None

    def _lists_run(self, cls, method, lists, made: Made, cost: str | None) -> tuple[Run, str]:
        interpreter = Interpreter(self.module, tracking=True, seed=3)
        instance = interpreter.instantiate(cls, [], made.keywords)
        described = made.described
        if cost is not None:
            if "cost" not in instance.attributes:
                raise UnsupportedConstruct(f"{cls.name} keeps no self.cost to set to {cost}")
            instance.attributes["cost"] = interpreter.class_named(cost)
            described += f" with self.cost = {cost}"
        leaves, params = {}, {}
        for returned, attribute in lists:
            weights = instance.attributes.get(attribute)
            if not isinstance(weights, list):
                raise UnsupportedConstruct(f"{cls.name} keeps no list self.{attribute}")
            table = dict(enumerate(weights))
            for index, leaf in _drawn_weights(table).items():
                leaves[f"{returned}[{index}]"] = leaf
                params[f"{returned}[{index}]"] = f"{attribute}[{index}]"
            weights[:] = [table[index] for index in range(len(weights))]
        x, y = _sample(instance, lists)
        forward = _forward_method(instance, cls)
        output = interpreter.call(forward, [instance, x], {})
        cost_value, meaning = _cost_of(interpreter, instance, cls, method, output, y)
        meaning += f", a = {forward.name}(x)"
        exact = adjoints(cost_value)
        expected = {n: _gradient(leaf, exact) for n, leaf in leaves.items()}
        writes = Writes(set())
        result = interpreter.call(method, [instance, x, y], {}, writes=writes)
        got = {}
        for (returned, _), gradients in zip(lists, result, strict=True):
            for n in (n for n in leaves if n.startswith(f"{returned}[")):
                index = int(n[len(returned) + 1 : -1])
                got[n] = plain(gradients[index]) if index < len(gradients) else None
        described += f", one sample x {x.shape}, y {y.shape}"
        weights_now = {f"self.{params[n]}": plain(leaf) for n, leaf in leaves.items()}
        setting = Setting({"x": x, "y": y, **weights_now}, described, {})
        final = {k: plain(v) for k, v in interpreter.locals_after.items()}
        return Run(setting, expected, got, dict(expected), final, writes, [], params), meaning

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

    def _loss_run(self, function, returned, params, loss_name, setting) -> Run:
        arguments, leaves = _tracked(setting.arguments)
        watched = set(returned) | {loss_name}
        writes = Writes(watched)
        run = Interpreter(self.module, tracking=True, seed=3)
        result = run.call(function, list(arguments.values()), setting.keywords, writes=writes)
        gradients = list(result)
        loss = gradients.pop(loss_position(function) or 0)
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
        return Run(setting, expected, got, dict(expected), final, writes, acceptable)

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
    def _report(self, function, runs: list[Run], claims: dict, loss: str) -> CheckReport:
        verdicts = []
        statements = simple_statements(function)
        right = [n for n in claims if all(agrees(r.got[n], r.expected[n]) for r in runs)]
        vouched = vouched_lines(statements, right)
        for name, claim in claims.items():
            failing = next((r for r in runs if not agrees(r.got[name], r.expected[name])), None)
            if failing is None:
                line = next((r.writes.entries[name] for r in runs if name in r.writes.entries), 0)
                source = entry_source(statements, name) or name
                line = line if line in statements else last_write(statements, source, function)
                verdicts.append(
                    Verdict(
                        name, claim, source_text(statements, line, name), True, PROOF, "", line=line
                    )
                )
                continue
            line = blamed(function, statements, failing, name, vouched)
            passing = [r for r in runs if agrees(r.got[name], r.expected[name])]
            verdicts.append(
                Verdict(
                    name,
                    claim,
                    source_text(statements, line, name),
                    False,
                    "a counterexample",
                    "",
                    line=line,
                    diagnosis=diagnosis(failing, name, statements.get(line), passing),
                    counterexample=counterexample(failing, name),
                )
            )
        notes = [NOTE] + [
            f"{fast}() read as {naive}(), which computes the same"
            for fast, naive in self._stand_ins(function)
        ]
        return CheckReport(f"{self.filename}:{function.name}", loss, verdicts, notes)

    def _stand_ins(self, function: ast.FunctionDef) -> list[tuple[str, str]]:
        """The fast layers ``function`` calls, directly or not, read as their naive ones."""
        called = {
            node.func.id
            for reader in [function, *self._called(function)]
            for node in ast.walk(reader)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        return sorted((f, n) for f, n in self.module.stand_ins.items() if f in called)


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


def _is_tracked(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


def _key(gradient: str) -> str:
    """How a layer class's gradient is named: ``self.dweights``, or the value it returns."""
    return gradient if gradient == RETURNED else f"self.{gradient}"


def _gradient_of(gradient: str, arguments: dict, instance: Instance) -> str | None:
    """``dinputs``: the forward's ``inputs``; ``dweights``: ``self.weights``; the value a
    backward returns: the forward's first argument."""
    if gradient == RETURNED:
        return next(iter(arguments), None)
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
    counts = _assignments(forward.body)
    in_loops: set[str] = set()
    for node in ast.walk(forward):
        if isinstance(node, ast.For | ast.While):
            for inner in ast.walk(node):
                if isinstance(inner, ast.stmt):
                    in_loops |= written_names(inner)
    targets = {}
    for name, value in names.items():
        if counts.get(name, 0) > 1 or name in in_loops:
            continue
        tracked = isinstance(value, np.ndarray) and value.dtype == object and value.size
        if tracked and any(isinstance(v, Tracked) for v in value.flat):
            targets[f"d{name}"] = _adjoint(value, grads)
    return targets


def _adjoint(value: np.ndarray, grads: dict) -> np.ndarray:
    """A forward value's adjoint, left open (NaN) at its constant entries: a ReLU's zeros or a
    padding's, whose share of a max over tied entries any backward may split its own way."""
    out = _gradient(value, grads)
    constant = np.vectorize(
        lambda entry: isinstance(entry, Constant) or not isinstance(entry, Tracked), otypes=[bool]
    )(value)
    out[constant] = np.nan
    return out


def _assignments(statements: list[ast.stmt]) -> Counter:
    """How often each name is assigned along the longest way through ``statements``: once in
    each branch of an ``if activation == "relu": ... elif ...`` is once."""
    counts: Counter = Counter()
    for statement in statements:
        if isinstance(statement, ast.If):
            body, orelse = _assignments(statement.body), _assignments(statement.orelse)
            counts += body | orelse  # the larger count of the two branches
        elif isinstance(statement, ast.Assign | ast.AugAssign):
            counts.update(written_names(statement))
        else:
            for inner in ast.iter_child_nodes(statement):
                if isinstance(inner, ast.stmt):
                    counts.update(_assignments([inner]))
    return counts


def _gradient_names(function: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.stmt):
            names |= {n for n in written_names(node) if named_weight(n) or n.startswith("d")}
    return names


def _drawn_weights(weights: dict) -> dict[str, np.ndarray]:
    """A network's weights drawn afresh, in place, as tracked leaves (returned by key): weights
    made small or zero would hide terms. Matrices are scaled by their fan-in and vectors
    (biases, gamma, beta) drawn above 0, so that in every layer most ReLU units are on and
    some off."""
    drawn = np.random.default_rng(5)
    leaves = {}
    for key, value in list(weights.items()):
        if isinstance(value, np.ndarray) and value.size:  # zeros made as objects too
            shape = np.shape(value)
            if len(shape) == 1:
                values = drawn.uniform(0.5, 1.5, shape)
            else:
                scale = 1 / np.sqrt(shape[0]) if len(shape) == 2 else 1.0
                values = drawn.standard_normal(shape) * scale
            leaves[key] = _leaves(values)
            weights[key] = leaves[key].copy()
    return leaves


_DATA_NAMES = {"X", "x", "inputs", "input", "data", "features", "batch", "X_batch"}


def _sample(instance: Instance, lists) -> tuple[np.ndarray, np.ndarray]:
    """One sample as the network's lists of weights take it: a column (n, 1) where its biases
    are columns, as Nielsen's are, else a row (1, n); its target between 0 and 1, a target any
    cost takes (a quadratic one, or a cross-entropy's probability)."""
    held = [instance.attributes[attribute] for _, attribute in lists]
    weights = max(held, key=lambda entries: np.size(entries[0]))  # the matrices, not biases
    biases = min(held, key=lambda entries: np.size(entries[0]))
    columns = np.ndim(biases[-1]) == 2 and np.shape(biases[-1])[1] == 1
    inputs, outputs = np.shape(weights[0])[1 if columns else 0], np.size(biases[-1])
    drawn = np.random.default_rng(7)
    x = drawn.standard_normal((inputs, 1) if columns else (1, inputs))
    y = drawn.uniform(0.1, 0.9, (outputs, 1) if columns else (1, outputs))
    return x, y


def _forward_method(instance: Instance, cls: ast.ClassDef) -> ast.FunctionDef:
    """The method that gives the network's output for an input (``feedforward(self, a)``)."""
    for name in ("feedforward", "feed_forward", "forward", "forward_pass", "forward_propagation"):
        method = instance.method(name)
        if method is not None:
            return method
    raise UnsupportedConstruct(f"{cls.name} has no feedforward(a) to hold its gradients to")


def _cost_of(interpreter, instance: Instance, cls, method, output, y) -> tuple[Tracked, str]:
    """The cost C of ``output`` against ``y`` whose gradients ``method`` is meant to give: the
    network's ``self.cost.fn(a, y)``, or beside a ``cost_derivative()``, the quadratic cost
    0.5 * sum((a - y)**2)."""
    cost_class = instance.attributes.get("cost")
    fn = interpreter.method_of(cost_class, "fn")
    if fn is not None:
        takes_self = bool(fn.args.args) and fn.args.args[0].arg == "self"
        arguments = [cost_class, output, y] if takes_self else [output, y]
        return interpreter.call(fn, arguments, {}), "self.cost.fn(a, y)"
    if instance.method("cost_derivative") is not None:
        meaning = (
            "the quadratic cost 0.5 * sum((a - y)**2), whose derivative is cost_derivative(a, y)"
        )
        return 0.5 * np.sum((output - y) ** 2), meaning
    raise UnsupportedConstruct(
        f"cannot tell the cost {cls.name}.{method.name}() gives the gradients of: "
        "no self.cost.fn(a, y) or cost_derivative()"
    )


def _loss_and_gradients(method: ast.FunctionDef) -> tuple[str, str]:
    """The names a ``return loss, grads`` gives its loss and its gradients, loss first."""
    returned = method.body[-1].value.elts
    names = [e.id if isinstance(e, ast.Name) else "" for e in returned]
    return (names[0], names[1]) if loss_position(method) == 0 else (names[1], names[0])


def _dict_keys(returned: list[str]) -> list[str]:
    return [ast.literal_eval(r.split("[", 1)[1].rstrip("]")) for r in returned]


def _evaluated_only(unit: Unit, filename: str, judged, *arguments) -> CheckReport:
    """``judged(*arguments)``'s report, or its reason to stop as an error at its line (at the
    unit's where it names none)."""
    try:
        return judged(*arguments)
    except Refused as refused:
        raise UnsupportedConstruct(refused.message, file=filename, line=refused.line) from None
    except SymbackpropError as error:
        if error.file is None:
            raise type(error)(error.message, file=filename, line=unit.line) from None
        raise


def concrete_report(tree: ast.Module, filename: str, unit: Unit) -> CheckReport | None:
    """The verdicts on a unit read concretely, or None where it cannot be (the formula
    reader's reason then stands); a layer class, which only this reader reads, raises its
    reason instead."""
    judge = Judge(tree, filename)
    # a layer class, a network's backprop(x, y) returning lists: no formula reading to fall
    # back on, so where the evaluation cannot go on, the reason is said
    if unit.layer_class is not None:
        return _evaluated_only(unit, filename, judge.layer_class, unit.layer_class, unit.params)
    if unit.lists:
        method = Instance(unit.network, judge.module).method(unit.function.split(".")[-1])
        return _evaluated_only(
            unit, filename, judge.gradient_lists, unit.network, method, unit.lists
        )
    if unit.network is not None:  # FullyConnectedNet.loss: only the weights are judged
        method = Instance(unit.network, judge.module).method(unit.function.split(".")[-1])
        try:
            return judge.network_loss(unit.network, method)
        except Refused as refused:  # it fails at the checker's sizes: said, never judged
            if not refused.failed:
                return None
            message = f"{unit.function}() fails at the checker's sizes: {refused.message}"
            raise UnsupportedConstruct(message, file=filename, line=refused.line) from None
        except SymbackpropError:
            return None
    if not unit.sources or unit.method:
        return None
    try:
        if unit.is_pair:
            forward, backward = unit.sources
            cost = cost_function(tree, forward, backward)
            upstream, returned, params = pair_gradients(forward, backward, filename, bool(cost))
            return judge.pair(forward, backward, upstream, returned, params, forward.name, cost)
        (function,) = unit.sources
        loss, returned, params = loss_gradients(function, filename)
        return judge.loss(function, returned, params, loss)
    except (Refused, SymbackpropError):
        return None
