"""The import contract: packages import only the layers below them (pyproject.toml's
``[tool.importlinter]``), no import hides inside a function to dodge a circle, no module
takes another's private name, and no model family is chosen by ``getattr``."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symbackprop"
ROOT = PACKAGE.parent

# Imports deferred on purpose: the optional matplotlib behind plotting is imported only when a
# plot is asked for, the optional web stack only when serving. Each entry is (module, imported
# module).
DEFERRED = {
    ("symbackprop/train/cli.py", "symbackprop.train.plot"),
    ("symbackprop/serve/cli.py", "symbackprop.serve.server"),  # the web stack, serve's extra
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_the_layers_contract_holds():
    pytest.importorskip("importlinter")
    lint = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-2000:]
    assert "1 kept, 0 broken" in lint.stdout


def _our_imports_inside_functions(tree: ast.Module):
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("symbackprop"):
                yield node.module
            elif isinstance(node, ast.Import):
                yield from (a.name for a in node.names if a.name.startswith("symbackprop"))


def test_no_import_of_ours_hides_inside_a_function():
    hidden = [
        (path, module)
        for path, tree in _modules()
        for module in _our_imports_inside_functions(tree)
        if (path, module) not in DEFERRED
    ]
    assert hidden == []


def test_no_module_imports_another_modules_private_name():
    private = [
        (path, node.module, alias.name)
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("symbackprop")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


def test_no_model_family_is_chosen_by_getattr():
    chosen = [
        (path, node.lineno)
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "hasattr")
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "cell"
    ]
    assert chosen == []


def test_the_contract_fails_on_an_import_that_runs_up(tmp_path):
    """The contract can fail: an ir module that imports codegen breaks it."""
    pytest.importorskip("importlinter")
    copy = tmp_path / "tree"
    shutil.copytree(PACKAGE, copy / "symbackprop", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bad = copy / "symbackprop" / "ir" / "upward.py"
    bad.write_text("from symbackprop.codegen import generate  # noqa: F401\n")
    lint = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, '.'); "
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert lint.returncode != 0
    assert "symbackprop.ir.upward -> symbackprop.codegen" in lint.stdout
