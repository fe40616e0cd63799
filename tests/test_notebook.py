"""docs/tour.ipynb runs headless, and its derivation cells display as rendered math."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the docs extra (nbclient, ipykernel) is needed")
nbclient = pytest.importorskip("nbclient", reason="the docs extra (nbclient, ipykernel) is needed")
pytest.importorskip("ipykernel", reason="the docs extra (nbclient, ipykernel) is needed")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tour.ipynb"
RICH = {"text/latex", "text/markdown"}


@pytest.mark.slow
def test_every_cell_of_the_tour_runs_and_derivations_render_as_math(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not any(o.output_type == "error" for cell in code for o in cell.outputs)
    rich = [cell for cell in code if any(RICH & set(o.get("data", {})) for o in cell.outputs)]
    sources = [cell.source for cell in rich]
    assert any('derive("tiny221")' in s for s in sources)
    assert any("explain(" in s for s in sources)
    assert any("check_formulas(" in s for s in sources)
