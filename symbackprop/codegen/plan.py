"""What a generated module contains, decided in Python: the template only lays it out.

    # [Model, Derivation] -> ModulePlan (printed statements) -> template -> module text

Vector mode: node symbols are arrays and print as themselves. Scalar mode: each node is one
number per sample, so the module takes 1-D arrays of samples and sums each gradient over them;
indexed parameters (``w[4]``) are elements of one array per base name (``w``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.layout import statement_text
from symbackprop.codegen.printer import NumpyCodePrinter, print_code
from symbackprop.codegen.stable import stabilize
from symbackprop.codegen.step import StepPlan, plan_step
from symbackprop.derive import Derivation
from symbackprop.ir.arrays import total
from symbackprop.ir.model import Kind, Model
from symbackprop.naming import BATCH_SIZE, gradient_name, identifier, mentions, split_indexed
from symbackprop.printing.text import text


@dataclass(frozen=True)
class Statement:
    target: str
    code: str

    @property
    def text(self) -> str:
        """The whole statement, wrapped as the formatter would wrap it."""
        return statement_text(self.target, self.code)


@dataclass(frozen=True)
class Parameter:
    name: str
    shape: tuple[int, ...]
    fans: tuple[int, int] | None  # None: a bias, zero under Glorot and He

    @property
    def gradient(self) -> str:
        return gradient_name(self.name)


@dataclass(frozen=True)
class Body:
    """A function body over a forward pass: cached values and parameters it reads, then code."""

    reads: list[str]
    params: list[str]
    statements: list[Statement]


@dataclass(frozen=True)
class ModulePlan:
    title: str
    source: str
    command: str
    renamed: list[str]  # "lr is lr_": the user's names the module spells otherwise
    formulas: list[str]
    arguments: list[str]
    parameters: list[Parameter]
    forward: list[Statement]
    cache: list[str]  # what loss_of and backward read
    rest: list[str]  # the other forward values, returned only when asked for
    loss: str
    loss_body: Body
    backward: Body
    step: StepPlan
    helpers: list[str]

    @property
    def data_arguments(self) -> str:
        """The data arguments as they follow ``params`` in a signature or a call."""
        return "".join(f", {name}" for name in self.arguments)


def plan_module(derivation: Derivation, command: str, renamed: list[str] = ()) -> ModulePlan:
    """Every statement of the module of ``derivation.model``, printed; ``renamed`` says which
    of the user's names the module spells otherwise (``lr is lr_``)."""
    # [Model, Derivation] -> printed statements of forward, loss and backward
    model = derivation.model
    layout = _VectorLayout(model) if model.is_vector else _ScalarLayout(model)
    printer = NumpyCodePrinter({"names": layout.names})

    def code(expr: sp.Expr) -> str:
        return print_code(stabilize(expr), printer)

    loss = Statement(identifier(model.loss.name), code(layout.node_expr(model.loss)))
    forward = [Statement(identifier(n.name), code(n.expr)) for n in model.defined[:-1]]
    backward = [Statement(identifier(a.symbol.name), code(a.expr)) for a in derivation.adjoints]
    backward += [s for g in derivation.gradients for s in layout.gradient(g, code)]
    prologue = layout.prologue(forward + [loss] + backward)
    forward = prologue + forward
    step = plan_step(model, layout, code, layout.parameters(), [s.text for s in prologue])
    loss_body, backward_body = _body(model, layout, [loss]), _body(model, layout, backward)
    # Keeping only what is read again lets NumPy reuse the rest's memory at once.
    read = set(loss_body.reads) | set(backward_body.reads)
    cached = [name for name in layout.arguments() + [s.target for s in forward] if name in read]
    return ModulePlan(
        title=model.description or model.name,
        source=model.source,
        command=command,
        renamed=list(renamed),
        formulas=_formulas(derivation),
        arguments=layout.arguments(),
        parameters=layout.parameters(),
        forward=forward,
        cache=cached,
        rest=[s.target for s in forward if s.target not in cached],
        loss=loss.target,
        loss_body=loss_body,
        backward=backward_body,
        step=step,
        helpers=sorted(printer.helpers_used),
    )


def _body(model: Model, layout, statements: list[Statement]) -> Body:
    return Body(
        _reads(model, statements, layout), _used(layout.parameters(), statements), statements
    )


def _formulas(derivation: Derivation) -> list[str]:
    lines = [f"{a.symbol.name} = {text(a.expr)}" for a in derivation.adjoints]
    loss = derivation.model.loss.name
    lines += [f"d{loss}/d{g.param} = {text(g.expr)}" for g in derivation.gradients]
    return lines


