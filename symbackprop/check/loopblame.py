"""Where a gradient read by evaluation goes wrong: the first line whose value is wrong.

The backward's ``dNAME`` values are held to the adjoints of the forward's ``NAME`` where it has
one (``dx_pad`` to ``x_pad``), a loss function's partial gradients to the gradients of its
partial losses. Among several lines writing one value, the line whose own change is a multiple
of the error is blamed; a line that only passes a value on is blamed at the value's source,
unless right gradients need that source; where several gradients are wrong, the last value they
all share is.
"""

from __future__ import annotations

import ast
from collections import Counter

import numpy as np

from symbackprop.check.loopruns import Failure, Run, agrees, entry, parallel
from symbackprop.readers.concrete.interpreter import plain, written_names
from symbackprop.readers.layerpairs import called_name, is_start


def blamed(function, statements, run: Run, name: str, vouched: set[int]) -> int:
    """The first wrong line ``name`` depends on."""
    if isinstance(run.got[name], Failure) and run.got[name].line is not None:
        return run.got[name].line
    claimed = name
    short = _loop_stopping_short(function, run, name)
    if short is not None:  # an entry its loop never reached: the loop's range is the mistake
        return short
    filled = run.writes.entries.get(name) if entry(name) is not None else None
    if filled in statements and _partial_gradient(run, name):  # a term of the loss left out
        return filled
    source = entry_source(statements, name)
    others = [e for n, e in run.expected.items() if n != name and e is not None]
    swapped = any(agrees(run.got[name], e) for e in others)
    if swapped and entry(name) is None and _writes(statements, name):  # dx, db, dw = ...
        return _own_writes(statements, name, run.writes.ran)[-1]
    made = filled if source is None else None
    if made in statements:  # grads["dW" + str(l)]: its line known once it ran
        return _made_entry_blamed(function, statements, run, name, made, vouched)
    if source is not None and source in run.final:
        others = [e for n, e in run.expected.items() if n != name and e is not None]
        if any(agrees(run.final[source], e) for e in others):  # another's value: swapped
            return _entry_line(statements, name)
        run.targets.setdefault(source, run.expected[name])
        name = source
    depends = dependencies(statements, name) | {name}
    wrong = [
        v
        for v in run.targets
        if v in depends
        and v in run.final
        and not agrees(run.final[v], run.targets[v])
        and not set(_own_writes(statements, v)) <= vouched  # a right gradient needs it
    ]
    shared = _shared_source(statements, run, vouched)
    if shared is not None and name != shared and shared in depends:
        wrong.append(shared)
    if name not in wrong:
        wrong.append(name)
    ordered = sorted(wrong, key=lambda v: _first_line(statements, v, function, run.writes.ran))
    variable = ordered[0]
    target = run.targets.get(variable, run.expected.get(claimed))
    value = run.final.get(variable, run.got[claimed])
    started = _start_is_the_error(statements, run, variable, value, target)
    if started is not None:  # the copy it starts from is the mistake, not what it copies
        return started
    line = _blamed_line(function, statements, run, variable, value, target)
    for _ in range(len(statements)):  # a line that passes a value on: where it is made
        passed = _passed_on(statements[line]) if line in statements else None
        if passed is None or passed not in run.final or not _writes(statements, passed):
            return line
        source = run.final[passed]
        own = run.targets.get(passed)
        if own is not None and agrees(source, own):
            return line  # it passes on a value right as its own: the pass is the mistake
        target = _rearranged_back(target, np.shape(plain(source)))
        if target is None or agrees(source, target):
            return line  # what it passes on is right (or not known): the mistake is here
        following = _blamed_line(function, statements, run, passed, source, target)
        if following in vouched:
            return line
        line = following
    return line


