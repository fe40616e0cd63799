"""Bad input of every kind: exit code 2, exactly one line on stderr naming what is wrong and
where (file and line where there is one), no traceback, and no output file written."""

import pytest
from one_line import refused

from symbackprop.cli import main

NETWORK = "[network]\n"


# -- TOML specs ---------------------------------------------------------------------------------
# (body after the table line, the line named, words of the message)
BAD_NETWORKS = [
    ("sizes = 3\n", 2, ["sizes must be a list of at least two positive integers", "not 3"]),
    ("sizes = [2, true, 1]\n", 2, ["sizes must be", "True"]),  # a bool is an int in Python
    ('sizes = "2, 2, 1"\n', 2, ["sizes must be a list"]),
    ("sizes = [2, 0, 1]\n", 2, ["positive integers"]),
    ("sizes = [2, -3, 1]\n", 2, ["positive integers"]),
    ("sizes = [2.0, 1]\n", 2, ["positive integers", "2.0"]),
    ("sizes = [2]\n", 2, ["at least two"]),
    ("sizes = [[2], 1]\n", 2, ["sizes must be"]),
    ("sizes = [2, 1]\nname = 1\n", 3, ["name must be a non-empty, one-line string"]),
    ("sizes = [2, 1]\nname = ''\n", 3, ["name must be"]),
    ('sizes = [2, 1]\nname = "two\\nlines"\n', 3, ["name must be"]),
    ("sizes = [2, 1]\nmode = 1\n", 3, ["mode must be a non-empty string"]),
    ("sizes = [2, 1]\nactivation = 1\n", 3, ["activation must be a string or a list of strings"]),
    ("sizes = [2, 1]\nactivation = ['tanh', 2]\n", 3, ["activation must be"]),
    ("sizes = [2, 1]\nloss = ['sse']\n", 3, ["loss must be a non-empty string"]),
    ("sizes = [2, 1]\nreduction = 0\n", 3, ["reduction must be a non-empty string"]),
    ("mode = 'scalar'\nsizes = [2, 400, 1]\n", 3, ["1601 weights and biases", "limit of 1000"]),
    ("sizes = [2, 1000000000000, 1]\n", 2, ["4000000000001 weights and biases"]),
]

CELL = {"cell": '"gru"', "convention": '"keras"', "input": "1", "units": "1"}
# (key = wrong value, on line 2 cell, 3 convention, 4 input, 5 units, 6 name; words)
BAD_CELLS = [
    ({"convention": "[1]"}, 3, ["convention must be a non-empty string", "not [1]"]),
    ({"cell": "1"}, 2, ["cell must be a non-empty string"]),
    ({"input": "2.5"}, 4, ["input must be a positive integer", "2.5"]),
    ({"input": "true"}, 4, ["input must be a positive integer", "True"]),
    ({"input": "'2'"}, 4, ["input must be a positive integer"]),
    ({"units": "0"}, 5, ["units must be a positive integer"]),
    ({"units": "-2"}, 5, ["units must be a positive integer"]),
    ({"name": "7"}, 6, ["name must be"]),
    ({"input": "1000000", "units": "1000"}, 5, ["weights and biases", "limit"]),
    ({"swapped": "1"}, 6, ["swapped must be true or false", "not 1"]),
    ({"cell": '"rnn"', "swapped": "true"}, 6, ["swapped = true", "GRU", "rnn cell has no"]),
    ({"cell": '"lstm"', "convention": '"pytorch"', "swapped": "true"}, 6, ["lstm cell has no"]),
    ({"loss": '"mae"'}, 6, ["unknown recurrent loss 'mae'", "known: half_sse, mse"]),
    ({"loss": "1"}, 6, ["loss must be a non-empty string"]),
    ({"last": '"yes"'}, 6, ["last must be true or false"]),
]


@pytest.mark.parametrize("verb", ["derive", "verify", "generate"])
@pytest.mark.parametrize(("body", "line", "words"), BAD_NETWORKS)
def test_a_network_spec_with_a_wrong_value_names_its_key_and_line(
    folder, capsys, verb, body, line, words
):
    (folder / "net.toml").write_text(NETWORK + body)
    output = ["-o", "out.py"] if verb == "generate" else []
    refused(capsys, [verb, "net.toml", *output], f"net.toml:{line}: ", *words)
    assert not (folder / "out.py").exists()


@pytest.mark.parametrize("verb", ["derive", "verify", "train"])
@pytest.mark.parametrize(("body", "line", "words"), BAD_CELLS)
def test_a_recurrent_spec_with_a_wrong_value_names_its_key_and_line(
    folder, capsys, verb, body, line, words
):
    values = CELL | body
    text = "".join(f"{key} = {value}\n" for key, value in values.items())
    (folder / "cell.toml").write_text("[recurrent]\n" + text)
    data = ["--data", "xor"] if verb == "train" else []
    refused(capsys, [verb, "cell.toml", *data], f"cell.toml:{line}: ", *words)


def test_a_spec_nested_too_deeply_for_toml_names_the_file(folder, capsys):
    (folder / "deep.toml").write_text(NETWORK + "sizes = " + "[" * 5000 + "]" * 5000 + "\n")
    refused(capsys, ["derive", "deep.toml"], "deep.toml: ", "nested too deeply")


# -- Python models ------------------------------------------------------------------------------
LIST_GLOBAL = (
    "w = [1, 2]\n\n\ndef f(x{defaults}):\n    y = w[0] * x + w[1]\n    return (y - t) ** 2\n"
)


