"""Why a formula is wrong: hypotheses about the mistake, each confirmed by evaluation.

Order matters: the cheap and certain ones first. Shapes (a transposed result, or a broadcast
that only fits when two dimensions coincide, in :mod:`~symbackprop.check.shapes`); a constant
ratio (sign, scale); the ratio expected/got with intermediates kept as symbols being a factor
of the correct formula (missing) or one over a factor (extra); an activation's derivative
replaced by another's or taken at the wrong value; a factor dropped inside a matrix product; a
symbol used in place of another, or two swapped; one factor written as another. A hypothesis
is accepted only when it reproduces the wrong formula's values at every trial point.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from symbackprop.check.blend import SWAPPED
from symbackprop.check.derivatives import (
    activation_derivative,
    activation_nodes,
    extra_factor,
    missing_factor,
    replaced_in_products,
)
from symbackprop.check.numeric import as_number, difference, elementwise_ratio
from symbackprop.check.probe import Diagnosis, Probe
from symbackprop.check.reductions import reduction_axis
from symbackprop.check.shapes import shape_problem, transposed_operand
from symbackprop.check.subject import Subject
from symbackprop.check.swaps import ExpectedIn, swapped_blend
from symbackprop.ir.activations import Activation
from symbackprop.ir.evaluate import DIGITS
from symbackprop.limits import tree_size_at_most

KINDS = (
    "missing factor",
    "extra factor",
    "sign",
    "constant scale",
    "transposed",
    "shape or broadcast",
    "wrong activation derivative",
    "wrong axis",
    SWAPPED,
    "read after its update",
    "other",
)
MAX_SYMBOLIC_OPS = 400
MAX_SUBSTITUTIONS = 300
MAX_DEGREE = 12
MAX_RATIO_OPS = 12  # a longer ratio explains nothing to a reader
MAX_CANCEL_OPS = 80
_TRANSCENDENTAL = (sp.exp, sp.log, sp.tanh, sp.sin, sp.cos, sp.Piecewise, Activation)

__all__ = ["KINDS", "Diagnosis", "Probe", "diagnose", "symbolic_size_ok", "tree_size_at_most"]


def diagnose(
    subject: Subject,
    expected: sp.Expr,
    got: sp.Expr,
    probe: Probe,
    expected_in: ExpectedIn | None = None,
) -> Diagnosis:
    """The most specific explanation of ``got`` differing from ``expected``; ``expected_in``
    gives what the formula claims under another derivation, to try variants of the model."""
    if got.is_number and got != 0 and not subject.expanded(expected).is_number:
        # ``W -= lr``: the step is the learning rate alone, its gradient left out
        return Diagnosis(
            "missing factor",
            "missing factor: the gradient itself; the step is a number (the rate alone)",
        )
    shape = shape_problem(subject, expected, got, probe)
    if shape is not None and shape.kind != "transposed":
        operand = transposed_operand(subject, expected, got, probe)
        if operand is not None:  # the shapes say where it breaks, or which sizes hide it
            detail = shape.message.removeprefix(f"{shape.kind}: ")
            return replace(operand, message=f"{operand.message} ({detail})")
        shape = reduction_axis(subject, expected, probe) or shape
    if shape is not None:
        return shape
    if not probe.evaluable:
        return Diagnosis(
            "other",
            "other: the formula is undefined (a division by zero) at a "
            "point where the correct one is not",
        )
    swapped = None if expected_in is None else swapped_blend(subject, probe, expected_in)
    if swapped is not None:
        return swapped
    full_expected = subject.expanded(expected)
    hypotheses = (
        _constant_ratio,
        _dimension_scale,
        _missing_or_extra,
        activation_derivative,
        _missing_inside,
        _substitution,
        _replaced_factor,
    )
    for hypothesis in hypotheses:
        found = hypothesis(subject, full_expected, got, probe)
        if found is not None:
            return found
    return Diagnosis("other", "other: no simple relation to the correct formula was found")


# -- ratios ------------------------------------------------------------------------------------
def _constant_ratio(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    ratio = None
    for trial, value in zip(subject.trials, probe.values, strict=True):
        here = elementwise_ratio(trial.evaluate(expected), value)
        if here is None or (ratio is not None and difference(ratio, here) is not None):
            return None
        ratio = here
    number = as_number(ratio)
    if number == -1:
        return Diagnosis("sign", "sign: the correct value is minus this", factor=sp.Integer(-1))
    return _scale(number, probe)


def _dimension_scale(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """A scale made of a size or a scalar input, the same for every element of one point: a
    mean's 1/N left out or doubled, a learning rate applied twice."""
    if not subject.is_vector or not probe.evaluable:
        return None
    ratios = []
    for trial, value in zip(subject.trials, probe.values, strict=True):
        ratios.append(elementwise_ratio(trial.evaluate(expected), value))
        if ratios[-1] is None:
            return None
    drawn = list(_drawn_scalars(subject, got))
    for symbol, values in [*_scalars(subject), *drawn]:
        for power in (-1, 1, -2, 2):
            with mpmath.workdps(DIGITS):  # a drawn rate is an mpf: divide at full precision
                scaled = [r / v**power for r, v in zip(ratios, values, strict=True)]
            if all(difference(scaled[0], here) is None for here in scaled[1:]):
                # a number the model lacks (a rate inside a gradient) is an extra factor
                extra = power < 0 if any(symbol is s for s, _ in drawn) else None
                return _scale(as_number(scaled[0]) * symbol**power, probe, extra)
    return None


