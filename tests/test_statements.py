"""The statement IR: what a statement reads comes from free symbols, never from printed text;
the passes over it (memory reuse, the fused step) keep values right; a target is one printer
and one template, registered in one place."""

import ast
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp
from numeric import central_gradient, max_relative_error

from symbackprop.codegen.formatter import Formatter
from symbackprop.codegen.generate import model_module_text, module_text
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.printer import NumpyCodePrinter
from symbackprop.codegen.reuse import reuse_memory
from symbackprop.codegen.statements import (
    Assign,
    Call,
    Comment,
    InPlace,
    Kept,
    Update,
    Variables,
)
from symbackprop.codegen.targets import JAX, NUMPY, TARGETS, target_named
from symbackprop.errors import SpecError
from symbackprop.ir.builder import ModelBuilder
from symbackprop.ir.network import dense_network
from symbackprop.ir.ops import T, dot, shape_of

a, a1, a2, b, c, d = sp.symbols("a a1 a2 b c d")


# --- reads and writes ------------------------------------------------------------------------


def test_an_assignment_reads_the_free_symbols_of_its_value():
    statement = Assign(c, a1 * sp.tanh(b) + 2)
    assert statement.reads == {a1, b}
    assert statement.writes == {c}


def test_a_name_that_begins_another_is_not_read_where_only_the_other_is():
    statement = Assign(c, a1 * a2 + sp.exp(a1))  # prints "a1 * a2 + np.exp(a1)": no "a"
    assert a not in statement.reads
    assert Variables().read(statement) == {"a1", "a2"}
    assert Variables().read(Assign(c, a * b)) == {"a", "b"}


def test_in_place_calls_and_updates_say_what_they_read_and_write():
    assert InPlace(c, "*", a1).reads == {c, a1}
    assert InPlace(c, "*", a1).writes == {c}
    into_spent = Call(c, "multiply", (a, a1), out=a)
    assert (into_spent.reads, into_spent.writes) == ({a, a1}, {c, a})
    into_kept = Call(c, "dot", (T(a), b), out=Kept("c"))
    assert (into_kept.reads, into_kept.writes) == ({a, b}, {c})
    in_itself = Call(None, "negative", (c,), out=c)
    assert in_itself.writes == {c}
    step = Update(sp.Symbol("w"), sp.Symbol("d_w"))
    assert (step.reads, step.writes) == ({sp.Symbol("d_w")}, {sp.Symbol("w")})
    assert Comment("anything at all").reads == frozenset()


def test_an_element_of_an_array_is_read_through_the_array():
    w4, x0, layer = sp.symbols("w[4] x[0] layer_1[0]")
    variables = Variables({"w[4]": "w", "x[0]": "x"})
    assert variables.read(Assign(c, w4 * x0 + layer)) == {"w", "x", "layer_1_0"}


# --- the one formatter -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement, text",
    [
        (Assign(c, a * (1 - a)), "c = a * (1 - a)"),
        (Call(c, "multiply", (a, 2), Kept("c")), 'c = np.multiply(a, 2.0, out=reuse("c"))'),
        (Call(c, "subtract", (1, a), a), "c = np.subtract(1.0, a, out=a)"),
        (Call(c, "dot", (T(a), b), Kept("c")), 'c = a.T.dot(b, out=reuse("c"))'),
        (Call(c, "colsum", (a,), Kept("c")), 'c = a.sum(axis=0, out=reuse("c"))'),
        (Call(c, "power", (a, 3), Kept("c")), 'c = np.power(a, 3, out=reuse("c"))'),
        (Call(None, "negative", (c,), c), "np.negative(c, out=c)"),
        (Call(d, "dot", (sp.Symbol("ones"), c)), "d = ones.dot(c)"),
        (InPlace(c, "*", sp.Rational(1, 2)), "c *= 0.5"),
        (InPlace(c, "**", 3), "c **= 3"),
        (Update(sp.Symbol("w"), sp.Symbol("d_w")), 'params["w"] -= d_w'),
    ],
)
def test_the_numpy_target_spells_each_kind_of_statement(statement, text):
    assert Formatter(NumpyCodePrinter()).text(statement) == text


def test_long_statements_and_comments_wrap_at_the_line_limit():
    names = sp.symbols("alpha_" + ":12")
    lines = Formatter(NumpyCodePrinter()).lines(
        [Assign(c, sp.Add(*names, evaluate=False)), Comment("word " * 30)]
    )
    assert all(len("    " + line) <= 100 for text in lines for line in text.split("\n"))
    assert lines[1].count("\n    # ") == 1


# --- the memory-reuse pass -------------------------------------------------------------------

X, W, V = sp.symbols("X W V")
SHAPES = {"X": ("m", 4), "W": (4, 4), "V": (4, 4), "a": ("m", 4), "a1": ("m", 4)}


def _reused(statements, read_after=frozenset()):
    return reuse_memory(
        statements,
        lambda e: shape_of(e, SHAPES),
        taken={"a", "a1", "c", "d"},
        read_after=frozenset(read_after),
        own_arrays=frozenset(),
    )


