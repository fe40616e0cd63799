"""What formulas are checked against: a model, its derivation, and points to evaluate at.

Stages:

    # Model -> Model with named pre-activations      (exploded)
    # -> Derivation                                  (derive)
    # -> symbolic dimensions (vector mode)           (dims.generalized)
    # -> trials: sizes, leaf values, every node and adjoint evaluated   (Subject.trials)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np
import sympy as sp

from symbackprop.check.numeric import difference
from symbackprop.derive import Derivation, derive
from symbackprop.derive.local import output_form, split_outer
from symbackprop.errors import ShapeError, SymbackpropError
from symbackprop.ir.activations import leaky_relu, relu
from symbackprop.ir.evaluate import EvaluationError, Evaluator, NotExact, Numbers, Value, to_mp
from symbackprop.ir.model import Kind, Model, Node
from symbackprop.ir.ops import Shape, SumBase, softmax, softmax_xent
from symbackprop.naming import fresh_name
from symbackprop.readers.dims import DimSpace, generalized

TRIALS = 3
MAX_NODES_IN_LEAVES = 40
_NUMERATORS = [n for n in range(-29, 30) if n]
_DENOMINATORS = (5, 7, 8, 9, 11, 13)


@dataclass
class Trial:
    """One point: sizes of the free dimensions and a value for every symbol of the model."""

    label: str
    sizes: dict[sp.Symbol, int]
    env: dict[sp.Symbol, Value]
    exact: bool
    leaves: dict[sp.Symbol, Value] = field(default_factory=dict)  # exact, as drawn
    _mp_env: dict | None = None
    # one evaluator per number system over this point's own values: a subexpression that many
    # claims share (a forward line, an adjoint) is evaluated once, not once a claim
    _evaluators: dict[Numbers, Evaluator] = field(default_factory=dict, repr=False, compare=False)

    def evaluate(self, expr: sp.Expr, overrides: dict | None = None) -> Value:
        """``expr`` here, exactly where possible; ``overrides`` replaces some symbols' values."""
        self._draw_unknown(expr)
        if overrides:
            env = {**self.env, **overrides}
            if self.exact:
                try:
                    return Evaluator(env, Numbers.EXACT)(expr)
                except NotExact:
                    pass
            return Evaluator(self._in_mp(env, fresh=True), Numbers.MPMATH)(expr)
        if self.exact:
            try:
                return self._evaluator(Numbers.EXACT)(expr)
            except NotExact:
                pass
        return self._evaluator(Numbers.MPMATH)(expr)

    def _evaluator(self, numbers: Numbers) -> Evaluator:
        if numbers not in self._evaluators:
            env = self.env if numbers is Numbers.EXACT else self._in_mp(self.env, fresh=False)
            self._evaluators[numbers] = Evaluator(env, numbers)
        return self._evaluators[numbers]

    def _draw_unknown(self, expr: sp.Expr) -> None:
        """A number the model does not use but a claim does (``dW = lr * X.T @ d``, the
        learning rate inside a gradient) is drawn like a leaf, once per trial."""
        unknown = sorted(expr.free_symbols - self.env.keys(), key=str)
        for symbol in unknown:
            rng = random.Random(f"{self.label}/{symbol.name}")
            value = abs(_random_array(rng, ()))  # a positive rate, as learning rates are
            self.env[symbol] = value if self.exact else to_mp(value)
            self.leaves[symbol] = value
            self._mp_env = None
            self._evaluators.pop(Numbers.MPMATH, None)  # it read the values before this one

    def _in_mp(self, env: dict, fresh: bool) -> dict:
        if not self.exact:
            return env
        if fresh:
            return {symbol: to_mp(value) for symbol, value in env.items()}
        if self._mp_env is None:
            self._mp_env = {symbol: to_mp(value) for symbol, value in env.items()}
        return self._mp_env


