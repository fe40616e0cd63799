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
from dataclasses import dataclass, field

from symbackprop.errors import SymbackpropError, UnsupportedConstruct
from symbackprop.readers.codeflow import as_update
from symbackprop.readers.layercache import CacheReader
from symbackprop.readers.layerconfig import (
    argument_names,
    config_dicts,
    config_keys,
    config_scalars,
    configs_read,
    scalar_arguments,
    training_branch,
)
from symbackprop.readers.programshapes import named_weight
from symbackprop.readers.pyslice import LOSS_NAMES
from symbackprop.readers.pysource import Body, select_body
from symbackprop.readers.siblings import is_imported

PAIR_LOSS = "L"  # the loss a pair is judged under: sum(out * dout)


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
    method: bool = False  # a class's method (``TwoLayerNet.loss``)
    sources: tuple[ast.FunctionDef, ...] = ()  # the forward and backward, or the loss function
    layer_class: ast.ClassDef | None = None  # a class with forward and backward methods
    network: ast.ClassDef | None = None  # a network class whose method this unit is
    # a method returning lists of gradients beside the class's lists of weights: each list
    # returned with the list on ``self`` it is made beside (("nabla_b", "biases"), ...)
    lists: tuple[tuple[str, str], ...] = ()

    @property
    def is_pair(self) -> bool:
        return self.name != self.function

    @property
    def implemented(self) -> bool:
        return self.body is not None or self.problem is not None


def layer_units(tree: ast.Module, filename: str) -> list[Unit]:
    """Every pair and loss function of a file, in the order they are defined."""
    functions = _functions(tree)
    every = _functions(tree, imported=True)  # a forward may be imported from beside it
    units: list[Unit] = []
    paired: set[str] = set()
    for find, only_once in _PAIRINGS:
        for name, backward in functions.items():
            forward = None if name in paired else find(name, every)
            if forward is None or forward is backward or (only_once and forward.name in paired):
                continue
            units.append(_guarded(pair_unit, tree, filename, forward, backward))
            paired |= {name, forward.name} if only_once else {name}
    for name, function in functions.items():
        if name not in paired and _is_loss_function(function):
            units.append(_guarded(loss_unit, tree, filename, function))
            paired.add(name)
    if units:  # a layer file: a backward left without its forward is said, never skipped
        lone = [f for n, f in functions.items() if n not in paired and _is_backward(n)]
        units += [_unpaired(backward, filename) for backward in lone]
    for cls in (s for s in tree.body if isinstance(s, ast.ClassDef)):
        methods = {s.name: s for s in cls.body if isinstance(s, ast.FunctionDef)}
        if _is_layer_class(methods):
            units.append(class_unit(cls, methods))
            continue
        for method in methods.values():
            if method.args.args and _is_loss_function(method):  # a network's loss(X, y)
                units.append(_guarded(method_unit, tree, filename, cls, method))
            elif gradient_lists(method):  # a network's backprop(x, y) returning its lists
                units.append(lists_unit(cls, method))
    return sorted(units, key=lambda u: u.line)


def _returned_loss(name: str) -> str:
    """How a loss a function returns is spoken of: "the loss it returns", "the loss cost it
    returns"."""
    return "the loss it returns" if name == "loss" else f"the loss {name} it returns"


def _forward_named(name: str, every: dict) -> ast.FunctionDef | None:
    """``affine_forward`` for ``affine_backward``: the file's or one it imports."""
    return every.get(_forward_name(name)) if _is_backward(name) else None


def _is_backward(name: str) -> bool:
    """A name of a backward (``sigmoid_backward``, ``backward_propagation_with_l1``)."""
    return "backward" in name.split("_")


def _unpaired(backward: ast.FunctionDef, filename: str) -> Unit:
    """A backward with no forward found to judge it against, said as not read."""
    problem = UnsupportedConstruct(
        f"no forward to judge {backward.name}() against: looked for "
        f"{_forward_name(backward.name)}() returning its output and a cache",
        file=filename,
        line=backward.lineno,
    )
    return Unit(backward.name, backward.name, backward.lineno, None, problem=problem)


def _is_layer_class(methods: dict[str, ast.FunctionDef]) -> bool:
    """``forward(self, inputs)`` and a ``backward`` that stores gradients on ``self``
    (``self.dinputs``, ``self.dweights``), as layer and loss classes are written."""
    backward = methods.get("backward")
    if "forward" not in methods or backward is None:
        return False
    return bool(_self_gradients(backward)) or _template(backward) or returns_a_gradient(backward)


