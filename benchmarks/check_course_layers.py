"""How ``check`` fares on course layer files: every mutant of the torch-labelled fixtures in
tests/ (naive loops channels first; channels last with dicts of weights; layer classes;
samples as columns: layers, a network returning its cost, one with a cost function of its
own, one regularised by a cost beside its imported forward; network classes: one of any depth
with normalisation and dropout, a convolutional one, a two-layer one taking reg in its loss;
networks trained one sample at a time returning lists of gradients), per unit.

Prints a Markdown table per fixture: mutants, refused (not read), verdicts right (of those
read), the first wrong line blamed right (of the wrong ones called wrong) and, for the wrong
ones called wrong, the diagnoses given.

Run: ``python benchmarks/check_course_layers.py`` (about a minute).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from symbackprop.check import check_code  # noqa: E402
from symbackprop.check.layerfile import CHECKED, FileReport  # noqa: E402

# each fixture: the test module, its table of mutants, and the function that labels one
FIXTURES = (
    ("test_naive_layers", "MUTANTS", "_label"),
    ("test_channels_last_layers", "MUTANTS", "_label"),
    ("test_layer_classes", "MUTANTS", "_label"),
    ("test_columns_layers", "MUTANTS", "_label"),
    ("test_columns_layers", "NETWORK_MUTANTS", "_network_label"),
    ("test_columns_layers", "PLANAR_MUTANTS", "_planar_label"),
    ("test_columns_layers", "REGULARIZED_MUTANTS", "_regularized_label"),
    ("test_network_classes", "MUTANTS", "_label"),
    ("test_network_classes", "CNN_MUTANTS", "_cnn_label"),
    ("test_network_classes", "TWO_LAYER_MUTANTS", "_two_layer_label"),
    ("test_gradient_lists", "MUTANTS", "_label"),
)


def _report(path: Path, function: str):
    report = check_code(path, function)
    if isinstance(report, FileReport):
        (unit,) = report.units
        return unit.report if unit.status == CHECKED else None
    return report


def score(fixture: str, mutants: str, label: str, folder: Path) -> dict[str, Counter]:
    tests = importlib.import_module(fixture)
    rows: dict[str, Counter] = defaultdict(Counter)
    for *fixture_file, function, old, new in getattr(tests, mutants):  # with its file or not
        path, line, right = getattr(tests, label)(folder, *fixture_file, function, old, new)
        units = getattr(tests, "UNIT", {})  # a helper's unit: its caller's, or one for all
        unit = units.get(function, function) if isinstance(units, dict) else units
        unit = f"{unit}.backward" if fixture == "test_layer_classes" else unit
        row = rows[unit]
        row["mutants"] += 1
        try:
            report = _report(path, unit)
        except Exception:  # refused outright: counted, not hidden
            report = None
        if report is None:
            row["refused"] += 1
            continue
        row["verdict right"] += report.ok == right
        if right or report.ok:
            continue
        row["wrong caught"] += 1
        first = min(v.line for v in report.wrong)
        row["line right"] += first == line
        blamed = [v for v in report.wrong if v.line == first]
        kind = blamed[0].diagnosis.kind if blamed[0].diagnosis else "none"
        row[f"diagnosis: {kind}"] += 1
    return rows


def table(rows: dict[str, Counter]) -> str:
    lines = [
        "| unit | mutants | refused | verdicts right | first line right | diagnoses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    total = Counter()
    for function, row in rows.items():
        total.update(row)
        lines.append(_row(function, row))
    lines.append(_row("**all**", total))
    return "\n".join(lines)


def _row(name: str, row: Counter) -> str:
    read = row["mutants"] - row["refused"]
    kinds = ", ".join(
        f"{k.removeprefix('diagnosis: ')} {v}"
        for k, v in sorted(row.items())
        if k.startswith("diagnosis: ")
    )
    return (
        f"| {name} | {row['mutants']} | {row['refused']} | "
        f"{row['verdict right']}/{read} | {row['line right']}/{row['wrong caught']} | {kinds} |"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for fixture, mutants, label in FIXTURES:
            try:
                rows = score(fixture, mutants, label, Path(folder))
            except ModuleNotFoundError:
                continue
            print(f"## {fixture} ({mutants})\n\n{table(rows)}\n")


if __name__ == "__main__":
    main()
