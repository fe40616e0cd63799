"""Run the six answers into a fresh folder, printing a few lines for each."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

from symbackprop.errors import SymbackpropError, UsageError
from symbackprop.questions.answers import QUESTIONS, Answer
from symbackprop.questions.table import ASKS

DEFAULT_FOLDER = "symbackprop-demo"


def run_demo(
    folder: str | Path = DEFAULT_FOLDER, force: bool = False, out: TextIO | None = None
) -> list[Answer]:
    """Answer every question, writing its full explanation into ``folder``."""
    out = out or sys.stdout
    folder = _fresh_folder(Path(folder), force)
    answers = []
    for number, question in enumerate(QUESTIONS, start=1):
        start = time.perf_counter()
        answer = _answer(question, folder, number)
        _show(answer, time.perf_counter() - start, out)
        answers.append(answer)
    print(f"Full explanations are in {folder}/.", file=out)
    return answers


def _answer(question, folder: Path, number: int) -> Answer:
    try:
        return question(folder)
    except ImportError as missing:  # an optional extra (scikit-learn, matplotlib) is absent
        answer = Answer(number, ASKS[number])
        answer.lines.append(
            f"not available here: {missing.name or missing} is not installed "
            "(pip install 'symbackprop[data,plot]')"
        )
        return answer


def _fresh_folder(folder: Path, force: bool) -> Path:
    """The demo's own folder; a user's existing files are replaced only with ``force``."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            raise UsageError(
                f"{folder} exists and is not empty; pass --force to replace it, "
                "or --dir to name another folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _show(answer: Answer, seconds: float, out: TextIO) -> None:
    print(f"Q{answer.question}. {answer.asks}", file=out)
    for line in answer.lines:
        print(f"    {line}", file=out)
    for path in answer.files:
        print(f"    wrote {path}", file=out)
    print(file=out)


__all__ = ["DEFAULT_FOLDER", "SymbackpropError", "run_demo"]
