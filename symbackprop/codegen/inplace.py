"""One statement of the fused step, written into an array kept from the last step.

    # Assign -> [Call with out=, InPlace, Comment]: the same value, in arrays that already exist

    delta_z1 = a1*delta_a1*(1 - a1)  becomes  delta_z1 = np.subtract(1.0, a1, out=reuse("delta_z1"))
                                              delta_z1 *= a1
                                              delta_z1 *= delta_a1
    a1 = sigmoid(z1)                 becomes  a1 = sigmoid(z1, out=z1)  (z1 read nowhere after)

A fresh array as large as a batch costs page faults on every step (the allocator hands freed
memory back to the system), which is why PyTorch keeps a caching allocator. The fused step does
the same in plain NumPy: each array-valued statement is evaluated with ``out=`` into the array
that the same statement filled on the previous step (:class:`~.statements.Kept`; the NumPy
target spells it ``reuse(name)``: that array, or None on the first step, when NumPy
allocates it).

The value is built from its largest operand outwards: the operand whose shape is the result's
is written first, the rest are applied in place. An activation whose input nothing reads again
overwrites that input. Anything outside this small grammar (a ``np.where``, a softmax, an
operand that only broadcasts up to the result) is left as the ordinary statement: correct,
merely not buffered.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

from symbackprop.codegen.statements import Call, Comment, InPlace, Kept, Statement
from symbackprop.ir.activations import sigmoid
from symbackprop.ir.ops import T, colsum, dot

Shape = tuple
# Elementwise functions a Call computes into an array (a target spells each one).
_FUNCTIONS = {
    sp.exp: "exp",
    sp.log: "log",
    sp.tanh: "tanh",
    sp.sin: "sin",
    sp.cos: "cos",
    sp.Abs: "abs",
    sp.sign: "sign",
    sigmoid: "sigmoid",  # the module's helper takes out= like a ufunc
}


_FUNCTION_OF = {"*": "multiply", "/": "divide"}  # an in-place operator as a first write


class _Unsupported(Exception):
    """The expression leaves the grammar: the statement stays as ordinary code."""


class _Writer:
    """Collects the statements that leave one statement's value in its kept array."""

    def __init__(self, shape, taken: set[str], dead=frozenset(), whole=sp.S.Zero):
        self.shape, self.taken = shape, taken
        self.dead, self.whole = dead, whole  # spent arrays; the whole statement's expression
        self.statements: list[Statement] = []
        self.arrays: list[str] = []
        self.homes: dict[str, sp.Symbol] = {}  # value -> the spent array it is written into

    def into(self, name: str, expr: sp.Expr) -> None:
        """Statements after which the array ``name`` holds ``expr``."""
        if name not in self.arrays and name not in self.homes:
            self.arrays.append(name)
        if isinstance(expr, dot) and all(map(_simple, expr.args)):
            self._first(name, "dot", *expr.args)
        elif isinstance(expr, colsum) and _simple(expr.args[0]):
            self._first(name, "colsum", expr.args[0])
        elif isinstance(expr, logaddexp) and expr.args[0] == 0:
            self._function(name, "logaddexp", expr.args[1], first_argument=(sp.S.Zero,))
        elif type(expr) in _FUNCTIONS:
            self._function(name, _FUNCTIONS[type(expr)], expr.args[0])
        elif isinstance(expr, sp.Pow):
            self._power(name, expr)
        elif isinstance(expr, sp.Mul):
            self._product(name, expr)
        elif isinstance(expr, sp.Add):
            self._sum(name, expr)
        else:
            raise _Unsupported(expr)

    def _out(self, name: str) -> sp.Symbol | Kept:
        return self.homes[name] if name in self.homes else Kept(name)

    def product_in_spent_arrays(self, name: str, expr: sp.Mul) -> bool:
        """``delta_a1 * a1 * (1 - a1)`` with delta_a1 and a1 read nowhere after: written into
        delta_a1's array, and (1 - a1) into a1's, so no array is filled from cold memory.
        False (and nothing written) when the product does not have that form."""
        scalars, arrays = self._split(expr.args)
        spent = [
            a
            for a in arrays
            if self._spent(a) and self.whole.count(a) == 1 and self.shape(a) == self.shape(expr)
        ]
        if not spent:
            return False
        rest = list(arrays)
        rest.remove(spent[0])
        early = [a for a in rest if _simple_factor(a)]
        computed = [a for a in rest if a not in early]
        homes = [self._home(c, computed) for c in computed]
        if None in homes or not rest:
            return False
        target = spent[0]
        self.homes[name] = target
        factors = [self._applied(name, e) for e in early]
        if not factors:  # the first computed factor is needed before the first product
            factors.append(("*", self._in_home(name, computed.pop(0), homes.pop(0))))
        operator, operand = factors.pop(0)
        self._first(name, _FUNCTION_OF[operator], target, operand)
        for operator, operand in factors:  # simple factors before their arrays are reused
            self._in_place(name, operator, operand)
        for factor, home in zip(computed, homes, strict=True):
            self._in_place(name, "*", self._in_home(name, factor, home))
        if scalars:
            self._in_place(name, "*", sp.Mul(*scalars))
        reused = list(dict.fromkeys([target, *self.homes.values()]))
        self.statements.insert(0, _spent_comment(reused, name))
        return True

    def _spent(self, expr: sp.Expr) -> bool:
        return isinstance(expr, sp.Symbol) and expr in self.dead

    def _home(self, factor: sp.Expr, computed: list) -> sp.Symbol | None:
        """The spent array that can hold a computed factor: its only array operand, read once
        in it and in no other computed factor (simple factors are applied before)."""
        leaves = [s for s in factor.free_symbols if self.shape(s) != ()]
        if len(leaves) != 1:
            return None
        leaf = leaves[0]
        shared = any(other is not factor and other.has(leaf) for other in computed)
        fits = self.shape(leaf) == self.shape(factor) and factor.count(leaf) == 1
        return leaf if self._spent(leaf) and fits and not shared else None

    def _in_home(self, name: str, factor: sp.Expr, home: sp.Symbol) -> sp.Symbol:
        """The statements that compute ``factor`` in the spent array ``home``; its name."""
        part = self._part_name(name)
        self.homes[part] = home
        self.into(part, factor)
        return sp.Symbol(part)

    def _applied(self, name: str, factor: sp.Expr) -> tuple[str, sp.Expr]:
        """(operator, operand) applying a factor in place: ``/ x`` for a factor ``1/x``."""
        if _simple_factor(factor) and not _simple(factor):
            return "/", _divided(factor)
        return "*", self._operand(name, factor)

    def _first(self, name: str, function: str, *operands: sp.Expr) -> None:
        """``name = function(*operands)`` into the array ``name`` lives in."""
        self.statements.append(Call(sp.Symbol(name), function, operands, self._out(name)))

    def _in_place(self, name: str, operator: str, operand: sp.Expr) -> None:
        self.statements.append(InPlace(sp.Symbol(name), operator, operand))

    def _applied_to_itself(self, name: str, function: str, *first_operands: sp.Expr) -> None:
        """``function(name, out=name)``: the array ``name`` holds the result."""
        array = sp.Symbol(name)
        self.statements.append(Call(None, function, (*first_operands, array), array))

    def _function(self, name: str, function: str, argument: sp.Expr, first_argument=()):
        if _simple(argument):
            self._first(name, function, *first_argument, argument)
            return
        self.into(name, argument)
        self._applied_to_itself(name, function, *first_argument)

    def _power(self, name: str, expr: sp.Pow) -> None:
        base, exponent = expr.args
        named = {-1: "reciprocal", sp.Rational(1, 2): "sqrt", 2: "square"}
        if exponent in named:
            self._function(name, named[exponent], base)
        elif exponent.is_number and _simple(base):
            self._first(name, "power", base, exponent)
        elif exponent.is_number:
            self.into(name, base)
            self._in_place(name, "**", exponent)
        else:
            raise _Unsupported(expr)

    def _product(self, name: str, expr: sp.Mul) -> None:
        scalars, arrays = self._split(expr.args)
        first = self._largest(expr, arrays)
        arrays.remove(first)
        if not _simple(first):
            self.into(name, first)
        elif arrays:
            operator, operand = self._applied(name, arrays.pop(0))
            self._first(name, _FUNCTION_OF[operator], first, operand)
        else:  # one array times scalars
            self._first(name, "multiply", first, sp.Mul(*scalars))
            return
        for factor in arrays:
            self._in_place(name, *self._applied(name, factor))
        if scalars:
            self._in_place(name, "*", sp.Mul(*scalars))

    def _sum(self, name: str, expr: sp.Add) -> None:
        scalars, arrays = self._split(expr.args)
        first = self._largest(expr, arrays, prefer=lambda t: not t.could_extract_minus_sign())
        arrays.remove(first)
        negated = first.could_extract_minus_sign()
        magnitude = -first if negated else first
        rest = arrays + ([sp.Add(*scalars)] if scalars else [])
        if not _simple(magnitude):
            self.into(name, magnitude)
            if negated and len(rest) == 1 and _simple_term(rest[0]):
                self._subtract_from(name, rest.pop())
            elif negated:
                self._applied_to_itself(name, "negative")
        elif rest and _simple_term(rest[0]):
            self._simple_pair(name, first, rest.pop(0))
        else:
            raise _Unsupported(expr)
        for term in rest:
            operator, magnitude = ("-", -term) if _is_negative(term) else ("+", term)
            self._in_place(name, operator, self._operand(name, magnitude))

    def _simple_pair(self, name: str, first: sp.Expr, other: sp.Expr) -> None:
        """``±a ± b`` of two names or numbers, as one ufunc (and a negation for ``-a - b``)."""
        (first_negative, a), (other_negative, b) = _signed(first), _signed(other)
        if first_negative and not other_negative:
            a, b = b, a
        self._first(name, "subtract" if first_negative != other_negative else "add", a, b)
        if first_negative and other_negative:
            self._applied_to_itself(name, "negative")

    def _subtract_from(self, name: str, term: sp.Expr) -> None:
        if _is_negative(term):  # -(x) - y: negate, then subtract
            self._applied_to_itself(name, "negative")
            self._in_place(name, "-", -term)
        else:
            self._applied_to_itself(name, "subtract", term)

    def _split(self, operands) -> tuple[list, list]:
        scalars = [a for a in operands if self.shape(a) == ()]
        return scalars, [a for a in operands if self.shape(a) != ()]

    def _largest(self, whole: sp.Expr, operands: list, prefer=lambda operand: True) -> sp.Expr:
        """The operand to write first: one of the result's own shape, computed ones first."""
        full = [a for a in operands if self.shape(a) == self.shape(whole)]
        if not full:
            raise _Unsupported(whole)
        return min(full, key=lambda a: (_simple(a), not prefer(a)))

    def _operand(self, name: str, operand: sp.Expr) -> sp.Expr:
        """An operand applied in place; a computed one gets its own kept array."""
        if _simple(operand) or self.shape(operand) == ():
            return operand
        part = self._part_name(name)
        self.into(part, operand)
        return sp.Symbol(part)

    def _part_name(self, name: str) -> str:
        """A fresh name for a part of ``name``'s value."""
        number = 1
        while f"{name}_part{number}" in self.taken | set(self.arrays) | set(self.homes):
            number += 1
        return f"{name}_part{number}"


