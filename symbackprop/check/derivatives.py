"""Diagnoses of activation derivatives: one confused with another, taken at the wrong value,
or left out (and then named: "the ReLU mask", "the derivative of tanh").

Each activation node of the model has a derivative factor in the correct formula: through its
output where one exists (sigmoid's ``a*(1 - a)``, tanh's ``1 - a**2``), else at its input
(ReLU's ``(z > 0)``). Alternatives people write in its place are tried one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from symbackprop.check.probe import Diagnosis, Probe
from symbackprop.check.subject import Subject
from symbackprop.derive.local import output_form, split_outer
from symbackprop.ir.activations import ACTIVATIONS, Activation, sigmoid
from symbackprop.ir.model import Node

_U = sp.Dummy("u")
_SAMPLES = (sp.Rational(-13, 10), sp.Rational(2, 5), sp.Rational(11, 5))


@dataclass(frozen=True)
class ActivationNode:
    """A node that applies one activation to one value, and that activation's derivative."""

    node: Node
    inner: sp.Expr  # the pre-activation, as the model has it
    derivative: sp.Expr  # in the correct formula: through the output where possible
    form: sp.Lambda | None  # the derivative as a function of the output, where there is one
    outer: sp.Lambda | None  # the activation, where the node splits as outer(inner)


@lru_cache(maxsize=32)
def _derivative_forms() -> tuple[tuple[str, sp.Lambda], ...]:
    """The derivatives people confuse, through the output: sigmoid's a(1-a), tanh's 1-a**2."""
    forms = []
    for activation in (sigmoid, sp.tanh):
        form = output_form(sp.Lambda(_U, activation(_U)))
        if form is not None:
            forms.append((activation.__name__, form))
    return tuple(forms)


def activation_nodes(subject: Subject, expected: sp.Expr | None = None):
    """The activation nodes (whose derivative the correct formula ``expected`` holds)."""
    names = {n.symbol for n in subject.model.nodes}
    for node in subject.model.defined:
        split = split_outer(node.expr) if node.expr.has(sp.exp, sp.tanh, Activation) else None
        form = output_form(split[0]) if split else None
        if form is not None:
            if expected is not None and not expected.has(node.symbol):
                continue
            yield ActivationNode(node, split[1], form(node.symbol), form, split[0])
            continue
        inputs = node.expr.free_symbols
        if len(inputs) == 1 and inputs <= names and not node.expr.is_polynomial():
            (inner,) = inputs
            derivative = sp.diff(node.expr, inner)
            if derivative.free_symbols and (expected is None or expected.has(derivative)):
                yield ActivationNode(node, inner, derivative, None, None)


def activation_name(found: ActivationNode) -> str | None:
    """The built-in activation the node applies (``relu`` for ``Max(0, z)``), by its values."""
    applied = sp.Lambda(_U, found.node.expr.xreplace({found.inner: _U}))
    for name, activation in ACTIVATIONS.items():
        if all(abs(sp.N(applied(x) - activation(x), 30)) < 1e-20 for x in _SAMPLES):
            return name
    return None


def missing_factor(subject: Subject, probe: Probe, factor: sp.Expr) -> Diagnosis:
    """A missing factor, named when it is an activation's derivative."""
    text = f"missing factor {probe.text(factor)}{derivative_story(subject, probe, factor)}"
    return Diagnosis("missing factor", text, factor=factor)


def extra_factor(subject: Subject, probe: Probe, factor: sp.Expr) -> Diagnosis:
    """An extra factor, named when it is an activation's derivative (sigmoid's applied again
    where the cross-entropy already cancelled it)."""
    text = f"extra factor {probe.text(factor)}{derivative_story(subject, probe, factor)}"
    return Diagnosis("extra factor", text, factor=factor)


def derivative_story(subject: Subject, probe: Probe, factor: sp.Expr) -> str:
    """``: the derivative of tanh at Z1, written through its output A1`` when ``factor`` is
    an activation's derivative, else nothing."""
    for found in activation_nodes(subject):
        if sp.expand(found.derivative - factor) != 0:
            continue
        name = activation_name(found) or "the activation"
        what = f"the derivative of {name} at {probe.text(subject.readable(found.inner))}"
        if found.form is not None:
            what += f", written through its output {found.node.name}"
        return f": the ReLU mask, {what}" if name == "relu" else f": {what}"
    return ""


def activation_derivative(subject: Subject, expected, got, probe: Probe) -> Diagnosis | None:
    """An activation's derivative replaced by another's, or taken at the wrong value."""
    for found in activation_nodes(subject, expected):
        old = list(sp.Mul.make_args(found.derivative))
        for written, why in _alternatives(probe, found):
            for variant in replaced_in_products(expected, old, written):
                if probe.matches(variant):
                    text = probe.text(written)
                    return Diagnosis(
                        "wrong activation derivative",
                        f"wrong activation derivative: {text} where "
                        f"{probe.text(found.derivative)} belongs: {why}",
                        factor=found.derivative,
                        written=written,
                    )
    return None


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


def _alternatives(probe: Probe, found: ActivationNode) -> list[tuple[sp.Expr, str]]:
    a = found.node.symbol
    options = [
        (name_form(a), f"the derivative of {name} written through its output")
        for name, name_form in _derivative_forms()
        if sp.expand(name_form(a) - found.derivative) != 0
    ]
    if found.form is None:  # a piecewise activation: another's mask (ReLU's for leaky ReLU)
        options += [
            (derivative, f"the derivative of {name}, not of this activation")
            for name, derivative in _piecewise_derivatives(found.inner)
            if sp.simplify(derivative - found.derivative) != 0
        ]
    if found.form is None or found.outer is None:
        return options
    pre = probe.subject.readable(found.inner)
    options += [
        (
            found.form(pre),
            f"the derivative taken at the pre-activation {probe.text(pre)} "
            f"instead of through the output {a}",
        ),
        (
            found.form(found.outer(a)),
            f"the activation applied to its own output {a} before differentiating",
        ),
    ]
    return options


def _piecewise_derivatives(inner: sp.Expr) -> list[tuple[str, sp.Expr]]:
    """The derivatives of the piecewise built-in activations (ReLU, leaky ReLU) at ``inner``:
    the masks people put in each other's place."""
    found = []
    for name in ("relu", "leaky_relu"):
        derivative = sp.diff(ACTIVATIONS[name](_U), _U)
        found.append((name.replace("_", " "), derivative.xreplace({_U: inner})))
    return found
