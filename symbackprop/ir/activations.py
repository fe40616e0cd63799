"""Activations and losses, each one SymPy definition and nothing else.

An activation is a SymPy ``Function`` class holding its ``definition`` (a Lambda of one
symbol). Its derivative is never typed in: ``fdiff`` differentiates the definition. It prints
by name (``\\sigma(h_1)``, ``\\operatorname{ReLU}(z_1)``), evaluates numerically through its
definition (``evalf``, ``lambdify`` with NumPy or mpmath) and is recognised by its type.
A user's activation (a spec's formula, a Python callable) becomes such a class when it is read:

>>> u = sp.Symbol("u")
>>> softsign = activation_class("softsign", sp.Lambda(u, u / (1 + sp.Abs(u))))
>>> softsign(u).diff(u)
-u*sign(u)/(Abs(u) + 1)**2 + 1/(Abs(u) + 1)

``tanh`` is SymPy's own, which already prints as ``\\tanh`` and evaluates everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import sympy as sp
from mpmath.libmp import prec_to_dps

from symbackprop.errors import SpecError

_u = sp.Symbol("u", real=True)  # as every value of a network is: |u|' is sign(u)
_y, _t = sp.Symbol("y"), sp.Symbol("t")


class Activation(sp.Function):
    """An elementwise function of one argument defined by ``definition``."""

    nargs = 1
    definition: ClassVar[sp.Lambda]
    latex_name: ClassVar[str] = ""  # empty: the class name (a word in \operatorname)

    @classmethod
    def eval(cls, x):
        if x.is_Float:  # a number in floating point is just a number
            return cls.definition(x)
        return None

    def written_out(self) -> sp.Expr:
        """The definition at this argument: ``sigmoid(z)`` -> ``1/(1 + exp(-z))``."""
        return self.definition(self.args[0])

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        (variable,) = self.definition.variables
        derivative = sp.diff(self.definition.expr, variable)
        return derivative.xreplace({variable: self.args[0]})

    def _eval_evalf(self, prec: int):
        return self.written_out().evalf(prec_to_dps(prec))

    def _eval_is_extended_real(self):
        return self.written_out().is_extended_real

    def _eval_is_real(self):
        return self.written_out().is_real

    def _latex(self, printer, exp=None) -> str:
        name = self.latex_name or _latex_word(type(self).__name__)
        power = "^{%s}" % exp if exp is not None else ""
        return r"%s%s\left(%s\right)" % (name, power, printer._print(self.args[0]))

    def _sympystr(self, printer) -> str:
        return f"{type(self).__name__}({printer._print(self.args[0])})"

    def _inline_definition(self, printer) -> str:
        return printer._print(self.written_out())

    # lambdify's printers (NumPy, mpmath, math) write the definition in place.
    _numpycode = _mpmathcode = _pythoncode = _inline_definition


def _latex_word(name: str) -> str:
    return name if len(name) == 1 else r"\operatorname{%s}" % name.replace("_", r"\_")


def activation_class(name: str, definition: sp.Lambda, latex_name: str = "") -> type[Activation]:
    """A new activation called ``name`` with this definition (a Lambda of one symbol)."""
    (variable,) = definition.variables
    real = sp.Lambda(_u, definition.expr.xreplace({variable: _u}))
    return type(name, (Activation,), {"definition": real, "latex_name": latex_name})


# -- the built-in activations -------------------------------------------------------------------
class identity(Activation):  # noqa: N801 - the names users write
    definition = sp.Lambda(_u, _u)

    @classmethod
    def eval(cls, x):
        return x  # never held: a linear layer's output is its pre-activation


class sigmoid(Activation):  # noqa: N801
    definition = sp.Lambda(_u, 1 / (1 + sp.exp(-_u)))
    latex_name = r"\sigma"


class relu(Activation):  # noqa: N801
    definition = sp.Lambda(_u, sp.Piecewise((_u, _u > 0), (0, True)))
    latex_name = r"\operatorname{ReLU}"


class leaky_relu(Activation):  # noqa: N801
    definition = sp.Lambda(_u, sp.Piecewise((_u, _u > 0), (_u / 100, True)))
    latex_name = r"\operatorname{LeakyReLU}"


class softplus(Activation):  # noqa: N801
    definition = sp.Lambda(_u, sp.log(1 + sp.exp(_u)))


class swish(Activation):  # noqa: N801
    definition = sp.Lambda(_u, _u / (1 + sp.exp(-_u)))


class gelu(Activation):  # noqa: N801 - the tanh approximation
    definition = sp.Lambda(
        _u,
        _u / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (_u + sp.Rational(44715, 1000000) * _u**3))),
    )
    latex_name = r"\operatorname{GELU}"


ActivationClass = type[Activation] | type[sp.tanh]
ACTIVATIONS: dict[str, ActivationClass] = {
    "identity": identity,
    "sigmoid": sigmoid,
    "tanh": sp.tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
    "swish": swish,
    "silu": swish,
    "gelu": gelu,
}


def written_out(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every activation replaced by its definition (for comparing formulas that
    may write ``sigmoid(h)`` or ``1/(1 + exp(-h))``)."""
    expr = sp.sympify(expr)
    while expr.has(Activation):  # a user's definition may itself hold an activation
        expr = expr.replace(lambda e: isinstance(e, Activation), lambda e: e.written_out())
    return expr


