"""The ``generate`` verb: render a model's NumPy training module, and keep generated/ fresh."""

from __future__ import annotations

import shlex
from pathlib import Path

from symbackprop.codegen.names import code_model, renamed_names
from symbackprop.codegen.plan import plan_module
from symbackprop.codegen.render import render
from symbackprop.codegen.stable import stable_model
from symbackprop.derive import derive
from symbackprop.files import current_text, write_whole
from symbackprop.model.examples import EXAMPLES, builtin
from symbackprop.model.ir import Model, require_parameters
from symbackprop.naming import identifier

GENERATED = Path("generated")


def module_text(model: Model, command: str | None = None) -> str:
    """The source of ``model``'s training module."""
    # [Model] -> code-named Model -> stable Model -> Derivation -> ModulePlan -> module text
    command = command or default_command(model)
    require_parameters(model)
    if getattr(model, "cell", None) is not None:  # a recurrent cell's step model: BPTT module
        from symbackprop.recurrent import module_text as recurrent_module_text

        return recurrent_module_text(model, command)
    derivation = derive(stable_model(code_model(model)))
    return render("module.py.j2", plan=plan_module(derivation, command, renamed_names(model)))


def default_command(model: Model) -> str:
    """The command line that writes ``model``'s module, quoted as a shell would need it."""
    return shlex.join(["symbackprop", "generate", model.name, "-o", f"{identifier(model.name)}.py"])


def builtin_module_path(name: str, directory: Path = GENERATED) -> Path:
    return directory / f"{identifier(name)}.py"


def generate_all(directory: Path = GENERATED, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) every built-in example's module.

    Returns the files that differed from what is generated now.
    """
    stale = []
    for name in EXAMPLES:
        path = builtin_module_path(name, directory)
        text = module_text(builtin(name), command="symbackprop generate --all")
        if current_text(path) != text:
            stale.append(path)
            if not check:
                write_whole(path, text)
    return stale
