"""One statement of the fused training step, written into an array kept from the last step.

    delta_z1 = a1*delta_a1*(1 - a1)  becomes  delta_z1 = np.subtract(1.0, a1, out=reuse("delta_z1"))
                                              delta_z1 *= a1
                                              delta_z1 *= delta_a1
    a1 = sigmoid(z1)                 becomes  a1 = sigmoid(z1, out=z1)  (z1 read nowhere after)

A fresh array as large as a batch costs page faults on every step (the allocator hands freed
memory back to the system), which is why PyTorch keeps a caching allocator. The fused step does
the same in plain NumPy: each array-valued statement is evaluated with ``out=`` into the array
that the same statement filled on the previous step. ``reuse(name)`` is that array, or None on
the first step, when NumPy allocates it.

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

from symbackprop.ir.activations import sigmoid
from symbackprop.ir.arrays import T, colsum, dot

Shape = tuple
_UFUNCS = {
    sp.exp: "np.exp",
    sp.log: "np.log",
    sp.tanh: "np.tanh",
    sp.sin: "np.sin",
    sp.cos: "np.cos",
    sp.Abs: "np.abs",
    sp.sign: "np.sign",
    sigmoid: "sigmoid",  # the module's helper takes out= like a ufunc
}


_UFUNC_OF = {"*": "np.multiply", "/": "np.divide"}  # an in-place operator as a first write


class _Unsupported(Exception):
    """The expression leaves the grammar: the statement stays as ordinary code."""


class _Writer:
    """Collects the lines that leave one statement's value in its kept array."""

    def __init__(self, shape, code, taken: set[str], dead=frozenset(), whole=sp.S.Zero):
        self.shape, self.printed, self.taken = shape, code, taken
        self.dead, self.whole = dead, whole  # spent arrays; the whole statement's expression
        self.lines: list[str] = []
        self.arrays: list[str] = []
        self.homes: dict[str, str] = {}  # value -> the spent array it is written into

    def into(self, name: str, expr: sp.Expr) -> None:
        """Lines after which the array ``name`` holds ``expr``."""
        if name not in self.arrays and name not in self.homes:
            self.arrays.append(name)
        if isinstance(expr, dot) and all(map(_simple, expr.args)):
            left, right = (self.code(a) for a in expr.args)  # .dot: matmul's overhead is 3x
            self._first(name, f"{left}.dot({right}, {self._out(name)})")
        elif isinstance(expr, colsum) and _simple(expr.args[0]):
            self._first(name, f"{self.code(expr.args[0])}.sum(axis=0, {self._out(name)})")
        elif isinstance(expr, logaddexp) and expr.args[0] == 0:
            self._function(name, "np.logaddexp", expr.args[1], first_argument="0.0, ")
        elif type(expr) in _UFUNCS:
            self._function(name, _UFUNCS[type(expr)], expr.args[0])
        elif isinstance(expr, sp.Pow):
            self._power(name, expr)
        elif isinstance(expr, sp.Mul):
            self._product(name, expr)
        elif isinstance(expr, sp.Add):
            self._sum(name, expr)
        else:
            raise _Unsupported(expr)

    def code(self, expr: sp.Expr) -> str:
        """``expr`` as code; a number as a float (NumPy converts an int operand more slowly)."""
        if expr.is_number and expr.is_rational:
            return repr(float(expr))
        return self.printed(expr)

    def _out(self, name: str) -> str:
        return f"out={self.homes[name]}" if name in self.homes else f'out=reuse("{name}")'

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
        target = self.code(spent[0])
        self.homes[name] = target
        factors = [self._applied(name, e) for e in early]
        if not factors:  # the first computed factor is needed before the first product
            factors.append(("*", self._in_home(name, computed.pop(0), homes.pop(0))))
        operator, operand = factors.pop(0)
        self.lines.append(f"{name} = {_UFUNC_OF[operator]}({target}, {operand}, out={target})")
        for operator, operand in factors:  # simple factors before their arrays are reused
            self._in_place(name, operator, operand)
        for factor, home in zip(computed, homes, strict=True):
            self._in_place(name, "*", self._in_home(name, factor, home))
        if scalars:
            self._in_place(name, "*", self.code(sp.Mul(*scalars)))
        reused = list(dict.fromkeys([target, *self.homes.values()]))
        self.lines.insert(0, _spent_comment(reused, name))
        return True

    def _spent(self, expr: sp.Expr) -> bool:
        return isinstance(expr, sp.Symbol) and self.code(expr) in self.dead

    def _home(self, factor: sp.Expr, computed: list) -> str | None:
        """The spent array that can hold a computed factor: its only array operand, read once
        in it and in no other computed factor (simple factors are applied before)."""
        leaves = [s for s in factor.free_symbols if self.shape(s) != ()]
        if len(leaves) != 1:
            return None
        leaf = leaves[0]
        shared = any(other is not factor and other.has(leaf) for other in computed)
        fits = self.shape(leaf) == self.shape(factor) and factor.count(leaf) == 1
        return self.code(leaf) if self._spent(leaf) and fits and not shared else None

    def _in_home(self, name: str, factor: sp.Expr, home: str) -> str:
        """The lines that compute ``factor`` in the spent array ``home``; its name."""
        part = self._part_name(name)
        self.homes[part] = home
        self.into(part, factor)
        return part

    def _applied(self, name: str, factor: sp.Expr) -> tuple[str, str]:
        """(operator, operand) applying a factor in place: ``/ x`` for a factor ``1/x``."""
        if _simple_factor(factor) and not _simple(factor):
            return "/", self.code(_divided(factor))
        return "*", self._operand(name, factor)

    def _first(self, name: str, call: str) -> None:
        self.lines.append(f"{name} = {call}")

    def _in_place(self, name: str, operator: str, operand: str) -> None:
        self.lines.append(f"{name} {operator}= {operand}")

    def _function(self, name: str, function: str, argument: sp.Expr, first_argument=""):
        if _simple(argument):
            self._first(
                name, f"{function}({first_argument}{self.code(argument)}, {self._out(name)})"
            )
            return
        self.into(name, argument)
        self.lines.append(f"{function}({first_argument}{name}, out={name})")

    def _power(self, name: str, expr: sp.Pow) -> None:
        base, exponent = expr.args
        named = {-1: "np.reciprocal", sp.Rational(1, 2): "np.sqrt", 2: "np.square"}
        if exponent in named:
            self._function(name, named[exponent], base)
        elif exponent.is_number and _simple(base):
            self._first(
                name, f"np.power({self.code(base)}, {self.printed(exponent)}, {self._out(name)})"
            )
        elif exponent.is_number:
            self.into(name, base)
            self._in_place(name, "**", self.printed(exponent))
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
            ufunc = _UFUNC_OF[operator]
            self._first(name, f"{ufunc}({self.code(first)}, {operand}, {self._out(name)})")
        else:  # one array times scalars
            scale = self.code(sp.Mul(*scalars))
            self._first(name, f"np.multiply({self.code(first)}, {scale}, {self._out(name)})")
            return
        for factor in arrays:
            self._in_place(name, *self._applied(name, factor))
        if scalars:
            self._in_place(name, "*", self.code(sp.Mul(*scalars)))

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
                self.lines.append(f"np.negative({name}, out={name})")
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
        ufunc = "np.subtract" if first_negative != other_negative else "np.add"
        self._first(name, f"{ufunc}({self.code(a)}, {self.code(b)}, {self._out(name)})")
        if first_negative and other_negative:
            self.lines.append(f"np.negative({name}, out={name})")

    def _subtract_from(self, name: str, term: sp.Expr) -> None:
        if _is_negative(term):  # -(x) - y: negate, then subtract
            self.lines.append(f"np.negative({name}, out={name})")
            self._in_place(name, "-", self.code(-term))
        else:
            self.lines.append(f"np.subtract({self.code(term)}, {name}, out={name})")

    def _split(self, operands) -> tuple[list, list]:
        scalars = [a for a in operands if self.shape(a) == ()]
        return scalars, [a for a in operands if self.shape(a) != ()]

    def _largest(self, whole: sp.Expr, operands: list, prefer=lambda operand: True) -> sp.Expr:
        """The operand to write first: one of the result's own shape, computed ones first."""
        full = [a for a in operands if self.shape(a) == self.shape(whole)]
        if not full:
            raise _Unsupported(whole)
        return min(full, key=lambda a: (_simple(a), not prefer(a)))

    def _operand(self, name: str, operand: sp.Expr) -> str:
        """A name for an operand applied in place; a computed one gets its own kept array."""
        if _simple(operand) or self.shape(operand) == ():
            return self.code(operand)
        part = self._part_name(name)
        self.into(part, operand)
        return part

    def _part_name(self, name: str) -> str:
        """A fresh name for a part of ``name``'s value."""
        number = 1
        while f"{name}_part{number}" in self.taken | set(self.arrays) | set(self.homes):
            number += 1
        return f"{name}_part{number}"


