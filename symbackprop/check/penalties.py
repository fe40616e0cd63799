"""A layer class's regularisers, and the loss the file adds for them: a layer made with
``weight_regularizer_l2=0`` is judged again with each regulariser on, its loss adding the
file's own ``regularization_loss(layer)``."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from symbackprop.readers.concrete.inputs import regularisers
from symbackprop.readers.concrete.interpreter import Instance, Module


@dataclass(frozen=True)
class Penalty:
    """A layer's regularisers as its class is made with them, and the method of the file's
    ``owner`` class (a loss) that gives their loss for a layer."""

    strengths: dict[str, float]
    owner: ast.ClassDef
    method: ast.FunctionDef


# The names a from-scratch loss class gives the regularisation loss of one layer.
_PENALTY_METHODS = ("regularization_loss", "regularisation_loss")


def penalty_of(module: Module, init: ast.FunctionDef | None) -> Penalty | None:
    """A layer's regularisers (``weight_regularizer_l2=0``), each made distinct and nonzero,
    and the file's ``regularization_loss(self, layer)`` that adds their loss; None where the
    layer has none or the file never adds their loss."""
    strengths = regularisers(init)
    if not strengths:
        return None
    for cls in module.classes.values():
        for name in _PENALTY_METHODS:
            method = Instance(cls, module).method(name)
            if method is not None and len(method.args.args) == 2:
                return Penalty(strengths, cls, method)
    return None


def returned_name(function: ast.FunctionDef) -> str | None:
    """The name ``function`` returns (``return regularization_loss``), if it returns one."""
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
    values = {n.value.id for n in returns if isinstance(n.value, ast.Name)}
    return values.pop() if len(values) == 1 else None
