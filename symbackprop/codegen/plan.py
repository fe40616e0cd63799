"""What a generated module contains, decided in Python: the template only lays it out.

    # [Model, Derivation] -> ModulePlan (statements, as data) -> target's formatter -> template

How symbols live in code (vector or scalar mode) is :mod:`symbackprop.codegen.modes`; what each
statement reads comes from its free symbols (:mod:`symbackprop.codegen.statements`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from sympy import Symbol

from symbackprop.codegen.layout import INDENT, LINE_LIMIT
from symbackprop.codegen.modes import Parameter, assign, mode_of
from symbackprop.codegen.statements import Statement
from symbackprop.codegen.step import StepPlan, plan_step
from symbackprop.codegen.targets import Target
from symbackprop.derive import Derivation
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import softmax_xent
from symbackprop.naming import BATCH_SIZE, identifier
from symbackprop.printing.text import text


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
    names: dict[str, str]  # how the printer spells a symbol, where not by its name
    arguments: list[str]
    parameters: list[Parameter]
    forward_parameters: list[Parameter]  # those the forward pass reads
    forward: list[Statement]
    cache: list[str]  # what loss_of and backward read
    rest: list[str]  # the other forward values, returned only when asked for
    loss: str
    loss_body: Body
    backward: Body
    step: StepPlan
    class_targets: list[tuple[str, int]]  # softmax_ce targets that may come as integer labels

    @property
    def data_arguments(self) -> str:
        """The data arguments as they follow ``params`` in a signature or a call."""
        return "".join(f", {name}" for name in self.arguments)


def plan_module(
    derivation: Derivation, command: str, target: Target, renamed: list[str] = ()
) -> ModulePlan:
    """Every statement of the module of ``derivation.model``; ``renamed`` says which of the
    user's names the module spells otherwise (``lr is lr_``)."""
    # [Model, Derivation] -> statements of forward, loss and backward
    model = derivation.model
    mode = mode_of(model)
    loss = assign(model.loss.symbol, mode.node_expr(model.loss))
    forward = [assign(n.symbol, n.expr) for n in model.defined[:-1]]
    backward = [assign(a.symbol, a.expr) for a in derivation.adjoints]
    backward += [s for g in derivation.gradients for s in mode.gradient(g)]
    prologue = mode.prologue(forward + [loss] + backward)
    forward = prologue + forward
    step = plan_step(model, mode, prologue, target)
    loss_body, backward_body = _body(model, mode, [loss]), _body(model, mode, backward)
    # Keeping only what is read again lets NumPy reuse the rest's memory at once.
    read = set(loss_body.reads) | set(backward_body.reads)
    written = [identifier(s.target.name) for s in forward]
    cached = [name for name in mode.arguments() + written if name in read]
    forward_reads = mode.variables.read_by(forward)
    return ModulePlan(
        title=model.description or model.name,
        source=model.source,
        command=command,
        renamed=list(renamed),
        formulas=_formulas(derivation),
        names=mode.names,
        arguments=mode.arguments(),
        parameters=mode.parameters(),
        forward_parameters=[p for p in mode.parameters() if p.name in forward_reads],
        forward=forward,
        cache=cached,
        rest=[name for name in written if name not in cached],
        loss=identifier(model.loss.name),
        loss_body=loss_body,
        backward=backward_body,
        step=step,
        class_targets=_class_targets(model),
    )


def _class_targets(model: Model) -> list[tuple[str, int]]:
    """Each target of a softmax cross-entropy with its number of classes: the module takes
    integer labels there as well as one-hot rows (as nn.CrossEntropyLoss takes both)."""
    found = {
        (identifier(xent.args[1].name), model.shapes[xent.args[1].name][1])
        for xent in model.loss.expr.atoms(softmax_xent)
        if isinstance(xent.args[1], Symbol) and isinstance(model.shapes[xent.args[1].name][1], int)
    }
    return sorted(found)


def _body(model: Model, mode, statements: list[Statement]) -> Body:
    read = mode.variables.read_by(statements)
    params = [p.name for p in mode.parameters() if p.name in read]
    return Body(_reads(model, read, mode), params, statements)


def _formulas(derivation: Derivation) -> list[str]:
    lines = [f"{a.symbol.name} = {text(a.expr)}" for a in derivation.adjoints]
    loss = derivation.model.loss.name
    lines += [f"d{loss}/d{g.param} = {text(g.expr)}" for g in derivation.gradients]
    return [part for line in lines for part in _docstring_lines(line)]


def _docstring_lines(line: str) -> list[str]:
    """A formula as the docstring's indented lines: one, or continued further indented when
    too long for one."""
    if len(INDENT + line) <= LINE_LIMIT:
        return [line]
    return textwrap.wrap(
        line, LINE_LIMIT - len(INDENT), subsequent_indent=INDENT, break_on_hyphens=False
    )


def _reads(model: Model, read: set[str], mode) -> list[str]:
    """Forward values the statements read, in forward order."""
    names = [identifier(n.name) for n in model.defined if n.kind is Kind.INTERMEDIATE]
    names = mode.arguments() + names + ([BATCH_SIZE] if model.is_vector else [])
    return [name for name in dict.fromkeys(names) if name in read]
