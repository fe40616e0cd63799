"""What every array op of vector mode is: one SymPy function class holding all it needs.

In vector mode a node's symbol stands for a whole array (rows are samples). SymPy's own
arithmetic on such symbols is read elementwise, exactly as NumPy broadcasts it, so activations
and losses stay ordinary SymPy expressions. Only the operations that are not elementwise are
ops. Each op class holds, side by side:

- ``shape``: its shape rule, given the shapes of its arguments and a :class:`Dims` that says
  which dimensions must be equal (exact sizes here, dimension symbols in the readers); an
  integer argument (a convolution's stride, a pooling window) is a setting, not an array, and
  reaches the rule as the number itself;
- ``vjp``: its backward rule, one function per argument (autograd's ``defvjp``): given the
  adjoint ``g`` of the result and the op's arguments, the adjoint flowing into that argument
  (None: not differentiable there);
- ``evaluate``: its value from NumPy arrays (float or exact object arrays), given the
  elementwise ``exp`` and ``log`` of the caller's number type;
- ``text_form``, ``latex_form``, ``numpy_form``: how the plain, LaTeX and NumPy-code printers
  write it (each printer has one generic ``_print_ArrayOpBase`` that asks the op);
- ``backward_story``: the sentence the explanation gives for its backward rule (or a tuple,
  one per argument), with the rule itself printed from ``vjp``, never typed a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar, Protocol

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symbackprop.errors import ShapeError

Dim = int | str  # "m" is the batch size, unknown until run time
Shape = tuple[Dim, ...]
Rule = Callable[..., sp.Expr]


class Dims(Protocol):
    """What a shape rule may ask: NumPy broadcasting, and whether two dimensions can be equal."""

    def broadcast(self, *shapes: Shape) -> Shape: ...

    def unify(self, a: Any, b: Any) -> bool: ...


class ArrayOpBase(sp.Function):
    """An array operation that is not elementwise (see the module's docstring).

    The name ends in "Base" because SymPy's printers look up ``_print_<name>`` on a Function's
    base classes only for such names: each printer's one ``_print_ArrayOpBase`` serves all ops.
    """

    vjp: ClassVar[tuple[Rule | None, ...]] = ()
    # Its shape rule computes sizes from its arguments' sizes (a convolution's output size):
    # readers that make each written size a free dimension keep these arguments' as written.
    fixed_sizes: ClassVar[bool] = False
    # Printed as an operator between its arguments (``a @ b``), not as a call: printers
    # parenthesize it where a call would not need brackets.
    infix: ClassVar[bool] = False
    # How many of the last arguments are whole-number settings (a stride, a padding), given
    # to the shape rule as numbers rather than shapes.
    settings: ClassVar[int] = 0
    # Arguments that hold integer indices (labels, rows of a table), each with the argument
    # and axis whose length bounds them: {0: (1, 0)} says argument 0 indexes argument 1's rows.
    index_arguments: ClassVar[dict[int, tuple[int, int]]] = {}
    # Piecewise (a hinge): a difference quotient across its kink is no derivative.
    kinked: ClassVar[bool] = False
    backward_story: ClassVar[str | tuple[str, ...]] = (
        "${node}$ uses ${wrt}$ through ${call}$, whose backward rule gives the adjoint "
        "${rule}$ for $g$ the adjoint arriving at ${call}$."
    )

    @classmethod
    def shape(cls, *shapes: Shape, dims: Dims | None = None) -> Shape:
        raise NotImplementedError(f"{cls.__name__} has no shape rule")

    def shape_at(self, shapes: tuple[Shape, ...], dims: Dims) -> Shape:
        """The shape of this call; an op whose shape depends on a size among its arguments
        (``a[:, :H]``, a one-hot matrix of C columns) overrides this rather than ``shape``."""
        return type(self).shape(*shapes, dims=dims)

    @classmethod
    def evaluate(cls, math: SimpleNamespace, *values: Any) -> Any:
        raise NotImplementedError(f"{cls.__name__} has no numeric evaluation")

    # The printers call these; the defaults print a call by name, as SymPy does.
    def text_form(self, printer) -> str:
        return printer._print_Function(self)

    def latex_form(self, printer) -> str:
        return printer._print_Function(self)

    def numpy_form(self, printer) -> str:
        return printer._print_Function(self)


class ExactDims:
    """Dimensions as plain sizes: equal when they are the same."""

    def broadcast(self, *shapes: Shape) -> Shape:
        return broadcast(*shapes)

    def unify(self, a: Any, b: Any) -> bool:
        return a == b


EXACT = ExactDims()
# exp and log of float64 NumPy arrays; exact evaluators pass their own.
FLOAT_MATH = SimpleNamespace(exp=np.exp, log=np.log)


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcasting of shapes; a ShapeError when they do not fit."""
    width = max(len(s) for s in shapes)
    result: list[Dim] = []
    for axis in range(-width, 0):
        dims = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(dims) > 1:
            raise ShapeError(f"shapes {', '.join(map(show_shape, shapes))} do not broadcast")
        result.append(dims.pop() if dims else 1)
    return tuple(result)


def shape_of(expr: sp.Expr, shapes: Mapping[str, Shape]) -> Shape:
    """The shape of ``expr``, given the shapes of its symbols (absent symbols are scalars)."""
    if isinstance(expr, sp.Symbol):
        return tuple(shapes.get(expr.name, ()))
    if not expr.args or expr.is_number:
        return ()
    if isinstance(expr, ArrayOpBase):
        operands = operand_shapes(expr, lambda arg: shape_of(arg, shapes))
        return expr.shape_at(tuple(operands), EXACT)
    return broadcast(*[shape_of(arg, shapes) for arg in expr.args])


def operand_shapes(call: ArrayOpBase, shape: Callable[[sp.Expr], Shape]) -> list[Shape | int]:
    """What an op's shape rule is given: each array argument's shape, and each of its last
    ``settings`` arguments (a stride, a window size) as its number."""
    first = len(call.args) - call.settings
    return [int(arg) if i >= first else shape(arg) for i, arg in enumerate(call.args)]


def fixed_size(dim: Any) -> int | None:
    """A dimension's size when it is a number (an int, or a SymPy integer from the readers'
    dimension space); None for a symbol such as the batch size."""
    if isinstance(dim, int) or getattr(dim, "is_Integer", False):
        return int(dim)
    return None


def show_shape(shape: Shape) -> str:
    """``(m, 4)`` as people write it."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


# -- printing pieces the ops share -------------------------------------------------------------
def called(expr: sp.Expr) -> bool:
    """True when ``expr`` prints as a name or a call, needing no brackets as an operand."""
    return isinstance(expr, sp.Symbol) or (
        isinstance(expr, sp.Function) and not getattr(expr, "infix", False)
    )


def text_operand(printer, expr: sp.Expr) -> str:
    """``expr`` before a method or attribute (``(a + b).T``) in the plain-text printer."""
    return printer.parenthesize(expr, PRECEDENCE["Func"])


def numpy_operand(printer, expr: sp.Expr) -> str:
    text = printer._print(expr)
    return text if called(expr) else f"({text})"


def latex_operand(printer, expr: sp.Expr) -> str:
    """A matrix-product or sum operand in LaTeX: bracketed unless a name or a function call
    (a product of products reads the same either way: juxtaposition associates)."""
    if isinstance(expr, sp.Symbol | sp.Function) and not isinstance(expr, sp.Piecewise):
        return printer._print(expr)
    return r"\left(%s\right)" % printer._print(expr)
