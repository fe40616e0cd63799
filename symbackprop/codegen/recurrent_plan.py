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
from symbackprop.codegen.packing import Code, Entry, Packing
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
    before_loop: list[Statement]  # packed weights and their products (a packing target's)
    hoisted: list[Statement]  # input terms for all steps at once, before the loop
    step: list[Statement]  # one step, in the loop
    kept: list[str]  # per-step values the backward pass and the loss read


@dataclass(frozen=True)
class BackwardPlan:
    params: list[str]
    before_loop: list[Statement]  # packed weights (a packing target's)
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
    backward = _backward_plan(sequence, printer, states, target)
    forward = _forward_plan(model, printer, backward, states[0], target)
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
    model: StepModel, printer, backward: BackwardPlan, output: StatePlan, target: Target
) -> ForwardPlan:
    hoisted_exprs, forward = _split_forward(model)
    hoisted_entries: list[Entry] = [(h.target, h.expr) for h in hoisted_exprs]
    packing = _packing(model, printer, target)
    if packing:
        hoisted_entries = packing.shared_left(
            hoisted_entries, lambda e: _code(e, printer, {INPUT: "xs"})
        )
        forward = packing.shared_left(forward, lambda e: _code(e, printer))
    made = [(n, v) for n, v in hoisted_entries if isinstance(v, Code)]  # the products split
    before_loop = [_statement(n, v, printer, 1) for n, v in _packed(packing) + made]
    hoisted = [
        _statement(n, v, printer, 1, {INPUT: "xs"})
        for n, v in hoisted_entries
        if not isinstance(v, Code)
    ]
    indexed = _indexed(hoisted_exprs, target.step_index)
    step = [_statement(n, e, printer, 2, indexed) for n, e in forward]
    read = set(backward.step_reads + backward.row_reads) | {output.name}
    kept = [n for n in _forward_names(model) if n != INPUT and n in read]
    params = _used(before_loop + hoisted + step, [w.name for w in model.cell.weights])
    return ForwardPlan(params, before_loop, hoisted, step, kept)


def _backward_plan(
    sequence: SequenceDerivation, printer, states: list[StatePlan], target: Target
) -> BackwardPlan:
    model, step = sequence.model, sequence.step
    carried = [sequence.carried(state) for state in _output_first(sequence.states)]
    entries: list[Entry] = [(identifier(a.symbol.name), a.expr) for a in step.adjoints]
    entries += [(plan.carry, expr) for plan, expr in zip(states, carried, strict=True)]
    entries.append((INPUT_GRADIENT, sequence.input_gradient))
    packing = _packing(model, printer, target)
    if packing:
        entries = packing.summed(entries)
    *in_step, (_, inputs) = entries
    step_statements = [_statement(n, v, printer, 2) for n, v in in_step]
    previous = {state.previous for state in sequence.states}
    summed = [_summed_gradient(g) for g in step.gradients if g.param not in previous]
    if packing:
        summed = packing.joined_rows(summed, lambda e: _code(e, printer))
    gradients = [_statement(n, v, printer, 1) for n, v in summed]
    before_loop = [_statement(n, v, printer, 1) for n, v in _packed(packing)]
    forward_names = _forward_names(model)
    weights = [w.name for w in model.cell.weights]
    loss_gradient = states[0].incoming + LOSS_GRADIENT_SUFFIX
    input_gradient = _statement(INPUT_GRADIENT, inputs, printer, 3)
    incoming = [Statement(s.incoming, s.carry, 2) for s in states]
    incoming[0] = Statement(
        states[0].incoming, f"{loss_gradient}{target.step_index} + {states[0].carry}", 2
    )
    return BackwardPlan(
        params=_used([*before_loop, *step_statements, *gradients, input_gradient], weights),
        before_loop=before_loop,
        loss_gradient=_loss_gradient(sequence, printer, loss_gradient),
        step_reads=_used([*step_statements, input_gradient], forward_names),
        incoming=incoming,
        step=step_statements,
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


def _packing(model: StepModel, printer, target: Target) -> Packing | None:
    """A packing of the products of one function, for a target that packs them."""
    if not target.packs_products:
        return None
    module = printer._module_format("numpy.split").removesuffix(".split")
    weights = [(w.name, w.shape) for w in model.cell.weights]
    taken = {identifier(name) for name in _forward_names(model)} | {w for w, _ in weights}
    return Packing(weights, module, taken)


def _packed(packing: Packing | None) -> list[Entry]:
    """The packed weights' concatenations, computed before a function's time loop."""
    return packing.packed_weights() if packing else []


def _statement(
    target: str, value: sp.Expr | Code, printer, depth: int, names: dict | None = None
) -> Statement:
    """A formula printed for the target (or a packing's own code) as a statement."""
    if isinstance(value, Code):
        return Statement(target, value.text, depth, value.reads)
    return Statement(target, _code(value, printer, names), depth, _reads(value))


def _code(expr: sp.Expr, printer: NumpyCodePrinter, names: dict | None = None) -> str:
    printer._settings["names"] = names or {}
    return print_code(stabilize(expr), printer)


def _summed_gradient(gradient) -> Entry:
    """A weight's gradient over the whole sequence: its per-step formula on stacked rows."""
    for term in sp.Add.make_args(gradient.expr):
        if not _sums_over_rows(term):
            raise SpecError(f"the gradient of {gradient.param} does not sum over samples")
    return gradient_name(gradient.param), gradient.expr


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
