"""LaTeX printing of formulas with readable symbol names.

``w[4]`` prints as ``w_{4}``, ``h1out`` as ``h^{\\mathrm{out}}_{1}``, ``delta_h1`` as
``\\delta_{h_{1}}``; ``plain_names=True`` keeps the names as written (in ``\\mathrm``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from symbackprop.derive import Derivation
from symbackprop.ir.indicator import indicator_condition
from symbackprop.ir.ops import Shape, shape_of
from symbackprop.naming import ADJOINT_PREFIX, split_indexed
from symbackprop.printing.ordering import PositiveTermsFirst

_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "eta",
    "theta",
    "lambda",
    "mu",
    "sigma",
    "tau",
    "phi",
    "psi",
    "omega",
    "rho",
    "xi",
    "zeta",
    "nu",
    "kappa",
    "iota",
    "chi",
    "pi",
}
_NAME_DIGITS_SUFFIX = re.compile(r"^(?P<base>[A-Za-z]+?)(?P<digits>\d+)(?P<suffix>[A-Za-z]*)$")


_LETTER_SUFFIX = re.compile(r"^(?P<letter>[A-Za-z])(?P<suffix>out|in|hat|pred|true)$")


def latex_name(name: str, plain: bool = False) -> str:
    r"""The LaTeX form of a node or adjoint name.

    ``w[4]`` -> ``w_{4}``, ``W1[0, 2]`` -> ``W^{(1)}_{0,2}``, ``h1out`` ->
    ``h^{\mathrm{out}}_{1}``, ``layer_1_in`` -> ``\mathrm{layer}^{\mathrm{in}}_{1}`` (one scheme),
    ``h_tilde`` -> ``\tilde{h}``, ``zout`` -> ``z^{\mathrm{out}}``,
    ``delta_h1`` -> ``\delta_{h_{1}}``.
    """
    if plain:
        return r"\mathrm{%s}" % name.replace("_", r"\_")
    if name.startswith(ADJOINT_PREFIX):
        return r"\delta_{%s}" % latex_name(name[len(ADJOINT_PREFIX) :])
    indexed = split_indexed(name)
    if indexed:
        base, index = indexed
        return r"%s_{%s}" % (_indexed_base(base), ",".join(map(str, index)))
    match = _NAME_DIGITS_SUFFIX.match(name)
    if match:
        base, digits, suffix = match["base"], match["digits"], match["suffix"]
        head = _word(base) + (r"^{\mathrm{%s}}" % suffix if suffix else "")
        return r"%s_{%s}" % (head, digits)
    match = _LETTER_SUFFIX.match(name)
    if match:
        return r"%s^{\mathrm{%s}}" % (match["letter"], match["suffix"])
    parts = name.split("_")
    if len(parts) > 1 and parts[1] in _ACCENTS and parts[0].isalpha() and _all_words(parts[2:]):
        # ``h_tilde_rec``: the accent on its letter, the rest below, as ``h_prev`` has it
        accented = r"\%s{%s}" % (parts[1], _word(parts[0]))
        rest = ",".join(parts[2:])
        return accented + (r"_{\mathrm{%s}}" % rest if rest else "")
    if len(parts) > 2 and parts[0].isalpha() and parts[1].isdigit() and _all_words(parts[2:]):
        # ``layer_1_in`` as ``h1out`` is: the layer number below, the rest above
        rest = ",".join(parts[2:])
        return r"%s^{\mathrm{%s}}_{%s}" % (_word(parts[0]), rest, parts[1])
    base, _, rest = name.partition("_")
    if rest.isdigit():
        return r"%s_{%s}" % (_word(base), rest)
    if rest.isalpha():
        return r"%s_{\mathrm{%s}}" % (_word(base), rest)
    return _word(name) if not rest else r"\mathrm{%s}" % name.replace("_", r"\_")


_ACCENTS = ("tilde", "hat", "bar")


def _all_words(parts: list[str]) -> bool:
    return all(part.isalpha() for part in parts)


def _indexed_base(base: str) -> str:
    """A base that takes an index subscript: a layer number moves up, ``W^{(1)}``."""
    match = _NAME_DIGITS_SUFFIX.match(base.replace("_", ""))
    if match and not match["suffix"] and base.count("_") <= 1:
        return r"%s^{(%s)}" % (_word(match["base"]), match["digits"])
    if "_" in base or not base.isalpha():
        return r"\mathrm{%s}" % base.replace("_", r"\_")
    return _word(base)


def _word(word: str) -> str:
    if word in _GREEK:
        return "\\" + word
    return word if len(word) == 1 else r"\mathrm{%s}" % word


class ModelLatexPrinter(PositiveTermsFirst, LatexPrinter):
    """SymPy's LaTeX printer with the model's symbol names made readable."""

    # hadamard: the shapes of the array symbols (vector mode); given, a product of two or more
    # arrays prints with \odot, since juxtaposition would read as a matrix product.
    _default_settings = {
        **LatexPrinter._default_settings,
        "plain_names": False,
        "order": "none",
        "hadamard": None,
    }

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return latex_name(expr.name, self._settings["plain_names"])

    def _print_ArrayOpBase(self, expr, exp=None) -> str:
        """Vector mode: each array op of symbackprop.ir.ops writes its own LaTeX (``exp``: a
        power of it, as SymPy's printer asks for functions)."""
        text = expr.latex_form(self)
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)

    def _print_Piecewise(self, expr) -> str:
        condition = indicator_condition(expr)
        return super()._print_Piecewise(expr) if condition is None else self._indicator(condition)

    def _print_Heaviside(self, expr, exp=None) -> str:
        text = self._indicator(indicator_condition(expr))
        return text if exp is None else r"%s^{%s}" % (text, exp)

    def _indicator(self, condition) -> str:
        r"""``\mathbf{1}[z_{1} > 0]``: amssymb's ``\mathbb`` has no blackboard 1 (pdflatex
        prints another glyph), and a bold one needs no package."""
        return r"\mathbf{1}[%s]" % self._print(condition)

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        """An indicator is one bracketed factor already; SymPy brackets any Piecewise."""
        if indicator_condition(expr) is not None:
            return False
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Mul(self, expr) -> str:
        shapes = self._settings["hadamard"]
        arrays = [] if shapes is None else [f for f in expr.args if shape_of(f, shapes) != ()]
        if len(arrays) < 2:
            return super()._print_Mul(expr)
        if expr.could_extract_minus_sign():
            return "- " + self._print(-expr)
        if any(f.is_Pow and f.exp.is_negative for f in arrays):  # entrywise division
            numerator, denominator = sp.fraction(expr, exact=True)
            return r"\frac{%s}{%s}" % (self._print(numerator), self._print(denominator))
        scalars = [f for f in expr.args if f not in arrays]
        head = self.parenthesize(sp.Mul(*scalars), PRECEDENCE["Mul"]) + " " if scalars else ""
        return head + r" \odot ".join(self._hadamard_operand(f) for f in arrays)

    def _hadamard_operand(self, factor) -> str:
        text = self._print(factor)
        if (
            isinstance(factor, sp.Symbol | sp.Pow)
            or indicator_condition(factor) is not None
            or (
                isinstance(factor, sp.Function)
                and not getattr(factor, "infix", False)
                and not isinstance(factor, sp.Piecewise)
            )
        ):
            return text
        return r"\left(%s\right)" % text


def array_shapes(derivation: Derivation) -> dict[str, Shape] | None:
    """The shapes of the model's arrays and of their adjoints (vector mode): the ``hadamard``
    setting; None in scalar mode, where every product is of numbers."""
    model = derivation.model
    if not model.is_vector:
        return None
    shapes = dict(model.shapes)
    for adjoint in derivation.adjoints:
        shapes[adjoint.symbol.name] = model.shapes[adjoint.node]
    return shapes


def latex(
    expr: sp.Expr, plain_names: bool = False, shapes: Mapping[str, Shape] | None = None
) -> str:
    r"""``expr`` as LaTeX in the model's names; given the array ``shapes`` (vector mode), an
    elementwise product of arrays prints with ``\odot``."""
    settings = {"plain_names": plain_names, "hadamard": None if shapes is None else dict(shapes)}
    return ModelLatexPrinter(settings).doprint(expr)
