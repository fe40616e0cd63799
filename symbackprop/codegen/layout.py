"""Line wrapping of generated statements, the way ``ruff format`` wraps them.

Generated statements sit one level deep in a function. A statement longer than the line
limit is split like the formatter does: inside the brackets of a one-argument call, else
inside added parentheses; and if the inside is still too long, one operand per line with
the operator leading.
"""

from __future__ import annotations

import re

LINE_LIMIT = 100
INDENT = "    "
# A called name: ``np.tanh``, or an element's setter such as JAX's ``d_w.at[0, 1].set``.
_CALLEE = re.compile(r"[A-Za-z_][\w.]*(\[[\d, ]+\][\w.]*)*")


def statement_text(target: str, code: str, indent: str = INDENT, operator: str = "=") -> str:
    """``target = code`` (or ``target *= code``...), wrapped when it does not fit
    (continuation lines carry indent)."""
    line = f"{target} {operator} {code}"
    if len(indent + line) <= LINE_LIMIT:
        return line
    inner = indent + INDENT
    call = _call(code)
    if call and "," in _top_level_text(call[1]):
        return _wrapped_call(f"{target} {operator} ", *call, indent)
    call = _single_argument_call(code)
    leading = _leading_bracket(code)
    if call:
        head, body, tail = f"{target} {operator} {call[0]}(", call[1], ")"
    elif leading and len(indent + leading[1]) <= LINE_LIMIT:
        # (a - b) / f(c): the formatter splits the last brackets when the line up to them
        # fits, else the first operand's own
        trailing = _trailing_call(code)
        if trailing and len(f"{indent}{target} {operator} {trailing[0]}(") <= LINE_LIMIT:
            head, body, tail = f"{target} {operator} {trailing[0]}(", trailing[1], ")"
        else:
            head, body, tail = f"{target} {operator} (", leading[0], leading[1]
    else:
        head, body, tail = f"{target} {operator} (", code, ")"
    if len(inner + body) <= LINE_LIMIT:
        lines = [body]
    else:
        parts = _split_top_level(body)
        lines = [parts[0]] + [f"{op} {operand}" for op, operand in parts[1:]]
        lines = [piece for line in lines for piece in _split_long_product(line, inner)]
    return "\n".join([head] + [inner + text for text in lines] + [indent + tail])


def _wrapped_call(head: str, function: str, arguments: str, indent: str) -> str:
    """A call of several arguments: all of them on one indented line if they fit, else one
    per line with a trailing comma."""
    inner = indent + INDENT
    if len(inner + arguments) <= LINE_LIMIT:
        lines = [arguments]
    else:
        lines = [line for part in _split_commas(arguments) for line in _argument(part, inner)]
    return "\n".join([f"{head}{function}("] + [inner + text for text in lines] + [indent + ")"])


def _argument(part: str, indent: str) -> list[str]:
    """One argument of a wrapped call, with its comma; a tuple too long for its line opened
    one item a line, as the formatter does (``np.concatenate((a, b), axis=1)``)."""
    part = part.strip()
    if len(indent + part) < LINE_LIMIT or not (part.startswith("(") and part.endswith(")")):
        return [part + ","]
    items = _split_commas(part[1:-1])
    if len(items) < 2 or not _depth_never_negative(part[1:-1]):
        return [part + ","]
    return ["(", *(INDENT + item.strip() + "," for item in items), "),"]


def _call(code: str) -> tuple[str, str] | None:
    """``f(a, b)`` -> ("f", "a, b") when the whole of ``code`` is one call."""
    name_end = code.find("(")
    if name_end <= 0 or not code.endswith(")") or not _CALLEE.fullmatch(code[:name_end]):
        return None
    inside = code[name_end + 1 : -1]
    return (code[:name_end], inside) if _depth_never_negative(inside) else None


def _leading_bracket(code: str) -> tuple[str, str] | None:
    """``(a - b) / c`` -> ("a - b", ") / c"): a bracketed first operand with the rest after it
    (a product or quotient, not a sum, which splits at its own operators)."""
    if not code.startswith("("):
        return None
    depth = 0
    for i, char in enumerate(code):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0:
            rest = code[i + 1 :]
            if rest[:3] in (" / ", " * ") and not _split_top_level(rest)[1:]:
                return code[1:i], ")" + rest
            return None
    return None


def _trailing_call(code: str) -> tuple[str, str] | None:
    """``(a - b) / f(c)`` -> ("(a - b) / f", "c"): the code up to a call that ends it, and the
    call's one argument."""
    if not code.endswith(")"):
        return None
    depth = 0
    for i in range(len(code) - 1, -1, -1):
        depth += (code[i] in ")]}") - (code[i] in "([{")
        if depth == 0:
            callee = re.search(r" ([A-Za-z_][\w.]*)$", code[:i])
            inside = code[i + 1 : -1]
            if callee and "," not in _top_level_text(inside):
                return code[:i], inside
            return None
    return None


def _split_commas(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def _single_argument_call(code: str) -> tuple[str, str] | None:
    call = _call(code)
    return call if call and "," not in _top_level_text(call[1]) else None


def _depth_never_negative(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _top_level_text(text: str) -> str:
    depth, kept = 0, []
    for char in text:
        if char in ")]}":
            depth -= 1
        if depth == 0:
            kept.append(char)
        if char in "([{":
            depth += 1
    return "".join(kept)


def _split_long_product(line: str, indent: str) -> list[str]:
    """An operand line still too long (``- a * f(b)``), split before its own ``*`` and ``/``
    as the formatter does: ["- a", "* f(b)"]."""
    if len(indent + line) <= LINE_LIMIT:
        return [line]
    parts = _split_top_level(line, (" * ", " / "))
    return [parts[0]] + [f"{op} {operand}" for op, operand in parts[1:]]


def _split_top_level(body: str, operators: tuple[str, ...] = (" + ", " - ")) -> list:
    """``a + b - c`` -> ["a", ("+", "b"), ("-", "c")] at bracket depth zero."""
    parts: list = []
    depth, start, operator = 0, 0, None
    i = 0
    while i < len(body):
        char = body[i]
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and body[i : i + 3] in operators:
            piece = body[start:i]
            parts.append(piece if operator is None else (operator, piece))
            operator, start, i = body[i + 1], i + 3, i + 3
            continue
        i += 1
    last = body[start:]
    parts.append(last if operator is None else (operator, last))
    return parts