def test_a_module_level_list_read_by_a_function_derives(folder, capsys):
    (folder / "fit.py").write_text(LIST_GLOBAL.format(defaults=", t"))
    assert main(["derive", "fit.py:f"]) == 0
    out = capsys.readouterr().out
    # By hand: loss = (w0 x + w1 - t)^2, so dloss/dw0 = 2 (y - t) x and dloss/dw1 = 2 (y - t).
    assert "= 2*x*(w[0]*x + w[1] - t)" in out and "= 2*(w[0]*x + w[1] - t)" in out
    assert "\nat " not in out  # x and t have no values: no gradient values to show


def test_values_of_every_leaf_give_the_gradients_values(folder, capsys):
    (folder / "fit.py").write_text(LIST_GLOBAL.format(defaults="=1.0, t=2.0"))
    assert main(["derive", "fit.py:f"]) == 0
    out = capsys.readouterr().out
    # y = 1*1 + 2 = 3; dloss/dw0 = 2*(3 - 2)*1 = 2; dloss/dw1 = 2*(3 - 2) = 2
    assert "dloss/dw[0] = 2.0\n  dloss/dw[1] = 2.0\n" in out


def test_input_nested_too_deeply_names_the_model_file(folder, capsys):
    formula = "exp(" * 150 + "u" + ")" * 150  # read fine; too deep to derive
    (folder / "deep.toml").write_text(f'{NETWORK}sizes = [2, 1]\nactivation = "{formula}"\n')
    refused(capsys, ["derive", "deep.toml"], "deep.toml: ", "nested too deeply")
    refused(capsys, ["check", "deep.toml", "--formula", "W1 = X"], "deep.toml: ", "too deeply")


# -- train --------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["rnn", "gru-keras", "cell.toml"])
def test_train_says_which_data_a_recurrent_model_needs(folder, capsys, model):
    text = "".join(f"{key} = {value}\n" for key, value in (CELL | {"units": "3"}).items())
    (folder / "cell.toml").write_text("[recurrent]\n" + text)
    line = refused(
        capsys, ["train", model, "--data", "xor", "--save", "p.npz"], "", "a recurrent cell"
    )
    assert "sequences" in line and "X of shape (batch, time, " in line
    assert not (folder / "p.npz").exists()


@pytest.mark.parametrize(
    "argv", [["verify", "xor", "--seed", "-1"], ["train", "xor", "--data", "xor", "--seed", "-1"]]
)
def test_a_negative_seed_is_refused_by_the_argument_parser(capsys, argv):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    err = capsys.readouterr().err
    assert raised.value.code == 2 and len(err.splitlines()) == 1
    assert "argument --seed: a seed is a whole number 0 or more, not '-1'" in err


def write_csv(folder, header: str, rows: list[str]) -> str:
    (folder / "data.csv").write_text("\n".join([header, *rows]) + "\n")
    return "data.csv"


@pytest.mark.parametrize(
    ("header", "target", "words"),
    [
        (
            "x,x,y",
            "y",
            ["data.csv:1: ", "column 'x' appears twice in the header (columns 1 and 2)"],
        ),
        ("x, y ,y", "y", ["data.csv:1: ", "column 'y' appears twice", "(columns 2 and 3)"]),
        ("x,,y", "y", ["data.csv:1: ", "column 2 of the header has no name"]),
        ("x1,x2,y", "y,y", ["data.csv: ", "--target names 'y' twice"]),
    ],
)
def test_a_csv_header_must_name_each_column_once(folder, capsys, header, target, words):
    path = write_csv(folder, header, ["1,2,0", "3,4,1"])
    argv = ["train", "tiny221", "--data", path, "--target", target, "--save", "p.npz"]
    refused(capsys, argv, words[0], *words[1:])
    assert not (folder / "p.npz").exists()


def test_a_csv_too_wide_for_the_model_is_refused_by_its_header(folder, capsys):
    width = 5000
    header = ",".join(f"c{i}" for i in range(width)) + ",y"
    # Cells that are not numbers: were they read first, the error would be about them.
    path = write_csv(folder, header, [",".join(["word"] * width) + ",0"] * 3)
    refused(
        capsys,
        ["train", "tiny221", "--data", path, "--target", "y"],
        "data.csv: ",
        "model 'tiny221' takes 2 input columns (x, y); data 'data.csv' has 5000 (c0, c1, c2, c3,",
    )


# -- check --------------------------------------------------------------------------------------
def test_a_formula_whose_value_is_too_large_to_evaluate_is_refused(capsys):
    formula = "w[0] = exp(exp(exp(exp(exp(zout)))))"
    argv = ["check", "tiny221", "--formula", "w[1] = h1out", "--formula", formula]
    refused(capsys, argv, "--formula #2: ", "a value too large to evaluate: exp(")


def test_code_whose_value_is_too_large_to_evaluate_names_its_line(folder, capsys):
    code = "import numpy as np\n\n\ndef step(x, t, w, lr):\n    loss = (w * x - t) ** 2\n"
    code += "    w -= lr * np.exp(np.exp(np.exp(np.exp(np.exp(3 * x)))))\n    return w\n"
    (folder / "step.py").write_text(code)
    refused(capsys, ["check", "step.py:step"], "step.py:6: ", "too large to evaluate")


def test_matrix_names_the_code_does_not_use_are_refused(folder, capsys):
    code = "import numpy as np\n\n\ndef step(x, t, w, lr):\n    loss = (w * x - t) ** 2\n"
    (folder / "step.py").write_text(code + "    w -= lr * 2 * (w * x - t) * x\n    return w\n")
    argv = ["check", "step.py:step", "--matrix", "x,W,t2"]
    refused(capsys, argv, "step.py:4: ", "--matrix names 'W', 't2', which step() does not use")
