"""What a generated recurrent module contains, decided in Python: the template lays it out.

    # [StepModel] -> Derivation (one step) -> RecurrentPlan (printed statements) -> template

The one-step derivation is run over a sequence like this:
- forward: terms of a node that depend on the input and the weights only (``x @ W_z + b_z``)
  are hoisted out of the time loop and computed for all steps in one product; the rest runs
  once per step, and the values the backward pass reads are kept per step;
- backward, per step from the last: ``dh`` (the step model's incoming gradient) is the loss's
  own term at that step plus ``d_h_prev`` carried back from the step after it; the derived
  adjoints follow, and ``d_h_prev`` for the step before;
- after the loop: every weight's gradient is its per-step formula summed over steps, which is
  the same formula on all steps' samples stacked as the rows of one batch (each formula sums
  over rows), so it is computed once, on those stacked rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.layout import INDENT, statement_text
from symbackprop.codegen.printer import NumpyCodePrinter, print_code
from symbackprop.codegen.stable import stabilize
from symbackprop.errors import SpecError
from symbackprop.model.arrays import T, colsum, dot, total
from symbackprop.naming import gradient_name, identifier
from symbackprop.recurrent.bptt import SequenceDerivation
from symbackprop.recurrent.cells import INCOMING, INPUT, OUTPUT, STATE_IN, StepModel

HOISTED_SUFFIX = "_from_x"
STEPS_SUFFIX = "_steps"
LOSS_GRADIENT = "dh_loss"
HELPERS = ("sigmoid",)  # the helpers templates/recurrent_helpers.py.j2 defines


@dataclass(frozen=True)
class Statement:
    target: str
    code: str
    depth: int = 1  # indentation levels: 1 in a function, 2 in its time loop

    @property
    def text(self) -> str:
        """The statement as ``ruff format`` writes it (continuation lines indented)."""
        return statement_text(self.target, self.code, INDENT * self.depth)


@dataclass(frozen=True)
class Parameter:
    name: str
    shape: tuple[int, ...]
    kind: str  # "kernel", "recurrent", "bias", "recurrent_bias"

    @property
    def gradient(self) -> str:
        return gradient_name(self.name)


@dataclass(frozen=True)
class RecurrentPlan:
    title: str
    source: str
    command: str
    header: list[str]  # lines of the module docstring after its first paragraph
    parameters: list[Parameter]
    default_scheme: str
    units_from: str  # a recurrent kernel, whose rows count the units
    forward_params: list[str]
    hoisted: list[Statement]
    step_forward: list[Statement]
    kept: list[str]  # per-step forward values the backward pass reads
    loss: Statement
    loss_gradient: Statement  # dE_t/dh_t from the loss's own term, for the scored steps
    backward_params: list[str]
    step_reads: list[str]  # per-step values bound at the top of each backward step
    incoming: Statement
    step_backward: list[Statement]
    kept_adjoints: list[str]
    row_reads: list[str]  # forward values stacked as rows for the weight gradients
    gradients: list[Statement]
    helpers: list[str]
    state: str = STATE_IN
    carry: str = gradient_name(STATE_IN)
    loss_gradient_name: str = LOSS_GRADIENT


def plan_recurrent(
    sequence: SequenceDerivation, command: str, header: list[str], title: str
) -> RecurrentPlan:
    """Every statement of the BPTT module of ``sequence.model``, printed."""
    model, step = sequence.model, sequence.step
    printer = NumpyCodePrinter({"names": {}})
    hoisted_exprs, forward = _split_forward(model)
    hoisted = [Statement(h.target, _code(h.expr, printer, {INPUT: "xs"})) for h in hoisted_exprs]
    step_forward = [Statement(n, _code(e, printer, _indexed(hoisted_exprs)), 2) for n, e in forward]
    step_backward = [
        Statement(identifier(a.symbol.name), _code(a.expr, printer), 2) for a in step.adjoints
    ]
    carry = step.gradient(STATE_IN)
    step_backward.append(Statement(gradient_name(STATE_IN), _code(carry.expr, printer), 2))
    gradients = [_gradient(g, printer) for g in step.gradients if g.param != STATE_IN]
    forward_names = [INPUT, STATE_IN] + [n.name for n in model.defined[:-1]]
    in_loop, after = _used(step_backward, forward_names), _used(gradients, forward_names)
    adjoint_names = [identifier(a.symbol.name) for a in step.adjoints]
    weights = [w.name for w in model.cell.weights]
    _check_helpers(printer)
    return RecurrentPlan(
        title=title,
        source=model.source,
        command=command,
        header=header,
        parameters=[Parameter(w.name, w.shape, w.kind) for w in model.cell.weights],
        default_scheme="uniform" if model.cell.convention.layout == "torch" else "glorot",
        units_from=model.cell.weight(model.cell.convention.gate_order[0], "recurrent").name,
        forward_params=_used(hoisted + step_forward, weights),
        hoisted=hoisted,
        step_forward=step_forward,
        kept=[n for n in forward_names if n != INPUT and (n in in_loop + after or n == OUTPUT)],
        loss=Statement(identifier(sequence.loss.model.loss.name), _loss_code(sequence, printer)),
        loss_gradient=_loss_gradient(sequence, printer),
        backward_params=_used(step_backward + gradients, weights),
        step_reads=in_loop,
        incoming=Statement(INCOMING, f"{LOSS_GRADIENT}[t] + {gradient_name(STATE_IN)}", 2),
        step_backward=step_backward,
        kept_adjoints=_used(gradients, adjoint_names),
        row_reads=after,
        gradients=gradients,
        helpers=sorted(printer.helpers_used),
    )


@dataclass(frozen=True)
class _Hoisted:
    target: str
    expr: sp.Expr


def _check_helpers(printer: NumpyCodePrinter) -> None:
    unsupported = sorted(printer.helpers_used - set(HELPERS))
    if unsupported:
        raise SpecError(f"recurrent modules have no helper for {', '.join(unsupported)}")


def _split_forward(model: StepModel) -> tuple[list[_Hoisted], list[tuple[str, sp.Expr]]]:
    """Terms of each node that need only the input and the weights, taken out of the loop."""
    invariant = {INPUT} | {w.name for w in model.cell.weights}
    hoisted, forward = [], []
    for node in model.defined[:-1]:
        expr = node.expr
        terms = sp.Add.make_args(expr)
        outside = [t for t in terms if {s.name for s in t.free_symbols} <= invariant]
        if any(t.has(dot) for t in outside) and len(outside) < len(terms):
            name = identifier(node.name) + HOISTED_SUFFIX
            hoisted.append(_Hoisted(name, sp.Add(*outside)))
            expr = sp.Symbol(name) + sp.Add(*[t for t in terms if t not in outside])
        forward.append((identifier(node.name), expr))
    return hoisted, forward


def _indexed(hoisted: list[_Hoisted]) -> dict[str, str]:
    return {h.target: f"{h.target}[t]" for h in hoisted}


def _code(expr: sp.Expr, printer: NumpyCodePrinter, names: dict | None = None) -> str:
    printer._settings["names"] = names or {}
    return print_code(stabilize(expr), printer)


def _gradient(gradient, printer: NumpyCodePrinter) -> Statement:
    """A weight's gradient over the whole sequence: its per-step formula on stacked rows."""
    for term in sp.Add.make_args(gradient.expr):
        if not _sums_over_rows(term):
            raise SpecError(f"the gradient of {gradient.param} does not sum over samples")
    return Statement(gradient_name(gradient.param), _code(gradient.expr, printer))


def _sums_over_rows(term: sp.Expr) -> bool:
    if isinstance(term, colsum | total):
        return True
    return isinstance(term, dot) and isinstance(term.args[0], T)


def _loss_code(sequence: SequenceDerivation, printer: NumpyCodePrinter) -> str:
    return _code(sequence.loss.model.loss.expr, printer)


def _loss_gradient(sequence: SequenceDerivation, printer: NumpyCodePrinter) -> Statement:
    target = f"{LOSS_GRADIENT}[steps - len({OUTPUT}) :]"
    return Statement(target, _code(sequence.loss.gradient(OUTPUT).expr, printer))


def _used(statements, names: list[str]) -> list[str]:
    code = " ".join(s.code for s in statements)
    return [n for n in dict.fromkeys(names) if _mentions(code, identifier(n))]


def _mentions(code: str, name: str) -> bool:
    return re.search(rf"(?<![\w.\"]){re.escape(name)}(?![\w\"])", code) is not None
