"""Checks of the training outputs' paths, and the trained parameters as ``.npz``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from symbackprop.errors import UsageError
from symbackprop.files import check_output, write_whole


def check_writable(path: str | Path, suffix: str, option: str) -> Path:
    """``path`` as a Path, after checking its suffix and that it can be written (so that bad
    output options fail before any training)."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option} writes a {suffix} file; got {str(path)!r}")
    return check_output(path)


def save_params(path: str | Path, params: dict, scaling=None) -> Path:
    """The parameters as an ``.npz`` archive, one array per name; with the input scaling
    (``input_mean``, ``input_scale``) when the run standardised its inputs."""
    arrays = {name: np.asarray(value) for name, value in params.items()}
    if scaling is not None:
        arrays["input_mean"], arrays["input_scale"] = scaling.mean, scaling.scale
    return write_whole(path, lambda temporary: np.savez(temporary, **arrays))
