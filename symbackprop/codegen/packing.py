"""Matrix products that share an operand, made as one product (the JAX target's time loops).

XLA runs each matrix product in a loop's body as an operation of its own, and at a recurrent
cell's sizes it is their count, not their size, that sets the time of a step. A cell's gates
multiply one operand by weights of their own (``h_prev @ U_i``, ``h_prev @ U_f``, ...), so
the weights are set side by side once, before the loop (``U_ifgo``), and each step makes one
product, cut back into the gates' columns::

    h_prev_U_i, h_prev_U_f, h_prev_U_g, h_prev_U_o = jnp.split(h_prev @ U_ifgo, 4, axis=-1)

A backward pass's sum of products with transposed weights (``delta_i_pre @ U_i.T + ... +
delta_o_pre @ U_o.T``) is one product of the deltas side by side with the packed weights,
transposed. The formulas stay those derived: only the grouping of their products changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symbackprop.ir.ops import T, dot
from symbackprop.naming import identifier


@dataclass(frozen=True)
class Code:
    """A statement the packing writes itself: its code, and the names it reads."""

    text: str
    reads: frozenset[str]


Entry = tuple[str, sp.Expr | Code]  # target, and the formula or code assigned to it


class Packing:
    """Packs the products of one function's statements over ``weights`` ((name, shape)
    pairs, in the cell's order), spelled by ``module`` (``np`` or ``jnp``); the names it
    makes stay clear of ``taken``."""

    def __init__(
        self, weights: Sequence[tuple[str, tuple[int, ...]]], module: str, taken: set[str]
    ):
        self._taken = set(taken)
        self._order = {name: position for position, (name, _) in enumerate(weights)}
        self._columns = {name: shape[1] for name, shape in weights if len(shape) == 2}
        self._module = module
        self._packs: dict[tuple[str, ...], str] = {}  # weights side by side -> their name
        self._joined: dict[tuple[str, ...], str] = {}  # deltas side by side -> their name
        self._even: set[str] = set()  # the joined deltas of equal widths, which split evenly

    def packed_weights(self) -> list[Entry]:
        """Each pack's concatenation, to compute once before the loop that reads it."""
        return [(name, self._join(parts, "axis=1")) for parts, name in self._packs.items()]

    def shared_left(self, entries: list[Entry], name_of: Callable[[sp.Expr], str]) -> list[Entry]:
        """Products of one operand with several weights of equal width, as one product split
        into the weights' columns, before the first statement that reads any of them;
        ``name_of`` prints an operand as the code names it."""
        products: dict[sp.Expr, set[str]] = {}
        for _, value in entries:
            for product in _formula_atoms(value, dot):
                left, right = product.args
                if left.is_Symbol and right.is_Symbol and right.name in self._columns:
                    products.setdefault(left, set()).add(right.name)
        for left, rights in products.items():
            parts = self._ordered(rights)
            if len(parts) < 2 or len({self._columns[p] for p in parts}) > 1:
                continue
            operand = name_of(left)
            names = [self._fresh(f"{operand}_{identifier(p)}") for p in parts]
            pack = self._pack(parts)
            split = Code(
                f"{self._module}.split({operand} @ {pack}, {len(parts)}, axis=-1)",
                frozenset({identifier(left.name), pack}),
            )
            pairs = zip(parts, names, strict=True)
            swap = {dot(left, sp.Symbol(p)): sp.Symbol(n) for p, n in pairs}
            entries = _before_first(entries, swap, (", ".join(names), split))
        return entries

    def summed(self, entries: list[Entry]) -> list[Entry]:
        """Sums of products of deltas with transposed weights (``d_i @ U_i.T + d_f @ U_f.T``)
        as one product (``deltas_U_if @ U_if.T``), the deltas set side by side before the
        first statement that reads them."""
        made: list[Entry] = []
        result = []
        for target, value in entries:
            if isinstance(value, sp.Expr):
                value = value.replace(
                    lambda e: isinstance(e, sp.Add), lambda e: self._summed(e, made)
                )
            result += [*made, (target, value)]
            made.clear()
        return result

    def joined_rows(self, gradients: list[Entry], name_of: Callable[[sp.Expr], str]) -> list[Entry]:
        """Weight gradients that multiply one operand's rows by each delta of a set that a
        sum joined side by side (``x.T @ delta_i_pre``, ``x.T @ delta_f_pre``, ...) as one
        product with the set, joined again from the stacked rows, split into the gradients.
        (The time loop keeps each delta, not the set: joining them once after the loop is
        cheaper than keeping every step's join.)"""
        by_left: dict[sp.Expr, dict[str, str]] = {}  # operand -> {delta: gradient}
        for target, value in gradients:
            if isinstance(value, dot) and isinstance(value.args[0], T) and value.args[1].is_Symbol:
                by_left.setdefault(value.args[0], {})[identifier(value.args[1].name)] = target
        result, made = list(gradients), []
        for left, targets in by_left.items():
            for deltas, joined in self._joined.items():
                if joined not in self._even or not set(deltas) <= set(targets):
                    continue
                made += [] if joined in made else [joined]
                code = f"{self._module}.split({name_of(left)} @ {joined}, {len(deltas)}, axis=-1)"
                reads = frozenset({joined} | _reads(left))
                names = [targets.pop(d) for d in deltas]
                first = min(i for i, (t, _) in enumerate(result) if t in names)
                result = [e for e in result if e[0] not in names]
                result.insert(first, (", ".join(names), Code(code, reads)))
        return [(name, self._join(self._parts(name), "axis=-1")) for name in made] + result

    def _parts(self, joined: str) -> tuple[str, ...]:
        return next(deltas for deltas, name in self._joined.items() if name == joined)

    def _summed(self, total: sp.Add, made: list[Entry]) -> sp.Expr:
        by_weight, rest = {}, []
        for term in total.args:
            weight = _transposed_weight(term)
            if weight in self._columns and weight not in by_weight:
                by_weight[weight] = term.args[0]
            else:
                rest.append(term)
        if len(by_weight) < 2:
            return total
        parts = self._ordered(by_weight)
        pack = self._pack(parts)
        deltas = tuple(identifier(by_weight[p].name) for p in parts)
        if deltas not in self._joined:
            self._joined[deltas] = self._fresh(f"deltas_{pack}")
            if len({self._columns[p] for p in parts}) == 1:  # a delta is as wide as its weight
                self._even.add(self._joined[deltas])
            made.append((self._joined[deltas], self._join(deltas, "axis=-1")))
        return sp.Add(*rest, dot(sp.Symbol(self._joined[deltas]), T(sp.Symbol(pack))))

    def _ordered(self, weights) -> tuple[str, ...]:
        return tuple(sorted(weights, key=self._order.__getitem__))

    def _pack(self, parts: tuple[str, ...]) -> str:
        if parts not in self._packs:
            self._packs[parts] = self._fresh(_pack_name(parts))
        return self._packs[parts]

    def _fresh(self, name: str) -> str:
        """``name``, or ``name_2``... where the model already uses it."""
        fresh, count = name, 1
        while fresh in self._taken:
            count += 1
            fresh = f"{name}_{count}"
        self._taken.add(fresh)
        return fresh

    def _join(self, parts: Sequence[str], axis: str) -> Code:
        """``parts`` side by side: a concatenation along ``axis``."""
        return Code(f"{self._module}.concatenate([{', '.join(parts)}], {axis})", frozenset(parts))