RETURNED = "the returned value"  # a backward's returned gradient, as its claim is named


def _returned(backward: ast.FunctionDef) -> tuple[str, ...]:
    return (RETURNED,) if returns_a_gradient(backward) else ()


def returns_a_gradient(backward: ast.FunctionDef) -> bool:
    """A backward that returns the gradient of its forward's input (``return grad @
    self.W.T``), as module-style layers do, rather than storing it as ``self.dinputs``."""
    last = backward.body[-1] if backward.body else None
    if not isinstance(last, ast.Return) or last.value is None or _is_none(last.value):
        return False
    stored = {g for g in _self_gradients(backward) if g in ("dinputs", "dvalues", "dx")}
    return not stored and not isinstance(last.value, ast.Tuple)


def _self_gradients(backward: ast.FunctionDef) -> list[str]:
    """The gradients a backward stores on ``self``, in the order it first writes them."""
    found = []
    for node in ast.walk(backward):
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets = [node.target] if isinstance(node, ast.AugAssign) else targets
        for target in targets:
            while isinstance(target, ast.Subscript):
                target = target.value
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and _is_gradient_name(target.attr)
                and target.attr not in found
            ):
                found.append(target.attr)
    return sorted(found, key=lambda name: _first_write(backward, name))


def _first_write(function: ast.FunctionDef, attribute: str) -> int:
    return min(
        node.lineno
        for node in ast.walk(function)
        if isinstance(node, ast.Attribute) and node.attr == attribute
    )


def _template(method: ast.FunctionDef) -> bool:
    """A method whose body is still its template: a docstring, ``pass`` or a raise."""
    return all(
        isinstance(s, ast.Pass | ast.Raise)
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in method.body
    )


def class_unit(cls: ast.ClassDef, methods: dict[str, ast.FunctionDef]) -> Unit:
    """A layer class: judged by evaluation, its forward's output against its backward's
    ``self.d...`` gradients."""
    backward = methods["backward"]
    name = f"{cls.name}.backward"
    if _template(backward) or _template(methods["forward"]):
        return Unit(cls.name, name, backward.lineno, None, layer_class=cls)
    problem = UnsupportedConstruct("a layer class is read by evaluating it")
    return Unit(
        cls.name,
        name,
        backward.lineno,
        None,
        problem=problem,
        layer_class=cls,
        params=tuple(_self_gradients(backward)) + _returned(backward),
    )


def method_unit(tree, filename: str, cls: ast.ClassDef, method: ast.FunctionDef) -> Unit:
    """A class's ``loss(X, y)`` returning ``loss, grads``: its weights on ``self``, the
    layers it calls read inline, the scores-only branch (``if y is None``) left out."""
    name = f"{cls.name}.{method.name}"
    if not_implemented(method):
        return Unit(name, name, method.lineno, None, method=True, network=cls)
    body = select_body(tree, filename, name)
    body.statements = training_branch(copy.deepcopy(body.statements))
    returned = method.body[-1].value.elts[loss_position(method)]
    return Unit(
        name,
        name,
        method.lineno,
        body,
        scalars=scalar_arguments(method),
        loss=returned.id,
        described=_returned_loss(returned.id),
        method=True,
        network=cls,
    )


def gradient_lists(method: ast.FunctionDef) -> tuple[tuple[str, str], ...]:
    """``(("nabla_b", "biases"), ("nabla_w", "weights"))`` for a method that returns lists of
    gradients it made beside the class's lists of weights
    (``nabla_b = [np.zeros(b.shape) for b in self.biases]``); empty for any other."""
    last = method.body[-1] if method.body else None
    if not isinstance(last, ast.Return) or not isinstance(last.value, ast.Tuple):
        return ()
    names = [e.id for e in last.value.elts if isinstance(e, ast.Name)]
    if not names or len(names) != len(last.value.elts):
        return ()
    beside: dict[str, str] = {}
    for node in ast.walk(method):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in names and target.id not in beside:
                beside[target.id] = _list_beside(node.value) or ""
    if not all(beside.get(name) for name in names):
        return ()
    return tuple((name, beside[name]) for name in names)


def _list_beside(value: ast.expr) -> str | None:
    """``biases`` for ``[np.zeros(b.shape) for b in self.biases]``: a list of starts, one for
    each entry of a list on ``self``."""
    if not isinstance(value, ast.ListComp) or len(value.generators) != 1:
        return None
    source = value.generators[0].iter
    on_self = (
        isinstance(source, ast.Attribute)
        and isinstance(source.value, ast.Name)
        and source.value.id == "self"
    )
    return source.attr if on_self and is_start(value.elt) else None


