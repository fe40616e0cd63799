"""Diagnoses of sums: over the wrong axis, or with keepdims where it must not be (or without).

A bias's gradient sums its adjoint over the axis it was broadcast along; summing over the other
axis, over every element, or keeping the summed axis gives the same numbers in the wrong shape
(or the wrong numbers). Each other sum is tried in place of each sum of the correct formula.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.check.probe import Diagnosis, Probe
from symbackprop.check.subject import Subject
from symbackprop.errors import ShapeError
from symbackprop.ir.ops import SumBase, colsum, colsum_keepdims, rowsum, show_shape, total

SUMS = (total, colsum, colsum_keepdims, rowsum)


def reduction_axis(subject: Subject, expected: sp.Expr, probe: Probe) -> Diagnosis | None:
    """A sum over the wrong axis, or with keepdims where it must not be (or without it)."""
    for reduction in sp.preorder_traversal(expected):
        if not isinstance(reduction, SumBase):
            continue
        for other in SUMS:
            if other is reduction.func:
                continue
            written = other(*reduction.args)
            if probe.matches(expected.xreplace({reduction: written})):
                return Diagnosis(
                    "wrong axis",
                    f"wrong axis: {_sum_text(subject, written)} where "
                    f"{_sum_text(subject, reduction)} belongs{_keepdims_note(reduction, written)}",
                    factor=reduction,
                    written=written,
                )
    return None


def _sum_text(subject: Subject, reduction: SumBase) -> str:
    """``sum(axis=0, keepdims=True) -> (1, n)``: the sum and the shape it makes."""
    text = "a sum of every element" if reduction.axis is None else f"sum({reduction.keywords()})"
    try:
        return f"{text} -> {show_shape(subject.shape_of(reduction))}"
    except ShapeError:
        return text


def _keepdims_note(correct: SumBase, written: SumBase) -> str:
    if correct.axis != written.axis or correct.keepdims == written.keepdims:
        return ""
    if written.keepdims:
        return " (keepdims=True keeps the summed axis, of length 1)"
    return " (without keepdims=True the summed axis is dropped)"
