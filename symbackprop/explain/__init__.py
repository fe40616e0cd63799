"""Explanations: step-by-step chain-rule derivations as Markdown, LaTeX, HTML and PDF."""

from symbackprop.explain.api import Explanation, explain
from symbackprop.explain.common import UnknownParameter
from symbackprop.explain.output import (
    ExplainOutputError,
    PdfFailed,
    PdfUnavailable,
    UnknownOutputFormat,
)

__all__ = [
    "ExplainOutputError",
    "Explanation",
    "PdfFailed",
    "PdfUnavailable",
    "UnknownOutputFormat",
    "UnknownParameter",
    "explain",
]