def lists_unit(cls: ast.ClassDef, method: ast.FunctionDef) -> Unit:
    """A network's ``backprop(x, y)`` returning lists of gradients: read by evaluation."""
    name = f"{cls.name}.{method.name}"
    problem = UnsupportedConstruct("a network's lists of gradients are read by evaluating it")
    lists = gradient_lists(method)
    return Unit(
        name, name, method.lineno, None, problem=problem, method=True, network=cls, lists=lists
    )


def _guarded(make, tree, filename, *functions: ast.FunctionDef | ast.ClassDef) -> Unit:
    """The unit, or one saying why it cannot be read (the file's other units still are)."""
    try:
        unit = make(tree, filename, *functions)
    except SymbackpropError as error:
        first, last = functions[0], functions[-1]
        if isinstance(first, ast.ClassDef):  # a network's method
            name = f"{first.name}.{last.name}"
            return Unit(name, name, last.lineno, None, problem=error, method=True, network=first)
        name = _pair_name(first.name) if len(functions) > 1 else last.name
        return Unit(name, last.name, last.lineno, None, problem=error, sources=functions)
    if not isinstance(functions[0], ast.ClassDef):
        unit.sources = functions
    return unit


def unit_named(tree: ast.Module, filename: str, function: str) -> Unit | None:
    """The unit ``function`` belongs to (either half of a pair, or a loss), or None."""
    for unit in layer_units(tree, filename):
        if function in (unit.function, unit.name, _forward_name(unit.function)):
            return unit
    return None


def _functions(tree: ast.Module, imported: bool = False) -> dict[str, ast.FunctionDef]:
    """The functions the file defines (those it imports are read, never judged here), or with
    ``imported`` those too."""
    return {
        s.name: s
        for s in tree.body
        if isinstance(s, ast.FunctionDef) and (imported or not is_imported(s))
    }


def _backward_name(forward: str) -> str:
    return "_".join("backward" if part == "forward" else part for part in forward.split("_"))


def _forward_name(backward: str) -> str:
    return "_".join("forward" if part == "backward" else part for part in backward.split("_"))


def _plain_forward(name: str, functions: dict) -> ast.FunctionDef | None:
    """``relu`` for ``relu_backward(dA, cache)``: a forward named without ``forward`` that
    returns its value and a cache, as a course's activations are written."""
    if not name.endswith("_backward"):
        return None
    forward = functions.get(name.removesuffix("_backward"))
    backward = functions[name]
    if forward is None or len(argument_names(backward)) != 2:
        return None
    returned = forward.body[-1]
    pair = isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple)
    return forward if pair and len(returned.value.elts) == 2 else None


def _forward_of_variant(name: str, functions: dict) -> ast.FunctionDef | None:
    """``batchnorm_forward`` for ``batchnorm_backward_alt``: a second backward of a forward,
    told apart by what follows ``backward`` in its name."""
    parts = name.split("_")
    if "backward" not in parts or parts[-1] == "backward":
        return None
    stem = parts[: parts.index("backward")]
    return functions.get("_".join([*stem, "forward"]))


def _forward_of_costed_variant(name: str, every: dict) -> ast.FunctionDef | None:
    """``forward_propagation`` for ``backward_propagation_with_regularization`` beside
    ``compute_cost_with_regularization``: a backward of a plain forward (the file's or one it
    imports) under a cost of its own, told apart by the last words its name shares with that
    cost's."""
    parts = _forward_name(name).split("_")
    if "backward" not in name.split("_") or "forward" not in parts:
        return None
    for cut in range(len(parts) - 1, parts.index("forward"), -1):
        forward = every.get("_".join(parts[:cut]))
        if forward is not None and _variant_cost(every.values(), "_".join(parts[cut:])):
            return forward
    return None


def _variant_cost(functions, suffix: str) -> ast.FunctionDef | None:
    """The cost named for a variant (``compute_cost_with_regularization``), or None."""
    for function in functions:
        named = "cost" in function.name or "loss" in function.name
        if named and function.name.endswith(f"_{suffix}") and len(function.args.args) >= 2:
            return function
    return None


def _pair_name(forward: str) -> str:
    return "_".join(part for part in forward.split("_") if part != "forward") or forward


