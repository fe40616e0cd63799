"""A course-style layer file checked as a whole: each ``NAME_forward``/``NAME_backward`` pair
and each loss function judged on its own, so that one unreadable function never hides the
verdicts on the others.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from symbackprop.check.codecheck import judge_program
from symbackprop.check.loopcheck import NOTE as EVALUATED
from symbackprop.check.loopcheck import concrete_report
from symbackprop.check.persample import per_sample_reading
from symbackprop.check.report import CheckReport
from symbackprop.errors import SymbackpropError
from symbackprop.readers.codereader import read_unit_program
from symbackprop.readers.layerpairs import (
    Unit,
    backward_inputs,
    input_writes,
    layer_units,
    unit_named,
)

CHECKED, NOT_IMPLEMENTED, NOT_READ = "checked", "not implemented", "not read"


@dataclass
class UnitReport:
    """The verdicts on one pair or loss function, or why there are none."""

    name: str
    function: str
    line: int
    status: str  # CHECKED, NOT_IMPLEMENTED or NOT_READ
    report: CheckReport | None = None
    message: str | None = None  # why it was not read
    warnings: list[str] = field(default_factory=list)
    meaning: str = ""  # how the gradients are meant: "L = sum(out * dout): ..."

    @property
    def ok(self) -> bool:
        return self.report is None or self.report.ok

    def to_data(self) -> dict:
        return {
            "name": self.name,
            "function": self.function,
            "line": self.line,
            "status": self.status,
            "meaning": self.meaning,
            "warnings": list(self.warnings),
            "message": self.message,
            "report": None if self.report is None else self.report.to_data(),
        }

    def text_lines(self) -> list[str]:
        head = f"== {self.function} (line {self.line})"
        if self.status == NOT_IMPLEMENTED:
            return [f"{head}: not implemented (the template is still there)"]
        if self.status == NOT_READ:
            return [f"{head}: not read: {self.message}"]
        lines = [f"{head}: {self.report.summary()}"]
        if self.meaning:
            lines.append(f"gradients of {self.meaning}")
        lines += [f"warning: {warning}" for warning in self.warnings]
        return lines + self.report.body_lines()


@dataclass
class FileReport:
    """Every unit of one layer file."""

    subject: str
    units: list[UnitReport]

    @property
    def ok(self) -> bool:
        return all(unit.ok for unit in self.units)

    @property
    def read_any(self) -> bool:
        return any(unit.status != NOT_READ for unit in self.units)

    def to_data(self) -> dict:
        counts = {
            status: sum(u.status == status for u in self.units)
            for status in (CHECKED, NOT_IMPLEMENTED, NOT_READ)
        }
        wrong = sum(len(u.report.wrong) for u in self.units if u.report is not None)
        return {
            "subject": self.subject,
            "ok": self.ok,
            "counts": counts | {"wrong": wrong},
            "units": [unit.to_data() for unit in self.units],
        }

    def to_text(self) -> str:
        wrong = [u.function for u in self.units if not u.ok]
        missing = sum(u.status == NOT_IMPLEMENTED for u in self.units)
        unread = sum(u.status == NOT_READ for u in self.units)
        summary = "all correct" if not wrong else f"wrong in {', '.join(wrong)}"
        if missing:
            summary += f", {missing} not implemented"
        if unread:
            summary += f", {unread} not read"
        count = len(self.units)
        lines = [f"check {self.subject}: {count} function{'s' if count != 1 else ''}, {summary}"]
        for unit in self.units:
            lines.append("")
            lines += unit.text_lines()
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        parts = [f"**check {self.subject}**\n"]
        for unit in self.units:
            if unit.report is None:
                parts.append(f"- `{unit.function}`: {unit.status} {unit.message or ''}".rstrip())
            else:
                parts.append(unit.report._repr_markdown_())
        return "\n".join(parts) + "\n"


def layer_file_units(tree: ast.Module, filename: str, function: str | None) -> list[Unit]:
    """The units to judge: all of the file's, or the one ``function`` belongs to."""
    if function is None:
        return layer_units(tree, filename)
    unit = unit_named(tree, filename, function)
    return [] if unit is None else [unit]


