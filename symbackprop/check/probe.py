"""A wrong formula's values at every trial point, and the explanation found for them."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.check.numeric import difference
from symbackprop.check.present import formula_text
from symbackprop.check.subject import Subject
from symbackprop.errors import SymbackpropError
from symbackprop.ir.evaluate import EvaluationError


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    message: str
    factor: sp.Expr | None = None  # the offending factor (missing, extra, replaced)
    written: sp.Expr | None = None  # what the formula has in its place


class Probe:
    """The wrong formula's value at every trial, to test hypotheses against."""

    def __init__(self, subject: Subject, got: sp.Expr, names: dict | None = None):
        self.subject = subject
        self.names = names or {}
        self.cache: dict = {}  # results hypotheses share (the symbolic ratio)
        self.values = []
        for trial in subject.trials:
            try:
                self.values.append(trial.evaluate(got))
            except EvaluationError as error:
                self.values.append(error)

    def text(self, expr: sp.Expr) -> str:
        """``expr`` printed in the user's names."""
        return formula_text(self.subject, expr, self.names)

    @property
    def evaluable(self) -> bool:
        return not any(isinstance(v, EvaluationError) for v in self.values)

    def matches(self, expr: sp.Expr, swap: dict | None = None) -> bool:
        """Whether ``expr`` (with symbols' values swapped as given) reproduces the formula."""
        for trial, got in zip(self.subject.trials, self.values, strict=True):
            overrides = {old: trial.env[new] for old, new in swap.items()} if swap else None
            try:
                value = trial.evaluate(expr, overrides)
            except (EvaluationError, SymbackpropError, TypeError):
                return False
            if difference(value, got) is not None:
                return False
        return True
