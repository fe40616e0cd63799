"""TOML specs: vector and scalar networks, built-in and custom activations and losses."""

import numpy as np
import pytest
import sympy as sp
from numeric import central_gradient, max_relative_error

from symbackprop import derive
from symbackprop.codegen.loader import load_module
from symbackprop.codegen.verify import sample_data
from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.readers.spec import read_spec


def write(tmp_path, body: str):
    path = tmp_path / "net.toml"
    path.write_text("[network]\n" + body)
    return path


def test_a_spec_is_a_vector_network_by_default(tmp_path):
    model = read_spec(
        write(
            tmp_path, "sizes = [4, 6, 3]\nactivation = ['tanh', 'softmax']\nloss = 'softmax_ce'\n"
        )
    )
    assert model.is_vector and model.name == "net"
    assert model.shapes["W1"] == (4, 6) and model.shapes["b2"] == (3,)
    delta_z2 = derive(model).adjoint("z2").expr
    a2, Y, m = sp.symbols("a2 Y m")
    assert sp.simplify(delta_z2 - (a2 - Y) / m) == 0  # softmax + cross-entropy fuse to p - y


def test_scalar_mode_gives_one_formula_per_weight(tmp_path):
    model = read_spec(write(tmp_path, "mode = 'scalar'\nsizes = [2, 2, 1]\n"))
    assert not model.is_vector
    assert len(derive(model).gradients) == 9


def test_a_custom_activation_formula_needs_no_code(tmp_path):
    path = write(tmp_path, "sizes = [3, 4, 2]\nactivation = ['u / (1 + abs(u))', 'identity']\n")
    model = read_spec(path)
    module = load_module(model)
    params, data = module.init_params(2), sample_data(model, np.random.default_rng(2))
    grads = module.backward(params, module.forward(params, *data))
    for name in params:
        numeric = central_gradient(lambda p: module.loss(p, *data), params, name)
        assert max_relative_error(grads[name], numeric) < 1e-7


def test_a_custom_loss_formula_in_y_and_t(tmp_path):
    body = "sizes = [2, 1]\nactivation = 'identity'\nloss = 'sqrt(1 + (y - t)**2) - 1'\n"
    model = read_spec(write(tmp_path, body + "reduction = 'sum'\n"))
    a1, Y = sp.symbols("a1 Y")  # pseudo-Huber: d/dy = (y - t) / sqrt(1 + (y - t)**2)
    expected = (a1 - Y) / sp.sqrt(1 + (a1 - Y) ** 2)
    assert sp.simplify(derive(model).adjoint("a1").expr - expected) == 0


@pytest.mark.parametrize(
    ("body", "error", "line", "words"),
    [
        ("sizes = [2, 1]\nactivation = 'swishy'\n", SpecError, 3, "unknown activation 'swishy'"),
        ("sizes = [2, 1]\nloss = 'hinge'\n", SpecError, 3, "unknown loss 'hinge'"),
        ("sizes = [2, 1]\nmode = 'tensor'\n", SpecError, 3, "unknown mode"),
        (
            "sizes = [2, 1]\nactivation = '__import__(\"os\")'\n",
            UnsupportedConstruct,
            3,
            "__import__",
        ),
        ("sizes = [2, 1]\nactivation = 'v + 1'\n", SpecError, 3, "unknown name 'v'"),
        (
            "sizes = [2, 1]\nactivation = 'sigmoid'\nloss = 'bce'\nreduction = 'avg'\n",
            SpecError,
            5,
            "reduction",
        ),
        ("sizes = [2, 'x', 1]\n", SpecError, 2, "positive integers"),
    ],
)
def test_bad_specs_name_the_line_and_the_problem(tmp_path, body, error, line, words):
    with pytest.raises(error) as raised:
        read_spec(write(tmp_path, body))
    assert raised.value.line == line
    assert words in raised.value.message


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('cell = "mgu"\nconvention = "keras"\ninput = 1\nunits = 1\n', 2, "unknown recurrent"),
        ('cell = "gru"\nconvention = "jax"\ninput = 1\nunits = 1\n', 3, "unknown gru convention"),
        ('cell = "rnn"\nconvention = "keras"\ninput = 0\nunits = 1\n', 4, "positive integer"),
        ('cell = "gru"\nconvention = "keras"\ninput = 1\n', None, "needs 'units'"),
        ('cell = "gru"\nconvention = "keras"\ninput = 1\nunits = 1\nsize = 2\n', 6, "unknown key"),
    ],
)
def test_bad_recurrent_specs_name_the_line_and_the_problem(tmp_path, body, line, words):
    path = tmp_path / "cell.toml"
    path.write_text("[recurrent]\n" + body)
    with pytest.raises(SpecError) as raised:
        read_spec(path)
    assert raised.value.line == line
    assert words in raised.value.message


def test_a_spec_has_one_table(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text('[network]\nsizes = [2, 1]\n[recurrent]\ncell = "gru"\n')
    with pytest.raises(SpecError, match="one table"):
        read_spec(path)


def test_generate_names_the_spec_and_the_command_that_regenerates(tmp_path, monkeypatch):
    from symbackprop.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.toml").write_text("[network]\nsizes = [2, 3, 1]\n")
    assert main(["generate", "net.toml", "-o", "net.py"]) == 0
    header = (tmp_path / "net.py").read_text().split('"""')[1]
    assert "from net.toml" in header
    assert "Regenerate with: symbackprop generate net.toml -o net.py" in header
