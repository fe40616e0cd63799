"""Optional dependencies: each is asked for where it is needed, with one clear line if absent."""

from __future__ import annotations

import importlib
import importlib.util
import types

from symbackprop.errors import SymbackpropError


class MissingExtra(SymbackpropError):
    """An optional dependency is not installed."""


EXTRAS = {
    "sklearn": ("scikit-learn", "data"),
    "matplotlib": ("matplotlib", "plot"),
    "jax": ("jax", "jax"),
    "starlette": ("starlette", "serve"),
    "uvicorn": ("uvicorn", "serve"),
}


def available(module: str) -> bool:
    """Whether the top-level package of ``module`` is installed (nothing is imported)."""
    return importlib.util.find_spec(module.split(".")[0]) is not None


def require(module: str, purpose: str) -> types.ModuleType:
    """Import ``module`` or raise MissingExtra naming the pip extra that installs it.

    >>> require("numpy", "arrays").__name__
    'numpy'
    """
    check(module, purpose)
    return importlib.import_module(module)


def check(module: str, purpose: str) -> None:
    """Fail early, before any work, when ``module`` is missing."""
    if not available(module):
        raise MissingExtra(_advice(module, purpose))


def _advice(module: str, purpose: str) -> str:
    top = module.split(".")[0]
    package, extra = EXTRAS.get(top, (top, None))
    how = f"pip install 'symbackprop[{extra}]'" if extra else f"pip install {package}"
    return f"{purpose} needs {package}, which is not installed: {how}"
