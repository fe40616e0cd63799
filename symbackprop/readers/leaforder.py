"""How both readers of Python code list a model's leaves: inputs, then targets, then
parameters, each group in the order the code met them."""

from __future__ import annotations

from collections.abc import Iterable

from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.model import Kind

LEAF_RANK = {Kind.INPUT: 0, Kind.TARGET: 1, Kind.PARAMETER: 2}


def declare_leaves(builder: ModelBuilder, leaves: Iterable[tuple[str, Kind, dict]]) -> None:
    """Declare ``leaves``, given in the order the code met them as (name, kind, options such
    as ``line`` or ``shape``), grouped by kind (a stable sort keeps the code's order)."""
    add = {
        Kind.INPUT: builder.input,
        Kind.TARGET: builder.target,
        Kind.PARAMETER: builder.parameter,
    }
    for name, kind, options in sorted(leaves, key=lambda leaf: LEAF_RANK[leaf[1]]):
        add[kind](name, **options)
