"""Read a hand-written training step into a forward model plus its backward lines, unrun.

Stages:

    # source -> ast -> flattened steps                  (pysource.read_body, codeflow.steps)
    # -> the loss, and the steps it needs               (pyslice.loss_position, needed_positions)
    # -> SymPy, in order, shapes unified                (ArrayTranslator, CodeReader.read)
    # -> Model (forward steps) + values (backward) + claims (updates)   (CodeReader.program)

The forward steps may unify array dimensions (that is how the shapes of arguments are learnt);
backward steps are read against a frozen copy, so that a broadcast bug cannot make two
dimensions equal: it stays a bug for the checker to explain.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import sympy as sp

from symbackprop.errors import SpecError, SymbackpropError, UnsupportedConstruct
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Model
from symbackprop.ir.ops import T, column, total
from symbackprop.naming import fresh_name, split_indexed
from symbackprop.readers import codeflow, codestyle
from symbackprop.readers.arraytranslate import ArrayTranslator
from symbackprop.readers.arraywrites import as_assignments, label_names
from symbackprop.readers.codeleaves import Leaves, constructor, layout_of
from symbackprop.readers.codeloops import is_partial_sum
from symbackprop.readers.dims import DimSpace
from symbackprop.readers.layerconfig import scalar_layouts
from symbackprop.readers.layerpairs import Unit
from symbackprop.readers.objectlayouts import attribute_layouts
from symbackprop.readers.programshapes import plain_body
from symbackprop.readers.pyslice import Statement, loads, loss_position, needed_positions
from symbackprop.readers.pysource import Body, parse, read_body
from symbackprop.readers.whitelist import (
    ARRAY_FUNCTIONS,
    FILLS,
    Namespace,
    qualified_name,
)


@dataclass
class Value:
    """A value the code computes: ``version`` names it (``a1@11``), ``user`` is its variable."""

    version: str
    user: str
    expr: sp.Expr
    line: int
    text: str

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.version)


@dataclass
class UpdateClaim:
    """An update's step without its learning rate: the gradient it claims."""

    param: str
    expr: sp.Expr
    line: int
    text: str
    shape: tuple | None = None  # the step's shape, where it could be worked out
    returned: bool = False  # a gradient the code returns rather than applies
    in_place: bool = False  # ``b -= step``: NumPy makes the step fit b's own shape
    rate_left_out: str | None = None  # ``W2 -= dW2`` where every other step takes ``lr``

    @property
    def label(self) -> str:
        """What the claim is called where it is no named value."""
        if self.returned:
            return f"the returned gradient of {self.param}"
        return f"the step of {self.param}"

    @property
    def source(self) -> str:
        """Where the claim is made, in words."""
        if self.returned:
            return f"the gradient of {self.param} returned at line {self.line}"
        return f"the update of {self.param} at line {self.line}"


@dataclass
class Program:
    model: Model
    space: DimSpace | None
    leaf_shapes: dict
    values: dict[sp.Symbol, Value]  # the values the loss does not need: deltas and helpers
    updates: list[UpdateClaim]
    file: str
    notes: list[str] = field(default_factory=list)  # how lines were read, for the report


def read_program(
    text: str, filename: str, function: str | None, loss: str | None, matrix=(), params=()
) -> Program:
    """The forward model, backward values and update claims of the training code in ``text``:
    ``function``'s body (``Class.method``'s), or the module's statements; ``loss`` names the
    loss or is an expression; ``matrix`` names values that are ``numpy.matrix``; ``params``
    names weights (those the code updates, or returns gradients of, are weights anyway)."""
    tree, body = read_body(text, filename, function)
    return read_body_program(tree, body, text, loss, matrix, params)


def read_unit_program(tree: ast.Module, unit: Unit, text: str, matrix=()) -> Program:
    """The program of one pair or loss function of a layer file (see
    :mod:`~symbackprop.readers.layerpairs`)."""
    scalars = {name: "scalar" for name in unit.scalars}
    return read_body_program(tree, unit.body, text, unit.loss, matrix, unit.params, scalars)


