"""Why a vector-mode adjoint has the form it has: one sentence per kind of use.

A node uses a value through a matrix product (left or right factor), by broadcasting it, entry
by entry, or through another array op. :func:`relation` finds which; the ``SAY`` table holds
one function per kind that says why the chain rule gives that form. For an op other than the
matrix product, the sentence is the op's own ``backward_story``, with its backward rule printed
from the rule the op holds (:mod:`symbackprop.ir.ops`): a new op needs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symbackprop.derive.local import local_partial
from symbackprop.derive.rules import rule_for
from symbackprop.explain.notation import Notation, show_shape
from symbackprop.ir.model import Kind, Model, Node
from symbackprop.ir.ops import ArrayOpBase, dot


@dataclass(frozen=True)
class Relation:
    """How ``node`` uses ``wrt``: ``kind``, the operation ``call`` involved, and ``outer``,
    the entrywise factor between the node's output and that operation (1 when there is none).
    """

    kind: str
    node: Node
    wrt: sp.Symbol
    adjoint: sp.Expr
    call: sp.Expr | None = None
    outer: sp.Expr = sp.S.One


def relation(model: Model, node: Node, wrt: sp.Symbol, adjoint: sp.Expr) -> Relation:
    """How ``node`` (whose adjoint is ``adjoint``) uses the symbol ``wrt``."""
    for call in sp.preorder_traversal(node.expr):
        if isinstance(call, dot) and wrt in call.args:
            kind = "matmul_left" if call.args[0] == wrt else "matmul_right"
            return Relation(kind, node, wrt, adjoint, call, _outer_factor(node, call))
    call = _innermost_call(node.expr, wrt)
    if call is not None:
        return Relation("op", node, wrt, adjoint, call)
    if model.shapes[wrt.name] != model.shapes[node.name]:
        return Relation("broadcast", node, wrt, adjoint)
    return Relation("elementwise", node, wrt, adjoint, None, _entrywise_partial(node, wrt))


def _innermost_call(expr: sp.Expr, wrt: sp.Symbol) -> ArrayOpBase | None:
    """The array op nearest to ``wrt`` on its way into ``expr`` (a loss's fused softmax
    cross-entropy rather than the sum around it)."""
    calls = [c for c in sp.preorder_traversal(expr) if isinstance(c, ArrayOpBase) and c.has(wrt)]
    inner = [c for c in calls if not any(o != c and c.has(o) for o in calls)]
    return inner[0] if inner else None


def _placeholders(expr: sp.Expr) -> dict:
    calls = [c for c in sp.preorder_traversal(expr) if isinstance(c, ArrayOpBase)]
    outermost = [c for c in calls if not any(c != o and o.has(c) for o in calls)]
    return {call: sp.Dummy(f"op{i}") for i, call in enumerate(outermost)}


def _outer_factor(node: Node, call: sp.Expr) -> sp.Expr:
    placeholders = _placeholders(node.expr)
    if call not in placeholders:
        return sp.S.One
    elementwise = node.expr.xreplace(placeholders)
    return local_partial(elementwise, node.symbol, placeholders[call])


def _entrywise_partial(node: Node, wrt: sp.Symbol) -> sp.Expr:
    elementwise = node.expr.xreplace(_placeholders(node.expr))
    return local_partial(elementwise, node.symbol, wrt)


# -- what to say -------------------------------------------------------------------------------
Say = Callable[[Relation, Notation, Model], str]


def _role(model: Model, name: str) -> str:
    kind = model.node(name).kind
    return {Kind.PARAMETER: " (the weights)", Kind.INPUT: " (the layer's input)"}.get(
        kind, " (the activations)"
    )


def _arriving(r: Relation, n: Notation) -> str:
    """What ``g``, the adjoint arriving at the product, is."""
    if r.outer == 1:
        return f"$g = {n.tex(r.adjoint)}$ is the adjoint arriving at the product"
    g = n.tex(r.outer) if r.adjoint == 1 else f"{n.tex(r.adjoint)} \\odot {n.factor(r.outer)}"
    return (
        f"$g = {g}$ is the adjoint arriving at the product: on its way it passes entry by entry "
        f"through the outer function of ${n.name(r.node.name)}$, whose derivative is "
        f"${n.tex(r.outer)}$"
    )


def _say_matmul_left(r: Relation, n: Notation, model: Model) -> str:
    left, right = r.call.args
    a, b = n.tex(left), n.tex(right)
    role = _role(model, right.name) if right.is_Symbol else ""
    return (
        rf"${n.name(r.node.name)}$ uses ${a}$ through the matrix product ${a}\,{b}$. Entry by "
        rf"entry $[{a}\,{b}]_{{ik}} = \sum_j [{a}]_{{ij}}\,[{b}]_{{jk}}$, so "
        rf"$\partial [{a}\,{b}]_{{ik}} /\allowbreak \partial [{a}]_{{ij}} = [{b}]_{{jk}}$: "
        f"**the derivative with respect to ${a}$ is the matrix ${b}${role}, not ${a}$**. "
        f"Entry $[{a}]_{{ij}}$ feeds every column $k$ of the product, so the chain rule sums "
        rf"over $k$: $\sum_k [g]_{{ik}}\,[{b}]_{{jk}}$ is the product $g\,{{{b}}}^{{\top}}$ with "
        f"the transposed matrix, where {_arriving(r, n)}."
    )


def _say_matmul_right(r: Relation, n: Notation, model: Model) -> str:
    left, right = r.call.args
    a, b = n.tex(left), n.tex(right)
    role = _role(model, left.name) if left.is_Symbol else ""
    return (
        rf"${n.name(r.node.name)}$ uses ${b}$ through the matrix product ${a}\,{b}$, and "
        rf"$\partial [{a}\,{b}]_{{ik}} /\allowbreak \partial [{b}]_{{jk}} = [{a}]_{{ij}}$: "
        f"**the derivative with respect to ${b}$ is ${a}${role}**. Every sample (row) $i$ "
        f"uses the same entry $[{b}]_{{jk}}$, so the chain rule sums over the samples: "
        rf"$\sum_i [{a}]_{{ij}}\,[g]_{{ik}}$ is the product ${{{a}}}^{{\top}} g$, where "
        f"{_arriving(r, n)}."
    )


def _say_broadcast(r: Relation, n: Notation, model: Model) -> str:
    wrt, node = n.name(r.wrt.name), n.name(r.node.name)
    small, large = model.shapes[r.wrt.name], model.shapes[r.node.name]
    spread = "every entry" if small == () else "every row (sample)"
    summed = "over all entries" if small == () else r"over the rows, $\sum_{\text{rows}}$"
    return (
        f"${wrt}$ ${show_shape(small) if small else ''}$ is added to {spread} of "
        f"${node}$ ${show_shape(large)}$, so each of its entries affects many entries of "
        f"${node}$ and the chain rule adds their adjoints up: summed {summed}."
    )


def _say_elementwise(r: Relation, n: Notation, model: Model) -> str:
    node, wrt = n.name(r.node.name), n.name(r.wrt.name)
    return (
        f"${node}$ is computed entry by entry from ${wrt}$, so its local derivative "
        f"$\\partial {node} / \\partial {wrt} = {n.tex(r.outer)}$ is an array of the same "
        "shape, multiplied entry by entry ($\\odot$) with the adjoint; nothing is summed."
    )


def _say_op(r: Relation, n: Notation, model: Model) -> str:
    """The op's own story, its backward rule applied to ``g`` and printed."""
    call, g = r.call, sp.Symbol("g")
    position = next(i for i, arg in enumerate(call.args) if arg.has(r.wrt))
    rule = rule_for(type(call), position)(g, *call.args)
    if r.node.expr == call:  # the op is the whole node: its value is the node's symbol
        rule = rule.xreplace({call: r.node.symbol})
    story = call.backward_story
    if isinstance(story, tuple):  # one sentence per argument
        story = story[position]
    return story.format(
        node=n.name(r.node.name),
        wrt=n.name(r.wrt.name),
        call=n.tex(call),
        args=[n.tex(arg) for arg in call.args],
        rule=n.tex(rule),
        # shapes, for the stories that give them: each argument's, the result's, wrt's
        shapes=[_shown_shape(n, arg) for arg in call.args],
        out=_shown_shape(n, call),
        wrt_shape=_shown_shape(n, r.wrt),
    )


def _shown_shape(n: Notation, expr: sp.Expr) -> str:
    return "" if expr.is_Integer else show_shape(n.shape_of(expr))


SAY: dict[str, Say] = {
    "matmul_left": _say_matmul_left,
    "matmul_right": _say_matmul_right,
    "broadcast": _say_broadcast,
    "elementwise": _say_elementwise,
    "op": _say_op,
}


def why(r: Relation, notation: Notation, model: Model) -> str:
    """The sentence that explains the form of one vector-mode contribution."""
    return SAY[r.kind](r, notation, model)
