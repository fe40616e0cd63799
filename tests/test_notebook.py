"""docs/tour.ipynb is stored with its outputs, runs headless, shows derivations as rendered
math, and its stored outputs are what running it shows now."""

import json
from pathlib import Path

import pytest

pytest.importorskip("nbformat", reason="the docs extra (nbclient, ipykernel) is needed")
pytest.importorskip("nbclient", reason="the docs extra (nbclient, ipykernel) is needed")
pytest.importorskip("ipykernel", reason="the docs extra (nbclient, ipykernel) is needed")

from symbackprop.questions.tour import run_tour  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOTEBOOK = DOCS / "tour.ipynb"
RICH = {"text/latex", "text/markdown"}


def code_cells(text: str) -> list[dict]:
    return [cell for cell in json.loads(text)["cells"] if cell["cell_type"] == "code"]


def test_the_stored_tour_shows_every_cells_output_with_derivations_as_math():
    code = code_cells(NOTEBOOK.read_text(encoding="utf-8"))
    assert code and all(cell["outputs"] for cell in code)
    rich = [cell for cell in code if any(RICH & set(o.get("data", {})) for o in cell["outputs"])]
    sources = ["".join(cell["source"]) for cell in rich]
    assert any('derive("tiny221")' in s for s in sources)
    assert any("explain(" in s for s in sources)
    assert any("check_formulas(" in s for s in sources)
    shown = json.dumps(code)
    assert " at 0x" not in shown  # no object addresses: a rerun must give the same file


@pytest.mark.slow
def test_running_the_tour_again_shows_what_is_stored():
    now = run_tour(NOTEBOOK)
    assert not any(o["output_type"] == "error" for cell in code_cells(now) for o in cell["outputs"])
    assert now == NOTEBOOK.read_text(encoding="utf-8"), (
        "docs/tour.ipynb is stale: run python -m symbackprop.questions.tour docs"
    )
