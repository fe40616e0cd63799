"""A bounded load test of ``symbackprop serve`` on localhost: 200 requests from 20 clients at
once, mixing valid code, bombs and garbage. Every request gets an answer of a known kind, no
worker is left running, idle or after shutdown, and the server's memory comes back. The
figures (latencies, answers by kind) are ``python benchmarks/serve_load.py``'s to print; this
test asserts behaviour only."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

pytest.importorskip("starlette", reason="pip install 'symbackprop[serve]'")

from serve_helpers import (  # noqa: E402
    alive,
    command_lines,
    descendants,
    resident_kib,
    running_server,
    send_load,
    stop,
)

REQUESTS, CLIENTS = 200, 20
ANSWERED = {200, 400, 408, 503}
# The server's own memory may keep what its allocator holds after the answers went out; the
# work itself is done in workers that end with each request.
MEMORY_SLACK_KIB = 64 * 1024


class ProcessWatch:
    """Every process under the server seen while the load runs (sampled)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.seen: set[tuple[int, str]] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.25):
            self.seen |= descendants(self.pid)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def test_two_hundred_mixed_requests_from_twenty_clients(tmp_path):
    with running_server(tmp_path, "--workers", "2", "--time-limit", "10") as server:
        pid = server.process.pid
        helpers = descendants(pid)  # the fork server and its resource tracker
        memory_before = resident_kib(pid)
        watch = ProcessWatch(pid)
        answers = send_load(server, REQUESTS, CLIENTS)
        watch.stop()
        time.sleep(0.5)
        idle, expected = alive(descendants(pid)), alive(helpers)
        memory_after = resident_kib(pid)
        assert server.post("/api/check", {"code": "x = 1"})[0] == 400  # still serving
        stop(server.process)
    kinds = Counter((a.status, a.kind) for a in answers)
    assert len(answers) == REQUESTS
    assert {status for status, _ in kinds} <= ANSWERED, kinds
    assert kinds[(200, "ok")] >= REQUESTS // 4, kinds  # work was done, not only refused
    by_label = {a.label: a for a in answers if a.status not in (503,)}
    assert by_label["not json"].kind == "bad input"
    assert by_label["deep expression"].kind == "bad input"
    workers = watch.seen - helpers
    assert workers, "no worker process was seen"
    # idle again: only the fork server and its resource tracker
    assert idle == expected, command_lines(idle | helpers)
    assert memory_after <= memory_before + MEMORY_SLACK_KIB
    deadline = time.monotonic() + 10
    while alive(watch.seen | helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(watch.seen | helpers) == set()  # nothing left after shutdown
