"""Hand-computed states of a recurrent cell: is the number right, and, for a GRU, which GRU
does it match?

A state computed by hand for a model's known input is not a gradient, so the formula checker
cannot judge it; here it is recomputed from the cell's own equations. A GRU is recomputed with
every other reading of the GRU too (the blend with z and 1 - z swapped, the reset gate on the
other side of the recurrent product) to say which one the claim follows; any other cell has
only its own reading.
"""

from __future__ import annotations

import numpy as np

from symbackprop.cells.conventions import GRU
from symbackprop.cells.evaluate import run_sequence, step_values
from symbackprop.cells.step import StepModel
from symbackprop.check.blend import (
    SWAPPED,
    BlendFinding,
    BlendReading,
    claim_matches,
    claimed_decimals,
    diagnose_blend,
    show,
)
from symbackprop.check.probe import Diagnosis
from symbackprop.check.report import CheckReport, Counterexample, Verdict
from symbackprop.errors import SpecError
from symbackprop.ir.model import Model


def check_state(model: Model, claimed: float) -> CheckReport:
    """Judge a hand-computed first state ``h_1`` of a recurrent model on its known input."""
    if not isinstance(model, StepModel):
        raise SpecError(f"--state is for recurrent cells; {model.name!r} is not one")
    cell = model.cell
    if model.known_input is None:
        raise SpecError(f"{model.name!r} has no known input to compute a state on")
    x, weights = model.known_input.x, model.known_input.weights
    expected = float(run_sequence(model, weights, x)[0, 0, 0])
    finding = _finding(model, x[:, 0], claimed, weights)
    output = cell.output.name
    verdict = Verdict(
        name=f"{output}_1",
        claim=f"the first state of {model.name} on its example input",
        formula=f"{output}_1 = {claimed}",
        correct=finding is None,
        proof="recomputed step by step in float64",
        correct_formula=f"{expected:.8f}",
        diagnosis=None if finding is None else _diagnosis(finding),
        counterexample=None
        if finding is None
        else Counterexample("the example's input", f"{expected:.8f}", f"{claimed}"),
    )
    return CheckReport(model.name, f"the state {output}", [verdict])


def _finding(model: StepModel, x: np.ndarray, claimed: float, weights) -> BlendFinding | None:
    """None when ``claimed`` is the cell's first output state from zero states; otherwise what
    it matches (a GRU's other readings) or what the cell gives instead."""
    cell = model.cell
    zeros = {s.name: np.zeros((x.shape[0], cell.units)) for s in cell.states}
    if cell.convention.family == GRU:  # the one family with other readings to name
        return diagnose_blend(cell.convention.key, x, zeros[cell.output.name], claimed, weights)
    exact = step_values(model, x, zeros, weights)
    rounded = step_values(model, x, zeros, weights, claimed_decimals(claimed))
    own = BlendReading(cell, cell.convention.framework, exact, rounded)
    if claim_matches(own, claimed):
        return None
    name = cell.output.name
    return BlendFinding(
        None,
        f"the claimed {name} = {show(claimed)} is not what {own.label} computes: "
        f"{name} = {show(exact[name])}.",
    )


def _diagnosis(finding: BlendFinding) -> Diagnosis:
    kind = finding.kind
    return Diagnosis(kind, f"{kind}: {finding.message}" if kind == SWAPPED else finding.message)
