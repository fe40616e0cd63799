"""Output files are written whole or not at all: into a temporary file beside the target,
then renamed into place in one step. Every verb that writes a file goes through here.

Only regular files are replaced. A character device or a FIFO (``-o /dev/null``, a named
pipe) is written into directly, as a shell's ``>`` would, and stays what it was; a FIFO that
no process reads is an error rather than a wait. A folder, a block device or a socket is
refused. A symbolic link is followed: the file it points to is replaced, the link stays.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from symbackprop.errors import OutputError

Content = str | bytes | Callable[[Path], None]

TEMPORARY_STEM_CHARS = 64  # so that a temporary's name fits wherever its target's does


def check_output(path: str | Path) -> Path:
    """``path`` as a Path, once it is known that it can be written: call it before long work.

    Checks by doing, not by permission bits (which root ignores): a temporary is created in
    the target's folder and removed again.
    """
    path = Path(path)
    if _is_stream(_status(path)):
        return path
    with _temporary_beside(_followed(path)):
        pass
    return path


def current_text(path: Path) -> str | None:
    """What a regular file at ``path`` holds now, to compare with what would be written; None
    when there is none (or a device or FIFO is there, which is never read)."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return None
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise OutputError(f"cannot read: {reason}", file=str(path)) from None


def write_whole(path: str | Path, content: Content) -> Path:
    """Write ``content`` to ``path``: text, bytes, or a function that writes the temporary
    file it is given (which keeps ``path``'s suffix, as matplotlib and ``np.savez`` need).

    The old file, if any, stays whole when anything fails, Ctrl-C included.
    """
    path = Path(path)
    status = _status(path)
    if _is_stream(status):
        _write_through(path, _rendered(content, path.suffix))
        return path
    target = _followed(path)
    with _temporary_beside(target) as temporary:
        try:
            _fill(temporary, content)
            os.chmod(temporary, _mode_for(status))
            os.replace(temporary, target)
        except OSError as error:
            raise OutputError(f"cannot write: {error.strerror or error}", file=str(path)) from None
    return path


def _status(path: Path) -> os.stat_result | None:
    """What ``path`` names now (through links), None when nothing; a folder or another kind of
    node that cannot be written is an error."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(f"cannot write: {error.strerror}", file=str(path)) from None
    if stat.S_ISDIR(status.st_mode):
        raise OutputError("is a folder; give a file name", file=str(path))
    if not (stat.S_ISREG(status.st_mode) or _is_stream(status)):
        raise OutputError("not a regular file, a character device or a FIFO", file=str(path))
    return status


def _is_stream(status: os.stat_result | None) -> bool:
    return status is not None and (stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode))


def _followed(path: Path) -> Path:
    """The file to replace: the target of a symbolic link, not the link; its folder exists."""
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise OutputError("no such folder", file=str(path.parent))
    return target


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A new empty file in ``target``'s folder, removed when the body ends unless the body
    renamed it into place. Ctrl-C and SIGTERM are held while it is created, so that none can
    fall between the file's creation and the cleanup that owns it."""
    prefix = f".{target.stem[:TEMPORARY_STEM_CHARS]}."
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
    temporary = None
    try:
        try:
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=target.suffix)
        except OSError as error:
            raise OutputError(f"cannot write here: {error.strerror}", file=str(target)) from None
        temporary = Path(name)
        os.close(handle)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # one held arrives now, inside try
        yield temporary
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)  # nor while it is removed
        try:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


def _fill(temporary: Path, content: Content) -> None:
    if isinstance(content, str):
        temporary.write_text(content, encoding="utf-8", newline="\n")
    elif isinstance(content, bytes):
        temporary.write_bytes(content)
    else:
        content(temporary)


def _rendered(content: Content, suffix: str) -> bytes:
    """``content`` as bytes; a writing function writes into a private temporary folder."""
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="symbackprop-") as folder:
        temporary = Path(folder) / f"output{suffix}"
        content(temporary)
        return temporary.read_bytes()


def _write_through(path: Path, data: bytes) -> None:
    """Write into a device or FIFO as it is; O_NONBLOCK so that a FIFO nobody reads fails
    (ENXIO) instead of waiting for ever."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OutputError("no process is reading this FIFO", file=str(path)) from None
        raise OutputError(f"cannot write: {error.strerror}", file=str(path)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if not _is_stream(os.fstat(handle)):
                raise OutputError("changed while being written; try again", file=str(path))
            os.set_blocking(handle, True)
            stream.write(data)
    except OSError as error:
        raise OutputError(f"cannot write: {error.strerror}", file=str(path)) from None


def _mode_for(status: os.stat_result | None) -> int:
    """The existing file's permissions, or what a plain ``open`` gives (mkstemp's are 0600)."""
    if status is not None:
        return status.st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
