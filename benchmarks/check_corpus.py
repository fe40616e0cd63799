"""How ``check`` fares on hand-written backprop: the corpus of tests/corpus/, labelled by torch.

Prints Markdown tables per idiom, layout, program shape, mutation and family: cases,
verdicts right (of the cases read), refused, the first wrong line blamed right (of the wrong
cases read and called wrong) and diagnoses right (of the mutants whose line is the first wrong
one and is called wrong there); then the rates tests/test_corpus.py holds the product to, and
every case that breaks an invariant. ``--cases`` lists every case with its label and outcome.

Run: ``python benchmarks/check_corpus.py [--cases]`` (each case is run once; a minute or two).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from corpus.cases import all_cases  # noqa: E402
from corpus.scoring import Outcome, figures, outcome, rates  # noqa: E402


def _status(o: Outcome) -> str:
    if o.crash is not None:
        return f"CRASH {type(o.crash).__name__}: {o.crash}"
    if o.refusal is not None:
        return f"refused: {o.refusal}"
    wrong = "all correct" if o.report.ok else f"first WRONG at line {o.first_wrong_line}"
    return f"read, {wrong}"


def _label(o: Outcome) -> str:
    if o.label.correct:
        return "correct"
    return f"wrong from line {o.label.first_wrong_line}"


def breaches(outcomes: list[Outcome]) -> list[str]:
    """Every case that breaks an invariant the tests assert, with what happened."""
    out = []
    for o in outcomes:
        if o.crash is not None:
            problem = "crashed"
        elif o.refusal_unclear:
            problem = "refused without naming the file"
        elif o.read and o.label.correct and not o.report.ok:
            problem = "a right case called wrong"
        elif o.read and not o.label.correct and o.report.ok:
            problem = "a wrong case called all-correct"
        elif o.line_right is False:
            problem = "another line blamed first"
        else:
            continue
        out.append(f"- {o.case.name}: {problem} ({_label(o)}; {_status(o)})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", action="store_true", help="list every case and its outcome")
    listing = parser.parse_args().cases
    outcomes = [outcome(case) for case in all_cases()]
    print(figures(outcomes))
    print("\nrates held by tests/test_corpus.py:")
    for name, value in rates(outcomes).items():
        print(f"  {name}: {100 * value:.1f}%")
    found = breaches(outcomes)
    print(f"\ncases breaking an invariant: {len(found)}")
    print("\n".join(found))
    if listing:
        print("\nevery case:")
        for o in outcomes:
            print(f"- {o.case.name}: {_label(o)}; {_status(o)}")


if __name__ == "__main__":
    main()
