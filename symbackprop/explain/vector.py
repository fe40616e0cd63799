"""Vector-mode explanation: adjoints as arrays with their shapes, the delta recursion layer by
layer, and each parameter's gradient as a matrix product or a sum over the samples.

The shape of every factor is written under it, so that a reader can check each product (and
see why the weights appear transposed) without running anything.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.derive import Derivation, Term
from symbackprop.explain.common import on_the_way
from symbackprop.explain.document import Section, SectionBuilder
from symbackprop.explain.notation import Notation, show_shape
from symbackprop.explain.relations import relation, why
from symbackprop.ir.ops import ArrayOpBase

EXPANDED_OPS_SHOWN = 40
EXPANDED_TEX_SHOWN = 160  # characters of LaTeX: a longer row would run into the margin


_RECURSION_DENSE = (
    "Substituting the adjoints of the activations leaves one recursion from the output layer "
    "down: each layer's delta is the next layer's delta times the transposed weights, then "
    "multiplied entry by entry with the derivative of the activation."
)
_RECURSION_IMAGES = (
    "Substituting the adjoints of the other nodes leaves one recursion from the output layer "
    "down: each layer's delta is the next layer's delta carried back through the layers "
    "between them (the transposed weights of a dense layer, the flipped kernels of a "
    "convolution, the maxima of a pooling, the shape of a flatten), then multiplied entry by "
    "entry with the derivative of the activation."
)


def _has_image_layers(model) -> bool:
    """Whether the model has ops beyond matrix products: convolutions, pooling, flattening."""
    return any(call.fixed_sizes for node in model.defined for call in node.expr.atoms(ArrayOpBase))


class VectorExplainer:
    def __init__(self, derivation: Derivation, notation: Notation):
        self.derivation = derivation
        self.model = derivation.model
        self.n = notation
        self.adjoint_symbols = {a.symbol for a in derivation.adjoints}

    # -- adjoints ------------------------------------------------------------------------------
    def adjoint_section(self, params: list[str]) -> Section:
        section = SectionBuilder("2. Adjoints, from the loss down")
        section.say(
            f"Write $\\delta_n = \\partial {self.n.loss} / \\partial n$ for the adjoint of a node "
            "$n$: an array of the same shape as $n$, one entry per entry of $n$. Going backwards "
            "from the loss, each adjoint is built from the adjoint of the node that uses $n$; "
            "where several nodes use $n$, their contributions add up."
        )
        for node in on_the_way(self.derivation, params):
            adjoint = self.derivation.adjoint(node)
            section.items([self._why(t, node) for t in adjoint.terms])
            lhs = self.n.under(self.n.tex(adjoint.symbol), self.model.shapes[node])
            section.show(*self._shaped_rows(lhs, adjoint.terms, self.model.shapes[node]))
        return section.build()

    def _why(self, term: Term, lower: str) -> str:
        consumer = self.model.node(term.consumer)
        upper = sp.S.One
        if term.consumer != self.model.loss.name:
            upper = self.derivation.adjoint(term.consumer).symbol
        return why(relation(self.model, consumer, sp.Symbol(lower), upper), self.n, self.model)

    def _shaped_rows(self, lhs: str, terms, shape) -> list[str]:
        contributions = [self._ordered(t.contribution) for t in terms]
        rows = [f"{lhs} &= " + " + ".join(self.n.shaped(c) for c in contributions)]
        return rows + self._shape_rows(contributions, shape)

    def _shape_rows(self, contributions: list[sp.Expr], shape) -> list[str]:
        lines = [self.n.shape_line(c) for c in contributions]
        if not shape or None in lines:
            return []
        return [rf"\text{{shapes:}}\quad {show_shape(shape)} &= " + " + ".join(lines)]

    def _ordered(self, expr: sp.Expr) -> sp.Expr:
        """A Hadamard product with its adjoint factor first (the order people write)."""
        if not expr.is_Mul:
            return expr
        return sp.Mul(*sorted(expr.args, key=self._factor_rank), evaluate=False)

    def _factor_rank(self, factor: sp.Expr) -> int:
        if factor.is_number:
            return 0
        return 1 if factor.free_symbols & self.adjoint_symbols else 2

    # -- the delta recursion -------------------------------------------------------------------
    def layer_deltas(self) -> list:
        """Adjoints that parameter gradients use directly: one per layer in a dense network."""
        used = set().union(*(g.expr.free_symbols for g in self.derivation.gradients))
        return [a for a in self.derivation.adjoints if a.symbol in used]

    def recursion_section(self) -> Section | None:
        layers = self.layer_deltas()
        if len(layers) == len(self.derivation.adjoints):
            return None  # every adjoint is already a layer delta: section 2 is the recursion
        others: dict[sp.Symbol, sp.Expr] = {}
        for adjoint in self.derivation.adjoints:
            if adjoint not in layers:
                others[adjoint.symbol] = self._ordered(adjoint.expr).xreplace(others)
        section = SectionBuilder("3. The delta recursion, layer by layer")
        section.say(_RECURSION_IMAGES if _has_image_layers(self.model) else _RECURSION_DENSE)
        rows = []
        for adjoint in layers:
            combined = self._substituted(adjoint.expr, others)
            shape = self.model.shapes[adjoint.node]
            lhs = self.n.under(self.n.tex(adjoint.symbol), shape)
            rows += [f"{lhs} &= {self.n.shaped(combined)}", *self._shape_rows([combined], shape)]
        return section.show(*rows).build()

    def _substituted(self, expr: sp.Expr, others: dict) -> sp.Expr:
        ordered = self._ordered(expr)
        if not ordered.is_Mul:
            return ordered.xreplace(others)
        return sp.Mul(*[factor.xreplace(others) for factor in ordered.args], evaluate=False)

    # -- parameters ----------------------------------------------------------------------------
    def parameter_section(self, param: str) -> Section:
        gradient = self.derivation.gradient(param)
        shape = self.model.shapes[param]
        lhs = self.n.under(self.n.partial(self.model.loss.name, param), shape)
        section = SectionBuilder(f"The gradient with respect to `{param}`", level=3)
        if not gradient.terms:
            section.say(f"`{param}` does not influence the loss, so its gradient is 0.")
            return section.show(f"{lhs} &= 0").build()
        section.items([self._why(t, param) for t in gradient.terms])
        section.show(*self._shaped_rows(lhs, gradient.terms, shape))
        expanded = self.derivation.expanded(gradient.expr)
        written = self.n.tex(expanded)
        short = sp.count_ops(expanded) <= EXPANDED_OPS_SHOWN and len(written) <= EXPANDED_TEX_SHOWN
        if expanded != gradient.expr and short:
            section.say("With the adjoints written out in the forward nodes:")
            section.show(f"{self.n.partial(self.model.loss.name, param)} &= {written}")
        return section.build()
