"""Printers: SymPy printer subclasses for plain text and LaTeX in the model's own names."""

from symbackprop.printing.latex import latex, latex_name
from symbackprop.printing.text import text

__all__ = ["latex", "latex_name", "text"]
