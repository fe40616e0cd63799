"""A user's names never collide with the generated module's own, and generate never writes a
wrong module silently.

Each case is a forward function as a user writes it. The expected gradient comes from running
that same function in the test (never in the product) and taking central differences.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
import types
from keyword import iskeyword
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import api
from symbackprop.cli import main
from symbackprop.codegen import generate as generate_module
from symbackprop.codegen.names import GENERATOR_NAMES, code_name
from symbackprop.codegen.verify import ModuleDisagrees, self_check
from symbackprop.errors import SpecError
from symbackprop.ir.builder import ModelBuilder
from symbackprop.naming import ADJOINT_PREFIX, GRADIENT_PREFIX, identifier, split_indexed
from symbackprop.readers.examples import EXAMPLES, RECURRENT_EXAMPLES, builtin


def chain(first: str, second: str) -> str:
    """A two-weight chain whose two intermediates carry the names under test."""
    return (
        "def f(x, t):\n"
        f"    {first} = x * w[0]\n"
        f"    {second} = {first} * w[1] + w[2]\n"
        f"    loss = ({second} - t) ** 2\n"
        "    return loss\n"
    )


COLLISIONS = {
    # the learning rate of the fused step, the adjoint and gradient prefixes
    "lr": chain("lr", "h"),
    "delta_h": chain("h", "delta_h"),
    "d_w": chain("d_w", "h"),
    # names the module uses for itself
    **{name: chain(name, "h") for name in ("np", "params", "cache", "report_loss", "work")},
    **{name: chain(name, "h") for name in ("kept", "reuse", "float", "sigmoid", "None_")},
    # non-ASCII names that must stay apart, and one alone
    "greek": chain("aλ", "aμ"),
    "omega": chain("ω", "h"),
    "keyword": chain("match", "h"),
}


def user_loss(source: str, w: np.ndarray, x: float, t: float) -> float:
    """The user's own function, run by the test as an independent reference."""
    namespace: dict = {"w": w}
    exec(source, namespace)  # noqa: S102 - the test's own fixture
    return float(namespace["f"](x, t))


