"""The six questions' material lives in one package that general code never imports."""

import ast
from pathlib import Path

from symbackprop.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "symbackprop"
SURFACES = {PACKAGE / "cli.py", PACKAGE / "api.py"}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_only_the_surfaces_import_the_questions_package():
    general = [
        path
        for path in PACKAGE.rglob("*.py")
        if "questions" not in path.relative_to(PACKAGE).parts and path not in SURFACES
    ]
    importers = [
        str(path.relative_to(PACKAGE))
        for path in general
        if any(m.startswith("symbackprop.questions") for m in imported_modules(path))
    ]
    assert importers == []


def test_list_names_the_question_each_built_in_answers(capsys):
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    # DESIGN.md: question 5 is the 2-2-1 sigmoid net, question 3 the Keras GRU.
    assert "question 5:" in lines["tiny221"]
    assert "question 3:" in lines["gru-keras"]
    assert "question 1:" in lines["xor"]
