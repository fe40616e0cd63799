"""The memory-reuse pass over the fused step's statements: which values are written into kept
arrays (by :func:`~symbackprop.codegen.inplace.lower`), and which arrays are spent.

    # [Statement] -> [Statement] with large assignments as calls with out= and in-place updates

A value lives in a kept array from its statement on; once no later statement reads it, its
array is spent, and a later activation or product may be computed in it. What a statement
reads is its free symbols, so liveness is one scan, not a search of printed text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.inplace import Shape, lower
from symbackprop.codegen.statements import Assign, Call, Statement
from symbackprop.ir.ops import colsum
from symbackprop.naming import BATCH_SIZE

ONES = sp.Symbol("ones")  # a batch of ones: column sums as ones.dot(A)


@dataclass(frozen=True)
class Reused:
    statements: list[Statement]
    kept: list[str]  # the arrays kept for the next step
    buffered: list[Assign]  # the assignments whose values now live in kept arrays


def reuse_memory(
    statements: list[Statement],
    shape: Callable[[sp.Expr], Shape],
    taken: set[str],
    read_after: frozenset[sp.Symbol],
    own_arrays: frozenset[sp.Symbol],
) -> Reused:
    """The pass: ``statements`` with each assignment as large as a batch or a matrix written
    into kept arrays, or into arrays of values nothing reads again; a column sum of a batch
    as ``ones.dot`` (BLAS sums columns 2-3x faster than .sum(axis=0)). ``read_after``: what
    the statements after these read; ``own_arrays``: values never written over, even when
    spent (the gradients, read by updates the caller places)."""
    last_read = {symbol: i for i, s in enumerate(statements) for symbol in s.reads}
    out: list[Statement] = []
    kept: list[str] = []
    buffered: list[Assign] = []
    spent: set[sp.Symbol] = set()  # values in kept arrays that nothing reads again
    spent_at: dict[int, list[sp.Symbol]] = {}  # position -> values spent from there on
    for position, statement in enumerate(statements):
        spent.update(spent_at.pop(position, []))
        lowered = _lowered(statement, shape, taken, frozenset(spent))
        if lowered is None:
            out.append(_as_column_sum(statement, shape) or statement)
            continue
        written, arrays = lowered
        out += written
        kept += arrays
        if statement.target not in own_arrays:
            buffered.append(statement)
            for value in [statement.target, *map(sp.Symbol, arrays)]:
                if value not in read_after:  # spent from its last reader on (or the next)
                    since = max(last_read.get(value, -1), position + 1)
                    spent_at.setdefault(since, []).append(value)
    return Reused(out, kept, buffered)


def _lowered(statement: Statement, shape, taken: set[str], spent: frozenset):
    if not isinstance(statement, Assign) or _is_column_sum(statement.expr, shape):
        return None
    result_shape = shape(statement.expr)
    if len(result_shape) < 2 and BATCH_SIZE not in result_shape:
        return None  # vectors are too small to matter
    return lower(statement.target, statement.expr, shape, taken, spent)


def _as_column_sum(statement: Statement, shape) -> Call | None:
    """``ones.dot(rows)`` for a bias gradient's sum over a batch."""
    if isinstance(statement, Assign) and _is_column_sum(statement.expr, shape):
        return Call(statement.target, "dot", (ONES, statement.expr.args[0]))
    return None


def _is_column_sum(expr: sp.Expr, shape) -> bool:
    """The sum over a batch of a named array's rows."""
    return (
        isinstance(expr, colsum)
        and isinstance(expr.args[0], sp.Symbol)
        and shape(expr.args[0])[:1] == (BATCH_SIZE,)
    )
