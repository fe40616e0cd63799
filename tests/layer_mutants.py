"""What the course-layer tests share: a fixture with one line of one function changed, the
statement that line belongs to, the fixture imported as a module (for the oracle, which runs
it; the checker never does), and one unit's verdicts."""

from __future__ import annotations

import ast
import importlib.util
import sys
from contextlib import contextmanager
from pathlib import Path

from symbackprop.check.layerfile import CHECKED, FileReport


def load_module(path: Path, prefix: str = "fixture"):
    """The fixture at ``path``, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"{prefix}_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def importable(folder: Path, *helpers: str):
    """The modules ``helpers`` a fixture imports, importable from ``folder`` while the oracle
    runs it, and forgotten after (a mutant's copy is another folder's)."""
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for helper in helpers:
            sys.modules.pop(helper, None)


def mutated(path: Path, function: str, old: str, new: str) -> tuple[str, int]:
    """The fixture with ``old`` changed to ``new`` in ``function`` (``Class.method`` or a
    name), and the first line of the statement changed."""
    lines = path.read_text().splitlines()
    owner, _, own = function.rpartition(".")
    first = 0
    if owner:  # a method: looked for in its class
        heads = (f"class {owner}:", f"class {owner}(")
        first = next(i for i, line in enumerate(lines) if line.startswith(heads))
    start = next(i for i in range(first, len(lines)) if lines[i].lstrip().startswith(f"def {own}("))
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    ends = (
        i
        for i in range(start + 1, len(lines))
        if lines[i].startswith(("def ", "class ", f"{indent}def ", f"{indent}@"))
    )
    end = next(ends, len(lines))
    at = [i for i in range(start, end) if old in lines[i]]
    assert len(at) == 1, (function, old)
    assert lines[at[0]].count(old) == 1, (function, old)
    lines[at[0]] = lines[at[0]].replace(old, new)
    text = "\n".join(lines) + "\n"
    return text, statement_line(text, at[0] + 1)


def mutant_file(fixture: Path, folder: Path, function: str, old: str, new: str):
    """The fixture with ``old`` changed to ``new`` in ``function``, written in ``folder``
    under a name of its own, and the first line of the statement changed."""
    text, line = mutated(fixture, function, old, new)
    path = folder / f"{fixture.stem}_{abs(hash((function, old, new)))}.py"
    path.write_text(text)
    return path, line


def mutant_beside(fixture: Path, helpers, folder: Path, function: str, old: str, new: str, right):
    """The mutant written in ``folder`` beside copies of the ``helpers`` files it imports, its
    changed statement's line, and the oracle's label ``right(module)``, run with those helpers
    importable."""
    for helper in helpers:
        (folder / helper.name).write_text(helper.read_text())
    path, line = mutant_file(fixture, folder, function, old, new)
    with importable(folder, *(helper.stem for helper in helpers)):
        return path, line, right(load_module(path))


def statement_line(text: str, line: int) -> int:
    """The first line of the statement holding ``line`` (a statement may span lines)."""
    spans = [
        (node.lineno, node.end_lineno)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.stmt) and not isinstance(node, ast.FunctionDef | ast.ClassDef)
    ]
    return max(start for start, end in spans if start <= line <= end)


def judged(report):
    """One unit's verdicts: a pair's or a class's (a file report of one unit, read), or a loss
    function's own report."""
    if isinstance(report, FileReport):
        (unit,) = report.units
        assert unit.status == CHECKED, unit.message
        return unit.report
    return report


def read_correct(path: Path, functions) -> dict:
    """Check the whole fixture: a file report whose units are exactly ``functions``, each
    read and correct; its units by function."""
    from symbackprop.check import check_code

    report = check_code(path)
    assert isinstance(report, FileReport)
    units = {u.function: u for u in report.units}
    assert set(units) == set(functions)
    for unit in report.units:
        assert unit.status == CHECKED, (unit.function, unit.message)
        assert unit.report.ok, unit.report.to_text()
    assert report.ok
    return units


def assert_judged_as_labelled(report, line: int, right: bool, elsewhere: bool) -> None:
    """A mutant's verdicts as its oracle label says: right ones never called wrong (the worst
    failure), wrong ones caught at the mutated statement, or, where ``elsewhere`` lists it
    with its reason, at another line (and the list kept honest)."""
    if right:
        assert report.ok, report.to_text()
        return
    assert not report.ok, "a wrong mutant called correct"
    first = min(v.line for v in report.wrong)
    if elsewhere:
        assert first != line, "blamed at its own line now: take it off BLAMED_ELSEWHERE"
        return
    assert first == line, report.to_text()


def oracle_labels(label, folder: Path, mutants) -> dict:
    """Each mutant's oracle label, ``label(folder, *mutant)``'s third value, by (its unit or
    fixture, the mutated line)."""
    return {(mutant[0], mutant[-1]): label(folder, *mutant)[2] for mutant in mutants}


def assert_labels_as_reviewed(labels: dict, equivalent: set, elsewhere: set, count: int) -> None:
    """The oracle's labels, (unit, mutated line) -> right: one per mutant, the right ones the
    reviewed equivalents, those blamed elsewhere all wrong."""
    assert len(labels) == count  # no mutant twice
    assert {key for key, right in labels.items() if right} == equivalent
    assert {key for key, right in labels.items() if not right} >= elsewhere
