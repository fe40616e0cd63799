"""The NumPy printer of generated modules: SymPy's NumPyPrinter with the model's names.

Array functions print as NumPy (``A @ B``, ``A.T``, ``np.sum(A, axis=0)``); stable helpers
(``sigmoid``, ``softmax``, ...) print as calls to functions the module defines, and the printer
records which ones were used so that only those are emitted. Unknown functions are an error at
generation time (``strict``), never in the user's module.

It is the NumPy target's printer (codegen/targets.py): it also spells the statements that are
more than an expression, a call into an array (``np.multiply(a, b, out=reuse("c"))``) and a
parameter's update, so that no planner or pass spells NumPy.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from symbackprop.codegen.statements import Call, Kept, Update
from symbackprop.ir.activations import sigmoid
from symbackprop.ir.ops.base import numpy_operand
from symbackprop.naming import identifier
from symbackprop.printing.ordering import AdjointTimesLocal, PositiveTermsFirst

HELPERS = ("sigmoid", "softmax", "softmax_xent", "sigmoid_bce", "softplus")


class NumpyCodePrinter(AdjointTimesLocal, PositiveTermsFirst, NumPyPrinter):
    """Prints model formulas as NumPy code over the module's local names."""

    _default_settings = {
        **NumPyPrinter._default_settings,
        "names": {},
        "strict": True,
        "order": "none",
    }

    def __init__(self, settings=None):
        super().__init__(settings)
        # Not lambdify's "_numpycode", by which an activation writes its definition in place:
        # here the sigmoid is the module's helper (stabilize writes the others out).
        self.printmethod = "_generated_numpy"
        self.helpers_used: set[str] = set()

    def _module_format(self, fqn: str, register: bool = True) -> str:
        return "np." + fqn.split(".", 1)[1] if fqn.startswith("numpy.") else fqn

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = self._settings["names"].get(expr.name) or identifier(expr.name)
        return name + "_" if keyword.iskeyword(name) else name

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(expr.p / expr.q)

    def _print_Half(self, expr: sp.Rational) -> str:
        return "0.5"

    def _print_ArrayOpBase(self, expr) -> str:
        # each array op of symbackprop.ir.ops writes its own NumPy (a @ b, helper calls)
        return expr.numpy_form(self)

    def helper_call(self, name: str, expr: sp.Expr) -> str:
        """A call of the module's helper ``name`` on ``expr``'s arguments, recorded as used."""
        self.helpers_used.add(name)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_sigmoid(self, expr: sigmoid) -> str:
        return self.helper_call("sigmoid", expr)

    def _print_logaddexp(self, expr) -> str:
        # log(1 + exp(z)) as the module's softplus, which ignores exp(-|z|)'s harmless underflow
        zero, z = expr.args
        if zero != 0:
            return super()._print_logaddexp(expr)
        self.helpers_used.add("softplus")
        return f"softplus({self._print(z)})"

    def _print_Relational(self, expr) -> str:
        return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        *pieces, (last, condition) = expr.args
        if condition != sp.true:
            return super()._print_Piecewise(expr)
        text, where = self._print(last), self._module_format("numpy.where")
        for value, cond in reversed(pieces):
            text = f"{where}({self._print(cond)}, {self._print(value)}, {text})"
        return text

    # Beyond expressions: what the statement IR needs spelled (see codegen/statements.py).

    def _print_zeros_like(self, expr) -> str:
        return f"{self._module_format('numpy.zeros_like')}({self._print(expr.args[0])})"

    def _print_row_count(self, expr) -> str:
        return f"{numpy_operand(self, expr.args[0])}.shape[0]"

    def code(self, expr: sp.Expr) -> str:
        """One formula as formatted code."""
        return print_code(expr, self)

    def assignment(self, target: sp.Symbol, expr: sp.Expr) -> tuple[str, str]:
        """``target = expr`` as (left, right): an element of an array (``d_w[4]``) is
        assigned in place, as NumPy can."""
        return self.code(target), self.code(expr)

    def slice_assignment(self, array: str, index: str, code: str) -> tuple[str, str]:
        """``array[index] = code`` as (left, right): NumPy writes into the slice."""
        return f"{array}[{index}]", code

    def number_operand(self, expr: sp.Expr) -> str:
        """An operand of a call or an in-place operator; a number as a float (NumPy converts
        an int operand more slowly)."""
        return repr(float(expr)) if expr.is_number and expr.is_rational else self.code(expr)

    def call(self, call: Call) -> str:
        """``np.multiply(a, b, out=reuse("c"))``, ``a.dot(b, out=c)``, ``sigmoid(z, out=z)``."""
        operands = [self.number_operand(o) for o in call.operands]
        if call.function == "power":  # the exponent as written: np.power(x, 3)
            operands[1] = self.code(call.operands[1])
        if call.out is not None:
            operands.append(f"out={self._out(call.out)}")
        if call.function in _METHODS:
            method, *fixed = _METHODS[call.function]
            first, *rest = operands
            return f"{first}.{method}({', '.join([*fixed, *rest])})"
        if call.function in HELPERS:
            self.helpers_used.add(call.function)
            return f"{call.function}({', '.join(operands)})"
        return f"{self._module_format('numpy.' + call.function)}({', '.join(operands)})"

    def _out(self, out: Kept | sp.Symbol) -> str:
        return f'reuse("{out.name}")' if isinstance(out, Kept) else self.code(out)

    def update(self, update: Update) -> str:
        return f'params["{update.parameter.name}"] -= {self.code(update.step)}'


