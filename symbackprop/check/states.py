"""Hand-computed states of a recurrent cell: is the number right, and which GRU does it match?

A state computed by hand for a model's known input is not a gradient, so the formula checker
cannot judge it; here it is recomputed with the cell's own convention and with every other
reading of the GRU (the blend with z and 1 - z swapped, the reset gate on the other side of the
recurrent product) to say which one the claim follows.
"""

from __future__ import annotations

import numpy as np

from symbackprop.cells.evaluate import run_sequence
from symbackprop.cells.step import StepModel
from symbackprop.check.blend import SWAPPED, BlendFinding, diagnose_blend
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
    h_prev = np.zeros((x.shape[0], cell.units))
    finding = diagnose_blend(cell.convention.key, x[:, 0], h_prev, claimed, weights)
    verdict = Verdict(
        name="h_1",
        claim=f"the first state of {model.name} on its example input",
        formula=f"h_1 = {claimed}",
        correct=finding is None,
        proof="recomputed step by step in float64",
        correct_formula=f"{expected:.8f}",
        diagnosis=None if finding is None else _diagnosis(finding),
        counterexample=None
        if finding is None
        else Counterexample("the example's input", f"{expected:.8f}", f"{claimed}"),
    )
    return CheckReport(model.name, "the state h", [verdict])


def _diagnosis(finding: BlendFinding) -> Diagnosis:
    kind = finding.kind
    return Diagnosis(kind, f"{kind}: {finding.message}" if kind == SWAPPED else finding.message)
