"""Statements as text: the one formatter, spelling through a target's printer.

    # [Statement] -> printer (the target's spelling) -> lines wrapped as ruff wraps them

The formatter decides layout (wrapping, indentation, comments); the printer decides spelling
(``np.multiply(a, b, out=c)``, ``params["w"] -= d_w``, ``d_w[4] = ...``), so a new target
changes only the latter.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from symbackprop.codegen.layout import INDENT, LINE_LIMIT, statement_text
from symbackprop.codegen.statements import Assign, Call, Comment, InPlace, Statement, Update


class Formatter:
    """Formats statements through ``printer`` (a target's printer: ``code``, ``assignment``,
    ``call``, ``number_operand`` and ``update``)."""

    def __init__(self, printer):
        self.printer = printer

    def lines(self, statements: list[Statement], depth: int = 1) -> list[str]:
        """One string per statement, continuation lines indented ``depth`` levels."""
        return [self.text(statement, INDENT * depth) for statement in statements]

    def text(self, statement: Statement, indent: str = INDENT) -> str:
        code = self.printer.code
        if isinstance(statement, Assign):
            left, right = self.printer.assignment(statement.target, statement.expr)
            return statement_text(left, right, indent)
        if isinstance(statement, InPlace):
            operand = (
                code(statement.operand)
                if statement.operator == "**"  # an exponent as written: x **= 3
                else self.printer.number_operand(statement.operand)
            )
            target = code(statement.target)
            return statement_text(target, operand, indent, operator=statement.operator + "=")
        if isinstance(statement, Call):
            call = self.printer.call(statement)
            if statement.target is None:
                return call
            return statement_text(code(statement.target), call, indent)
        if isinstance(statement, Update):
            return self.printer.update(statement)
        if isinstance(statement, Comment):
            wrapped = textwrap.wrap(
                f"# {statement.text}", LINE_LIMIT - len(indent), subsequent_indent="# "
            )
            return f"\n{indent}".join(wrapped)
        raise TypeError(f"not a statement: {statement!r}")


@dataclass(frozen=True)
class ModuleLines:
    """A module plan's statements as one target writes them: what its template lays out."""

    forward: list[str]
    loss: list[str]
    backward: list[str]
    step: list[str]
    step_loss: list[str]  # in the step's ``if report_loss:``
    updates: list[str]
    helpers: list[str]  # the helper functions the statements call


def module_lines(plan, printer) -> ModuleLines:
    """Every statement of ``plan`` (a ModulePlan) printed by ``printer``."""
    code = Formatter(printer)
    forward = code.lines(plan.forward)
    loss = code.lines(plan.loss_body.statements)
    backward = code.lines(plan.backward.statements)
    step = code.lines(plan.step.statements)
    step_loss = code.lines(plan.step.loss_statements, depth=2)
    updates = code.lines(plan.step.updates)
    # Printing records the helpers it called: known only now.
    helpers = sorted(printer.helpers_used)
    return ModuleLines(forward, loss, backward, step, step_loss, updates, helpers)
