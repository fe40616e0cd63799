"""symbackprop: is my gradient right, and why?

Declare a network symbolically, derive every partial derivative by reverse accumulation with
named adjoints, and print, explain, generate or check it.
"""

from symbackprop.api import DerivationResult, derive, examples, load_model

__version__ = "0.1.0"
__all__ = ["DerivationResult", "derive", "examples", "load_model"]
