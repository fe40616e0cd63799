"""The statements of a generated function, as data: what each writes and reads, and how.

    # Derivation -> [Assign] -> passes (fused step, memory reuse) -> formatter -> text

A statement holds SymPy expressions, never printed code: what it reads is the free symbols of
its expressions, so ``a`` is never mistaken for ``a1``, and a target prints it as it likes.
(Each statement works its reads out once: a frozen dataclass caches them.) A symbol that is
an element of an array (``w[4]`` in scalar mode) is read through that array:
:class:`Variables` says which variable of the code holds each symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from symbackprop.naming import identifier


class zeros_like(sp.Function):  # noqa: N801 - printed names follow the array libraries
    """An array of zeros of the shape of its argument."""

    nargs = 1


class row_count(sp.Function):  # noqa: N801
    """The number of rows of an array: the batch size of a batch of samples."""

    nargs = 1


@dataclass(frozen=True)
class Assign:
    """``target = expr``."""

    target: sp.Symbol
    expr: sp.Expr

    def __post_init__(self):
        object.__setattr__(self, "expr", sp.sympify(self.expr))

    @cached_property
    def reads(self) -> frozenset[sp.Symbol]:
        return frozenset(self.expr.free_symbols)

    @cached_property
    def writes(self) -> frozenset[sp.Symbol]:
        return frozenset({self.target})


@dataclass(frozen=True)
class InPlace:
    """``target <operator>= operand``: ``delta_z1 *= a1``."""

    target: sp.Symbol
    operator: str  # "+", "-", "*", "/" or "**"
    operand: sp.Expr

    def __post_init__(self):
        object.__setattr__(self, "operand", sp.sympify(self.operand))

    @cached_property
    def reads(self) -> frozenset[sp.Symbol]:
        return frozenset({self.target}) | self.operand.free_symbols

    @cached_property
    def writes(self) -> frozenset[sp.Symbol]:
        return frozenset({self.target})


@dataclass(frozen=True)
class Kept:
    """The array that the same statement filled on the previous step, None on the first."""

    name: str


@dataclass(frozen=True)
class Call:
    """``target = function(*operands, out=out)``: one elementwise function, a product or a
    column sum, computed into ``out`` (a kept array, a spent one, or None for a new one).
    Without a target the result is left in ``out`` under that array's own name.

    ``function`` names the operation, not its spelling: "multiply", "subtract", "tanh",
    "dot", "colsum"...; a target's printer spells it.
    """

    target: sp.Symbol | None
    function: str
    operands: tuple[sp.Expr, ...]
    out: Kept | sp.Symbol | None = None

    def __post_init__(self):
        object.__setattr__(self, "operands", tuple(map(sp.sympify, self.operands)))

    @cached_property
    def reads(self) -> frozenset[sp.Symbol]:
        return frozenset().union(*(operand.free_symbols for operand in self.operands))

    @cached_property
    def writes(self) -> frozenset[sp.Symbol]:
        written = {self.target, self.out if isinstance(self.out, sp.Symbol) else None}
        return frozenset(written - {None})


@dataclass(frozen=True)
class Update:
    """One step of gradient descent on a parameter: ``parameter -= step``, in place. It
    changes the parameter where the caller holds it (``params``) and reads only the step: a
    function binds a parameter to a local name only where a statement reads it."""

    parameter: sp.Symbol
    step: sp.Symbol

    @cached_property
    def reads(self) -> frozenset[sp.Symbol]:
        return frozenset({self.step})

    @cached_property
    def writes(self) -> frozenset[sp.Symbol]:
        return frozenset({self.parameter})


@dataclass(frozen=True)
class Comment:
    """A comment line, wrapped at the line limit."""

    text: str
    reads = frozenset()
    writes = frozenset()


Statement = Assign | InPlace | Call | Update | Comment


@dataclass(frozen=True)
class Variables:
    """Which variable of the generated code holds each symbol: an element of an array
    (``w[4]``, held by ``w``) is listed in ``arrays``; any other symbol is a variable of its
    own name (``layer_1[0]`` is ``layer_1_0``)."""

    arrays: Mapping[str, str] = field(default_factory=dict)  # element's name -> array's

    def of(self, symbol: sp.Symbol) -> str:
        return self.arrays.get(symbol.name) or identifier(symbol.name)

    def read(self, statement: Statement) -> frozenset[str]:
        return frozenset(map(self.of, statement.reads))

    def written(self, statement: Statement) -> frozenset[str]:
        return frozenset(map(self.of, statement.writes))

    def used(self, statement: Statement) -> frozenset[str]:
        """What ``statement`` reads or writes."""
        return self.read(statement) | self.written(statement)

    def read_by(self, statements: Iterable[Statement]) -> set[str]:
        return set().union(*(self.read(s) for s in statements))
