"""The command line a generated module says wrote it."""

from __future__ import annotations

import shlex

from symbackprop.ir.model import Model
from symbackprop.naming import identifier


def default_command(model: Model) -> str:
    """The command line that writes ``model``'s module, quoted as a shell would need it."""
    return shlex.join(["symbackprop", "generate", model.name, "-o", f"{identifier(model.name)}.py"])
