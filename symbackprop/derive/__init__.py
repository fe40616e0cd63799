"""Derivation: reverse accumulation over the IR, with local rules beside their operations."""

from symbackprop.derive.reverse import Adjoint, Derivation, Gradient, Term, derive

__all__ = ["Adjoint", "Derivation", "Gradient", "Term", "derive"]