def _run(statements, values: dict, work: dict) -> dict:
    lines = Formatter(NumpyCodePrinter()).lines(statements, depth=0)
    scope = {"np": np, **values, "reuse": work.get}
    exec("\n".join(lines), scope)  # noqa: S102 - the code a generated module would contain
    return scope


def _values(scale=1.0):
    rng = np.random.default_rng(3)
    return {name: scale * rng.normal(size=(5, 4) if name == "X" else (4, 4)) for name in "XWV"}


def test_a_value_read_later_is_not_written_over_when_a_shorter_name_is_spent():
    statements = [
        Assign(a, dot(X, W)),
        Assign(a1, dot(X, V)),
        Assign(c, sp.tanh(a)),  # a is spent here; a1 (which starts with "a") is not
        Assign(d, c * a1),
    ]
    reused = _reused(statements)
    assert Call(c, "tanh", (a,), a) in reused.statements  # written into a's array
    work: dict = {}
    for scale in (1.0, 1.1):  # the second step writes into the arrays the first kept
        values = _values(scale)
        scope = _run(reused.statements, values, work)
        expected = np.tanh(values["X"] @ values["W"]) * (values["X"] @ values["V"])
        np.testing.assert_allclose(scope["d"], expected, rtol=1e-14)
        work = work or {name: scope[name] for name in reused.kept}


def test_a_value_read_after_the_statements_is_never_spent():
    statements = [Assign(a, dot(X, W)), Assign(c, sp.tanh(a))]
    assert Call(c, "tanh", (a,), a) in _reused(statements).statements
    kept = _reused(statements, read_after={a}).statements
    assert Call(c, "tanh", (a,), Kept("c")) in kept
    scope = _run(kept, _values(), {})
    np.testing.assert_allclose(scope["a"], _values()["X"] @ _values()["W"], rtol=1e-14)


# --- the fused-step pass ---------------------------------------------------------------------


def _prefix_model():
    """Parameters a and a2 beside an intermediate a1: names that begin one another."""
    builder = ModelBuilder("prefixes")
    x, t = builder.input("x"), builder.target("t")
    pa, pa2 = builder.parameter("a"), builder.parameter("a2")
    hidden = builder.define("a1", sp.tanh(pa * x))
    y = builder.define("y", pa2 * hidden)
    return builder.loss("E", (y - t) ** 2 / 2)


def _names_in(statement: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}


def test_each_update_follows_the_last_statement_using_its_parameter_or_gradient():
    tree = ast.parse(module_text(_prefix_model()))
    step = next(f for f in tree.body if getattr(f, "name", "") == "train_step").body
    updates = [i for i, s in enumerate(step) if isinstance(s, ast.AugAssign)]
    for position in updates:
        update = step[position]
        parameter = update.target.slice.value  # params["a"] -= d_a
        uses = {parameter, update.value.id}
        assert uses & _names_in(step[position - 1]), ast.unparse(update)
        later = [s for s in step[position + 1 :] if s not in (step[u] for u in updates)]
        assert not any(uses & _names_in(s) for s in later), ast.unparse(update)
    assert len(updates) == 2  # a and a2: names that begin another are told apart


def test_the_fused_step_moves_parameters_by_lr_times_the_gradient():
    module = load_module(_prefix_model())
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=7), rng.normal(size=7)
    params = {"a": np.array(0.7), "a2": np.array(-1.3)}

    def loss(p):
        y = p["a2"] * np.tanh(p["a"] * x)  # by hand, not from the module
        return float(np.sum((y - t) ** 2) / 2)

    moved = {name: value.copy() for name, value in params.items()}
    module.train_step(moved, x, t, 0.1, {})
    for name in params:
        applied = (params[name] - moved[name]) / 0.1
        assert max_relative_error(applied, central_gradient(loss, params, name)) < 1e-9, name


# --- targets ---------------------------------------------------------------------------------


class FunctionalPrinter(NumpyCodePrinter):
    """A target's printer that rebinds parameters instead of updating them in place."""

    def update(self, update: Update) -> str:
        name = update.parameter.name
        return f'params["{name}"] = params["{name}"] - {self.code(update.step)}'


def test_a_target_is_a_printer_and_a_template_registered_once():
    assert TARGETS == {"numpy": NUMPY, "jax": JAX}
    assert target_named("numpy") is NUMPY
    with pytest.raises(SpecError, match="known: numpy, jax"):
        target_named("fortran")


def test_a_target_without_kept_arrays_writes_the_same_step_plainly():
    functional = replace(NUMPY, name="functional", printer=FunctionalPrinter, kept_arrays=False)
    model = dense_network([3, 4, 2], "tanh")
    text = model_module_text(model, "symbackprop generate", functional)
    assert "out=" not in text
    assert 'params["W1"] = params["W1"] - d_W1' in text
    plain, numpy = load_module(model, text), load_module(model)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    by_plain, by_numpy = numpy.init_params(1), numpy.init_params(1)
    work: dict = {}
    for _ in range(2):  # the second step writes into the arrays the first kept
        plain.train_step(by_plain, X, Y, 0.1, {})
        numpy.train_step(by_numpy, X, Y, 0.1, work)
    for name in by_numpy:
        np.testing.assert_allclose(by_plain[name], by_numpy[name], rtol=1e-13)
