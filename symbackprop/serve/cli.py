"""The ``serve`` verb's command line; it loads without the ``serve`` extra, and says which
extra to install when it is missing."""

from __future__ import annotations

import argparse
import sys

from symbackprop.errors import UsageError
from symbackprop.serve.settings import (
    MAX_BODY_BYTES,
    MEMORY_LIMIT_MB,
    TIME_LIMIT_S,
    ServeSettings,
    default_workers,
)
from symbackprop.train.extras import check

EPILOG = """examples:
  symbackprop serve
  symbackprop serve --port 8080 --workers 4
  symbackprop serve --host 0.0.0.0 --time-limit 20

--host 0.0.0.0 serves a class on the local network. The API: POST /api/check
{"code": "...", "function": "relu_backward"}; POST /api/explain and /api/generate
{"example": "xor"} or {"spec": "..."}; GET /api/examples (see the README)
"""


def add_parser(verbs) -> argparse.ArgumentParser:
    """Add ``serve [--host H] [--port P] [--workers N] ...`` to the CLI's verbs."""
    parser = verbs.add_parser(
        "serve",
        help="a local web page and JSON API for check, explain and generate",
        description="Serve a page where code is pasted and checked, and models derived and "
        "explained, with a JSON API behind it. Each request runs in a worker process of its "
        "own with a time and a memory limit; code is read, never run.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    parser.add_argument(
        "--port",
        type=_count(0, 65535),
        default=8000,
        help="port to listen on (default 8000; 0: any free port, printed when serving)",
    )
    parser.add_argument(
        "--workers",
        type=_count(1, 256),
        default=default_workers(),
        metavar="N",
        help="requests worked on at once, each in a process of its own (default: one a core, "
        "at most four)",
    )
    parser.add_argument(
        "--queue",
        type=_count(0, 10_000),
        default=-1,
        metavar="N",
        help="requests that may wait for a worker; beyond them the answer is 503 busy "
        "(default: four a worker)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT_S,
        metavar="SECONDS",
        help=f"a request still working after this is stopped (default {TIME_LIMIT_S:g})",
    )
    parser.add_argument(
        "--memory-limit",
        type=_count(64, 1 << 20),
        default=MEMORY_LIMIT_MB,
        metavar="MB",
        help=f"memory one request may take (default {MEMORY_LIMIT_MB})",
    )
    parser.add_argument(
        "--max-body",
        type=_count(1024, 1 << 30),
        default=MAX_BODY_BYTES,
        metavar="BYTES",
        help=f"largest request body accepted; larger ones get 413 (default {MAX_BODY_BYTES})",
    )
    return parser


def _count(low: int, high: int):
    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return whole_number


def settings_of(args: argparse.Namespace) -> ServeSettings:
    if not 0 < args.time_limit <= 3600:
        raise UsageError("--time-limit must be more than 0 and at most 3600 seconds")
    return ServeSettings(
        host=args.host,
        port=args.port,
        workers=args.workers,
        queue=args.queue,
        time_limit_s=args.time_limit,
        memory_limit_mb=args.memory_limit,
        max_body_bytes=args.max_body,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; one line and exit 2 when the ``serve`` extra is missing."""
    settings = settings_of(args)
    if sys.platform == "win32":
        raise UsageError("symbackprop serve needs Linux or macOS: its workers are forked")
    for module in ("starlette", "uvicorn"):
        check(module, "symbackprop serve")
    # Deferred: the web stack is an optional extra, imported only when serving.
    from symbackprop.serve.server import serve

    serve(settings)
    return 0