def _made_entry_blamed(function, statements, run: Run, name: str, line: int, vouched) -> int:
    """The first wrong line of a dict entry filled at ``line`` under a key made as it ran: the
    line where the entry holds another gradient's value (its key is wrong); else the first
    wrong value with a target it is made from; else where what it passes on was written for
    it (in the same turn of a loop), or the line itself."""
    others = [e for n, e in run.expected.items() if n != name and e is not None]
    passed = _passed_on(statements[line])
    if any(agrees(run.got[name], e) for e in others):  # another's value
        # ``grads["gamma1"] = dgamma`` names its key rightly: the two were swapped where
        # they were made (``dx, dbeta, dgamma = ...``); else the key or the name is wrong here
        made = reaching_write(function, line, passed) if _names_key(passed, name) else None
        return line if made is None else made
    filling = statements[line]  # what its value reads (not the dict it fills)
    reads = getattr(filling, "value", None) or filling
    loaded = {
        n.id for n in ast.walk(reads) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    depends = set(loaded).union(*(dependencies(statements, n) for n in loaded))
    wrong = [
        v
        for v in run.targets
        if v in depends
        and v in run.final
        and not agrees(run.final[v], run.targets[v])
        and not set(_own_writes(statements, v)) <= vouched
    ]
    if wrong:
        variable = min(wrong, key=lambda v: _first_line(statements, v, function, run.writes.ran))
        target = run.targets[variable]
        return _blamed_line(function, statements, run, variable, run.final[variable], target)
    carried = _carried_write(function, statements, run, line)
    if carried is not None and carried not in vouched:
        return carried
    reaching = None if passed is None else reaching_write(function, line, passed)
    return line if reaching is None or reaching in vouched else reaching


def _carried_write(function, statements, run: Run, line: int) -> int | None:
    """Where the entries one line of a loop fills are right in some turns and wrong in others,
    the line's formula is right: what goes wrong is a value it reads that a later line of the
    loop makes for the next turn (``delta`` for the layer below): that line."""
    filled = [n for n, at in run.writes.entries.items() if at == line and n in run.expected]
    right = [n for n in filled if agrees(run.got[n], run.expected[n])]
    if not right or len(right) == len(filled):
        return None
    loops = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.For | ast.While) and node.lineno < line <= node.end_lineno
    ]
    if not loops:
        return None
    loop = max(loops, key=lambda node: node.lineno)  # the innermost
    read = {
        n.id
        for n in ast.walk(statements[line])
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    later = [
        at
        for at, statement in statements.items()
        if line < at <= loop.end_lineno and written_names(statement) & read
    ]
    return min(later, default=None)


def _loop_stopping_short(function, run: Run, name: str) -> int | None:
    """The ``for`` line of the loop that fills the other entries of ``name``'s kind
    (``grads['W1']`` beside ``grads['W2']``, ``nabla_b[0]`` beside ``nabla_b[1]``) where
    ``name`` itself was never filled, and no entry was filled under a key not asked for (a
    wrong key, not a short loop)."""
    found = entry(name)
    if found is None or name in run.writes.entries:
        return None
    kind = _entry_kind(found)
    siblings = {n: at for n, at in run.writes.entries.items() if _entry_kind(entry(n)) == kind}
    if not siblings or any(n not in run.expected for n in siblings):
        return None
    loops = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.For)
        and any(node.lineno < at <= node.end_lineno for at in siblings.values())
    ]
    return max((node.lineno for node in loops), default=None)  # the innermost


def _entry_kind(found: tuple[str, str | int] | None) -> tuple | None:
    """An entry's kind: its container, and a key's word without its layer's number
    (``('grads', 'W')`` for ``grads['W2']``; a list's entries are all one kind)."""
    if found is None:
        return None
    base, key = found
    return (base, key.rstrip("0123456789") if isinstance(key, str) else None)


def _partial_gradient(run: Run, name: str) -> bool:
    """Whether ``name`` holds the gradient of a partial loss (the loss before a penalty was
    added): the line that fills it left a term out."""
    partial = [a[name] for a in run.acceptable if a.get(name) is not None]
    return any(agrees(run.got[name], a) for a in partial)


def _names_key(passed: str | None, name: str) -> bool:
    """Whether ``dgamma`` is named for the entry ``grads['gamma1']`` (or ``grads['dW2']`` for
    ``dW``): the same word, the layer's number and a leading d aside."""
    found = entry(name)
    if passed is None or found is None or not isinstance(found[1], str):
        return False
    return passed.removeprefix("d") == found[1].rstrip("0123456789").removeprefix("d")


def reaching_write(function: ast.FunctionDef, line: int, name: str) -> int | None:
    """The line whose write of ``name`` the statement at ``line`` reads: the last one before
    it in its own block, else in the blocks around it (a loop's turn reads its own)."""
    path, body = [], function.body
    while body:
        index = next((i for i, s in enumerate(body) if s.lineno <= line <= s.end_lineno), None)
        if index is None:
            break
        path.append((body, index))
        inner = [getattr(body[index], part, None) for part in ("body", "orelse")]
        body = next(
            (b for b in inner if b and any(s.lineno <= line <= s.end_lineno for s in b)), None
        )
    for body, index in reversed(path):
        for statement in reversed(body[:index]):
            lines = [
                n.lineno
                for n in ast.walk(statement)
                if isinstance(n, ast.stmt)
                and not isinstance(n, ast.For | ast.While | ast.If | ast.With | ast.FunctionDef)
                and name in written_names(n)
            ]
            if lines:
                return max(lines)
    return None


def vouched_lines(statements: dict[int, ast.stmt], right: list[str]) -> set[int]:
    """The lines that make what two right gradients or more are made from: not where a mistake
    is (one right gradient may be blind to it, as a sum over every entry is to a
    transposition; two rarely are)."""
    needed = Counter(
        line
        for name in right
        for line in {
            line
            for v in dependencies(statements, entry_source(statements, name) or name)
            | {entry_source(statements, name) or name}
            for line in _writes(statements, v)
        }
    )
    return {line for line, count in needed.items() if count >= 2}


def simple_statements(function: ast.FunctionDef) -> dict[int, ast.stmt]:
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
    return is_start(_assigned_value(statement))


def _aliasing(statement: ast.stmt) -> bool:
    """``dx = dout.copy()``, ``dx = dout``: a start where later lines change the value."""
    value = _assigned_value(statement)
    return isinstance(value, ast.Name) or (
        isinstance(value, ast.Call) and called_name(value) == "copy"
    )


