"""Every array op against itself: its shape rule against its own evaluation, and its backward
rule against central differences of that evaluation (the adjoint test <g, J v> = <J^T g, v>)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from extensions.logsumexp_op import logsumexp

from symbackprop.derive.rules import rule_for
from symbackprop.ir.evaluate import Evaluator, Numbers
from symbackprop.ir.ops import (
    FLOAT_MATH,
    STACKED_OPS,
    T,
    as_column,
    axis_length,
    batchnorm,
    colmax,
    colmax_keepdims,
    colmean,
    colsum,
    colsum_keepdims,
    colvar,
    dot,
    dropout,
    embedding,
    groupmean,
    groupnorm,
    groupvar,
    layernorm,
    rowmax,
    rowmax_flat,
    rowmean,
    rowsum,
    rowsum_flat,
    rowvar,
    shape_of,
    sigmoid_bce,
    softmax,
    softmax_xent,
    svm_hinge,
    total,
    total_max,
)

RNG = np.random.default_rng(7)
TARGETS = np.eye(4)[[0, 3, 1]]  # one-hot rows: softmax_xent's rule assumes rows summing to 1
# op, the shapes of its arguments, fixed argument values (None: random), arguments to vary
CASES = [
    (dot, [(3, 2), (2, 4)], [None, None], [0, 1]),
    (T, [(3, 4)], [None], [0]),
    (total, [(3, 4)], [None], [0]),
    (colsum, [(3, 4)], [None], [0]),
    (colsum_keepdims, [(3, 4)], [None], [0]),
    (rowsum, [(3, 4)], [None], [0]),
    (rowsum_flat, [(3, 4)], [None], [0]),
    (as_column, [(3,)], [None], [0]),
    (total_max, [(3, 4)], [None], [0]),
    (colmax, [(3, 4)], [None], [0]),
    (colmax_keepdims, [(3, 4)], [None], [0]),
    (rowmax, [(3, 4)], [None], [0]),
    (rowmax_flat, [(3, 4)], [None], [0]),
    (softmax, [(3, 4)], [None], [0]),
    (softmax_xent, [(3, 4), (3, 4)], [None, TARGETS], [0]),
    (sigmoid_bce, [(3, 4), (3, 4)], [None, RNG.random((3, 4))], [0]),
    (logsumexp, [(3, 4)], [None], [0]),
    (colmean, [(3, 4)], [None], [0]),
    (rowmean, [(3, 4)], [None], [0]),
    (colvar, [(3, 4)], [None], [0]),
    (rowvar, [(3, 4)], [None], [0]),
    (groupmean, [(3, 4), ()], [None, 2], [0]),
    (groupvar, [(3, 4), ()], [None, 2], [0]),
    (axis_length, [(3, 4), ()], [None, 0], [0]),
    (batchnorm, [(3, 4), ()], [None, 1e-5], [0]),
    (layernorm, [(3, 4), ()], [None, 1e-5], [0]),
    (groupnorm, [(3, 4), (), ()], [None, 2, 1e-5], [0]),
    (dropout, [(3, 4), (3, 4), ()], [None, np.array([[1, 0, 1, 1]] * 3), 0.75], [0]),
    (embedding, [(5,), (3, 4)], [np.array([2, 0, 2, 2, 1]), None], [1]),  # repeated rows
    (svm_hinge, [(5, 4), (5,)], [None, np.array([0, 3, 1, 3, 2])], [0]),
    *((op, [(3, 4)], [None], [0]) for op in STACKED_OPS),
]
CASES_BY_ARGUMENT = [(op, s, v, i) for op, s, v, positions in CASES for i in positions]


def _values(shapes, fixed):
    return [RNG.normal(size=s) if f is None else f for s, f in zip(shapes, fixed, strict=True)]


@pytest.mark.parametrize(
    ("op", "shapes", "fixed", "positions"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_shape_rule_matches_evaluation(op, shapes, fixed, positions):
    values = _values(shapes, fixed)
    symbols = sp.symbols(f"a0:{len(shapes)}")
    expected = np.shape(op.evaluate(FLOAT_MATH, *values))
    named = {s.name: shape for s, shape in zip(symbols, shapes, strict=True)}
    assert shape_of(op(*symbols), named) == expected


@pytest.mark.parametrize(
    ("op", "shapes", "fixed", "position"),
    CASES_BY_ARGUMENT,
    ids=[f"{case[0].__name__}-{case[3]}" for case in CASES_BY_ARGUMENT],
)
def test_backward_rule_is_the_adjoint_of_the_evaluation(op, shapes, fixed, position):
    values = _values(shapes, fixed)
    output = op.evaluate(FLOAT_MATH, *values)
    g, direction = RNG.normal(size=np.shape(output)), RNG.normal(size=shapes[position])

    def along(step: float) -> float:
        moved = [*values]
        moved[position] = values[position] + step * direction
        return float(np.sum(g * op.evaluate(FLOAT_MATH, *moved)))

    h = 1e-6
    expected = (along(h) - along(-h)) / (2 * h)
    symbols = sp.symbols(f"a0:{len(shapes)}")
    g_symbol = sp.Symbol("g")
    adjoint = rule_for(op, position)(g_symbol, *symbols)
    as_mp = np.frompyfunc(mpmath.mpf, 1, 1)
    env = {s: as_mp(np.asarray(v, dtype=float)) for s, v in zip(symbols, values, strict=True)}
    env[g_symbol] = as_mp(g)
    got = np.asarray(Evaluator(env, Numbers.MPMATH)(adjoint), dtype=float)
    got = np.broadcast_to(got, shapes[position])  # a sum's rule hands g on to be broadcast
    assert float(np.sum(got * direction)) == pytest.approx(expected, rel=1e-7, abs=1e-9)