def lower(
    target: sp.Symbol,
    expr: sp.Expr,
    shape: Callable[[sp.Expr], Shape],
    taken: set[str],
    dead: frozenset[sp.Symbol] = frozenset(),
) -> tuple[list[Statement], list[str]] | None:
    """The statements that leave ``expr`` in the kept array ``target``, and every array they
    keep (extra ones are named apart from ``taken``); None when the expression is outside the
    grammar. ``dead``: kept arrays nothing reads after this statement, which an activation
    or a product may write over."""
    writer = _Writer(shape, taken, dead, expr)
    if type(expr) in _FUNCTIONS and expr.args[0] in dead:
        # An activation of a value nothing reads again overwrites it: one array fewer.
        spent = expr.args[0]
        call = Call(target, _FUNCTIONS[type(expr)], (spent,), spent)
        return [_spent_comment([spent], target.name), call], []
    try:
        if not (isinstance(expr, sp.Mul) and writer.product_in_spent_arrays(target.name, expr)):
            writer.into(target.name, expr)
    except _Unsupported:
        return None
    return writer.statements, writer.arrays


def _spent_comment(spent: list[sp.Symbol], target: str) -> Comment:
    names = [s.name for s in spent]
    if len(names) == 1:
        return Comment(f"{names[0]} is not needed again: {target} is computed in its array")
    return Comment(
        f"{' and '.join(names)} are not needed again: {target} is computed in their arrays"
    )


def _simple(expr: sp.Expr) -> bool:
    """A name NumPy can read as it is: a symbol or its transpose."""
    return isinstance(expr, sp.Symbol) or (
        isinstance(expr, T) and isinstance(expr.args[0], sp.Symbol)
    )


def _simple_term(expr: sp.Expr) -> bool:
    magnitude = -expr if _is_negative(expr) else expr
    return _simple(magnitude) or magnitude.is_number


def _signed(expr: sp.Expr) -> tuple[bool, sp.Expr]:
    """(whether ``expr`` is negated, its magnitude)."""
    return (True, -expr) if _is_negative(expr) else (False, expr)


def _is_negative(expr: sp.Expr) -> bool:
    return expr.could_extract_minus_sign()


def _simple_factor(expr: sp.Expr) -> bool:
    """A name, or one over a name: applied in place without computing anything first."""
    divisor = _divided(expr)
    return _simple(expr) or (divisor is not None and _simple(divisor))


def _divided(expr: sp.Expr) -> sp.Expr | None:
    """``x`` for a factor ``1/x``."""
    if isinstance(expr, sp.Pow) and expr.exp == -1:
        return expr.base
    return None
