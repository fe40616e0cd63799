"""Why a formula is wrong: hypotheses about the mistake, each confirmed by evaluation.

Order matters: the cheap and certain ones first. Shapes (a transposed result, or a broadcast
that only fits when two dimensions coincide); a constant ratio (sign, scale); an activation's
derivative replaced by another's or taken at the wrong value; the symbolic ratio expected/got
with intermediates kept as symbols (a missing or an extra factor, or one factor in place of
another); a symbol used in place of another, or two swapped. Every hypothesis is accepted only
when it reproduces the wrong formula's values at every trial point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import sympy as sp

from symbackprop.check.dims import DimSpace
from symbackprop.check.numeric import EvaluationError, difference, to_mp
from symbackprop.check.present import formula_text
from symbackprop.check.subject import Subject
from symbackprop.derive.local import output_form, split_outer
from symbackprop.errors import ShapeError, SymbackpropError
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.arrays import T, dot, show_shape

KINDS = (
    "missing factor",
    "extra factor",
    "sign",
    "constant scale",
    "transposed",
    "shape or broadcast",
    "wrong activation derivative",
    "other",
)
MAX_SYMBOLIC_OPS = 400
MAX_SUBSTITUTIONS = 300
MAX_RATIO_OPS = 12  # a longer ratio explains nothing to a reader


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    message: str
    factor: sp.Expr | None = None  # the offending factor (missing, extra, replaced)
    written: sp.Expr | None = None  # what the formula has in its place


class Probe:
    """The wrong formula's value at every trial, to test hypotheses against."""

    def __init__(self, subject: Subject, got: sp.Expr, names: dict | None = None):
        self.subject = subject
        self.names = names or {}
        self.values = []
        for trial in subject.trials:
            try:
                self.values.append(trial.evaluate(got))
            except EvaluationError as error:
                self.values.append(error)

    def text(self, expr: sp.Expr) -> str:
        """``expr`` printed in the user's names."""
        return formula_text(self.subject, expr, self.names)

    @property
    def evaluable(self) -> bool:
        return not any(isinstance(v, EvaluationError) for v in self.values)

    def matches(self, expr: sp.Expr, swap: dict | None = None) -> bool:
        """Whether ``expr`` (with symbols' values swapped as given) reproduces the formula."""
        for trial, got in zip(self.subject.trials, self.values, strict=True):
            overrides = {old: trial.env[new] for old, new in swap.items()} if swap else None
            try:
                value = trial.evaluate(expr, overrides)
            except (EvaluationError, SymbackpropError, TypeError):
                return False
            if difference(value, got) is not None:
                return False
        return True


def diagnose(subject: Subject, expected: sp.Expr, got: sp.Expr, probe: Probe) -> Diagnosis:
    """The most specific explanation of ``got`` differing from ``expected``."""
    shape = _shape_problem(subject, expected, got, probe)
    if shape is not None:
        return shape
    if not probe.evaluable:
        return Diagnosis("other", "other: the formula is undefined (a division by zero) at a "
                         "point where the correct one is not")
    full_expected = subject.expanded(expected)
    hypotheses = (_constant_ratio, _activation_derivative, _symbolic_ratio, _missing_inside,
                  _substitution)
    for hypothesis in hypotheses:
        found = hypothesis(subject, full_expected, got, probe)
        if found is not None:
            return found
    return Diagnosis("other", "other: no simple relation to the correct formula was found")


