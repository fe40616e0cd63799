"""What a generated recurrent module contains, decided in Python: the template lays it out.

    # [StepModel] -> Derivation (one step) -> RecurrentPlan (printed statements) -> template

The one-step derivation is run over a sequence like this:
- forward: terms of a node that depend on the input and the weights only (``x @ W_z + b_z``)
  are hoisted out of the time loop and computed for all steps in one product; the rest runs
  once per step, and the values the backward pass reads are kept per step;
- backward, per step from the last: each state's incoming gradient (``dh``, an LSTM's ``dc``)
  is what the step after it carried back (``d_h_prev``, ``d_c_prev``), plus, for the state the
  loss scores, the loss's own term at that step; the derived adjoints follow, and the carried
  gradients for the step before;
- after the loop: every weight's gradient is its per-step formula summed over steps, which is
  the same formula on all steps' samples stacked as the rows of one batch (each formula sums
  over rows), so it is computed once, on those stacked rows.

The statements are printed by the target's printer; its template lays the loops out: NumPy's
as Python loops that index step t, JAX's as lax.scan bodies handed each step's slices.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import sympy as sp

from symbackprop.cells.step import INPUT, State, StepModel
from symbackprop.codegen.layout import INDENT, statement_text
from symbackprop.codegen.printer import NumpyCodePrinter, print_code
from symbackprop.codegen.stable import stabilize
from symbackprop.codegen.targets import NUMPY, Target
from symbackprop.derive.bptt import SCORED_ELEMENTS, SequenceDerivation
from symbackprop.errors import SpecError
from symbackprop.ir.ops import T, colsum, colsum_keepdims, dot, total
from symbackprop.naming import gradient_name, identifier

HOISTED_SUFFIX = "_from_x"
OPENED_BIAS = "opened_bias"  # a gate's bias that Keras initialises to ones (unit_forget_bias)
STEPS_SUFFIX = "_steps"
LOSS_GRADIENT_SUFFIX = "_loss"  # dh_loss: the loss's own term in the gradient arriving at h
INPUT_GRADIENT = "d_x"  # one step's dE/dx_t in backward's loop
# the helpers templates/_activations.py.j2 defines, shared with the feed-forward modules
HELPERS = ("sigmoid", "sigmoid_bce", "softmax", "softmax_xent", "softplus")


@dataclass(frozen=True)
class Statement:
    target: str
    code: str
    depth: int = 1  # indentation levels: 1 in a function, 2 in its time loop
    reads: frozenset[str] = frozenset()  # the variables its formula reads (free symbols)

    @property
    def text(self) -> str:
        """The statement as ``ruff format`` writes it (continuation lines indented)."""
        return statement_text(self.target, self.code, INDENT * self.depth)


@dataclass(frozen=True)
class Parameter:
    name: str
    shape: tuple[int, ...]
    kind: str  # "kernel", "recurrent", "bias", "recurrent_bias", or OPENED_BIAS

    @property
    def gradient(self) -> str:
        return gradient_name(self.name)


@dataclass(frozen=True)
class StatePlan:
    """One state's names in the module: ``h``, ``h_prev``, ``h0``, ``dh``, ``d_h_prev``."""

    name: str
    previous: str
    initial: str
    incoming: str
    carry: str

    @classmethod
    def of(cls, state: State) -> StatePlan:
        previous = identifier(state.previous)
        return cls(
            identifier(state.name),
            previous,
            identifier(state.initial),
            identifier(state.incoming),
            gradient_name(previous),
        )


@dataclass(frozen=True)
class ForwardPlan:
    params: list[str]  # the weights the forward pass reads
    hoisted: list[Statement]  # input terms for all steps at once, before the loop
    step: list[Statement]  # one step, in the loop
    kept: list[str]  # per-step values the backward pass and the loss read


@dataclass(frozen=True)
class BackwardPlan:
    params: list[str]
    loss_gradient: Statement  # dE_t/dh_t from the loss's own term, for the scored steps
    step_reads: list[str]  # per-step forward values bound at the top of each backward step
    incoming: list[Statement]  # dh: the loss's own term plus what the step after sends back
    step: list[Statement]  # the derived adjoints and the carried gradients, in the loop
    kept_adjoints: list[str]  # per-step adjoints the weight gradients read
    row_reads: list[str]  # forward values stacked as rows for the weight gradients
    gradients: list[Statement]
    loss_gradient_name: str
    input_gradient: Statement  # dE/dx_t, kept per step when backward is asked for the inputs