def _reads(model: Model, statements: list[Statement], layout) -> list[str]:
    """Forward values the backward pass uses, in forward order."""
    used = " ".join(s.code for s in statements)
    names = [identifier(n.name) for n in model.defined if n.kind is Kind.INTERMEDIATE]
    names = layout.arguments() + names + ([BATCH_SIZE] if model.is_vector else [])
    return [name for name in dict.fromkeys(names) if mentions(used, name)]


def _used(parameters: list[Parameter], statements: list[Statement]) -> list[str]:
    used = " ".join(s.code for s in statements)
    return [p.name for p in parameters if mentions(used, p.name)]


class _VectorLayout:
    """Vector mode: every symbol is an array; the batch size comes from the first input."""

    def __init__(self, model: Model):
        self.model = model
        self.names: dict[str, str] = {}

    def arguments(self) -> list[str]:
        leaves = self.model.of_kind(Kind.INPUT, Kind.TARGET)
        return [identifier(n.name) for n in leaves if n.name != BATCH_SIZE]

    def prologue(self, statements: list[Statement]) -> list[Statement]:
        """``m = X.shape[0]`` where some statement divides by the batch size."""
        if not any(mentions(s.code, BATCH_SIZE) for s in statements):
            return []
        batched = [n for n in self.arguments() if self.model.shapes[n][:1] == (BATCH_SIZE,)]
        return [Statement(BATCH_SIZE, f"{batched[0]}.shape[0]")] if batched else []

    def node_expr(self, node) -> sp.Expr:
        return node.expr

    def parameters(self) -> list[Parameter]:
        params = []
        for node in self.model.parameters:
            shape = tuple(self.model.shapes[node.name])
            fans = (shape[0], shape[1]) if len(shape) == 2 else None
            params.append(Parameter(identifier(node.name), shape, fans))
        return params

    def gradient(self, gradient, code) -> list[Statement]:
        return [Statement(gradient_name(gradient.param), code(gradient.expr))]


class _ScalarLayout:
    """Scalar mode vectorised over samples: leaves are 1-D arrays, gradients sum over them."""

    def __init__(self, model: Model):
        self.model = model
        self.names = {n.name: self._code_name(n) for n in model.nodes if n.kind.is_leaf}
        self._first_elements: dict[str, str] = {}  # base -> its first parameter element
        for node in model.parameters:
            base = (split_indexed(node.name) or (node.name, ()))[0]
            self._first_elements.setdefault(base, node.name)

    @staticmethod
    def _code_name(node) -> str:
        indexed = split_indexed(node.name)
        if indexed is None:
            return identifier(node.name)
        base, index = indexed
        if node.kind is Kind.PARAMETER:
            return f"{base}[{', '.join(map(str, index))}]"
        return f"{base}[:, {', '.join(map(str, index))}]"  # one column per input element

    def _bases(self, *kinds: Kind) -> list[str]:
        bases = [(split_indexed(n.name) or (n.name, ()))[0] for n in self.model.of_kind(*kinds)]
        return [identifier(b) for b in dict.fromkeys(bases)]

    def arguments(self) -> list[str]:
        return self._bases(Kind.INPUT, Kind.TARGET)

    def prologue(self, statements: list[Statement]) -> list[Statement]:
        return []

    def node_expr(self, node) -> sp.Expr:
        # The loss of a batch is the sum of the per-sample losses.
        return total(node.expr) if node.kind is Kind.LOSS else node.expr

    def parameters(self) -> list[Parameter]:
        shapes: dict[str, tuple[int, ...]] = {}
        for node in self.model.parameters:
            base, index = split_indexed(node.name) or (node.name, ())
            previous = shapes.get(base, tuple(0 for _ in index))
            shapes[identifier(base)] = tuple(
                max(p, i + 1) for p, i in zip(previous, index, strict=True)
            )
        return [Parameter(name, shape, (1, 1)) for name, shape in shapes.items()]

    def gradient(self, gradient, code) -> list[Statement]:
        base, index = split_indexed(gradient.param) or (gradient.param, ())
        summed = f"np.sum({code(gradient.expr)})"
        if not index:
            return [Statement(gradient_name(base), summed)]
        name = gradient_name(base)
        element = f"{name}[{', '.join(map(str, index))}]"
        first = self._first_elements[base] == gradient.param  # gradients come in this order
        zeros = [Statement(name, f"np.zeros_like({identifier(base)})")] if first else []
        return zeros + [Statement(element, summed)]
