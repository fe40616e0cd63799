"""The ``generate`` verb: render a model's NumPy training module, and keep generated/ fresh."""

from __future__ import annotations

from functools import singledispatch
from pathlib import Path

from symbackprop.cells.step import StepModel
from symbackprop.codegen.command import default_command
from symbackprop.codegen.formatter import module_lines
from symbackprop.codegen.names import code_model, renamed_names
from symbackprop.codegen.plan import plan_module
from symbackprop.codegen.recurrent_generate import module_text as recurrent_module_text
from symbackprop.codegen.render import render
from symbackprop.codegen.stable import stable_model
from symbackprop.codegen.targets import Target, check_dtype, target_named
from symbackprop.derive import derive
from symbackprop.files import current_text, write_whole
from symbackprop.ir.model import Model, require_parameters
from symbackprop.naming import identifier
from symbackprop.readers.examples import EXAMPLES, builtin

GENERATED = Path("generated")


def module_text(
    model: Model, command: str | None = None, target: str = "numpy", dtype: str = "float64"
) -> str:
    """The source of ``model``'s training module, written for ``target`` (see targets.py)
    in ``dtype`` (a JAX module's float type)."""
    require_parameters(model)
    chosen = target_named(target)
    check_dtype(chosen, dtype)
    return model_module_text(model, command or default_command(model), chosen, dtype)


@singledispatch
def model_module_text(model: Model, command: str, target: Target, dtype: str = "float64") -> str:
    """A feed-forward model's module: loss, forward, backward and the fused training step."""
    # [Model] -> code-named Model -> stable Model -> Derivation -> ModulePlan -> module text
    derivation = derive(stable_model(code_model(model)))
    plan = plan_module(derivation, command, target, renamed_names(model))
    lines = module_lines(plan, target.printer({"names": plan.names}))
    return render(target.template, plan=plan, code=lines, dtype=dtype)


@model_module_text.register
def _recurrent(model: StepModel, command: str, target: Target, dtype: str = "float64") -> str:
    """A recurrent cell's step model: a module that trains the cell by BPTT."""
    return recurrent_module_text(model, command, target, dtype)


def builtin_module_path(name: str, directory: Path = GENERATED) -> Path:
    return directory / f"{identifier(name)}.py"


def generate_all(
    directory: Path = GENERATED, check: bool = False, target: str = "numpy"
) -> list[Path]:
    """Write (or, with ``check``, compare) every built-in example's module for ``target``.

    Returns the files that differed from what is generated now.
    """
    command = "symbackprop generate --all"
    if target != "numpy":  # its modules live in a folder of their own
        command += f" --target {target} --dir {GENERATED / target}"
    stale = []
    for name in EXAMPLES:
        model = builtin(name)
        path = builtin_module_path(name, directory)
        text = module_text(model, command=command, target=target)
        if current_text(path) != text:
            stale.append(path)
            if not check:
                write_whole(path, text)
    return stale
