"""The shapes an object's ``__init__`` gives its weights, read from their constructors.

A method's weights (``self.W1``, ``self.params['b1']``) are arguments whose shapes the method
does not state; ``__init__`` often does: ``self.b1 = np.zeros((1, hidden))`` is a (1, h) row,
``np.zeros(hidden)`` a vector, ``np.zeros((hidden, 1))`` a column. Nothing is run: only the
number of sizes and which of them is the literal 1 are read.
"""

from __future__ import annotations

import ast

from symbackprop.readers.codeloops import string_key
from symbackprop.readers.pysource import Body

# where each constructor takes its sizes: the first argument (a tuple or one size), every
# positional argument, or the third (after a distribution's two parameters)
_SIZES = {
    "zeros": "first",
    "ones": "first",
    "empty": "first",
    "full": "first",
    "random": "first",
    "random_sample": "first",
    "standard_normal": "first",
    "randn": "all",
    "rand": "all",
    "normal": "third",
    "uniform": "third",
}


def attribute_layouts(body: Body) -> dict[str, str]:
    """The layouts (``"row"``, ``"1k"``, ``"k1"``, ``"2d"``) ``__init__`` gives the weights of
    the object whose method ``body`` is; empty for a function."""
    init = body.helpers.get("__init__") if body.instance else None
    if init is None:
        return {}
    found: dict[str, str] = {}
    for node in ast.walk(init):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        for name, value in _attributes(node.targets[0], node.value, body.instance):
            layout = _layout(value)
            if layout is not None:
                found[name] = layout
    return found


def _attributes(target: ast.expr, value: ast.expr, instance: str):
    """(name, constructor) pairs of ``self.b = ...``, ``self.p['b'] = ...`` and
    ``self.p = {'b': ...}``."""
    if isinstance(target, ast.Subscript) and string_key(target.slice) is not None:
        if _on_instance(target.value, instance):
            yield string_key(target.slice), value
    elif _on_instance(target, instance):
        if isinstance(value, ast.Dict):
            for key, entry in zip(value.keys, value.values, strict=True):
                if key is not None and string_key(key) is not None:
                    yield string_key(key), entry
        else:
            yield target.attr, value


def _on_instance(node: ast.expr, instance: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == instance
    )


def _layout(value: ast.expr) -> str | None:
    call = next((n for n in ast.walk(value) if _constructor(n) is not None), None)
    if call is None:
        return None
    sizes = _sizes(call, _SIZES[_constructor(call)])
    if sizes is None or not 1 <= len(sizes) <= 2:
        return None
    if len(sizes) == 1:
        return "row"
    ones = [isinstance(s, ast.Constant) and s.value == 1 for s in sizes]
    return {(True, False): "1k", (False, True): "k1"}.get(tuple(ones), "2d")


def _constructor(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr if node.func.attr in _SIZES else None
    return None


def _sizes(call: ast.Call, where: str) -> list[ast.expr] | None:
    keywords = {k.arg: k.value for k in call.keywords}
    if where == "all":
        return list(call.args)
    size = call.args[0] if where == "first" and call.args else None
    if where == "third" and len(call.args) > 2:
        size = call.args[2]
    size = size if size is not None else keywords.get("size", keywords.get("shape"))
    if size is None:
        return None
    return list(size.elts) if isinstance(size, ast.Tuple | ast.List) else [size]
