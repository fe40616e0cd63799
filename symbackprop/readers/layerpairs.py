"""Course-style layer files: ``NAME_forward``/``NAME_backward`` pairs and loss functions, each
made into one body the code reader reads like a training step (nothing is run).

A pair ``out, cache = affine_forward(x, w, b)`` / ``dx, dw, db = affine_backward(dout, cache)``
claims that ``dx`` is dL/dx for ``L = sum(out * dout)``: the backward's first arguments are the
upstream gradients of the forward's outputs. The body read is the forward's statements, that
``L``, then the backward's statements with the cache replaced by what the forward put in it (a
tuple, a list, a dict or one array), and the backward's ``return`` as its claims. A loss
function (``svm_loss(x, y)`` returning ``loss, dx``) is read as it is. Mode switches
(``if bn_param['mode'] == 'train'``) take the training branch, a config dict's entries are its
literal defaults or scalars, and ``np.random.seed`` is dropped.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

from symbackprop.errors import SymbackpropError, UnsupportedConstruct
from symbackprop.readers.pyslice import LOSS_NAMES
from symbackprop.readers.pysource import Body, literal_number

PAIR_LOSS = "L"  # the loss a pair is judged under: sum(out * dout)

# Arguments that are numbers, never arrays: regularisation, rates, epsilons, probabilities.
SCALAR_ARGUMENTS = frozenset(
    {
        "reg",
        "reg_strength",
        "lam",
        "lamb",
        "lambda_",
        "lmbda",
        "l2",
        "l2_reg",
        "weight_decay",
        "eps",
        "epsilon",
        "momentum",
        "keep_prob",
        "drop_prob",
        "lr",
        "learning_rate",
        "alpha",
        "margin",
        "temperature",
    }
)
_TRAIN, _TEST = "train", "test"


@dataclass
class Unit:
    """One thing a layer file asks to be judged: a pair, or a loss function."""

    name: str  # "affine" for a pair, the function's name for a loss
    function: str  # the function whose lines are judged: the backward, or the loss
    line: int
    body: Body | None  # None when the function still holds its template
    params: tuple[str, ...] = ()  # what the returned gradients are gradients of
    scalars: tuple[str, ...] = ()  # arguments read as numbers
    loss: str | None = None
    described: str = ""  # "L = sum(out * dout)": how the claims are meant
    warnings: list[str] = field(default_factory=list)
    problem: SymbackpropError | None = None  # why it cannot be read

    @property
    def implemented(self) -> bool:
        return self.body is not None or self.problem is not None


def layer_units(tree: ast.Module, filename: str) -> list[Unit]:
    """Every pair and loss function of a file, in the order they are defined."""
    functions = _functions(tree)
    units: list[Unit] = []
    paired: set[str] = set()
    for name, function in functions.items():
        backward = functions.get(_backward_name(name)) if _is_forward(name) else None
        if backward is not None:
            units.append(_guarded(pair_unit, tree, filename, function, backward))
            paired |= {name, backward.name}
    for name, function in functions.items():  # batchnorm_backward_alt: another backward
        forward = _forward_of_variant(name, functions)
        if name not in paired and forward is not None:
            units.append(_guarded(pair_unit, tree, filename, forward, function))
            paired.add(name)
    for name, function in functions.items():
        if name not in paired and _is_loss_function(function):
            units.append(_guarded(loss_unit, tree, filename, function))
    return sorted(units, key=lambda u: u.line)


def _guarded(make, tree, filename, *functions: ast.FunctionDef) -> Unit:
    """The unit, or one saying why it cannot be read (the file's other units still are)."""
    try:
        return make(tree, filename, *functions)
    except SymbackpropError as error:
        last = functions[-1]
        name = _pair_name(functions[0].name) if len(functions) > 1 else last.name
        return Unit(name, last.name, last.lineno, None, problem=error)


def unit_named(tree: ast.Module, filename: str, function: str) -> Unit | None:
    """The unit ``function`` belongs to (either half of a pair, or a loss), or None."""
    for unit in layer_units(tree, filename):
        if function in (unit.function, unit.name, _forward_name(unit.function)):
            return unit
    return None


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}


def _is_forward(name: str) -> bool:
    return "forward" in name.split("_")


def _backward_name(forward: str) -> str:
    return "_".join("backward" if part == "forward" else part for part in forward.split("_"))


