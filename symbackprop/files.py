"""Output files are written whole or not at all: into a temporary file beside the target,
then renamed into place in one step. Every verb that writes a file goes through here."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from symbackprop.errors import OutputError

Content = str | bytes | Callable[[Path], None]


def write_whole(path: str | Path, content: Content) -> Path:
    """Write ``content`` to ``path``: text, bytes, or a function that writes the temporary
    file it is given (which keeps ``path``'s suffix, as matplotlib and ``np.savez`` need).

    The old file, if any, stays whole when anything fails.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError("no such folder", file=str(path.parent))
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        _fill(temporary, content)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write: {error.strerror or error}", file=str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _fill(temporary: Path, content: Content) -> None:
    if isinstance(content, str):
        temporary.write_text(content, encoding="utf-8", newline="\n")
    elif isinstance(content, bytes):
        temporary.write_bytes(content)
    else:
        content(temporary)


def _mode_for(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` gives (mkstemp's are 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
