"""Ctrl-C and SIGTERM end a command the same way: as an exception that unwinds through every
``finally`` and ``except BaseException`` (so that a half-written temporary is removed), then
one line on stderr and the exit code a shell gives a process the signal killed."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised wherever the program is, as Ctrl-C raises KeyboardInterrupt."""


def interruptible(run: Callable[[], int]) -> int:
    """``run()``'s exit code; after Ctrl-C, ``symbackprop: interrupted`` and 130 (143 after
    SIGTERM), with no traceback."""
    with _sigterm_raises():
        try:
            return run()
        except KeyboardInterrupt as interrupt:
            print("symbackprop: interrupted", file=sys.stderr)
            signum = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
            return 128 + signum


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated`, unless it is ignored or handled
    already (or this is not the main thread, where no handler can be set)."""
    usable = threading.current_thread() is threading.main_thread()
    if not usable or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()