def _forward_name(backward: str) -> str:
    return "_".join("forward" if part == "backward" else part for part in backward.split("_"))


def _forward_of_variant(name: str, functions: dict) -> ast.FunctionDef | None:
    """``batchnorm_forward`` for ``batchnorm_backward_alt``: a second backward of a forward,
    told apart by what follows ``backward`` in its name."""
    parts = name.split("_")
    if "backward" not in parts or parts[-1] == "backward":
        return None
    stem = parts[: parts.index("backward")]
    return functions.get("_".join([*stem, "forward"]))


def _pair_name(forward: str) -> str:
    return "_".join(part for part in forward.split("_") if part != "forward") or forward


def _is_loss_function(function: ast.FunctionDef) -> bool:
    """Returns ``loss, grad`` (or ``loss, grads``) at its end."""
    last = function.body[-1] if function.body else None
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple)):
        return False
    first = last.value.elts[0] if last.value.elts else None
    named = isinstance(first, ast.Name) and (first.id in LOSS_NAMES or "loss" in first.id)
    return named and len(last.value.elts) >= 2


# -- templates ----------------------------------------------------------------------------------
def not_implemented(function: ast.FunctionDef) -> bool:
    """Whether the function still holds its template: it raises NotImplementedError, or every
    value it returns is only ever None (``dx, dw = None, None`` ... ``pass`` ... ``return``)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node):
            return True
    last = function.body[-1] if function.body else None
    if not isinstance(last, ast.Return) or last.value is None:
        return True
    returned = last.value.elts if isinstance(last.value, ast.Tuple) else [last.value]
    values = _assigned_values(function)
    for element in returned:
        if _is_none(element):
            continue
        if not isinstance(element, ast.Name):
            return False
        assigned = values.get(element.id, [])
        if not assigned or not all(_is_none(v) for v in assigned):
            return False
    return True


def _assigned_values(function: ast.FunctionDef) -> dict[str, list[ast.expr | None]]:
    """Each name's assigned values (None where it is written other than by ``=``)."""
    values: dict[str, list[ast.expr | None]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name, value in _pairs(target, node.value):
                    values.setdefault(name, []).append(value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For):
            for name in _stored_names(node.target):
                values.setdefault(name, []).append(None)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            root = _root_name(node)
            if root is not None:
                values.setdefault(root, []).append(None)
    return values


def _pairs(target: ast.expr, value: ast.expr):
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, ast.Tuple | ast.List):
        elements = value.elts if isinstance(value, ast.Tuple | ast.List) else None
        for i, part in enumerate(target.elts):
            inner = elements[i] if elements is not None and i < len(elements) else None
            if isinstance(part, ast.Name):
                yield part.id, inner


def _stored_names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# -- writes into the caller's arrays ------------------------------------------------------------
def input_writes(function: ast.FunctionDef, inputs: set[str]) -> list[str]:
    """Lines that write into an argument (or into an array taken from the cache), through an
    alias or not: ``dx = dout; dx[x <= 0] = 0`` changes the caller's ``dout``."""
    owners = {name: name for name in inputs}  # alias -> the input it is
    found: list[str] = []
    for node in _in_order(function.body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name):
                source = value.id if isinstance(value, ast.Name) else None
                if source in owners:
                    owners[target.id] = owners[source]
                else:
                    owners.pop(target.id, None)
                continue
        written = _written_in_place(node)
        if written is not None and written in owners:
            owner = owners[written]
            via = "" if owner == written else f" (through {written}, which is {owner})"
            found.append(
                f"line {node.lineno}: writes into {owner}, the caller's array{via}; "
                f"work on a copy ({owner}.copy())"
            )
    return found


def _in_order(statements: list[ast.stmt]):
    for statement in statements:
        yield statement
        for block in ("body", "orelse", "finalbody"):
            inner = getattr(statement, block, None)
            if isinstance(inner, list) and not isinstance(statement, ast.FunctionDef):
                yield from _in_order(inner)


def _written_in_place(node: ast.stmt) -> str | None:
    """The name whose array ``x[...] = v``, ``x += v`` or ``x[...] += v`` changes."""
    if isinstance(node, ast.AugAssign):
        return _root_name(node.target)
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                return _root_name(target)
    return None


