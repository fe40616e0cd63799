"""The JAX printer of generated modules: the NumPy printer, spelled in ``jax.numpy``.

It builds on SymPy's ``JaxPrinter`` (its known functions are ``jax.numpy``'s) and on the
NumPy target's printer (the model's names, the stable helpers, the statement IR). JAX arrays
are immutable, so what NumPy writes in place is written as a new value: an element of a
gradient is ``d_w = d_w.at[4].set(...)``, and an update rebinds the parameter in the step's
own copy of ``params``. The JAX target keeps no arrays between steps (``kept_arrays`` is
off), so no call with ``out=`` ever reaches this printer.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import JaxPrinter

from symbackprop.codegen.printer import NumpyCodePrinter
from symbackprop.codegen.statements import Call, Update
from symbackprop.naming import split_indexed

_PREFIXES = ("jax.numpy.", "numpy.")


class JaxCodePrinter(NumpyCodePrinter, JaxPrinter):
    """Prints model formulas as ``jax.numpy`` code (``jnp.tanh``, ``jnp.where``)."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        for prefix in _PREFIXES:
            if fqn.startswith(prefix):
                return "jnp." + fqn[len(prefix) :]
        return fqn

    def assignment(self, target: sp.Symbol, expr: sp.Expr) -> tuple[str, str]:
        """An element of an array (scalar mode's ``d_w[4]``) as a new array with it set."""
        left, right = super().assignment(target, expr)
        if split_indexed(target.name) is None or not left.endswith("]"):
            return left, right
        array, _, index = left.partition("[")
        return array, f"{array}.at[{index}.set({right})"

    def slice_assignment(self, array: str, index: str, code: str) -> tuple[str, str]:
        """A slice of an array set as a new array: ``a = a.at[index].set(code)``."""
        return array, f"{array}.at[{index}].set({code})"

    def call(self, call: Call) -> str:
        raise TypeError(f"the JAX target writes no call into an array: {call!r}")

    def update(self, update: Update) -> str:
        name = update.parameter.name
        return f'params["{name}"] = params["{name}"] - {self.code(update.step)}'