# Calls spelled as array methods, BLAS's .dot (matmul's overhead is 3x) and .sum(axis=0).
_METHODS = {"dot": ("dot",), "colsum": ("sum", "axis=0")}
_BINARY = {"+", "-", "*", "/", "@", "%", "//", "<", ">", "<=", ">=", "==", "!="}
_OPENERS = {"(", "[", ",", "=", "return"} | _BINARY | {"**"}


def spaced(code: str) -> str:
    """Spaces around binary operators as ``ruff format`` writes them: ``a * (1 - a)``."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    out: list[str] = []
    previous = None
    for position, token in enumerate(tokens):
        text = token.string
        unary = text in {"-", "+"} and (previous is None or previous.string in _OPENERS)
        if token.type == tokenize.OP and text == "**":
            out.append("**" if _simple_power(tokens, position) else " ** ")
        elif token.type == tokenize.OP and text in _BINARY and not unary:
            out.append(f" {text} ")
        elif text == ",":
            out.append(", ")
        elif text == "=" and token.type == tokenize.OP:
            out.append("=" if _inside_call(tokens, position) else " = ")
        else:
            out.append(text if not _needs_space(previous, token) else " " + text)
        previous = token
    return "".join(out).strip()


def _needs_space(previous, token) -> bool:
    return (
        previous is not None
        and previous.type == tokenize.NAME
        and token.type in (tokenize.NAME, tokenize.NUMBER)
    )


def _inside_call(tokens, position: int) -> bool:
    depth = 0
    for token in reversed(tokens[:position]):
        if token.string in ")]":
            depth += 1
        elif token.string in "([":
            if depth == 0:
                return True
            depth -= 1
    return False


def _simple_power(tokens, position: int) -> bool:
    """Black's rule: ``**`` hugs operands that are names, numbers or attribute chains."""
    return _simple_operand(tokens[position - 1]) and _simple_operand(
        _skip_unary(tokens, position + 1)
    )


def _skip_unary(tokens, position: int):
    token = tokens[position] if position < len(tokens) else None
    if token is not None and token.string == "-" and position + 1 < len(tokens):
        return tokens[position + 1]
    return token


def _simple_operand(token) -> bool:
    return token is not None and token.type in (tokenize.NAME, tokenize.NUMBER)


_PARENTHESIZED_LITERAL = re.compile(r"\((\d+\.\d*(?:e-?\d+)?)\)")


def print_code(expr: sp.Expr, printer: NumpyCodePrinter) -> str:
    """One formula as formatted NumPy code."""
    return spaced(_PARENTHESIZED_LITERAL.sub(r"\1", printer.doprint(expr)))