def activations_in(*exprs: sp.Expr) -> list[type[Activation]]:
    """The activation classes ``exprs`` apply, by name (to state each definition once)."""
    found = {type(e) for expr in exprs for e in sp.preorder_traversal(expr)}
    return sorted((c for c in found if issubclass(c, Activation)), key=lambda c: c.__name__)


# Per-output losses of a prediction y against a target t; a reduction sums or averages them.
LOSSES: dict[str, sp.Lambda] = {
    "half_sse": sp.Lambda((_y, _t), (_t - _y) ** 2 / 2),
    "sse": sp.Lambda((_y, _t), (_t - _y) ** 2),
    "mse": sp.Lambda((_y, _t), (_t - _y) ** 2),
    "bce": sp.Lambda((_y, _t), -(_t * sp.log(_y) + (1 - _t) * sp.log(1 - _y))),
}
# "mean" averages over every element, as PyTorch's and Keras's losses do (softmax_ce's
# per-sample loss already sums its classes, so there it averages over the samples, as
# nn.CrossEntropyLoss); "sample_mean" sums the outputs of a sample and averages over samples.
REDUCTIONS = ("sum", "mean", "sample_mean")

ActivationLike = str | ActivationClass | sp.Lambda | Callable[[sp.Expr], sp.Expr]
USER_ACTIVATION_NAME = "f"  # for a formula that comes without a name


def activation(spec: ActivationLike, name: str | None = None) -> ActivationClass:
    """An activation class: a built-in name, an activation class, or a user's Lambda or Python
    callable (made a class named ``name``, else the callable's own name, else ``f``)."""
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec]
        except KeyError:
            known = ", ".join(sorted(ACTIVATIONS))
            raise SpecError(f"unknown activation {spec!r} (known: {known})") from None
    if isinstance(spec, type) and issubclass(spec, Activation | sp.tanh):
        return spec
    if isinstance(spec, sp.Lambda):
        return activation_class(name or USER_ACTIVATION_NAME, spec)
    own = getattr(spec, "__name__", "")
    name = name or (own if own.isidentifier() else USER_ACTIVATION_NAME)
    return activation_class(name, sp.Lambda(_u, spec(_u)))


def loss(spec: str | sp.Lambda) -> sp.Lambda:
    """A per-output loss as a Lambda of (prediction, target)."""
    if isinstance(spec, sp.Lambda):
        return spec
    try:
        return LOSSES[spec]
    except KeyError:
        raise SpecError(f"unknown loss {spec!r} (known: {', '.join(sorted(LOSSES))})") from None