@dataclass(frozen=True)
class RecurrentPlan:
    title: str
    source: str
    command: str
    header: list[str]  # lines of the module docstring after its first paragraph
    parameters: list[Parameter]
    default_scheme: str
    units_from: str  # a recurrent kernel, whose rows count the units
    opened_bias: str  # the kind of a bias initialised to ones, "" where there is none
    init_doc: str  # init_params's docstring, wrapped: the schemes and how biases start
    states: list[StatePlan]  # the output state (which the loss scores) first
    initial_parameters: str  # ", h0=None" or ", h0=None, c0=None"
    initial_arguments: str  # ", h0" or ", h0, c0": the initial states passed on
    initial_names: str  # "h0" or "h0 and c0", in docstrings
    initial_gradients: str  # the docstring's words for backward's initial-state gradients
    forward: ForwardPlan
    loss: Statement
    backward: BackwardPlan
    helpers: list[str]
    last: bool  # only the last step's state is scored (many-to-one), whatever Y's shape
    scored_elements: str  # the count an mse loss divides by, "" where the loss reads none

    @property
    def output(self) -> StatePlan:
        return self.states[0]


def plan_recurrent(
    sequence: SequenceDerivation,
    command: str,
    header: list[str],
    title: str,
    target: Target = NUMPY,
) -> RecurrentPlan:
    """Every statement of the BPTT module of ``sequence.model``, printed for ``target``."""
    # [SequenceDerivation] -> printed statements of forward, loss and backward
    model, cell = sequence.model, sequence.model.cell
    printer = target.printer({"names": {}})
    states = [StatePlan.of(s) for s in _output_first(cell.states)]
    backward = _backward_plan(sequence, printer, states, target.step_index)
    forward = _forward_plan(model, printer, backward, states[0], target.step_index)
    loss_node = sequence.loss.model.loss
    loss = Statement(
        identifier(loss_node.name), _code(loss_node.expr, printer), reads=_reads(loss_node.expr)
    )
    _check_helpers(printer)
    initials = [s.initial for s in states]
    return RecurrentPlan(
        title=title,
        source=model.source,
        command=command,
        header=header,
        parameters=[Parameter(w.name, w.shape, _init_kind(cell, w)) for w in cell.weights],
        opened_bias=OPENED_BIAS if cell.convention.opened else "",
        init_doc=_init_doc(cell),
        default_scheme="uniform" if cell.convention.layout == "torch" else "glorot",
        units_from=cell.weight(cell.convention.gate_order[0], "recurrent").name,
        states=states,
        initial_parameters="".join(f", {name}=None" for name in initials),
        initial_arguments="".join(f", {name}" for name in initials),
        initial_names=" and ".join(initials),
        initial_gradients=_initial_gradients(initials),
        forward=forward,
        loss=loss,
        backward=backward,
        helpers=sorted(printer.helpers_used),
        last=model.scoring.last,
        scored_elements=SCORED_ELEMENTS if SCORED_ELEMENTS in loss.reads else "",
    )


def _init_kind(cell, weight) -> str:
    """The weight's kind for ``initial``: a bias Keras opens at the start has its own."""
    opened = weight.kind == "bias" and weight.role in cell.convention.opened
    return OPENED_BIAS if opened else weight.kind


def _init_doc(cell) -> str:
    opened = cell.convention.open_bias
    biases = f"zero biases but {opened} ones" if opened else "zero biases"
    text = f'Initial parameters: "glorot" (Keras\'s schemes, {biases}) or "uniform" (PyTorch\'s).'
    # inside a function body (4 spaces) and triple quotes, under the line limit of 100
    return f"\n{INDENT}".join(textwrap.wrap(text, 100 - len(INDENT) - 6, break_on_hyphens=False))


def _output_first(states: tuple[State, ...]) -> list[State]:
    return sorted(states, key=lambda s: not s.scored)


def _initial_gradients(names: list[str]) -> str:
    """``the gradient for the initial state, as "h0"`` (or the states, as "h0" and "c0")."""
    quoted = " and ".join(f'"{name}"' for name in names)
    if len(names) == 1:
        return f"the gradient for the initial state, as {quoted}"
    return f"the gradients for the initial states, as {quoted}"


