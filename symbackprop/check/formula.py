"""Formula mode's input: ``TARGET = EXPR`` lines and ``--as`` aliases, read through the whitelist.

TARGET names what the formula claims to be: a parameter (``w[0]``: dLoss/dw[0]), an adjoint
(``delta_h1``), or the user's own name mapped by an alias (``--as e1=w[0]``). Inside EXPR the
model's names mean their forward values, adjoint names and aliased names mean those adjoints
(or gradients), and the spelling is Python/NumPy's.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from symbackprop.check.subject import Subject
from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.ir.model import Kind
from symbackprop.naming import ADJOINT_PREFIX, GRADIENT_PREFIX, identifier, indexed_name
from symbackprop.readers.arraytranslate import ArrayTranslator
from symbackprop.readers.pysource import parse
from symbackprop.readers.whitelist import Namespace

MAX_FORMULA_CHARS = 20_000
# Bare names a formula may call without imports (a formula has no import lines).
FORMULA_FUNCTIONS = {
    "exp": "numpy.exp",
    "log": "numpy.log",
    "tanh": "numpy.tanh",
    "sqrt": "numpy.sqrt",
    "dot": "numpy.dot",
    "multiply": "numpy.multiply",
    "mul": "numpy.multiply",
    "sigmoid": "torch.sigmoid",
    "transpose": "numpy.transpose",
}


@dataclass(frozen=True)
class Target:
    """What a formula claims to be: dLoss/d(name) of a parameter, or an adjoint."""

    kind: str  # "gradient" or "adjoint"
    name: str  # the parameter, or the node whose adjoint it is

    def label(self, loss: str) -> str:
        return f"d{loss}/d{self.name}"


@dataclass(frozen=True)
class Formula:
    """One parsed formula: the user's name for the target, what it means, and its value."""

    text: str
    user_name: str
    target: Target
    expr: sp.Expr
    number: int


def parse_aliases(items: Sequence[str]) -> dict[str, str]:
    """``["e1=w[0]", ...]`` -> ``{"e1": "w[0]"}``."""
    aliases: dict[str, str] = {}
    for item in items:
        name, equals, meaning = (part.strip() for part in item.partition("="))
        if not equals or not name.isidentifier() or not meaning:
            raise SpecError(f"--as {item!r}: write NAME=TARGET, e.g. --as e1=w[0]")
        aliases[name] = meaning
    return aliases


def resolve_target(subject: Subject, name: str, where: str) -> Target:
    """The gradient or adjoint a target name stands for."""
    model = subject.model
    node = model.by_name.get(name)
    if node is not None and node.kind is Kind.PARAMETER:
        return Target("gradient", name)
    for prefix, kind in ((ADJOINT_PREFIX, "adjoint"), (GRADIENT_PREFIX, "gradient")):
        base = _node_named(subject, name[len(prefix) :]) if name.startswith(prefix) else None
        if base is None:
            continue
        if kind == "gradient" and model.node(base).kind is Kind.PARAMETER:
            return Target(kind, base)
        if kind == "adjoint" and base in subject.adjoint_symbols.values():
            return Target(kind, base)
        if kind == "adjoint":
            raise SpecError(
                f"{name!r}: the loss has no adjoint for {base!r} (an input, a target, or a "
                "value the loss does not use)",
                file=where,
            )
    hint = f"; did you mean {ADJOINT_PREFIX}{name}?" if node is not None else ""
    params = ", ".join(p.name for p in model.parameters[:8])
    raise SpecError(
        f"{name!r} is not a parameter ({params}{', ...' if len(model.parameters) > 8 else ''})"
        f" nor an adjoint delta_NODE of model {model.name!r}{hint}",
        file=where,
    )


def _node_named(subject: Subject, name: str) -> str | None:
    """The node called ``name``, also when written as an identifier (``w_4`` for ``w[4]``)."""
    if name in subject.model.by_name:
        return name
    return next((n.name for n in subject.model.nodes if identifier(n.name) == name), None)