# -- a loss function ----------------------------------------------------------------------------
def loss_unit(tree: ast.Module, filename: str, function: ast.FunctionDef) -> Unit:
    line = function.lineno
    if not_implemented(function):
        return Unit(function.name, function.name, line, None)
    arguments = _argument_names(function)
    scalars = _scalar_arguments(function)
    statements = _training_branch(copy.deepcopy(function.body))
    body = _body(tree, filename, function, statements, arguments)
    returned = function.body[-1].value.elts[0]
    return Unit(
        function.name,
        function.name,
        line,
        body,
        scalars=scalars,
        loss=returned.id,
        described=f"the loss {returned.id} it returns",
        warnings=input_writes(function, set(arguments)),
    )


# -- a pair -------------------------------------------------------------------------------------
def pair_unit(
    tree: ast.Module, filename: str, forward: ast.FunctionDef, backward: ast.FunctionDef
) -> Unit:
    name = _pair_name(forward.name)
    if not_implemented(forward) or not_implemented(backward):
        return Unit(name, backward.name, backward.lineno, None)
    upstream, cache_args = _split_arguments(backward, filename)
    outputs = _outputs(forward, len(cache_args), filename)
    forward_args = _argument_names(forward)
    configs = _config_dicts(forward)
    scalars = tuple(dict.fromkeys([*_scalar_arguments(forward), *_config_scalars(forward)]))
    statements = _training_branch(_configs_read(copy.deepcopy(forward.body[:-1]), configs))
    loss_line = forward.body[-1].lineno
    names = []
    for i, output in enumerate(outputs):
        if isinstance(output, ast.Name):
            names.append(output.id)
            continue
        names.append(f"forward_out{i if len(outputs) > 1 else ''}")
        statements.append(_assign(names[-1], output, loss_line))
    statements.append(_assign(PAIR_LOSS, _inner_products(names, upstream), loss_line))
    cache = _CacheReader(filename, cache_args, forward, backward)
    # the config dicts the cache hands on (dropout's ``dropout_param``) read as in the forward
    later = cache.rewritten(copy.deepcopy(backward.body))
    later = _training_branch(_configs_read(later, configs | _config_dicts(backward)))
    statements += later
    gradients = _returned_names(backward)
    data = [a for a in forward_args if a not in scalars and a not in configs]
    params = _gradient_params(gradients, data, backward, filename)
    body = _body(tree, filename, backward, statements, [*forward_args, *upstream])
    sums = " + ".join(f"sum({o} * {u})" for o, u in zip(names, upstream, strict=True))
    return Unit(
        name,
        backward.name,
        backward.lineno,
        body,
        params=params,
        scalars=(*scalars, *(a for a in forward_args if a in configs)),
        loss=PAIR_LOSS,
        described=f"{PAIR_LOSS} = {sums}: {', '.join(upstream)} the upstream gradient"
        + ("s" if len(upstream) > 1 else ""),
        warnings=input_writes(backward, set(_argument_names(backward)) | cache.unpacked),
    )


def _outputs(forward: ast.FunctionDef, cached: int, filename: str) -> list[ast.expr]:
    """The forward's outputs: what it returns before the values it hands the backward."""
    last = forward.body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        raise UnsupportedConstruct(
            f"{forward.name}() does not end by returning its output",
            file=filename,
            line=last.lineno,
        )
    early = [n for s in forward.body[:-1] for n in ast.walk(s) if isinstance(n, ast.Return)]
    if early:
        raise UnsupportedConstruct(
            f"a return before the end of {forward.name}()", file=filename, line=early[0].lineno
        )
    value = last.value
    elements = list(value.elts) if isinstance(value, ast.Tuple) else [value]
    return elements[: max(len(elements) - cached, 1)]


def _split_arguments(backward: ast.FunctionDef, filename: str):
    """The backward's upstream gradients (its leading ``d...`` arguments, at least one) and
    its cache arguments."""
    names = _argument_names(backward)
    if not names:
        raise UnsupportedConstruct(
            f"{backward.name}() takes no upstream gradient", file=filename, line=backward.lineno
        )
    count = 1
    while count < len(names) - 1 and _is_gradient_name(names[count]):
        count += 1
    return names[:count], names[count:]


def _is_gradient_name(name: str) -> bool:
    return name.startswith("d") or name.startswith("grad")


