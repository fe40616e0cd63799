"""Load a generated module's text as a module object (it is our own generated code)."""

from __future__ import annotations

import types

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.literal import docstring_text
from symbackprop.ir.model import Model


def load_module(model: Model, text: str | None = None) -> types.ModuleType:
    """The generated training module of ``model``, compiled in memory."""
    text = module_text(model) if text is None else text
    module = types.ModuleType(f"symbackprop_generated_{abs(hash(text))}")
    where = f"<generated {docstring_text(model.name)}>"  # a file name holds no NUL
    exec(compile(text, where, "exec"), module.__dict__)  # noqa: S102
    return module
