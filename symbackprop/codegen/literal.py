"""User text in a generated module: written as the inside of a string literal, never as code.

Model names, descriptions, file names, paths, command lines and formulas reach the module's
docstring. Escaped here, they cannot end it (a ``"`` is ``\\"``, a ``\\`` is ``\\\\``) nor
break its lines, and the module's ``__doc__`` still reads the user's text exactly.
"""

from __future__ import annotations


def docstring_text(text: str) -> str:
    r"""``text`` as it may stand inside a triple-quoted string literal.

    Backslashes, double quotes and every character that is not printable (control characters,
    NUL, line and paragraph separators, lone surrogates) become Python escapes; printable
    non-ASCII such as ω or λ stays as it is, for a reader.

    >>> print(docstring_text('say "hi"\tto ω\n'))
    say \"hi\"\tto ω\n
    """
    return "".join(_escaped(char) for char in str(text))


def _escaped(char: str) -> str:
    if char in '\\"':
        return "\\" + char
    if char.isprintable():
        return char
    return repr(char)[1:-1]  # repr escapes exactly the characters that are not printable
