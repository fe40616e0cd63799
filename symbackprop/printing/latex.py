"""LaTeX printing of formulas with readable symbol names.

``w[4]`` prints as ``w_{4}``, ``h1out`` as ``h^{\\mathrm{out}}_{1}``, ``delta_h1`` as
``\\delta_{h_{1}}``; ``plain_names=True`` keeps the names as written (in ``\\mathrm``).
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

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


def latex_name(name: str, plain: bool = False) -> str:
    """The LaTeX form of a node or adjoint name."""
    if plain:
        return r"\mathrm{%s}" % name.replace("_", r"\_")
    if name.startswith(ADJOINT_PREFIX):
        return r"\delta_{%s}" % latex_name(name[len(ADJOINT_PREFIX) :])
    indexed = split_indexed(name)
    if indexed:
        base, index = indexed
        return r"%s_{%s}" % (latex_name(base), ",".join(map(str, index)))
    match = _NAME_DIGITS_SUFFIX.match(name)
    if match:
        base, digits, suffix = match["base"], match["digits"], match["suffix"]
        head = _word(base) + (r"^{\mathrm{%s}}" % suffix if suffix else "")
        return r"%s_{%s}" % (head, digits)
    if "_" in name:
        base, _, rest = name.partition("_")
        return r"%s_{\mathrm{%s}}" % (_word(base), rest.replace("_", r"\_"))
    return _word(name)


def _word(word: str) -> str:
    if word in _GREEK:
        return "\\" + word
    return word if len(word) == 1 else r"\mathrm{%s}" % word


class ModelLatexPrinter(PositiveTermsFirst, LatexPrinter):
    """SymPy's LaTeX printer with the model's symbol names made readable."""

    _default_settings = {**LatexPrinter._default_settings, "plain_names": False, "order": "none"}

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return latex_name(expr.name, self._settings["plain_names"])


def latex(expr: sp.Expr, plain_names: bool = False) -> str:
    """``expr`` as LaTeX in the model's names."""
    return ModelLatexPrinter({"plain_names": plain_names}).doprint(expr)
