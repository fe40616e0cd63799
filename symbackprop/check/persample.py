"""A course's pairs with samples as columns: the upstream gradient per sample, the weights'
gradients of the mean cost.

In ``Z = W @ A + b`` (b of shape (n, 1)), the course's ``linear_backward(dZ, cache)`` is handed
``dZ`` of the sum of the m samples' losses and returns ``dW = 1/m * dZ @ A.T`` and
``db = 1/m * np.sum(dZ, axis=1, keepdims=True)``: the gradients of the cost, their mean, while
``dA_prev = W.T @ dZ`` stays per sample for the layer below. Held to L = sum(Z * dZ) alone,
right code would be called wrong by 1/m. Read so instead, the weights' gradients are right
both ways, but one convention for all of them: a ``db`` left a sum beside an averaged ``dW`` is
wrong, and an averaged ``dA_prev`` is wrong.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy as sp

from symbackprop.check.loopruns import Run, agrees
from symbackprop.check.probe import Diagnosis
from symbackprop.check.report import CheckReport, Verdict
from symbackprop.readers.codereader import Program

SCALES = ("constant scale", "missing factor", "extra factor")


def per_sample_reading(report: CheckReport, program: Program, upstream: str) -> CheckReport:
    """``report`` with the weights' gradients averaged over the samples read as right, where
    the pair has samples as columns; ``report`` itself otherwise."""
    samples = _samples(program, upstream)
    if samples is None:
        return report
    weights = [v for v in report.verdicts if _is_weight(v, program, samples)]
    averaged = [v for v in weights if not v.correct and _averaged(v, program, samples)]
    if not averaged:
        return report
    m = str(samples)  # as the code names it, ``m``
    note = per_sample_note(upstream, m)
    changed = {id(v): _right_averaged(v, m) for v in averaged}
    for verdict in weights:
        if verdict.correct and verdict.follows is None:  # a sum beside the averaged ones
            changed[id(verdict)] = _not_averaged(verdict, m, averaged[0].name)
    verdicts = [changed.get(id(v), v) for v in report.verdicts]
    return replace(report, verdicts=verdicts, notes=[*report.notes, note])


def per_sample_note(upstream: str, m: str) -> str:
    return (
        f"samples as columns: {upstream} is per sample and the weights' gradients may be of "
        f"the mean over the {m} samples (1/{m} times those of L), as a course's "
        "linear_backward returns them"
    )


def averaged_over_samples(runs: list[Run], upstream: str, params: dict[str, str]) -> bool:
    """For a pair read by evaluation: where a weight's gradient is the mean over the samples
    at a setting, every weight is held to the mean at every setting (in place, in ``runs``);
    True then."""
    counts = [_sample_count(run, upstream) for run in runs]
    if None in counts:
        return False
    paired = list(zip(runs, counts, strict=True))
    weights = [
        name
        for name, param in params.items()
        if all(_is_weight_array(run.setting.arguments.get(param), m) for run, m in paired)
        and all(run.expected.get(name) is not None for run in runs)
    ]
    # the convention is the pair's: a mode (an activation) that is wrong elsewhere keeps it
    averaged = [
        name
        for name in weights
        if any(agrees(run.got[name], run.expected[name] / m) for run, m in paired)
    ]
    if not averaged:
        return False
    for run, m in paired:
        for name in weights:
            run.expected[name] = run.expected[name] / m
            run.targets[name] = run.expected[name]
    return True


def _sample_count(run: Run, upstream: str) -> int | None:
    """m, where the upstream gradient is (n, m) and a bias argument a column (n, 1)."""
    gradient = np.shape(run.final.get(upstream))
    if len(gradient) != 2:
        return None
    shapes = [np.shape(v) for v in run.setting.arguments.values() if isinstance(v, np.ndarray)]
    return gradient[1] if (gradient[0], 1) in shapes and gradient[1] > 1 else None


def _is_weight_array(value, samples: int) -> bool:
    return isinstance(value, np.ndarray) and samples not in value.shape


def _samples(program: Program, upstream: str) -> sp.Symbol | None:
    """The samples' dimension, where a bias is a column (n, 1) beside an upstream (n, m)."""
    if program.space is None or upstream not in program.leaf_shapes:
        return None
    shapes = {k: program.space.resolve_shape(v) for k, v in program.leaf_shapes.items()}
    gradient = shapes[upstream]
    columns = any(len(s) == 2 and s[1] == 1 and s[0] == gradient[0] for s in shapes.values())
    if len(gradient) != 2 or not columns or not isinstance(gradient[1], sp.Symbol):
        return None
    return gradient[1]


def _param(verdict: Verdict) -> str:
    return verdict.claim.split("/d", 1)[-1]


def _is_weight(verdict: Verdict, program: Program, samples: sp.Symbol) -> bool:
    """A gradient of an array the samples do not run along (a weight or bias, not A)."""
    shape = program.leaf_shapes.get(_param(verdict))
    if shape is None:
        return False
    return samples not in program.space.resolve_shape(shape)


def _averaged(verdict: Verdict, program: Program, samples: sp.Symbol) -> bool:
    """Off by exactly one over the number of samples, nothing else."""
    diagnosis = verdict.diagnosis
    if diagnosis is None or diagnosis.kind not in SCALES or diagnosis.factor is None:
        return False
    return sp.simplify(program.space.resolve(diagnosis.factor) - samples) == 0


def _right_averaged(verdict: Verdict, m: str) -> Verdict:
    return replace(
        verdict,
        correct=True,
        proof=f"1/{m} times dL/d{_param(verdict)}: the mean over the samples",
        diagnosis=None,
        counterexample=None,
        correct_formula="",
    )


def _not_averaged(verdict: Verdict, m: str, averaged: str) -> Verdict:
    return replace(
        verdict,
        correct=False,
        proof="a counterexample",
        diagnosis=Diagnosis(
            "constant scale",
            f"missing factor 1/{m}: {averaged} is the mean over the {m} samples, this is their sum",
            factor=sp.Symbol(m),
        ),
    )


def per_sample_targets(targets: dict, final: dict, arguments: dict) -> None:
    """A delta held to m times the adjoint where the code keeps it per sample (``dZ3 = A3 - Y``
    beside ``cost = 1/m * ...``): the samples are the data's columns."""
    data = [v for v in arguments.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    if not data:
        return
    m = data[0].shape[1]
    for name, target in targets.items():
        value = final.get(name)
        if target is not None and value is not None and agrees(value, m * target):
            targets[name] = m * target
