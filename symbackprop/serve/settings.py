"""The limits a server holds each request to, with the reasons for their defaults."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

# Every built-in example is explained and generated in under half a second, and a course's
# layer file checked in a few: a request still running after this is a pathological input
# (a scalar network of 961 weights takes minutes to explain), not a slow one.
TIME_LIMIT_S = 30.0
# Memory a request may take on top of the preloaded worker (about 200 MB of SymPy and NumPy):
# explaining and generating every built-in example took 10 MB of it.
MEMORY_LIMIT_MB = 1024
# A hand-written file of layers is a few kilobytes; the JSON around it changes little.
MAX_BODY_BYTES = 1024 * 1024
# Requests waiting for a worker, per worker: beyond them the answer is "busy" at once.
QUEUE_PER_WORKER = 4


def default_workers() -> int:
    """One worker a core, at most four: each request is one single-threaded process."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0  # 0: default_workers()
    queue: int = -1  # requests waiting beyond the running ones; -1: QUEUE_PER_WORKER a worker
    time_limit_s: float = TIME_LIMIT_S
    memory_limit_mb: int = MEMORY_LIMIT_MB
    max_body_bytes: int = MAX_BODY_BYTES

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the server."""
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def worker_count(self) -> int:
        return self.workers or default_workers()

    @property
    def queue_length(self) -> int:
        return self.queue if self.queue >= 0 else QUEUE_PER_WORKER * self.worker_count