def _is_loss_function(function: ast.FunctionDef) -> bool:
    """Returns ``loss, grad`` (or ``loss, grads``, or ``grads, cost``) at its end."""
    return loss_position(function) is not None


def loss_position(function: ast.FunctionDef) -> int | None:
    """Where the loss is among the values ``function`` returns at its end: first
    (``return loss, dW``), or last (``return grads, cost``, as a course's ``propagate``)."""
    last = function.body[-1] if function.body else None
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple)):
        return None
    elements = last.value.elts
    if len(elements) < 2:
        return None
    for index in (0, len(elements) - 1):
        element = elements[index]
        if isinstance(element, ast.Name) and (element.id in LOSS_NAMES or "loss" in element.id):
            return index
    return None


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
    if _holds_pass(function) and any(_only_started(e, values) for e in returned):
        return True  # ``dW = np.zeros(W.shape)`` ... ``pass``: the gradient is still to write
    for element in returned:
        if _is_none(element):
            continue
        if not isinstance(element, ast.Name):
            return False
        assigned = values.get(element.id, [])
        if not assigned or not all(_is_none(v) for v in assigned):
            return False
    return True


def _holds_pass(function: ast.FunctionDef) -> bool:
    return any(isinstance(node, ast.Pass) for node in ast.walk(function))


def _only_started(element: ast.expr, values: dict) -> bool:
    """A returned name only ever given a start: None, a number, or an array of zeros."""
    if not isinstance(element, ast.Name):
        return False
    assigned = values.get(element.id, [])
    return bool(assigned) and all(is_start(v) for v in assigned)


def is_start(value: ast.expr | None) -> bool:
    """A value a gradient starts from, never a formula: None, a number, an array of zeros
    (``np.zeros_like(W)``, or a ``zero_pad()`` of one)."""
    if value is None:
        return False
    if _is_none(value) or isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Call):
        called = called_name(value)
        return called in ("zeros", "zeros_like", "empty", "empty_like") or called.startswith("zero")
    return False


