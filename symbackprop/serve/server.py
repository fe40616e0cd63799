"""Bind the socket and run the app under uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn

from symbackprop.errors import SymbackpropError, UsageError
from symbackprop.serve.app import create_app
from symbackprop.serve.pool import WorkerPool
from symbackprop.serve.refusals import Refusal
from symbackprop.serve.settings import ServeSettings

# Requests in flight get the time limit of a request, and a little more, to finish.
SHUTDOWN_GRACE_S = 5.0


def serve(settings: ServeSettings) -> None:
    """Serve until stopped; the first line on standard output is the page's address."""
    listening = bind(settings.host, settings.port)
    host, port = listening.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def announce() -> None:
        limits = (
            f"{settings.worker_count} workers, {settings.queue_length} waiting at most, "
            f"{settings.time_limit_s:g} s and {settings.memory_limit_mb} MB a request"
        )
        print(f"serving {url} ({limits}); Ctrl-C stops", flush=True)
        if not settings.loopback:
            print("note: reachable from other machines; code sent is read, never run", flush=True)

    try:
        pool = started_pool(settings)
    except SymbackpropError:
        listening.close()
        raise
    _log_requests()
    config = uvicorn.Config(
        create_app(settings, on_ready=announce, pool=pool),
        log_level="warning",
        access_log=False,  # each request is logged once, with its time: see app._answer
        timeout_graceful_shutdown=int(settings.time_limit_s + SHUTDOWN_GRACE_S),
    )
    uvicorn.Server(config).run(sockets=[listening])
    sys.stdout.flush()


def started_pool(settings: ServeSettings) -> WorkerPool:
    """The workers, started before the app so that failing to start them is one line."""
    pool = WorkerPool(settings)
    try:
        pool.start()
    except Refusal as refusal:
        pool.close()
        raise SymbackpropError(f"cannot start the workers: {refusal.message}") from None
    return pool


def _log_requests() -> None:
    """Each request's path, status and time on standard error (never what was sent)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("symbackprop.serve")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or one line saying why not."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot serve on {host}:{port}: {reason}") from None
