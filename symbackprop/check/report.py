"""Verdicts and the report that gathers them: text for people, data for tools, Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from symbackprop.check.probe import Diagnosis


@dataclass(frozen=True)
class Counterexample:
    """A point where the formula and the correct value differ (or the formula fails)."""

    where: str  # "x = 2, y = 2, w = 3" or "m = 7, X.shape[1] = 3, ..."
    expected: str
    got: str
    data: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Following:
    """A line right for what it reads, whose value is wrong because a line before it is."""

    line: int  # the wrong line it depends on: the one it reads, or that line's own
    via: str  # the value it reads that carries the mistake
    via_line: int  # where that value is computed

    @property
    def message(self) -> str:
        if self.via_line == self.line:
            return f"follows line {self.line}: computed correctly from the wrong {self.via}"
        return (
            f"follows line {self.line}: computed correctly from {self.via} (line "
            f"{self.via_line}), itself computed from the mistake at line {self.line}"
        )


@dataclass(frozen=True)
class Verdict:
    """correct or wrong, for one formula or one line of code."""

    name: str  # the user's name for it: e1, layer_1_delta, w[0]
    claim: str  # what it claims to be: "de/dw[0]", "m * dJ/dz3"
    formula: str  # as written
    correct: bool
    proof: str  # how equality was decided
    correct_formula: str  # in the user's own names
    line: int | None = None
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None
    value: str | None = None  # at the model's own values, where it has them
    note: str | None = None
    follows: Following | None = None  # neither correct nor wrong: right, from a wrong value
    # LaTeX, loss down: how the correct value comes about (long: left out of the repr)
    derivation: tuple[str, ...] = field(default=(), repr=False)

    @property
    def status(self) -> str:
        if self.follows is not None:
            return "follows"
        return "correct" if self.correct else "wrong"

    def to_data(self) -> dict:
        data = {
            "name": self.name,
            "claim": self.claim,
            "formula": self.formula,
            "line": self.line,
            "verdict": self.status,
            "proof": self.proof,
            "correct_formula": self.correct_formula,
            "value": self.value,
            "note": self.note,
            "diagnosis": None,
            "counterexample": None,
            "follows": None,
            "derivation": list(self.derivation),
        }
        if self.follows is not None:
            f = self.follows
            data["follows"] = {"line": f.line, "via": f.via, "via_line": f.via_line}
        if self.diagnosis is not None:
            d = self.diagnosis
            data["diagnosis"] = {
                "kind": d.kind,
                "message": d.message,
                "factor": None if d.factor is None else str(d.factor),
                "written": None if d.written is None else str(d.written),
            }
        if self.counterexample is not None:
            c = self.counterexample
            data["counterexample"] = {
                "where": c.where,
                "expected": c.expected,
                "got": c.got,
                **c.data,
            }
        return data

    def text_lines(self) -> list[str]:
        where = f"line {self.line}: " if self.line is not None else ""
        head = f"{self.status.upper():<8} {where}{self.name} as {self.claim}"
        lines = [head, f"    {self.formula}"]
        if self.value is not None:
            label = "value" if self.correct else "the true value"
            lines.append(f"    {label}: {self.value}")
        if self.note:
            lines.append(f"    note: {self.note}")
        if self.follows is not None:
            lines.append(f"    {self.follows.message}")
            return lines
        if self.correct:
            lines.append(f"    ({self.proof})")
            return lines
        if self.diagnosis is not None:
            lines.append(f"    diagnosis: {self.diagnosis.message}")
        if self.counterexample is not None:
            c = self.counterexample
            lines.append(f"    counterexample: at {c.where}")
            lines.append(f"      expected {c.expected}")
            lines.append(f"      got      {c.got}")
        if not self.correct_formula:  # read by evaluation: no formula to offer
            return lines
        joiner = ": " if " " in self.name else " = "  # "the step of w: ..." reads better
        lines.append(f"    correct: {self.name}{joiner}{self.correct_formula}")
        return lines


@dataclass
class CheckReport:
    """Every verdict of one ``check`` run."""

    subject: str  # the model or file checked
    loss: str
    verdicts: list[Verdict]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.correct for v in self.verdicts)

    @property
    def wrong(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "wrong"]

    @property
    def following(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "follows"]

    def to_data(self) -> dict:
        return {
            "subject": self.subject,
            "loss": self.loss,
            "ok": self.ok,
            "counts": {
                "correct": sum(v.correct for v in self.verdicts),
                "wrong": len(self.wrong),
                "follows": len(self.following),
            },
            "verdicts": [v.to_data() for v in self.verdicts],
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """``3 formulas, 1 wrong``."""
        count = len(self.verdicts)
        summary = "all correct" if self.ok else f"{len(self.wrong)} wrong"
        if self.following:
            summary += f", {len(self.following)} following from a wrong line"
        return f"{count} formula{'s' if count != 1 else ''}, {summary}"

    def body_lines(self) -> list[str]:
        """The notes and every verdict, without the heading."""
        lines = [f"note: {note}" for note in self.notes]
        for verdict in self.verdicts:
            lines.append("")
            lines += verdict.text_lines()
        return lines

    def to_text(self) -> str:
        lines = [f"check {self.subject} (loss {self.loss}): {self.summary()}"]
        return "\n".join(lines + self.body_lines()) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        rows = ["| | line | name | claim | verdict |", "|---|---|---|---|---|"]
        for v in self.verdicts:
            mark = {"correct": "✅", "wrong": "❌", "follows": "↪️"}[v.status]
            line = "" if v.line is None else str(v.line)
            detail = v.status if v.correct else f"wrong: {v.diagnosis.kind if v.diagnosis else ''}"
            if v.follows is not None:
                detail = f"follows line {v.follows.line}"
            rows.append(f"| {mark} | {line} | `{v.name}` | {v.claim} | {detail} |")
        details = [
            f"- `{v.name}`: {v.diagnosis.message if v.diagnosis else ''}; correct: "
            f"`{v.name} = {v.correct_formula}`"
            for v in self.wrong
        ]
        head = f"**check {self.subject}** (loss `{self.loss}`)\n\n"
        return head + "\n".join(rows) + ("\n\n" + "\n".join(details) if details else "") + "\n"
