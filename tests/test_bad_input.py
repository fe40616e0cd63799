"""Bad input of every kind: exit code 2, exactly one line on stderr naming what is wrong and
where (file and line where there is one), no traceback, and no output file written."""

import pytest

from symbackprop.cli import main

NETWORK = "[network]\n"


def refused(capsys, argv: list[str], where: str, *words: str) -> str:
    """Run the CLI on bad input; the one line it prints must start with ``where``."""
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"symbackprop: error: {where}"), lines[0]
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


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
    ("mode = 'scalar'\nsizes = [2, 60, 1]\n", 3, ["241 weights and biases", "limit of 100"]),
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
