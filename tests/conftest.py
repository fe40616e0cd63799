import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

# Question 5's program (indentation restored) ships with the package for the demo.
Q5_NET = (
    Path(__file__).resolve().parents[1] / "symbackprop" / "questions" / "programs" / "q5_net.py"
)


@pytest.fixture
def fixtures() -> Path:
    return TESTS / "fixtures"


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A fresh working folder for a command that writes where it is run."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
