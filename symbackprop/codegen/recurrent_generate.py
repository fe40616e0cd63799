"""The ``generate`` verb for recurrent cells: a module that trains the cell by BPTT."""

from __future__ import annotations

import textwrap
from pathlib import Path

from symbackprop.cells.conventions import TITLES
from symbackprop.cells.step import Scoring, StepModel
from symbackprop.codegen.command import default_command
from symbackprop.codegen.recurrent_plan import plan_recurrent
from symbackprop.codegen.render import render
from symbackprop.codegen.stable import stabilize
from symbackprop.codegen.targets import NUMPY, Target
from symbackprop.derive.bptt import SequenceDerivation, derive_sequence
from symbackprop.files import current_text, write_whole
from symbackprop.naming import identifier
from symbackprop.printing.text import text
from symbackprop.printing.through_time import convention_text, recursion_text
from symbackprop.readers.examples import RECURRENT_EXAMPLES

GENERATED = Path("generated")
WIDTH = 96  # docstring lines stay inside the line limit of 100


def module_text(
    model: StepModel, command: str | None = None, target: Target = NUMPY, dtype: str = "float64"
) -> str:
    """The source of the BPTT training module of ``model`` (a step model of a cell), written
    for ``target`` (a JAX module computes in ``dtype``)."""
    # [StepModel] -> SequenceDerivation -> RecurrentPlan -> module text
    command = command or default_command(model)
    sequence = derive_sequence(model)
    plan = plan_recurrent(sequence, command, header_lines(sequence), _title(model), target)
    return render(target.recurrent_template, plan=plan, dtype=dtype)


def _title(model: StepModel) -> str:
    conv = model.cell.convention
    return f"{TITLES[conv.family]} as in {conv.framework}, trained by backpropagation through time"


def header_lines(sequence: SequenceDerivation) -> list[str]:
    """The module docstring after its first paragraph: the cell, the data, the formulas."""
    model = sequence.model
    lines = ["", *_wrap(model.description[:1].upper() + model.description[1:] + ".")]
    lines += ["", *_wrap(convention_text(sequence).strip())]
    lines += ["", *_wrap(_data(model.scoring))]
    lines += ["", "One step, as declared:"]
    lines += _indented(f"{n.name} = {text(stabilize(n.expr))}" for n in model.defined[:-1])
    lines += ["", *_wrap(_FORMULAS.format(incoming=_incoming(model)))]
    step = sequence.step
    lines += _indented(f"{a.symbol.name} = {text(a.expr)}" for a in step.adjoints)
    lines += _indented(f"dE/d{g.param} = {text(g.expr)}" for g in step.gradients)
    head, *steps, note = recursion_text(sequence).strip().splitlines()
    lines += ["", head, *_indented(line.strip() for line in steps), *_wrap(note)]
    return lines


_LOSS_TEXT = {
    "half_sse": "E = 0.5 * sum((h - y)**2) over the scored steps",
    "mse": "E = mean((h - y)**2) over every element of the scored steps",
}
_SCORED_TEXT = (
    "every step's state when Y is (batch, time, units) (many-to-many), the last state only when "
    "Y is (batch, units) (many-to-one)."
)
_LAST_TEXT = (
    "the last state only (many-to-one), Y being (batch, units) or (batch, time, units) of "
    "which the last step is read."
)


def _data(scoring: Scoring) -> str:
    """The docstring's paragraph on the data and the loss."""
    scored = _LAST_TEXT if scoring.last else _SCORED_TEXT
    return f"Data: X is (batch, time, input). The loss is {_LOSS_TEXT[scoring.loss]}: {scored}"


_FORMULAS = (
    "Derived per-step formulas (delta_n is the derivative of the loss with respect to node n "
    "of the step; {incoming} from the loss and from later steps):"
)


def _incoming(model: StepModel) -> str:
    """``dh is the gradient arriving at h`` (``dh and dc are the gradients ...``)."""
    states = model.cell.states
    incoming = " and ".join(s.incoming for s in states)
    names = " and ".join(s.name for s in states)
    if len(states) == 1:
        return f"{incoming} is the gradient arriving at {names}"
    return f"{incoming} are the gradients arriving at {names}"


def _wrap(paragraph: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        paragraph,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + ("    " if indent else ""),
        break_on_hyphens=False,
    )


def _indented(lines) -> list[str]:
    """Formulas one per line, a long one broken before a top-level `` + `` or `` - ``."""
    return [wrapped for line in lines for wrapped in _broken(line, "    ")]


def _broken(line: str, indent: str) -> list[str]:
    lines, rest = [], indent + line
    while len(rest) > WIDTH:
        cut = _last_top_level_operator(rest[: WIDTH + 1])
        if cut is None:
            return lines + _wrap(rest.strip(), indent)
        lines.append(rest[:cut])
        rest = indent + "    " + rest[cut + 1 :]
    return [*lines, rest]


def _last_top_level_operator(text_: str) -> int | None:
    depth, found = 0, None
    for position, char in enumerate(text_):
        depth += (char in "([") - (char in ")]")
        if depth == 0 and text_[position : position + 3] in (" + ", " - "):
            found = position
    return found


def generate_all_recurrent(directory: Path = GENERATED, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) the module of every recurrent built-in example.

    Returns the files that differed from what is generated now.
    """
    stale = []
    for name, example in RECURRENT_EXAMPLES.items():
        path = Path(directory) / f"{identifier(name)}.py"
        text_now = module_text(example.build(), command="symbackprop generate --all")
        if current_text(path) != text_now:
            stale.append(path)
            if not check:
                write_whole(path, text_now)
    return stale
