"""The Python API, mirroring the CLI verbs.

>>> from symbackprop import api
>>> result = api.derive(api.load_model("torch-scalar"))
>>> print(result.gradient("w").expr)
2*s*x
"""

from __future__ import annotations

import shlex
from pathlib import Path

from symbackprop.codegen.agreement import VerifyReport
from symbackprop.codegen.generate import generate_all as _generate_all
from symbackprop.codegen.generate import module_text
from symbackprop.codegen.verify import self_check
from symbackprop.codegen.verify import verify as _verify
from symbackprop.derive import Derivation
from symbackprop.derive import derive as _derive
from symbackprop.files import write_whole
from symbackprop.ir.model import Model, require_parameters
from symbackprop.printing.derivation import (
    derivation_data,
    derivation_latex,
    derivation_text,
)
from symbackprop.readers.examples import EXAMPLES, Example
from symbackprop.readers.sources import load_model
from symbackprop.train.extras import check

__all__ = [
    "DerivationResult",
    "derive",
    "examples",
    "generate",
    "generate_all",
    "load_model",
    "verify",
]


class DerivationResult:
    """A derivation with its views: text, LaTeX, data, and rich display in Jupyter."""

    def __init__(self, derivation: Derivation):
        self.derivation = derivation
        self.model = derivation.model

    def __getattr__(self, name: str):
        return getattr(self.derivation, name)

    def to_text(self) -> str:
        return derivation_text(self.derivation)

    def to_latex(self) -> str:
        return derivation_latex(self.derivation)

    def to_data(self) -> dict:
        return derivation_data(self.derivation)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        count = len(self.derivation.gradients)
        return f"<derivation of {self.model.name}: {count} gradients>"

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex().replace("align*", "aligned") + "$$"


def derive(
    model: Model | str, params: list[str] | None = None, show_progress: bool = False
) -> DerivationResult:
    """Derive every adjoint and parameter gradient of a model (or of a MODEL argument);
    ``params`` keeps only those parameters' gradients (names, or bases such as ``w``);
    ``show_progress`` draws a bar on a terminal for a large model."""
    if isinstance(model, str):
        model = load_model(model)
    require_parameters(model)
    derivation = _derive(model, show_progress=show_progress)
    return DerivationResult(derivation.for_parameters(params) if params else derivation)


def examples() -> list[Example]:
    """The built-in examples."""
    return list(EXAMPLES.values())


def generate(
    model: Model | str,
    output: str | Path | None = None,
    command: str | None = None,
    target: str = "numpy",
    dtype: str = "float64",
) -> str:
    """The training module of a model, NumPy or (``target="jax"``) JAX in ``dtype``; written
    whole to ``output`` when given."""
    argument = model if isinstance(model, str) else model.name  # as the user named it
    _check_target(target, "generate")
    if isinstance(model, str):
        model = load_model(model)
    if command is None and output is not None:
        command = shlex.join(["symbackprop", "generate", argument, "-o", str(output)])
    text = module_text(model, command, target, dtype)
    # Raises ModuleDisagrees: never write a wrong module. Differences need float64.
    self_check(model, text if dtype == "float64" else module_text(model, command, target))
    if output is not None:
        write_whole(Path(output), text)
    return text


def _check_target(target: str, verb: str) -> None:
    """MissingExtra (one line naming the extra) when ``target``'s library is not installed."""
    if target == "jax":
        check("jax", f"{verb} --target jax")


def generate_all(
    directory: str | Path = "generated", check: bool = False, target: str = "numpy"
) -> list[Path]:
    """Write (or check) the module of every built-in example; returns the stale files."""
    return _generate_all(Path(directory), check=check, target=target)


def verify(
    model: Model | str, seed: int = 0, text: str | None = None, target: str = "numpy"
) -> VerifyReport:
    """Generate ``model``'s module for ``target`` (or take its source ``text``) and check its
    gradients; a JAX module's also against ``jax.grad``."""
    _check_target(target, "verify")
    if isinstance(model, str):
        model = load_model(model)
    return _verify(model, seed=seed, text=text, target=target)
