"""The code-generation targets a numeric test runs a model's module in: the NumPy module
always, the JAX one (float64) where the `jax` extra is installed."""

import numpy as np
import pytest

from symbackprop.codegen.generate import module_text
from symbackprop.codegen.loader import load_module

TARGETS = ["numpy", "jax"]


def target_module(model, target: str):
    """The model's module for the target, imported (skips the test without jax)."""
    if target == "numpy":
        return load_module(model)
    pytest.importorskip("jax")
    return load_module(model, module_text(model, target="jax"))


def initial_params(module, *args) -> dict:
    """init_params as NumPy arrays, which torch, both modules and a donating JAX step share."""
    return {name: np.asarray(value) for name, value in module.init_params(*args).items()}
