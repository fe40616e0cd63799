"""Check: verdicts and diagnoses for hand-written gradient formulas and backprop code."""

from symbackprop.check.api import CheckReport, FileReport, check_code, check_formulas
from symbackprop.check.report import Verdict

__all__ = ["CheckReport", "FileReport", "Verdict", "check_code", "check_formulas"]
