"""The ``derive`` verb's outputs: a derivation as text, LaTeX or JSON-ready data."""

from __future__ import annotations

import sympy as sp

from symbackprop.cells.step import StepModel
from symbackprop.derive import Derivation
from symbackprop.derive.bptt import derive_sequence
from symbackprop.ir.evaluate import evaluate, forward_values
from symbackprop.limits import MAX_SHOWN_NODES, tree_size_at_most
from symbackprop.printing.latex import array_shapes, latex, latex_name
from symbackprop.printing.text import text
from symbackprop.printing.through_time import convention_text, recursion_text, sequence_data


def derivation_data(derivation: Derivation) -> dict:
    """Everything ``derive`` shows, as plain data (the ``--format json`` document)."""
    model = derivation.model
    values = _point_values(derivation)
    shapes = array_shapes(derivation)
    data = {
        "model": model.name,
        "description": model.description,
        "source": model.source,
        "loss": {"name": model.loss.name, "expr": text(model.loss.expr)},
        "nodes": [
            {"name": n.name, "kind": n.kind.value, "expr": None if n.expr is None else text(n.expr)}
            for n in model.nodes
        ],
        "adjoints": [
            {
                "node": a.node,
                "name": a.symbol.name,
                "expr": text(a.expr),
                "latex": latex(a.expr, shapes=shapes),
            }
            for a in derivation.adjoints
        ],
        "gradients": [_gradient_data(derivation, g, values, shapes) for g in derivation.gradients],
        "at": {k: _plain(v) for k, v in model.values.items()} or None,
    }
    if isinstance(model, StepModel):  # a recurrent cell: its states and the recursion over steps
        data["through_time"] = sequence_data(derive_sequence(model))
    return data


_MAX_PATHS_SHOWN = 4
_MAX_LEAF_OPS_SHOWN = 30


def chain_form(derivation: Derivation, terms) -> sp.Expr | None:
    """The gradient as a product of local factors in chain order, loss first (for printing).

    ``(zout - t)*zout*(1 - zout)*w[4]*h1out*(1 - h1out)*x``: the order in which a person
    writes the chain rule. None when more than a few paths would make it unreadable.
    """
    form = _chain_form(derivation, terms, {})
    return form if form is None or tree_size_at_most(MAX_SHOWN_NODES, form) else None


def _chain_form(derivation: Derivation, terms, above: dict) -> sp.Expr | None:
    """:func:`chain_form`, each node's own chain form worked out once in ``above`` (a deep
    network has exponentially many paths through its nodes)."""
    products = []
    for term in terms:
        if term.local is None:
            return None  # vector mode: the adjoint form is the readable one
        head: list[sp.Expr] = []
        if term.consumer != derivation.model.loss.name:
            if term.consumer not in above:
                consumer_terms = derivation.adjoint(term.consumer).terms
                above[term.consumer] = _chain_form(derivation, consumer_terms, above)
            inner = above[term.consumer]
            if inner is None:
                return None
            head = list(inner.args) if isinstance(inner, sp.Mul) else [inner]
        local = sorted(
            (f for f in sp.Mul.make_args(term.local) if f != 1),
            key=lambda f: (not f.has(sp.Symbol(term.consumer)), f.is_Add, sp.default_sort_key(f)),
        )
        factors = [*head, *local]
        # Numbers lead: -2*(out - target)*x2, not 2*(out - target)*(-1)*x2.
        number = sp.Mul(*[f for f in factors if f.is_Number])
        factors = [f for f in factors if not f.is_Number]
        products.append(sp.Mul(*([number] if number != 1 else []), *factors, evaluate=False))
    if len(products) > _MAX_PATHS_SHOWN:
        return None
    return products[0] if len(products) == 1 else sp.Add(*products, evaluate=False)


def _gradient_data(derivation: Derivation, gradient, values, shapes) -> dict:
    chain = chain_form(derivation, gradient.terms)
    model = derivation.model
    # In vector mode the adjoint form is the readable one; leaves would nest whole layers.
    leaves = None if model.is_vector else _factored(derivation.in_leaves(gradient.expr))
    data = {
        "param": gradient.param,
        "expr": text(gradient.expr),
        "expanded": None if chain is None else text(chain),
        "in_leaves": _short_text(leaves),
        "latex": latex(gradient.expr, shapes=shapes),
    }
    if values is not None:
        data["value"] = _plain(evaluate(derivation.expanded(gradient.expr), values))
    return data


def _point_values(derivation: Derivation) -> dict | None:
    model = derivation.model
    if not model.values or len(model.values) < sum(n.kind.is_leaf for n in model.nodes):
        return None
    return forward_values(model, model.values)


def _plain(value) -> float | int:
    number = sp.sympify(value)
    return int(number) if number.is_Integer else float(number)


def derivation_text(derivation: Derivation) -> str:
    """Adjoints first (from the loss down), then one gradient per parameter."""
    data = derivation_data(derivation)
    loss = data["loss"]["name"]
    lines = [
        f"{data['model']}: {data['description']}".rstrip(": "),
        f"loss: {loss} = {data['loss']['expr']}",
        "",
        f"adjoints (delta_n = d{loss}/dn), from the loss down:",
    ]
    width = max((len(a["name"]) for a in data["adjoints"]), default=0)
    lines += [f"  {a['name']:<{width}} = {a['expr']}" for a in data["adjoints"]]
    lines += ["", "gradients:"]
    for g in data["gradients"]:
        head = f"  d{loss}/d{g['param']} = "
        lines.append(head + g["expr"])
        for form in _distinct(g["expr"], g["expanded"], g["in_leaves"]):
            lines.append(" " * (len(head) - 2) + "= " + form)
    if isinstance(derivation.model, StepModel):  # a recurrent cell: the recursion over steps
        sequence = derive_sequence(derivation.model)
        lines += ["", recursion_text(sequence).rstrip("\n"), "", convention_text(sequence)]
    if data["at"] and all("value" in g for g in data["gradients"]):  # values for every leaf
        point = ", ".join(f"{k} = {v}" for k, v in data["at"].items())
        lines += ["", f"at {point}:"]
        lines += [f"  d{loss}/d{g['param']} = {g['value']}" for g in data["gradients"]]
    return "\n".join(lines) + "\n"


def _factored(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with common factors pulled out; None when it is too large to show anyway
    (factoring a deep network's gradient in leaves would take minutes)."""
    return sp.factor_terms(expr) if tree_size_at_most(MAX_SHOWN_NODES, expr) else None


def _short_text(expr: sp.Expr | None) -> str | None:
    if expr is None or sp.count_ops(expr) > _MAX_LEAF_OPS_SHOWN:
        return None
    return text(expr)


def _distinct(shown: str, *forms: str | None) -> list[str]:
    seen, distinct = {shown}, []
    for form in forms:
        if form is not None and form not in seen:
            seen.add(form)
            distinct.append(form)
    return distinct


def derivation_latex(derivation: Derivation) -> str:
    """An ``align*`` block: adjoints, then gradients in adjoint and expanded form."""
    loss = latex_name(derivation.model.loss.name)
    shapes = array_shapes(derivation)
    rows = [f"{latex(a.symbol)} &= {latex(a.expr, shapes=shapes)}" for a in derivation.adjoints]
    for g in derivation.gradients:
        lhs = r"\frac{\partial %s}{\partial %s}" % (loss, latex_name(g.param))
        row = f"{lhs} &= {latex(g.expr, shapes=shapes)}"
        expanded = chain_form(derivation, g.terms)
        if expanded is not None and expanded != g.expr:
            row += f" = {latex(expanded, shapes=shapes)}"
        rows.append(row)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
