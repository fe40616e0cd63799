"""Builders of scalar models: free-form named assignments and fully connected networks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp

from symbackprop.errors import SpecError
from symbackprop.ir import activations
from symbackprop.ir.model import Kind, Model, Node
from symbackprop.ir.ops import Shape
from symbackprop.naming import indexed_name


class ModelBuilder:
    """Declare a model node by node, in forward order.

    >>> b = ModelBuilder("torch-scalar")
    >>> x, y = b.inputs("x y")
    >>> w = b.parameter("w")
    >>> y_hat = b.define("y_hat", w * x)
    >>> model = b.loss("loss", (y_hat - y) ** 2)
    """

    def __init__(self, name: str, source: str = "built-in"):
        self.name = name
        self.source = source
        self._nodes: list[Node] = []
        self._shapes: dict[str, Shape] = {}
        self._starts: dict[str, float] = {}

    def _add(self, name: str, kind: Kind, expr=None, line: int | None = None) -> sp.Symbol:
        node = Node(name, kind, None if expr is None else sp.sympify(expr), line)
        self._nodes.append(node)
        return node.symbol

    def _leaf(self, name: str, kind: Kind, line: int | None, shape: Shape | None) -> sp.Symbol:
        if shape is not None:
            self._shapes[name] = tuple(shape)
        return self._add(name, kind, line=line)

    def input(self, name: str, line: int | None = None, shape: Shape | None = None) -> sp.Symbol:
        """An input; give ``shape`` (``("m", 3)``: m samples of 3) for a vector-mode model."""
        return self._leaf(name, Kind.INPUT, line, shape)

    def inputs(self, names: str) -> list[sp.Symbol]:
        return [self.input(name) for name in names.split()]

    def target(self, name: str, line: int | None = None, shape: Shape | None = None) -> sp.Symbol:
        return self._leaf(name, Kind.TARGET, line, shape)

    def parameter(
        self,
        name: str,
        line: int | None = None,
        shape: Shape | None = None,
        starts_at: float | None = None,
    ):
        """A parameter; ``starts_at``: every entry starts at this value whatever the
        initialisation scheme (a normalisation's scale at 1, its shift at 0)."""
        if starts_at is not None:
            if starts_at not in (0, 1):
                raise ValueError("a parameter starts at 0 or 1")
            self._starts[name] = starts_at
        return self._leaf(name, Kind.PARAMETER, line, shape)

    def has(self, name: str) -> bool:
        return any(node.name == name for node in self._nodes)

    def parameters(self, base: str, *shape: int) -> list:
        """Indexed parameter elements ``base[i]`` (or ``base[i, j]``), as nested lists."""
        if len(shape) == 1:
            return [self.parameter(indexed_name(base, i)) for i in range(shape[0])]
        return [
            [self.parameter(indexed_name(base, i, j)) for j in range(shape[1])]
            for i in range(shape[0])
        ]

    def define(self, name: str, expr, line: int | None = None) -> sp.Symbol:
        return self._add(name, Kind.INTERMEDIATE, expr, line)

    def loss(
        self,
        name: str,
        expr,
        line: int | None = None,
        *,
        description: str = "",
        values: Mapping[str, float] | None = None,
    ) -> Model:
        self._add(name, Kind.LOSS, expr, line)
        nodes = tuple(self._nodes)
        values = dict(values or {})
        return Model(
            self.name, nodes, self.source, description, values, self._shapes, dict(self._starts)
        )


def fully_connected(
    sizes: Sequence[int],
    activation: activations.ActivationLike | Sequence[activations.ActivationLike] = "sigmoid",
    loss: str | sp.Lambda = "half_sse",
    reduction: str = "sum",
    name: str | None = None,
) -> Model:
    """A fully connected network on one sample, as a scalar model.

    Names: inputs ``x[i]``, targets ``t[k]``, weights ``W1[i, j]`` (from unit i of layer 0 to
    unit j of layer 1), biases ``b1[j]``, pre-activations ``z1[j]``, activations ``a1[j]``,
    loss ``E``.
    """
    sizes = checked_sizes(sizes)
    checked_reduction(reduction)
    layer_acts = per_layer(activation, len(sizes) - 1)
    per_output = activations.loss(loss)
    builder = ModelBuilder(name or "fc-" + "-".join(map(str, sizes)))
    units = [builder.input(indexed_name("x", i)) for i in range(sizes[0])]
    targets = [builder.target(indexed_name("t", k)) for k in range(sizes[-1])]
    for layer, (width, act) in enumerate(zip(sizes[1:], layer_acts, strict=True), start=1):
        units = _dense_layer(builder, layer, units, width, act)
    terms = [per_output(a, t) for a, t in zip(units, targets, strict=True)]
    # One sample: the mean over its outputs, or their sum ("sum" and "sample_mean" agree).
    total = sp.Add(*terms) / len(terms) if reduction == "mean" else sp.Add(*terms)
    return builder.loss("E", total, description=f"{sizes} {loss} loss, {reduction} reduction")


# -- checks shared by the scalar and the vector builders ---------------------------------------
def checked_sizes(sizes: Sequence[int]) -> list[int]:
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise SpecError(f"layer sizes must be at least two positive integers, got {sizes}")
    return sizes


def checked_reduction(reduction: str) -> str:
    if reduction not in activations.REDUCTIONS:
        known = ", ".join(activations.REDUCTIONS)
        raise SpecError(f"unknown reduction {reduction!r} (known: {known})")
    return reduction


def per_layer(spec, layers: int, allowed: tuple[str, ...] = ()) -> list:
    """One activation class per layer; names in ``allowed`` (``"softmax"``) are kept as names.
    A user's function given once becomes one class, shared by the layers."""
    if isinstance(spec, str) or callable(spec):
        specs = [spec if spec in allowed else activations.activation(spec)] * layers
    else:
        specs = [s if s in allowed else activations.activation(s) for s in spec]
    if len(specs) != layers:
        raise SpecError(f"{len(specs)} activations given for {layers} layers")
    return specs


def _dense_layer(builder: ModelBuilder, layer: int, inputs: list, width: int, act) -> list:
    weights = builder.parameters(f"W{layer}", len(inputs), width)
    biases = builder.parameters(f"b{layer}", width)
    outputs = []
    for j in range(width):
        pre = sum((inputs[i] * weights[i][j] for i in range(len(inputs))), biases[j])
        z = builder.define(indexed_name(f"z{layer}", j), pre)
        outputs.append(builder.define(indexed_name(f"a{layer}", j), act(z)))
    return outputs
