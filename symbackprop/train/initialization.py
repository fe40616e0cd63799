"""Initial parameters: the generated module's schemes, plus an all-positive one."""

from __future__ import annotations

import types

import numpy as np

from symbackprop.errors import UsageError

MODULE_SCHEMES = ("uniform", "glorot", "he")
# "positive" is uniform(0, 1) for every weight and bias, as ``np.random.rand`` and
# ``random.random()`` give: a common hand-written set-up, kept to reproduce and diagnose it.
SCHEMES = (*MODULE_SCHEMES, "positive")


def initial_params(module: types.ModuleType, scheme: str, seed: int) -> dict[str, np.ndarray]:
    """The module's ``init_params(seed, scheme)``, or uniform(0, 1) values for ``positive``.

    >>> from symbackprop import api
    >>> from symbackprop.codegen.loader import load_module
    >>> params = initial_params(load_module(api.load_model("tiny221")), "positive", 0)
    >>> bool((params["w"] > 0).all())
    True
    """
    if scheme not in SCHEMES:
        raise UsageError(f"unknown initialisation {scheme!r} (known: {', '.join(SCHEMES)})")
    if scheme in MODULE_SCHEMES:
        return module.init_params(seed, scheme)
    shapes = module.init_params(seed, "uniform")
    rng = np.random.default_rng(seed)
    return {name: rng.random(np.shape(value)) for name, value in shapes.items()}
