"""One formula typed by a user (a spec's custom activation or loss), read safely.

The text is parsed with ``ast`` and translated through the same whitelist as forward
functions; it may use only the names it is given, bare ``exp``, ``log``, ``tanh``, ... or
their ``np.``/``math.`` forms.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp

from symbackprop.errors import SpecError, UnsupportedConstruct
from symbackprop.readers.translate import Translator
from symbackprop.readers.whitelist import FUNCTIONS, Namespace

MAX_FORMULA_LENGTH = 10_000


def parse_formula(
    text: str, names: Mapping[str, sp.Expr], file: str | None = None, line: int | None = None
) -> sp.Expr:
    """``text`` as SymPy over ``names``: ``parse_formula("u/(1 + abs(u))", {"u": u})``."""
    if len(text) > MAX_FORMULA_LENGTH:
        raise UnsupportedConstruct("formula longer than 10000 characters", file=file, line=line)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        message = f"cannot parse formula {text!r}: {error.msg}"
        raise SpecError(message, file=file, line=line) from None
    except (RecursionError, MemoryError, ValueError):
        raise UnsupportedConstruct("formula nested too deeply", file=file, line=line) from None

    def resolve(name: str, index: tuple[int, ...], node: ast.AST) -> sp.Expr:
        if index or name not in names:
            known = ", ".join(sorted(names))
            raise SpecError(
                f"unknown name {name!r} in formula {text!r} (known: {known})", file=file, line=line
            )
        return names[name]

    namespace = Namespace(
        functions={name.rsplit(".", 1)[-1]: name for name in FUNCTIONS if name.startswith("numpy.")}
    )
    translator = Translator(file or "<formula>", namespace, {}, resolve)
    try:
        return translator.expression(tree.body, resolve)
    except UnsupportedConstruct as error:
        raise UnsupportedConstruct(
            f"{error.message} in formula {text!r}", file=file, line=line
        ) from None
