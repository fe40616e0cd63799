"""The notebook tour, stored with its outputs: ``python -m symbackprop.questions.tour docs
[--check]`` runs ``docs/tour.ipynb`` headless and writes it back with what each cell showed.

It needs the docs extra (nbclient, nbformat, ipykernel). Only what a reader sees is kept:
execution counts are numbered from 1 and timings and kernel ids are dropped, so that running
the tour again changes the file only when an output does.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from symbackprop.errors import UsageError
from symbackprop.files import current_text, write_whole
from symbackprop.questions.writer_cli import run_writer

NOTEBOOK = "tour.ipynb"


def run_tour(path: Path) -> str:
    """The notebook at ``path`` run from a fresh folder, as the JSON text it is stored as."""
    try:
        import nbclient
        import nbformat
    except ImportError:
        raise UsageError("the tour needs the docs extra: pip install 'symbackprop[docs]'") from None
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        client = nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        client.execute()
    return _stored(nbformat.writes(notebook))


def _stored(text: str) -> str:
    """Outputs kept; what changes on every run (timings, ids, counts past the cell's own
    position) taken out."""
    notebook = json.loads(text)
    count = 0
    for cell in notebook["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        cell.pop("id", None)
        if cell["cell_type"] != "code":
            continue
        count += 1
        cell["execution_count"] = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count
    notebook["metadata"].pop("widgets", None)
    notebook["nbformat_minor"] = min(notebook.get("nbformat_minor", 4), 4)  # ids need 4.5
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_tour(folder: str | Path, check: bool = False) -> list[Path]:
    """Run ``folder/tour.ipynb`` and store it with its outputs (or, with ``check``, only
    compare); returns the notebook when it was, or would be, changed."""
    path = Path(folder) / NOTEBOOK
    text = run_tour(path)
    if current_text(path) == text:
        return []
    if not check:
        write_whole(path, text)
    return [path]


def main(argv: list[str] | None = None) -> int:
    """``python -m symbackprop.questions.tour FOLDER [--check]``."""
    return run_writer("symbackprop.questions.tour", write_tour, argv)


if __name__ == "__main__":
    raise SystemExit(main())