def called_name(call: ast.Call) -> str:
    """``zeros`` for ``np.zeros(...)``, ``zero_pad`` for ``zero_pad(...)``."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


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


def backward_inputs(backward: ast.FunctionDef) -> set[str]:
    """The arrays a backward is handed: its arguments, and what it unpacks from them
    (``x, w, b = cache``; ``x = cache["x"]``)."""
    arguments = set(argument_names(backward))
    names = set(arguments)
    for node in _in_order(backward.body):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        root = value.value if isinstance(value, ast.Subscript) else value
        if isinstance(root, ast.Name) and root.id in arguments:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


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
    arguments = argument_names(function)
    scalars = scalar_arguments(function)
    statements = training_branch(copy.deepcopy(function.body))
    body = _body(tree, filename, function, statements, arguments)
    returned = function.body[-1].value.elts[loss_position(function)]
    return Unit(
        function.name,
        function.name,
        line,
        body,
        scalars=scalars,
        loss=returned.id,
        described=_returned_loss(returned.id),
        warnings=input_writes(function, set(arguments)),
    )


# -- a pair -------------------------------------------------------------------------------------
def pair_unit(
    tree: ast.Module, filename: str, forward: ast.FunctionDef, backward: ast.FunctionDef
) -> Unit:
    name = _pair_name(forward.name)
    if not_implemented(forward) or not_implemented(backward):
        return Unit(name, backward.name, backward.lineno, None)
    if cost_pair(forward, backward) or cost_function(tree, forward, backward):
        raise UnsupportedConstruct(
            f"{backward.name}() takes no upstream gradient: read by evaluation", file=filename
        )
    upstream, cache_args = _split_arguments(backward, filename)
    outputs = _outputs(forward, len(cache_args), filename)
    forward_args = argument_names(forward)
    _no_steps(forward, forward_args, filename)
    configs = config_dicts(forward)
    scalars = tuple(dict.fromkeys([*scalar_arguments(forward), *config_scalars(forward)]))
    statements = training_branch(configs_read(copy.deepcopy(forward.body[:-1]), configs))
    loss_line = forward.body[-1].lineno
    names = []
    for i, output in enumerate(outputs):
        if isinstance(output, ast.Name):
            names.append(output.id)
            continue
        names.append(f"forward_out{i if len(outputs) > 1 else ''}")
        statements.append(_assign(names[-1], output, loss_line))
    statements.append(_assign(PAIR_LOSS, _inner_products(names, upstream), loss_line))
    cache = CacheReader(filename, cache_args, forward, backward)
    # the config dicts the cache hands on (dropout's ``dropout_param``) read as in the forward
    later = cache.rewritten(copy.deepcopy(backward.body))
    later = training_branch(configs_read(later, configs))
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
        warnings=input_writes(backward, set(argument_names(backward)) | cache.unpacked),
    )


def _no_steps(forward: ast.FunctionDef, arguments: list[str], filename: str) -> None:
    """A forward that adds into its own input (``x -= x.mean(axis=0)``) would read as a weight
    stepped: it is left to the reader that evaluates the code instead."""
    for node in ast.walk(forward):
        update = as_update(node) if isinstance(node, ast.stmt) else None
        if update is not None and update.param in arguments:
            raise UnsupportedConstruct(
                f"{forward.name}() adds into its argument {update.param}",
                file=filename,
                line=node.lineno,
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


def pair_gradients(
    forward: ast.FunctionDef, backward: ast.FunctionDef, filename: str, costed: bool = False
):
    """A pair's upstream gradients (none where the gradients are of a cost: the forward's own,
    or, ``costed``, the file's cost of its output), the names its backward returns and the
    forward argument each is the gradient of."""
    cost = costed or cost_pair(forward, backward)
    upstream = [] if cost else _split_arguments(backward, filename)[0]
    configs = config_dicts(forward)
    scalars = {*scalar_arguments(forward), *config_scalars(forward)}
    data = [a for a in argument_names(forward) if a not in scalars and a not in configs]
    returned = backward.body[-1].value if isinstance(backward.body[-1], ast.Return) else None
    if isinstance(returned, ast.Name) and _dict_keys_written(backward, returned.id):
        return upstream, *_dict_gradients(forward, backward, returned.id, data, filename)
    if cost and isinstance(returned, ast.Name) and _keys_computed(backward, returned.id):
        return upstream, DYNAMIC, ()  # ``grads["dW" + str(l)]``: its keys known once it ran
    gradients = _returned_names(backward)
    return upstream, gradients, _gradient_params(gradients, data, backward, filename)


def _dict_gradients(forward, backward, name: str, data: list[str], filename: str):
    """A backward returning a dict of gradients (``gradients["dWax"]``): each entry and what
    it is the gradient of, a forward argument (``dxt``: xt) or an entry of a forward dict of
    weights (``dWax``: ``parameters["Wax"]``)."""
    weights = {
        key: f"{arg}[{key!r}]"
        for arg in config_dicts(forward)
        for key in sorted(config_keys(forward, {arg}))
    }
    names, params = [], []
    made = _assigned_names(forward)
    for key in _dict_keys_written(backward, name):
        base = _gradient_base(key, data)
        weight = named_weight(key)
        if base is None and weight in weights:
            base = weights[weight]
        if base is None and weight in made:
            continue  # an intermediate's delta (``dZ3``) handed back beside the gradients
        if base is None:
            raise UnsupportedConstruct(
                f"cannot tell what {name}[{key!r}] is the gradient of",
                file=filename,
                line=backward.body[-1].lineno,
            )
        names.append(f"{name}[{key!r}]")
        params.append(base)
    if not names:
        raise UnsupportedConstruct(
            f"no entry of {name} is the gradient of an argument", file=filename
        )
    return names, tuple(params)


# The gradients of a backward whose dict's keys are made as it runs (``"dW" + str(l + 1)``).
DYNAMIC = ["<keys made as it runs>"]


def _keys_computed(function: ast.FunctionDef, name: str) -> bool:
    """Whether ``function`` writes entries of the dict ``name`` under keys it computes."""
    return any(
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == name
        and not isinstance(node.slice, ast.Constant)
        for node in ast.walk(function)
    )


def _assigned_names(function: ast.FunctionDef) -> set[str]:
    return {
        target.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def cost_function(tree: ast.Module, forward: ast.FunctionDef, backward: ast.FunctionDef):
    """``compute_cost(A2, Y)``: the file's cost of a model's output, where the forward returns
    its output and a cache (``forward_propagation(X, parameters) -> (A2, cache)``) and the
    backward takes no upstream gradient (``backward_propagation(parameters, cache, X, Y)``);
    a variant's own where the backward is named for one (``compute_cost_with_regularization``
    for ``backward_propagation_with_regularization``); None otherwise."""
    names = argument_names(backward)
    if not names or _is_gradient_name(names[0]) or cost_pair(forward, backward):
        return None
    returned = forward.body[-1] if forward.body else None
    if not (isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple)):
        return None
    if len(returned.value.elts) != 2:
        return None
    every = [s for s in tree.body if isinstance(s, ast.FunctionDef)]  # imported ones too
    variant = backward.name.removeprefix(f"{_backward_name(forward.name)}_")
    if variant != backward.name:  # backward_propagation_with_regularization: its own cost
        return _variant_cost(every, variant)
    for function in every:
        named = "cost" in function.name or "loss" in function.name
        if named and len(argument_names(function)) == 2 and function is not forward:
            return function
    return None


def cost_pair(forward: ast.FunctionDef, backward: ast.FunctionDef) -> bool:
    """``forward_propagation_n(X, Y, parameters) -> (cost, cache)`` beside
    ``backward_propagation_n(X, Y, cache)``: the backward takes no upstream gradient, its
    gradients are of the cost the forward returns first."""
    names = argument_names(backward)
    returned = forward.body[-1] if forward.body else None
    if not (isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple)):
        return False
    first = returned.value.elts[0] if returned.value.elts else None
    cost = isinstance(first, ast.Name) and (first.id in LOSS_NAMES or "loss" in first.id)
    forward_names = argument_names(forward)
    return cost and bool(names) and names[0] in forward_names and not _is_gradient_name(names[0])


def loss_gradients(function: ast.FunctionDef, filename: str):
    """A loss function's loss, the gradients it returns after it and the argument each is
    the gradient of (``loss, dW``; a dict of them, by its keys)."""
    returned = function.body[-1]
    if not isinstance(returned, ast.Return) or not isinstance(returned.value, ast.Tuple):
        raise UnsupportedConstruct(
            f"{function.name}() does not end by returning its loss and gradients",
            file=filename,
            line=returned.lineno,
        )
    rest = list(returned.value.elts)
    loss = rest.pop(loss_position(function) or 0)
    arguments = argument_names(function)
    names, params = [], []
    for value in rest:
        if isinstance(value, ast.Name) and _gradient_base(value.id, arguments) is not None:
            names.append(value.id)
            params.append(_gradient_base(value.id, arguments))
        elif isinstance(value, ast.Name):  # a dict of gradients, by the keys written into it
            for key in _dict_keys_written(function, value.id):
                base = key if key in arguments else _gradient_base(key, arguments)
                if base is not None:
                    names.append(f"{value.id}[{key!r}]")
                    params.append(base)
    if not isinstance(loss, ast.Name) or not names:
        raise UnsupportedConstruct(
            f"cannot tell what {function.name}() returns the gradients of",
            file=filename,
            line=returned.lineno,
        )
    return loss.id, names, tuple(params)


def _dict_keys_written(function: ast.FunctionDef, name: str) -> list[str]:
    """The keys of a dict ``name`` the function builds: in a literal, or written one by one."""
    keys = []
    for node in ast.walk(function):
        merged = (  # ``grads |= {...}`` or ``grads.update({...})``
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and isinstance(node.op, ast.BitOr)
        ) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
            and len(node.args) == 1
        )
        if merged:
            value = node.value if isinstance(node, ast.AugAssign) else node.args[0]
            if isinstance(value, ast.Dict):
                keys += [
                    k.value
                    for k in value.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                ]
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and isinstance(node.value, ast.Dict)
        ):
            keys += [
                k.value
                for k in node.value.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.append(node.slice.value)
    return list(dict.fromkeys(keys))


def _split_arguments(backward: ast.FunctionDef, filename: str):
    """The backward's upstream gradients (its leading ``d...`` arguments, at least one) and
    its cache arguments."""
    names = argument_names(backward)
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
    """The argument ``gradient`` is named after: by the program reader's rule (``dx``,
    ``grad_x``, ``x_grad``), else ignoring case (``dW`` for ``w``)."""
    base = named_weight(gradient)
    if base in data:
        return base
    return {d.lower(): d for d in data}.get((base or "").lower())


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


# The ways a backward finds its forward, tried in order: by name (``affine_backward``), a plain
# activation returning its cache (``relu_backward``), a second backward of one forward
# (``batchnorm_backward_alt``), a variant under a cost of its own
# (``backward_propagation_with_regularization``). A forward found the first two ways pairs
# once; the others leave it free for more.
_PAIRINGS = (
    (_forward_named, True),
    (_plain_forward, True),
    (_forward_of_variant, False),
    (_forward_of_costed_variant, False),
)