def _inner_products(outputs: list[str], upstream: list[str]) -> ast.expr:
    """``numpy.sum(out * dout) + ...``: the loss whose gradient the backward computes."""
    terms = [
        ast.Call(
            ast.Attribute(ast.Name("numpy", ast.Load()), "sum", ast.Load()),
            [ast.BinOp(ast.Name(o, ast.Load()), ast.Mult(), ast.Name(u, ast.Load()))],
            [],
        )
        for o, u in zip(outputs, upstream, strict=False)
    ]
    total = terms[0]
    for term in terms[1:]:
        total = ast.BinOp(total, ast.Add(), term)
    return total


def _assign(name: str, value: ast.expr, line: int) -> ast.Assign:
    statement = ast.Assign([ast.Name(name, ast.Store())], value)
    for node in ast.walk(statement):
        node.lineno, node.col_offset = line, 0
        node.end_lineno, node.end_col_offset = line, 0
    return statement


def _returned_names(function: ast.FunctionDef) -> list[str]:
    value = function.body[-1].value
    elements = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
    return [e.id if isinstance(e, ast.Name) else ast.unparse(e) for e in elements]


def _gradient_params(gradients, data, backward, filename) -> tuple[str, ...]:
    """The forward argument each returned gradient is of: by name (dx for x, dWx for Wx),
    else by the order of the forward's array arguments."""
    named = [_gradient_base(g, data) for g in gradients]
    if all(n is not None for n in named) and len(set(named)) == len(named):
        return tuple(named)
    if len(gradients) == len(data):
        return tuple(data)
    raise UnsupportedConstruct(
        f"cannot tell which argument of the forward each value {backward.name}() returns is "
        f"the gradient of ({', '.join(gradients)} for {', '.join(data)}): name them after "
        "the arguments (dx for x)",
        file=filename,
        line=backward.body[-1].lineno,
    )


def _gradient_base(gradient: str, data: list[str]) -> str | None:
    for prefix in ("d_", "d", "grad_", "g_"):
        if gradient.startswith(prefix) and gradient[len(prefix) :] in data:
            return gradient[len(prefix) :]
    for suffix in ("_grad", "_gradient"):
        if gradient.endswith(suffix) and gradient[: -len(suffix)] in data:
            return gradient[: -len(suffix)]
    lowered = {d.lower(): d for d in data}
    base = re.sub(r"^(d_?|grad_?)", "", gradient).lower()
    return lowered.get(base)