def check_units(tree: ast.Module, text: str, filename: str, units: list[Unit]) -> FileReport:
    """Judge each unit; a unit the reader refuses is reported as not read, with the reason."""
    return FileReport(filename, [_unit_report(tree, text, filename, unit) for unit in units])


def evaluated_first(tree: ast.Module, unit: Unit) -> bool:
    """Whether the unit, or a function of the file's it calls, directly or not, has a loop
    in a loop (a convolution's windows): never formulas."""
    return any(
        isinstance(inner, ast.For | ast.While)
        for function in _reached(tree, [*unit.sources, *_network_methods(unit)])
        for outer in ast.walk(function)
        if isinstance(outer, ast.For | ast.While)
        for statement in outer.body
        for inner in ast.walk(statement)
    )


def _network_methods(unit: Unit) -> list[ast.FunctionDef]:
    if unit.network is None:
        return []
    return [s for s in unit.network.body if isinstance(s, ast.FunctionDef)]


def _reached(tree: ast.Module, functions: list) -> list[ast.FunctionDef]:
    """``functions`` and the file's functions (its imported ones too) they call, in turn."""
    known = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    found: dict[int, ast.FunctionDef] = {id(f): f for f in functions}
    todo = list(functions)
    while todo:
        for node in ast.walk(todo.pop()):
            callee = known.get(node.func.id) if _named_call(node) else None
            if callee is not None and id(callee) not in found:
                found[id(callee)] = callee
                todo.append(callee)
    return list(found.values())


def _named_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name)


def _unit_report(tree, text: str, filename: str, unit: Unit) -> UnitReport:
    common = {"name": unit.name, "function": unit.function, "line": unit.line}
    if not unit.implemented:
        return UnitReport(status=NOT_IMPLEMENTED, **common)
    if unit.layer_class is not None or unit.lists:  # ``Layer_Dense``: only ever evaluated
        try:
            report = concrete_report(tree, filename, unit)
        except SymbackpropError as error:
            return UnitReport(status=NOT_READ, message=error.located(), **common)
        return UnitReport(status=CHECKED, report=report, meaning=unit.described, **common)
    # loops in loops (a convolution's windows) are never formulas: evaluated first
    nested = evaluated_first(tree, unit)
    report = concrete_report(tree, filename, unit) if nested else None
    if report is None:
        try:
            if unit.problem is not None:
                raise unit.problem
            program = read_unit_program(tree, unit, text)
            # a loss function may be right only at one output (a logistic regression's w
            # (n, 1)); a pair's sizes are its own
            where = f"{filename}:{unit.function}"
            report = judge_program(program, where, filename, not unit.is_pair)
            if unit.is_pair:
                report = per_sample_reading(report, program, _upstream(unit))
        except SymbackpropError as error:
            reason = error
            try:
                report = None if nested else concrete_report(tree, filename, unit)
            except SymbackpropError as evaluated:  # where it fails when evaluated: said
                reason, report = evaluated, None
            if report is None:
                return UnitReport(status=NOT_READ, message=reason.located(), **common)
    if EVALUATED in report.notes and not unit.warnings and unit.sources:
        backward = unit.sources[-1]
        unit.warnings = input_writes(backward, backward_inputs(backward))
    return UnitReport(
        status=CHECKED,
        report=report,
        warnings=list(unit.warnings),
        meaning=unit.described,
        **common,
    )


def _upstream(unit: Unit) -> str:
    """The name a pair's backward takes the upstream gradient by (its first argument)."""
    arguments = [a.arg for a in unit.sources[-1].args.args if a.arg != "self"]
    return arguments[0] if arguments else ""