class Subject:
    """A model prepared for checking: derivation, dimensions and trial points."""

    def __init__(self, model: Model, space: DimSpace | None = None, shapes=None, ones=frozenset()):
        self.ones = frozenset(ones)  # dimensions every trial takes as 1 (a single output)
        self.model, self.hidden = exploded(model)
        self.derivation: Derivation = derive(self.model)
        if self.model.is_vector and space is None:
            space, shapes = generalized(self.model)
        elif self.model.is_vector:
            shapes = {**shapes, **_node_shapes(self.model, space, shapes)}
        self.space = space
        self.shapes: dict[str, Shape] = shapes or {}
        self._values_at_trials: dict[sp.Expr, list] = {}
        self._equalities: dict[tuple[sp.Expr, sp.Expr], bool] = {}
        for adjoint in self.derivation.adjoints:  # an adjoint is shaped like its node
            if adjoint.node in self.shapes:
                self.shapes[adjoint.symbol.name] = self.shapes[adjoint.node]

    @property
    def is_vector(self) -> bool:
        return self.model.is_vector

    @cached_property
    def adjoint_symbols(self) -> dict[sp.Symbol, str]:
        return {a.symbol: a.node for a in self.derivation.adjoints}

    def expanded(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` in forward nodes and leaves only (adjoints substituted)."""
        return self.derivation.expanded(expr)

    def in_leaves(self, expr: sp.Expr) -> sp.Expr | None:
        """``expr`` in inputs and parameters only; None for models too large for that to read
        well (writing every node out costs more than it explains)."""
        if len(self.model.nodes) > MAX_NODES_IN_LEAVES:
            return None
        return self.model.in_leaves(self.expanded(expr))

    def readable(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with the pre-activations this checker named written out again."""
        return expr.xreplace(self.hidden) if self.hidden else expr

    def values_at_trials(self, expr: sp.Expr) -> list:
        """``expr`` at every trial (an error where it cannot be evaluated), computed once."""
        if expr not in self._values_at_trials:
            found = []
            for trial in self.trials:
                try:
                    value = trial.evaluate(expr)
                    # one output: (1,), (1, 1) and () are the same number to the code that
                    # runs (a step broadcasts onto its parameter), so compared without the 1s
                    found.append(self.comparable(value))
                except (EvaluationError, SymbackpropError, TypeError) as error:
                    found.append(error)
            self._values_at_trials[expr] = found
        return self._values_at_trials[expr]

    def equal(self, got: sp.Expr, expected: sp.Expr) -> bool:
        """Equal at every trial; each pair is compared once."""
        if (got, expected) not in self._equalities:
            found = zip(
                self.trials,
                self.values_at_trials(got),
                self.values_at_trials(expected),
                strict=True,
            )
            self._equalities[got, expected] = all(
                _numbers(g, e) and self.differs(expected, e, g, trial) is None
                for trial, g, e in found
            )
        return self._equalities[got, expected]

    def differs(self, expected: sp.Expr, value, got, trial: Trial) -> tuple | None:
        """``difference(value, got)``, where ``value`` is ``expected`` at ``trial``; a value
        that stands for a larger array is compared as that array: an adjoint of a node
        summed over its rows is one row (``dvar / N``), the same in every row of the node's
        shape, so written out in that shape (``np.ones((N, D)) * dvar / N``) it is right."""
        found = difference(value, got)
        if found is None or found[0] != "shape" or not isinstance(value, np.ndarray):
            return found
        try:
            dims = self.space.copy(frozen=True).shape(expected, self.shapes)
            shape = tuple(int(sp.sympify(d).xreplace(trial.sizes)) for d in dims)
        except (ShapeError, TypeError):  # a shape not known, or not whole at this trial
            return found
        if np.shape(got) != shape or _broadcast(value.shape, shape) != shape:
            return found
        return difference(np.broadcast_to(value, shape), got)

    def comparable(self, value):
        """``value`` as compared: with one output, a one-entry array as its number (a step
        of shape (1,) broadcasts onto a (1, 1) bias, or a number onto either)."""
        return _squeezed(value) if self.ones else value

    def widths(self, dims) -> frozenset:
        """Of ``dims``, the sizes of a parameter's axes (an output width, say): those code may
        take as 1; never the batch, which no parameter has."""
        if not self.is_vector:
            return frozenset()
        axes = {
            self.space.resolve(d)
            for node in self.model.parameters
            for d in self.shapes.get(node.name, ())
        }
        found = {self.space.resolve(d) for d in dims}
        return frozenset(d for d in found if d in axes and d.is_Symbol)

    def shape_of(self, expr: sp.Expr) -> Shape:
        if not self.is_vector:
            return ()
        return self.space.shape(expr, self.shapes)

    # -- trials -------------------------------------------------------------------------------
    @cached_property
    def trials(self) -> list[Trial]:
        trials = []
        if self.model.values and not self.is_vector and _complete(self.model):
            values = {
                sp.Symbol(k): Fraction(v).limit_denominator(10**12)
                for k, v in self.model.values.items()
            }
            trials.append(self._trial("at the model's values", {}, values))
        for index in range(TRIALS):
            sizes = self.space.sizes(self.shapes.values(), index) if self.is_vector else {}
            sizes |= {dim: 1 for dim in self.ones}
            trials.append(self._random_trial(f"random point {index + 1}", sizes, index))
        return trials

    def _random_trial(self, label: str, sizes: dict, index: int) -> Trial:
        """A trial at random values; where they divide by zero (a sigmoid of a large sum is 1
        even in 50 digits, so ``1 - A2`` is 0), at values a tenth as large."""
        try:
            return self._trial(label, sizes, self._random_leaves(sizes, index), smaller=True)
        except SmallerValuesWanted:
            return self._trial(label, sizes, self._random_leaves(sizes, index, Fraction(1, 10)))

    def _random_leaves(
        self, sizes: dict, index: int, scale: Fraction = Fraction(1)
    ) -> dict[sp.Symbol, Value]:
        rng = random.Random(1009 * (index + 1))
        by_name = {s.name: v for s, v in sizes.items()}
        # a size the code names (m = X.shape[0], a slice's bound H) is a value its lines may use
        leaves: dict[sp.Symbol, Value] = {s: Fraction(v) for s, v in sizes.items()}
        one_hot = class_targets(self.model)
        for node in self.model.nodes:
            if not node.kind.is_leaf:
                continue
            if node.name in by_name:
                leaves[node.symbol] = Fraction(by_name[node.name])
                continue
            shape = tuple(
                int(sp.sympify(d).xreplace(sizes)) for d in self.shapes.get(node.name, ())
            )
            if node.name in one_hot and len(shape) == 2:
                leaves[node.symbol] = _one_hot(rng, shape, one_hot[node.name])
            else:
                leaves[node.symbol] = _random_array(rng, shape) * scale
        return leaves

    def _trial(self, label: str, sizes: dict, leaves: dict, smaller: bool = False) -> Trial:
        """The model evaluated at ``leaves``; ``smaller``: a division by zero asks for smaller
        values rather than failing."""
        try:
            try:
                env = self._evaluate_all(dict(leaves), Numbers.EXACT)
                exact = True
            except NotExact:
                mp_leaves = {k: to_mp(v) for k, v in leaves.items()}
                env = self._evaluate_all(mp_leaves, Numbers.MPMATH)
                exact = False
        except EvaluationError as error:  # e.g. a slice a[:, :H] of fewer than H columns
            if smaller and not error.shape_problem:
                raise SmallerValuesWanted from None
            at = ", ".join(f"{symbol} = {size}" for symbol, size in sizes.items())
            raise ShapeError(f"the model's arrays do not fit together at {at}: {error}") from None
        return Trial(label, sizes, env, exact, dict(leaves))

    def _evaluate_all(self, env: dict, numbers: Numbers) -> dict:
        for node in self.model.defined:
            env[node.symbol] = Evaluator(env, numbers)(node.expr)
        for adjoint in self.derivation.adjoints:
            env[adjoint.symbol] = Evaluator(env, numbers)(adjoint.expr)
        return env


def _broadcast(shape: tuple, onto: tuple) -> tuple | None:
    try:
        return np.broadcast_shapes(shape, onto)
    except ValueError:
        return None


def _squeezed(value):
    """A one-entry array as its number: (1,), (1, 1) and () alike."""
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.reshape(())[()]
    return value


def _numbers(*values) -> bool:
    return not any(isinstance(v, Exception) for v in values)


def _complete(model: Model) -> bool:
    return all(node.name in model.values for node in model.nodes if node.kind.is_leaf)


def compared_with_outputs(model: Model) -> list[str]:
    """The targets: leaves the loss alone reads, and inputs added to or multiplied with the
    network's output (``np.log(A2) * Y`` in a loss written over two lines), the output being a
    value that depends on every parameter the loss does."""
    params = {n.symbol for n in model.parameters}
    depends: dict[sp.Symbol, frozenset] = {}
    for node in model.defined:
        found = set(node.expr.free_symbols & params)
        for symbol in node.expr.free_symbols:
            found |= depends.get(symbol, frozenset())
        depends[node.symbol] = frozenset(found)
    every = depends.get(model.loss.symbol, frozenset()) or frozenset(params)
    outputs = {symbol for symbol, found in depends.items() if found == every}
    inputs = {n.symbol for n in model.nodes if n.kind is Kind.INPUT}
    found = [n.name for n in model.nodes if n.kind is Kind.TARGET]
    for node in model.defined:
        if node.symbol == model.loss.symbol:
            continue
        for part in sp.preorder_traversal(node.expr):
            if not isinstance(part, sp.Add | sp.Mul):
                continue  # a label picking entries (x[arange(N), y]) is compared with nothing
            if not any(arg.free_symbols & outputs for arg in part.args):
                continue
            for arg in part.args:  # ``Y`` or ``1 - Y``; never labels one-hot (onehot(y, C))
                if arg.free_symbols and arg.free_symbols <= inputs and arg.is_polynomial():
                    found += [s.name for s in arg.free_symbols if s.name not in found]
    return found


def class_targets(model: Model) -> dict[str, int]:
    """Targets a cross-entropy takes as classes: an input that multiplies the log of a softmax
    (or of exponentials divided by their sum along an axis), with the axis its classes lie
    along. Hand-written code uses that each sample's targets sum to one (``P - Y``), so they
    are drawn one-hot, as the labels they stand for are."""
    axis = None
    for node in model.defined:
        for sub in sp.preorder_traversal(node.expr):
            if isinstance(sub, softmax | softmax_xent):
                axis = 1
            elif (
                isinstance(sub, SumBase) and sub.axis in (0, 1) and (sub.keepdims or sub.axis == 0)
            ):
                # E / E.sum(axis=0) divides each column by its sum without keepdims too
                axis = sub.axis if model.in_leaves(sub.args[0]).has(sp.exp) else axis
    if axis is None:
        return {}
    leaves = {n.name for n in model.nodes if n.kind in (Kind.INPUT, Kind.TARGET)}
    found = {}
    for node in model.defined:
        for sub in sp.preorder_traversal(node.expr):
            if isinstance(sub, sp.Mul) and any(isinstance(f, sp.log) for f in sub.args):
                found |= {f.name: axis for f in sub.args if getattr(f, "name", None) in leaves}
    for node in model.defined:  # the fused form: softmax_xent(Z, Y)
        for sub in sp.preorder_traversal(node.expr):
            if isinstance(sub, softmax_xent) and getattr(sub.args[1], "name", None) in leaves:
                found[sub.args[1].name] = 1
    return found


def _one_hot(rng: random.Random, shape: tuple[int, ...], axis: int) -> Value:
    """One 1 per sample, along ``axis`` (1: rows are samples), the rest 0."""
    array = np.full(shape, Fraction(0), dtype=object)
    for sample in range(shape[1 - axis]):
        index = (
            (sample, rng.randrange(shape[1])) if axis == 1 else (rng.randrange(shape[0]), sample)
        )
        array[index] = Fraction(1)
    return array


class SmallerValuesWanted(Exception):
    """A random point divided by zero: draw its values again, smaller."""


def _random_array(rng: random.Random, shape: tuple[int, ...]) -> Value:
    def draw() -> Fraction:
        return Fraction(rng.choice(_NUMERATORS), rng.choice(_DENOMINATORS))

    if not shape:
        return draw()
    flat = [draw() for _ in range(int(np.prod(shape)))]
    return np.array(flat, dtype=object).reshape(shape)


def _node_shapes(model: Model, space: DimSpace, leaf_shapes: dict) -> dict[str, Shape]:
    shapes = dict(leaf_shapes)
    for node in model.defined:
        shapes[node.name] = space.shape(node.expr, shapes)
    return {name: space.resolve_shape(shape) for name, shape in shapes.items()}


# -- named pre-activations ---------------------------------------------------------------------
def exploded(model: Model) -> tuple[Model, dict[sp.Symbol, sp.Expr]]:
    """Give compound nodes' pre-activations names of their own.

    ``layer_2 = 1/(1 + np.exp(-(np.dot(layer_1, synapse_1))))`` has a pre-activation the
    user's ``layer_2_delta`` is the adjoint of; as the node ``layer_2_in`` it gets an adjoint.
    Returns the model and the new nodes' expressions (to print them as the user wrote them).
    """
    taken = {node.name for node in model.nodes}
    nodes: list[Node] = []
    hidden: dict[sp.Symbol, sp.Expr] = {}
    for node in model.nodes:
        split = _activation_split(node)
        if split is None:
            nodes.append(node)
            continue
        outer, inner = split
        name = fresh_name(f"{node.name}_in", taken)
        taken.add(name)
        pre = Node(name, Kind.INTERMEDIATE, inner, node.line)
        nodes += [pre, Node(node.name, node.kind, outer(pre.symbol), node.line)]
        hidden[pre.symbol] = inner
    if not hidden:
        return model, {}
    rebuilt = Model(
        model.name,
        tuple(nodes),
        model.source,
        model.description,
        dict(model.values),
        dict(model.leaf_shapes),
    )
    return rebuilt, hidden


def _activation_split(node: Node):
    if node.kind is not Kind.INTERMEDIATE or node.expr is None:
        return None
    split = split_outer(node.expr)
    if split is None:
        return None
    outer, inner = split
    if isinstance(inner, sp.Symbol) or not inner.free_symbols:
        return None
    if output_form(outer) is None and not _kinked(outer):
        return None
    return outer, inner


def _kinked(outer: sp.Lambda) -> bool:
    """ReLU or leaky ReLU of the pre-activation: its derivative, a step, is no polynomial in
    the output, but ``dz = dh * (h > 0)`` is as much the adjoint of ``z`` as for sigmoid."""
    (variable,) = outer.variables
    body = outer.expr
    return isinstance(body, relu | leaky_relu) and body.args[0] == variable
