"""How ``check`` fares on course layer files: the fixtures of tests/layerfiles/ and their
single-line mutants, labelled by finite differences of each file's own forward.

Prints a Markdown table per function: mutants, of them wrong by the oracle, wrong ones caught,
right ones called right, and wrong ones blamed at their own line; then the totals.

Run: ``python benchmarks/check_layer_files.py`` (about a minute).
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

import test_layer_pairs as cases  # noqa: E402
from layer_mutants import judged, load_module, mutated  # noqa: E402

from symbackprop.check import check_code  # noqa: E402


def main() -> None:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with tempfile.TemporaryDirectory() as folder:
        for fixture, function, old, new in cases.CASES:
            text, line = mutated(fixture, function, old, new)
            path = Path(folder) / "layers.py"
            path.write_text(text)
            right = cases._right(load_module(path), function)
            report = judged(check_code(path, function))
            row = rows[function]
            row["mutants"] += 1
            if right:
                row["right"] += 1
                row["right called right"] += report.ok
                continue
            row["wrong"] += 1
            row["wrong caught"] += not report.ok
            if not report.ok:
                row["blamed at its line"] += min(v.line for v in report.wrong) == line
    columns = ["mutants", "wrong", "wrong caught", "right", "right called right"]
    columns.append("blamed at its line")
    print("| function | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    totals: dict[str, int] = defaultdict(int)
    for function, row in rows.items():
        print(f"| {function} | " + " | ".join(str(row[c]) for c in columns) + " |")
        for column in columns:
            totals[column] += row[column]
    print("| **all** | " + " | ".join(str(totals[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
