"""The shape of a hand-written training step, read from the ast alone (nothing is run).

A training loop's body is read as one step: loops are flattened into their bodies, tuple
assignments split (``N, D = X.shape`` too), writes in place made assignments (``a[z <= 0] = 0``,
``dh *= mask``, ``dW += X.T @ d`` into a gradient that an update reads), and each simple
statement recorded with what it reads and writes. Parameter updates (``w[0] = w[0] - e1*lr``,
``theta1 -= delta1*alpha``) are recognised; every other
assignment gets a version name, so that ``a1 = X.T`` followed by ``a1 = vstack(...)`` are two
values (``a1@11`` and ``a1``), the last one keeping the user's name.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from symbackprop.errors import UnsupportedConstruct
from symbackprop.naming import indexed_name
from symbackprop.readers.pyslice import ReturnedGradient, Statement, Update, loads, writes
from symbackprop.readers.whitelist import assigned_name, called_name, is_inert

_BLOCKS = (ast.For, ast.While, ast.With)


def flatten(statements: list[ast.stmt], file: str) -> list[ast.stmt]:
    """Loops and ``with`` blocks as their bodies; ``a, b = (1, 2)`` as two assignments."""
    flat: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, _BLOCKS) or is_main_guard(statement):
            flat += flatten(statement.body, file)
        elif isinstance(statement, ast.If):
            if _assigns(statement):
                raise UnsupportedConstruct(
                    "an 'if' that assigns values is not supported in checked code",
                    file=file,
                    line=statement.lineno,
                )
        elif isinstance(statement, ast.Assign) and _is_tuple_assignment(statement):
            flat += _split(statement)
        elif isinstance(statement, ast.Assign) and _is_shape_unpacking(statement):
            flat += _split_shape(statement)
        elif not isinstance(statement, ast.FunctionDef | ast.ClassDef | ast.Return):
            flat.append(statement)
    return flat


def is_main_guard(statement: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` with no ``else``: a script's own code, run as a file."""
    if not isinstance(statement, ast.If) or statement.orelse:
        return False
    test = statement.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return isinstance(test.ops[0], ast.Eq) and names == ["__name__"] and texts == ["__main__"]


def _assigns(statement: ast.stmt) -> bool:
    return any(
        isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign) for n in ast.walk(statement)
    )


def _is_tuple_assignment(statement: ast.Assign) -> bool:
    target, value = statement.targets[0], statement.value
    return (
        len(statement.targets) == 1
        and isinstance(target, ast.Tuple)
        and isinstance(value, ast.Tuple)
        and len(target.elts) == len(value.elts)
    )


def _split(statement: ast.Assign) -> list[ast.stmt]:
    parts = []
    for target, value in zip(statement.targets[0].elts, statement.value.elts, strict=True):
        part = ast.Assign(targets=[target], value=value)
        parts.append(ast.copy_location(part, statement))
    return parts


def _is_shape_unpacking(statement: ast.Assign) -> bool:
    """``N, D = X.shape``."""
    target, value = statement.targets[0], statement.value
    return (
        len(statement.targets) == 1
        and isinstance(target, ast.Tuple)
        and isinstance(value, ast.Attribute)
        and value.attr == "shape"
    )


def _split_shape(statement: ast.Assign) -> list[ast.stmt]:
    """``N, D = X.shape`` as ``N = X.shape[0]`` and ``D = X.shape[1]``."""
    parts = []
    for axis, target in enumerate(statement.targets[0].elts):
        size = ast.Subscript(value=statement.value, slice=ast.Constant(axis), ctx=ast.Load())
        part = ast.Assign(targets=[target], value=ast.copy_location(size, statement.value))
        parts.append(ast.copy_location(part, statement))
    return parts


class MaskedAssignment(ast.expr):
    """``a[z <= 0] = value`` read as a new value of ``a``: ``value`` where the mask holds,
    ``array`` (the old ``a``) elsewhere, as ``np.where(mask, value, a)``."""

    _fields = ("mask", "value", "array")


