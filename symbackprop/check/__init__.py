"""Check: verdicts and diagnoses for hand-written gradient formulas and backprop code."""

from symbackprop.check.api import CheckReport, check_code, check_formulas
from symbackprop.check.report import Verdict

__all__ = ["CheckReport", "Verdict", "check_code", "check_formulas"]