def reference_gradient(source: str, w: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    gradient = np.zeros_like(w)
    h = 1e-6
    for i in range(w.size):
        step = np.zeros_like(w)
        step[i] = h
        gradient[i] = sum(
            (user_loss(source, w + step, xs, ts) - user_loss(source, w - step, xs, ts)) / (2 * h)
            for xs, ts in zip(x, t, strict=True)
        )
    return gradient


def load(text: str) -> types.ModuleType:
    module = types.ModuleType("generated_under_test")
    exec(compile(text, "<generated>", "exec"), module.__dict__)  # noqa: S102
    return module


def write_model(tmp_path, source: str, name: str = "model.py") -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return f"{path}:f"


@pytest.mark.parametrize("case", sorted(COLLISIONS))
def test_generated_gradient_is_right_whatever_the_user_calls_a_variable(tmp_path, case):
    source = COLLISIONS[case]
    out = tmp_path / "out.py"
    assert main(["generate", write_model(tmp_path, source), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    module = load(text)
    if code_name(case) != case and case.isidentifier():  # the header says what was renamed
        assert f"{case} is {code_name(case)}" in ast.get_docstring(ast.parse(text))
    rng = np.random.default_rng(1)
    w, x, t = rng.normal(size=3), rng.normal(size=5), rng.normal(size=5)
    params = {"w": w.copy()}
    expected = reference_gradient(source, w, x, t)
    got = module.backward(params, module.forward(params, x, t))["w"]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    # The fused step applies the same gradient: p -= lr * grad.
    moved = {"w": w.copy()}
    module.train_step(moved, x, t, 1e-3, {})
    np.testing.assert_allclose((w - moved["w"]) / 1e-3, expected, rtol=1e-6, atol=1e-8)
    # And full training runs.
    module.train({"w": w.copy()}, x, t, epochs=3, lr=0.01)


@pytest.mark.parametrize("case", sorted(COLLISIONS))
def test_verify_and_train_agree_on_renamed_names(tmp_path, case, capsys):
    model = write_model(tmp_path, COLLISIONS[case])
    assert main(["verify", model]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_parameter_array_read_from_its_second_element_on(tmp_path):
    source = "def f(x, t):\n    loss = (x * w[1] + w[2] - t) ** 2\n    return loss\n"
    text = api.generate(api.load_model(write_model(tmp_path, source)))
    module = load(text)
    w, x, t = np.array([0.3, -0.7, 0.2]), np.array([0.5, 2.0]), np.array([1.0, -1.0])
    grads = module.backward({"w": w}, module.forward({"w": w}, x, t))
    hand = [0.0, np.sum(2 * (x * w[1] + w[2] - t) * x), np.sum(2 * (x * w[1] + w[2] - t))]
    np.testing.assert_allclose(grads["w"], hand, rtol=1e-12)


def test_a_plain_name_beside_the_same_name_indexed(tmp_path):
    source = "def f(x, t):\n    h = x * w[4] + w_4\n    loss = (h - t) ** 2\n    return loss\n"
    module = load(api.generate(api.load_model(write_model(tmp_path, source))))
    w, w_4, x, t = np.arange(5.0) / 7, 0.25, np.array([0.5, 2.0]), np.array([1.0, -1.0])
    params = {"w": w, "w_4": np.array(w_4)}
    grads = module.backward(params, module.forward(params, x, t))
    residual = x * w[4] + w_4 - t
    np.testing.assert_allclose(grads["w"][4], np.sum(2 * residual * x), rtol=1e-12)
    np.testing.assert_allclose(grads["w_4"], np.sum(2 * residual), rtol=1e-12)


def test_a_model_with_no_data(tmp_path):
    source = "def f():\n    loss = (w[0] * w[1] - 1) ** 2\n    return loss\n"
    module = load(api.generate(api.load_model(write_model(tmp_path, source))))
    w = np.array([0.5, 3.0])
    grads = module.backward({"w": w}, module.forward({"w": w}))
    np.testing.assert_allclose(grads["w"], [2 * 0.5 * 3.0, 2 * 0.5 * 0.5], rtol=1e-12)


@pytest.mark.parametrize("verb", ["generate", "verify", "derive"])
def test_a_model_with_no_parameters_is_one_clear_error(tmp_path, capsys, verb):
    source = "def f(x, t):\n    loss = (x - t) ** 2\n    return loss\n"
    out = tmp_path / "out.py"
    extra = ["-o", str(out)] if verb == "generate" else []
    assert main([verb, write_model(tmp_path, source), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no parameters" in err[0]
    assert not out.exists()


def built_chain(first: str, second: str):
    """The chain model built through the API, whose names need not be Python's."""
    b = ModelBuilder("chain")
    x, t = b.input("x"), b.target("t")
    w = [b.parameter(f"w[{i}]") for i in range(3)]
    h = b.define(first, x * w[0])
    g = b.define(second, h * w[1] + w[2])
    return b.loss("loss", (g - t) ** 2)


@pytest.mark.parametrize(
    ("first", "second"),
    [("ﬁ", "fi"), ("lr", "lr_"), ("a-b", "a_b")],  # NFKC; lr renamed beside lr_; punctuation
)
def test_two_names_that_would_print_alike_are_an_error_naming_both(first, second):
    with pytest.raises(SpecError) as error:
        api.generate(built_chain(first, second))
    assert repr(first) in str(error.value) and repr(second) in str(error.value)


@pytest.mark.parametrize("names", [("ﬁ", "fi"), ("a", "loss")], ids=["ﬁ and fi", "loss"])
def test_a_name_assigned_twice_is_read_as_python_runs_it(tmp_path, names):
    """In a .py file Python itself makes ``ﬁ`` and ``fi`` one name, assigned twice; a loss
    assigned twice would lose its square if read only up to its first assignment. Both are
    versions of one name, and the module's loss is what Python computes."""
    source = chain(*names)
    out = tmp_path / "out.py"
    assert main(["generate", write_model(tmp_path, source), "-o", str(out)]) == 0
    module = types.ModuleType("chain_module")
    exec(compile(out.read_text(), str(out), "exec"), module.__dict__)
    w = np.array([0.5, -1.5, 0.25])
    python = {"w": w}
    exec(compile(source, "model.py", "exec"), python)  # our own fixture: the reference
    x, t = np.array([2.0]), np.array([0.75])
    assert module.loss({"w": w}, x, t) == pytest.approx(float(np.sum(python["f"](x, t))))


def test_data_used_whole_and_indexed_is_an_error(tmp_path, capsys):
    source = "def f(x, t):\n    loss = (x * w[0] + x[1] * w[1] - t) ** 2\n    return loss\n"
    assert main(["generate", write_model(tmp_path, source)]) == 2
    err = capsys.readouterr().err
    assert "'x'" in err and "whole and indexed" in err


# -- the reserved names are the module's own ---------------------------------------------------


USER_SCOPES = ("forward", "loss", "loss_of", "backward", "train_step", "train")


def _names_in(text: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n not in RECURRENT_EXAMPLES])
def test_every_name_the_generator_adds_is_reserved(name):
    """The list of reserved names is honest: every variable or argument of a function that
    holds the user's names is the user's, built from one by a prefix, or reserved."""
    model = builtin(name)
    user = {identifier((split_indexed(n.name) or (n.name, ()))[0]) for n in model.nodes}
    user |= {identifier(n.name) for n in model.nodes}  # an indexed intermediate: layer_1_0
    text = api.generate(model)
    module = ast.parse(text)
    for function in module.body:
        if not isinstance(function, ast.FunctionDef) or function.name not in USER_SCOPES:
            continue  # a helper or optimiser: its own scope, no user name in it
        names = _names_in(ast.unparse(function))
        own = names - user - GENERATOR_NAMES
        own = {n for n in own if not n.startswith((ADJOINT_PREFIX, GRADIENT_PREFIX))}
        own = {n for n in own if "_part" not in n}  # the fused step's array parts
        assert own == set(), f"{function.name} uses {sorted(own)} beside the user's names"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [n for n in sorted(GENERATOR_NAMES - {"__debug__"}) if not iskeyword(n)]
                + ["d_x", "delta_h", "loss", "match", "case"]
            ),
            st.from_regex(r"[a-zαβγλμω][a-z0-9_λμ]{0,6}", fullmatch=True),
        ),
        min_size=2,
        max_size=2,
        unique_by=code_name,
    ).filter(lambda names: not {"x", "t", "w", "f", "loss"} & {code_name(n) for n in names})
)
def test_any_two_names_give_a_right_module(names):
    first, second = names
    source = chain(first, second)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.py"
        path.write_text(source, encoding="utf-8")
        model = api.load_model(f"{path}:f")
    module = load(api.generate(model))
    w, x, t = np.array([0.4, -1.1, 0.3]), np.array([0.5, -2.0]), np.array([1.0, 0.5])
    got = module.backward({"w": w}, module.forward({"w": w}, x, t))["w"]
    np.testing.assert_allclose(got, reference_gradient(source, w, x, t), rtol=1e-6, atol=1e-8)


# -- generate checks what it writes ---------------------------------------------------------


def _doubled(text: str) -> str:
    """The module with its first parameter's gradient doubled where backward returns it."""
    marker = '    return {\n        "w": d_w,'
    assert marker in text
    return text.replace(marker, '    return {\n        "w": 2 * d_w,')


def test_self_check_refuses_a_module_whose_gradient_is_wrong():
    model = builtin("tiny221")
    text = api.generate(model)
    self_check(model, text)  # the true module passes
    with pytest.raises(ModuleDisagrees, match="backward"):
        self_check(model, _doubled(text))


def test_generate_exits_1_and_writes_nothing_when_the_module_disagrees(
    tmp_path, capsys, monkeypatch
):
    real = generate_module.module_text
    monkeypatch.setattr(
        "symbackprop.api.module_text", lambda *args, **kw: _doubled(real(*args, **kw))
    )
    out = tmp_path / "tiny.py"
    assert main(["generate", "tiny221", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wrong module" in err[0]
    assert not out.exists()


def test_a_renamed_module_imports_as_a_file(tmp_path):
    """The module written for a user's ``np`` and ``params`` imports and trains as a file."""
    out = tmp_path / "named.py"
    assert main(["generate", write_model(tmp_path, COLLISIONS["np"]), "-o", str(out)]) == 0
    script = (
        "import numpy as np, named\n"
        "p = named.init_params(0)\n"
        "x = np.linspace(-1, 1, 8); t = 0.5 * x\n"
        "p, losses = named.train(p, x, t, epochs=200, lr=0.05)\n"
        "assert losses[-1] < losses[0], losses\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