def _masked_target(statement: ast.stmt, masks: set[str]) -> ast.Subscript | None:
    """The target of ``a[z <= 0] = v``, ``a[z < 0] *= alpha`` or ``a[~mask] = 0``: a name
    indexed by a comparison, or by a name ``masks`` holds (assigned a comparison)."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AugAssign):
        target = statement.target
    else:
        return None
    if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
        return None
    mask = target.slice
    if isinstance(mask, ast.UnaryOp) and isinstance(mask.op, ast.Invert):
        mask = mask.operand
    named = isinstance(mask, ast.Name) and mask.id in masks
    return target if named or isinstance(mask, ast.Compare) else None


def _mask_writes(statements: list[ast.stmt]) -> list[ast.stmt]:
    """Writes through a boolean mask as new values of the array written into."""
    masks: set[str] = set()
    result = []
    for statement in statements:
        if _masked_target(statement, masks) is not None:
            statement = _masked(statement, masks)
        target = assigned_name(statement)
        if target is not None:  # a name holds a mask while its value is a comparison
            is_mask = isinstance(statement.value, ast.Compare)
            masks = masks | {target} if is_mask else masks - {target}
        result.append(statement)
    return result


def _masked(statement: ast.Assign | ast.AugAssign, masks: set[str]) -> ast.stmt:
    target = _masked_target(statement, masks)
    name = target.value.id
    old = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), target)
    value = statement.value
    if isinstance(value, ast.Subscript) and ast.dump(value.slice) == ast.dump(target.slice):
        value = value.value  # a[z > 0] = b[z > 0]: b's entries where the mask holds
    if isinstance(statement, ast.AugAssign):  # a[mask] *= v: v times the old entries there
        value = ast.copy_location(ast.BinOp(left=old, op=statement.op, right=value), value)
    masked = ast.copy_location(MaskedAssignment(mask=target.slice, value=value, array=old), value)
    written = ast.copy_location(ast.Name(id=name, ctx=ast.Store()), target)
    return ast.copy_location(ast.Assign(targets=[written], value=masked), statement)


def steps(statements: list[ast.stmt]) -> list[Statement]:
    """One :class:`~symbackprop.readers.pyslice.Statement` per statement, with updates
    recognised and versions named."""
    statements = _accumulations(_mask_writes(statements))
    records = [_step(position, node) for position, node in enumerate(statements)]
    counts = Counter(r.target for r in records if r.target is not None)
    seen: Counter = Counter()
    turns: Counter = Counter()  # an unrolled loop repeats a line: its turns are told apart
    for record in records:
        if record.target is None:
            continue
        seen[record.target] += 1
        last = seen[record.target] == counts[record.target]
        version = f"{record.target}@{record.line}"
        turns[version] += 1
        if turns[version] > 1:
            version += f".{turns[version]}"
        record.version = record.target if last else version
    return records


def _accumulations(statements: list[ast.stmt]) -> list[ast.stmt]:
    """``dW += X.T @ d`` (or ``dW = dW + X.T @ d``) as ``dW = X.T @ d + dW`` where another
    update reads ``dW`` (``W -= lr * dW``): a gradient summed up, not a parameter stepped;
    ``dh *= mask`` as
    ``dh = dh * mask``."""
    updates = [as_update(node) for node in statements]
    read: set[str] = set()
    for update in updates:
        if update is not None:
            read |= loads(update.step) - {update.param}
    # a function returning its gradients steps no weight: ``loss += reg * ...`` adds up
    returning = any(isinstance(node, ReturnedGradient) for node in statements)
    result = []
    for node, update in zip(statements, updates, strict=True):
        summed = update is not None and (update.param in read or returning)
        name = node.target if isinstance(node, ast.AugAssign) else None
        if isinstance(node, ReturnedGradient):
            pass
        elif isinstance(name, ast.Name) and (update is None or summed):
            node = _as_assignment(node, update)
        elif isinstance(node, ast.Assign) and summed and isinstance(node.targets[0], ast.Name):
            node = _as_assignment(_augmented(node, update), update)  # dW = dW + reg * W
        result.append(node)
    return result


def _augmented(node: ast.Assign, update: Update) -> ast.AugAssign:
    """``w = w - step`` as ``w -= step``."""
    op = ast.Sub() if update.sign > 0 else ast.Add()
    return ast.copy_location(ast.AugAssign(node.targets[0], op, update.step), node)


def _as_assignment(node: ast.AugAssign, update: Update | None) -> ast.Assign:
    old = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
    if update is None:  # ``*=``, ``/=``: never a parameter's step
        value = ast.BinOp(left=old, op=node.op, right=node.value)
    else:  # the old value last, so that this does not read as an update ``w = w - step``
        step = node.value
        if update.sign > 0:
            step = ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=step), step)
        value = ast.BinOp(left=step, op=ast.Add(), right=old)
    value = ast.copy_location(value, node)
    return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)


def _step(position: int, node: ast.stmt) -> Statement:
    update = as_update(node)
    written = writes(node)
    if update is not None:
        return Statement(position, node, reads=loads(update.step), writes=written, update=update)
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ):
        target = node.targets[0].id
        return Statement(position, node, target, node.value, loads(node.value), written)
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return Statement(position, node, node.target.id, node.value, loads(node.value), written)
    reads = set() if is_inert(node) else loads(node)
    return Statement(position, node, reads=reads, writes=written)


def as_update(node: ast.stmt) -> Update | None:
    """``w[0] = w[0] - e1*lr``, ``w -= g``, ``w += -g``: the parameter and the step taken."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Sub | ast.Add):
        param = target_name(node.target)
        sign = 1 if isinstance(node.op, ast.Sub) else -1
        returned = isinstance(node, ReturnedGradient)
        return None if param is None else Update(param, node.value, sign, returned)
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return None
    value = node.value
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Sub | ast.Add)):
        return None
    param = target_name(node.targets[0])
    if param is None or target_name(value.left) != param:
        return None
    return Update(param, value.right, 1 if isinstance(value.op, ast.Sub) else -1)


