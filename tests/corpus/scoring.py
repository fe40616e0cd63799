"""``check`` run over the corpus, each case once, and the figures: per idiom, layout, shape."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from corpus.cases import Case
from corpus.mutations import DIAGNOSES
from corpus.oracle import Label, label
from symbackprop.check.codecheck import check_text
from symbackprop.check.report import CheckReport
from symbackprop.errors import SymbackpropError

FILENAME = "train.py"


@dataclass
class Outcome:
    case: Case
    label: Label
    report: CheckReport | None = None
    refusal: SymbackpropError | None = None
    crash: Exception | None = None  # any other exception: never allowed
    seconds: float = 0.0

    @property
    def read(self) -> bool:
        return self.report is not None

    @property
    def refusal_unclear(self) -> bool:
        """A refusal that is not one line naming the file (and line, where there is one)."""
        message = str(self.refusal)
        return self.refusal is not None and (not message.startswith(FILENAME) or "\n" in message)

    @property
    def first_wrong_line(self) -> int | None:
        """The earliest line ``check`` calls WRONG."""
        lines = [v.line for v in self.report.verdicts if not v.correct and v.line is not None]
        return min(lines, default=None)

    @property
    def verdict_right(self) -> bool:
        return self.read and self.report.ok == self.label.correct

    @property
    def line_right(self) -> bool | None:
        """Whether the first WRONG line is the oracle's (None: not a wrong case read wrong)."""
        if not self.read or self.label.correct or self.report.ok:
            return None
        return self.first_wrong_line == self.label.first_wrong_line

    @property
    def diagnosis_right(self) -> bool | None:
        """Whether the mistake is explained as it should be, where that is scored: a wrong
        case whose mutated line is the first wrong one, judged WRONG there by ``check``."""
        expected = DIAGNOSES.get(self.case.mutation or "")
        line = self.case.line
        if not expected or not self.read or self.label.correct or line is None:
            return None
        if self.label.first_wrong_line != line:
            return None
        at_line = [v for v in self.report.verdicts if v.line == line and not v.correct]
        if not at_line:
            return None
        return any(expected.met_by(v.diagnosis) for v in at_line)


def outcome(case: Case) -> Outcome:
    result = Outcome(case, label(case.family, case.source))
    family = case.family
    start = time.perf_counter()
    try:
        result.report = check_text(case.source, FILENAME, family.function, family.loss)
    except SymbackpropError as error:
        result.refusal = error
    except Exception as error:  # a crash is a finding; the tests show which
        result.crash = error
    result.seconds = time.perf_counter() - start
    return result


# -- figures ------------------------------------------------------------------------------------
COLUMNS = ("cases", "verdicts right", "refused", "wrong line blamed right", "diagnoses right")


def _row(outcomes: list[Outcome]) -> dict[str, str]:
    read = [o for o in outcomes if o.read]
    lines = [o.line_right for o in outcomes if o.line_right is not None]
    diagnoses = [o.diagnosis_right for o in outcomes if o.diagnosis_right is not None]
    return {
        "cases": str(len(outcomes)),
        "verdicts right": _ratio(sum(o.verdict_right for o in read), len(read)),
        "refused": _ratio(len(outcomes) - len(read), len(outcomes)),
        "wrong line blamed right": _ratio(sum(lines), len(lines)),
        "diagnoses right": _ratio(sum(diagnoses), len(diagnoses)),
    }


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


def rates(outcomes: list[Outcome]) -> dict[str, float]:
    """The rates the tests hold the product to: refused, verdicts, lines, diagnoses right."""
    read = [o for o in outcomes if o.read]
    lines = [o.line_right for o in outcomes if o.line_right is not None]
    diagnoses = [o.diagnosis_right for o in outcomes if o.diagnosis_right is not None]
    return {
        "refused": 1 - len(read) / len(outcomes),
        "verdicts right": sum(o.verdict_right for o in read) / max(len(read), 1),
        "lines right": sum(lines) / max(len(lines), 1),
        "diagnoses right": sum(diagnoses) / max(len(diagnoses), 1),
    }


def figures(outcomes: list[Outcome]) -> str:
    """A Markdown table per grouping (idiom, layout, program shape, mutation, family), each with
    its totals last."""
    groupings = {
        "idiom": lambda o: o.case.family.idioms,
        "layout": lambda o: (o.case.family.layout,),
        "program shape": lambda o: (o.case.family.shape,),
        "mutation": lambda o: (o.case.mutation or "(as written)",),
        "family": lambda o: (o.case.family.name,),
    }
    parts = []
    for title, keys in groupings.items():
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in outcomes:
            for key in keys(o):
                groups[key].append(o)
        rows = [(key, _row(members)) for key, members in sorted(groups.items())]
        parts.append(_table(title, rows + [("**all**", _row(outcomes))]))
    return "\n\n".join(parts)


def _table(title: str, rows: list[tuple[str, dict]]) -> str:
    lines = [f"| {title} | " + " | ".join(COLUMNS) + " |", "|---" + "|---:" * len(COLUMNS) + "|"]
    lines += [f"| {key} | " + " | ".join(row[c] for c in COLUMNS) + " |" for key, row in rows]
    return "\n".join(lines)
