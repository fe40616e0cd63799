"""``--params`` means the same in every verb that reads a model, and a model with nothing to
learn is the same one-line error in each (exit 2, naming the file and function, suggesting
``--params``, writing no file)."""

from __future__ import annotations

import pytest
from one_line import refused

from symbackprop.cli import main

WEIGHTS_AS_ARGUMENTS = """
def net(x, t, w, b):
    y = w * x + b
    loss = (y - t) ** 2
    return loss
"""

# d loss/dw = 2 (w x + b - t) x, by hand; w is the weight --params names
FORMULA = ["--formula", "g = 2*(w*x + b - t)*x", "--as", "g=w"]


@pytest.fixture
def net(tmp_path):
    (tmp_path / "net.py").write_text(WEIGHTS_AS_ARGUMENTS)
    (tmp_path / "line.csv").write_text("x,t\n0.1,0.3\n0.5,1.1\n0.9,1.9\n1.3,2.7\n")
    return tmp_path


def verbs(folder):
    """Each verb, with the options it needs and the file it would write."""
    out = folder / "out"
    return {
        "derive": (["derive"], None),
        "explain": (["explain", "-o", f"{out}.md"], f"{out}.md"),
        "generate": (["generate", "-o", f"{out}.py"], f"{out}.py"),
        "verify": (["verify"], None),
        "train": (
            ["train", "--data", str(folder / "line.csv"), "--target", "t", "--epochs", "2"]
            + ["--save", f"{out}.npz"],
            f"{out}.npz",
        ),
        "check": (["check", *FORMULA], None),
    }


VERBS = ("derive", "explain", "generate", "verify", "train", "check")


@pytest.mark.parametrize("verb", VERBS)
def test_params_names_the_weights_in_every_verb(verb, net, capsys):
    argv, written = verbs(net)[verb]
    code = main([argv[0], f"{net / 'net.py'}:net", *argv[1:], "--params", "w,b"])
    out, err = capsys.readouterr()
    assert code == 0, err
    if written is not None:
        assert (net / written).exists()
    if verb == "derive":
        assert "dloss/dw" in out and "dloss/db" in out and "dloss/dx" not in out


@pytest.mark.parametrize("verb", VERBS)
def test_a_model_without_weights_is_one_line_suggesting_params(verb, net, capsys):
    argv, written = verbs(net)[verb]
    model = f"{net / 'net.py'}:net"
    line = refused(capsys, [argv[0], model, *argv[1:]], str(net / "net.py"), "net", "--params")
    assert "no parameters" in line
    if written is not None:
        assert not (net / written).exists()


def test_generate_with_params_writes_the_weights_shapes(net, capsys):
    assert main(["generate", f"{net / 'net.py'}:net", "--params", "w,b"]) == 0
    out = capsys.readouterr().out
    assert "PARAMETER_SHAPES" in out
    assert '"w": ()' in out and '"b": ()' in out


def test_params_in_check_code_mode_pairs_returned_gradients_by_order(tmp_path, capsys):
    source = tmp_path / "grads.py"
    source.write_text(
        "def grads(x, t, w, b):\n"
        "    y = w * x + b\n"
        "    loss = (y - t) ** 2\n"
        "    first = 2 * (y - t) * x\n"
        "    second = 2 * (y - t) * w\n"  # wrong: dloss/db = 2 (y - t), by hand
        "    return first, second\n"
    )
    code = main(["check", f"{source}:grads", "--params", "w,b"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "CORRECT  line 4: first as dloss/dw" in out
    assert "WRONG    line 5: second as dloss/db" in out


def test_returned_gradients_no_name_or_option_explains_are_one_line(tmp_path, capsys):
    source = tmp_path / "grads.py"
    source.write_text(
        "def grads(x, t, w, b):\n"
        "    y = w * x + b\n"
        "    loss = (y - t) ** 2\n"
        "    dw = 2 * (y - t) * x\n"
        "    other = 2 * (y - t)\n"
        "    return dw, other\n"
    )
    refused(capsys, ["check", f"{source}:grads"], f"{source}:6", "--params")


def test_derive_knows_the_weights_of_code_that_returns_their_gradients(tmp_path, capsys):
    source = tmp_path / "grads.py"
    source.write_text(
        "def grads(x, t, w, b):\n"
        "    y = w * x + b\n"
        "    loss = (y - t) ** 2\n"
        "    dw = 2 * (y - t) * x\n"
        "    db = 2 * (y - t)\n"
        "    return dw, db\n"
    )
    assert main(["derive", f"{source}:grads"]) == 0
    out = capsys.readouterr().out
    assert "dloss/dw" in out and "dloss/db" in out and "dloss/dx" not in out


def test_params_naming_what_the_loss_does_not_use_is_one_line_in_check(tmp_path, capsys):
    source = tmp_path / "grads.py"
    source.write_text(
        "def grads(x, t, w, b):\n"
        "    y = w * x + b\n"
        "    loss = (y - t) ** 2\n"
        "    return 2 * (y - t) * x, 2 * (y - t)\n"
    )
    refused(capsys, ["check", f"{source}:grads", "--params", "w,c"], f"{source}:1", "c")
