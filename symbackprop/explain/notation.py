"""How the explanation writes its mathematics: names, partials, shapes, Hadamard products.

All LaTeX of formulas comes from the printers here (subclasses of the project's SymPy LaTeX
printer); the explanation only arranges the pieces they produce.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.derive import Derivation
from symbackprop.ir.ops import Shape, SumBase, dot, shape_of
from symbackprop.naming import split_indexed
from symbackprop.printing.latex import ModelLatexPrinter, array_shapes, latex_name


class ExplainLatexPrinter(ModelLatexPrinter):
    """The model's LaTeX printer, with names decided once per model (see :func:`symbol_names`)."""

    _default_settings = {**ModelLatexPrinter._default_settings, "names": {}}

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        known = self._settings["names"].get(expr.name)
        return known if known is not None else super()._print_Symbol(expr, style)


def symbol_names(derivation: Derivation, plain: bool) -> dict[str, str]:
    """LaTeX for every node and adjoint of the model, without double subscripts.

    An adjoint prints as delta over its node's own LaTeX, so ``delta_z1_0`` (the adjoint of
    ``z1[0]``) reads as the delta of z1[0], not of a node called ``z1_0``.
    """
    names = {node.name: node_latex(node.name, plain) for node in derivation.model.nodes}
    for adjoint in derivation.adjoints:
        names[adjoint.symbol.name] = (
            latex_name(adjoint.symbol.name, plain=True)
            if plain
            else r"\delta_{%s}" % names[adjoint.node]
        )
    return names


def node_latex(name: str, plain: bool = False) -> str:
    """:func:`latex_name`, except that an indexed element of a subscripted base stays valid.

    ``W1[0, 2]`` becomes ``W^{(1)}_{0,2}`` rather than the invalid ``W_{1}_{0,2}``.
    """
    tex = latex_name(name, plain)
    if plain or not has_double_subscript(tex):
        return tex
    base, index = split_indexed(name) or (name, ())
    head, sub = _split_subscript(latex_name(base))
    subscript = ",".join(map(str, index))
    if sub is None or not sub.isdigit() or "^" in head:
        return r"\mathrm{%s}_{%s}" % (base.replace("_", r"\_"), subscript)
    return r"%s^{(%s)}_{%s}" % (head, sub, subscript)


def has_double_subscript(tex: str) -> bool:
    """True when some ``_{...}`` group is directly followed by another ``_`` (a TeX error)."""
    for start, char in enumerate(tex):
        if char == "_" and tex[start + 1 : start + 2] == "{":
            end = _closing_brace(tex, start + 1)
            if tex[end + 1 : end + 2] == "_":
                return True
    return False


def _closing_brace(tex: str, opening: int) -> int:
    depth = 0
    for position in range(opening, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[position], 0)
        if depth == 0:
            return position
    return len(tex)


def _split_subscript(tex: str) -> tuple[str, str | None]:
    """``W_{1}`` -> (``W``, ``1``); a name without a trailing subscript -> (tex, None)."""
    if not tex.endswith("}"):
        return tex, None
    depth = 0
    for position in range(len(tex) - 1, -1, -1):
        depth += {"}": 1, "{": -1}.get(tex[position], 0)
        if depth == 0:
            if position > 0 and tex[position - 1] == "_":
                return tex[: position - 1], tex[position + 1 : -1]
            return tex, None
    return tex, None