# -- the cache ----------------------------------------------------------------------------------
class _CacheReader(ast.NodeTransformer):
    """The backward's statements with its cache arguments replaced by what the forward put in
    them: ``x, w, b = cache`` (cache = (x, w, b)) goes, ``cache['x']`` is ``x``."""

    def __init__(self, filename, cache_args, forward, backward):
        self.filename = filename
        self.forward = forward
        self.backward = backward
        returned = forward.body[-1].value
        elements = list(returned.elts) if isinstance(returned, ast.Tuple) else [returned]
        handed = elements[len(elements) - len(cache_args) :] if cache_args else []
        if (
            cache_args
            and len(elements) <= len(cache_args)
            and not _all_forward_names(cache_args, forward)
        ):
            raise UnsupportedConstruct(
                f"{backward.name}() takes {len(cache_args) + 1} or more arguments but "
                f"{forward.name}() returns {len(elements)} value(s)",
                file=filename,
                line=backward.lineno,
            )
        self.structures = {
            arg: self._structure(value)
            for arg, value in zip(cache_args, handed, strict=True)
            if len(elements) > len(cache_args)
        }
        self.unpacked: set[str] = set()

    def _structure(self, value: ast.expr):
        """A tuple's elements, a dict's entries or one array, as ast expressions."""
        seen = 0
        while isinstance(value, ast.Name) and seen < 8:
            assigned = _last_assignment(self.forward.body[:-1], value.id)
            filled = _filled_entries(self.forward.body[:-1], value.id)
            if filled:
                return filled
            if not isinstance(assigned, ast.Tuple | ast.List | ast.Dict | ast.Name):
                return value  # one array: the forward's own name for it is in scope
            value, seen = assigned, seen + 1
        if isinstance(value, ast.Tuple | ast.List):
            return list(value.elts)
        if isinstance(value, ast.Dict):
            return {
                k.value: v
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant)
            }
        return value

    def rewritten(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in statements:
            unpacked = self._unpacking(statement)
            if unpacked is not None:
                out += unpacked
                continue
            out.append(self.visit(statement))
        for node in (n for s in out for n in ast.walk(s)):
            if (
                isinstance(node, ast.Name)
                and node.id in self.structures
                and isinstance(node.ctx, ast.Load)
                and not self._is_array(node.id)
            ):
                raise UnsupportedConstruct(
                    f"cannot read how {self.backward.name}() takes {node.id} apart "
                    f"(unpack it as {self.forward.name}() builds it)",
                    file=self.filename,
                    line=getattr(node, "lineno", self.backward.lineno),
                )
        return out

    def _is_array(self, name: str) -> bool:
        return isinstance(self.structures[name], ast.expr)

    def _unpacking(self, statement: ast.stmt) -> list[ast.stmt] | None:
        """``a, b, c = cache``: one assignment per element that is not the very name."""
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            return None
        target, value = statement.targets[0], statement.value
        if not (isinstance(value, ast.Name) and value.id in self.structures):
            return None
        structure = self.structures[value.id]
        if isinstance(target, ast.Tuple | ast.List) and isinstance(structure, list):
            if len(target.elts) != len(structure):
                raise UnsupportedConstruct(
                    f"unpacking {len(structure)} cached values into {len(target.elts)} names",
                    file=self.filename,
                    line=statement.lineno,
                )
            pairs = list(zip(target.elts, structure, strict=True))
        elif isinstance(target, ast.Name) and isinstance(structure, ast.expr):
            pairs = [(target, structure)]
        else:
            return None
        out = []
        for name, element in pairs:
            if isinstance(name, ast.Name):
                self.unpacked.add(name.id)
            if _same_name(name, element):
                continue
            part = ast.Assign([name], copy.deepcopy(element))
            out.append(ast.copy_location(part, statement))
            ast.fix_missing_locations(part)
        return out

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        base = node.value
        if isinstance(base, ast.Name) and base.id in self.structures:
            structure = self.structures[base.id]
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            listed = isinstance(structure, list) and isinstance(key, int)
            if listed and -len(structure) <= key < len(structure):
                return ast.copy_location(copy.deepcopy(structure[key]), node)
            if isinstance(structure, dict) and key in structure:
                return ast.copy_location(copy.deepcopy(structure[key]), node)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        structure = self.structures.get(node.id)
        if isinstance(node.ctx, ast.Load) and isinstance(structure, ast.expr):
            return ast.copy_location(copy.deepcopy(structure), node)
        return node


def _all_forward_names(names: list[str], forward: ast.FunctionDef) -> bool:
    known = set(_argument_names(forward)) | {
        n.id for n in ast.walk(forward) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    return all(name in known for name in names)


def _same_name(target: ast.expr, value: ast.expr) -> bool:
    return isinstance(target, ast.Name) and isinstance(value, ast.Name) and target.id == value.id


def _last_assignment(statements: list[ast.stmt], name: str) -> ast.expr | None:
    found = None
    for statement in statements:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id == name:
                found = statement.value
    return found


def _filled_entries(statements: list[ast.stmt], name: str) -> dict | None:
    """``cache = {}`` then ``cache['x'] = x``: the entries, in the forward's final state."""
    entries: dict = {}
    started = False
    for statement in statements:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if isinstance(target, ast.Name) and target.id == name:
            started = isinstance(statement.value, ast.Dict) and not statement.value.keys
            entries = {}
        elif (
            started
            and isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == name
            and isinstance(target.slice, ast.Constant)
        ):
            entries[target.slice.value] = statement.value
    return entries if started and entries else None


# -- arguments ----------------------------------------------------------------------------------
def _argument_names(function: ast.FunctionDef) -> list[str]:
    spec = function.args
    return [a.arg for a in (*spec.posonlyargs, *spec.args, *spec.kwonlyargs)]


def _scalar_arguments(function: ast.FunctionDef) -> tuple[str, ...]:
    """Arguments that are numbers: by name (reg, eps, p), or by a number as default."""
    spec = function.args
    positional = [*spec.posonlyargs, *spec.args]
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(spec.kwonlyargs, spec.kw_defaults, strict=True),
    ]
    return tuple(
        arg.arg
        for arg, default in pairs
        if arg.arg in SCALAR_ARGUMENTS or literal_number(default) is not None
    )


def scalar_layouts(body: Body) -> dict[str, str]:
    """Any function's arguments that are numbers by their names (reg, eps, keep_prob)."""
    return {name: "scalar" for name in body.arguments if name in SCALAR_ARGUMENTS}


def _config_dicts(function: ast.FunctionDef) -> set[str]:
    """Arguments read only by string keys: ``bn_param['eps']``, ``conv_param.get('pad', 0)``."""
    arguments = set(_argument_names(function))
    keyed: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            (
                keyed
                if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
                else other
            ).add(node.value.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
        ):
            keyed.add(node.func.value.id)
    return (keyed - other) & arguments


def _config_scalars(function: ast.FunctionDef) -> list[str]:
    """The keys a config dict gives without a literal default: each a scalar named by it."""
    configs = _config_dicts(function)
    return [
        key
        for node in ast.walk(function)
        for key in [_config_key(node, configs)]
        if key is not None and _config_default(node) is None
    ]


def _config_key(node: ast.AST, configs: set[str]) -> str | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in configs
        and isinstance(node.slice, ast.Constant)
    ):
        return node.slice.value if str(node.slice.value).isidentifier() else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in configs
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).isidentifier()
    ):
        return node.args[0].value
    return None