# -- shapes ------------------------------------------------------------------------------------
def _shape_problem(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    errors = [v for v in probe.values if isinstance(v, EvaluationError) and v.shape_problem]
    if not subject.is_vector:
        return None
    mismatched = errors or any(
        not isinstance(v, EvaluationError) and difference(v, trial.evaluate(expected)) is not None
        and _shape(v) != _shape(trial.evaluate(expected))
        for trial, v in zip(subject.trials, probe.values, strict=True)
    )
    if not mismatched:
        return None
    if not errors and probe.matches(T(expected)):
        return Diagnosis("transposed", "transposed: the right values in transposed shape (the "
                         "formula computes the transpose of the correct one)", written=T(expected))
    return Diagnosis("shape or broadcast",
                     "shape or broadcast: " + _shape_message(probe, expected, got, errors))


def _shape(value) -> tuple:
    return tuple(getattr(value, "shape", ()))


def _shape_message(probe: Probe, expected, got, errors) -> str:
    subject = probe.subject
    space = subject.space.copy(frozen=True)
    want = space.shape(expected, subject.shapes)
    try:
        have = space.shape(got, subject.shapes)
        message = f"it has shape {show_shape(have)}, the correct value {show_shape(want)}"
    except ShapeError as error:
        message = _failing_part(probe, space, got) or error.message
    coincidences = _coincidences(subject, got, want)
    if coincidences:
        message += "; it only fits when " + " or ".join(coincidences)
    elif errors:
        message += f" (NumPy: {errors[0]})"
    return message


def _failing_part(probe: Probe, space: DimSpace, expr: sp.Expr) -> str | None:
    """The innermost operation whose operands do not fit, with each operand's shape."""
    subject = probe.subject
    for arg in expr.args:
        inner = _failing_part(probe, space, arg)
        if inner is not None:
            return inner
    try:
        space.shape(expr, subject.shapes)
        return None
    except ShapeError:
        pass
    parts = []
    for arg in _operands(subject, space, expr):
        try:
            shaped = show_shape(space.shape(arg, subject.shapes))
        except ShapeError:
            continue
        parts.append(f"{probe.text(arg)} {shaped}")
    joiner = " @ " if isinstance(expr, dot) else " and "
    what = "cannot be multiplied" if isinstance(expr, dot) else "do not broadcast together"
    return f"{joiner.join(parts)} {what}"


def _operands(subject: Subject, space: DimSpace, expr: sp.Expr) -> list[sp.Expr]:
    """A product's operands, the elementwise factors of one shape grouped into one."""
    if not isinstance(expr, sp.Mul):
        return list(expr.args)
    groups: dict[tuple, list] = {}
    for factor in expr.args:
        if factor.is_Number:
            continue
        try:
            key = space.shape(factor, subject.shapes)
        except ShapeError:
            key = (factor,)
        groups.setdefault(key, []).append(factor)
    return [sp.Mul(*factors) for factors in groups.values()]


def _coincidences(subject: Subject, got, want) -> list[str]:
    """Pairs of dimensions whose equality makes the formula fit (as the seed's 4 and 4 do)."""
    space: DimSpace = subject.space
    roots = space.roots(subject.shapes.values())
    found = []
    for a, b in combinations(roots, 2):
        trial = space.copy(frozen=False)
        trial.named.clear()  # here any two may be equated, to see which equality helps
        trial.written.clear()
        trial.unify(b, a)
        trial.frozen = True
        try:
            if trial.shape(got, subject.shapes) == trial.resolve_shape(want):
                found.append(_equality(space, a, b))
        except ShapeError:
            continue
    return found


def _equality(space: DimSpace, a: sp.Symbol, b: sp.Symbol) -> str:
    text = f"{a} == {b}"
    written = space.written.get(a), space.written.get(b)
    if written[0] is not None and written[0] == written[1]:
        text += f" (as written, both are {written[0]}, which hides the bug there)"
    return text


# -- ratios ------------------------------------------------------------------------------------
def _constant_ratio(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    ratio = None
    for trial, value in zip(subject.trials, probe.values, strict=True):
        here = _elementwise_ratio(trial.evaluate(expected), value)
        if here is None or (ratio is not None and difference(ratio, here) is not None):
            return None
        ratio = here
    number = _as_number(ratio)
    if number == -1:
        return Diagnosis("sign", "sign: the correct value is minus this", factor=sp.Integer(-1))
    return Diagnosis("constant scale", f"constant scale: the correct value is {number} times "
                     "this", factor=number)


def _elementwise_ratio(expected, got):
    import numpy as np

    if np.shape(expected) != np.shape(got):
        return None
    e, g = np.ravel(np.asarray(expected, dtype=object)), np.ravel(np.asarray(got, dtype=object))
    if len(e) == 0 or any(v == 0 for v in g) or all(v == 0 for v in e):
        return None
    ratios = [a / b for a, b in zip(e, g, strict=True)]
    if any(difference(ratios[0], r) is not None for r in ratios[1:]):
        return None
    return ratios[0]


def _as_number(value) -> sp.Expr:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.nsimplify(sp.Float(str(to_mp(value)), 30), rational=True, tolerance=1e-25)


def _symbolic_ratio(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    ratio = _ratio(subject, expected, got)
    if ratio is None or ratio == 1 or sp.count_ops(ratio) > MAX_RATIO_OPS:
        return None
    factors = _factors(expected)
    top, bottom = sp.fraction(ratio)
    if bottom == 1 and _contains(factors, _factors(top)):
        return Diagnosis("missing factor", f"missing factor {probe.text(top)}",
                         factor=top)
    if top == 1:
        return Diagnosis("extra factor", f"extra factor {probe.text(bottom)}",
                         factor=bottom)
    if _contains(factors, _factors(top)):
        return Diagnosis("other", f"other: {probe.text(bottom)} where "
                         f"{probe.text(top)} belongs", factor=top, written=bottom)
    return None


def _ratio(subject: Subject, expected, got) -> sp.Expr | None:
    got = _in_node_names(subject, subject.expanded(got))
    if sp.count_ops(expected) + sp.count_ops(got) > MAX_SYMBOLIC_OPS:
        return None
    ratio = sp.factor_terms(sp.cancel(expected / got))
    if not subject.is_vector and sp.count_ops(ratio) > 1:
        in_leaves = subject.model.in_leaves
        leaves = in_leaves(expected), in_leaves(got)
        if sum(map(sp.count_ops, leaves)) <= MAX_SYMBOLIC_OPS:
            leaf_ratio = sp.factor_terms(sp.cancel(leaves[0] / leaves[1]))
            if sp.count_ops(leaf_ratio) < sp.count_ops(ratio):
                return leaf_ratio
    return ratio


def _in_node_names(subject: Subject, expr: sp.Expr) -> sp.Expr:
    """Recognise forward nodes written out (``w*x`` is ``y_hat``), so ratios stay short."""
    if sp.count_ops(expr) > MAX_SYMBOLIC_OPS:
        return expr
    for node in subject.model.defined:
        if node.expr.free_symbols <= expr.free_symbols and not node.expr.is_Symbol:
            expr = sp.factor_terms(expr.subs(node.expr, node.symbol))
    return expr


def _factors(expr: sp.Expr) -> list[sp.Expr]:
    """The multiplicative factors, with integer powers repeated (x**2 is x, x)."""
    result = []
    for factor in sp.Mul.make_args(sp.factor_terms(expr)):
        base, power = factor.as_base_exp()
        if power.is_Integer and power > 0 and not factor.is_Number:
            result += [base] * int(power)
        else:
            result.append(factor)
    return result


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


# -- activation derivatives ---------------------------------------------------------------------
@lru_cache(maxsize=32)
def _derivative_forms() -> tuple[tuple[str, sp.Lambda], ...]:
    forms = []
    for name in ("sigmoid", "tanh"):
        form = output_form(ACTIVATIONS[name])
        if form is not None:
            forms.append((name, form))
    return tuple(forms)


def _activation_derivative(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    for node, split, form in _activation_nodes(subject, expected):
        derivative = form(node.symbol)
        old = list(sp.Mul.make_args(derivative))
        for written, why in _alternatives(probe, node, split, form):
            for variant in replaced_in_products(expected, old, written):
                if probe.matches(variant):
                    text = probe.text(written)
                    return Diagnosis("wrong activation derivative",
                                     f"wrong activation derivative: {text} where "
                                     f"{probe.text(derivative)} belongs: {why}",
                                     factor=derivative, written=written)
    return None


def _activation_nodes(subject: Subject, expected):
    for node in subject.model.defined:
        if not expected.has(node.symbol) or not node.expr.has(sp.exp, sp.tanh):
            continue
        split = split_outer(node.expr)
        form = output_form(split[0]) if split else None
        if form is not None:
            yield node, split, form


def replaced_in_products(expr: sp.Expr, old: list, new: sp.Expr) -> list[sp.Expr]:
    """Variants of ``expr``: in one product holding all the factors ``old``, those become
    ``new``. Products inside matrix products count too (the derivative in X.T @ (d * a*(1-a)))."""
    variants = []
    for product in sp.preorder_traversal(expr):
        if isinstance(product, sp.Mul):
            rest = _without(list(product.args), old)
            if rest is not None:
                variants.append(expr.xreplace({product: sp.Mul(*rest) * new}))
    return variants


def _without(factors: list, old: list) -> list | None:
    remaining = list(factors)
    for factor in old:
        if factor not in remaining:
            return None
        remaining.remove(factor)
    return remaining


def _missing_inside(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """A factor dropped from a product, also one nested in a matrix product."""
    groups = [list(sp.Mul.make_args(form(node.symbol)))
              for node, _, form in _activation_nodes(subject, expected)]
    for product in sp.preorder_traversal(expected):
        if not isinstance(product, sp.Mul):
            continue
        singles = [[f] for f in product.args if not f.is_Number]
        for old in groups + singles:
            for variant in replaced_in_products(expected, old, sp.S.One):
                if probe.matches(variant):
                    factor = sp.Mul(*old)
                    return Diagnosis("missing factor",
                                     f"missing factor {probe.text(factor)}",
                                     factor=factor)
    return None


def _alternatives(probe: Probe, node, split, form) -> list[tuple[sp.Expr, str]]:
    outer, inner = split
    a = node.symbol
    pre = probe.subject.readable(inner)
    options = [
        (name_form(a), f"the derivative of {name} written through its output")
        for name, name_form in _derivative_forms()
        if sp.expand(name_form(a) - form(a)) != 0
    ]
    options += [
        (form(pre), f"the derivative taken at the pre-activation {probe.text(pre)} "
                    f"instead of through the output {a}"),
        (form(outer(a)), f"the activation applied to its own output {a} before differentiating"),
        (a, f"the output {a} itself, not the derivative"),
    ]
    return options


# -- swapped or substituted symbols ------------------------------------------------------------
def _substitution(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    used = sorted(expected.free_symbols, key=str)
    pool = [n.symbol for n in subject.model.nodes if n.symbol not in subject.hidden]
    budget = MAX_SUBSTITUTIONS
    for u, v in _pairs(subject, used, pool):
        budget -= 1
        if budget < 0:
            return None
        if v in used and probe.matches(expected, {u: v, v: u}):
            return Diagnosis("other", f"other: {u} and {v} are swapped", factor=u, written=v)
        if probe.matches(expected, {u: v}):
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