class Notation:
    """The LaTeX vocabulary of one model's explanation."""

    def __init__(self, derivation: Derivation, plain: bool = False):
        model = derivation.model
        self.names = symbol_names(derivation, plain)
        self.shapes = array_shapes(derivation)
        settings = {
            "plain_names": plain,
            "names": self.names,
            "hadamard": self.shapes,
            "mul_symbol": r"\,",  # keeps multi-letter names apart: layer_1 synapse_1, not one word
        }
        self._printer = ExplainLatexPrinter(settings)
        self.loss = self.name(model.loss.name)

    def tex(self, expr: sp.Expr) -> str:
        """Any formula over the model's nodes and adjoints."""
        return self._printer.doprint(expr)

    def name(self, node: str) -> str:
        return self.names.get(node) or node_latex(node)

    def partial(self, top: str, bottom: str) -> str:
        r"""``\frac{\partial top}{\partial bottom}`` for two node names."""
        return r"\frac{\partial %s}{\partial %s}" % (self.name(top), self.name(bottom))

    def factor(self, expr: sp.Expr) -> str:
        """A formula as one factor of a product: bracketed when it is a sum or negative."""
        text = self.tex(expr)
        if isinstance(expr, sp.Add) or expr.could_extract_minus_sign():
            return r"\left(%s\right)" % text
        return text

    # -- shapes (vector mode) ------------------------------------------------------------------
    def shape_of(self, expr: sp.Expr) -> Shape:
        return shape_of(expr, self.shapes or {})

    def under(self, tex: str, shape: Shape) -> str:
        """``tex`` with its shape written underneath (nothing for a scalar)."""
        if not shape:
            return tex
        return r"\underset{%s}{%s}" % (show_shape(shape), tex)

    def shaped(self, expr: sp.Expr) -> str:
        """``expr`` with the shape of each of its factors written under it."""
        pieces = self.pieces(expr)
        if len(pieces) == 1:
            return self.tex(expr)
        return " ".join(self._under(p) if isinstance(p, sp.Basic) else p for p in pieces)

    def shape_line(self, expr: sp.Expr) -> str | None:
        """Only the shapes of :meth:`shaped` (``(m\\times 1)\\,(1\\times 4)``); None for one."""
        pieces = self.pieces(expr)
        if len(pieces) == 1:
            return None
        return " ".join(self._shape_or_tex(p) if isinstance(p, sp.Basic) else p for p in pieces)

    def _shape_or_tex(self, expr: sp.Expr) -> str:
        shape = self.shape_of(expr)
        return show_shape(shape) if shape else self.tex(expr)

    def _under(self, expr: sp.Expr) -> str:
        return self.under(self.factor_tex(expr), self.shape_of(expr))

    def factor_tex(self, expr: sp.Expr) -> str:
        if isinstance(expr, sp.Add | dot) or (expr.is_Mul and self._hadamard(expr)):
            return r"\left(%s\right)" % self.tex(expr)
        return self.tex(expr)

    def _hadamard(self, expr: sp.Expr) -> bool:
        return sum(self.shape_of(f) != () for f in expr.args) >= 2

    def pieces(self, expr: sp.Expr) -> list:
        """The factors of ``expr`` (SymPy) and the operators between them (LaTeX strings)."""
        if isinstance(expr, dot):
            return _joined([self._operand(arg) for arg in _matmul_operands(expr)], r"\,")
        if isinstance(expr, SumBase):
            return [expr.latex_operator, *self._operand(expr.args[0])]
        if isinstance(expr, sp.Add) and _sum_of_products(expr):
            return _joined([self.pieces(term) for term in _dots_first(expr.args)], "+")
        if expr.is_Mul and self._hadamard(expr) and not expr.could_extract_minus_sign():
            divides = any(f.is_Pow and f.exp.is_negative and self.shape_of(f) for f in expr.args)
            if not divides:
                return self._hadamard_pieces(expr)
        return [expr]

    def _operand(self, expr: sp.Expr) -> list:
        inner = self.pieces(expr)
        return inner if len(inner) == 1 else [r"\left(", *inner, r"\right)"]

    def _hadamard_pieces(self, expr: sp.Expr) -> list:
        arrays = [f for f in expr.args if self.shape_of(f) != ()]
        scalars = [f for f in expr.args if self.shape_of(f) == ()]
        head = [self.tex(sp.Mul(*scalars))] if scalars else []
        return head + _joined([self._operand(f) for f in arrays], r"\odot")


def _sum_of_products(expr: sp.Add) -> bool:
    """A sum worth splitting: it holds a matrix product and no subtracted term."""
    return expr.has(dot) and not any(t.could_extract_minus_sign() for t in expr.args)


def _matmul_operands(expr: sp.Expr) -> list:
    operands = []
    for arg in expr.args:
        operands += _matmul_operands(arg) if isinstance(arg, dot) else [arg]
    return operands


def _joined(groups: list[list], operator: str) -> list:
    pieces: list = []
    for group in groups:
        if pieces:
            pieces.append(operator)
        pieces += group
    return pieces


def _dots_first(terms) -> list:
    return sorted(terms, key=lambda term: not term.has(dot))


def show_shape(shape: Shape) -> str:
    r"""``(m\times 4)`` for a matrix, ``(4)`` for a vector."""
    return "(" + r"\times ".join(str(d) for d in shape) + ")"
