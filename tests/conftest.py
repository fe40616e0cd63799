import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

# The seed's question-5 program (indentation restored) ships with the package for the demo.
SEED_Q5_NET = (
    Path(__file__).resolve().parents[1] / "symbackprop" / "demo" / "seed_code" / "q5_net.py"
)


@pytest.fixture
def fixtures() -> Path:
    return TESTS / "fixtures"