def _pack_name(parts: tuple[str, ...]) -> str:
    """``U_ifgo`` for U_i, U_f, U_g and U_o; the names joined by ``_`` otherwise."""
    heads = {p.rpartition("_")[0] for p in parts}
    tails = [p.rpartition("_")[2] for p in parts]
    if len(heads) == 1 and "" not in heads and all(len(t) == 1 for t in tails):
        return f"{heads.pop()}_{''.join(tails)}"
    return "_".join(identifier(p) for p in parts)


def _transposed_weight(term: sp.Expr) -> str | None:
    """W's name when ``term`` is ``delta @ W.T`` (delta a name, W a name), else None."""
    if not isinstance(term, dot):
        return None
    left, right = term.args
    if left.is_Symbol and isinstance(right, T) and right.args[0].is_Symbol:
        return right.args[0].name
    return None


def _reads(value: sp.Expr | Code) -> set[str]:
    if isinstance(value, Code):
        return set(value.reads)
    return {identifier(symbol.name) for symbol in value.free_symbols}


def _formula_atoms(value, kind) -> set:
    return value.atoms(kind) if isinstance(value, sp.Expr) else set()


def _before_first(entries: list[Entry], swap: dict, made: Entry) -> list[Entry]:
    """``entries`` with ``swap`` made in their formulas, and ``made`` placed before the
    first one it changes."""
    result, placed = [], False
    for target, value in entries:
        if isinstance(value, sp.Expr) and any(value.has(old) for old in swap):
            value = value.xreplace(swap)
            if not placed:
                result.append(made)
                placed = True
        result.append((target, value))
    return result