def read_body_program(
    tree: ast.Module, body: Body, text: str, loss, matrix=(), params=(), layouts=None
) -> Program:
    """:func:`read_program` of a body already chosen; ``layouts`` as the caller knows them."""
    _check_matrix_names(body, matrix)
    # what an object's __init__ says of its weights; numbers by their names (reg, eps)
    layouts = (layouts or {}) | scalar_layouts(body) | attribute_layouts(body)
    body = plain_body(body, params, loss)
    lines = text.splitlines()
    reader = CodeReader(tree, body, lines, tuple(matrix), loss, layouts, params=tuple(params))
    program = reader.program()
    # what the updates say of shapes the code leaves open (never of those __init__ states)
    stated = {k: v for k, v in reader.stated_layouts().items() if k not in layouts}
    if all(reader.layouts.get(name, "2d") == layout for name, layout in stated.items()):
        return program
    # read again, with the parameters shaped as their updates say
    layouts = reader.layouts | stated
    return CodeReader(
        tree, body, lines, tuple(matrix), loss, layouts, params=tuple(params)
    ).program()


def _check_matrix_names(body: Body, matrix) -> None:
    """Every --matrix name is one the code uses (a typo would silently change nothing)."""
    used = {n.id for s in body.statements for n in ast.walk(s) if isinstance(n, ast.Name)}
    unknown = [name for name in matrix if name not in used | set(body.arguments)]
    if unknown:
        raise SpecError(
            f"--matrix names {', '.join(map(repr, unknown))}, which {body.where} does not use",
            file=body.file,
            line=body.line,
        )


@dataclass
class _Binding:
    kind: str  # "const", "dim", "leaf", "value", "opaque"
    value: object = None


