"""Names defined once: how adjoints and gradients are called everywhere.

Code, LaTeX and tests all build names through these functions, so that a change here is a
change everywhere.
"""

from __future__ import annotations

import re

ADJOINT_PREFIX = "delta_"
GRADIENT_PREFIX = "d_"

_INDEXED = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z_0-9]*)\[(?P<index>[0-9, ]+)\]$")


def adjoint_name(node: str) -> str:
    """Name of the adjoint (the "delta") of a node: ``delta_h1out`` for ``h1out``,
    ``delta_z1[0]`` for ``z1[0]`` (code prints it through :func:`identifier`)."""
    return ADJOINT_PREFIX + node


def gradient_name(param: str) -> str:
    """Name of a parameter's gradient in generated code: ``d_W1`` for ``W1``."""
    return GRADIENT_PREFIX + identifier(param)


def identifier(name: str) -> str:
    """A Python identifier for a node name: ``w[4]`` becomes ``w_4``, ``W1[0, 2]`` ``W1_0_2``;
    a name that is one already (``h1out``, ``aλ``) stays as it is."""
    indexed = split_indexed(name)
    if indexed is not None:
        return "_".join([identifier(indexed[0]), *map(str, indexed[1])])
    return re.sub(r"\W+", "_", name)


def indexed_name(base: str, *index: int) -> str:
    """The name of an element of an indexed parameter: ``indexed_name("w", 4) == "w[4]"``."""
    return f"{base}[{', '.join(str(i) for i in index)}]"


def split_indexed(name: str) -> tuple[str, tuple[int, ...]] | None:
    """Inverse of :func:`indexed_name`; None for a plain name."""
    match = _INDEXED.match(name)
    if not match:
        return None
    index = tuple(int(part) for part in match["index"].split(","))
    return match["base"], index


# How people name the delta of a value v in hand-written backprop: delta_v, d_v, grad_v,
# v_delta, v_grad, v_error, v_err, and dv (dZ1, dh).
_DELTA_NAMES = (
    ("delta_", ""),
    ("d_", ""),
    ("grad_", ""),
    ("", "_delta"),
    ("", "_grad"),
    ("", "_error"),
    ("", "_err"),
    ("d", ""),
)


def delta_of(name: str) -> list[str]:
    """The values a delta called ``name`` may be the adjoint of, most specific first:
    ``layer_2_delta`` -> ``["layer_2"]``, ``dZ1`` -> ``["Z1"]``, ``d_h`` -> ``["h", "_h"]``."""
    found = []
    for prefix, suffix in _DELTA_NAMES:
        if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix + suffix):
            base = name[len(prefix) : len(name) - len(suffix)]
            found += [] if base in found else [base]
    return found


def fresh_name(name: str, taken) -> str:
    """``name``, or ``name_``, ``name__``, ... : the first not in ``taken`` (a user's own
    ``loss`` keeps its name; the value we add beside it gets the underscores)."""
    while name in taken:
        name += "_"
    return name


BATCH_SIZE = "m"  # the vector-mode leaf holding the number of samples in a batch
