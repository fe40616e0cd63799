"""The user's names in generated code: kept apart from the generator's own, never merged.

    # [Model] -> Model whose every name is the identifier it has in the module

A user may call a variable ``lr``, ``np``, ``params`` or ``delta_h``, or write ``aλ`` and
``aμ``: generated code must neither collide with those names nor fold two of them into one.
The model is renamed once, before anything is derived for code, so that every later stage
prints names as they are.
"""

from __future__ import annotations

import builtins
import dataclasses
import keyword
import unicodedata

import sympy as sp

from symbackprop.codegen.printer import HELPERS
from symbackprop.errors import SpecError
from symbackprop.ir.model import Kind, Model, Node
from symbackprop.naming import (
    ADJOINT_PREFIX,
    GRADIENT_PREFIX,
    identifier,
    indexed_name,
    split_indexed,
)

# The generator's own names in the functions that also hold the user's: what they call
# (numpy, the helpers, the other functions train() runs, builtins) and their own arguments
# and locals. Module-level names no such function reads (loss, init_params, PARAMETER_SHAPES)
# may be the user's too: a local of the same name shadows nothing that is used.
GENERATOR_NAMES = frozenset(
    {
        *dir(builtins),
        *("np", *HELPERS, "OPTIMIZERS", "forward", "loss_of", "backward", "train_step"),
        *("params", "cache", "every_node", "lr", "work", "report_loss", "kept", "reuse"),
        *("ones", "loss_value", "epochs", "optimizer", "callback", "step", "state", "losses"),
        *("epoch", "class_rows"),
        # the helpers of layers beyond dense ones (templates/_conv.py.j2, _helpers.py.j2)
        *("conv2d", "conv2d_input_grad", "conv2d_kernel_grad", "maxpool2d", "maxpool2d_grad"),
        *("image_windows", "pad_images", "window_offsets", "offsets"),
        *("batchnorm", "layernorm", "groupnorm", "groupmean", "groupvar", "grouped"),
        *("standardised", "embedding_grad", "svm_hinge", "svm_hinge_slope"),
        *("spatial_batchnorm", "spatial_batchnorm_grad", "spatial_groupnorm"),
        *("spatial_groupnorm_grad", "shared_entries", "standardised_images"),
        *("standardised_images_grad", "time_step_into"),
    }
)
GENERATOR_PREFIXES = (ADJOINT_PREFIX, GRADIENT_PREFIX)
USER_PREFIX = "user_"  # before a user's name that starts like the generator's (``user_d_w``)


def code_model(model: Model) -> Model:
    """``model`` with every name replaced by its :func:`~symbackprop.naming.code_name`
    (the model itself when nothing changes); raises SpecError where two names would print
    alike or a name is both an array and a plain value."""
    _check_bases(model)
    renames = code_names(model)
    if all(old == new for old, new in renames.items()):
        return model
    symbols = {sp.Symbol(old): sp.Symbol(new) for old, new in renames.items()}
    nodes = tuple(
        Node(renames[n.name], n.kind, None if n.expr is None else n.expr.xreplace(symbols), n.line)
        for n in model.nodes
    )
    return dataclasses.replace(
        model,
        nodes=nodes,
        leaf_shapes={renames[k]: v for k, v in model.leaf_shapes.items()},
        values={renames[k]: v for k, v in model.values.items()},
    )


def code_names(model: Model) -> dict[str, str]:
    """Each node's name -> its name in generated code (an indexed leaf keeps its index)."""
    renames: dict[str, str] = {}
    printed: dict[str, str] = {}  # code name of a base -> the user's base
    for node in model.nodes:
        base, index = split_indexed(node.name) or (node.name, ())
        new = code_name(base)
        if printed.setdefault(new, base) != base:
            raise SpecError(
                f"the names {printed[new]!r} and {base!r} would both be {new!r} in generated "
                "code; rename one of them",
                file=model.source,
                line=node.line,
            )
        renames[node.name] = indexed_name(new, *index) if index else new
    return renames


def renamed_names(model: Model) -> list[str]:
    """The user's names that generated code spells otherwise: ``["lr is lr_"]``."""
    bases = dict.fromkeys((split_indexed(n.name) or (n.name, ()))[0] for n in model.nodes)
    return [f"{base} is {code_name(base)}" for base in bases if code_name(base) != base]


def code_name(name: str) -> str:
    """The identifier a user's name has in generated code: NFKC-normalised as Python reads
    identifiers, and renamed where it would be one of the generator's own names: ``lr``
    becomes ``lr_``, ``delta_h`` ``user_delta_h``. No result is renamed again, so applying it
    twice changes nothing.

    >>> [code_name(n) for n in ("h1out", "lr", "None", "d_w", "aλ")]
    ['h1out', 'lr_', 'None_', 'user_d_w', 'aλ']
    """
    text = identifier(unicodedata.normalize("NFKC", name))
    if not text.isidentifier():
        text = "v_" + text
    if text.startswith(GENERATOR_PREFIXES):
        return USER_PREFIX + text
    taken = text in GENERATOR_NAMES or keyword.iskeyword(text) or keyword.issoftkeyword(text)
    return text + "_" if taken else text


def _check_bases(model: Model) -> None:
    """A data or parameter name is one array of elements (``w[0]``, ``w[4]``) or one plain
    value, never both: the module has a single variable for it."""
    plain = {n.name for n in model.nodes if split_indexed(n.name) is None}
    for node in model.nodes:
        indexed = split_indexed(node.name)
        if indexed is not None and indexed[0] in plain:
            kind = "a parameter" if node.kind is Kind.PARAMETER else "data"
            raise SpecError(
                f"{indexed[0]!r} is used both whole and indexed ({node.name}); as {kind} it "
                "must be one or the other",
                file=model.source,
                line=node.line,
            )
