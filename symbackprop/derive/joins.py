"""Adjoints that each fill one part of an array, added up, written as those parts joined.

An LSTM's gates read column blocks of one pre-activation, and its steps read one step each of
a sequence: the adjoint of each read is zeros but for its own part, and their sum is the parts
side by side. Written so, it is one ``np.concatenate`` or ``np.stack`` rather than a sum of
arrays that are mostly zeros, and it reads as the derivation says it.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.ir.ops import Shape, col_slice, cols_into
from symbackprop.ir.ops.timesteps import (
    joined_cols,
    stacked_steps,
    time_step,
    time_step_into,
    zeros_of,
)


def joined(expr: sp.Expr, shape_of: Callable[[sp.Expr], Shape]) -> sp.Expr:
    """``expr`` with a sum of column blocks or of time steps of one array written as their
    join (a part no term fills is zeros); ``expr`` itself otherwise."""
    terms = expr.args if isinstance(expr, sp.Add) else (expr,)
    kinds = {type(term) for term in terms}
    if kinds != {cols_into} and kinds != {time_step_into}:
        return expr
    if len({term.args[1] for term in terms}) != 1:
        return expr
    if not all(term.args[2].is_Integer for term in terms):
        return expr  # blocks at symbolic offsets (a reader's ``a[:, H:2*H]``): kept as a sum
    kind, like = kinds.pop(), terms[0].args[1]
    if kind is cols_into:
        return _columns(terms, like, shape_of) or expr
    return _steps(terms, like, shape_of) or expr


def _columns(terms, like: sp.Expr, shape_of) -> sp.Expr | None:
    width = _size(shape_of(like), 1, rank=2)
    parts, at = [], 0
    for start, g in sorted((int(term.args[2]), term.args[0]) for term in terms):
        columns = _size(shape_of(g), 1, rank=2)
        if columns is None or start < at:
            return None  # blocks that overlap, or of sizes not known: a sum, not a join
        if start > at:
            parts.append(zeros_of(col_slice(like, at, start)))
        parts.append(g)
        at = start + columns
    if width is None or at > width:
        return None
    if at < width:
        parts.append(zeros_of(col_slice(like, at, width)))
    return joined_cols(*parts)


def _steps(terms, like: sp.Expr, shape_of) -> sp.Expr | None:
    steps = _size(shape_of(like), 1, rank=3)
    at = {int(term.args[2]): term.args[0] for term in terms}
    if steps is None or len(at) != len(terms):
        return None  # a step read twice: a sum, not a join
    return stacked_steps(*(at.get(t, zeros_of(time_step(like, t))) for t in range(steps)))


def _size(shape: Shape, axis: int, rank: int) -> int | None:
    """The whole-number size of ``shape`` along ``axis`` where it has ``rank`` axes."""
    if len(shape) != rank or not isinstance(shape[axis], int | sp.Integer):
        return None
    return int(shape[axis])
