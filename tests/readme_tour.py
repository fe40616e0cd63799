"""The README's console blocks: each `$ command` with the output printed under it.

Used by tests/test_readme.py, and runnable to refresh the README's outputs after a change:
``python tests/readme_tour.py --write`` (then read the diff).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
# Finite-difference errors depend on the BLAS's rounding; the README shows them, the tests
# compare them as "some tiny number".
TINY = re.compile(r"\b\d\.\d\de-1[0-9]\b")


def commands(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for every `$ ` line of every console block, in order."""
    pairs = []
    for block in BLOCK.findall(text):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            pairs.append((command, output))
    return pairs


def run(command: str, folder: Path) -> str:
    argv = shlex.split(command)
    done = subprocess.run(argv, capture_output=True, text=True, cwd=folder, check=False)
    return done.stdout


def comparable(output: str) -> str:
    return TINY.sub("<tiny>", output)


def refresh() -> None:
    text = README.read_text()
    with tempfile.TemporaryDirectory() as folder:
        for command, output in commands(text):
            text = text.replace(
                f"$ {command}\n{output}", f"$ {command}\n{run(command, Path(folder))}", 1
            )
    README.write_text(text)


if __name__ == "__main__" and "--write" in sys.argv:
    refresh()
