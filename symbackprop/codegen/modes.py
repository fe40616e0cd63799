"""How a model's symbols live in generated code, in vector mode and in scalar mode.

Vector mode: node symbols are arrays and print as themselves. Scalar mode: each node is one
number per sample, so the module takes 1-D arrays of samples and sums each gradient over them;
indexed parameters (``w[4]``) are elements of one array per base name (``w``), and so are
their gradients (``d_w[4]`` of ``d_w``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.stable import stabilize
from symbackprop.codegen.statements import Assign, Statement, Variables, row_count, zeros_like
from symbackprop.ir.model import Kind, Model
from symbackprop.ir.ops import total
from symbackprop.naming import BATCH_SIZE, gradient_name, identifier, indexed_name, split_indexed


@dataclass(frozen=True)
class Parameter:
    name: str
    shape: tuple[int, ...]
    fans: tuple[int, int] | None  # None: a bias, zero under Glorot and He
    starts_at: float | None = None  # every entry starts here under any scheme (gamma at 1)

    @property
    def filled_with(self) -> str | None:
        """``"ones"`` or ``"zeros"`` for a parameter that starts there, else None."""
        return {None: None, 0: "zeros", 1: "ones"}[self.starts_at]

    @property
    def gradient(self) -> str:
        return gradient_name(self.name)


def assign(target: sp.Symbol, expr: sp.Expr) -> Assign:
    """``target = expr``, with overflow-prone exponentials rewritten (same value)."""
    return Assign(target, stabilize(expr))


def mode_of(model: Model) -> VectorMode | ScalarMode:
    return VectorMode(model) if model.is_vector else ScalarMode(model)


def fans_of(shape: tuple) -> tuple[int, int] | None:
    """The inputs and outputs each weight connects, for Glorot and He: a matrix (n_in, n_out)
    its two sizes; kernels (F, C, KH, KW) C and F times the window, as PyTorch counts them;
    None for a bias."""
    if len(shape) == 2:
        return (shape[0], shape[1])
    if len(shape) == 4:
        window = shape[2] * shape[3]
        return (shape[1] * window, shape[0] * window)
    return None


class VectorMode:
    """Vector mode: every symbol is an array; the batch size comes from the first input."""

    def __init__(self, model: Model):
        self.model = model
        self.names: dict[str, str] = {}  # how the printer spells a symbol, where not by name
        self.variables = Variables()

    def arguments(self) -> list[str]:
        leaves = self.model.of_kind(Kind.INPUT, Kind.TARGET)
        return [identifier(n.name) for n in leaves if n.name != BATCH_SIZE]

    def batched(self) -> str | None:
        """The first argument whose rows are the samples of a batch."""
        batched = [n for n in self.arguments() if self.model.shapes[n][:1] == (BATCH_SIZE,)]
        return batched[0] if batched else None

    def prologue(self, statements: list[Statement]) -> list[Statement]:
        """``m = X.shape[0]`` where some statement divides by the batch size."""
        batch_size = sp.Symbol(BATCH_SIZE)
        if not any(batch_size in s.reads for s in statements) or self.batched() is None:
            return []
        return [Assign(batch_size, row_count(sp.Symbol(self.batched())))]

    def node_expr(self, node) -> sp.Expr:
        return node.expr

    def parameters(self) -> list[Parameter]:
        params = []
        for node in self.model.parameters:
            shape = tuple(self.model.shapes[node.name])
            start = self.model.starts.get(node.name)
            params.append(Parameter(identifier(node.name), shape, fans_of(shape), start))
        return params

    def gradient(self, gradient) -> list[Statement]:
        return [assign(sp.Symbol(gradient_name(gradient.param)), gradient.expr)]


class ScalarMode:
    """Scalar mode vectorised over samples: leaves are 1-D arrays, gradients sum over them."""

    def __init__(self, model: Model):
        self.model = model
        self.names = {n.name: self._code_name(n) for n in model.nodes if n.kind.is_leaf}
        arrays: dict[str, str] = {}  # element -> its array
        self._first_elements: dict[str, str] = {}  # base -> its first parameter element
        for node in model.nodes:
            indexed = split_indexed(node.name)
            if node.kind.is_leaf and indexed is not None:
                arrays[node.name] = identifier(indexed[0])
            if node.kind is Kind.PARAMETER and indexed is not None:
                element = indexed_name(gradient_name(indexed[0]), *indexed[1])
                self.names[element] = element
                arrays[element] = gradient_name(indexed[0])
        for node in model.parameters:
            base = (split_indexed(node.name) or (node.name, ()))[0]
            self._first_elements.setdefault(base, node.name)
        self.variables = Variables(arrays)

    @staticmethod
    def _code_name(node) -> str:
        indexed = split_indexed(node.name)
        if indexed is None:
            return identifier(node.name)
        base, index = indexed
        if node.kind is Kind.PARAMETER:
            return f"{base}[{', '.join(map(str, index))}]"
        return f"{base}[:, {', '.join(map(str, index))}]"  # one column per input element

    def _bases(self, *kinds: Kind) -> list[str]:
        bases = [(split_indexed(n.name) or (n.name, ()))[0] for n in self.model.of_kind(*kinds)]
        return [identifier(b) for b in dict.fromkeys(bases)]

    def arguments(self) -> list[str]:
        return self._bases(Kind.INPUT, Kind.TARGET)

    def batched(self) -> str | None:
        return None

    def prologue(self, statements: list[Statement]) -> list[Statement]:
        return []

    def node_expr(self, node) -> sp.Expr:
        # The loss of a batch is the sum of the per-sample losses.
        return total(node.expr) if node.kind is Kind.LOSS else node.expr

    def parameters(self) -> list[Parameter]:
        shapes: dict[str, tuple[int, ...]] = {}
        for node in self.model.parameters:
            base, index = split_indexed(node.name) or (node.name, ())
            previous = shapes.get(base, tuple(0 for _ in index))
            shapes[identifier(base)] = tuple(
                max(p, i + 1) for p, i in zip(previous, index, strict=True)
            )
        return [Parameter(name, shape, (1, 1)) for name, shape in shapes.items()]

    def gradient(self, gradient) -> list[Statement]:
        base, index = split_indexed(gradient.param) or (gradient.param, ())
        summed = total(stabilize(gradient.expr))
        name = gradient_name(base)
        if not index:
            return [Assign(sp.Symbol(name), summed)]
        first = self._first_elements[base] == gradient.param  # gradients come in this order
        zeros = [Assign(sp.Symbol(name), zeros_like(sp.Symbol(identifier(base))))]
        return (zeros if first else []) + [Assign(sp.Symbol(indexed_name(name, *index)), summed)]
