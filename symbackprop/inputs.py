"""Input files a user names (spec ``.toml``, ``.py`` code, CSV data) are read here and only
here: a regular file of bounded size holding UTF-8 text, or one clear error.

A FIFO, a device such as ``/dev/zero`` or a folder is refused before it is read, so that a
mistyped path neither blocks nor fills memory.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from symbackprop.errors import InputError, UnknownModel

MAX_SOURCE_BYTES = 5 * 1024 * 1024  # code and specs: far more than any hand-written file
MAX_DATA_BYTES = 200 * 1024 * 1024  # CSV data, read into memory whole
STANDARD_INPUT = "-"  # the name that reads standard input, as other command-line tools do
STANDARD_INPUT_NAME = "<stdin>"  # how messages name it


def read_input(path: str | Path, limit: int = MAX_SOURCE_BYTES, newline: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes long.

    ``newline`` is ``open``'s: None turns ``\\r\\n`` and ``\\r`` into ``\\n``; ``""`` keeps
    them (as the csv module wants). A missing file is :class:`UnknownModel`; anything else
    that cannot be read is :class:`InputError`.

    >>> read_input("/dev/zero")
    Traceback (most recent call last):
    symbackprop.errors.InputError: /dev/zero: not a regular file (a character device)
    """
    name = str(path)
    if name == STANDARD_INPUT:
        return _decoded(_standard_input(limit), STANDARD_INPUT_NAME, newline)
    _require_regular(_stat(name), name)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening does not wait
        handle = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=name) from None
    with os.fdopen(handle, "rb") as stream:
        try:
            _require_regular(os.fstat(handle), name, limit)
            data = stream.read(limit + 1)  # the file may have grown since fstat
        except OSError as error:
            raise InputError(f"cannot read the file: {error.strerror}", file=name) from None
    if len(data) > limit:
        raise InputError(_too_large(limit), file=name)
    return _decoded(data, name, newline)


def _standard_input(limit: int) -> bytes:
    try:
        data = sys.stdin.buffer.read(limit + 1)
    except (OSError, AttributeError, ValueError) as error:  # closed, or no byte stream at all
        raise InputError(
            f"cannot read standard input ({error})", file=STANDARD_INPUT_NAME
        ) from None
    if len(data) > limit:
        raise InputError(_too_large(limit), file=STANDARD_INPUT_NAME)
    return data


def _stat(name: str) -> os.stat_result:
    try:
        return os.stat(name)
    except FileNotFoundError:
        raise UnknownModel("no such file", file=name) from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", file=name) from None


def _require_regular(status: os.stat_result, name: str, limit: int | None = None) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise InputError(f"not a regular file ({_kind(status.st_mode)})", file=name)
    if limit is not None and status.st_size > limit:
        raise InputError(_too_large(limit), file=name)


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "not a file")


def _too_large(limit: int) -> str:
    return f"larger than {limit // (1024 * 1024)} MB, the most this reads"


def _decoded(data: bytes, name: str, newline: str | None) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise InputError(f"not UTF-8 text (byte 0x{byte:02x})", file=name, line=line) from None
    if newline is None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
