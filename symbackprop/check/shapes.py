"""Diagnoses from shapes: a transposed result, or a broadcast that fits only by coincidence.

A formula whose shape differs from the correct one's is either its transpose (the right values,
transposed) or a shape bug. For the latter the message names the innermost operation whose
operands do not fit, with their shapes, and the equalities of dimensions that would make it fit:
``layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))`` in ``xor`` fits only when the batch
size equals the hidden width, which its 4 samples and 4 hidden units happen to satisfy.
"""

from __future__ import annotations

from itertools import combinations

import sympy as sp

from symbackprop.check.numeric import difference
from symbackprop.check.probe import Diagnosis, Probe
from symbackprop.check.subject import Subject
from symbackprop.errors import ShapeError
from symbackprop.ir.evaluate import EvaluationError
from symbackprop.ir.ops import T, dot, show_shape
from symbackprop.readers.dims import DimSpace


def shape_problem(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    errors = [v for v in probe.values if isinstance(v, EvaluationError) and v.shape_problem]
    if not subject.is_vector:
        return None
    # with one output, a one-entry array and its number are the same value (as compared)
    same = subject.comparable
    mismatched = errors or any(
        not isinstance(v, EvaluationError)
        and difference(v, trial.evaluate(expected)) is not None
        and _shape(same(v)) != _shape(same(trial.evaluate(expected)))
        for trial, v in zip(subject.trials, probe.values, strict=True)
    )
    if not mismatched:
        return None
    if not errors and probe.matches(T(expected)):
        return Diagnosis(
            "transposed",
            "transposed: the right values in transposed shape (the "
            "formula computes the transpose of the correct one)",
            written=T(expected),
        )
    return Diagnosis(
        "shape or broadcast", "shape or broadcast: " + _shape_message(probe, expected, got, errors)
    )


def _shape(value) -> tuple:
    return tuple(getattr(value, "shape", ()))


def _shape_message(probe: Probe, expected, got, errors) -> str:
    subject = probe.subject
    space = subject.space.copy(frozen=True)
    want = space.shape(expected, subject.shapes)
    try:
        have = space.shape(got, subject.shapes)
        message = f"it has shape {show_shape(have)}, the correct value {show_shape(want)}"
    except ShapeError as error:
        message = _failing_part(probe, space, got) or error.message
    coincidences = _coincidences(subject, got, want)
    if coincidences:
        message += "; it only fits when " + " or ".join(coincidences)
    elif errors:
        message += f" (NumPy: {errors[0]})"
    return message


def _failing_part(probe: Probe, space: DimSpace, expr: sp.Expr) -> str | None:
    """The innermost operation whose operands do not fit, with each operand's shape."""
    subject = probe.subject
    for arg in expr.args:
        inner = _failing_part(probe, space, arg)
        if inner is not None:
            return inner
    try:
        space.shape(expr, subject.shapes)
        return None
    except ShapeError:
        pass
    parts = []
    for arg in _operands(subject, space, expr):
        try:
            shaped = show_shape(space.shape(arg, subject.shapes))
        except ShapeError:
            continue
        parts.append(f"{probe.text(arg)} {shaped}")
    joiner = " @ " if isinstance(expr, dot) else " and "
    what = "cannot be multiplied" if isinstance(expr, dot) else "do not broadcast together"
    return f"{joiner.join(parts)} {what}"


def _operands(subject: Subject, space: DimSpace, expr: sp.Expr) -> list[sp.Expr]:
    """A product's operands, the elementwise factors of one shape grouped into one."""
    if not isinstance(expr, sp.Mul):
        return list(expr.args)
    groups: dict[tuple, list] = {}
    for factor in expr.args:
        if factor.is_Number:
            continue
        try:
            key = space.shape(factor, subject.shapes)
        except ShapeError:
            key = (factor,)
        groups.setdefault(key, []).append(factor)
    return [sp.Mul(*factors) for factors in groups.values()]


def _coincidences(subject: Subject, got, want) -> list[str]:
    """Pairs of dimensions whose equality makes the formula fit (as ``xor``'s 4 and 4 do)."""
    space: DimSpace = subject.space
    roots = space.roots(subject.shapes.values())
    found = []
    for a, b in combinations(roots, 2):
        trial = space.copy(frozen=False)
        trial.named.clear()  # here any two may be equated, to see which equality helps
        trial.written.clear()
        trial.unify(b, a)
        trial.frozen = True
        try:
            if trial.shape(got, subject.shapes) == trial.resolve_shape(want):
                found.append(_equality(space, a, b))
        except ShapeError:
            continue
    return found


def _equality(space: DimSpace, a: sp.Symbol, b: sp.Symbol) -> str:
    text = f"{a} == {b}"
    written = space.written.get(a), space.written.get(b)
    if written[0] is not None and written[0] == written[1]:
        text += f" (as written, both are {written[0]}, which hides the bug there)"
    return text


def transposed_operand(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """One operand of a matrix product transposed: ``dZ2 @ W2`` where ``dZ2 @ W2.T`` belongs.
    Such a formula often cannot even be evaluated, so it is also compared as written."""
    written = {got, subject.expanded(got)}
    expected = subject.expanded(expected)
    for sub in sp.preorder_traversal(expected):
        swaps = []
        if isinstance(sub, T):
            swaps.append((sub, sub.args[0]))
        elif isinstance(sub, dot):
            swaps += [(a, T(a)) for a in sub.args if not isinstance(a, T)]
        for old, new in swaps:
            variant = expected.xreplace({old: new})
            if variant in written or probe.matches(variant):
                return Diagnosis(
                    "transposed",
                    f"transposed: {probe.text(new)} where {probe.text(old)} belongs",
                    factor=old,
                    written=new,
                )
    return None