def _assigned_value(statement: ast.stmt) -> ast.expr | None:
    """The value of ``name = value`` or ``self.name = value``: a whole value assigned."""
    if not isinstance(statement, ast.Assign):
        return None
    target = statement.targets[0]
    whole = isinstance(target, ast.Name) or (
        isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
    )
    return statement.value if whole else None


def _own_writes(statements, name: str, ran: set[int] | None = None) -> list[int]:
    """The lines that make ``name``'s value, starts left out where there are others; for an
    array only ever written through views (``da_prev_pad = dA_prev_pad[i]``), theirs. With
    ``ran``, only the lines a setting ran, where it ran any (one branch of an ``if``)."""
    lines = _writes(statements, name)
    lines = [line for line in lines if line in ran] or lines if ran else lines
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


def _first_line(statements, name: str, function, ran: set[int] | None = None) -> int:
    return (_own_writes(statements, name, ran) or [function.body[-1].lineno])[0]


def last_write(statements, name: str, function) -> int:
    lines = _writes(statements, name)
    return lines[-1] if lines else function.body[-1].lineno


def dependencies(statements: dict[int, ast.stmt], name: str) -> set[str]:
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


def _blamed_line(function, statements, run: Run, variable: str, value, target) -> int:
    for line in _writes(statements, variable):  # a start of zeros that is not zeros
        change = run.writes.changes.get((variable, line))
        start = _initialising(statements[line]) and isinstance(statements[line].value, ast.Call)
        if start and change is not None and np.any(change):
            return line
    # a branch the failing setting never took is not where it fails
    own = _own_writes(statements, variable, run.writes.ran)
    if not own:
        return function.body[-1].lineno
    if len(own) == 1:
        return own[0]
    try:
        error = np.nan_to_num(np.asarray(plain(value), dtype=float) - target)
    except (TypeError, ValueError):
        return own[0]
    matching = [line for line in own if parallel(error, run.writes.changes.get((variable, line)))]
    # every rescaling of a value is a multiple of a wrong scale: the formula that made the
    # value (a sign, a factor 2, a count) is the likelier place than a later ``/= N``
    if matching:
        return matching[0]
    return _after_last_fit(function, run, variable, own, target)


def _start_is_the_error(statements, run: Run, variable: str, value, target) -> int | None:
    """The line that starts ``variable`` as a copy of another value (``dW = W.copy()`` before
    ``np.add.at(dW, x, dout)``) where that value is exactly what it holds too much: the start
    should have been zeros."""
    try:
        error = np.nan_to_num(np.asarray(plain(value), dtype=float) - target)
    except (TypeError, ValueError):
        return None
    if not np.any(error):
        return None
    for line in _writes(statements, variable):
        change = run.writes.changes.get((variable, line))
        if _aliasing(statements[line]) and change is not None and agrees(change, error):
            return line
    return None


def _after_last_fit(function, run: Run, variable: str, own: list[int], target) -> int:
    """The first line writing ``variable`` after the last top-level statement at whose end its
    value was one it may rightly hold (its final value, or a partial loss's gradient)."""
    acceptable = [target] + [a[variable] for a in run.acceptable if variable in a]
    last_fit = -1
    for index, snapshot in enumerate(run.writes.after):
        if variable in snapshot and any(
            a is not None and agrees(snapshot[variable], a) for a in acceptable
        ):
            last_fit = index
    if last_fit == len(run.writes.after) - 1:  # it ends right: a term is missing at the end
        return own[-1]
    start = function.body[last_fit + 1].lineno if last_fit + 1 < len(function.body) else 0
    after = [line for line in own if line >= start]
    return (after or own)[0]


def _shared_source(statements, run: Run, vouched: set[int]) -> str | None:
    """Where several returned gradients are wrong: the last value all of them are made from
    that no right gradient needs (``dtanh``, read by every gradient of an RNN cell)."""
    wrong = [n for n in run.expected if not agrees(run.got[n], run.expected[n])]
    if len(wrong) < 2:
        return None
    common = set.intersection(
        *(dependencies(statements, entry_source(statements, n) or n) for n in wrong)
    )
    made = [
        v
        for v in common
        if _own_writes(statements, v)
        and not set(_own_writes(statements, v)) <= vouched
        and not (v in run.targets and v in run.final and agrees(run.final[v], run.targets[v]))
    ]
    return max(made, key=lambda v: _own_writes(statements, v)[-1], default=None)


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


def source_text(statements, line: int, name: str) -> str:
    statement = statements.get(line)
    return ast.unparse(statement) if statement is not None else name


def _entry_line(statements: dict[int, ast.stmt], name: str) -> int:
    """The line that fills a dict entry (``{"dWax": ...}`` or ``grads["dWax"] = ...``)."""
    base, key = entry(name)
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


def entry_source(statements: dict[int, ast.stmt], name: str) -> str | None:
    """The variable a dict entry is filled from: ``dWax`` in ``{"dWax": dWax}`` or
    ``grads["dWax"] = dWax``."""
    found = entry(name)
    if found is None:
        return None
    base, key = found
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
