"""Translate Python expressions into SymPy through a whitelist, without running them.

The reader of forward functions and the gradient checker both face code written by someone
else, possibly hostile, so nothing here evaluates user code: an ``ast`` node is mapped to SymPy
by one ``visit_<NodeType>`` method per allowed construct, and everything else raises
:class:`UnsupportedConstruct` naming the construct and its line. Constant arithmetic is guarded
so that ``9**9**9`` is refused instead of computed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

import sympy as sp

from symbackprop.errors import UnsupportedConstruct
from symbackprop.ir.indicator import indicator, truth
from symbackprop.readers.whitelist import (
    ARITIES,
    BINARY_OPERATORS,
    CASTS,
    COMPARISONS,
    FUNCTIONS,
    METHODS,
    OPERATOR_NAMES,
    Namespace,
    assigned_name,
    attribute_root,
    describe,
    describe_statement,
    is_inert,
    qualified_name,
)

# A resolver turns a name (with its constant index, () for a plain name) into SymPy.
Resolver = Callable[[str, tuple[int, ...], ast.AST], sp.Expr]

MAX_DEPTH = 200  # nesting levels of one expression, helper bodies included
MAX_LITERAL_DIGITS = 100
MAX_CONSTANT_EXPONENT = 1000
MAX_POWER_DIGITS = 10_000  # digits of a constant power's result
MAX_MAGNITUDE = 1e300  # of a constant computed from the user's numbers
MAX_TREE_SIZE = 20_000  # nodes of one translated expression after inlining helpers
MAX_VISITS = 200_000  # ast nodes translated per file, counting each inlining of a helper again

_UNDEFINED = (sp.zoo, sp.oo, -sp.oo, sp.nan)


class Translator:
    """Map one expression's ast to SymPy; helpers of the same file are inlined.

    ``resolve_global`` answers for names a helper uses but does not bind (module globals).
    """

    def __init__(
        self,
        file: str,
        namespace: Namespace,
        helpers: Mapping[str, ast.FunctionDef],
        resolve_global: Resolver,
    ):
        self.file = file
        self.namespace = namespace
        self.helpers = helpers
        self.resolve_global = resolve_global
        self._depth = 0
        self._visits = 0
        self._sizes: dict[int, tuple[sp.Expr, int]] = {}  # id -> (expr kept alive, tree size)
        self._inlining: list[str] = []
        self._reading_call = 0  # > 0 while a helper call's arguments are read
        self._bindings: list[dict[str, sp.Expr]] = [{}]
        self._resolvers: list[Resolver] = []

    # -- entry point ---------------------------------------------------------------------------
    def expression(self, node: ast.expr, resolve: Resolver) -> sp.Expr:
        """SymPy for ``node``; free names go to ``resolve``."""
        self._resolvers.append(resolve)
        try:
            result = self.visit(node)
        except RecursionError:
            raise self.unsupported(node, "an expression nested too deeply") from None
        finally:
            self._resolvers.pop()
        self.check_size(result, node)
        return result

    def visit(self, node: ast.AST) -> sp.Expr:
        if self._depth >= MAX_DEPTH:
            raise self.unsupported(node, f"an expression nested more than {MAX_DEPTH} levels")
        self._visits += 1
        if self._visits > MAX_VISITS:
            raise self.unsupported(node, "code this large once helpers are inlined")
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node, describe(node))
        self._depth += 1
        try:
            return method(node)
        finally:
            self._depth -= 1

    def unsupported(self, node: ast.AST, what: str, hint: str = "") -> UnsupportedConstruct:
        message = f"{what} is not supported" + (f" ({hint})" if hint else "")
        return UnsupportedConstruct(message, file=self.file, line=getattr(node, "lineno", None))

    # -- leaves --------------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) and (self._inlining or self._reading_call):
            return sp.Integer(value)  # a helper's flag (``deriv=True``), as Python's 1 and 0
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "boolean" if isinstance(value, bool) else type(value).__name__
            names = {"str": "string", "NoneType": "None", "ellipsis": "'...'"}
            raise self.unsupported(
                node, f"a {names.get(kind, kind)} literal", "only numbers are allowed"
            )
        if isinstance(value, int):
            if abs(value) >= 10**MAX_LITERAL_DIGITS:
                raise self.unsupported(node, f"an integer literal over {MAX_LITERAL_DIGITS} digits")
            return sp.Integer(value)
        if not math.isfinite(value):
            raise self.unsupported(node, "a non-finite float literal")
        # The exact decimal the user wrote, so that 0.5 is 1/2 and derivatives stay exact.
        return sp.Rational(repr(value))

    def visit_Name(self, node: ast.Name) -> sp.Expr:
        bound = self._bindings[-1].get(node.id)
        return bound if bound is not None else self._resolvers[-1](node.id, (), node)

    def visit_Subscript(self, node: ast.Subscript) -> sp.Expr:
        base, index = self._indexed(node)
        if base.id in self._bindings[-1]:
            raise self.unsupported(node, f"indexing the computed value {base.id!r}")
        return self._resolvers[-1](base.id, index, node)

    def _indexed(self, node: ast.Subscript) -> tuple[ast.Name, tuple[int, ...]]:
        # w[1][2] and w[1, 2] both name the element w[1, 2].
        index: list[int] = []
        while isinstance(node, ast.Subscript):
            index[:0] = self._constant_index(node.slice)
            node = node.value
        if not isinstance(node, ast.Name):
            raise self.unsupported(node, f"indexing {describe(node)}")
        return node, tuple(index)

    def _constant_index(self, node: ast.expr) -> list[int]:
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        for part in parts:
            ok = isinstance(part, ast.Constant) and type(part.value) is int and part.value >= 0
            if not ok or part.value >= 10**9:
                raise self.unsupported(
                    part,
                    "an index that is not a constant integer",
                    "write w[4], w[1][2] or w[1, 2]",
                )
        return [part.value for part in parts]

    # -- operators -----------------------------------------------------------------------------
    def visit_UnaryOp(self, node: ast.UnaryOp) -> sp.Expr:
        if isinstance(node.op, ast.USub):
            return -self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand)
        raise self.unsupported(node, f"the operator {OPERATOR_NAMES[type(node.op)]}")

    def visit_BinOp(self, node: ast.BinOp) -> sp.Expr:
        if isinstance(node.op, ast.MatMult):
            raise self.unsupported(
                node, "the matrix product '@'", "a forward function is read in scalar mode"
            )
        if isinstance(node.op, ast.BitAnd | ast.BitOr):
            return self._masks_combined(node)
        if not isinstance(node.op, (*BINARY_OPERATORS, ast.Pow)):
            raise self.unsupported(node, f"the operator {OPERATOR_NAMES[type(node.op)]}")
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            return self.power(left, right, node)
        return self.apply(BINARY_OPERATORS[type(node.op)], (left, right), node)

    def _masks_combined(self, node: ast.BinOp) -> sp.Expr:
        """``(z > 0) & (z < 6)`` and ``|`` of two comparisons: masks of 0 and 1, so ``&`` is
        their product and ``|`` their sum less their product."""
        if not all(isinstance(side, ast.Compare) for side in (node.left, node.right)):
            what = f"the operator {OPERATOR_NAMES[type(node.op)]}"
            raise self.unsupported(node, what, "only between comparisons, as masks")
        left, right = self.visit(node.left), self.visit(node.right)
        both = self.apply(operator.mul, (left, right), node)
        if isinstance(node.op, ast.BitAnd):
            return both
        either = self.apply(operator.add, (left, right), node)
        return self.apply(operator.sub, (either, both), node)

    def power(self, base: sp.Expr, exponent: sp.Expr, node: ast.AST) -> sp.Expr:
        """``base**exponent``, refusing powers too large to compute (now or when evaluated)."""
        if exponent.is_number and _too_large_power(base, exponent):
            raise self.unsupported(
                node,
                "a power this large",
                f"exponent {_short(exponent)}; at most "
                f"{MAX_CONSTANT_EXPONENT} and {MAX_POWER_DIGITS} digits",
            )
        return self.apply(operator.pow, (base, exponent), node)

    def apply(self, function: Callable[..., sp.Expr], args: tuple, node: ast.AST) -> sp.Expr:
        """Call a SymPy function; its complaints about the arguments become ours."""
        try:
            result = function(*args)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise self.unsupported(node, "this operation", str(error)[:80]) from None
        # Each operation checks its own result, so looking one level down suffices (and ``has``
        # would walk the whole tree every time).
        if any(part in _UNDEFINED for part in (result, *result.args)):
            raise self.unsupported(node, "a constant expression that is infinite or undefined")
        # Folding constants is where hostile input would hurt (exp(exp(exp(10))) has 10**9565
        # digits and stalls every later printer), so every constant made must stay moderate.
        if result.is_number and not _moderate(result):
            raise self.unsupported(
                node, "a constant this large or this small", f"at most {MAX_MAGNITUDE:.0e} in size"
            )
        return result

    # -- calls ---------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> sp.Expr:
        func = node.func
        if isinstance(func, ast.Name) and self._is_helper(func.id):
            return self.inline(self.helpers[func.id], node)  # keywords and defaults too
        astype = isinstance(func, ast.Attribute) and func.attr == "astype"
        keywords = node.keywords and not (astype and _only_copy(node))
        if keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.unsupported(node, "a call with keyword or starred arguments")
        if isinstance(func, ast.Name):
            return self._call_function(self.namespace.functions.get(func.id, func.id), node)
        if isinstance(func, ast.Attribute):
            qualified = self._module_path(func)
            if qualified is not None:
                return self._call_function(qualified, node)
            return self._call_method(func, node)
        raise self.unsupported(node, f"calling {describe(func)}")

    def _is_helper(self, name: str) -> bool:
        return name in self.helpers and name not in self._bindings[-1]

    def _call_function(self, qualified: str, node: ast.Call) -> sp.Expr:
        function = self.namespace.function(qualified)
        if function is None:
            hint = (
                f"import it first, e.g. 'from numpy import {qualified}'"
                if f"numpy.{qualified}" in FUNCTIONS
                else "unknown function"
            )
            raise self.unsupported(node, f"a call to {qualified}()", hint)
        args = tuple(self.visit(arg) for arg in node.args)
        fewest, most = ARITIES.get(function, (1, 1))
        if not fewest <= len(args) <= (most or len(args)):
            raise self.unsupported(node, f"{qualified}() with {len(args)} arguments")
        return self.apply(function, args, node)

    def _module_path(self, node: ast.Attribute) -> str | None:
        """``np.exp`` -> ``numpy.exp`` when the chain starts at an imported module (and not
        at a helper's parameter of the same name)."""
        root = attribute_root(node)
        if isinstance(root, ast.Name) and root.id in self._bindings[-1]:
            return None
        return qualified_name(node, self.namespace)

    def _call_method(self, func: ast.Attribute, node: ast.Call) -> sp.Expr:
        if func.attr == "pow" and len(node.args) == 1:
            return self.power(self.visit(func.value), self.visit(node.args[0]), node)
        if func.attr == "astype" and len(node.args) == 1 and _only_copy(node):
            target = node.args[0]
            if isinstance(target, ast.Attribute) and target.attr == "dtype":
                return self.visit(func.value)  # ``out.astype(x.dtype)``: float stays float
            return self.apply(self._cast(target), (self.visit(func.value),), node)
        method = METHODS.get(func.attr)
        if method is None or node.args:
            raise self.unsupported(
                node,
                f"a call to {_dotted(func)}()",
                f"known: {', '.join(sorted([*METHODS, 'pow']))}",
            )
        return self.apply(method, (self.visit(func.value),), node)

    def _cast(self, node: ast.expr) -> Callable[[sp.Expr], sp.Expr]:
        """What ``.astype(node)`` does: ``float``, ``np.int64``, ``"float64"``."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = "numpy." + node.value
        elif isinstance(node, ast.Attribute):
            name = self._module_path(node)
        else:
            name = node.id if isinstance(node, ast.Name) else None
        cast = CASTS.get(name or "")
        if cast is None:
            what = ast.unparse(node)[:40]
            raise self.unsupported(node, f"a cast to {what}", "known: float, int, bool")
        return cast

    def visit_Attribute(self, node: ast.Attribute) -> sp.Expr:
        raise self.unsupported(node, f"attribute access '.{node.attr}'")

    def visit_MaskedAssignment(self, node) -> sp.Expr:
        """``a[z <= 0] = 0`` (see :class:`~symbackprop.readers.codeflow.MaskedAssignment`)."""
        mask, inverted = node.mask, isinstance(node.mask, ast.UnaryOp)
        if inverted:  # a[~mask]: where the mask does not hold
            mask = mask.operand
        condition = truth(self.visit(mask))
        value, array = self.visit(node.value), self.visit(node.array)
        return sp.Piecewise((value, sp.Not(condition) if inverted else condition), (array, True))

    def visit_Compare(self, node: ast.Compare) -> sp.Expr:
        """``z > 0`` as NumPy computes it: 1 where it holds, 0 elsewhere (an indicator)."""
        if len(node.ops) != 1 or type(node.ops[0]) not in COMPARISONS:
            raise self.unsupported(node, "this comparison", "known: a < b, a <= b, a > b, ...")
        left, right = self.visit(node.left), self.visit(node.comparators[0])
        relation = COMPARISONS[type(node.ops[0])]
        try:
            if left.is_number and right.is_number:  # constants: decided here, as Python would
                return sp.Integer(1 if relation(left, right) else 0)
            condition = self.apply(lambda a, b: relation(a, b, evaluate=False), (left, right), node)
            return indicator(condition)
        except TypeError:  # a comparison with nan or an infinity SymPy cannot order
            what = "a comparison of values that are not real numbers"
            raise self.unsupported(node, what) from None

    # -- resource guard ------------------------------------------------------------------------
    def check_size(self, expr: sp.Expr, node: ast.AST) -> None:
        """Refuse expressions whose tree grew too large, e.g. by helpers that double it."""
        if self._tree_size(expr) > MAX_TREE_SIZE:
            raise self.unsupported(
                node, f"an expression of more than {MAX_TREE_SIZE} terms after inlining helpers"
            )

    def _tree_size(self, expr: sp.Expr) -> int:
        # Post-order over the nodes not measured before; a measured subtree counts by its
        # remembered size, so shared subtrees cost nothing twice (a doubling helper stays cheap).
        sizes = self._sizes
        stack = [(expr, False)]
        while stack:
            item, ready = stack.pop()
            if id(item) in sizes:
                continue
            if ready:
                sizes[id(item)] = (item, 1 + sum(sizes[id(arg)][1] for arg in item.args))
            else:
                stack.append((item, True))
                stack.extend((arg, False) for arg in item.args)
        return sizes[id(expr)][1]

    # -- helpers of the same file --------------------------------------------------------------
    def inline(self, helper: ast.FunctionDef, call: ast.Call) -> sp.Expr:
        """The helper's returned expression with its parameters replaced by the arguments."""
        if helper.name in self._inlining:
            raise self.unsupported(call, f"the recursive call to {helper.name}()")
        params = _parameters(helper, self)
        given = _arguments(helper, call, params, self)
        self._reading_call += 1
        try:
            args = {name: self.visit(given[name]) for name in params}
        finally:
            self._reading_call -= 1
        self._inlining.append(helper.name)
        self._bindings.append(args)
        self._resolvers.append(self.resolve_global)
        try:
            return self._helper_body(helper)
        finally:
            self._resolvers.pop()
            self._bindings.pop()
            self._inlining.pop()

    def _helper_body(self, helper: ast.FunctionDef) -> sp.Expr:
        result = self._helper_statements(helper.body, helper)
        if result is None:
            what = f"the helper {helper.name}() without 'return expression'"
            raise self.unsupported(helper, what)
        return result

    def _helper_statements(self, statements: list[ast.stmt], helper) -> sp.Expr | None:
        """What ``statements`` return, or None when they end without returning."""
        for statement in statements:
            if isinstance(statement, ast.Return) and statement.value is not None:
                result = self.visit(statement.value)
                self.check_size(result, statement)
                return result
            if isinstance(statement, ast.If):
                # ``if deriv: return x * (1 - x)``: a flag known at the call picks the branch
                branch = self._known_branch(statement, helper)
                result = self._helper_statements(branch, helper)
                if result is not None:
                    return result
                continue
            target = assigned_name(statement)
            if target is not None:
                self._bindings[-1][target] = self.visit(statement.value)
                self.check_size(self._bindings[-1][target], statement)
            elif not is_inert(statement):
                raise self.unsupported(
                    statement, describe_statement(statement), f"inside the helper {helper.name}()"
                )
        return None

    def _known_branch(self, statement: ast.If, helper) -> list[ast.stmt]:
        test = self.visit(statement.test)
        if test in (sp.true, sp.false) or test.is_number:
            return statement.body if bool(test) else statement.orelse
        raise self.unsupported(
            statement,
            f"an 'if' inside the helper {helper.name}() whose test depends on array values",
            "an 'if' on a flag argument given as a constant is read",
        )


def _arguments(helper: ast.FunctionDef, call: ast.Call, params: list[str], translator):
    """Each parameter's argument expression: positional, by keyword, or the default."""
    if len(call.args) > len(params) or any(isinstance(a, ast.Starred) for a in call.args):
        what = f"calling {helper.name}() with {len(call.args)} arguments"
        raise translator.unsupported(call, what, f"it takes {len(params)}")
    given = dict(zip(params, call.args, strict=False))
    for keyword in call.keywords:
        if keyword.arg not in params or keyword.arg in given:
            raise translator.unsupported(call, f"calling {helper.name}() with these arguments")
        given[keyword.arg] = keyword.value
    defaults = helper.args.defaults
    for name, default in zip(params[len(params) - len(defaults) :], defaults, strict=True):
        given.setdefault(name, default)
    missing = [name for name in params if name not in given]
    if missing:
        raise translator.unsupported(call, f"calling {helper.name}() without {missing[0]}")
    return given


def _parameters(helper: ast.FunctionDef, translator: Translator) -> list[str]:
    arguments = helper.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs:
        raise translator.unsupported(
            helper, f"*args, **kwargs or keyword-only parameters of {helper.name}()"
        )
    return [arg.arg for arg in (*arguments.posonlyargs, *arguments.args)]


def _only_copy(call: ast.Call) -> bool:
    """No keywords but ``copy=...``, which changes no value."""
    return all(keyword.arg == "copy" for keyword in call.keywords)


def _too_large_power(base: sp.Expr, exponent: sp.Expr) -> bool:
    try:
        size = abs(sp.Float(exponent, 15))
    except (TypeError, ValueError):
        return True  # a complex or otherwise odd constant exponent: not worth the risk
    if not size.is_finite or size > MAX_CONSTANT_EXPONENT:
        return True
    if isinstance(base, sp.Rational):
        digits = max(len(str(abs(base.p))), len(str(base.q)))
        return digits * float(size) > MAX_POWER_DIGITS
    return False


def _moderate(value: sp.Expr) -> bool:
    """Whether a constant is zero or lies between 1/MAX_MAGNITUDE and MAX_MAGNITUDE in size."""
    try:
        parts = value.evalf(15).as_real_imag()
    except (TypeError, ValueError, ArithmeticError):
        return False
    limit = sp.Float(MAX_MAGNITUDE)
    return all(part.is_Number and (part == 0 or 1 / limit <= abs(part) <= limit) for part in parts)


def _dotted(node: ast.Attribute) -> str:
    """``os.system`` for a chain of names, ``<expression>.system`` otherwise (for messages)."""
    parts = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute) and len(parts) < 5:
        parts.insert(0, value.attr)
        value = value.value
    parts.insert(0, value.id if isinstance(value, ast.Name) else "<expression>")
    return ".".join(parts)


def _short(value: sp.Expr) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."
