"""Code-generation targets: each one a printer and templates, registered here and nowhere else.

    # ModulePlan (statements) -> target.printer (spelling) -> target.template (layout) -> text

A target (JAX, say) is a printer subclass (``jnp.`` for ``np.``, its own spelling of calls
and updates) and templates (a feed-forward module's and a recurrent cell's), added to
TARGETS; the planners and the passes stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbackprop.codegen.jax_printer import JaxCodePrinter
from symbackprop.codegen.printer import NumpyCodePrinter
from symbackprop.errors import SpecError


@dataclass(frozen=True)
class Target:
    name: str
    printer: type  # a SymPy code printer: code(), and call(), update()... for each statement
    template: str  # the module's template in templates/, which includes its partials
    kept_arrays: bool  # whether statements may write into arrays kept between steps (out=)
    recurrent_template: str  # a recurrent cell's module (training by BPTT)
    # How a time loop's body reads a per-step array: a Python loop indexes it at step t, a
    # lax.scan hands its body each step's slice under the array's own name.
    step_index: str
    # Whether a time loop's products that share an operand are made as one (codegen/packing:
    # XLA runs each product as an operation of its own); the templates then lay out the
    # plan's before_loop statements.
    packs_products: bool = False


NUMPY = Target(
    "numpy",
    NumpyCodePrinter,
    "module.py.j2",
    kept_arrays=True,
    recurrent_template="recurrent_module.py.j2",
    step_index="[t]",
)
# JAX arrays are immutable, and XLA plans a compiled step's memory itself.
JAX = Target(
    "jax",
    JaxCodePrinter,
    "jax_module.py.j2",
    kept_arrays=False,
    recurrent_template="jax_recurrent_module.py.j2",
    step_index="",
    packs_products=True,
)

TARGETS = {target.name: target for target in (NUMPY, JAX)}
DTYPES = ("float64", "float32")  # a JAX module's float type; a NumPy module follows its data


def target_named(name: str) -> Target:
    """The registered target called ``name``; SpecError naming the known ones otherwise."""
    if name not in TARGETS:
        raise SpecError(f"no code-generation target {name!r}; known: {', '.join(TARGETS)}")
    return TARGETS[name]


def check_dtype(target: Target, dtype: str) -> None:
    """SpecError unless ``target`` writes modules of ``dtype``."""
    if dtype not in DTYPES:
        raise SpecError(f"no float type {dtype!r}; known: {', '.join(DTYPES)}")
    if target is NUMPY and dtype != "float64":
        raise SpecError("a NumPy module computes in its data's float type: --dtype is for jax")