def _forward_plan(
    model: StepModel, printer, backward: BackwardPlan, output: StatePlan, index: str
) -> ForwardPlan:
    hoisted_exprs, forward = _split_forward(model)
    hoisted = [
        Statement(h.target, _code(h.expr, printer, {INPUT: "xs"}), reads=_reads(h.expr))
        for h in hoisted_exprs
    ]
    step = [
        Statement(n, _code(e, printer, _indexed(hoisted_exprs, index)), 2, _reads(e))
        for n, e in forward
    ]
    read = set(backward.step_reads + backward.row_reads) | {output.name}
    kept = [n for n in _forward_names(model) if n != INPUT and n in read]
    weights = [w.name for w in model.cell.weights]
    return ForwardPlan(_used(hoisted + step, weights), hoisted, step, kept)


def _backward_plan(
    sequence: SequenceDerivation, printer, states: list[StatePlan], index: str
) -> BackwardPlan:
    model, step = sequence.model, sequence.step
    statements = [
        Statement(identifier(a.symbol.name), _code(a.expr, printer), 2, _reads(a.expr))
        for a in step.adjoints
    ]
    carried = [sequence.carried(state) for state in _output_first(sequence.states)]
    carries = [
        Statement(plan.carry, _code(expr, printer), 2, _reads(expr))
        for plan, expr in zip(states, carried, strict=True)
    ]
    previous = {state.previous for state in sequence.states}
    gradients = [_gradient(g, printer) for g in step.gradients if g.param not in previous]
    forward_names = _forward_names(model)
    weights = [w.name for w in model.cell.weights]
    loss_gradient = states[0].incoming + LOSS_GRADIENT_SUFFIX
    inputs = sequence.input_gradient
    input_gradient = Statement(INPUT_GRADIENT, _code(inputs, printer), 3, _reads(inputs))
    incoming = [Statement(s.incoming, s.carry, 2) for s in states]
    incoming[0] = Statement(states[0].incoming, f"{loss_gradient}{index} + {states[0].carry}", 2)
    return BackwardPlan(
        params=_used([*statements, *carries, *gradients, input_gradient], weights),
        loss_gradient=_loss_gradient(sequence, printer, loss_gradient),
        step_reads=_used([*statements, *carries, input_gradient], forward_names),
        incoming=incoming,
        step=[*statements, *carries],
        kept_adjoints=_used(gradients, [identifier(a.symbol.name) for a in step.adjoints]),
        row_reads=_used(gradients, forward_names),
        gradients=gradients,
        loss_gradient_name=loss_gradient,
        input_gradient=input_gradient,
    )


def _forward_names(model: StepModel) -> list[str]:
    previous = [state.previous for state in model.cell.states]
    return [INPUT, *previous] + [n.name for n in model.defined[:-1]]


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


def _indexed(hoisted: list[_Hoisted], index: str) -> dict[str, str]:
    return {h.target: f"{h.target}{index}" for h in hoisted}


def _code(expr: sp.Expr, printer: NumpyCodePrinter, names: dict | None = None) -> str:
    printer._settings["names"] = names or {}
    return print_code(stabilize(expr), printer)


def _gradient(gradient, printer: NumpyCodePrinter) -> Statement:
    """A weight's gradient over the whole sequence: its per-step formula on stacked rows."""
    for term in sp.Add.make_args(gradient.expr):
        if not _sums_over_rows(term):
            raise SpecError(f"the gradient of {gradient.param} does not sum over samples")
    code = _code(gradient.expr, printer)
    return Statement(gradient_name(gradient.param), code, reads=_reads(gradient.expr))


def _sums_over_rows(term: sp.Expr) -> bool:
    if isinstance(term, colsum | colsum_keepdims | total):
        return True
    return isinstance(term, dot) and isinstance(term.args[0], T)


def _loss_gradient(sequence: SequenceDerivation, printer: NumpyCodePrinter, name: str) -> Statement:
    output = identifier(sequence.model.cell.output.name)
    scored_steps = f"steps - len({output}) :"
    return Statement(
        *printer.slice_assignment(name, scored_steps, _code(sequence.loss_term, printer))
    )


def _reads(expr: sp.Expr) -> frozenset[str]:
    """The variables a formula reads, as the code names them: its free symbols."""
    return frozenset(identifier(symbol.name) for symbol in expr.free_symbols)


def _used(statements, names: list[str]) -> list[str]:
    """The ``names`` (in their order) that any of ``statements`` reads."""
    read = set().union(*(s.reads for s in statements))
    return [n for n in dict.fromkeys(names) if identifier(n) in read]