def lower(
    target: str,
    expr: sp.Expr,
    shape: Callable[[sp.Expr], Shape],
    code: Callable[[sp.Expr], str],
    taken: set[str],
    dead: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]] | None:
    """The lines that leave ``expr`` in the kept array ``target``, and every array they keep
    (extra ones are named apart from ``taken``); None when the expression is outside the
    grammar. ``dead``: kept arrays nothing reads after this statement, which an activation
    or a product may write over."""
    writer = _Writer(shape, code, taken, dead, expr)
    if type(expr) in _UFUNCS and writer.code(expr.args[0]) in dead:
        # An activation of a value nothing reads again overwrites it: one array fewer.
        spent = writer.code(expr.args[0])
        function = _UFUNCS[type(expr)]
        return [
            _spent_comment([spent], target),
            f"{target} = {function}({spent}, out={spent})",
        ], []
    try:
        if not (isinstance(expr, sp.Mul) and writer.product_in_spent_arrays(target, expr)):
            writer.into(target, expr)
    except _Unsupported:
        return None
    return writer.lines, writer.arrays


def _spent_comment(spent: list[str], target: str) -> str:
    if len(spent) == 1:
        return f"# {spent[0]} is not needed again: {target} is computed in its array"
    return f"# {' and '.join(spent)} are not needed again: {target} is computed in their arrays"


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
