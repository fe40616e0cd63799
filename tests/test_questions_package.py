"""The six questions' material lives in one package that general code never imports."""

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

from symbackprop.cli import main
from symbackprop.questions import run_demo

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


# "seed" as the name of the six questions, not a random seed (``--seed``, ``init_params(seed)``)
QUESTIONS_AS_SEED = re.compile(r"\bseed(?:'s|\s+questions?|\s+document|_code|_setup|_q\d)", re.I)
ROOT = PACKAGE.parent
SHOWN = [
    ROOT / "README.md",
    ROOT / "docs" / "tour.ipynb",
    *sorted((ROOT / "docs" / "examples").glob("*.md")),
    *sorted((ROOT / "generated").glob("*.py")),
    *sorted((ROOT / "templates").rglob("*.j2")),
]


@pytest.mark.parametrize("path", SHOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_shown_files_call_the_questions_by_their_names(path):
    assert QUESTIONS_AS_SEED.findall(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "verb", ["list", "derive", "explain", "check", "generate", "verify", "train", "demo"]
)
def test_help_and_list_call_the_questions_by_their_names(capsys, verb):
    argv = [verb] if verb == "list" else [verb, "--help"]
    with contextlib.suppress(SystemExit):  # --help exits 0
        main(argv)
    out = capsys.readouterr().out
    assert out and QUESTIONS_AS_SEED.findall(out) == []
    assert "question" not in out or verb in ("list", "demo")


def test_the_pattern_finds_the_old_wording():
    assert QUESTIONS_AS_SEED.findall("the seed's line; seed question 5; q5_seed_setup.png")
    assert not QUESTIONS_AS_SEED.findall("init_params(seed, scheme); --seed S; a seeded run")


def test_the_demo_calls_the_questions_by_their_names(tmp_path):
    out = io.StringIO()
    run_demo(tmp_path / "answers", out=out)
    assert re.findall(r"^Q(\d)\. ", out.getvalue(), flags=re.M) == list("123456")
    assert QUESTIONS_AS_SEED.findall(out.getvalue()) == []
    for path in (tmp_path / "answers").iterdir():
        if path.suffix != ".py":  # the asker's program, as shipped, is theirs
            assert QUESTIONS_AS_SEED.findall(path.read_text(encoding="utf-8")) == [], path.name