def parse_formula(text: str, number: int = 1) -> tuple[ast.expr, ast.expr]:
    """The target and value ast of ``TARGET = EXPR`` (parsed, never run)."""
    where = f"--formula #{number}"
    if len(text) > MAX_FORMULA_CHARS:
        raise UnsupportedConstruct(f"a formula over {MAX_FORMULA_CHARS} characters", file=where)
    tree = parse(text, where)
    statements = tree.body
    if (
        len(statements) != 1
        or not isinstance(statements[0], ast.Assign)
        or len(statements[0].targets) != 1
    ):
        raise SpecError(
            "write one formula as TARGET = EXPR, e.g. e1 = delta_h1*x", file=where, line=1
        )
    target = statements[0].targets[0]
    if not isinstance(target, ast.Name | ast.Subscript):
        raise SpecError(
            "the target must be a name such as w[0], delta_h1 or e1", file=where, line=1
        )
    return target, statements[0].value


def target_text(node: ast.expr) -> str:
    """``w[0]`` for the ast of ``w[0]`` or ``w[0][1]`` (constant indices only)."""
    index: list[str] = []
    while isinstance(node, ast.Subscript):
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not all(isinstance(p, ast.Constant) and type(p.value) is int for p in parts):
            raise SpecError("a target index must be a constant integer, as in w[0]")
        index[:0] = [p.value for p in parts]
        node = node.value
    if not isinstance(node, ast.Name):
        raise SpecError("the target must be a name such as w[0], delta_h1 or e1")
    return indexed_name(node.id, *index) if index else node.id


class FormulaReader:
    """Reads formulas against one subject, with the user's aliases."""

    def __init__(self, subject: Subject, aliases: Mapping[str, str]):
        self.subject = subject
        self.aliases = dict(aliases)
        self.meanings = {
            alias: resolve_target(subject, meaning, f"--as {alias}={meaning}")
            for alias, meaning in self.aliases.items()
        }

    def read(self, text: str, number: int) -> Formula:
        where = f"--formula #{number}"
        target_node, value = parse_formula(text, number)
        user_name = target_text(target_node)
        target = self.meanings.get(user_name) or resolve_target(self.subject, user_name, where)
        translator = self._translator(where)
        resolve = self._resolver(user_name, where)
        try:
            expr = translator.expression(value, resolve)
        except UnsupportedConstruct as error:
            raise UnsupportedConstruct(error.message, file=where, line=error.line) from None
        return Formula(text, user_name, target, expr, number)

    def _translator(self, where: str) -> ArrayTranslator:
        subject = self.subject
        namespace = Namespace(functions=dict(FORMULA_FUNCTIONS))
        return ArrayTranslator(
            where,
            namespace,
            {},
            self._resolver("", where),
            space=subject.space.copy(frozen=True) if subject.is_vector else None,
            shapes=subject.shapes,
            lenient=True,
        )

    def _resolver(self, defining: str, where: str):
        def resolve(name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
            full = indexed_name(name, *index) if index else name
            if full == defining:
                raise SpecError(f"the formula for {full!r} uses {full!r} itself", file=where)
            return self.value_of(full, where)

        return resolve

    def value_of(self, name: str, where: str) -> sp.Expr:
        """What a name inside a formula stands for."""
        subject = self.subject
        if name in self.meanings:
            return self.expected(self.meanings[name])
        node = subject.model.by_name.get(name)
        if node is not None and node.symbol not in subject.hidden:
            return node.symbol
        if name.startswith((ADJOINT_PREFIX, GRADIENT_PREFIX)):
            return self.expected(resolve_target(subject, name, where))
        known = ", ".join(n.name for n in subject.model.nodes if n.symbol not in subject.hidden)
        raise SpecError(f"unknown name {name!r} (the model's names: {_short(known)})", file=where)

    def expected(self, target: Target) -> sp.Expr:
        """The true value of a target, through adjoint symbols."""
        derivation = self.subject.derivation
        if target.kind == "gradient":
            return derivation.gradient(target.name).expr
        try:
            return derivation.adjoint(target.name).symbol
        except KeyError:
            return sp.S.Zero  # the loss does not depend on this node


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