@dataclass
class CodeReader:
    """Translates the steps of one body in order."""

    tree: ast.Module
    body: Body
    lines: list[str]
    matrix: tuple[str, ...] = ()
    loss_text: str | None = None
    layouts: dict[str, str] = field(default_factory=dict)  # shapes of arguments ("row", ...)
    env: dict[str, _Binding] = field(default_factory=dict)
    params: tuple[str, ...] = ()  # weights named by the user

    def __post_init__(self) -> None:
        self.file = self.body.file
        namespace = Namespace.from_imports(self.tree)
        flat = codeflow.flatten(self.body.statements, self.file)
        flat = as_assignments(flat, namespace, self.file)
        self.records = codeflow.steps(flat)
        labels = label_names(flat, namespace, self.body.arguments)
        self.layouts = {name: "row" for name in labels} | self.layouts
        self.updated_names = {r.update.param for r in self.records if r.update is not None}
        weights = self.updated_names | set(self.params)
        biases = codeflow.bias_layouts([r.node for r in self.records], weights)
        arrays = codestyle.looks_vectorised(self.body.statements, self.tree)
        self.vector = bool(self.matrix) or arrays
        data = set(self.body.arguments) - {(split_indexed(n) or (n,))[0] for n in weights}
        returned = any(r.update is not None and r.update.returned for r in self.records)
        # a sample at a time, read as a row: in training steps; a loss function's naive loops
        # (a class loop, labels indexing each sample's scores) are not read that way yet
        self.sample_rows = self.vector and not returned and codestyle.reads_samples(flat, data)
        if self.sample_rows:
            # one sample at a time: W @ x is a vector, so its bias is one, and a weight written
            # in lower case (w2 @ h) is a vector too, unless the code says otherwise
            vectors = {n: "row" for n in weights if n[:1].islower() and n not in self.layouts}
            biases = {n: "row" if layout == "k1" else layout for n, layout in biases.items()}
            self.layouts = vectors | biases | self.layouts
        else:
            self.layouts = biases | self.layouts
        numbers = {r.target for r in self.records if r.target and _literal(r.value) is not None}
        fitted = self.updated_names and self.updated_names <= numbers
        if self.vector and fitted and codestyle.elementwise_only(self.body.statements):
            # numbers fitted (``m = 0.0``, then stepped) by code with no matrix product and no
            # axis: a slope and an intercept over vectors of samples
            arguments = {name: "row" for name in self.body.arguments}
            self.layouts = arguments | self.layouts
        self.space = DimSpace() if self.vector else None
        self.shapes: dict[str, tuple] = {}
        self.translator = ArrayTranslator(
            self.file,
            namespace,
            self.body.helpers,
            self.resolve,
            space=self.space,
            shapes=self.shapes,
            matrices=set(self.matrix),
        )
        self.leaves = Leaves(self)
        self.values: dict[str, Value] = {}
        self.forward: list[Value] = []
        self.updates: list[UpdateClaim] = []
        self._partials: dict[sp.Symbol, sp.Expr] = {}  # backward partial sums, by symbol
        self._steps: list[str] = []  # the weights' stepped values, by version

    # -- reading ------------------------------------------------------------------------------
    def program(self) -> Program:
        start, loss_record = self._loss()
        needed = needed_positions(self.records, start)
        if loss_record is not None:
            needed.add(loss_record.position)
        # forward steps first (they fix the shapes), then everything in program order
        for record in self.records:
            if record.position in needed:
                self._read(record, forward=True)
        loss_expr = None if loss_record is not None else self._loss_expression()
        if loss_record is not None and loss_record.version not in self.values:
            raise UnsupportedConstruct(
                f"the loss {loss_record.target} is never computed from the inputs",
                file=self.body.file,
                line=loss_record.line,
            )
        if self.vector and loss_record is not None:
            self._targets_fit_outputs(self.values[loss_record.version].expr)
            self._one_output(self.values[loss_record.version], loss_record)
        forward_env = dict(self.env)
        self.env = {}
        for record in self.records:
            if record.position in needed:
                self.env[record.target] = forward_env[record.target + "@" + str(record.position)]
            else:
                self._read(record, forward=False)
        self._drop_unread_steps()
        model = self._model(loss_record, loss_expr)
        others = self._without_partial_sums(
            [v for v in self.values.values() if v not in self.forward]
        )
        for update in self.updates:
            update.expr = update.expr.xreplace(self._partials)
        return Program(
            model,
            self.space,
            self.leaves.shapes(),
            others,
            self.updates,
            self.file,
            self.translator.notes,
        )

    def _targets_fit_outputs(self, loss: sp.Expr) -> None:
        """Targets have the outputs' width: where the loss sets a target of one column
        (``y.reshape(-1, 1)``) beside an output of a width the code does not state, that
        width is 1 (broadcasting the one column over several is no loss anyone means)."""
        learned = {sp.Symbol(name) for name in self.updated_names | set(self.params)}
        for value in self.forward:
            if value.expr.free_symbols & learned:
                learned.add(value.symbol)
        for node in sp.preorder_traversal(loss):
            if not isinstance(node, sp.Add | sp.Mul):
                continue
            data = [a for a in node.args if a.free_symbols and not a.free_symbols & learned]
            outputs = [a for a in node.args if a.free_symbols & learned]
            for target in data:
                for output in outputs:
                    self._fit(target, output)

    def _fit(self, target: sp.Expr, output: sp.Expr) -> None:
        shapes = [self.translator.shape(side, None) for side in (target, output)]
        if None in shapes or len(shapes[0]) != len(shapes[1]):
            return
        for mine, theirs in zip(*shapes, strict=True):
            if mine == 1 and self.space.resolve(theirs) != 1:
                self.space.unify(theirs, 1)

    def _one_output(self, loss: Value, record: Statement) -> None:
        """A loss the code leaves a vector of sizes it does not state (``(out - target)**2``
        with ``out = w @ h + b``) is a loss only at one output: those sizes are 1, and the
        loss its one entry."""
        shape = self.shapes.get(loss.version)
        if not shape or any(not self.space.unify(dim, 1) for dim in shape):
            return
        loss.expr = total(loss.expr)
        self.shapes[loss.version] = ()
        self.translator.note(record.node, f"{loss.user} is a vector: read at one output")

    def _without_partial_sums(self, values: list[Value]) -> dict[sp.Symbol, Value]:
        """The backward values, a sum's partial values written into the whole sum (the sum is
        the claim; a partial sum of a loop's turns plays no part of its own)."""
        kept = {}
        for value in values:
            value.expr = value.expr.xreplace(self._partials)
            if is_partial_sum(value.version):
                self._partials[value.symbol] = value.expr
            else:
                kept[value.symbol] = value
        return kept

    def stated_layouts(self) -> dict[str, str]:
        """The layouts the updates give the parameters whose shapes the code does not state
        (``b1 -= lr * np.sum(d1, axis=0)`` makes b1 a row vector)."""
        found = {}
        for update in self.updates:
            # only a row vector, or a (1, k) row for a bias or one updated in place (a (1, k)
            # step cannot be taken on a (k,) bias, so the code that runs has a (1, k) one): any
            # other layout a step has could come from the very bug being looked for (a sum
            # over the wrong axis)
            layout = layout_of(update.shape)
            known = self.layouts.get(update.param)  # a bias's layout, read from its use
            fits = known == "row" or (known is None and update.in_place)
            if update.param in self.leaves.unknown and (
                (layout == "row" and known in (None, "row")) or (layout == "1k" and fits)
            ):
                found[update.param] = layout
        return found

    def _loss(self) -> tuple[Statement, Statement | None]:
        """Where the slice starts, and the loss's own statement (None for ``--loss EXPR``)."""
        first_update = next((r.position for r in self.records if r.update), len(self.records))
        if self.loss_text is not None:
            if self.loss_text.isidentifier():
                found = [r for r in self.records if r.target == self.loss_text]
                if found:
                    return found[-1], found[-1]
            self._loss_ast = _loss_ast(self.loss_text)
            # the expression is read as if written just before the first update
            start = ast.Expr(self._loss_ast, lineno=self.body.line)
            return Statement(first_update, start, reads=loads(self._loss_ast)), None
        position = loss_position(self.records, last_of_a_name=False)
        if position is None:
            raise SpecError(
                f"cannot tell which value is the loss in {self.body.where}: pass --loss EXPR "
                "(e.g. --loss 'np.sum((layer_2 - y)**2)/2')",
                file=self.file,
                line=self.body.line,
            )
        return self.records[position], self.records[position]

    def _loss_expression(self) -> sp.Expr:
        self._strict()
        return self.translator.expression(self._loss_ast, self.resolve)

    def _read(self, record: Statement, forward: bool) -> None:
        self._no_unread_call(record)
        if record.update is not None:
            self._lenient()
            self._claim(record)
        elif record.target is not None:
            self._strict() if forward else self._lenient()
            self._assign(record, forward)
            if forward:  # remembered by position, for the second pass
                self.env[f"{record.target}@{record.position}"] = self.env[record.target]

    def _no_unread_call(self, record: Statement) -> None:
        """``h, cache = mystery_forward(X, W1)``: names made by a call this reader does not
        follow, from the weights or values made from them, would read as data; refused. (A
        call of data only, ``X, y = load_data()``, makes data.)"""
        node = record.node
        if record.target is not None or not isinstance(node, ast.Assign):
            return
        if not isinstance(node.value, ast.Call):
            return
        weights = self.updated_names | set(self.params)
        made = {n for n, b in self.env.items() if b.kind == "value"}
        if record.reads & (weights | made):
            called = ast.unparse(node.value.func)
            raise UnsupportedConstruct(
                f"{called}() is called with the weights, and is not a function of the file or "
                "of the files beside it that it imports: it cannot be followed",
                file=self.file,
                line=node.lineno,
            )

    def _strict(self) -> None:
        self.translator.space, self.translator.lenient = self.space, False

    def _lenient(self) -> None:
        frozen = self.space.copy(frozen=True) if self.vector else None
        self.translator.space, self.translator.lenient = frozen, True

    def _assign(self, record: Statement, forward: bool) -> None:
        name, value = record.target, record.value
        number = _literal(value)
        if name in self.updated_names and (number is not None or not forward):
            # ``m = 0`` before the loop starts a parameter: a leaf, whatever its first value;
            # in array code a number, as a slope or intercept over arrays of samples is
            if number is not None and self.vector and name not in self.leaves.leaf_shapes:
                self.layouts.setdefault(name, "scalar")
            self.env[name] = _Binding("leaf", self.leaves.element(name, (), record.node))
            return
        if number is not None:
            self.env[name] = _Binding("const", number)
            return
        # a backward line's np.zeros(...) starts a sum (``dW = np.zeros((D, H)); dW += ...``):
        # its fill value, not a leaf the loss never meets
        made = None if not forward and self._is_fill(value) else constructor(self, name, value)
        if made is None and not self.vector and isinstance(value, ast.List | ast.Tuple):
            made = sp.Symbol(name)  # ``xs = [1.0, 2.0]``: data, read element by element
        if made is not None:
            self.env[name] = _Binding("leaf", made)
            return
        try:
            expr = self.translator.expression(value, self.resolve)
        except SymbackpropError as error:
            if forward:
                raise
            self.env[name] = _Binding("opaque", error)
            return
        self._bind(record, expr, forward)

    def _is_fill(self, value: ast.expr) -> bool:
        if not isinstance(value, ast.Call):
            return False
        called = qualified_name(value.func, self.translator.namespace)
        return ARRAY_FUNCTIONS.get(called or "") in FILLS

    def _bind(self, record: Statement, expr: sp.Expr, forward: bool) -> None:
        name = record.target
        if record.version == name and name in self.leaves.leaf_shapes:
            record.version = f"{name}@{record.line}"  # ``y = y.reshape(-1, 1)``: not the leaf
        if expr.is_number:
            self.env[name] = _Binding("const", expr)
        elif self.vector and expr.free_symbols <= set(self.space.order):
            self.env[name] = _Binding("dim", self.space.rename(expr, name))
        else:
            value = Value(record.version, name, expr, record.line, self._text(record.node))
            self.values[value.version] = value
            if forward:
                self.forward.append(value)
            shape = self.translator.shape(expr, record.node) if self.vector else ()
            if shape is not None:
                self.shapes[value.version] = shape
            else:
                self.translator.shapeless.add(value.version)
            if self.translator.is_matrix(expr):
                self.translator.matrix_names.add(value.version)
            self.env[name] = _Binding("value", value.symbol)

    def _claim(self, record: Statement) -> None:
        update = record.update
        if update.returned:
            sign, kept, rate_found = 1, [update.step], True
        else:
            sign, kept, rate_found = self._without_rate(update.step)
        if not kept and isinstance(update.step, ast.Constant):
            return  # ``lit += 1``: a counter, not a gradient step
        if kept:
            claim = codeflow.rebuilt_product(kept, update.step)
            if sign * update.sign < 0:
                claim = codeflow.negated(claim)
            expr = self.translator.expression(claim, self.resolve)
            rate = None
            if not rate_found:
                rate = codestyle.shared_rate(
                    update, self.records, self.body.arguments, self.updated_names
                )
            if rate is not None:
                # the step is the rate times what it claims: the rate taken inside a product
                # (``h_delta @ (lr * X.T)``), or left out where every other step takes it
                expr = expr / self.resolve(rate, (), record.node)
            inside = rate is not None and rate in loads(update.step)
            rate_left_out = None if inside else rate
        else:
            rate_left_out = None
        if not kept:  # ``W -= lr``: a step of the rate alone claims a gradient of 1
            expr = sp.Integer(sign * update.sign)
        shape = self.translator.shape(expr, record.node)
        text = self._text(record.node)
        in_place = isinstance(record.node, ast.AugAssign)
        if in_place and self.vector and shape is not None and len(shape) == 1:
            expr, shape = self._onto_row(update.param, expr, shape, record.node)
        self.updates.append(
            UpdateClaim(
                update.param,
                expr,
                record.line,
                text,
                shape,
                update.returned,
                in_place,
                rate_left_out,
            )
        )
        if not update.returned:
            for factor in codeflow.product_factors(update.step):
                if self._rate_sign(factor) and isinstance(factor, ast.Name):
                    self.layouts[factor.id] = "scalar"  # the rate: a number
            self._stepped(record)

    def _drop_unread_steps(self) -> None:
        """A stepped weight no later line reads is no value of the program."""
        read = {s for v in self.values.values() for s in v.expr.free_symbols}
        read |= {s for u in self.updates for s in u.expr.free_symbols}
        for version in self._steps:
            if sp.Symbol(version) not in read:
                del self.values[version]

    def _stepped(self, record: Statement) -> None:
        """From here on the parameter holds its stepped value: a backward line that reads it
        after the update (``W2 -= lr * dW2`` before ``dZ1 = dZ2 @ W2.T``) reads the new one."""
        update = record.update
        try:
            step = self.translator.expression(update.step, self.resolve)
            old = self.resolve(update.param, (), record.node)
        except SymbackpropError:
            return  # a step that cannot be read as a value: later reads keep the old weight
        if update.param in self.env and self.env[update.param].kind != "value":
            return
        version = f"{update.param}@{record.line}"
        expr = old - update.sign * step
        value = Value(version, update.param, expr, record.line, self._text(record.node))
        shape = self.translator.shape(old, record.node) if self.vector else ()
        if shape is None:
            return
        self.values[version] = value
        self._steps.append(version)
        self.shapes[version] = shape
        if self.translator.is_matrix(old):
            self.translator.matrix_names.add(version)
        self.env[update.param] = _Binding("value", value.symbol)

    def _onto_row(self, param: str, expr: sp.Expr, shape: tuple, node: ast.AST):
        """A (k,) step taken in place on a (1, k) parameter: NumPy broadcasts it onto the
        row, so what it claims is that row."""
        binding = self.env.get(param)
        if binding is not None and binding.kind != "leaf":
            return expr, shape
        target = self.translator.shape(self.resolve(param, (), node), node)
        if target is None or len(target) != 2 or target[0] != 1:
            return expr, shape
        return T(column(expr)), (1, shape[0])

    def _without_rate(self, step: ast.expr) -> tuple[int, list[ast.expr], bool]:
        """The step's factors without its learning rate, the rate's sign, and whether the step
        has a rate (or a number) of its own.

        The rate is a name that is a constant or an argument the forward pass does not use
        (``lr``, ``-alpha``); failing that, a number (``0.1 * g``)."""
        factors = codeflow.product_factors(step)
        if len(factors) == 1:  # ``lr * X.T @ d`` parses as ``(lr * X.T) @ d``
            factors = codeflow.rate_out_of_product(step, self._rate_sign)
        signs = [self._rate_sign(f) for f in factors]
        if not any(signs):
            number = next((f for f in factors if isinstance(f, ast.Constant)), None)
            return 1, [f for f in factors if f is not number], number is not None
        kept = [f for f, s in zip(factors, signs, strict=True) if not s]
        return _product_sign(signs), kept, True

    def _rate_sign(self, factor: ast.expr) -> int | None:
        negative = isinstance(factor, ast.UnaryOp) and isinstance(factor.op, ast.USub)
        if negative:
            factor = factor.operand
        if not isinstance(factor, ast.Name):
            return None
        binding = self.env.get(factor.id)
        if binding:
            rate = binding.kind == "const"
        else:  # a name only backward lines read (``dW = lr * ...``) is still no data
            rate = self.leaves.is_rate(factor.id) or factor.id not in self._forward_names()
        return (-1 if negative else 1) if rate else None

    def _forward_names(self) -> set[str]:
        return {symbol.name for value in self.forward for symbol in value.expr.free_symbols}

    # -- names ---------------------------------------------------------------------------------
    def resolve(self, name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
        binding = self.env.get(name)
        if binding is None:
            return self.leaves.free_name(name, index, node)
        if binding.kind == "opaque":
            raise binding.value
        if index and binding.kind != "leaf":
            raise self.translator.unsupported(node, f"indexing the computed value {name!r}")
        if binding.kind == "leaf" and index:
            return self.leaves.element(name, index, node)
        return binding.value

    def _text(self, node: ast.stmt) -> str:
        return " ".join(line.strip() for line in self.lines[node.lineno - 1 : node.end_lineno])

    # -- the model -----------------------------------------------------------------------------
    def _model(self, loss_record, loss_expr) -> Model:
        bindings = self.space.bindings if self.vector else {}
        nodes = [(v.version, v.expr.xreplace(bindings), v.line) for v in self.forward]
        if loss_record is not None:
            if not nodes or nodes[-1][0] != loss_record.version:
                raise SpecError("the loss must be computed by the code", file=self.file)
            loss_name, loss_value, loss_line = nodes.pop()
        else:
            loss_name, loss_value, loss_line = fresh_name("loss", self.values), loss_expr, None
            loss_value = loss_value.xreplace(bindings)
        builder = ModelBuilder(self.body.name, source=self.file)
        backward = [
            v.expr.xreplace(bindings) for v in self.values.values() if v not in self.forward
        ]
        reads = frozenset(s.name for expr in backward for s in expr.free_symbols)
        self.leaves.declare(builder, nodes, loss_value, self._updated(), reads)
        for name, expr, line in nodes:
            builder.define(name, expr, line)
        model = builder.loss(loss_name, loss_value, loss_line, description=f"read from {self.file}")
        self._check_params(model)
        return model

    def _check_params(self, model: Model) -> None:
        """Every --params name is a weight the loss uses (a typo would silently check less)."""
        unused = [p for p in self.params if p not in model.by_name]
        if unused:
            raise SpecError(
                f"--params names {', '.join(unused)}, which the loss does not use",
                file=self.file,
                line=self.body.line,
            )

    def _updated(self) -> set[str]:
        return {u.param for u in self.updates} | set(self.params)


def _product_sign(signs: list[int | None]) -> int:
    sign = 1
    for each in signs:
        sign *= each or 1
    return sign


def _literal(node: ast.expr) -> sp.Expr | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return None if inner is None else -inner
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float):
        return None
    if abs(node.value) >= 1e300:
        return None
    return sp.Integer(node.value) if type(node.value) is int else sp.Rational(repr(node.value))


def _loss_ast(text: str) -> ast.expr:
    tree = parse(text, "--loss")
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise SpecError(
            "--loss must be one expression, e.g. 'np.sum((layer_2 - y)**2)/2'", file="--loss"
        )
    return tree.body[0].value
