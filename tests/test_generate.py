"""generate: golden files in generated/, byte-identical, numpy-only, lint-clean, written whole."""

import ast
import shutil
from pathlib import Path

import pytest
from lint import ruff_complaints

from symbackprop import api
from symbackprop.cli import main
from symbackprop.codegen.generate import builtin_module_path, generate_all, module_text
from symbackprop.readers.examples import EXAMPLES, builtin

ROOT = Path(__file__).resolve().parents[1]


def test_generated_folder_is_up_to_date():
    assert generate_all(ROOT / "generated", check=True) == []


def test_generate_all_check_exits_1_on_a_stale_file(tmp_path, capsys):
    generate_all(tmp_path)
    stale = builtin_module_path("xor", tmp_path)
    stale.write_text(stale.read_text() + "# edited by hand\n")
    assert main(["generate", "--all", "--check", "--dir", str(tmp_path)]) == 1
    assert "xor.py" in capsys.readouterr().out
    assert main(["generate", "--all", "--dir", str(tmp_path)]) == 0
    assert main(["generate", "--all", "--check", "--dir", str(tmp_path)]) == 0


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_regeneration_is_byte_identical(name):
    assert module_text(builtin(name)) == module_text(builtin(name))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_generated_module_imports_numpy_only(name):
    tree = ast.parse((ROOT / "generated" / builtin_module_path(name).name).read_text())
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported == ["numpy"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_modules_are_lint_clean_and_formatted():
    assert ruff_complaints(ROOT / "generated") == []


def test_header_says_what_it_was_generated_from_the_formulas_and_how_to_regenerate():
    text = (ROOT / "generated" / "xor.py").read_text()
    header = ast.get_docstring(ast.parse(text))
    assert header.startswith("3-4-1 sigmoid XOR net")  # the model's description
    assert "seed" not in header.lower()
    assert "Regenerate with: symbackprop generate --all" in header
    # the asker's delta lines, in plain text
    assert "delta_layer_1 = delta_layer_2_in @ synapse_1.T" in header
    assert "dE/dsynapse_1 = layer_1.T @ delta_layer_2_in" in header


def test_generate_writes_one_module_to_the_named_file(tmp_path, capsys):
    out = tmp_path / "tiny.py"
    assert main(["generate", "tiny221", "-o", str(out)]) == 0
    assert "def backward(" in out.read_text()
    assert f"symbackprop generate tiny221 -o {out}" in out.read_text()


def test_bad_input_writes_no_file(tmp_path, capsys):
    out = tmp_path / "never.py"
    assert main(["generate", "no-such-model", "-o", str(out)]) == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_generate_without_model_or_all_is_a_usage_error(capsys):
    assert main(["generate"]) == 2
    assert "needs a MODEL" in capsys.readouterr().err


def test_api_generate_returns_the_text(tmp_path):
    text = api.generate("linreg", output=tmp_path / "linreg.py")
    assert text == (tmp_path / "linreg.py").read_text()
