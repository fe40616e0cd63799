"""Code mode: which derivative each line of hand-written backprop plays, and whether it is.

An update ``theta -= alpha * g`` claims g is dLoss/dtheta. A delta's role is read from how the
claims use it: ``synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)`` is right exactly when
``layer_2_delta`` is the adjoint of ``layer_1 @ synapse_1``, so that is the role it plays; a
role may carry a scale (a mean loss's ``sigma3`` is m times dJ/dz3, divided out again in
``delta2``). Names (``dZ1``, ``layer_1_delta``) and values (what the code computes is some
adjoint) give more candidates. Among the assignments of candidates, the one blaming the fewest
lines is kept (:mod:`~symbackprop.check.blame`): ``dz1 = dh`` missing tanh's derivative blames
itself, not the correct ``dh`` it copies. Each line is then judged locally, the deltas it reads
taken to be what they play; a line right for what it reads but reading a wrong value follows
the wrong line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from symbackprop.check.blame import Judged, choose, standings
from symbackprop.check.compare import Claim, claim_label, judge, target_value
from symbackprop.check.diagnose import symbolic_size_ok
from symbackprop.check.formula import Target
from symbackprop.check.numeric import as_number, difference, elementwise_ratio
from symbackprop.check.present import formula_text
from symbackprop.check.probe import Diagnosis
from symbackprop.check.report import CheckReport, Following
from symbackprop.check.subject import Subject, class_targets, compared_with_outputs
from symbackprop.errors import SpecError, SymbackpropError
from symbackprop.inputs import read_input
from symbackprop.ir.evaluate import EvaluationError
from symbackprop.ir.model import Kind
from symbackprop.ir.ops import T
from symbackprop.ir.ops.stacking import StackBase
from symbackprop.naming import delta_of
from symbackprop.readers.codereader import Program, read_program

MAX_LEVELS = 4  # adjoints written out, step by step, when matching a claim's structure
MAX_CLAIM_STEPS = 200  # definitions followed down from the updates


@dataclass(frozen=True)
class Role:
    """A delta (or ``delta[1:]``) is ``scale`` times a target; ``source`` says how we know."""

    target: Target
    scale: sp.Expr
    source: str


def check_source(
    path, function: str | None, loss: str | None, matrix: tuple, params: tuple = ()
) -> CheckReport:
    """Judge the backprop code of ``path`` (a function in it, or the module's statements)."""
    return check_text(read_input(path), str(path), function, loss, matrix, params)


def check_text(
    text: str,
    filename: str = "<string>",
    function: str | None = None,
    loss: str | None = None,
    matrix: tuple = (),
    params: tuple = (),
) -> CheckReport:
    """Like :func:`check_source`, for source text; ``filename`` is used in messages."""
    program = read_program(text, filename, function, loss, matrix, params)
    where = f"{filename}:{function}" if function else filename
    return judge_program(program, where, filename)


def judge_program(
    program: Program, where: str, filename: str, one_output: bool = True
) -> CheckReport:
    """The verdicts on a program read; ``one_output`` allows the second reading at one output
    (a loss the user wrote may be right only there; a layer pair's is fixed)."""
    try:
        subject = Subject(program.model, program.space, program.leaf_shapes)
        checker = CodeCheck(subject, program)  # evaluates the model at its trial points
    except SymbackpropError as error:
        if error.file is not None:
            raise
        raise type(error)(error.message, file=filename) from None
    verdicts = [_judged(subject, claim, filename) for claim in checker.claims()]
    notes = program.notes + checker.notes
    widths = _scaled_by_widths(subject, verdicts) if one_output else frozenset()
    if widths:  # right for one output (a mean over every element of a single column)?
        try:
            one = Subject(program.model, program.space, program.leaf_shapes, ones=widths)
            single = CodeCheck(one, program)
            again = [_judged(one, claim, filename) for claim in single.claims()]
        except SymbackpropError:  # the model does not evaluate with one output: as read
            again = verdicts
        named = " and ".join(str(w) for w in sorted(widths, key=str))
        if _wrong_count(again) == 0:  # all right at one output: read so, and said so
            verdicts, notes = again, program.notes + single.notes
            notes.append(
                f"read with {named} = 1 (one output): the code is right only then; with more "
                "outputs a mean over every element also divides by their number"
            )
        elif _only_widths_differ(verdicts, again, widths):
            # the lines right only at one output are off by the output width, as a mean over
            # every element is: the mistake is blamed where it is, not at them
            verdicts, notes = again, program.notes + single.notes
            notes.append(
                f"read with {named} = 1 (one output), where fewer lines are wrong; with more "
                "outputs a mean over every element also divides by their number"
            )
    verdicts = [_rate_left_out(_read_after_update(v, program), program) for v in verdicts]
    return CheckReport(where, subject.model.loss.name, _one_per_line(verdicts), notes)


def _read_after_update(verdict, program: Program):
    """A wrong line that reads a weight a step above it has changed (``W2 -= lr * dW2``
    before ``da1 = dz2 @ W2.T``): said so, with where the step is."""
    if verdict.status != "wrong":
        return verdict
    stepped = {sp.Symbol(f"{u.param}@{u.line}"): u for u in program.updates if not u.returned}
    for value in program.values.values():
        if value.line != verdict.line or value.user != verdict.name:
            continue
        for symbol in sorted(value.expr.free_symbols & set(stepped), key=str):
            update = stepped[symbol]
            message = (
                f"read after its update: {update.param} was stepped at line {update.line}, "
                f"above this line, which needs {update.param} before the step; move the update "
                "below the last line that reads it"
            )
            diagnosis = Diagnosis("read after its update", message)
            return dataclasses.replace(verdict, diagnosis=diagnosis)
    return verdict


def _rate_left_out(verdict, program: Program):
    """A wrong step that leaves out the learning rate every other step takes: said so."""
    if verdict.status != "wrong":
        return verdict
    for update in program.updates:
        if update.line == verdict.line and update.rate_left_out is not None:
            rate = update.rate_left_out
            message = (
                f"missing factor: the learning rate {rate} (every other step takes it); "
                f"write {update.param} -= {rate} * ..."
            )
            return dataclasses.replace(verdict, diagnosis=Diagnosis("missing factor", message))
    return verdict


def _scaled_by_widths(subject: Subject, verdicts: list) -> frozenset:
    """The output widths (a target's axes that are a weight's too) a wrong line may take
    for 1: of a regression or a binary classifier, never of a softmax's classes."""
    if class_targets(subject.model) or not any(v.status == "wrong" for v in verdicts):
        return frozenset()
    targets = compared_with_outputs(subject.model)
    return subject.widths({d for name in targets for d in subject.shapes.get(name, ())})


def _wrong_lines(verdicts: list) -> set[int]:
    return {v.line for v in verdicts if v.status == "wrong"}


def _only_widths_differ(verdicts: list, at_one: list, widths: frozenset) -> bool:
    """At one output, fewer lines are wrong, and each line that is right only there is off by
    a factor of an output width (a mean over every element), no other mistake."""
    fixed = _wrong_lines(verdicts) - _wrong_lines(at_one)
    if not fixed or not _wrong_lines(at_one) < _wrong_lines(verdicts):
        return False
    names = [str(width) for width in widths]
    return all(
        v.diagnosis is not None
        and v.diagnosis.kind in ("constant scale", "missing factor", "extra factor")
        and any(name in v.diagnosis.message for name in names)
        for v in verdicts
        if v.status == "wrong" and v.line in fixed
    )


def _wrong_count(verdicts: list) -> int:
    return sum(v.status == "wrong" for v in verdicts)


def _one_per_line(verdicts: list) -> list:
    """One verdict per line and name: a loop read unrolled makes a line's value once per
    turn; the line is shown once, by its first wrong turn if it has one."""
    chosen: dict[tuple, object] = {}
    for verdict in verdicts:
        key = (verdict.line, verdict.name)
        if key not in chosen or (chosen[key].correct and not verdict.correct):
            chosen[key] = verdict
    return [v for v in verdicts if chosen[(v.line, v.name)] is v]


def _judged(subject: Subject, claim, filename: str):
    try:
        return judge(subject, claim)
    except SymbackpropError as error:  # a value the evaluator refuses, e.g. too large
        if error.file is not None:
            raise
        raise type(error)(error.message, file=filename, line=claim.line) from None


class CodeCheck:
    """Roles of the deltas of one program, and the claims to judge."""

    def __init__(self, subject: Subject, program: Program):
        self.subject = subject
        self.program = program
        self.values = program.values
        self.notes: list[str] = []
        self.roles: dict[sp.Expr, Role] = {}
        self.standings: dict = {}
        for name in class_targets(subject.model):
            self.notes.append(
                f"{name} is taken to hold one-hot targets (one class per sample), as a "
                "cross-entropy's labels do: its trials are drawn so"
            )
        self.updates = [u for u in program.updates if self._is_parameter(u)]
        if not self.updates:
            raise SpecError(
                "no parameter updates or returned gradients found (write them as "
                "w -= lr * gradient, or return gradients named after their parameters, "
                "dw for w, or pass --params)",
                file=program.file,
            )
        self._infer_roles()

    def _is_parameter(self, update) -> bool:
        node = self.subject.model.by_name.get(update.param)
        if node is not None and node.kind is Kind.PARAMETER:
            return True
        self.notes.append(
            f"line {update.line}: {update.param} is updated but the loss does "
            "not depend on it; not checked"
        )
        return False

    # -- roles ----------------------------------------------------------------------------------
    def _infer_roles(self) -> None:
        candidates = self._roles_from_updates()
        self._roles_from_names_and_values(candidates)
        self.roles = choose(candidates, self._judged_lines, lambda role: role.scale != 1)
        self.standings = standings(self._judged_lines(self.roles))

    def _roles_from_updates(self) -> dict[sp.Expr, list[Role]]:
        """Follow the claims down: each update, then each delta it explains, and so on. A delta
        may be explained in more than one way (``dz1 = dh`` makes ``dh`` what ``dz1`` is)."""
        candidates: dict[sp.Expr, list[Role]] = {}
        work = []
        for update in self.updates:
            target = Target("gradient", update.param)
            expected = target_value(self.subject, target)
            source = update.source
            claim = update.expr
            if claim in self.values:
                candidates[claim] = [Role(target, sp.S.One, source)]
                claim = self.definition(claim)
            work.append((claim, expected, source))
        fixed = set(candidates)
        steps = MAX_CLAIM_STEPS
        while work and steps:
            steps -= 1
            expr, expected, source = work.pop(0)
            known = {u: roles[0] for u, roles in candidates.items()}
            for unit in self.units(expr):
                if unit in fixed:
                    continue
                others = {u: r for u, r in known.items() if u != unit}
                role = self._match(expr, unit, expected, source, others)
                if role is None or _has(candidates.get(unit, []), role):
                    continue
                candidates.setdefault(unit, []).append(role)
                value = role.scale * target_value(self.subject, role.target)
                through = f"{source}, through {self.name(unit)}"
                work.append((self.definition(unit), value, through))
        return candidates

    def _roles_from_names_and_values(self, candidates: dict) -> None:
        """More candidates for the deltas the updates read: from their name, from their values
        (and, for a value that is a multiple of an adjoint, that adjoint unscaled)."""
        wrapped = [u for u in candidates if u not in self.values]
        read = self._deltas()
        for symbol in sorted(self.values, key=lambda s: self.values[s].line):
            if any(u.has(symbol) for u in wrapped):
                continue
            named = self._role_by_name(symbol)
            if symbol not in read and named is None:
                continue
            # a value no gradient reads is judged by its name, or as the multiple of an
            # adjoint its values are (a left-over ``dmu`` that is minus dL/dmu is no mistake)
            for role in [named, *self._roles_by_value(symbol)]:
                if role is not None and not _has(candidates.get(symbol, []), role):
                    candidates.setdefault(symbol, []).append(role)

    def _judged_lines(self, roles: dict) -> list[Judged]:
        """Every judged line under ``roles``: right given its reads, and right in fact."""
        lines = []
        for index, update in enumerate(self.updates):
            if update.expr not in roles:
                expected = target_value(self.subject, Target("gradient", update.param))
                key = ("step", index)
                name = f"the step of {update.param}"
                lines.append(self._judged(key, name, update.line, update.expr, expected, roles))
        for unit, role in roles.items():
            expected = role.scale * target_value(self.subject, role.target)
            definition = self.definition(unit)
            lines.append(
                self._judged(unit, self.name(unit), self._line(unit), definition, expected, roles)
            )
        return lines

    def _judged(self, key, name, line, expr, expected, roles) -> Judged:
        local_ok = self.subject.equal(self.local(expr, roles), expected)
        sound = local_ok and self.subject.equal(self.local(expr, {}), expected)
        return Judged(key, line, name, local_ok, sound, tuple(self._reads(expr, roles)))

    def _reads(self, expr: sp.Expr, roles: dict) -> list[sp.Expr]:
        """The judged deltas ``expr`` reads, directly or through values no role names."""
        found = []
        for unit in self.units(expr):
            if unit in roles:
                found.append(unit)
            elif unit in self.values:
                found += [u for u in self._reads(self.values[unit].expr, roles) if u not in found]
        return found

    def units(self, expr: sp.Expr) -> list[sp.Expr]:
        """Deltas in ``expr``, with a row or column slice or a transpose kept on them."""
        found: list[sp.Expr] = []
        for sub in sp.preorder_traversal(expr):
            wrapped = isinstance(sub, StackBase | T) and sub.args[0] in self.values
            if (wrapped or sub in self.values) and sub not in found:
                found.append(sub)
        return [u for u in found if not any(o != u and o.has(u) for o in found)] + [
            u for u in found if any(o != u and o.has(u) for o in found)
        ]

    def _match(self, expr, unit, expected, source, roles: dict) -> Role | None:
        known = {u: r.scale * target_value(self.subject, r.target) for u, r in roles.items()}
        level = expected
        adjoints = {a.symbol: a.expr for a in self.subject.derivation.adjoints}
        for _ in range(MAX_LEVELS):
            for symbol in sorted(level.free_symbols & set(adjoints), key=str):
                written = expr.xreplace(known).xreplace({unit: symbol})
                if written.free_symbols & set(self.values) or not symbolic_size_ok(written, level):
                    continue
                ratio = sp.cancel(written / level)
                if ratio != 0 and self._scalar(ratio):
                    node = self.subject.adjoint_symbols[symbol]
                    return Role(Target("adjoint", node), sp.factor_terms(1 / ratio), source)
            level = level.xreplace(adjoints)
        return None

    def _scalar(self, expr: sp.Expr) -> bool:
        shapes = self.subject.shapes
        adjoints = self.subject.adjoint_symbols
        return all(s not in adjoints and shapes.get(s.name, ()) == () for s in expr.free_symbols)

    def _role_by_name(self, symbol: sp.Symbol) -> Role | None:
        """``layer_2_delta``: the adjoint of ``layer_2``'s pre-activation, or of ``layer_2``."""
        model = self.subject.model
        value = self.values[symbol]
        if value.version != value.user:
            return None  # an earlier version of a name edited in place: its last one is named
        for base in delta_of(value.user):
            for node in (f"{base}_in", base):
                if node in model.by_name and node in self.subject.adjoint_symbols.values():
                    return Role(Target("adjoint", node), sp.S.One, "its name")
        return None

    def _roles_by_value(self, symbol: sp.Symbol) -> list[Role]:
        """The adjoints the value computed for ``symbol`` is a constant multiple of."""
        got = self.local(self.definition(symbol), {})
        roles = []
        for adjoint in self.subject.derivation.adjoints:
            scale = self._constant_ratio(got, adjoint.symbol)
            if scale is not None:
                target = Target("adjoint", adjoint.node)
                roles.append(Role(target, scale, "its values"))
                if scale != 1:  # or the scale is the mistake
                    roles.append(Role(target, sp.S.One, "its values, but for a constant"))
        return roles

    def _constant_ratio(self, got: sp.Expr, adjoint: sp.Symbol) -> sp.Expr | None:
        """The scale of ``got`` over the adjoint: a number, or a size (``N`` for a mean
        loss's ``dscores = probs - onehot``) or its inverse."""
        ratios = []
        for trial in self.subject.trials:
            try:
                here = elementwise_ratio(trial.evaluate(got), trial.evaluate(adjoint))
            except EvaluationError:
                return None
            if here is None:
                return None
            ratios.append(here)
        if all(difference(ratios[0], here) is None for here in ratios):
            return as_number(ratios[0])
        sizes = self._sizes()
        # a mean over every element of (k, m) divides by k * m: a product of two sizes too
        products = [a * b for i, a in enumerate(sizes) for b in sizes[i:]]
        for size in [*sizes, *products]:
            for scale in (size, 1 / size):
                at = [trial.evaluate(scale) for trial in self.subject.trials]
                if all(difference(r, a) is None for r, a in zip(ratios, at, strict=True)):
                    return scale
        return None

    def _sizes(self) -> list[sp.Symbol]:
        """The sizes a scale may be: free dimensions and the code's own counts (``N``)."""
        model = self.subject.model
        if not self.subject.is_vector:
            return []  # a scalar program's inputs are data, not counts
        counts = [
            n.symbol
            for n in model.nodes
            if n.kind is Kind.INPUT and model.leaf_shapes.get(n.name, ()) == ()
        ]
        return list(dict.fromkeys([*counts, *self.subject.trials[0].sizes]))

    # -- values ---------------------------------------------------------------------------------
    def definition(self, unit: sp.Expr) -> sp.Expr:
        """What the code computes for a delta (or for ``delta[1:]``)."""
        if unit in self.values:
            return self.values[unit].expr
        inner = unit.args[0]
        return type(unit)(self.values[inner].expr)

    def local(self, expr: sp.Expr, roles: dict | None = None) -> sp.Expr:
        """``expr`` with the deltas it reads taken to be what they play (under ``roles``, by
        default the chosen ones; with none, ``expr`` is what the code computes)."""
        roles = self.roles if roles is None else roles
        known = {u: r.scale * target_value(self.subject, r.target) for u, r in roles.items()}
        for _ in range(len(self.values) + 1):
            written = expr.xreplace(known)
            written = written.xreplace({s: v.expr for s, v in self.values.items()})
            if written == expr:
                break
            expr = written
        return expr

    def _deltas(self) -> list[sp.Symbol]:
        """The values the updates read, directly or through other values."""
        found: list[sp.Symbol] = []
        work = [u.expr for u in self.updates]
        while work:
            for symbol in sorted(work.pop().free_symbols & set(self.values), key=str):
                if symbol not in found:
                    found.append(symbol)
                    work.append(self.values[symbol].expr)
        return found

    def name(self, unit: sp.Expr) -> str:
        if unit in self.values:
            return self.values[unit].user
        return formula_text(self.subject, unit.func(sp.Symbol(self.values[unit.args[0]].user)))

    # -- claims ---------------------------------------------------------------------------------
    def claims(self) -> list[Claim]:
        # The user's names for adjoints (dZ2/m for m times one): a corrected line reads the
        # deltas it reads, each fixed by its own verdict. A correct one, then the first, wins.
        names = {}
        for unit, role in sorted(self.roles.items(), key=self._naming_order):
            if unit in self.values and role.target.kind == "adjoint":
                user = self.values[unit].user
                named = user if role.scale == 1 else sp.Symbol(user) / role.scale
                names[target_value(self.subject, role.target)] = named
        claims = [self._update_claim(i, u, names) for i, u in enumerate(self.updates)]
        direct = {u.expr for u in self.updates}
        for unit, role in self.roles.items():
            if unit not in direct:
                claims.append(self._delta_claim(unit, role, names))
        return sorted(claims, key=lambda c: (c.line or 0, c.name))

    def _update_claim(self, index: int, update, names) -> Claim:
        target = Target("gradient", update.param)
        if update.expr in self.values:
            value = self.values[update.expr]
            how = "returned" if update.returned else "used"
            label = f"d{self.subject.model.loss.name}/d{update.param}"
            note = f"{how} as {label} at line {update.line}"
            return Claim(
                value.user,
                value.text,
                target,
                self._got(update.expr, value.expr),
                value.line,
                names=names,
                note=note,
                follows=self._follows(update.expr),
            )
        return Claim(
            update.label,
            update.text,
            target,
            self._got(("step", index), update.expr),
            update.line,
            names=names,
            follows=self._follows(("step", index)),
        )

    def _delta_claim(self, unit, role: Role, names) -> Claim:
        symbol = unit if unit in self.values else unit.args[0]
        value = self.values[symbol]
        note = f"role found from {role.source}"
        if role.scale != 1:
            label = claim_label(self.subject, role.target)
            where = role.source if role.source.startswith("the update") else "the lines using it"
            note = (
                f"{self.name(unit)} is {formula_text(self.subject, role.scale)} times "
                f"{label}: a constant scale, compensated in {where}"
            )
        return Claim(
            self.name(unit),
            value.text,
            role.target,
            self._got(unit, self.definition(unit)),
            value.line,
            role.scale,
            names=names,
            note=note,
            follows=self._follows(unit),
        )

    def _got(self, key, expr: sp.Expr) -> sp.Expr:
        """What a line is judged by: its value given its reads' roles; the value it computes
        where that is wrong but no line it reads is to blame."""
        local = self.local(expr)
        standing = self.standings[key]
        if standing.status == "wrong" and self.subject.equal(local, self._expected(key)):
            return self.local(expr, {})
        return local

    def _expected(self, key) -> sp.Expr:
        if key in self.roles:
            role = self.roles[key]
            return role.scale * target_value(self.subject, role.target)
        update = self.updates[key[1]]
        return target_value(self.subject, Target("gradient", update.param))

    def _follows(self, key) -> Following | None:
        standing = self.standings[key]
        if standing.status != "follows":
            return None
        return Following(standing.follows, standing.via, standing.via_line)

    def _naming_order(self, item) -> tuple[bool, int]:
        unit, _ = item
        return self.standings[unit].status == "correct", -self._line(unit)

    def _line(self, unit) -> int:
        return self.values[unit if unit in self.values else unit.args[0]].line


def _has(roles: list[Role], role: Role) -> bool:
    return any(r.target == role.target and r.scale == role.scale for r in roles)