def _scalars(subject: Subject):
    """Sizes and scalar inputs, each with its value at every trial."""
    for symbol in subject.trials[0].sizes:
        yield symbol, [trial.sizes[symbol] for trial in subject.trials]
    for node in subject.model.nodes:
        if node.kind.is_leaf and not subject.shape_of(node.symbol):
            yield node.symbol, [trial.env[node.symbol] for trial in subject.trials]


def _drawn_scalars(subject: Subject, got: sp.Expr):
    """Numbers the formula uses that the model does not (a learning rate inside a gradient),
    each with the value every trial drew for it."""
    names = {node.name for node in subject.model.nodes}
    for symbol in sorted(got.free_symbols, key=str):
        if symbol.name not in names and all(symbol in t.env for t in subject.trials):
            values = [t.env[symbol] for t in subject.trials]
            if not any(isinstance(v, np.ndarray) for v in values):
                yield symbol, values


def _scale(ratio: sp.Expr, probe: Probe, extra: bool | None = None) -> Diagnosis:
    """A constant scale, with the factor named: missing (1/m, 2) or extra (the 2 of 2*(a - y)
    where the loss has no square's 2 to cancel; ``extra`` says so where the caller knows)."""
    if extra is None:
        top = sp.fraction(ratio)[0]
        extra = abs(ratio) < 1 if ratio.is_number else bool(top.free_symbols)
    what = (
        f"extra factor {probe.text(1 / ratio)}" if extra else f"missing factor {probe.text(ratio)}"
    )
    return Diagnosis(
        "constant scale",
        f"constant scale: {what} (the correct value is {probe.text(ratio)} times this)",
        factor=ratio,
    )


