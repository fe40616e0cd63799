"""Scalar-mode explanation: adjoints from the loss down, then every parameter's chain rule.

For a parameter the reader sees the path(s) from the loss down to it, the local partial of
every step read off one node's definition, their product, and the short form that reuses the
adjoints (deltas) already computed, where every path through a node is collected once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from symbackprop.derive import Derivation, Term
from symbackprop.explain.common import in_leaves, on_the_way, point_values, value_tex
from symbackprop.explain.document import Section, SectionBuilder
from symbackprop.explain.notation import Notation

MAX_PATHS = 4  # more paths than this are summarised by the adjoints instead of written out
# A network of many weights is explained by one entry of each parameter array in full, the
# others by a few short forms: 433 chains of the same shape make a 139-page PDF, not a lesson.
MAX_FULL_CHAINS = 24
EXAMPLES_OF_THE_OTHERS = 3
FACTORS_PER_LINE = 5


@dataclass(frozen=True)
class Step:
    """One link of a path: the local partial d(upper)/d(lower)."""

    upper: str
    lower: str
    local: sp.Expr


class ScalarExplainer:
    def __init__(self, derivation: Derivation, notation: Notation):
        self.derivation = derivation
        self.model = derivation.model
        self.n = notation
        self.values = point_values(derivation)
        self.path_count = cache(self._path_count)

    # -- adjoints ------------------------------------------------------------------------------
    def adjoint_section(self, params: list[str]) -> Section:
        loss = self.model.loss.name
        section = SectionBuilder("2. Adjoints, from the loss down")
        section.say(
            f"Write $\\delta_n = \\partial {self.n.loss} / \\partial n$ for the derivative of the "
            "loss with respect to a node $n$, its adjoint. Going backwards from the loss, the "
            "adjoint of a node is the adjoint of the node that uses it times that node's local "
            "derivative; where several nodes use it, their contributions add up, one per path."
        )
        nodes = on_the_way(self.derivation, params)
        shared = [n for n in nodes if len(self.derivation.adjoint(n).terms) > 1]
        if shared:
            names = ", ".join(f"`{n}`" for n in shared)
            section.say(f"Used by more than one node, so summed over paths: {names}.")
        section.show(*[self._adjoint_row(node, loss) for node in nodes])
        return section.build()

    def _adjoint_row(self, node: str, loss: str) -> str:
        adjoint = self.derivation.adjoint(node)
        chains = " + ".join(self._one_step(t, node) for t in adjoint.terms)
        steps = " + ".join(self._delta_times_local(t) for t in adjoint.terms)
        row = f"{self.n.tex(adjoint.symbol)} &= {chains}"
        if steps != chains:
            row += f" = {steps}"
        return row + self._value(adjoint.symbol)

    def _one_step(self, term: Term, lower: str) -> str:
        partial = self.n.partial(term.consumer, lower)
        if term.consumer == self.model.loss.name:
            return partial
        return self.n.tex(self.derivation.adjoint(term.consumer).symbol) + r"\," + partial

    def _delta_times_local(self, term: Term) -> str:
        if term.consumer == self.model.loss.name:
            return self.n.tex(term.local)
        adjoint = self.n.tex(self.derivation.adjoint(term.consumer).symbol)
        return f"{adjoint} \\cdot {self.n.factor(term.local)}"

    def _value(self, expr: sp.Expr) -> str:
        if self.values is None:
            return ""
        return " = " + value_tex(self.derivation, expr, self.values, self.n)

    # -- paths ---------------------------------------------------------------------------------
    def _path_count(self, node: str) -> int:
        if node == self.model.loss.name:
            return 1
        return sum(self.path_count(t.consumer) for t in self.derivation.adjoint(node).terms)

    def paths(self, terms: tuple[Term, ...], lower: str) -> list[list[Step]]:
        """Every path from the loss down to ``lower``, as lists of steps, loss first."""
        found = []
        for term in terms:
            upper = term.consumer
            heads = (
                [[]]
                if upper == self.model.loss.name
                else self.paths(self.derivation.adjoint(upper).terms, upper)
            )
            found += [head + [Step(upper, lower, term.local)] for head in heads]
        return found

    # -- parameters ----------------------------------------------------------------------------
    def parameter_section(self, param: str) -> Section:
        gradient = self.derivation.gradient(param)
        lhs = self.n.partial(self.model.loss.name, param)
        section = SectionBuilder(f"The gradient with respect to `{param}`", level=3)
        count = sum(self.path_count(t.consumer) for t in gradient.terms)
        if count == 0:
            section.say(f"`{param}` does not influence the loss, so its gradient is 0.")
            return section.show(f"{lhs} &= 0").build()
        if count <= MAX_PATHS:
            self._explain_paths(section, lhs, self.paths(gradient.terms, param))
        else:
            section.say(
                f"`{param}` reaches the loss along {count} paths, too many to write out one by "
                "one; the adjoints above have already added them up node by node."
            )
        self._explain_adjoint_form(section, lhs, gradient)
        return section.build()

    def others_section(self, base: str, shown: str, others: list[str]) -> Section:
        """The entries of ``base`` after ``shown``: same chain, their own indices; a few short
        forms as examples, so that the document stays readable for a large network."""
        section = SectionBuilder(f"The other {len(others)} entries of `{base}`", level=3)
        section.say(
            f"Each has the chain of `{shown}` above, with its own indices in place of "
            f"`{shown}`'s, so only its short form through the adjoints is new; for example:"
        )
        rows = []
        for param in others[:EXAMPLES_OF_THE_OTHERS]:
            gradient = self.derivation.gradient(param)
            lhs = self.n.partial(self.model.loss.name, param)
            short = " + ".join(self._delta_times_local(t) for t in gradient.terms) or "0"
            rows.append(f"{lhs} &= {short}" + self._value(gradient.expr))
        section.show(*rows)
        rest = len(others) - len(rows)
        if rest > 0:
            section.say(
                f"and {rest} more of the same form. `symbackprop derive` lists every one, and "
                f"`--param '{others[-1]}'` explains one of them in full."
            )
        return section.build()

    def _explain_paths(self, section: SectionBuilder, lhs: str, paths: list[list[Step]]) -> None:
        param = paths[0][-1].lower
        if len(paths) == 1:
            section.say(
                f"`{param}` reaches the loss along one path, ${self._arrows(paths[0])}$. The "
                "chain rule multiplies the local derivative of every step on it:"
            )
        else:
            section.say(
                f"`{param}` reaches the loss along {len(paths)} paths. The chain rule multiplies "
                "the local derivatives along each path and adds the paths up:"
            )
            section.items([f"${self._arrows(path)}$" for path in paths])
        section.show(*self._sum_rows(lhs, [self._chain(path) for path in paths]))
        section.say("Each local derivative is read off one node's definition:")
        section.show(*self._local_rows(paths))
        section.say("Multiplied out:")
        products = [self._product(path) for path in paths]
        rows = self._sum_rows(lhs, products, wrap=True)
        section.show(*rows[:-1], rows[-1] + self._path_values(paths))

    def _explain_adjoint_form(self, section: SectionBuilder, lhs: str, gradient) -> None:
        loss = self.model.loss.name
        uppers = [t.consumer for t in gradient.terms if t.consumer != loss]
        if uppers:
            deltas = ", ".join(f"${self.n.tex(self.derivation.adjoint(u).symbol)}$" for u in uppers)
            section.say(
                f"Everything above {self._node_list(uppers)} is already collected in the "
                f"adjoint {deltas} (section 2), so only the last step is new:"
            )
        else:
            section.say("The loss uses the parameter directly, so this is the whole gradient:")
        short = " + ".join(self._delta_times_local(t) for t in gradient.terms)
        section.show(f"{lhs} &= {short}" + self._value(gradient.expr))
        leaves = in_leaves(self.derivation, gradient.expr)
        if leaves is not None and leaves != gradient.expr:
            section.say("In the inputs, targets and parameters alone:")
            section.show(f"{lhs} &= {self.n.tex(leaves)}")

    # -- pieces --------------------------------------------------------------------------------
    def _arrows(self, path: list[Step]) -> str:
        names = [path[-1].lower] + [step.upper for step in reversed(path)]
        return r" \to ".join(self.n.name(name) for name in names)

    def _chain(self, path: list[Step]) -> list[str]:
        return [self.n.partial(step.upper, step.lower) for step in path]

    def _product(self, path: list[Step]) -> list[str]:
        return [self.n.factor(step.local) for step in path]

    def _local_rows(self, paths: list[list[Step]]) -> list[str]:
        rows, seen = [], set()
        for step in (step for path in paths for step in path):
            if (step.upper, step.lower) in seen:
                continue
            seen.add((step.upper, step.lower))
            row = f"{self.n.partial(step.upper, step.lower)} &= {self.n.tex(step.local)}"
            rows.append(row + self._value(step.local) if not step.local.is_number else row)
        return rows

    def _path_values(self, paths: list[list[Step]]) -> str:
        if self.values is None:
            return ""
        products = [sp.Mul(*[step.local for step in path]) for path in paths]
        if len(paths) == 1:
            factors = [value_tex(self.derivation, s.local, self.values, self.n) for s in paths[0]]
            total = self._value(products[0])
            return " = " + r" \cdot ".join(factors) + total
        return self._value(sp.Add(*products))

    def _sum_rows(self, lhs: str, paths: list[list[str]], wrap: bool = False) -> list[str]:
        joint = r" \cdot " if wrap else r"\,"
        rows = []
        for position, factors in enumerate(paths):
            lines = [
                factors[i : i + FACTORS_PER_LINE] for i in range(0, len(factors), FACTORS_PER_LINE)
            ]
            for number, line in enumerate(lines):
                head = f"{lhs} &= " if position == number == 0 else r"&\quad "
                sign = "+ " if number == 0 and position > 0 else ""
                dot = r"\cdot " if number > 0 and wrap else ""
                rows.append(head + sign + dot + joint.join(line))
        return rows

    def _node_list(self, nodes: list[str]) -> str:
        return " and ".join(f"`{node}`" for node in nodes)
