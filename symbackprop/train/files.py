"""Output files written whole or not at all: render to a temporary file beside the target,
then rename it into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from symbackprop.errors import UsageError


def check_writable(path: str | Path, suffix: str, option: str) -> Path:
    """``path`` as a Path, after checking its suffix and that its folder exists (so that bad
    output options fail before any training)."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option} writes a {suffix} file; got {str(path)!r}")
    if not path.parent.is_dir():
        raise UsageError(f"{option}: no such folder {str(path.parent)!r}")
    if path.is_dir():
        raise UsageError(f"{option}: {str(path)!r} is a folder")
    return path


def write_whole(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary)``, then move the temporary file onto ``path`` in one step."""
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` gives (mkstemp's are 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_params(path: str | Path, params: dict, scaling=None) -> Path:
    """The parameters as an ``.npz`` archive, one array per name; with the input scaling
    (``input_mean``, ``input_scale``) when the run standardised its inputs."""
    arrays = {name: np.asarray(value) for name, value in params.items()}
    if scaling is not None:
        arrays["input_mean"], arrays["input_scale"] = scaling.mean, scaling.scale
    return write_whole(path, lambda temporary: np.savez(temporary, **arrays))