def _missing_or_extra(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """The ratio expected/got is a factor of the correct formula, or one over a factor."""
    ratio = _cached_ratio(probe, expected, got)
    if ratio is None or ratio == 1 or sp.count_ops(ratio) > MAX_RATIO_OPS:
        return None
    top, bottom = sp.fraction(ratio)
    if _contains(_factors(expected), _factors(ratio)):
        return missing_factor(subject, probe, ratio)
    if top in (1, -1):  # -1/(A2*(A2 - 1)) is one over A2*(1 - A2)
        extra = bottom if top == 1 else sp.factor_terms(sp.expand(-bottom))
        return extra_factor(subject, probe, extra)
    return None


def _replaced_factor(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """One factor of the correct formula written as another."""
    ratio = _cached_ratio(probe, expected, got)
    if ratio is None or sp.count_ops(ratio) > MAX_RATIO_OPS:
        return None
    top, bottom = sp.fraction(ratio)
    if _contains(_factors(expected), _factors(top)):
        return Diagnosis(
            "other",
            f"other: {probe.text(bottom)} where {probe.text(top)} belongs",
            factor=top,
            written=bottom,
        )
    return None


def symbolic_size_ok(*exprs: sp.Expr) -> bool:
    """Small enough for ``cancel``: few operations and low degrees ((x + 1)**1000 would be
    expanded into a thousand terms)."""
    if not tree_size_at_most(2 * MAX_SYMBOLIC_OPS, *exprs):
        return False
    powers = (p.exp for e in exprs for p in e.atoms(sp.Pow))
    return all(not p.is_Number or abs(p) <= MAX_DEGREE for p in powers)


def _cached_ratio(probe: Probe, expected, got) -> sp.Expr | None:
    key = ("ratio", expected, got)
    if key not in probe.cache:
        probe.cache[key] = _ratio(probe.subject, expected, got)
    return probe.cache[key]


def _ratio(subject: Subject, expected, got) -> sp.Expr | None:
    """expected/got, with intermediates kept as symbols: common factors struck out, and, where
    the expressions are small rational functions, cancelled (in node names and in leaves)."""
    got = _in_node_names(subject, subject.expanded(got))
    if not symbolic_size_ok(expected, got):
        return None
    candidates = [_factor_ratio(expected, got)]
    if _cancellable(expected, got):
        candidates.append(sp.factor_terms(sp.cancel(expected / got)))
    if not subject.is_vector:
        leaves = subject.in_leaves(expected), subject.in_leaves(got)
        if None not in leaves and _cancellable(*leaves):
            candidates.append(sp.factor_terms(sp.cancel(leaves[0] / leaves[1])))
    return min(candidates, key=sp.count_ops)


def _factor_ratio(expected: sp.Expr, got: sp.Expr) -> sp.Expr:
    top, bottom = _factors(expected), _factors(got)
    for factor in list(top):
        if factor in bottom:
            top.remove(factor)
            bottom.remove(factor)
    return sp.factor_terms(sp.Mul(*top) / sp.Mul(*bottom))


def _cancellable(*exprs: sp.Expr) -> bool:
    """Whether ``cancel`` is cheap here: small rational functions (its gcds over exp terms or
    many generators can take seconds)."""
    if not tree_size_at_most(2 * MAX_CANCEL_OPS, *exprs) or not symbolic_size_ok(*exprs):
        return False
    return not any(e.has(*_TRANSCENDENTAL) for e in exprs)


def _in_node_names(subject: Subject, expr: sp.Expr) -> sp.Expr:
    """Recognise forward nodes written out (``w*x`` is ``y_hat``), so ratios stay short."""
    if not symbolic_size_ok(expr):
        return expr
    for node in subject.model.defined:
        if node.expr.free_symbols <= expr.free_symbols and not node.expr.is_Symbol:
            replaced = expr.subs(node.expr, node.symbol)
            expr = expr if replaced == expr else sp.factor_terms(replaced)
    return expr


def _factors(expr: sp.Expr) -> list[sp.Expr]:
    """The multiplicative factors, with integer powers repeated (x**2 is x, x)."""
    return list(_cached_factors(expr))


@lru_cache(maxsize=256)
def _cached_factors(expr: sp.Expr) -> tuple[sp.Expr, ...]:
    result = []
    for factor in sp.Mul.make_args(sp.factor_terms(expr)):
        base, power = factor.as_base_exp()
        if power.is_Integer and power > 0 and not factor.is_Number:
            result += [base] * int(power)
        else:
            result.append(factor)
    return tuple(result)


def _contains(whole: list, part: list) -> bool:
    remaining = list(whole)
    for factor in part:
        if factor.is_Number:
            continue
        match = next((f for f in remaining if f == factor or sp.expand(f - factor) == 0), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def _missing_inside(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """A factor dropped from a product, also one nested in a matrix product."""
    groups = [list(sp.Mul.make_args(d.derivative)) for d in activation_nodes(subject, expected)]
    for product in sp.preorder_traversal(expected):
        if not isinstance(product, sp.Mul):
            continue
        singles = [[f] for f in product.args if not f.is_Number]
        for old in groups + singles:
            for variant in replaced_in_products(expected, old, sp.S.One):
                if probe.matches(variant):
                    return missing_factor(subject, probe, sp.Mul(*old))
    return None


# -- swapped or substituted symbols ------------------------------------------------------------
def _substitution(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """A symbol written in place of another, or two swapped; in node names, then in leaves
    (``2*(w*y - x)*y`` swaps x and y only once ``s`` is written out as ``w*x - y``)."""
    forms = [expected]
    in_leaves = subject.in_leaves(expected)
    if in_leaves not in (None, expected) and tree_size_at_most(2 * MAX_SYMBOLIC_OPS, in_leaves):
        forms.append(in_leaves)
    pool = [n.symbol for n in subject.model.nodes if n.symbol not in subject.hidden]
    budget = MAX_SUBSTITUTIONS
    for form in forms:
        used = sorted(form.free_symbols, key=str)
        for u, v in _pairs(subject, used, pool):
            budget -= 1
            if budget < 0:
                return None
            if v in used and probe.matches(form, {u: v, v: u}):
                return Diagnosis("other", f"other: {u} and {v} are swapped", factor=u, written=v)
            if probe.matches(form, {u: v}):
                return Diagnosis("other", f"other: {v} where {u} belongs", factor=u, written=v)
    return None


def _pairs(subject: Subject, used: list, pool: list):
    shapes = subject.shapes
    for u in used:
        for v in sorted(pool, key=lambda s: _distance(u.name, s.name)):
            if v != u and shapes.get(v.name, ()) == shapes.get(u.name, ()):
                yield u, v


def _distance(a: str, b: str) -> tuple:
    common = len(_common_prefix(a, b))
    return (-common, abs(len(a) - len(b)), b)


def _common_prefix(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return a[:i]
    return a[: min(len(a), len(b))]
