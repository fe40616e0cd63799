"""Independent references for tests: hand-written formula parsing and finite differences."""

from __future__ import annotations

import functools

import mpmath
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from symbackprop.ir.model import Model


class _Indexed:
    """``w[4]`` in a hand-written formula means the parameter element named ``w[4]``."""

    def __init__(self, base: str):
        self.base = base

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        return sp.Symbol(f"{self.base}[{', '.join(str(int(i)) for i in index)}]")


class _Numpy:
    """Just enough of ``np`` for the asker's formulas."""

    exp = staticmethod(sp.exp)

    @staticmethod
    def dot(a, b):
        return a * b


def asked_formula(text: str, indexed=(), aliases=None) -> sp.Expr:
    """Parse a formula as written in the six questions, with ``indexed`` bases and name aliases."""
    names = {base: _Indexed(base) for base in indexed}
    names["np"] = _Numpy()
    names.update({k: v for k, v in (aliases or {}).items()})
    return parse_expr(text, local_dict=names, evaluate=True)


def symbols_of(model: Model) -> dict[str, sp.Symbol]:
    return {node.name: node.symbol for node in model.nodes}


def leaf_loss(model: Model):
    """The loss as a Python function of a dict of leaf values, in mpmath (40 digits)."""
    leaves = tuple(n.symbol for n in model.nodes if n.kind.is_leaf)
    function = _lambdified(leaves, model.in_leaves(model.loss.expr), "mpmath")
    return lambda values: function(*[values[s.name] for s in leaves])


@functools.cache
def _lambdified(leaves: tuple[sp.Symbol, ...], expr: sp.Expr, modules: str):
    """``expr`` as a function of ``leaves``: built once for each loss, since lambdify prints
    and compiles the whole expression (most of a finite-difference test's time, once a call)."""
    return sp.lambdify(leaves, expr, modules=modules)


def central_difference(model: Model, point: dict, param: str, step: float = 1e-12) -> float:
    """dLoss/dparam by a central difference in 40-digit arithmetic (truncation ~ step**2)."""
    loss = leaf_loss(model)
    with mpmath.workdps(40):
        up, down = dict(point), dict(point)
        up[param] = mpmath.mpf(point[param]) + mpmath.mpf(step)
        down[param] = mpmath.mpf(point[param]) - mpmath.mpf(step)
        return float((loss(up) - loss(down)) / (2 * mpmath.mpf(step)))


def central_difference_float64(model: Model, point: dict, param: str, h: float = 1e-3) -> float:
    """dLoss/dparam by the five-point central difference in float64 (error ~ h**4)."""
    leaves = tuple(n.symbol for n in model.nodes if n.kind.is_leaf)
    loss = _lambdified(leaves, model.in_leaves(model.loss.expr), "numpy")

    def at(shift: float) -> float:
        moved = dict(point, **{param: point[param] + shift})
        return float(loss(*[moved[s.name] for s in leaves]))

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


def relative_error(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
