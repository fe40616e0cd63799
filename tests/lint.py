"""Generated code is held to the project's own style: ruff's lint and its formatter."""

from __future__ import annotations

import subprocess
from pathlib import Path

CHECKS = (["check"], ["format", "--check", "--line-length", "100"])


def ruff_complaints(path: Path) -> list[str]:
    """What ruff says of the file or folder ``path``: nothing when it is lint-clean and
    formatted."""
    complaints = []
    for command in CHECKS:
        run = ["ruff", *command, "--no-cache", "--isolated", str(path)]
        result = subprocess.run(run, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            complaints.append(result.stdout)
    return complaints


def module_complaints(text: str, folder: Path) -> list[str]:
    """:func:`ruff_complaints` of one module's text, written into ``folder``."""
    path = folder / "module.py"
    path.write_text(text)
    return ruff_complaints(path)