def target_name(node: ast.expr) -> str | None:
    """``w[0]`` for ``w[0]`` or ``w[0][1]`` with constant indices, ``w`` for a name."""
    index: list[int] = []
    while isinstance(node, ast.Subscript):
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not all(isinstance(p, ast.Constant) and type(p.value) is int for p in parts):
            return None
        index[:0] = [p.value for p in parts]
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return indexed_name(node.id, *index) if index else node.id


# -- steps written as products ------------------------------------------------------------------
def rebuilt_product(factors: list[ast.expr], like: ast.AST) -> ast.expr:
    """``a * b * c`` from its factors (for a step with its learning rate taken out)."""
    product = factors[0]
    for factor in factors[1:]:
        product = ast.copy_location(ast.BinOp(left=product, op=ast.Mult(), right=factor), like)
    return product


def product_factors(node: ast.expr) -> list[ast.expr]:
    """The factors of a top-level product ``a * b * (c)``; ``a * b / n`` has ``1 / n``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return product_factors(node.left) + product_factors(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        one = ast.copy_location(ast.Constant(1), node.right)
        divisor = ast.copy_location(ast.BinOp(left=one, op=ast.Div(), right=node.right), node)
        return product_factors(node.left) + [divisor]
    return [node]


def rate_out_of_product(step: ast.expr, is_rate) -> list[ast.expr]:
    """``(lr * A) @ B`` as the factors ``lr`` and ``A @ B`` (a scalar rate commutes out)."""
    if not (isinstance(step, ast.BinOp) and isinstance(step.op, ast.MatMult)):
        return [step]
    inner = product_factors(step.left)
    if len(inner) < 2 or not is_rate(inner[0]):
        return [step]
    rest = rebuilt_product(inner[1:], step.left)
    product = ast.copy_location(ast.BinOp(left=rest, op=ast.MatMult(), right=step.right), step)
    return [inner[0], product]


def negated(node: ast.expr) -> ast.expr:
    return ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=copy.deepcopy(node)), node)


def bias_layouts(statements: list[ast.stmt], weights: set[str]) -> dict[str, str]:
    """Names added to a matrix product: biases, whose shape an argument list does not tell.
    ``X @ W + b`` (samples as rows) makes b a row vector, broadcast along the rows;
    ``W @ X + b`` (samples as columns, the weight on the left) makes it a column, (h, 1)."""
    found = {}
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    factors = _product_factors(other)
                    bias = target_name(side)  # ``b`` or ``biases[0]``
                    if bias is not None and factors is not None:
                        found.setdefault(bias, _bias_layout(factors, weights))
    return found


def _bias_layout(factors: tuple[ast.expr, ast.expr], weights: set[str]) -> str:
    left, right = (_base_name(f) in weights for f in factors)
    if left and right:  # a layer pair's gradients are of every argument: the names tell
        left, right = (_weight_like(_base_name(f)) for f in factors)
    return "k1" if left and not right else "row"


def _weight_like(name: str | None) -> bool:
    """``W``, ``W1``, ``weights``, ``Wax``: named as a weight matrix is."""
    return name is not None and (name[:1] in ("W", "w") or name.startswith("kernel"))


def _product_factors(node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return node.left, node.right
    if called_name(node) == "dot" and isinstance(node.func, ast.Attribute) and len(node.args) == 1:
        return node.func.value, node.args[0]  # a.dot(b)
    if called_name(node) in ("dot", "matmul") and len(node.args) == 2:
        return node.args[0], node.args[1]
    return None


def _base_name(node: ast.expr) -> str | None:
    """``W`` for ``W``, ``W.T`` or ``np.transpose(W)``; ``W[0]`` for ``W[0].T``."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Subscript):
            return target_name(node.value)
        if isinstance(node, ast.Attribute):
            node = node.value
        elif node.args:
            node = node.args[0]
        else:
            return None
    return target_name(node)