def _config_default(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Call) and len(node.args) > 1:
        return node.args[1]
    return None


class _ConfigRead(ast.NodeTransformer):
    """``bn_param.get('eps', 1e-5)`` as ``1e-5``; ``bn_param['eps']`` as the scalar ``eps``."""

    def __init__(self, configs: set[str]):
        self.configs = configs

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        key = _config_key(node, self.configs)
        if key is not None and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name(key, ast.Load()), node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        key = _config_key(node, self.configs)
        if key is not None:
            default = _config_default(node)
            if default is not None and literal_number(default) is not None:
                return ast.copy_location(copy.deepcopy(default), node)
            return ast.copy_location(ast.Name(key, ast.Load()), node)
        return self.generic_visit(node)


class _RandomDraws(ast.NodeTransformer):
    """``np.random.rand(*x.shape)`` as a data array of its own (``random_1``): a dropout
    mask is drawn once and then fixed, so the gradient treats it as data."""

    def __init__(self):
        self.count = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if _is_random_draw(node):
            self.count += 1
            return ast.copy_location(ast.Name(f"random_{self.count}", ast.Load()), node)
        return self.generic_visit(node)


def _is_random_draw(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    called = ast.unparse(node.func)
    return ".random." in f".{called}" and not called.endswith("seed")


def _configs_read(statements: list[ast.stmt], configs: set[str]) -> list[ast.stmt]:
    """Reads of config dicts as numbers, random draws as data; writes into config dicts
    (running averages) and seeding the random generator dropped: neither is part of the
    gradient."""
    kept = []
    reader, draws = _ConfigRead(configs), _RandomDraws()
    for statement in statements:
        if _writes_config(statement, configs) or _seeds(statement):
            continue
        kept.append(draws.visit(reader.visit(statement)))
    return [ast.fix_missing_locations(s) for s in kept]


def _writes_config(statement: ast.stmt, configs: set[str]) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else []
    return any(
        isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in configs
        for t in targets
    )


def _seeds(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and ast.unparse(statement.value.func).endswith("random.seed")
    )


# -- mode switches ------------------------------------------------------------------------------
def _training_branch(statements: list[ast.stmt]) -> list[ast.stmt]:
    """``if mode == 'train': A else: B`` as A: the gradient is of the training forward."""
    out: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.If):
            chosen = _mode_branch(statement)
            if chosen is not None:
                out += _training_branch(chosen)
                continue
        out.append(statement)
    return out


def _mode_branch(statement: ast.If) -> list[ast.stmt] | None:
    test = statement.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    constants = [c.value for c in (test.left, *test.comparators) if isinstance(c, ast.Constant)]
    mode = next((c for c in constants if c in (_TRAIN, _TEST)), None)
    if mode is None or not isinstance(test.ops[0], ast.Eq | ast.NotEq):
        return None
    true = (mode == _TRAIN) == isinstance(test.ops[0], ast.Eq)
    return statement.body if true else statement.orelse


# -- the body read ------------------------------------------------------------------------------
def _body(tree, filename, function, statements, arguments) -> Body:
    helpers = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    return Body(
        filename,
        function.name,
        statements,
        arguments={name: None for name in dict.fromkeys(arguments)},
        line=function.lineno,
        module_level=False,
        helpers=helpers,
    )
