"""What a course layer's arguments are, read from the code (nothing is run): numbers by
their names (``reg``, ``eps``), config dicts (``bn_param``) by being read only by string keys,
a mode switch's training branch, and random draws (a dropout mask) as data.
"""

from __future__ import annotations

import ast
import copy

from symbackprop.readers.pysource import Body, literal_number

# Arguments that are numbers, never arrays: regularisation, rates, epsilons, probabilities.
SCALAR_ARGUMENTS = frozenset(
    {
        "reg",
        "reg_strength",
        "lam",
        "lamb",
        "lambda_",
        "lmbda",
        "l2",
        "l2_reg",
        "weight_decay",
        "eps",
        "epsilon",
        "momentum",
        "keep_prob",
        "drop_prob",
        "lr",
        "learning_rate",
        "alpha",
        "margin",
        "temperature",
    }
)
_TRAIN, _TEST = "train", "test"


# -- arguments ----------------------------------------------------------------------------------
def argument_names(function: ast.FunctionDef) -> list[str]:
    spec = function.args
    return [a.arg for a in (*spec.posonlyargs, *spec.args, *spec.kwonlyargs)]


def scalar_arguments(function: ast.FunctionDef) -> tuple[str, ...]:
    """Arguments that are numbers: by name (reg, eps, p), or by a number as default."""
    spec = function.args
    positional = [*spec.posonlyargs, *spec.args]
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(spec.kwonlyargs, spec.kw_defaults, strict=True),
    ]
    return tuple(
        arg.arg
        for arg, default in pairs
        if arg.arg in SCALAR_ARGUMENTS or literal_number(default) is not None
    )


def scalar_layouts(body: Body) -> dict[str, str]:
    """The names any function reads that are numbers by their names (reg, eps, keep_prob),
    as arguments or on ``self`` (``self.reg``)."""
    read = set(body.arguments) | {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for statement in body.statements
        for node in ast.walk(statement)
        if isinstance(node, ast.Name | ast.Attribute)
    }
    return {name: "scalar" for name in read if name in SCALAR_ARGUMENTS}


def config_dicts(function: ast.FunctionDef) -> set[str]:
    """Arguments read only by string keys: ``bn_param['eps']``, ``conv_param.get('pad', 0)``."""
    arguments = set(argument_names(function))
    keyed: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            (
                keyed
                if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
                else other
            ).add(node.value.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
        ):
            keyed.add(node.func.value.id)
    return (keyed - other) & arguments


def config_scalars(function: ast.FunctionDef) -> list[str]:
    """The keys a config dict gives without a literal default: each a scalar named by it."""
    configs = config_dicts(function)
    return [
        key
        for node in ast.walk(function)
        for key in [_config_key(node, configs)]
        if key is not None and _config_default(node) is None
    ]


def config_keys(function: ast.FunctionDef, configs: set[str]) -> set[str]:
    """The keys ``function`` reads from the dicts ``configs`` names (``conv_param['stride']``,
    ``bn_param.get('eps', 1e-5)``)."""
    return {
        key
        for node in ast.walk(function)
        for key in [_config_key(node, configs)]
        if key is not None
    }


def _config_key(node: ast.AST, configs: set[str]) -> str | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in configs
        and isinstance(node.slice, ast.Constant)
    ):
        return node.slice.value if str(node.slice.value).isidentifier() else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in configs
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).isidentifier()
    ):
        return node.args[0].value
    return None


def _config_default(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Call) and len(node.args) > 1:
        return node.args[1]
    return None


class _ConfigRead(ast.NodeTransformer):
    """``bn_param.get('eps', 1e-5)`` as ``1e-5``; ``bn_param['eps']`` as the scalar ``eps``."""

    def __init__(self, configs: set[str]):
        self.configs = configs

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        key = _config_key(node, self.configs)
        if key is not None and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name(key, ast.Load()), node)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        key = _config_key(node, self.configs)
        if key is not None:
            default = _config_default(node)
            if default is not None and literal_number(default) is not None:
                return ast.copy_location(copy.deepcopy(default), node)
            return ast.copy_location(ast.Name(key, ast.Load()), node)
        return self.generic_visit(node)


class _RandomDraws(ast.NodeTransformer):
    """``np.random.rand(*x.shape)`` as a data array of its own (``random_1``): a dropout
    mask is drawn once and then fixed, so the gradient treats it as data."""

    def __init__(self):
        self.count = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if _is_random_draw(node):
            self.count += 1
            return ast.copy_location(ast.Name(f"random_{self.count}", ast.Load()), node)
        return self.generic_visit(node)


def _is_random_draw(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    called = ast.unparse(node.func)
    return ".random." in f".{called}" and not called.endswith("seed")


def configs_read(statements: list[ast.stmt], configs: set[str]) -> list[ast.stmt]:
    """Reads of config dicts as numbers, random draws as data; writes into config dicts
    (running averages) and seeding the random generator dropped: neither is part of the
    gradient."""
    kept = []
    reader, draws = _ConfigRead(configs), _RandomDraws()
    for statement in statements:
        if _writes_config(statement, configs) or _seeds(statement):
            continue
        kept.append(draws.visit(reader.visit(statement)))
    return [ast.fix_missing_locations(s) for s in kept]


def _writes_config(statement: ast.stmt, configs: set[str]) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else []
    return any(
        isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in configs
        for t in targets
    )


def _seeds(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and ast.unparse(statement.value.func).endswith("random.seed")
    )


# -- mode switches ------------------------------------------------------------------------------
def training_branch(statements: list[ast.stmt]) -> list[ast.stmt]:
    """``if mode == 'train': A else: B`` as A: the gradient is of the training forward."""
    out: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.If):
            chosen = _mode_branch(statement)
            if chosen is not None:
                out += training_branch(chosen)
                continue
        out.append(statement)
    return out


def _mode_branch(statement: ast.If) -> list[ast.stmt] | None:
    """The branch training takes: ``mode == 'train'``'s, or past ``if y is None: return
    scores`` (a network's ``loss`` asked for scores only)."""
    test = statement.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    if _without_labels(statement):
        return statement.orelse if isinstance(test.ops[0], ast.Is) else statement.body
    constants = [c.value for c in (test.left, *test.comparators) if isinstance(c, ast.Constant)]
    mode = next((c for c in constants if c in (_TRAIN, _TEST)), None)
    if mode is None or not isinstance(test.ops[0], ast.Eq | ast.NotEq):
        return None
    true = (mode == _TRAIN) == isinstance(test.ops[0], ast.Eq)
    return statement.body if true else statement.orelse


def _without_labels(statement: ast.If) -> bool:
    """``if y is None: return scores``: a branch that returns early when there are no labels."""
    test = statement.test
    none = [c for c in (test.left, *test.comparators) if isinstance(c, ast.Constant)]
    ends = statement.body if isinstance(test.ops[0], ast.Is) else statement.orelse
    return (
        isinstance(test.ops[0], ast.Is | ast.IsNot)
        and len(none) == 1
        and none[0].value is None
        and bool(ends)
        and isinstance(ends[-1], ast.Return)
    )
